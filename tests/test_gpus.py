"""GPUs as SmartX's Cluster API provider uses them (domain/gpus.py): given to stopped VMs of their host, held by
running ones (a pass-through GPU by one VM at a time, a vGPU GPU up to its instances), starts that cannot have their
GPUs fail their task with the codes CAPE reads, and the two GPU reads say who has what. Every answer here is also
validated against upstream by the test client (support.py)."""

from __future__ import annotations

import pytest

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, Api, make_client
from .support import snapshot


def gpu(api, host, name):
    return api.ok("get-gpu-devices", {"where": {"host": {"name": host}, "name": name}})[0]


def stop(api, *names, ha=False):
    api.ok("poweroff-vm", {"where": {"name_in": list(names)}})
    api.ok("update-vm-basic-info", {"where": {"name_in": list(names)}, "data": {"ha": ha}})


def task_of(api, answer):
    return api.ok("get-tasks", {"where": {"id": answer[0]["task_id"]}})[0]


def test_vgpus_are_given_held_while_running_and_read_back(api):
    a16 = gpu(api, "node-3", "NVIDIA A16")
    assert (a16["user_usage"], a16["vgpu_instance_num"], a16["available_vgpus_num"]) == ("VGPU", 8, 8)
    stop(api, "web-03")
    answer = api.ok("add-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": a16["id"], "amount": 3}]})
    assert task_of(api, answer)["status"] == "SUCCESSED"
    [info] = api.ok("get-vm-gpu-device-info", {"where": {"name": "web-03"}})
    assert [(g["id"], g["vgpu_instance_on_vm_num"]) for g in info["gpu_devices"]] == [(a16["id"], 3)]
    assert gpu(api, "node-3", "NVIDIA A16")["available_vgpus_num"] == 8, "a stopped VM holds no vGPU"
    api.ok("start-vm", {"where": {"name": "web-03"}})
    seen = gpu(api, "node-3", "NVIDIA A16")
    assert (seen["assigned_vgpus_num"], seen["available_vgpus_num"]) == (3, 5)
    [detail] = api.ok("get-detail-vm-info-by-gpu-devices", {"where": {"id": a16["id"]}})
    assert [(v["name"], v["vgpu_instance_on_vm_num"], v["status"]) for v in detail["vms"]] == [("web-03", 3, "RUNNING")]
    # CAPE's query for GPUs with vGPUs left, on given hosts
    left = api.ok("get-detail-vm-info-by-gpu-devices", {"where": {"user_usage": "VGPU", "available_vgpus_num_gt": 0,
                                                                  "host": {"name_in": ["node-3"]}}})
    assert [g["id"] for g in left] == [a16["id"]]
    vm = api.ok("get-vms", {"where": {"name": "web-03"}})[0]
    assert [g["id"] for g in vm["gpu_devices"]] == [a16["id"]]
    assert api("migrate-vm", {"where": {"name": "web-03"}})[0] == 400, "a VM with a GPU is bound to its host"
    api.ok("poweroff-vm", {"where": {"name": "web-03"}})
    api.ok("remove-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": a16["id"], "amount": 1}]})
    [info] = api.ok("get-vm-gpu-device-info", {"where": {"name": "web-03"}})
    assert [g["vgpu_instance_on_vm_num"] for g in info["gpu_devices"]] == [2]
    api.ok("remove-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": a16["id"], "amount": 2}]})
    assert api.ok("get-vms", {"where": {"name": "web-03"}})[0]["gpu_devices"] == []
    assert gpu(api, "node-3", "NVIDIA A16")["vms"] == []


def test_a_pass_through_gpu_is_held_by_one_running_vm_and_a_second_start_fails_as_cape_reads_it(api):
    t4 = gpu(api, "node-3", "NVIDIA Tesla T4")
    stop(api, "web-03", "analytics-01")
    for name in ("web-03", "analytics-01"):  # two stopped VMs may both be given it
        api.ok("add-vm-gpu-device", {"where": {"name": name}, "data": [{"gpu_id": t4["id"], "amount": 1}]})
    assert sorted(v["name"] for v in gpu(api, "node-3", "NVIDIA Tesla T4")["vms"]) == ["analytics-01", "web-03"]
    api.ok("start-vm", {"where": {"name": "web-03"}})
    failed = task_of(api, api.ok("start-vm", {"where": {"name": "analytics-01"}}))
    assert failed["status"] == "FAILED" and "GPU_ASSIGN_FAILED" in failed["error_message"], failed
    assert "web-03" in failed["error_message"]
    assert api.ok("get-vms", {"where": {"name": "analytics-01"}})[0]["status"] == "STOPPED"
    api.ok("shutdown-vm", {"where": {"name": "web-03"}})
    started = task_of(api, api.ok("start-vm", {"where": {"name": "analytics-01"}}))
    assert started["status"] == "SUCCESSED", started


def test_vgpus_beyond_what_is_left_fail_the_start_with_capes_precheck_code(api):
    a16 = gpu(api, "node-3", "NVIDIA A16")
    stop(api, "web-03", "analytics-01")
    for name in ("web-03", "analytics-01"):
        api.ok("add-vm-gpu-device", {"where": {"name": name}, "data": [{"gpu_id": a16["id"], "amount": 5}]})
    api.ok("start-vm", {"where": {"name": "web-03"}})
    failed = task_of(api, api.ok("start-vm", {"where": {"name": "analytics-01"}}))
    assert failed["status"] == "FAILED", failed
    assert "PRECHECK_REQUEST_VGPU_COUNT_MORE_THAN_AVAILABLE" in failed["error_message"], failed
    assert gpu(api, "node-3", "NVIDIA A16")["available_vgpus_num"] == 3


@pytest.mark.parametrize("vm,data,named_in_message", [
    ("app-03", [{"gpu_id": "@t4", "amount": 1}], "STOPPED"),  # running
    ("test-01", [{"gpu_id": "@t4"}], "host node-3"),  # on node-1: a GPU passes through on its own host
    ("web-03-ha", [{"gpu_id": "@t4"}], "HA"),
    ("web-03", [{"gpu_id": "nope"}], "gpu_id"),
    ("web-03", [{"gpu_id": "@a16"}], "amount"),  # a vGPU GPU: how many
    ("web-03", [{"gpu_id": "@a16", "amount": 9}], "8 vGPUs"),
    ("web-03", [{"gpu_id": "@t4", "amount": 2}], "PASS_THROUGH"),
    ("web-03", [{"gpu_id": "@t4"}, {"gpu_id": "@t4"}], "twice"),
    ("template-builder", [{"gpu_id": "@t4"}], "no host"),
])
def test_adding_a_gpu_refuses_what_smtx_refuses_and_changes_nothing(api, vm, data, named_in_message):
    refs = {"@t4": gpu(api, "node-3", "NVIDIA Tesla T4")["id"], "@a16": gpu(api, "node-3", "NVIDIA A16")["id"]}
    stop(api, "web-03", ha=vm == "web-03-ha")
    api.ok("update-vm-basic-info", {"where": {"name_in": ["test-01", "template-builder"]}, "data": {"ha": False}})
    data = [{k: refs.get(v, v) for k, v in item.items()} for item in data]
    before = snapshot(api.client)
    status, answer, _ = api("add-vm-gpu-device", {"where": {"name": vm.removesuffix("-ha")}, "data": data})
    assert status in (400, 404) and named_in_message in answer["message"], answer
    assert snapshot(api.client) == before


def test_removing_a_gpu_the_vm_lacks_and_ha_with_gpus_are_refused(api):
    t4 = gpu(api, "node-4", "NVIDIA Tesla T4")  # gpu-render-01's, from the scenario
    assert [v["name"] for v in t4["vms"]] == ["gpu-render-01"]
    status, answer, _ = api("remove-vm-gpu-device", {"where": {"name": "test-01"}, "data": [{"gpu_id": t4["id"]}]})
    assert status == 400 and "has no GPU" in answer["message"], answer
    api.ok("poweroff-vm", {"where": {"name": "gpu-render-01"}})
    status, answer, _ = api("update-vm-basic-info", {"where": {"name": "gpu-render-01"}, "data": {"ha": True}})
    assert status == 400 and "cannot have HA" in answer["message"], answer


def test_create_vm_with_gpus_goes_to_their_host_and_refuses_what_it_does_not_simulate(api):
    t4 = gpu(api, "node-3", "NVIDIA Tesla T4")
    cluster = api.ok("get-clusters")[0]["id"]
    params = {"cluster_id": cluster, "name": "k8s-gpu-1", "memory": 4, "memory_unit": "GB", "cpu_cores": 2,
              "cpu_sockets": 1, "ha": False, "firmware": "UEFI", "status": "RUNNING", "vm_nics": [], "vm_disks": {},
              "gpu_devices": [{"gpu_id": t4["id"], "amount": 1}]}
    [made] = api.ok("create-vm", [params])
    vm = api.ok("get-vms", {"where": {"id": made["data"]["id"]}})[0]
    assert (vm["host"]["name"], vm["status"], [g["id"] for g in vm["gpu_devices"]]) == ("node-3", "RUNNING",
                                                                                        [t4["id"]])
    before = snapshot(api.client)
    for changed, words in (({"name": "k8s-gpu-2"}, "held by running VM k8s-gpu-1"),
                           ({"name": "k8s-gpu-3", "ha": True, "status": "STOPPED"}, "[0].gpu_devices[0]: VM"),
                           ({"name": "k8s-gpu-4", "gpu_devices": [], "pci_nics": [{"nic_id": "x"}]}, "pci_nics"),
                           ({"name": "k8s-gpu-5", "gpu_devices": [], "vm_placement_group": {"name": "f"}},
                            "vm_placement_group"),
                           ({"name": "k8s-gpu-6", "status": "STOPPED",
                             "host_id": api.ok("get-hosts", {"where": {"name": "node-1"}})[0]["id"]}, "node-1")):
        status, answer, _ = api("create-vm", [{**params, **changed}])
        assert status == 400 and words in answer["message"], (changed, answer)
    assert snapshot(api.client) == before


def test_a_gpu_edit_waits_for_the_vms_task():
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    t4 = gpu(api, "node-3", "NVIDIA Tesla T4")
    api.ok("poweroff-vm", {"where": {"name": "web-03"}})
    assert api.client.post("/_sim/clock", json={"advance": 60}).status_code == 200
    api.ok("update-vm-basic-info", {"where": {"name": "web-03"}, "data": {"ha": False}})
    assert api.client.post("/_sim/clock", json={"advance": 60}).status_code == 200
    vlan = api.ok("get-vlans", {"where": {"name": "vlan-100"}})[0]["id"]
    api.ok("add-vm-nic", {"where": {"name": "web-03"}, "data": {"vm_nics": [{"connect_vlan_id": vlan}]}})
    status, answer, _ = api("add-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": t4["id"]}]})
    assert status == 400 and answer.get("code") == "ResourceLocked", answer
