"""The content library's VM templates (domain/content_library.py): made of VMs, distributed to clusters, and the VMs
made of them, as SmartX's CAPE and Terraform provider call them."""

from __future__ import annotations

import pytest

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server.domain.scenario import Scenario

from .support import (PINNED_START, SDK_POLL, SKS_LABEL, TOKEN, Api, GiB, capes_params, held_to_upstream,
                      make_client, pinned, snapshot)


# two x86 clusters and an ARM one; a stopped VM on east to template
CLUSTERS = {"seed": 3, "users": [{"username": "root", "password": "x", "tokens": [TOKEN]}], "clusters": [
    {"name": "east", "hosts": [{"name": "e1", "memory_gib": 128}, {"name": "e2", "memory_gib": 128}],
     "vms": [{"name": "golden", "status": "STOPPED", "memory_gib": 4, "vcpu": 2},
             {"name": "busy", "host": "e1", "status": "RUNNING", "memory_gib": 4, "vcpu": 2}]},
    {"name": "west", "hosts": [{"name": "w1", "memory_gib": 128}]},
    {"name": "arm", "architecture": "AARCH64", "hosts": [{"name": "a1", "memory_gib": 128}]}]}


def clusters_api() -> Api:
    from pathlib import Path
    sim = Simulator(pinned())
    sim.scenario = Scenario(Path("<test>"), CLUSTERS)
    sim.reset()
    client = held_to_upstream(create_app(simulator=sim)).test_client()
    client.sim = sim
    return Api(client)


def test_capes_machine_creation_from_the_default_worlds_template(api, client):
    # CAPE's GetVMTemplate: id, name or its SKS label, in one OR
    [template] = api.ok("get-content-library-vm-templates", {"where": {"OR": [
        {"id": "k8s-1.29-ubuntu"}, {"name": "k8s-1.29-ubuntu"},
        {"labels_some": {"AND": [{"key": SKS_LABEL, "value": "k8s-1.29-ubuntu"}]}}]}})
    assert template["name"] == "k8s-node-template" and template["cloud_init_supported"]
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    [made] = api.done(api.ok("create-vm-from-content-library-template", [capes_params(template, cluster,
                                                                                      "sks-cp-1", vlan)]))
    vm = api.one("vms", {"id": made["data"]["id"]})
    assert (vm["vcpu"], vm["cpu"], vm["memory"], vm["status"], vm["host"]) == (
        4, {"cores": 2, "sockets": 2}, 8 * GiB, "STOPPED", None)  # AUTO_SCHEDULE: stopped, on no host yet
    [nic] = api.ok("get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})
    assert (nic["mac_address"], nic["vlan"]["name"]) == ("52:54:00:12:34:56", "vlan-100")
    assert len(vm["vm_disks"]) == len(template["vm_disks"])
    kept = client.sim.world.vms[vm["id"]].cloud_init
    assert kept["hostname"] == "sks-cp-1" and kept["networks"][0]["ip_address"] == "10.0.0.5"
    # then CAPE starts it, on the host the scheduler picks
    api.done(api.ok("start-vm", {"where": {"id": vm["id"]}}))
    assert api.one("vms", {"id": vm["id"]})["host"] is not None


def test_capes_stretched_cluster_disks_replace_the_templates(api):
    """For a stretched cluster CAPE removes the template's disks and adds them back as REPLICA_3 volumes."""
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    disks = [d for d in template["vm_disks"] if d["type"] == "DISK"]
    operate = {"remove_disks": {"disk_index": [d["index"] for d in disks]},
               "new_disks": {"mount_new_create_disks": [
                   {"boot": d["boot"], "bus": d["bus"], "index": d["index"],
                    "vm_volume": {"name": f"sks-w-{d['index'] + 1}", "size": d["size"] * 2,
                                  "elf_storage_policy": "REPLICA_3_THIN_PROVISION"}} for d in disks]}}
    [made] = api.done(api.ok("create-vm-from-content-library-template", [capes_params(
        template, cluster, "sks-w", vlan, disk_operate=operate)]))
    volumes = api.ok("get-vm-volumes", {"where": {"vm_disks_some": {"vm": {"id": made["data"]["id"]}}}})
    assert sorted((v["name"], v["size"], v["elf_storage_policy"]) for v in volumes) == sorted(
        (f"sks-w-{d['index'] + 1}", d["size"] * 2, "REPLICA_3_THIN_PROVISION") for d in disks)


def test_terraforms_disks_by_path_copy_the_templates_disks(api):
    """SmartX's Terraform provider removes every template disk and adds them back by path (resource_vm.go)."""
    template = api.one("vm-templates", {"name": "centos-7-template"})
    [disk] = [d for d in template["vm_disks"] if d["type"] == "DISK"]
    body = [{"template_id": template["id"], "name": "tf-vm", "is_full_copy": True, "disk_operate": {
        "remove_disks": {"disk_index": [d["index"] for d in template["vm_disks"]]},
        "new_disks": {"mount_new_create_disks": [{
            "boot": 0, "bus": "VIRTIO", "index": disk["index"],
            "vm_volume": {"name": "tf-vm-1", "size": 80, "size_unit": "GB", "path": disk["path"],
                          "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}}]
    [made] = api.done(api.ok("create-vm-from-template", body))
    [volume] = api.ok("get-vm-volumes", {"where": {"vm_disks_some": {"vm": {"id": made["data"]["id"]}}}})
    assert (volume["name"], volume["size"]) == ("tf-vm-1", 80 * GiB)
    assert volume["path"] != disk["path"]  # a copy, not the template's volume
    smaller = dict(body[0], name="tf-vm-2")
    smaller["disk_operate"]["new_disks"]["mount_new_create_disks"][0]["vm_volume"]["size"] = 1
    code, answer, _ = api("create-vm-from-template", [smaller])
    assert (code, "cannot be smaller" in answer["message"]) == (400, True)


def test_a_template_is_usable_only_on_the_clusters_it_is_distributed_to():
    api = clusters_api()
    east, west, arm = (api.one("clusters", {"name": n}) for n in ("east", "west", "arm"))
    golden, busy = api.one("vms", {"name": "golden"}), api.one("vms", {"name": "busy"})
    [made] = api.done(api.ok("clone-content-library-vm-template-from-vm", [{
        "vm": {"id": golden["id"]}, "name": "golden-tpl", "cloud_init_supported": True,
        "clusters": {"id_in": [east["id"]]}}]))
    library = made["data"]
    assert [c["name"] for c in api.one("content-library-vm-templates", {"id": library["id"]})["clusters"]] == ["east"]
    west_vlan = api.ok("get-vlans", {"where": {"vds": {"cluster": {"id": west["id"]}}}})[0]
    on_west = {"template_id": library["id"], "cluster_id": west["id"], "name": "w-vm", "is_full_copy": False,
               "vm_nics": [{"connect_vlan_id": west_vlan["id"]}]}
    code, answer, _ = api("create-vm-from-content-library-template", [on_west])
    assert code == 400 and "not distributed to cluster west" in answer["message"]

    api.done(api.ok("distribute-content-library-vm-template-clusters", {
        "where": {"id": library["id"]}, "data": {"clusters": {"name": "west"}}}))
    got = api.one("content-library-vm-templates", {"id": library["id"]})
    assert sorted(c["name"] for c in got["clusters"]) == ["east", "west"] and len(got["vm_template_uuids"]) == 2
    copies = api.ok("get-vm-templates", {"where": {"content_library_vm_template": {"id": library["id"]}}})
    assert sorted(t["cluster"]["name"] for t in copies) == ["east", "west"]
    # the copy on west keeps east's VLANs: a VM there needs its own NICs
    code, answer, _ = api("create-vm-from-content-library-template",
                          [{k: v for k, v in on_west.items() if k != "vm_nics"}])
    assert code == 400 and "is not in cluster west" in answer["message"]
    [vm] = api.done(api.ok("create-vm-from-content-library-template", [on_west]))
    assert api.one("vms", {"id": vm["data"]["id"]})["cluster"]["name"] == "west"
    # the -batch form: one task for all its VMs
    batch = api.ok("create-vm-from-content-library-template-batch", {"template_id": library["id"], "vms": [
        {"cluster_id": east["id"], "name": f"e-{i}", "is_full_copy": True, "status": "RUNNING"} for i in range(2)]})
    api.done([batch])
    assert [(v["name"], v["status"]) for v in api.ok("get-vms", {"where": {"name_in": ["e-0", "e-1"]},
                                                                  "orderBy": "name_ASC"})] == [
        ("e-0", "RUNNING"), ("e-1", "RUNNING")]

    before = snapshot(api.client)
    for op, body, words in (
            ("distribute-content-library-vm-template-clusters",
             {"where": {"id": library["id"]}, "data": {"clusters": {"name": "arm"}}}, "cluster arm is AARCH64"),
            ("remove-content-library-vm-template-clusters",
             {"where": {"id": library["id"]}, "data": {"clusters": {"name_in": ["east", "west"]}}},
             "would be on no cluster"),
            ("remove-content-library-vm-template-clusters",
             {"where": {"id": library["id"]}, "data": {"clusters": {"name": "arm"}}}, "is not on cluster arm"),
            ("delete-vm-template", {"where": {"id": copies[0]["id"]}}, "content-library-vm-template operations"),
            ("clone-content-library-vm-template-from-vm", [{"vm": {"id": busy["id"]}, "name": "x",
                                                           "clusters": {"name": "east"}}], "is RUNNING"),
            ("clone-content-library-vm-template-from-vm", [{"vm": {"id": golden["id"]}, "name": "golden-tpl",
                                                           "clusters": {"name": "east"}}], "already has"),
            ("clone-content-library-vm-template-from-vm", [{"vm": {"id": golden["id"]}, "name": "y",
                                                           "clusters": {"name": "nowhere"}}], "matches no cluster"),
            ("create-vm-from-content-library-template-batch", {"template_id": library["id"], "vms": [
                {"cluster_id": east["id"], "name": "z", "is_full_copy": True},
                {"cluster_id": east["id"], "name": "z", "is_full_copy": True}]}, "vms[1].name")):
        code, answer, _ = api(op, body)
        assert (code, words in (answer or {}).get("message", "")) == (400, True), (op, answer)
    assert snapshot(api.client) == before

    api.done(api.ok("remove-content-library-vm-template-clusters", {
        "where": {"id": library["id"]}, "data": {"clusters": {"name": "east"}}}))
    assert [t["cluster"]["name"] for t in api.ok("get-vm-templates")] == ["west"]
    api.done(api.ok("update-content-library-vm-template", {"where": {"id": library["id"]}, "data": {
        "name": "golden-2", "clusters": {"name_in": ["east"]}}}))
    [copy] = api.ok("get-vm-templates")
    assert (copy["name"], copy["cluster"]["name"]) == ("golden-2", "east")
    api.done(api.ok("delete-content-library-vm-template", {"where": {"id": library["id"]}}))
    assert api.ok("get-vm-templates") == [] and api.ok("get-content-library-vm-templates") == []


def test_converting_a_vm_removes_it_and_the_template_keeps_what_it_was(api):
    test = api.one("vms", {"name": "test-01"})
    [made] = api.done(api.ok("convert-content-library-vm-template-from-vm", [{
        "vm": {"local_id": test["local_id"]}, "name": "test-golden", "clusters": {"name": "smtx-prod"}}]))
    assert api.ok("get-vms", {"where": {"name": "test-01"}}) == []
    got = api.one("content-library-vm-templates", {"id": made["data"]["id"]})
    assert (got["memory"], got["vcpu"], got["cloud_init_supported"], got["entityAsyncStatus"]) == (
        test["memory"], test["vcpu"], False, None)
    # a template without cloud-init support refuses cloud_init
    code, answer, _ = api("create-vm-from-content-library-template", [{
        "template_id": got["id"], "cluster_id": test["cluster"]["id"], "name": "n", "is_full_copy": True,
        "cloud_init": {"hostname": "n"}}])
    assert code == 400 and "[0].cloud_init" in answer["message"]


def test_a_template_at_work_is_locked_and_shows_it():
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    vm = api.one("vms", {"name": "test-01"})
    assert vm["status"] == "STOPPED"
    [made] = api.ok("convert-content-library-vm-template-from-vm", [{
        "vm": {"id": vm["id"]}, "name": "locked", "clusters": {"name": "smtx-prod"}}])
    assert api.one("content-library-vm-templates", {"id": made["data"]["id"]})["entityAsyncStatus"] == "CREATING"
    for op, body in (("delete-content-library-vm-template", {"where": {"id": made["data"]["id"]}}),
                     ("start-vm", {"where": {"id": vm["id"]}})):
        code, answer, _ = api(op, body)
        assert (code, answer["code"]) == (400, "ResourceLocked"), (op, answer)
    api.client.post("/_sim/clock", json={"advance": 60})
    assert api.one("content-library-vm-templates", {"id": made["data"]["id"]})["entityAsyncStatus"] is None
    assert api.ok("get-vms", {"where": {"id": vm["id"]}}) == []  # converted: the VM is gone


def test_the_official_sdk_clones_distributes_and_creates(served):
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import ContentLibraryVmTemplateApi, VmApi
    from cloudtower.rest import ApiException
    from cloudtower.utils import login, wait_tasks

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        library_api, vm_api = ContentLibraryVmTemplateApi(client), VmApi(client)
        [vm] = vm_api.get_vms({"where": {"name": "template-builder"}})
        [made] = library_api.clone_content_library_vm_template_from_vm([{
            "vm": {"id": vm.id}, "name": "sdk-golden", "cloud_init_supported": True,
            "clusters": {"id": vm.cluster.id}}])
        wait_tasks([made.task_id], client, interval=SDK_POLL)
        [template] = library_api.get_content_library_vm_templates({"where": {"name": "sdk-golden"}})
        assert template.vm_templates[0].name == "sdk-golden" and template.clusters[0].id == vm.cluster.id
        [created] = vm_api.create_vm_from_content_library_template([{
            "template_id": template.id, "cluster_id": vm.cluster.id, "name": "sdk-from-library",
            "is_full_copy": False, "status": "RUNNING"}])
        wait_tasks([created.task_id], client, interval=SDK_POLL)
        [got] = vm_api.get_vms({"where": {"id": created.data.id}})
        assert (got.status, got.memory) == ("RUNNING", template.memory)
        # the -batch form answers one WithTask of all its VMs
        batch = vm_api.create_vm_from_content_library_template_batch({"template_id": template.id, "vms": [
            {"cluster_id": vm.cluster.id, "name": f"sdk-batch-{i}", "is_full_copy": True} for i in range(2)]})
        wait_tasks([batch.task_id], client, interval=SDK_POLL)
        assert sorted(v.name for v in batch.data) == ["sdk-batch-0", "sdk-batch-1"]
        for call, body in ((library_api.update_content_library_vm_template, {"data": {"description": "by the SDK"}}),
                           (library_api.distribute_content_library_vmtemplate_clusters,  # sic
                            {"data": {"clusters": {"id": vm.cluster.id}}})):
            [answer] = call({"where": {"id": template.id}, **body})
            wait_tasks([answer.task_id], client, interval=SDK_POLL)
        [template] = library_api.get_content_library_vm_templates({"where": {"id": template.id}})
        assert template.description == "by the SDK" and len(template.clusters) == 1
        with pytest.raises(ApiException) as refused:  # a running VM is not templated
            library_api.convert_content_library_vm_template_from_vm([{
                "vm": {"id": created.data.id}, "name": "sdk-converted", "clusters": {"id": vm.cluster.id}}])
        assert refused.value.status == 400 and "is RUNNING" in refused.value.body
        [deleted] = library_api.delete_content_library_vm_template({"where": {"id": template.id}})
        wait_tasks([deleted.task_id], client, interval=SDK_POLL)
        assert deleted.data.id == template.id
        assert library_api.get_content_library_vm_templates({"where": {"name": "sdk-golden"}}) == []
    finally:
        client.rest_client.pool_manager.clear()
        client.close()
