"""VM templates (domain/templates.py): cloned and converted from VMs, VMs made of them, edited and deleted."""

from __future__ import annotations

from .conftest import PINNED_START
from .test_bad_input import snapshot

GIB = 1024**3


def one(api, kind, name):
    [found] = api.ok(f"get-{kind}", {"where": {"name": name}})
    return found


def test_a_template_round_trip_clone_create_convert_back(api):
    base = one(api, "vm-templates", "centos-7-template")  # the default world's, made of template-builder
    assert (base["memory"], base["vcpu"], base["cloud_init_supported"]) == (8 * GIB, 2, True)
    [made] = api.done(api.ok("create-vm-from-template", [{"template_id": base["id"], "name": "web-04",
                                                           "is_full_copy": False, "memory": 4, "memory_unit": "GB",
                                                           "status": "RUNNING"}]))
    vm = one(api, "vms", "web-04")
    assert (vm["memory"], vm["vcpu"], vm["status"], len(vm["vm_disks"]), len(vm["vm_nics"])) == (
        4 * GIB, 2, "RUNNING", len(base["vm_disks"]), len(base["vm_nics"]))
    assert made["data"]["id"] == vm["id"]

    source = one(api, "vms", "test-01")
    [cloned] = api.done(api.ok("clone-vm-template-from-vm", [{"vm_id": source["id"], "name": "test-tpl",
                                                              "cloud_init_supported": False}]))
    assert one(api, "vms", "test-01")["id"] == source["id"]  # a clone leaves the VM
    [converted] = api.done(api.ok("convert-vm-template-from-vm", [{"vm_id": source["id"], "name": "test-tpl-2",
                                                                   "cloud_init_supported": False}]))
    assert api.ok("get-vms", {"where": {"name": "test-01"}}) == []  # converted: no VM any more
    assert converted["data"]["vm_disks"] == cloned["data"]["vm_disks"]
    api.done(api.ok("convert-vm-template-to-vm", [{"converted_from_template_id": converted["data"]["id"],
                                                    "name": "test-01"}]))
    assert one(api, "vms", "test-01")["memory"] == source["memory"]
    assert api.ok("get-vm-templates", {"where": {"name": "test-tpl-2"}}) == []  # the template became the VM
    api.done(api.ok("update-vm-template", {"where": {"name": "test-tpl"}, "data": {"name": "test-golden"}}))
    api.done(api.ok("delete-vm-template", {"where": {"name": "test-golden"}}))
    # what is left: the default world's template, and its content library template's copy (test_content_library.py)
    assert [t["name"] for t in api.ok("get-vm-templates")] == ["centos-7-template", "k8s-node-template"]


def test_what_a_template_cannot_do_is_refused_and_changes_nothing(api):
    web, base = one(api, "vms", "web-01"), one(api, "vm-templates", "centos-7-template")
    test = one(api, "vms", "test-01")
    before = snapshot(api.client)
    for op, body, status, words in (
            ("clone-vm-template-from-vm", [{"vm_id": web["id"], "name": "t", "cloud_init_supported": False}], 400,
             "web-01 is RUNNING"),
            ("clone-vm-template-from-vm", [{"vm_id": test["id"], "name": "centos-7-template",
                                            "cloud_init_supported": False}], 400, "already has a VM template"),
            ("clone-vm-template-from-vm", [{"vm_id": "nope", "name": "t", "cloud_init_supported": False}], 404,
             "[0].vm_id"),
            ("create-vm-from-template", [{"template_id": "nope", "name": "x", "is_full_copy": True}], 404,
             "[0].template_id"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "web-01", "is_full_copy": True}], 400,
             "already has a VM named"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "disk_operate": {"remove_disks": {"disk_index": [9]}}}], 400,
             "[0].disk_operate.remove_disks.disk_index[0]: template centos-7-template has no disk 9"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "disk_operate": {"modify_disks": [{"disk_index": 0, "vm_volume_id": "v"}]}}],
             400, "[0].disk_operate.modify_disks[0].vm_volume_id"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "vm_nics": [{"connect_vlan_id": "v", "ip_address": "10.0.0.9"}]}],
             400, "[0].vm_nics[0].ip_address"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "disk_operate": {"new_disks": {"mount_new_create_disks": [{
                                              "boot": 0, "bus": "VIRTIO", "vm_volume": {
                                                  "name": "x-1", "size": 1, "path": "/nope",
                                                  "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}}], 400,
             "vm_volume.path: template centos-7-template has no disk at '/nope'"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "cloud_init": {"networks": [{"nic_index": 5, "type": "IPV4_DHCP"}]}}],
             400, "[0].cloud_init.networks[0].nic_index"),
            ("create-vm-from-template", [{"template_id": base["id"], "name": "x", "is_full_copy": True,
                                          "max_iops": 100}], 400, "[0].max_iops"),
            ("convert-vm-template-to-vm", [{"converted_from_template_id": base["id"], "name": "a"},
                                           {"converted_from_template_id": base["id"], "name": "b"}], 400,
             "names one twice")):
        code, answer, _ = api(op, body)
        assert (code, words in answer["message"]) == (status, True), (op, answer)
    assert snapshot(api.client) == before


def test_the_official_sdk_creates_a_vm_from_a_template(served):
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import VmApi, VmTemplateApi
    from cloudtower.utils import login, wait_tasks

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        [template] = VmTemplateApi(client).get_vm_templates({"where": {"name": "centos-7-template"}})
        made = VmApi(client).create_vm_from_template([{"template_id": template.id, "name": "sdk-from-tpl",
                                                       "is_full_copy": True}])
        wait_tasks([m.task_id for m in made], client)
        [vm] = VmApi(client).get_vms({"where": {"name": "sdk-from-tpl"}})
        assert vm.memory == template.memory and vm.status == "STOPPED"
    finally:
        client.rest_client.pool_manager.clear()
        client.close()


def test_disk_operate_changes_a_disks_bus_and_adds_a_disk(api):
    """The SDK README's disk_operate: modify_disks changes a bus (the one change it says a tower makes), new_disks
    adds."""
    base = one(api, "vm-templates", "centos-7-template")
    [disk] = [d for d in base["vm_disks"] if d["type"] == "DISK"]
    [made] = api.done(api.ok("create-vm-from-template", [{
        "template_id": base["id"], "name": "bus-vm", "is_full_copy": False, "disk_operate": {
            "modify_disks": [{"disk_index": disk["index"], "bus": "SCSI"}],
            "new_disks": {"mount_new_create_disks": [{"boot": 5, "bus": "VIRTIO", "vm_volume": {
                "name": "bus-vm-data", "size": 10, "size_unit": "GB",
                "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}}]))
    disks = api.ok("get-vm-disks", {"where": {"vm": {"id": made["data"]["id"]}, "type": "DISK"}})
    assert sorted((d["bus"], d["vm_volume"]["name"]) for d in disks) == [("SCSI", "bus-vm-0"),
                                                                          ("VIRTIO", "bus-vm-data")]
