"""Every simulated mutation once, on a manual clock, in every served version: each answer, and the world around it
queued, started and settled, validate against upstream. Guards: no registered operation is missed by the walk,
WALKED_ELSEWHERE, READ_ELSEWHERE and the query spread together."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from cloudtower_sim.mock_server.api.registry import READS as REGISTERED_READS, simulated
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.schema.spec import VERSIONS, Spec

from .support import Api, check_request_id, make_client, per_version, walk_body, walk_ids, walk_steps, walk_task


# --- the mutations, and the world while they run ------------------------------------------------------------------------

def _validate_world(api, upstream, where):
    for op in ("/get-tasks", "/get-vms", "/get-hosts", "/get-clusters"):
        status, data, r = api(op[1:], {})
        check_request_id(r)
        assert status == 200, (where, op, data)
        try:
            upstream.validate(op, 200, data)
        except Exception as e:
            raise AssertionError(f"{op} after {where}: {e}") from e


# mutations the walk above leaves out, and the test file that makes each succeed through a client whose every answer
# is held to upstream (support.held_to_upstream): the VMs' devices and networks need their own worlds, the uploads
# multipart bodies
WALKED_ELSEWHERE = {
    **{op: "test_inventory.py" for op in (
        "/add-vm-cd-rom", "/remove-vm-cd-rom", "/toggle-vm-cd-rom-disable", "/remove-vm-disk", "/update-vm-disk",
        "/remove-vm-nic", "/update-vm-nic", "/update-vm-nic-basic-info", "/update-vm-vlan", "/delete-vm-vlan",
        "/update-vm-volume", "/delete-vm-volume")},
    "/remove-content-library-vm-template-clusters": "test_content_library.py",
    "/upload-elf-image": "test_uploads.py", "/cancel-upload-task": "test_uploads.py",
}


def test_every_registered_mutation_is_walked_or_named_where_it_is():
    """A new mutation must join the walk, or name the test that makes it answer: no list silently misses one."""
    ids = defaultdict(str, hosts=defaultdict(str), free_nics=["", ""])  # the steps' paths, not their bodies
    walked = {op for op, _ in walk_steps(ids)}
    mutations = {p for p, b in simulated().items() if b.mutation}
    assert sorted(mutations - walked - set(WALKED_ELSEWHERE)) == [], "in neither the walk nor WALKED_ELSEWHERE"
    assert not walked & set(WALKED_ELSEWHERE)
    here = Path(__file__).parent
    for op, where in WALKED_ELSEWHERE.items():
        assert f'"{op[1:]}"' in (here / where).read_text() or f'"{op}"' in (here / where).read_text(), (op, where)


# reads that are not a kind's get-x / get-x-connection (those the query spread covers, and guards), and the test file
# that makes each answer 200 through a client whose every answer is held to upstream
READ_ELSEWHERE = {
    "/login": "test_login_version_errors.py", "/get-version": "test_login_version_errors.py",
    "/get-vm-gpu-device-info": "test_gpus.py", "/get-detail-vm-info-by-gpu-devices": "test_gpus.py",
    "/enter-maintance-mode-precheck-result": "test_maintenance_refusals.py",
    "/exit-maintance-mode-precheck-result": "test_maintenance_refusals.py",
}


def test_every_other_registered_operation_is_named_where_it_is_exercised():
    """With the walk's guard above and the query spread's: no registered operation is left unexercised."""
    kinds = {p for e in REGISTERED_READS if e in Spec.load().reads for p in Spec.load().reads[e]}
    others = {p for p, b in simulated().items() if not b.mutation and p not in kinds}
    assert sorted(others ^ set(READ_ELSEWHERE)) == [], "add it to READ_ELSEWHERE with the test that calls it"
    here = Path(__file__).parent
    for op, where in READ_ELSEWHERE.items():
        assert f'"{op[1:]}"' in (here / where).read_text() or f'"{op}"' in (here / where).read_text(), (op, where)


@pytest.mark.parametrize("version", per_version(VERSIONS))
def test_every_mutation_answer_and_the_world_around_it_validate(upstream_for, version):
    """On a manual clock, so that tasks, VMs and hosts are also seen mid-flight (PENDING, EXECUTING, entering
    maintenance), not only settled; against each served version's own spec."""
    upstream = upstream_for(version)
    client = make_client(Settings(task_mode="manual", api_version=version))
    api = Api(client)
    ids = walk_ids(api)
    served = simulated(version)
    last_task = None
    seen_task_states = set()
    for op, body in walk_steps(ids):
        if op not in served:  # an operation this version does not have
            continue
        body = walk_body(api, body, last_task)
        status, data, r = api(op[1:], body)
        check_request_id(r)
        assert status == 200, (op, body, data)
        upstream.validate(op, 200, data)
        last_task = walk_task(data, last_task)
        _validate_world(api, upstream, f"{op} (queued)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 0.6}).status_code == 200
        _validate_world(api, upstream, f"{op} (started)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
        _validate_world(api, upstream, f"{op} (settled)")
    assert {"PENDING", "EXECUTING", "SUCCESSED"} <= seen_task_states
