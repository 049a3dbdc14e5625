"""`/update-vm-basic-info` (UpdateVm): what changes and when, every refusal leaving the world as it was, the answer
held to the upstream spec, and the official SDK's `VmApi.update_vm` against it."""

import pytest
from cloudtower import ApiClient, Configuration
from cloudtower.api import VmApi

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import TOKEN, Api, make_client

GIB = 1024**3


def test_name_description_and_ha_change_when_the_task_step_completes(upstream):
    client = make_client(Settings(task_mode="manual"))
    api = Api(client)
    before = api.vm("web-01")
    answer = api.ok("update-vm-basic-info", {"where": {"id": before["id"]},
                                             "data": {"name": "web-01-renamed", "description": "front", "ha": False}})
    upstream.validate("/update-vm-basic-info", 200, answer)
    [started] = answer
    assert started["data"]["id"] == before["id"] and started["data"]["entityAsyncStatus"] == "UPDATING"
    assert api.vm("web-01")["description"] == before["description"]  # not yet: the task has not run
    assert client.post("/_sim/clock", json={"advance": 10}).status_code == 200
    after = api.vm("web-01-renamed")
    assert (after["id"], after["description"], after["ha"], after["entityAsyncStatus"]) == (
        before["id"], "front", False, None)
    [task] = api.ok("get-tasks", {"where": {"id": started["task_id"]}})
    assert task["status"] == "SUCCESSED" and task["key"] == "UpdateVm" and task["resource_id"] == before["id"]


def test_cpu_topology_and_memory_of_a_stopped_vm(api):
    stopped = api.vm("test-01")
    assert stopped["status"] == "STOPPED"
    api.ok("update-vm-basic-info", {"where": {"id": stopped["id"]},
                                    "data": {"cpu_sockets": 2, "cpu_cores": 3, "memory": 6, "memory_unit": "GB"}})
    after = api.vm("test-01")
    assert (after["vcpu"], after["cpu"], after["memory"]) == (6, {"cores": 3, "sockets": 2}, 6 * GIB)
    api.ok("update-vm-basic-info", {"where": {"id": stopped["id"]}, "data": {"vcpu": 8}})  # the sockets stay
    assert api.vm("test-01")["cpu"] == {"cores": 4, "sockets": 2}
    api.ok("update-vm-basic-info", {"where": {"id": stopped["id"]}, "data": {"cpu_sockets": 1}})  # the cores stay
    assert (api.vm("test-01")["vcpu"], api.vm("test-01")["cpu"]) == (4, {"cores": 4, "sockets": 1})


def test_every_matched_vm_gets_its_own_task(api):
    answer = api.ok("update-vm-basic-info", {"where": {"name_starts_with": "web-"}, "data": {"description": "web"}})
    assert len(answer) == len({a["task_id"] for a in answer}) >= 2
    assert {v["description"] for v in api.ok("get-vms", {"where": {"name_starts_with": "web-"}})} == {"web"}
    assert api.ok("update-vm-basic-info", {"where": {"name": "nope"}, "data": {"ha": True}}) == []


@pytest.mark.parametrize("where,data,named", [
    ({"name": "web-01"}, {"memory": 8, "memory_unit": "GB"}, "only grows (hot-add)"),
    ({"name": "web-01"}, {"vcpu": 2, "cpu_cores": 2}, "vCPUs only grow (hot-add)"),
    ({"name": "web-02"}, {"memory": 200, "memory_unit": "GB"}, "host node-1 has"),
    ({"name": "cache-01"}, {"vcpu": 8, "cpu_cores": 8}, "SUSPENDED"),
    ({"name": "test-01"}, {"vcpu": 6, "cpu_cores": 4, "cpu_sockets": 2}, "data.vcpu: expected cpu_cores x cpu_sockets"),
    ({"name": "test-01"}, {"memory": 0}, "data.memory: expected a positive number"),
    ({"name": "test-01"}, {"memory_unit": "GB"}, "data.memory_unit: given without data.memory"),
    ({"name": "test-01"}, {"name": "web-02"}, "already has a VM named 'web-02'"),
    ({"name": "test-01"}, {"name": "  "}, "data.name: expected a non-empty name"),
    ({"name_starts_with": "web-"}, {"name": "same"}, "one name cannot go to all of them"),
    ({"name": "test-01"}, {"cpu_sockets": 2, "vcpu": 3}, "data.vcpu: expected a multiple of the VM's 2 CPU"),
])
def test_refusals_name_the_field_and_change_nothing(api, client, where, data, named):
    before = api.ok("get-vms", {})
    tasks = api.ok("get-tasks", {})
    status, body, _ = api("update-vm-basic-info", {"where": where, "data": data})
    assert status == 400 and named in body["message"], body
    assert api.ok("get-vms", {}) == before and api.ok("get-tasks", {}) == tasks


def test_a_vm_a_task_works_on_is_locked(client):
    client = make_client(Settings(task_mode="manual"))
    api = Api(client)
    api.ok("shutdown-vm", {"where": {"name": "web-01"}})
    status, body, _ = api("update-vm-basic-info", {"where": {"name": "web-01"}, "data": {"ha": False}})
    assert status == 400 and body["code"] == "ResourceLocked", body


def test_a_running_vm_grows_its_vcpus_and_memory_in_place(api):
    """Hot-add, as SmartX's Cluster API provider does it: more vCPUs and memory for a running VM, which keeps running
    on its host and holds the added memory there."""
    before = api.vm("web-03")
    host = api.ok("get-hosts", {"where": {"id": before["host"]["id"]}})[0]
    api.ok("update-vm-basic-info", {"where": {"id": before["id"]}, "data": {"vcpu": 8, "cpu_cores": 8, "cpu_sockets": 1,
                                                                           "memory": 24, "memory_unit": "GB"}})
    after = api.vm("web-03")
    assert (after["status"], after["host"]["id"], after["vcpu"], after["memory"]) == (
        "RUNNING", host["id"], 8, 24 * 1024**3)
    grown = api.ok("get-hosts", {"where": {"id": host["id"]}})[0]
    assert grown["running_pause_vm_memory_bytes"] - host["running_pause_vm_memory_bytes"] == 8 * 1024**3


def test_a_running_vm_whose_cpu_was_refused_can_be_changed_once_stopped(api):
    web = api.vm("web-02")
    assert api("update-vm-basic-info", {"where": {"id": web["id"]}, "data": {"vcpu": 2}})[0] == 400
    api.ok("poweroff-vm", {"where": {"id": web["id"]}})
    api.ok("update-vm-basic-info", {"where": {"id": web["id"]}, "data": {"vcpu": 2, "cpu_sockets": 1}})
    assert api.vm("web-02")["cpu"] == {"cores": 2, "sockets": 1}


def test_the_official_sdk_updates_a_vm(served):
    s = served()
    sdk = ApiClient(Configuration(host=s.base_url))
    sdk.configuration.api_key["Authorization"] = TOKEN
    vms = VmApi(sdk)
    [target] = vms.get_vms({"where": {"name": "db-01"}})
    [answer] = vms.update_vm({"where": {"id": target.id}, "data": {"description": "primary, via the SDK"}})
    assert answer.data.id == target.id and answer.task_id
    [after] = vms.get_vms({"where": {"id": target.id}})
    assert after.description == "primary, via the SDK"
