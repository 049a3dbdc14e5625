"""Relations as CloudTower (Prisma) answers them: a to-many relation with nothing in it is `[]`, never null; `null` is
only for an absent to-one relation. Host hardware lists the devices its VMs pass through."""

import pytest

from cloudtower_sim.mock_server.schema.spec import Spec

from .support import Api

SPEC = Spec.load()


def _to_many(entity):
    props = SPEC.schemas[entity]["properties"]
    return [k for k, p in props.items()
            if p.get("type") == "array" and p.get("items", {}).get("$ref", "").rsplit("/", 1)[-1].startswith("Nested")]


@pytest.mark.parametrize("entity", sorted(e for e in SPEC.reads if _to_many(e)))
def test_every_to_many_relation_is_a_list(api, entity, client):
    Api(client).ok("poweroff-vm", {"where": {"name": "web-01"}})  # so that there are tasks too
    fields = _to_many(entity)
    for obj in api.ok(SPEC.reads[entity][0][1:]):
        for field in fields:
            assert isinstance(obj[field], list), (entity, obj.get("name"), field, obj[field])


def test_vm_disks_of_an_sdk_loop_are_iterable(api):
    for vm in api.ok("get-vms"):  # a system disk each; a label list for each (empty for most)
        assert [d["id"] for d in vm["vm_disks"]] and isinstance(vm["labels"], list)
    assert {v["name"]: len(v["labels"]) for v in api.ok("get-vms")}["web-01"] == 1


def test_a_host_lists_the_devices_its_vms_pass_through(api):
    hosts = {h["name"]: h for h in api.ok("get-hosts")}
    vms = {v["name"]: v for v in api.ok("get-vms")}
    assert hosts["node-1"]["usb_devices"] == vms["license-server"]["usb_devices"] != []
    assert hosts["node-4"]["gpu_devices"] == vms["gpu-render-01"]["gpu_devices"] != []
    assert hosts["node-2"]["usb_devices"] == [] and hosts["node-2"]["gpu_devices"] == []
    found = api.ok("get-hosts", {"where": {"usb_devices_some": {"name_contains": "HASP"}}})
    assert [h["name"] for h in found] == ["node-1"]


def test_an_absent_to_one_relation_is_null(api, client):
    Api(client).ok("poweroff-vm", {"where": {"name": "monitor-01"}})
    [task] = api.ok("get-tasks", {"first": 1})
    assert task["type"] is None  # TaskType: VM work is none of APPLICATION, BACKUP, ...
    [vm] = api.ok("get-vms", {"where": {"name": "monitor-01"}})
    assert vm["folder"] is None and vm["snapshot_plan"] is None


def test_cluster_aggregates_are_derived_from_its_hosts(api):
    [cluster] = api.ok("get-clusters")
    hosts = api.ok("get-hosts")
    for field in ("total_cpu_hz", "used_cpu_hz", "used_memory_bytes", "failure_data_space"):
        assert cluster[field] is not None and cluster[field] == sum(h[field] for h in hosts), field
    assert 0 < cluster["used_cpu_hz"] < cluster["total_cpu_hz"]
    before = cluster["used_cpu_hz"]
    api.ok("poweroff-vm", {"where": {"name": "db-01"}})
    assert api.ok("get-clusters")[0]["used_cpu_hz"] < before
