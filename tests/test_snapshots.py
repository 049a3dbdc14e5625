"""VM snapshots (domain/snapshots.py): taken, kept as taken, rolled back to, rebuilt from, deleted."""

from __future__ import annotations

from .support import PINNED_START, SDK_POLL
from .support import snapshot as world_of

GIB = 1024**3


def disks(api, name):
    return [(d["type"], d["vm_volume"]["name"] if d["vm_volume"] else None, d["elf_image"] is not None)
            for d in api.ok("get-vm-disks", {"where": {"vm": {"name": name}}, "orderBy": "boot_ASC"})]


def test_a_snapshot_keeps_what_it_took_and_a_rollback_puts_it_back(api):
    before = api.vm("test-01")  # STOPPED, 8 GiB, a system disk and a CD-ROM with the ISO, one NIC
    [made] = api.done(api.ok("create-vm-snapshot", {"data": [{"vm_id": before["id"], "name": "pre-upgrade"}]}))
    [snap] = api.ok("get-vm-snapshots", {"where": {"id": made["data"]["id"]}})
    assert (snap["vm"]["name"], snap["memory"], snap["vcpu"], snap["cpu"]) == ("test-01", 8 * GIB, 2,
                                                                               {"cores": 2, "sockets": 1})
    assert [d["type"] for d in snap["vm_disks"]] == [d[0] for d in disks(api, "test-01")]
    assert len(snap["vm_nics"]) == len(before["vm_nics"]) == 1
    assert api.vm("test-01")["snapshots"] == [{"id": snap["id"], "name": "pre-upgrade"}]
    was_disks, was_nics = disks(api, "test-01"), api.ok("get-vm-nics", {"where": {"vm": {"name": "test-01"}}})

    where = {"id": before["id"]}
    api.done(api.ok("update-vm-basic-info", {"where": where, "data": {"memory": 16 * GIB, "vcpu": 4,
                                                                       "cpu_cores": 4, "cpu_sockets": 1}}))
    api.done(api.ok("add-vm-disk", {"where": where, "data": {"vm_disks": {"mount_new_create_disks": [{
        "boot": 5, "bus": "VIRTIO", "vm_volume": {"name": "t1-extra", "size": GIB,
                                                  "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}}))
    api.done(api.ok("remove-vm-nic", {"where": where, "data": {"nic_index": [0]}}))
    assert api.ok("get-vm-snapshots", {"where": {"id": snap["id"]}}) == [snap]  # kept as taken

    api.done(api.ok("rollback-vm", {"where": where, "data": {"snapshot_id": snap["id"]}}))
    after = api.vm("test-01")
    assert (after["memory"], after["vcpu"], after["cpu"]) == (8 * GIB, 2, {"cores": 2, "sockets": 1})
    assert disks(api, "test-01") == was_disks
    nics = api.ok("get-vm-nics", {"where": {"vm": {"name": "test-01"}}})
    assert [(n["mac_address"], n["vlan"]["id"]) for n in nics] == [(n["mac_address"], n["vlan"]["id"])
                                                                    for n in was_nics]
    [extra] = api.ok("get-vm-volumes", {"where": {"name": "t1-extra"}})
    assert extra["mounting"] is False  # mounted after the snapshot: kept, unmounted


def test_rebuild_makes_a_new_vm_of_the_snapshot_and_a_snapshot_outlives_its_vm(api):
    source = api.vm("test-01")
    [made] = api.done(api.ok("create-vm-snapshot", {"data": [{"vm_id": source["id"], "name": "golden"}]}))
    [rebuilt] = api.done(api.ok("rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": made["data"]["id"],
                                                                "name": "test-01-copy", "status": "RUNNING"}]))
    copy = api.vm("test-01-copy")
    assert (copy["status"], copy["memory"], copy["vcpu"]) == ("RUNNING", source["memory"], source["vcpu"])
    assert [d[0] for d in disks(api, "test-01-copy")] == [d[0] for d in disks(api, "test-01")]
    assert disks(api, "test-01-copy")[0][1] != disks(api, "test-01")[0][1]  # a new volume, not the source's
    assert rebuilt["data"]["id"] == copy["id"]
    api.done(api.ok("delete-vm", {"where": {"id": source["id"]}}))
    [kept] = api.ok("get-vm-snapshots", {"where": {"id": made["data"]["id"]}})
    assert kept["vm"] is None and kept["name"] == "golden"
    api.done(api.ok("delete-vm-snapshot", {"where": {"id": kept["id"]}}))
    assert [s["name"] for s in api.ok("get-vm-snapshots")] == ["db-01-nightly"]  # the default world's


def test_delete_vm_with_include_snapshots_deletes_them(api):
    target = api.vm("build-01")
    for name in ("s1", "s2"):
        api.done(api.ok("create-vm-snapshot", {"data": [{"vm_id": target["id"], "name": name}]}))
    api.done(api.ok("delete-vm", {"where": {"id": target["id"]}, "effect": {"include_snapshots": True}}))
    assert api.ok("get-vm-snapshots", {"where": {"name_in": ["s1", "s2"]}}) == []


def test_what_a_snapshot_cannot_do_is_refused_and_changes_nothing(api):
    web, test = api.vm("web-01"), api.vm("test-01")
    [made] = api.done(api.ok("create-vm-snapshot", {"data": [{"vm_id": web["id"], "name": "web"}]}))
    before = world_of(api.client)
    for op, body, status, words in (
            ("create-vm-snapshot", {"data": [{"vm_id": "nope", "name": "x"}]}, 404, "data[0].vm_id"),
            ("create-vm-snapshot", {"data": [{"vm_id": test["id"], "name": "a"}, {"vm_id": test["id"], "name": "b"}]},
             400, "data[1].vm_id: this request already snapshots"),
            ("create-vm-snapshot", {"data": [{"vm_id": test["id"], "name": "x",
                                              "consistent_type": "FILE_SYSTEM_CONSISTENT"}]}, 400, "needs VMTools"),
            ("rollback-vm", {"where": {"id": web["id"]}, "data": {"snapshot_id": made["data"]["id"]}}, 400,
             "web-01 is RUNNING"),
            ("rollback-vm", {"where": {"id": test["id"]}, "data": {"snapshot_id": made["data"]["id"]}}, 400,
             "is of VM web-01, not of test-01"),
            ("rollback-vm", {"where": {"id": test["id"]}, "data": {"snapshot_id": "nope"}}, 404,
             "data.snapshot_id"),
            ("rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": made["data"]["id"], "name": "web-01"}], 400,
             "already has a VM named"),
            ("rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": made["data"]["id"], "name": "x",
                                           "cluster_id": "elsewhere"}], 400, "[0].cluster_id")):
        code, answer, _ = api(op, body)
        assert (code, words in answer["message"]) == (status, True), (op, answer)
    assert world_of(api.client) == before


def test_the_sdk_readmes_backup_takes_a_snapshot(served):
    """cloudtower-python-sdk README, 虚拟机备份 (VM backup), as far as the simulator serves it: its iSCSI LUN snapshot
    read is not simulated (501), and the example itself indexes lists as objects, so this follows its calls."""
    from cloudtower import ApiClient, Configuration
    from cloudtower.api.vm_api import VmApi
    from cloudtower.api.vm_snapshot_api import VmSnapshotApi
    from cloudtower.models import ConsistentType, VmToolsStatus
    from cloudtower.utils import login, wait_tasks

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        [target] = VmApi(client).get_vms({"where": {"name": "db-01"}, "first": 1})
        consistent = ConsistentType.FILE_SYSTEM_CONSISTENT
        if target.vm_tools_status != VmToolsStatus.RUNNING:
            consistent = ConsistentType.CRASH_CONSISTENT
        [made] = VmSnapshotApi(client).create_vm_snapshot({"data": [{"vm_id": target.id, "name": "nightly",
                                                                     "consistent_type": consistent}]})
        wait_tasks([made.task_id], client, interval=SDK_POLL)
        [snap] = VmSnapshotApi(client).get_vm_snapshots({"where": {"id": made.data.id}})
        assert snap.consistent_type == "FILE_SYSTEM_CONSISTENT" and snap.vm.name == "db-01"
        assert [d.type for d in snap.vm_disks] == ["DISK", "CD_ROM"] and snap.size == snap.vm_disks[0].size
    finally:
        client.rest_client.pool_manager.clear()
        client.close()


def test_snapshots_and_templates_order_by_the_devices_they_froze(api):
    """A frozen VM's vm_nics name the VLANs they were on; ordering by them answered a 500 (found by the contract
    suite's generated reads, once a snapshot with NICs existed)."""
    source = api.vm("test-01")
    assert source["vm_nics"], "test-01 has NICs to freeze"
    api.done(api.ok("create-vm-snapshot", {"data": [{"vm_id": source["id"], "name": "with-nics"}]}))
    api.done(api.ok("clone-vm-template-from-vm", [{"vm_id": source["id"], "name": "with-nics",
                                                   "cloud_init_supported": False}]))
    for kind in ("vm-snapshots", "vm-templates"):
        for field in ("vm_nics", "vm_disks"):
            for order in ("ASC", "DESC"):
                assert api.ok(f"get-{kind}", {"orderBy": f"{field}_{order}"}), (kind, field, order)
                assert api.ok(f"get-{kind}-connection", {"orderBy": f"{field}_{order}"})["aggregate"]["count"]
