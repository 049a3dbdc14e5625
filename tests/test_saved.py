"""The whole world written and read back (issue 32; domain/saved.py): a world holding every kind, built through the
API, answers every read byte for byte as it did; its ids, clock and guests go on as they would have; a running task
is failed through its own failure path first; a file of another format or a broken one is refused."""

from __future__ import annotations

import json
import re

import pytest

from cloudtower_sim.mock_server.domain import saved
from cloudtower_sim.mock_server.domain.model import KINDS
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import READS, TOKEN, Api, make_client, walk_body, walk_ids, walk_steps, walk_task


def reads(client) -> dict:
    """Every read's answer as bytes: each kind's get-x and get-x-connection, the clock and GraphQL's reads."""
    out = {path: client.post(f"/v2/api{path}", json={}, headers={"Authorization": TOKEN}).get_data()
           for path in READS}
    out["/_sim/clock"] = client.get("/_sim/clock").get_data()
    out["/api"] = client.post("/api", json={"query": "{vms{id name vm_nics{id vlan{name}}} tasks{id status}}"},
                              headers={"Authorization": TOKEN}).get_data()
    return out


def written_and_read_back(client):
    """The client's world replaced by itself, written to JSON text and read back; the world it replaced."""
    sim = client.sim
    original = sim.world
    with sim.session(read=True) as world:
        text = json.dumps(saved.dump(world), separators=(",", ":"))
    sim.adopt(saved.load(json.loads(text), sim.spec.filters))
    return original


@pytest.fixture(scope="module")
def walked():
    """The default world after every mutation once (the walk), each settled: every kind of object there is."""
    client = make_client(Settings(task_mode="manual"))
    api = Api(client)
    ids, last_task = walk_ids(api), None
    for op, body in walk_steps(ids):
        if op == "/delete-cluster":  # keep the cluster the walk connects
            continue
        status, data, _ = api(op[1:], walk_body(api, body, last_task))
        assert status == 200, (op, data)
        last_task = walk_task(data, last_task)
        api.clock(advance=3600)
    return client


def test_a_world_of_every_kind_answers_every_read_byte_for_byte_once_read_back(walked):
    world = walked.sim.world
    empty = [name for name, kind in KINDS.items() if not getattr(world, kind.table)]
    assert empty == ["Zone"]  # (zones: the stretched world below) the walk made every other kind
    before = reads(walked)
    original = written_and_read_back(walked)
    assert walked.sim.world is not original
    after = reads(walked)
    assert [p for p in before if before[p] != after[p]] == []
    # and it goes on as the original would have: the same next ids, stamps and answers
    api = Api(walked)
    made = [api("clone-vm", [{"src_vm_id": api.vm("db-01")["id"], "name": "after", "is_full_copy": True}])[1],
            api.clock(advance=60), reads(walked)]
    walked.sim.adopt(original)
    again = [api("clone-vm", [{"src_vm_id": api.vm("db-01")["id"], "name": "after", "is_full_copy": True}])[1],
             api.clock(advance=60), reads(walked)]
    assert made == again


def test_a_stretched_world_keeps_its_zones(tmp_path):
    scenario = tmp_path / "stretched.yaml"
    scenario.write_text(f"users: [{{username: root, password: pw, tokens: [{TOKEN}]}}]\n"
                        "clusters:\n  - name: metro\n    datacenter: dc\n    stretch: true\n    hosts:\n"
                        "      - {name: a, memory_gib: 64, zone: preferred}\n"
                        "      - {name: b, memory_gib: 64, zone: secondary}\n")
    client = make_client(Settings(scenario=str(scenario), start_time="2026-01-01T08:00:00Z"))
    before = reads(client)
    written_and_read_back(client)
    assert len(json.loads(before["/get-zones"])) == 2 and reads(client) == before


def test_a_running_task_is_failed_through_its_own_failure_path_before_the_world_is_written():
    client = make_client(Settings(task_mode="manual"))
    api = Api(client)
    [answer] = api.ok("create-vm", [{"cluster_id": api.one("clusters", "smtx-prod")["id"], "name": "half-made",
                                     "memory": 2**30, "cpu_cores": 1, "cpu_sockets": 1, "ha": False,
                                     "firmware": "BIOS", "status": "RUNNING", "vm_nics": [], "vm_disks": {}}])
    api.ok("start-vm", {"where": {"name": "test-01"}})
    world = client.sim.world
    with pytest.raises(saved.SavedError, match="a task is running"):
        saved.dump(world)
    with client.sim.session() as world:
        assert saved.interrupt(world) == 2
    task = api.task(answer["task_id"])
    assert (task["status"], task["error_code"]) == ("FAILED", saved.INTERRUPTED) and "restarted" in task["error_message"]
    # create-vm's own failure path ran: the VM stays, no longer CREATING, as a failed create leaves it
    assert api.vm("half-made")["entityAsyncStatus"] is None
    assert api.vm("test-01")["entityAsyncStatus"] is None
    written_and_read_back(client)
    api.ok("start-vm", {"where": {"name": "test-01"}})  # no lock is left behind


def test_a_booting_guest_comes_up_when_it_would_have():
    client = make_client(Settings(task_mode="manual"))
    api = Api(client)
    api.ok("start-vm", {"where": {"name": "test-01"}})
    api.clock(advance=10)  # started, its guest booting
    assert api.vm("test-01")["status"] == "RUNNING" and api.vm("test-01")["vm_tools_status"] != "RUNNING"
    written_and_read_back(client)
    api.clock(advance=30)
    assert api.vm("test-01")["vm_tools_status"] == "RUNNING"


@pytest.mark.parametrize("data, named", [
    ({"format": 1}, "format 2 (format 1)"),
    ([], "format 2 (format None)"),
    ({"format": 2}, "does not hold together: KeyError"),
])
def test_a_file_of_another_format_or_a_broken_one_is_refused(data, named):
    with pytest.raises(saved.SavedError, match=re.escape(named)):
        saved.load(data)


def test_a_reference_to_nothing_is_refused():
    client = make_client()
    data = saved.dump(client.sim.world)
    data["kinds"]["Vm"][0]["cluster"] = {"$": "Cluster", "id": "gone"}
    with pytest.raises(saved.SavedError, match="gone"):
        saved.load(data)

