"""Labels (domain/labels.py) as SmartX's CAPE uses them: upsert by key and value, tag a VM, find by labels_some,
delete only when unused (total_num: 0), clean by age (createdAt_lte)."""

from __future__ import annotations

from .support import PINNED_START
from .support import snapshot


def names(items, key="name"):
    return sorted(i[key] for i in items)


def test_the_default_world_is_labelled_and_labels_some_finds_vms_hosts_and_clusters(api):
    assert names(api.ok("get-vms", {"where": {"labels_some": {"key": "tier", "value": "web"}}})) == [
        "web-01", "web-02", "web-03"]
    assert names(api.ok("get-hosts", {"where": {"labels_some": {"key": "rack", "value": "b"}}})) == [
        "node-3", "node-4"]
    assert names(api.ok("get-clusters", {"where": {"labels_some": {"key": "env"}}})) == ["smtx-prod"]
    [vm] = api.ok("get-vms", {"where": {"name": "app-01"}})
    assert [(l["key"], l["value"]) for l in vm["labels"]] == [("tier", "app")]


def test_capes_label_calls(api):
    """UpsertLabel, AddLabelsToVM, DeleteLabel(strict), CleanUnusedLabels (pkg/service/vm.go)."""
    where = {"key": "cape.infrastructure.cluster.x-k8s.io/managed", "value": "true"}
    assert api.ok("get-labels", {"where": where}) == []
    [made] = api.done(api.ok("create-label", [where]))
    [tagged] = api.done(api.ok("add-labels-to-resources", {"where": {"id_in": [made["data"]["id"]]},
                                                             "data": {"vms": {"id": api.ok("get-vms", {"where": {
                                                                 "name": "web-01"}})[0]["id"]}}}))
    assert tagged["data"]["id"] == made["data"]["id"]
    [label] = api.ok("get-labels", {"where": where})
    assert (label["vm_num"], label["total_num"], names(label["vms"])) == (1, 1, ["web-01"])
    strict = {"where": {"AND": [where, {"total_num": 0}]}}
    assert api.ok("delete-label", strict) == []  # used: the strict delete matches nothing
    api.done(api.ok("remove-labels-from-resources", {"where": {"id": label["id"]}, "data": {"vms": {}}}))
    [gone] = api.done(api.ok("delete-label", strict))
    assert gone["data"] == {"id": label["id"]} and api.ok("get-labels", {"where": where}) == []
    assert api.ok("get-vms", {"where": {"name": "web-01"}})[0]["labels"][0]["value"] == "web"  # the others stay
    api.done(api.ok("create-label", [{"key": "old"}]))
    cleaned = api.ok("delete-label", {"where": {"key_in": ["old", "tier"], "total_num": 0,
                                                "createdAt_lte": "2026-01-02T08:00:00+08:00"}})
    assert len(api.done(cleaned)) == 1 and api.ok("get-labels", {"where": {"key": "old"}}) == []
    assert len(api.ok("get-labels", {"where": {"key": "tier"}})) == 2  # in use: kept
    assert api.ok("delete-label", {"where": {"createdAt_lte": "2025-12-31T00:00:00Z"}}) == []  # older than all


def test_a_deleted_vm_leaves_its_labels_and_a_deleted_label_its_resources(api):
    api.done(api.ok("poweroff-vm", {"where": {"name": "web-02"}}))
    api.done(api.ok("delete-vm", {"where": {"name": "web-02"}}))
    [web] = api.ok("get-labels", {"where": {"value": "web"}})
    assert names(web["vms"]) == ["web-01", "web-03"] and web["vm_num"] == 2
    api.done(api.ok("delete-label", {"where": {"key": "rack"}}))
    assert all(h["labels"] == [] for h in api.ok("get-hosts"))


def test_what_labels_cannot_be_is_refused_and_changes_nothing(api):
    before = snapshot(api.client)
    for op, body, words in (
            ("create-label", [{"key": "tier", "value": "web"}], "label tier=web exists already"),
            ("create-label", [{"key": " "}], "[0].key: expected a non-empty key"),
            ("create-label", [{"key": "a"}, {"key": "a"}], "[1]: this request already creates label a"),
            ("update-label", {"where": {"key": "tier"}, "data": {"value": "x"}}, "matches 2 labels"),
            ("update-label", {"where": {"value": "web"}, "data": {"value": "app"}}, "label tier=app exists"),
            ("add-labels-to-resources", {"where": {"key": "env"}, "data": {"iscsi_luns": {}}},
             "data.iscsi_luns: cloudtower-sim does not simulate iscsi_luns")):
        status, answer, _ = api(op, body)
        assert status == 400 and words in answer["message"], (op, body, answer)
    assert snapshot(api.client) == before


def test_the_official_sdk_labels_a_vm(served):
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import LabelApi, VmApi
    from cloudtower.utils import login, wait_task

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        [made] = LabelApi(client).create_label([{"key": "sdk", "value": "yes"}])
        wait_task(made.task_id, client)
        [tagged] = LabelApi(client).add_labels_to_resources({"where": {"id": made.data.id},
                                                             "data": {"vms": {"name": "db-01"}}})
        wait_task(tagged.task_id, client)
        [vm] = VmApi(client).get_vms({"where": {"labels_some": {"key": "sdk"}}})
        assert vm.name == "db-01" and LabelApi(client).get_labels_connection({}).aggregate.count == 7
    finally:
        client.rest_client.pool_manager.clear()
        client.close()
