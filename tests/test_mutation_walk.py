"""Every simulated mutation once, on a manual clock, in every served version: each answer, and the world around it
queued, started and settled, validate against upstream. Guards: no registered operation is missed by the walk,
WALKED_ELSEWHERE, READ_ELSEWHERE and the query spread together."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from cloudtower_sim.mock_server.api.registry import READS as REGISTERED_READS, simulated
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.schema.spec import VERSIONS, Spec

from .support import GiB, Api, check_request_id, make_client, per_version


# --- the mutations, and the world while they run ------------------------------------------------------------------------

def _walk_steps(ids):
    """Every simulated mutation once, valid for the default scenario, in an order where each one is allowed."""
    h = ids["hosts"]
    return [
        ("/add-vm-nic", {"where": {"name": "test-01"}, "data": {"vm_nics": [{"connect_vlan_id": ids["vlan"]}]}}),
        ("/add-vm-disk", {"where": {"name": "test-01"}, "data": {"vm_disks": {"mount_new_create_disks": [
            {"vm_volume": {"name": "t1-data", "size": GiB, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"},
             "bus": "VIRTIO", "boot": 2}]}}}),
        ("/expand-vm-disk", {"where": {"id": ids["disk"]}, "size": 50 * GiB}),
        ("/create-vm-vlan", [{"vds_id": ids["vds"], "name": "walk-vlan", "vlan_id": 42}]),
        ("/create-vds", [{"cluster_id": ids["cluster"], "name": "walk-vds", "nic_ids": ids["free_nics"]}]),
        ("/update-vds", {"where": {"name": "walk-vds"}, "data": {"bond_mode": "balance-slb"}}),
        ("/delete-vds", {"where": {"name": "walk-vds"}}),
        ("/update-elf-image", {"where": {"name_ends_with": ".iso"}, "data": {"description": "walked"}}),
        ("/eject-iso-from-vm-cd-rom", {"where": {"type": "CD_ROM"}}),
        ("/delete-elf-image", {"where": {"name_ends_with": ".iso"}}),
        ("/create-vm-placement-group", [{"cluster_id": ids["cluster"], "name": "walk-pg", "enabled": True,
                                         "vm_vm_policy_enabled": True, "vm_vm_policy": "PREFER_SAME",
                                         "vms": {"name_in": ["web-01", "web-02"]}}]),
        ("/update-vm-placement-group", {"where": {"name": "walk-pg"}, "data": {
            "vm_host_prefer_enabled": True, "prefer_hosts": {"name": "node-1"}}}),
        ("/delete-vm-placement-group", {"where": {"name": "walk-pg"}}),
        ("/create-label", [{"key": "walk", "value": "1"}]),
        ("/add-labels-to-resources", {"where": {"key": "walk"}, "data": {"vms": {"name": "web-01"},
                                                                         "clusters": {}}}),
        ("/remove-labels-from-resources", {"where": {"key": "walk"}, "data": {"vms": {}}}),
        ("/update-label", {"where": {"key": "walk"}, "data": {"value": "2"}}),
        ("/delete-label", {"where": {"key": "walk"}}),
        ("/create-organization", [{"name": "walk-org"}]),
        ("/update-organization", {"where": {"name": "walk-org"}, "data": {"name": "walk-org-2"}}),
        ("/create-datacenter", [{"organization_id": ids["org"], "name": "walk-dc"}]),
        ("/remove-clusters-from-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/add-clusters-to-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/update-datacenter", {"where": {"name": "walk-dc"}, "data": {"name": "walk-dc-2"}}),
        ("/delete-datacenter", {"where": {"name": "walk-dc-2"}}),
        ("/delete-organization", {"where": {"name": "walk-org-2"}}),
        ("/create-vm-folder", [{"cluster_id": ids["cluster"], "name": "walk-folder"}]),
        ("/update-vm-folder", {"where": {"name": "walk-folder"}, "data": {"name": "walk-folder-2"}}),
        ("/add-vm-to-folder", {"where": {"name": "test-01"}, "data": {"folder_id": "@walk-folder"}}),
        ("/remove-vm-from-folder", {"where": {"name": "test-01"}}),
        ("/delete-vm-folder", {"where": {"name": "walk-folder-2"}}),
        ("/create-vm-snapshot", {"data": [{"vm_id": ids["test-01"], "name": "walk-snap"}]}),
        ("/rollback-vm", {"where": {"name": "test-01"}, "data": {"snapshot_id": "@walk-snap"}}),
        ("/rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": "@walk-snap", "name": "walk-rebuilt"}]),
        ("/delete-vm-snapshot", {"where": {"name": "walk-snap"}}),
        ("/clone-vm-template-from-vm", [{"vm_id": ids["test-01"], "name": "walk-tpl",
                                         "cloud_init_supported": False}]),
        ("/update-vm-template", {"where": {"name": "walk-tpl"}, "data": {"description": "walked"}}),
        ("/create-vm-from-template", [{"template_id": "@walk-tpl", "name": "walk-from-tpl", "is_full_copy": True}]),
        ("/convert-vm-template-to-vm", [{"converted_from_template_id": "@walk-tpl", "name": "walk-converted"}]),
        ("/convert-vm-template-from-vm", [{"vm_id": "@walk-converted", "name": "walk-tpl-2",
                                           "cloud_init_supported": True}]),
        ("/delete-vm-template", {"where": {"name": "walk-tpl-2"}}),
        ("/clone-vm", [{"src_vm_id": ids["test-01"], "name": "walk-clone", "is_full_copy": False}]),
        ("/clone-content-library-vm-template-from-vm", [{"vm": {"id": ids["test-01"]}, "name": "walk-lib",
                                                         "clusters": {"id": ids["cluster"]}}]),
        ("/update-content-library-vm-template", {"where": {"name": "walk-lib"}, "data": {"description": "walked"}}),
        ("/distribute-content-library-vm-template-clusters", {"where": {"name": "walk-lib"},
                                                              "data": {"clusters": {"id": ids["cluster"]}}}),
        ("/create-vm-from-content-library-template", [{"template_id": "@walk-lib", "cluster_id": ids["cluster"],
                                                       "name": "walk-from-lib", "is_full_copy": False}]),
        ("/create-vm-from-content-library-template-batch", {"template_id": "@walk-lib", "vms": [
            {"cluster_id": ids["cluster"], "name": f"walk-batch-{i}", "is_full_copy": True} for i in range(2)]}),
        ("/convert-content-library-vm-template-from-vm", [{"vm": {"id": "@walk-clone"}, "name": "walk-lib-2",
                                                           "clusters": {"id": ids["cluster"]}}]),
        ("/delete-content-library-vm-template", {"where": {"name_in": ["walk-lib", "walk-lib-2"]}}),
        ("/move-vm-to-recycle", {"where": {"name": "build-01"}}),
        ("/recover-vm-from-recycle", {"where": {"name": "build-01"}}),
        ("/create-vm-volume", [{"cluster_id": ids["cluster"], "name": "walk-volume", "size": GiB, "sharing": False,
                                "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}]),
        ("/shutdown-vm", {"where": {"name": "web-01"}}),
        ("/suspend-vm", {"where": {"name": "web-02"}}),
        ("/resume-vm", {"where": {"name": "cache-01"}}),
        ("/start-vm", {"where": {"name": "test-01"}}),
        ("/start-vm", {"where": {"name": "build-01"}, "data": {"host_id": h["node-3"]}}),
        ("/restart-vm", {"where": {"name": "app-01"}}),
        ("/force-restart-vm", {"where": {"name": "app-02"}}),
        ("/poweroff-vm", {"where": {"name": "web-03"}}),
        ("/update-vm-basic-info", {"where": {"name": "web-03"}, "data": {"ha": False}}),
        ("/add-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 3}]}),
        ("/remove-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 1}]}),
        ("/migrate-vm", {"where": {"name": "monitor-01"}, "data": {"host_id": h["node-3"]}}),
        ("/delete-vm", {"where": {"name": "template-builder"}, "effect": {"include_snapshots": True}}),
        ("/create-vm", [{"name": "new-01", "cluster_id": ids["cluster"], "status": "STOPPED", "firmware": "BIOS",
                         "ha": True, "vm_nics": [], "vm_disks": {}, "memory": 2 * GiB, "cpu_cores": 1,
                         "cpu_sockets": 1}]),
        ("/enter-maintenance-mode-precheck", {"where": {"id": h["node-3"]}}),
        ("/enter-maintance-mode-precheck-result", {"where": {"task_id": "@last-task"}}),
        ("/enter-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {"shutdown_vms": []}}),
        ("/exit-maintance-mode-precheck-result", {"where": {"id": h["node-3"]}}),
        ("/exit-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {}}),
        ("/connect-cluster", [{"ip": "10.20.0.10", "username": "admin", "password": "edge-pass",
                               "datacenter_id": ""}]),
        ("/update-cluster", {"where": {"name": "smtx-edge"}, "data": {
            "ip": "10.20.0.10", "username": "admin", "password": "edge-pass", "datacenter_id": ids["dc"]}}),
        ("/delete-cluster", {"where": {"name": "smtx-edge"}}),
    ]



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
    walked = {op for op, _ in _walk_steps(ids)}
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
    ids = {"hosts": {h["name"]: h["id"] for h in api.ok("get-hosts")}, "cluster": api.ok("get-clusters")[0]["id"]}
    ids.update(vlan=api.ok("get-vlans", {"where": {"name": "vlan-100"}})[0]["id"], vds=api.ok("get-vdses")[0]["id"],
               disk=api.ok("get-vm-disks", {"where": {"vm": {"name": "web-01"}, "type": "DISK"}})[0]["id"],
               vgpu=api.ok("get-gpu-devices", {"where": {"user_usage": "VGPU"}})[0]["id"],
               free_nics=[n["id"] for n in api.ok("get-nics", {"where": {"name_in": ["eth4", "eth5"]}})],
               org=api.ok("get-organizations")[0]["id"], dc=api.ok("get-datacenters")[0]["id"],
               **{"test-01": api.ok("get-vms", {"where": {"name": "test-01"}})[0]["id"]})
    served = simulated(version)
    last_task = None
    seen_task_states = set()
    for op, body in _walk_steps(ids):
        if op not in served:  # an operation this version does not have
            continue
        if isinstance(body, dict) and body.get("where", {}).get("task_id") == "@last-task":
            body = {"where": {"task_id": last_task}}
        for marker, kind in (("@walk-tpl", "vm-templates"), ("@walk-converted", "vms"), ("@walk-clone", "vms"),
                             ("@walk-lib", "content-library-vm-templates")):
            if marker in json.dumps(body):
                found = api.ok(f"get-{kind}", {"where": {"name": marker[1:]}})[0]["id"]
                body = json.loads(json.dumps(body).replace(f'"{marker}"', f'"{found}"'))
        if "@walk-snap" in json.dumps(body):
            snap = api.ok("get-vm-snapshots", {"where": {"name": "walk-snap"}})[0]["id"]
            body = json.loads(json.dumps(body).replace("@walk-snap", snap))
        if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"].get("folder_id"):
            body = {**body, "data": {"folder_id": api.ok("get-vm-folders", {"where": {"name_starts_with":
                                                                                     "walk-folder"}})[0]["id"]}}
        status, data, r = api(op[1:], body)
        check_request_id(r)
        assert status == 200, (op, body, data)
        upstream.validate(op, 200, data)
        tasks = [data] if isinstance(data, dict) else data
        last_task = next((t["task_id"] for t in tasks if isinstance(t, dict) and t.get("task_id")), last_task)
        _validate_world(api, upstream, f"{op} (queued)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 0.6}).status_code == 200
        _validate_world(api, upstream, f"{op} (started)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
        _validate_world(api, upstream, f"{op} (settled)")
    assert {"PENDING", "EXECUTING", "SUCCESSED"} <= seen_task_states
