"""A stopped VM holds no memory, so it migrates offline to a host without room for it to run, whether the request
names the host or leaves the choice to the simulator (one rule in both places)."""

import pytest

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import Api, make_client

SCENARIO = """users: [{username: root, password: r, tokens: [cloudtower-sim-root-token]}]
clusters:
  - name: c
    hosts: [{name: h1, memory_gib: 64}, {name: h2, memory_gib: 64}]
    vms:
      - {name: big, host: h1, status: STOPPED, memory_gib: 40, vcpu: 2}
      - {name: filler, host: h2, status: RUNNING, memory_gib: 40, vcpu: 2}
"""


@pytest.mark.parametrize("named", [True, False])
def test_a_stopped_vm_moves_to_a_host_without_room_to_run_it(tmp_path, named):
    path = tmp_path / "full.yaml"
    path.write_text(SCENARIO)
    api = Api(make_client(Settings(scenario=str(path))))
    h2 = api.ok("get-hosts", {"where": {"name": "h2"}})[0]
    assert h2["allocatable_memory_bytes"] - h2["running_pause_vm_memory_bytes"] < 40 * 1024**3  # no room to run
    data = {"data": {"host_id": h2["id"]}} if named else {}
    api.ok("migrate-vm", {"where": {"name": "big"}, **data})
    [big] = api.ok("get-vms", {"where": {"name": "big"}})
    assert big["host"]["name"] == "h2" and big["status"] == "STOPPED"
    [answer] = api.ok("start-vm", {"where": {"name": "big"}, "data": {"host_id": h2["id"]}})
    task = api.task(answer["task_id"])  # but it cannot run there: the scheduler's words, in its task
    assert task["status"] == "FAILED" and "HostAvailableMemoryFilter" in task["error_message"], task
    assert api.vm("big")["status"] == "STOPPED"


def test_a_running_vm_still_needs_room(tmp_path):
    path = tmp_path / "full.yaml"
    path.write_text(SCENARIO.replace("{name: big, host: h1, status: STOPPED", "{name: big, host: h1, status: RUNNING"))
    status, body, _ = Api(make_client(Settings(scenario=str(path))))("migrate-vm", {"where": {"name": "big"}})
    assert status == 400 and "40 GiB of memory free" in body["message"], body
