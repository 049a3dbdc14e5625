"""VM templates (domain/templates.py): cloned and converted from VMs, VMs made of them, edited and deleted; and
clone-vm, a VM made of a VM."""

from __future__ import annotations

from .support import PINNED_START, SDK_POLL
from .support import snapshot

GIB = 1024**3


def test_a_template_round_trip_clone_create_convert_back(api):
    base = api.one("vm-templates", "centos-7-template")  # the default world's, made of template-builder
    assert (base["memory"], base["vcpu"], base["cloud_init_supported"]) == (8 * GIB, 2, True)
    [made] = api.done(api.ok("create-vm-from-template", [{"template_id": base["id"], "name": "web-04",
                                                           "is_full_copy": False, "memory": 4, "memory_unit": "GB",
                                                           "status": "RUNNING"}]))
    vm = api.one("vms", "web-04")
    assert (vm["memory"], vm["vcpu"], vm["status"], len(vm["vm_disks"]), len(vm["vm_nics"])) == (
        4 * GIB, 2, "RUNNING", len(base["vm_disks"]), len(base["vm_nics"]))
    assert made["data"]["id"] == vm["id"]

    source = api.one("vms", "test-01")
    [cloned] = api.done(api.ok("clone-vm-template-from-vm", [{"vm_id": source["id"], "name": "test-tpl",
                                                              "cloud_init_supported": False}]))
    assert api.one("vms", "test-01")["id"] == source["id"]  # a clone leaves the VM
    [converted] = api.done(api.ok("convert-vm-template-from-vm", [{"vm_id": source["id"], "name": "test-tpl-2",
                                                                   "cloud_init_supported": False}]))
    assert api.ok("get-vms", {"where": {"name": "test-01"}}) == []  # converted: no VM any more
    assert converted["data"]["vm_disks"] == cloned["data"]["vm_disks"]
    api.done(api.ok("convert-vm-template-to-vm", [{"converted_from_template_id": converted["data"]["id"],
                                                    "name": "test-01"}]))
    assert api.one("vms", "test-01")["memory"] == source["memory"]
    assert api.ok("get-vm-templates", {"where": {"name": "test-tpl-2"}}) == []  # the template became the VM
    api.done(api.ok("update-vm-template", {"where": {"name": "test-tpl"}, "data": {"name": "test-golden"}}))
    api.done(api.ok("delete-vm-template", {"where": {"name": "test-golden"}}))
    # what is left: the default world's template, and its content library template's copy (test_content_library.py)
    assert [t["name"] for t in api.ok("get-vm-templates")] == ["centos-7-template", "k8s-node-template"]


def test_what_a_template_cannot_do_is_refused_and_changes_nothing(api):
    web, base = api.one("vms", "web-01"), api.one("vm-templates", "centos-7-template")
    test = api.one("vms", "test-01")
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
        wait_tasks([m.task_id for m in made], client, interval=SDK_POLL)
        [vm] = VmApi(client).get_vms({"where": {"name": "sdk-from-tpl"}})
        assert vm.memory == template.memory and vm.status == "STOPPED"
        cloned = VmApi(client).clone_vm([{"src_vm_id": vm.id, "name": "sdk-clone", "is_full_copy": False}])
        wait_tasks([c.task_id for c in cloned], client, interval=SDK_POLL)
        [clone] = VmApi(client).get_vms({"where": {"name": "sdk-clone"}})
        assert (clone.memory, clone.vcpu, clone.id) == (vm.memory, vm.vcpu, cloned[0].data.id)
    finally:
        client.rest_client.pool_manager.clear()
        client.close()


def test_disk_operate_changes_a_disks_bus_and_adds_a_disk(api):
    """The SDK README's disk_operate: modify_disks changes a bus (the one change it says a tower makes), new_disks
    adds."""
    base = api.one("vm-templates", "centos-7-template")
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


def test_clone_vm_copies_a_stopped_vm_with_new_volumes_and_macs(api):
    source = api.one("vms", "template-builder")
    [made] = api.done(api.ok("clone-vm", [{"src_vm_id": source["id"], "name": "builder-2", "is_full_copy": True}]))
    clone = api.one("vms", "builder-2")
    assert (clone["vcpu"], clone["memory"], clone["status"], clone["id"]) == (
        source["vcpu"], source["memory"], "STOPPED", made["data"]["id"])
    def devices(vm):
        disks = api.ok("get-vm-disks", {"where": {"vm": {"id": vm["id"]}}, "orderBy": "boot_ASC"})
        nics = api.ok("get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})
        return disks, nics
    (disks, nics), (old_disks, old_nics) = devices(clone), devices(source)
    assert [d["type"] for d in disks] == [d["type"] for d in old_disks]
    volumes = {d["vm_volume"]["id"] for d in disks if d["vm_volume"]}
    assert volumes and volumes.isdisjoint({d["vm_volume"]["id"] for d in old_disks if d["vm_volume"]})
    assert [n["vlan"]["id"] for n in nics] == [n["vlan"]["id"] for n in old_nics]
    assert {n["mac_address"] for n in nics}.isdisjoint({n["mac_address"] for n in old_nics})


def test_terraforms_clone_gives_the_whole_disks_copying_by_path(api):
    """resource_vm.go cloneVmFromSourceVm: vm_disks are the clone's disks; a path names the source volume copied."""
    source = api.one("vms", "template-builder")
    [volume] = api.ok("get-vm-volumes", {"where": {"vm_disks_some": {"vm": {"id": source["id"]}}}})
    vlan = api.ok("get-vlans", {"where": {"name": "vlan-200"}})[0]
    [made] = api.done(api.ok("clone-vm", [{
        "src_vm_id": source["id"], "name": "tf-clone", "cluster_id": source["cluster"]["id"], "vcpu": 4,
        "cpu_cores": 2, "cpu_sockets": 2, "memory": 4 * GIB, "ha": False, "firmware": "BIOS", "status": "RUNNING",
        "vm_nics": [{"connect_vlan_id": vlan["id"], "model": "E1000"}],
        "vm_disks": {"mount_new_create_disks": [{"boot": 0, "bus": "VIRTIO", "vm_volume": {
            "name": "tf-clone-1", "size": volume["size"] * 2, "path": volume["path"],
            "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}]))
    clone = api.one("vms", "tf-clone")
    assert (clone["vcpu"], clone["memory"], clone["status"], clone["ha"]) == (4, 4 * GIB, "RUNNING", False)
    [copy] = api.ok("get-vm-volumes", {"where": {"vm_disks_some": {"vm": {"id": made["data"]["id"]}}}})
    assert (copy["name"], copy["size"]) == ("tf-clone-1", volume["size"] * 2) and copy["id"] != volume["id"]
    assert api.ok("get-vm-disks", {"where": {"vm": {"id": clone["id"]}, "type": "CD_ROM"}}) == []
    [nic] = api.ok("get-vm-nics", {"where": {"vm": {"id": clone["id"]}}})
    assert (nic["vlan"]["name"], nic["model"]) == ("vlan-200", "E1000")


def test_what_a_clone_cannot_do_is_refused_and_changes_nothing(api):
    web, source = api.one("vms", "web-01"), api.one("vms", "template-builder")
    before = snapshot(api.client)
    for body, status, words in (
            ({"src_vm_id": web["id"], "name": "x"}, 400, "web-01 is RUNNING"),
            ({"src_vm_id": "nope", "name": "x"}, 404, "[0].src_vm_id"),
            ({"src_vm_id": source["id"], "name": "web-01"}, 400, "already has a VM named"),
            ({"src_vm_id": source["id"], "name": "x", "cluster_id": "elsewhere"}, 400, "[0].cluster_id"),
            ({"src_vm_id": source["id"], "name": "x", "vm_disks": {"mount_new_create_disks": [{
                "boot": 0, "bus": "VIRTIO", "vm_volume": {"name": "x-1", "size": 1, "path": "/zbs/nope",
                                                          "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}},
             400, "has no disk at '/zbs/nope'")):
        code, answer, _ = api("clone-vm", [body])
        assert (code, words in answer["message"]) == (status, True), (body, answer)
    assert snapshot(api.client) == before
