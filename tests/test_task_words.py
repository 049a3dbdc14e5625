"""Tasks as a real tower words and records them (issue 30, item 4). SmartX's Cluster API provider (CAPE) matches a
task's `description` by substring (../shared/reference/cape.md, "Strings CAPE matches"): each operation it tracks
must carry its words, or CAPE's first-boot tracking and its handling of failed creates and edits never fire. Every
task names the object it acts on and the lowerCamel mutation (dependents.md)."""

from __future__ import annotations

import pytest

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, GiB, Api, capes_params, make_client


@pytest.fixture
def made():
    """A machine as CAPE makes it from the default world's content-library template, and its task."""
    api = Api(make_client())
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    [answer] = api.done(api.ok("create-vm-from-content-library-template",
                               [capes_params(template, cluster, "sks-w-1", vlan)]))
    return api, api.vm("sks-w-1"), api.task(answer["task_id"])


def task_of(api, answers) -> dict:
    answers = answers if isinstance(answers, list) else [answers]
    [task] = [api.task(a["task_id"]) for a in api.done(answers)]
    return task


def test_a_create_reads_create_a_vm_and_names_the_vm_it_made(made):
    api, vm, task = made
    assert "Create a VM" in task["description"] and "sks-w-1" in task["description"]
    assert (task["resource_type"], task["resource_id"], task["resource_mutation"]) == (
        "Vm", vm["id"], "createVmFromContentLibraryTemplate")
    plain = task_of(api, api.ok("create-vm", [{"cluster_id": vm["cluster"]["id"], "name": "plain", "memory": GiB,
                                               "cpu_cores": 1, "cpu_sockets": 1, "ha": False, "firmware": "BIOS",
                                               "status": "STOPPED", "vm_nics": [], "vm_disks": {}}]))
    assert "Create a VM" in plain["description"] and plain["resource_mutation"] == "createVm"


def test_a_start_reads_start_vm_and_an_edit_edit_vm(made):
    api, vm, _ = made
    where = {"where": {"OR": [{"local_id": vm["local_id"]}, {"id": vm["id"]}]}}
    started = task_of(api, api.ok("start-vm", where))
    assert "Start VM" in started["description"] and started["resource_mutation"] == "startVm"
    grown = task_of(api, api.ok("update-vm-basic-info", {"where": {"id": vm["id"]}, "data": {"vcpu": 8,
                                                                                          "cpu_cores": 4}}))
    assert "Edit VM" in grown["description"] and grown["resource_id"] == vm["id"]


def test_a_disk_edit_reads_exactly_edit_vm_name_disk_and_a_volume_edit_update_virtual_volume(made):
    api, vm, _ = made
    [disk] = api.ok("get-vm-disks", {"where": {"vm": {"id": vm["id"]}, "type": "DISK"}, "orderBy": "boot_ASC",
                                     "first": 1})
    expanded = task_of(api, api.ok("expand-vm-disk", {"where": {"id": disk["id"]}, "size": 80 * GiB}))
    assert expanded["description"] == "Edit VM sks-w-1 disk"  # CAPE compares it whole
    volume = api.one("vm-volumes", {"vm_disks_some": {"id": disk["id"]}})
    resized = task_of(api, api.ok("update-vm-volume", {"where": {"id": volume["id"]}, "data": {"size": 100 * GiB}}))
    assert "Update virtual volume" in resized["description"] and resized["resource_type"] == "VmVolume"


def test_a_migration_says_whether_it_is_live_or_cold():
    api = Api(make_client())
    running, stopped = api.vm("web-01"), api.vm("test-01")
    for vm, how in ((running, "performing a live migration"), (stopped, "performing a cold migration")):
        other = next(h for h in api.ok("get-hosts") if vm["host"] is None or h["id"] != vm["host"]["id"])
        task = task_of(api, api.ok("migrate-vm", {"where": {"id": vm["id"]}, "data": {"host_id": other["id"]}}))
        assert how in task["description"] and vm["name"] in task["description"], task["description"]


def test_placement_group_tasks_read_vm_placement_group():
    api = Api(make_client())
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.ok("create-vm-placement-group", [{"name": "cape-managed-x", "cluster_id": cluster, "enabled": True,
                                                   "vm_vm_policy_enabled": True, "vm_vm_policy": "PREFER_DIFFERENT"}])
    edit = api.ok("update-vm-placement-group", {"where": {"id": made["data"]["id"]}, "data": {"enabled": False}})
    for answers in ([made], edit):
        assert "VM placement group" in task_of(api, answers)["description"]


def test_what_a_task_acts_on_shows_it_until_the_task_is_done():
    """entityAsyncStatus: CAPE issues nothing to a VM, volume or placement group while it is non-null."""
    api = Api(make_client(Settings(task_mode="manual", start_time=PINNED_START)))
    vm = api.vm("test-01")
    [disk] = api.ok("get-vm-disks", {"where": {"vm": {"id": vm["id"]}, "type": "DISK"}})
    volume = api.one("vm-volumes", {"vm_disks_some": {"id": disk["id"]}})
    api.ok("start-vm", {"where": {"id": vm["id"]}})
    api.ok("update-vm-volume", {"where": {"id": volume["id"]}, "data": {"description": "resized"}})
    assert api.vm("test-01")["entityAsyncStatus"] == "UPDATING"
    assert api.one("vm-volumes", {"id": volume["id"]})["entityAsyncStatus"] == "UPDATING"
    api.clock(advance=60)
    assert api.vm("test-01")["entityAsyncStatus"] is None and api.vm("test-01")["status"] == "RUNNING"
    assert api.one("vm-volumes", {"id": volume["id"]})["entityAsyncStatus"] is None
    api.ok("poweroff-vm", {"where": {"id": vm["id"]}})
    api.clock(advance=60)
    api.ok("delete-vm", {"where": {"id": vm["id"]}})
    assert api.vm("test-01")["entityAsyncStatus"] == "DELETING"
    api.clock(advance=60)
    assert api.ok("get-vms", {"where": {"id": vm["id"]}}) == []
