"""A spread of queries of every read, each answer validated against the upstream schema of its operation and
checked for the objects it names: a world with tasks in every state, and cases that each list tells apart."""

from __future__ import annotations

import json

import pytest

from cloudtower_sim.mock_server.api.registry import READS as REGISTERED_READS
from cloudtower_sim.mock_server.schema.spec import Spec

from .support import GiB, READS, Api, check_request_id, tasks_client


SPEC = Spec.load()
ENTITIES = tuple(e for e in REGISTERED_READS if e in SPEC.reads)



# --- a world with tasks in every state ---------------------------------------------------------------------------------

@pytest.fixture
def world():
    client = tasks_client()
    statuses = {t["description"]: t["status"] for t in Api(client).ok("get-tasks")}
    assert statuses == {"a-done": "SUCCESSED", "b-failed": "FAILED", "d-running": "EXECUTING", "c-queued": "PENDING"}
    return client


def names_to_ids(api) -> dict:
    ids = {}
    for op, prefix, key in (("get-vms", "vm", "name"), ("get-hosts", "host", "name"),
                            ("get-clusters", "cluster", "name"), ("get-tasks", "task", "description")):
        for o in api.ok(op):
            ids[f"@{prefix}:{o[key]}"] = o["id"]
    return ids


def resolve(value, ids):
    """Replace `@vm:db-01` and the like by the id of that object."""
    if isinstance(value, str) and value.startswith("@"):
        return ids[value]
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    return value



# --- the query spread --------------------------------------------------------------------------------------------------

ALL_VMS = ["db-01", "web-01", "web-02", "license-server", "test-01", "app-01", "app-02", "cache-01", "build-01",
           "app-03", "web-03", "analytics-01", "monitor-01", "ci-runner-01", "ci-runner-02", "win-desktop-01",
           "gpu-render-01", "template-builder"]
NOT_RUNNING = ["test-01", "cache-01", "build-01", "ci-runner-02", "template-builder"]

VM_CASES = [
    ({}, ALL_VMS),
    ({"where": {}}, ALL_VMS),
    ({"where": None, "orderBy": None, "first": None}, ALL_VMS),
    ({"where": {"id": "@vm:db-01"}}, ["db-01"]),
    ({"where": {"id_in": ["@vm:app-03", "@vm:web-01", "no-such-id"]}}, ["web-01", "app-03"]),
    ({"where": {"id_not_in": ["@vm:db-01"]}}, ALL_VMS[1:]),
    ({"where": {"name": "gpu-render-01"}}, ["gpu-render-01"]),
    ({"where": {"name_in": ["db-01", "web-02", "nope"]}}, ["db-01", "web-02"]),
    ({"where": {"name_in": []}}, []),
    ({"where": {"name_contains": "web"}}, ["web-01", "web-02", "web-03"]),
    ({"where": {"name_not_contains": "-0"}}, ["license-server", "template-builder"]),
    ({"where": {"name_starts_with": "ci-"}}, ["ci-runner-01", "ci-runner-02"]),
    ({"where": {"name_ends_with": "-02"}}, ["web-02", "app-02", "ci-runner-02"]),
    ({"where": {"description_contains": "PostgreSQL"}}, ["db-01"]),
    ({"where": {"status": "SUSPENDED"}}, ["cache-01", "ci-runner-02"]),
    ({"where": {"status_in": ["STOPPED", "SUSPENDED"]}}, NOT_RUNNING),
    ({"where": {"status_not_in": ["RUNNING"]}}, NOT_RUNNING),
    ({"where": {"status_not": "RUNNING"}}, NOT_RUNNING),
    ({"where": {"vm_tools_status_not": "RUNNING"}}, NOT_RUNNING),
    ({"where": {"memory_gt": 48 * GiB}}, ["db-01", "app-01", "app-03", "gpu-render-01"]),
    ({"where": {"memory_in": [4 * GiB, 96 * GiB]}}, ["db-01", "license-server"]),
    ({"where": {"vcpu_lte": 2}}, ["license-server", "test-01", "monitor-01", "template-builder"]),
    ({"where": {"vcpu_gte": 12, "vcpu_lt": 16}}, ["analytics-01"]),
    ({"where": {"ha": False}}, ["license-server", "gpu-render-01"]),
    ({"where": {"ha_not": True}}, ["license-server", "gpu-render-01"]),
    ({"where": {"in_recycle_bin": True}}, []),
    ({"where": {"firmware": "UEFI", "guest_os_type": "WINDOWS"}}, ["win-desktop-01"]),
    ({"where": {"node_ip": "10.10.0.13"}}, ["app-03", "web-03", "analytics-01"]),
    ({"where": {"host": {"name": "node-2"}}}, ["app-01", "app-02", "cache-01", "build-01"]),
    ({"where": {"host": {"id": "@host:node-3"}}}, ["app-03", "web-03", "analytics-01"]),
    ({"where": {"host": {"total_cpu_cores_gt": 32, "cluster": {"name": "smtx-prod"}}}},
     ["monitor-01", "ci-runner-01", "ci-runner-02", "win-desktop-01", "gpu-render-01"]),
    ({"where": {"host": None}}, ["template-builder"]),
    ({"where": {"cluster": {"name": "smtx-prod"}}}, ALL_VMS),
    ({"where": {"cluster": {"name": "no-such-cluster"}}}, []),
    ({"where": {"AND": [{"status": "RUNNING"}, {"memory_gte": 32 * GiB}]}},
     ["db-01", "app-01", "app-02", "app-03", "analytics-01", "ci-runner-01", "gpu-render-01"]),
    ({"where": {"OR": [{"name": "db-01"}, {"guest_os_type": "WINDOWS"}]}}, ["db-01", "win-desktop-01"]),
    ({"where": {"NOT": [{"status": "RUNNING"}, {"host": {"name": "node-1"}}]}},
     ["cache-01", "build-01", "ci-runner-02", "template-builder"]),
    ({"where": {"OR": [{"AND": [{"host": {"name": "node-4"}}, {"status": "SUSPENDED"}]}, {"name": "db-01"}]}},
     ["db-01", "ci-runner-02"]),
    ({"orderBy": "name_ASC", "first": 3}, ["analytics-01", "app-01", "app-02"]),
    ({"orderBy": "name_DESC", "skip": 2, "first": 2}, ["web-02", "web-01"]),
    ({"orderBy": "memory_ASC", "last": 1}, ["db-01"]),
    ({"orderBy": "memory_DESC", "first": 1}, ["db-01"]),
    ({"orderBy": "local_created_at_ASC"}, ALL_VMS),
    ({"after": "@vm:app-03", "first": 2}, ["web-03", "analytics-01"]),
    ({"before": "@vm:web-02"}, ["db-01", "web-01"]),
    ({"where": {"status": "RUNNING"}, "orderBy": "name_ASC", "skip": 1, "first": 2}, ["app-01", "app-02"]),
    ({"skip": 16}, ["gpu-render-01", "template-builder"]),
    ({"first": 0}, []),
    ({"last": 2}, ["gpu-render-01", "template-builder"]),
]

ALL_HOSTS = ["node-1", "node-2", "node-3", "node-4"]
HOST_CASES = [
    ({}, ALL_HOSTS),
    ({"where": {}}, ALL_HOSTS),
    ({"where": {"id": "@host:node-3"}}, ["node-3"]),
    ({"where": {"id_in": ["@host:node-4", "@host:node-1"]}}, ["node-1", "node-4"]),
    ({"where": {"name_contains": "3"}}, ["node-3"]),
    ({"where": {"name_starts_with": "node-"}}, ALL_HOSTS),
    ({"where": {"management_ip": "10.10.0.12"}}, ["node-2"]),
    ({"where": {"status": "CONNECTED_HEALTHY"}}, ALL_HOSTS),
    ({"where": {"status_in": ["CONNECTED_ERROR", "CONNECTED_WARNING"]}}, []),
    ({"where": {"status_not_in": ["CONNECTED_HEALTHY"]}}, []),
    ({"where": {"state": "IN_USE"}}, ALL_HOSTS),
    ({"where": {"total_cpu_cores_gt": 32}}, ["node-4"]),
    ({"where": {"total_cpu_cores_lte": 32}}, ["node-1", "node-2", "node-3"]),
    ({"where": {"running_vm_num_gte": 4}}, ["node-1", "node-4"]),
    ({"where": {"nested_virtualization": False}}, ALL_HOSTS),
    ({"where": {"lsm_cap_disk_safe_umount_not": True}}, []),
    ({"where": {"cluster": {"name": "smtx-prod"}}}, ALL_HOSTS),
    ({"where": {"cluster": {"name_not": "smtx-prod"}}}, []),
    ({"where": {"vms_some": {"name": "db-01"}}}, ["node-1"]),
    ({"where": {"vms_some": {"status": "SUSPENDED"}}}, ["node-2", "node-4"]),
    ({"where": {"vms_none": {"status": "SUSPENDED"}}}, ["node-1", "node-3"]),
    ({"where": {"vms_every": {"status": "RUNNING"}}}, ["node-3"]),
    ({"where": {"AND": [{"vms_some": {"memory_gte": 64 * GiB}}, {"vm_num_lt": 5}]}}, ["node-2", "node-3"]),
    ({"where": {"OR": [{"name": "node-1"}, {"management_ip": "10.10.0.14"}]}}, ["node-1", "node-4"]),
    ({"where": {"NOT": [{"name_in": ["node-1", "node-2"]}]}}, ["node-3", "node-4"]),
    ({"orderBy": "total_cpu_cores_DESC", "first": 1}, ["node-4"]),
    ({"orderBy": "name_DESC", "skip": 1, "first": 2}, ["node-3", "node-2"]),
    ({"after": "@host:node-2"}, ["node-3", "node-4"]),
    ({"last": 2}, ["node-3", "node-4"]),
    ({"first": 1, "skip": 3}, ["node-4"]),
]

CLUSTER_CASES = [
    ({}, ["smtx-prod"]),
    ({"where": {}}, ["smtx-prod"]),
    ({"where": {"id": "@cluster:smtx-prod"}}, ["smtx-prod"]),
    ({"where": {"id_in": ["@cluster:smtx-prod", "nope"]}}, ["smtx-prod"]),
    ({"where": {"name_contains": "prod"}}, ["smtx-prod"]),
    ({"where": {"name_starts_with": "prod"}}, []),
    ({"where": {"connect_state": "CONNECTED"}}, ["smtx-prod"]),
    ({"where": {"connect_state_in": ["DISCONNECTED", "REMOVING"]}}, []),
    ({"where": {"type_not_in": ["SMTX_ZBS", "SMTX_ELF"]}}, ["smtx-prod"]),
    ({"where": {"architecture": "AARCH64"}}, []),
    ({"where": {"host_num_gt": 3}}, ["smtx-prod"]),
    ({"where": {"vm_num_lte": 17}}, []),
    ({"where": {"stretch": None}}, ["smtx-prod"]),
    ({"where": {"stretch_not": None}}, []),
    ({"where": {"is_all_flash": True}}, []),
    ({"where": {"hosts_some": {"name": "node-4"}}}, ["smtx-prod"]),
    ({"where": {"hosts_none": {"total_cpu_cores_gt": 40}}}, []),
    ({"where": {"vms_some": {"host": {"name": "node-1"}, "status": "STOPPED"}}}, ["smtx-prod"]),
    ({"where": {"vms_every": {"status": "RUNNING"}}}, []),
    ({"where": {"AND": [{"ip": "10.10.0.10"}, {"version": "5.1.2"}]}}, ["smtx-prod"]),
    ({"where": {"OR": [{"name": "a"}, {"name": "b"}]}}, []),
    ({"where": {"NOT": [{"name": "a"}]}}, ["smtx-prod"]),
    ({"orderBy": "name_DESC"}, ["smtx-prod"]),
    ({"first": 0}, []),
    ({"skip": 1}, []),
    ({"last": 1}, ["smtx-prod"]),
]

ALL_TASKS = ["a-done", "b-failed", "d-running", "c-queued"]
TASK_CASES = [
    ({}, ALL_TASKS),
    ({"where": {}}, ALL_TASKS),
    ({"where": {"id": "@task:b-failed"}}, ["b-failed"]),
    ({"where": {"id_in": ["@task:c-queued", "@task:a-done"]}}, ["a-done", "c-queued"]),
    ({"where": {"description_contains": "-d"}}, ["a-done"]),
    ({"where": {"description_starts_with": "d-"}}, ["d-running"]),
    ({"where": {"status": "SUCCESSED"}}, ["a-done"]),
    ({"where": {"status_in": ["FAILED", "EXECUTING"]}}, ["b-failed", "d-running"]),
    ({"where": {"status_not_in": ["SUCCESSED", "FAILED"]}}, ["d-running", "c-queued"]),
    ({"where": {"status_not": "PENDING"}}, ["a-done", "b-failed", "d-running"]),
    ({"where": {"progress_gt": 0.5}}, ["a-done"]),
    ({"where": {"progress_lte": 0}}, ["b-failed", "c-queued"]),
    # d-running is 0.5 s into its 1000 s step: under way, not yet far
    ({"where": {"progress_gt": 0, "progress_lt": 0.01}}, ["d-running"]),
    ({"where": {"internal": False}}, ALL_TASKS),
    ({"where": {"error_code_not": None}}, ["b-failed"]),
    ({"where": {"finished_at": None}}, ["d-running", "c-queued"]),
    ({"where": {"local_created_at_gt": "2026-01-01T08:00:05.000Z"}}, ["d-running", "c-queued"]),
    ({"where": {"resource_type": "Vm"}}, ["a-done", "d-running"]),
    ({"where": {"cluster": {"name": "smtx-prod"}}}, ["a-done", "b-failed", "d-running"]),
    ({"where": {"cluster": None}}, ["c-queued"]),
    ({"where": {"user": {"name": "root"}}}, ["a-done", "b-failed", "d-running"]),
    ({"where": {"AND": [{"status_in": ["SUCCESSED", "FAILED"]}, {"resource_type": "Host"}]}}, ["b-failed"]),
    ({"where": {"OR": [{"status": "PENDING"}, {"progress": 1}]}}, ["a-done", "c-queued"]),
    ({"where": {"NOT": [{"status": "EXECUTING"}]}}, ["a-done", "b-failed", "c-queued"]),
    ({"orderBy": "description_ASC"}, ["a-done", "b-failed", "c-queued", "d-running"]),
    ({"orderBy": "local_created_at_DESC", "first": 1}, ["c-queued"]),
    ({"orderBy": "description_DESC", "skip": 1, "first": 2}, ["c-queued", "b-failed"]),
    ({"after": "@task:b-failed", "first": 1}, ["d-running"]),
    ({"last": 1}, ["c-queued"]),
]

# what every cluster is furnished with (scenario.furnish), read through each entity's own where grammar
INVENTORY_CASES = {
    "Vds": [({}, ["vds-smtx-prod"]), ({"where": {"vlans_some": {"name": "vlan-100"}}}, ["vds-smtx-prod"]),
            ({"where": {"vlans_num_lt": 4}}, [])],
    "Vlan": [({"where": {"vlan_id_gt": 0}, "orderBy": "vlan_id_DESC"}, ["vlan-200", "vlan-100"]),
             ({"where": {"type": "MANAGEMENT"}}, ["mgmt-network"]),
             ({"where": {"vm_nics_some": {"vm": {"name": "web-01"}}}}, ["default"]),
             ({"where": {"vds": {"name": "vds-smtx-prod"}}, "first": 1}, ["mgmt-network"])],
    "ElfStoragePolicy": [({"orderBy": "name_ASC"}, ["default", "replica-3-thick"]),
                         ({"where": {"replica_num": 3, "thin_provision": False}}, ["replica-3-thick"])],
    "ElfImage": [({}, ["CentOS-7-x86_64-Minimal-2009.iso"]), ({"where": {"vm_disks_none": {}}}, [])],
    "SvtImage": [({}, ["SMTX_VMTOOLS-4.0.0.iso"]), ({"where": {"vm_disks_some": {}}}, [])],
    "VmVolume": [({"where": {"name_starts_with": "web-0"}, "orderBy": "name_DESC"},
                  ["web-03-system", "web-02-system", "web-01-system"]),
                 ({"where": {"mounting": False}}, []), ({"where": {"size_gt": 40 * 1024**3}}, [])],
    "VmDisk": [({"where": {"vm": {"name": "web-01"}, "type": "DISK"}}, ["vda"]),
               ({"where": {"type": "CD_ROM", "elf_image": None}}, [])],
    "VmNic": [({"where": {"vm": {"name": "web-01"}}}, [0]), ({"where": {"vlan": {"name": "vlan-100"}}}, [])],
    # each host's hardware (scenario._equip), and the devices the default world passes through
    "Nic": [({"where": {"host": {"name": "node-2"}, "vds": {"name": "vds-smtx-prod"}}}, ["eth0", "eth1"]),
            ({"where": {"host": {"name": "node-1"}, "type": "STORAGE"}, "orderBy": "name_DESC"}, ["eth3", "eth2"]),
            ({"where": {"up": False, "host": {"name": "node-3"}}}, ["eth4", "eth5"])],
    "Disk": [({"where": {"host": {"name": "node-4"}, "type": "SSD"}}, ["sda", "sdb"]),
             ({"where": {"usage": "DATA", "size_lt": 4 * 10**12}}, [])],
    "UsbDevice": [({}, ["SafeNet Sentinel HASP HL"]), ({"where": {"vms_some": {"name": "license-server"}}},
                                                       ["SafeNet Sentinel HASP HL"]),
                  ({"where": {"host": {"name": "node-2"}}}, [])],
    "GpuDevice": [({"where": {"vms_some": {}}}, ["NVIDIA Tesla T4"]),
                  ({"where": {"user_usage": "VGPU", "available_vgpus_num_gt": 0}}, ["NVIDIA A16"]),
                  ({"where": {"host": {"name": "node-3"}}, "orderBy": "name_ASC"}, ["NVIDIA A16", "NVIDIA Tesla T4"])],
    "Organization": [({"where": {"datacenters_some": {"name": "dc-1"}}}, ["SmartX"])],
    "Datacenter": [({"where": {"clusters_some": {"name": "smtx-prod"}}}, ["dc-1"]), ({"where": {"name": "x"}}, [])],
    "Zone": [({}, [])],  # the default cluster is not stretched: tests/test_placement.py reads a stretched one
    "UploadTask": [({"where": {"status": "SUCCESSED", "resource_type": "ELF_IMAGE"}}, ["ELF_IMAGE"]),
                   ({"where": {"status_not": "SUCCESSED"}}, [])],  # each scenario image, uploaded
    "VmPlacementGroup": [({"where": {"vms_some": {"name": "app-03"}, "vm_vm_policy": "MUST_DIFFERENT"}},
                          ["app-anti-affinity"]), ({"where": {"enabled": False}}, [])],
    "Label": [({"where": {"key": "tier"}, "orderBy": "value_ASC"}, ["app", "web"]),
              ({"where": {"vms_some": {"name": "web-02"}}}, ["web"]), ({"where": {"total_num": 0}}, []),
              ({"where": {"hosts_some": {"name": "node-4"}, "host_num": 2}}, ["b"])],
    "VmFolder": [({"where": {"vms_some": {"name": "db-01"}}}, ["production"]), ({"where": {"name": "x"}}, [])],
    "VmSnapshot": [({"where": {"vm": {"name": "db-01"}, "memory_gt": 0}}, ["db-01-nightly"]),
                   ({"where": {"vm": None}}, [])],
    "VmTemplate": [({"where": {"cloud_init_supported": True, "content_library_vm_template": None}},
                    ["centos-7-template"]),
                   ({"where": {"content_library_vm_template": {"name": "k8s-node-template"}}}, ["k8s-node-template"]),
                   ({"where": {"memory_gt": 8 * GiB}}, [])],
    "ContentLibraryVmTemplate": [({"where": {"clusters_some": {"name": "smtx-prod"}}}, ["k8s-node-template"]),
                                 ({"where": {"labels_some": {"key": "system.cloudtower/sks-template-uid"}}},
                                  ["k8s-node-template"]), ({"where": {"clusters_none": {}}}, [])],
}
CASES = {"Vm": VM_CASES, "Host": HOST_CASES, "Cluster": CLUSTER_CASES, "Task": TASK_CASES, **INVENTORY_CASES}
NAME_OF = {"Vm": "name", "Host": "name", "Cluster": "name", "Task": "description", "VmDisk": "device",
           "VmNic": "order", **{e: "name" for e in ("Vds", "Vlan", "ElfStoragePolicy", "ElfImage", "SvtImage",
                                                   "VmVolume", "Nic", "Disk", "UsbDevice", "GpuDevice",
                                                   "Organization", "Datacenter")},
           "Zone": "is_preferred", "UploadTask": "resource_type", "VmPlacementGroup": "name", "Label": "value",
           "VmFolder": "name", "VmSnapshot": "name", "VmTemplate": "name", "ContentLibraryVmTemplate": "name"}


def _case_id(entity, i, body):
    return f"{entity}-{i}-" + json.dumps(body, separators=(",", ":"))[:60]


@pytest.mark.parametrize("entity,body,expected", [
    pytest.param(e, b, x, id=_case_id(e, i, b)) for e in ENTITIES for i, (b, x) in enumerate(CASES.get(e, ()))])
def test_query_answers_validate_upstream(world, upstream, entity, body, expected):
    api = Api(world)
    body = resolve(body, names_to_ids(api))
    seen = set()
    path, connection = SPEC.reads[entity]  # upstream's own paths: /get-vdses, /get-elf-storage-policies
    status, listed, r = api(path[1:], body)
    check_request_id(r, seen)
    assert status == 200, (body, listed)
    upstream.validate(path, 200, listed)
    assert [o[NAME_OF[entity]] for o in listed] == expected, body

    status, counted, r = api(connection[1:], body)
    check_request_id(r, seen)
    assert status == 200, (body, counted)
    upstream.validate(connection, 200, counted)
    assert counted == {"aggregate": {"count": len(expected)}}


def test_every_kind_served_by_reads_has_its_cases():
    """A new kind with `read = True` (domain/model.py) joins the spread: its cases, and the field that names it."""
    assert sorted(set(ENTITIES) - set(CASES)) == [] and sorted(set(ENTITIES) - set(NAME_OF)) == []
    assert all(CASES[e] for e in ENTITIES)


def test_every_case_list_is_a_real_spread():
    """Of the four core entities; the inventory's few cases check its shapes and relations (the where grammar is the
    same code for every entity)."""
    for entity, cases in CASES.items():
        if entity in INVENTORY_CASES:
            continue
        assert len(cases) >= 15, entity
        keys = {k for body, _ in cases for k in body} | {k for body, _ in cases for k in (body.get("where") or {})}
        assert {"where", "orderBy", "first", "skip", "AND", "OR", "NOT"} <= keys, entity


@pytest.mark.parametrize("op", READS)
def test_each_read_without_a_where_validates_and_is_complete(world, upstream, op):
    status, data, r = Api(world)(op[1:], {})
    check_request_id(r)
    assert status == 200
    upstream.validate(op, 200, data)
    if not op.endswith("-connection") and op != "/get-zones":  # zones: tests/test_placement.py, stretched
        assert data, f"{op} answered an empty list; the schema check would prove nothing"
