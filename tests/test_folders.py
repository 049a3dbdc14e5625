"""VM folders (domain/folders.py) and the recycle bin (vms.recycle)."""

from __future__ import annotations

from .support import snapshot

GIB = 1024**3


def filed(api, name):
    [vm] = api.ok("get-vms", {"where": {"name": name}})
    return vm["folder"]["name"] if vm["folder"] else None


def test_vms_are_filed_moved_and_unfiled_and_an_empty_folder_is_deleted(api):
    [prod] = api.ok("get-vm-folders")
    assert (prod["name"], prod["vm_num"]) == ("production", 7) and filed(api, "db-01") == "production"
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.done(api.ok("create-vm-folder", [{"cluster_id": cluster, "name": "ci"}]))
    api.done(api.ok("add-vm-to-folder", {"where": {"name_starts_with": "ci-runner"},
                                           "data": {"folder_id": made["data"]["id"]}}))
    api.done(api.ok("add-vm-to-folder", {"where": {"name": "web-03"}, "data": {"folder_id": made["data"]["id"]}}))
    assert (filed(api, "ci-runner-02"), filed(api, "web-03")) == ("ci", "ci")
    assert api.ok("get-vm-folders", {"where": {"name": "production"}})[0]["vm_num"] == 6  # web-03 moved out
    assert [v["name"] for v in api.ok("get-vms", {"where": {"folder": {"name": "ci"}}, "orderBy": "name_ASC"})] == [
        "ci-runner-01", "ci-runner-02", "web-03"]
    api.done(api.ok("update-vm-folder", {"where": {"name": "ci"}, "data": {"name": "build"}}))
    api.done(api.ok("remove-vm-from-folder", {"where": {"folder": {"name": "build"}}}))
    api.done(api.ok("delete-vm-folder", {"where": {"name": "build"}}))
    assert filed(api, "web-03") is None and [f["name"] for f in api.ok("get-vm-folders")] == ["production"]
    [new] = api.done(api.ok("create-vm", [{"cluster_id": cluster, "name": "filed-01", "memory": GIB,
                                            "cpu_cores": 1, "cpu_sockets": 1, "ha": True, "firmware": "BIOS",
                                            "status": "STOPPED", "vm_nics": [], "vm_disks": {},
                                            "folder_id": prod["id"]}]))
    assert filed(api, "filed-01") == "production"
    api.done(api.ok("delete-vm", {"where": {"id": new["data"]["id"]}}))
    assert api.ok("get-vm-folders")[0]["vm_num"] == 6  # a deleted VM leaves its folder


def test_a_vm_in_the_recycle_bin_takes_only_recovery_and_deletion(api):
    [moved] = api.done(api.ok("move-vm-to-recycle", {"where": {"name": "test-01"}}))
    [vm] = api.ok("get-vms", {"where": {"in_recycle_bin": True}})
    assert (vm["name"], moved["data"]) == ("test-01", {"id": vm["id"]})
    before = snapshot(api.client)
    for op, body in (("start-vm", {"where": {"id": vm["id"]}}),
                     ("update-vm-basic-info", {"where": {"id": vm["id"]}, "data": {"name": "x"}}),
                     ("add-vm-nic", {"where": {"id": vm["id"]}, "data": {"vm_nics": []}}),
                     ("expand-vm-disk", {"where": {"vm": {"id": vm["id"]}}, "size": 100 * GIB}),
                     ("move-vm-to-recycle", {"where": {"id": vm["id"]}})):
        status, answer, _ = api(op, body)
        assert status == 400 and "recycle bin" in answer["message"], (op, answer)
    status, answer, _ = api("move-vm-to-recycle", {"where": {"name": "web-01"}})
    assert status == 400 and "web-01 is RUNNING" in answer["message"]
    status, answer, _ = api("recover-vm-from-recycle", {"where": {"name": "web-01"}})
    assert status == 400 and "not in the recycle bin" in answer["message"]
    assert snapshot(api.client) == before
    api.done(api.ok("recover-vm-from-recycle", {"where": {"id": vm["id"]}}))
    api.done(api.ok("start-vm", {"where": {"id": vm["id"]}}))
    api.done(api.ok("poweroff-vm", {"where": {"id": vm["id"]}}))
    api.done(api.ok("move-vm-to-recycle", {"where": {"id": vm["id"]}}))
    api.done(api.ok("delete-vm", {"where": {"id": vm["id"]}}))  # deleted for good from the bin
    assert api.ok("get-vms", {"where": {"name": "test-01"}}) == []


def test_what_a_folder_cannot_be_is_refused_and_changes_nothing(api):
    cluster, prod = api.ok("get-clusters")[0]["id"], api.ok("get-vm-folders")[0]["id"]
    before = snapshot(api.client)
    for op, body, status, words in (
            ("create-vm-folder", [{"cluster_id": cluster, "name": "production"}], 400, "already has a folder"),
            ("create-vm-folder", [{"cluster_id": "nope", "name": "x"}], 404, "[0].cluster_id"),
            ("create-vm-folder", [{"cluster_id": cluster, "name": " "}], 400, "[0].name: expected a non-empty"),
            ("delete-vm-folder", {"where": {"id": prod}}, 400, "holds VM"),
            ("add-vm-to-folder", {"where": {"name": "db-01"}, "data": {"folder_id": "nope"}}, 404,
             "data.folder_id: no VmFolder"),
            ("remove-vm-from-folder", {"where": {"name": "monitor-01"}}, 400, "in no folder")):
        status_code, answer, _ = api(op, body)
        assert (status_code, words in answer["message"]) == (status, True), (op, body, answer)
    assert snapshot(api.client) == before
