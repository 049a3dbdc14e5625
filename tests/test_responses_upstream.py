"""Every simulated operation answers with bodies that the upstream spec accepts: each `get-*` list and connection
answer, for a spread of queries, validates against the upstream 4.6.0 schema of that operation (and the older
versions, where upstream's own schema allows it); so do login, get-version and the error answers. Every response
carries an `x-tower-request-id` header."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtower_sim.contracts import upstream as up
from cloudtower_sim.mock_server.api.app_state import state_of
from cloudtower_sim.mock_server.domain import model
from cloudtower_sim.mock_server.domain.errors import TaskError
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.domain.tasks import Step

from cloudtower_sim.mock_server.api.registry import READS as REGISTERED_READS, simulated
from cloudtower_sim.mock_server.schema import overlay
from cloudtower_sim.mock_server.schema.spec import DATETIME_OPS, VERSIONS, Spec

from .support import OPERATIONS, PINNED_START, TOKEN, Api, examples, make_client, per_operation, per_version

GiB = 2**30
SPEC = Spec.load()
ENTITIES = tuple(e for e in REGISTERED_READS if e in SPEC.reads)
READS = [p for e in ENTITIES for p in SPEC.reads[e]]


# --- the oracle ---------------------------------------------------------------------------------------------------------

def test_oracle_keeps_properties_named_description(upstream):
    """The upstream must not mistake a property named like a keyword for the keyword: if `Vm.description` and
    `Task.description` vanished from the converted schema while staying required, no Vm or Task could validate."""
    for name in ("Vm", "Task"):
        assert "description" in upstream.defs[name]["properties"], (
            f"contracts/upstream.py dropped the property {name}.description from its JSON Schema")


def test_oracle_accepts_a_wellformed_vm_and_rejects_a_broken_one(upstream, api):
    vm = api.ok("get-vms", {"first": 1})
    upstream.validate("/get-vms", 200, vm)
    broken = copy.deepcopy(vm)
    del broken[0]["description"]
    with pytest.raises(jsonschema.ValidationError):
        upstream.validate("/get-vms", 200, broken)
    broken = copy.deepcopy(vm)
    broken[0]["status"] = "BOOTING"
    with pytest.raises(jsonschema.ValidationError):
        upstream.validate("/get-vms", 200, broken)


def _spoiled(doc):
    """Each way one field of the first object of an answer can break: gone, null, another type, another word."""
    if not (isinstance(doc, list) and doc and isinstance(doc[0], dict)):
        return
    for key, value in doc[0].items():
        for spoil in ("gone", None, {}, 12345, "NOT-ONE-OF-THEM"):
            first = {k: v for k, v in doc[0].items() if k != key}
            if spoil != "gone":
                first[key] = spoil
            if isinstance(value, list) and value and isinstance(value[0], dict):  # and inside a relation
                first[key] = [{**value[0], "id": spoil}] if spoil != "gone" else [{}]
            yield key, [first]


def test_the_quick_validator_agrees_with_jsonschema(upstream, api):
    """The oracle lets jsonschema-rs pass a valid body before jsonschema words an error: the two must agree on every
    answer of every read and on each of its answers spoiled one field at a time, or a breach could slip through."""
    checked = refused = 0
    for op in READS:
        if op.endswith("-connection"):
            continue
        answer = api.ok(op[1:], {"first": 1})
        schema = json.dumps(upstream.response_schema(op, 200), sort_keys=True)
        full, quick = upstream._validator(schema)
        assert quick is not None, "jsonschema-rs (a Schemathesis dependency) is not installed or refused the schema"
        for key, doc in [(None, answer), *_spoiled(answer)]:
            agreed = quick(doc) == (next(full.iter_errors(doc), None) is None)
            assert agreed, f"{op} with {key} spoiled: jsonschema-rs says {quick(doc)}, jsonschema the opposite"
            checked, refused = checked + 1, refused + (not quick(doc))
    assert checked > 1000 and refused > checked / 3, (checked, refused)  # most spoils are breaches


# --- a world with tasks in every state ---------------------------------------------------------------------------------

def seed_tasks(client) -> None:
    """Four tasks on a manual clock: SUCCESSED (on VM db-01), FAILED (on host node-1), EXECUTING (on VM web-01) and
    PENDING (on nothing, by no user)."""
    world = client.sim.world

    def fail():
        raise TaskError("simulated failure for the schema tests", "TEST_FAILURE")

    with world.session():
        vm = next(v for v in world.vms.values() if v.name == "db-01")
        vm2 = next(v for v in world.vms.values() if v.name == "web-01")
        host = next(h for h in world.hosts.values() if h.name == "node-1")
        root = next(u for u in world.users.values() if u.username == "root")
        world.start_task("a-done", vm, "test_done", [Step("one", 1.0), Step("two", 2.0)], user=root,
                         args={"vm_id": vm.id, "nested": {"list": [1, 2]}})
        world.start_task("b-failed", host, "test_failed", [Step("boom", 1.0, fail)], user=root)
    assert client.post("/_sim/clock", json={"advance": 10}).status_code == 200
    with world.session():
        world.start_task("d-running", vm2, "test_running", [Step("long", 1000.0)], user=root)
    assert client.post("/_sim/clock", json={"advance": 1}).status_code == 200
    with world.session():
        world.start_task("c-queued", None, "test_queued", [Step("later", 1.0)])


def tasks_client():
    client = make_client(Settings(task_mode="manual", start_time=PINNED_START))
    seed_tasks(client)
    return client


def varied_client(api_version=None):
    """Host node-3 in maintenance mode (its VMs moved away, `host_state` set), then the four seeded tasks."""
    client = make_client(Settings(task_mode="manual", api_version=api_version, start_time=PINNED_START))
    api = Api(client)
    node3 = api.ok("get-hosts", {"where": {"name": "node-3"}})[0]["id"]
    task = api.ok("enter-maintenance-mode-precheck", {"where": {"id": node3}})["task_id"]
    assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
    assert api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": task}})["done"] is True
    api.ok("enter-maintance-mode", {"where": {"host_id": node3}, "data": {"shutdown_vms": []}})
    assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
    host = api.ok("get-hosts", {"where": {"id": node3}})[0]
    assert host["host_state"] and host["host_state"]["state"] == "MAINTENANCE_MODE", host["host_state"]
    seed_tasks(client)
    return client


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


def check_request_id(r, seen=None):
    rid = r.headers.get("x-tower-request-id")
    assert rid, f"{r.request.path}: no x-tower-request-id header ({r.status_code})"
    if seen is not None:
        assert rid not in seen, f"request id {rid} used twice"
        seen.add(rid)


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
    pytest.param(e, b, x, id=_case_id(e, i, b)) for e in ENTITIES for i, (b, x) in enumerate(CASES[e])])
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


# --- the mutations, and the world while they run ------------------------------------------------------------------------

def _walk_steps(ids):
    """Every simulated mutation once, valid for the default scenario, in an order where each one is allowed."""
    h = ids["hosts"]
    return [
        ("/add-vm-nic", {"where": {"name": "test-01"}, "data": {"vm_nics": [{"connect_vlan_id": ids["vlan"]}]}}),
        ("/add-vm-disk", {"where": {"name": "test-01"}, "data": {"vm_disks": {"mount_new_create_disks": [
            {"vm_volume": {"name": "t1-data", "size": GiB, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"},
             "bus": "VIRTIO", "boot": 2}]}}}),
        ("/expand-vm-disk", {"where": {"id": ids["disk"]}, "size": 50 * GiB}),
        ("/create-vm-vlan", [{"vds_id": ids["vds"], "name": "walk-vlan", "vlan_id": 42}]),
        ("/create-vds", [{"cluster_id": ids["cluster"], "name": "walk-vds", "nic_ids": ids["free_nics"]}]),
        ("/update-vds", {"where": {"name": "walk-vds"}, "data": {"bond_mode": "balance-slb"}}),
        ("/delete-vds", {"where": {"name": "walk-vds"}}),
        ("/update-elf-image", {"where": {"name_ends_with": ".iso"}, "data": {"description": "walked"}}),
        ("/eject-iso-from-vm-cd-rom", {"where": {"type": "CD_ROM"}}),
        ("/delete-elf-image", {"where": {"name_ends_with": ".iso"}}),
        ("/create-vm-placement-group", [{"cluster_id": ids["cluster"], "name": "walk-pg", "enabled": True,
                                         "vm_vm_policy_enabled": True, "vm_vm_policy": "PREFER_SAME",
                                         "vms": {"name_in": ["web-01", "web-02"]}}]),
        ("/update-vm-placement-group", {"where": {"name": "walk-pg"}, "data": {
            "vm_host_prefer_enabled": True, "prefer_hosts": {"name": "node-1"}}}),
        ("/delete-vm-placement-group", {"where": {"name": "walk-pg"}}),
        ("/create-label", [{"key": "walk", "value": "1"}]),
        ("/add-labels-to-resources", {"where": {"key": "walk"}, "data": {"vms": {"name": "web-01"},
                                                                         "clusters": {}}}),
        ("/remove-labels-from-resources", {"where": {"key": "walk"}, "data": {"vms": {}}}),
        ("/update-label", {"where": {"key": "walk"}, "data": {"value": "2"}}),
        ("/delete-label", {"where": {"key": "walk"}}),
        ("/create-organization", [{"name": "walk-org"}]),
        ("/update-organization", {"where": {"name": "walk-org"}, "data": {"name": "walk-org-2"}}),
        ("/create-datacenter", [{"organization_id": ids["org"], "name": "walk-dc"}]),
        ("/remove-clusters-from-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/add-clusters-to-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/update-datacenter", {"where": {"name": "walk-dc"}, "data": {"name": "walk-dc-2"}}),
        ("/delete-datacenter", {"where": {"name": "walk-dc-2"}}),
        ("/delete-organization", {"where": {"name": "walk-org-2"}}),
        ("/create-vm-folder", [{"cluster_id": ids["cluster"], "name": "walk-folder"}]),
        ("/update-vm-folder", {"where": {"name": "walk-folder"}, "data": {"name": "walk-folder-2"}}),
        ("/add-vm-to-folder", {"where": {"name": "test-01"}, "data": {"folder_id": "@walk-folder"}}),
        ("/remove-vm-from-folder", {"where": {"name": "test-01"}}),
        ("/delete-vm-folder", {"where": {"name": "walk-folder-2"}}),
        ("/create-vm-snapshot", {"data": [{"vm_id": ids["test-01"], "name": "walk-snap"}]}),
        ("/rollback-vm", {"where": {"name": "test-01"}, "data": {"snapshot_id": "@walk-snap"}}),
        ("/rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": "@walk-snap", "name": "walk-rebuilt"}]),
        ("/delete-vm-snapshot", {"where": {"name": "walk-snap"}}),
        ("/clone-vm-template-from-vm", [{"vm_id": ids["test-01"], "name": "walk-tpl",
                                         "cloud_init_supported": False}]),
        ("/update-vm-template", {"where": {"name": "walk-tpl"}, "data": {"description": "walked"}}),
        ("/create-vm-from-template", [{"template_id": "@walk-tpl", "name": "walk-from-tpl", "is_full_copy": True}]),
        ("/convert-vm-template-to-vm", [{"converted_from_template_id": "@walk-tpl", "name": "walk-converted"}]),
        ("/convert-vm-template-from-vm", [{"vm_id": "@walk-converted", "name": "walk-tpl-2",
                                           "cloud_init_supported": True}]),
        ("/delete-vm-template", {"where": {"name": "walk-tpl-2"}}),
        ("/clone-vm", [{"src_vm_id": ids["test-01"], "name": "walk-clone", "is_full_copy": False}]),
        ("/clone-content-library-vm-template-from-vm", [{"vm": {"id": ids["test-01"]}, "name": "walk-lib",
                                                         "clusters": {"id": ids["cluster"]}}]),
        ("/update-content-library-vm-template", {"where": {"name": "walk-lib"}, "data": {"description": "walked"}}),
        ("/distribute-content-library-vm-template-clusters", {"where": {"name": "walk-lib"},
                                                              "data": {"clusters": {"id": ids["cluster"]}}}),
        ("/create-vm-from-content-library-template", [{"template_id": "@walk-lib", "cluster_id": ids["cluster"],
                                                       "name": "walk-from-lib", "is_full_copy": False}]),
        ("/create-vm-from-content-library-template-batch", {"template_id": "@walk-lib", "vms": [
            {"cluster_id": ids["cluster"], "name": f"walk-batch-{i}", "is_full_copy": True} for i in range(2)]}),
        ("/convert-content-library-vm-template-from-vm", [{"vm": {"id": "@walk-clone"}, "name": "walk-lib-2",
                                                           "clusters": {"id": ids["cluster"]}}]),
        ("/delete-content-library-vm-template", {"where": {"name_in": ["walk-lib", "walk-lib-2"]}}),
        ("/move-vm-to-recycle", {"where": {"name": "build-01"}}),
        ("/recover-vm-from-recycle", {"where": {"name": "build-01"}}),
        ("/create-vm-volume", [{"cluster_id": ids["cluster"], "name": "walk-volume", "size": GiB, "sharing": False,
                                "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}]),
        ("/shutdown-vm", {"where": {"name": "web-01"}}),
        ("/suspend-vm", {"where": {"name": "web-02"}}),
        ("/resume-vm", {"where": {"name": "cache-01"}}),
        ("/start-vm", {"where": {"name": "test-01"}}),
        ("/start-vm", {"where": {"name": "build-01"}, "data": {"host_id": h["node-3"]}}),
        ("/restart-vm", {"where": {"name": "app-01"}}),
        ("/force-restart-vm", {"where": {"name": "app-02"}}),
        ("/poweroff-vm", {"where": {"name": "web-03"}}),
        ("/update-vm-basic-info", {"where": {"name": "web-03"}, "data": {"ha": False}}),
        ("/add-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 3}]}),
        ("/remove-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 1}]}),
        ("/migrate-vm", {"where": {"name": "monitor-01"}, "data": {"host_id": h["node-3"]}}),
        ("/delete-vm", {"where": {"name": "template-builder"}, "effect": {"include_snapshots": True}}),
        ("/create-vm", [{"name": "new-01", "cluster_id": ids["cluster"], "status": "STOPPED", "firmware": "BIOS",
                         "ha": True, "vm_nics": [], "vm_disks": {}, "memory": 2 * GiB, "cpu_cores": 1,
                         "cpu_sockets": 1}]),
        ("/enter-maintenance-mode-precheck", {"where": {"id": h["node-3"]}}),
        ("/enter-maintance-mode-precheck-result", {"where": {"task_id": "@last-task"}}),
        ("/enter-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {"shutdown_vms": []}}),
        ("/exit-maintance-mode-precheck-result", {"where": {"id": h["node-3"]}}),
        ("/exit-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {}}),
    ]


def test_every_answer_in_every_test_is_held_to_upstream(upstream, monkeypatch):
    """tests/support.py validates every answer of every test client and served simulator (so a new operation's
    answers are checked wherever its tests call it); a breach turns the answer into a 599 naming it."""
    monkeypatch.setattr(model.Vm, "vm_tools_status", property(lambda vm: "BROKEN"))
    status, data, r = Api(make_client())("get-vms", {"first": 1})
    assert status == 599 and "breaks upstream 4.6.0" in r.get_data(as_text=True), r.get_data(as_text=True)[:300]


def test_an_answer_kept_before_flask_is_held_to_upstream_too():
    """The check wraps the whole app: a kept answer (api/front.py) passes it as Flask's do."""
    api = Api(make_client())
    assert api("get-hosts", {"first": 1})[0] == 200
    answers = state_of(api.client.application).answers
    [(key, kept)] = [(k, a) for k, a in answers._kept.items() if k[0] == "/v2/api/get-hosts"]
    answers._kept[key] = dataclasses.replace(kept, data=b'[{"id": 7}]')
    status, data, r = api("get-hosts", {"first": 1})
    assert status == 599 and "breaks upstream" in r.get_data(as_text=True), r.get_data(as_text=True)[:300]


def test_without_the_upstream_spec_answers_are_held_to_the_extract(monkeypatch):
    """A fresh clone has no ../shared: every answer is then held to the package's extract, which knows every upstream
    operation (a 501's ErrorBody is held too) and still tells a broken answer."""
    monkeypatch.setenv(up.ENV, "/nowhere/cloudtower-openapi-4.6.0.json")
    oracle, what = up.oracle("4.6.0")
    assert oracle.path is None and "extract" in what and up.HOW in what
    assert set(oracle.doc["paths"]) == set(Spec.load().upstream_operations)
    assert oracle.operation("/get-users")[1]["responses"] == {}  # not simulated: only its ErrorBody is known
    api = Api(make_client())
    oracle.validate("/get-vms", 200, api.ok("get-vms", {"first": 1}))
    monkeypatch.setattr(model.Vm, "vm_tools_status", property(lambda vm: "BROKEN"))
    status, data, r = Api(make_client())("get-vms", {"first": 1})
    assert status == 599 and "breaks upstream 4.6.0" in r.get_data(as_text=True), r.get_data(as_text=True)[:300]


def _validate_world(api, upstream, where):
    for op in ("/get-tasks", "/get-vms", "/get-hosts", "/get-clusters"):
        status, data, r = api(op[1:], {})
        check_request_id(r)
        assert status == 200, (where, op, data)
        try:
            upstream.validate(op, 200, data)
        except Exception as e:
            raise AssertionError(f"{op} after {where}: {e}") from e


# mutations the walk above leaves out, and the test file that makes each succeed through a client whose every answer
# is held to upstream (support.held_to_upstream): the VMs' devices and networks need their own worlds, the uploads
# multipart bodies
WALKED_ELSEWHERE = {
    **{op: "test_inventory.py" for op in (
        "/add-vm-cd-rom", "/remove-vm-cd-rom", "/toggle-vm-cd-rom-disable", "/remove-vm-disk", "/update-vm-disk",
        "/remove-vm-nic", "/update-vm-nic", "/update-vm-nic-basic-info", "/update-vm-vlan", "/delete-vm-vlan",
        "/update-vm-volume", "/delete-vm-volume")},
    "/remove-content-library-vm-template-clusters": "test_content_library.py",
    "/upload-elf-image": "test_uploads.py", "/cancel-upload-task": "test_uploads.py",
}


def test_every_registered_mutation_is_walked_or_named_where_it_is():
    """A new mutation must join the walk, or name the test that makes it answer: no list silently misses one."""
    ids = defaultdict(str, hosts=defaultdict(str), free_nics=["", ""])  # the steps' paths, not their bodies
    walked = {op for op, _ in _walk_steps(ids)}
    mutations = {p for p, b in simulated().items() if b.mutation}
    assert sorted(mutations - walked - set(WALKED_ELSEWHERE)) == [], "in neither the walk nor WALKED_ELSEWHERE"
    assert not walked & set(WALKED_ELSEWHERE)
    here = Path(__file__).parent
    for op, where in WALKED_ELSEWHERE.items():
        assert f'"{op[1:]}"' in (here / where).read_text() or f'"{op}"' in (here / where).read_text(), (op, where)


@pytest.mark.parametrize("version", per_version(VERSIONS))
def test_every_mutation_answer_and_the_world_around_it_validate(upstream_for, version):
    """On a manual clock, so that tasks, VMs and hosts are also seen mid-flight (PENDING, EXECUTING, entering
    maintenance), not only settled; against each served version's own spec."""
    upstream = upstream_for(version)
    client = make_client(Settings(task_mode="manual", api_version=version))
    api = Api(client)
    ids = {"hosts": {h["name"]: h["id"] for h in api.ok("get-hosts")}, "cluster": api.ok("get-clusters")[0]["id"]}
    ids.update(vlan=api.ok("get-vlans", {"where": {"name": "vlan-100"}})[0]["id"], vds=api.ok("get-vdses")[0]["id"],
               disk=api.ok("get-vm-disks", {"where": {"vm": {"name": "web-01"}, "type": "DISK"}})[0]["id"],
               vgpu=api.ok("get-gpu-devices", {"where": {"user_usage": "VGPU"}})[0]["id"],
               free_nics=[n["id"] for n in api.ok("get-nics", {"where": {"name_in": ["eth4", "eth5"]}})],
               org=api.ok("get-organizations")[0]["id"], dc=api.ok("get-datacenters")[0]["id"],
               **{"test-01": api.ok("get-vms", {"where": {"name": "test-01"}})[0]["id"]})
    served = simulated(version)
    last_task = None
    seen_task_states = set()
    for op, body in _walk_steps(ids):
        if op not in served:  # an operation this version does not have
            continue
        if isinstance(body, dict) and body.get("where", {}).get("task_id") == "@last-task":
            body = {"where": {"task_id": last_task}}
        for marker, kind in (("@walk-tpl", "vm-templates"), ("@walk-converted", "vms"), ("@walk-clone", "vms"),
                             ("@walk-lib", "content-library-vm-templates")):
            if marker in json.dumps(body):
                found = api.ok(f"get-{kind}", {"where": {"name": marker[1:]}})[0]["id"]
                body = json.loads(json.dumps(body).replace(f'"{marker}"', f'"{found}"'))
        if "@walk-snap" in json.dumps(body):
            snap = api.ok("get-vm-snapshots", {"where": {"name": "walk-snap"}})[0]["id"]
            body = json.loads(json.dumps(body).replace("@walk-snap", snap))
        if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"].get("folder_id"):
            body = {**body, "data": {"folder_id": api.ok("get-vm-folders", {"where": {"name_starts_with":
                                                                                     "walk-folder"}})[0]["id"]}}
        status, data, r = api(op[1:], body)
        check_request_id(r)
        assert status == 200, (op, body, data)
        upstream.validate(op, 200, data)
        tasks = [data] if isinstance(data, dict) else data
        last_task = next((t["task_id"] for t in tasks if isinstance(t, dict) and t.get("task_id")), last_task)
        _validate_world(api, upstream, f"{op} (queued)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 0.6}).status_code == 200
        _validate_world(api, upstream, f"{op} (started)")
        seen_task_states |= {t["status"] for t in api.ok("get-tasks")}
        assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
        _validate_world(api, upstream, f"{op} (settled)")
    assert {"PENDING", "EXECUTING", "SUCCESSED"} <= seen_task_states


# --- login, version, errors --------------------------------------------------------------------------------------------

def test_login_answer_validates_and_its_token_works(client, upstream):
    r = client.post("/v2/api/login", json={"username": "root", "password": "HC!r0cks"})
    check_request_id(r)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    upstream.validate("/login", 200, body)
    upstream.validate_schema("WithTask_LoginResponse_", body)
    assert isinstance(body["data"]["token"], str) and body["data"]["token"]
    status, vms, _ = Api(client, body["data"]["token"])("get-vms", {"first": 1})
    assert status == 200 and len(vms) == 1


def test_login_with_every_optional_field_validates(client, upstream):
    r = client.post("/v2/api/login", json={"username": "viewer", "password": "viewer-pass", "source": "LOCAL",
                                           "mfa_type": None, "auth_config_id": None})
    check_request_id(r)
    assert r.status_code == 200, r.get_json()
    upstream.validate("/login", 200, r.get_json())


def test_get_version_is_a_json_string(client, upstream):
    r = client.get("/v2/api/get-version")
    check_request_id(r)
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    body = json.loads(r.get_data(as_text=True))
    upstream.validate("/get-version", 200, body)
    assert isinstance(body, str) and body.count(".") == 2


def test_get_version_needs_no_token_and_ignores_one(client):
    assert client.get("/v2/api/get-version").status_code == 200
    assert client.get("/v2/api/get-version", headers={"Authorization": "garbage"}).status_code == 200


BAD_BODIES = [
    ("/get-vms", {"where": {"memory_gt": "1"}}),
    ("/get-vms", {"where": {"foo": 1}}),
    ("/get-hosts", {"where": {"vms_some": {"bar": True}}}),
    ("/get-clusters", {"orderBy": "nope_ASC"}),
    ("/get-tasks", {"where": {"status": "DONE"}}),
    ("/get-tasks-connection", {"first": -1}),
    ("/get-vms-connection", {"after": "no-such-id"}),
    ("/get-hosts-connection", {"unknown": 1}),
    ("/get-clusters-connection", []),
    ("/login", {"username": "root", "password": "wrong"}),
    ("/login", {"username": "root"}),
]


@pytest.mark.parametrize("path,body", BAD_BODIES, ids=[f"{p}-{json.dumps(b)[:40]}" for p, b in BAD_BODIES])
def test_400_answers_validate_as_the_operations_error_body(client, upstream, path, body):
    headers = {} if path == "/login" else {"Authorization": TOKEN}
    r = client.post("/v2/api" + path, json=body, headers=headers)
    check_request_id(r)
    assert r.status_code == 400, r.get_json()
    data = r.get_json()
    upstream.validate(path, 400, data)
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == 400 and data["path"] == "/v2/api" + path


@pytest.mark.parametrize("op", per_operation(sorted(OPERATIONS)))
def test_every_operations_refusals_validate(client, upstream, op):
    """A body that breaks the operation's schema (400) and, where a token is needed, none (401)."""
    declared = OPERATIONS[op]
    if declared.request is not None:
        body = {"nope": 1} if getattr(declared.request, "name", "").startswith("Get") else {}
        headers = {} if not declared.auth else {"Authorization": TOKEN}
        r = client.open("/v2/api" + op, method=declared.method, json=body, headers=headers)
        check_request_id(r)
        assert r.status_code == 400, (op, r.get_json())
        upstream.validate(op, 400, r.get_json())
    if declared.auth:
        r = client.open("/v2/api" + op, method=declared.method, json={})
        check_request_id(r)
        assert r.status_code == 401, (op, r.get_json())
        upstream.validate_schema("ErrorBody", r.get_json())
    wrong = "POST" if declared.method == "GET" else "GET"
    r = client.open("/v2/api" + op, method=wrong, json={}, headers={"Authorization": TOKEN})
    check_request_id(r)
    assert r.status_code == 405, (op, r.get_json())
    upstream.validate_schema("ErrorBody", r.get_json())


@pytest.mark.parametrize("method,path,status", [
    ("post", "/v2/api/nope", 404),
    ("get", "/v2/api/get-vms-and-more", 404),
    ("post", "/nowhere", 404),
    ("post", "/v2/api/get-users", 501),
    ("post", "/v2/api/create-iscsi-lun", 501),
    ("get", "/v2/api/get-vms", 405),
    ("post", "/v2/api/get-version", 405),
])
def test_other_error_answers_are_error_bodies(client, upstream, method, path, status):
    r = getattr(client, method)(path, json={}, headers={"Authorization": TOKEN})
    check_request_id(r)
    assert r.status_code == status, r.get_data(as_text=True)
    data = r.get_json()
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == status and data["path"] == path
    if status == 404:
        # every upstream operation declares its 404 as an ErrorBody
        upstream.validate("/get-vms", 404, data)


@pytest.mark.parametrize("op", per_operation(READS))
@pytest.mark.parametrize("token", [None, "", "not-a-token", "Bearer not-a-token"])
def test_401_answers_are_error_bodies(client, upstream, op, token):
    headers = {} if token is None else {"Authorization": token}
    r = client.post("/v2/api" + op, json={}, headers=headers)
    check_request_id(r)
    assert r.status_code == 401
    data = r.get_json()
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == 401 and data["path"] == "/v2/api" + op


def test_request_ids_are_fresh_on_every_response(client):
    seen = set()
    for _ in range(3):
        check_request_id(client.post("/v2/api/get-vms", json={}, headers={"Authorization": TOKEN}), seen)
        check_request_id(client.post("/v2/api/get-vms", json={}), seen)
        check_request_id(client.post("/v2/api/nope", json={}), seen)
        check_request_id(client.get("/v2/api/get-version"), seen)
        check_request_id(client.get("/_sim/openapi.json"), seen)


# --- every served version ---------------------------------------------------------------------------------------------

# Vm fields that 4.6.0 has and older versions do not (Vm is additionalProperties: false in every version)
NEWER_VM_FIELDS = {
    "4.0.0": {"backup_plans", "bios_uuid", "unique_logical_size", "used_size", "used_size_usage"},
    "4.1.0": {"backup_plans", "bios_uuid", "used_size", "used_size_usage"},
    "4.3.0": {"backup_plans", "used_size", "used_size_usage"},
    "4.6.0": set(),
}
_VERSIONED = {}


def versioned_client(version):
    if version not in _VERSIONED:
        _VERSIONED[version] = varied_client(version)
    return _VERSIONED[version]


@pytest.mark.parametrize("version", per_version(list(NEWER_VM_FIELDS)))
@pytest.mark.parametrize("op", per_operation(READS))
def test_reads_validate_against_the_served_versions_spec(upstream_for, version, op):
    upstream = upstream_for(version)
    status, data, _ = Api(versioned_client(version))(op[1:], {})
    assert status == 200
    upstream.validate(op, 200, data)


@pytest.mark.parametrize("version", NEWER_VM_FIELDS)
def test_a_served_version_answers_exactly_its_own_fields(upstream_for, version):
    client = versioned_client(version)
    assert client.get("/v2/api/get-version").get_json() == version
    [vm] = Api(client).ok("get-vms", {"first": 1})
    assert set(vm) == set(upstream_for(version).schemas["Vm"]["properties"])
    assert not NEWER_VM_FIELDS[version] & set(vm)


@pytest.mark.parametrize("version", NEWER_VM_FIELDS)
def test_requests_are_validated_by_the_served_versions_schema(version):
    """`bios_uuid` is a Vm filter from 4.1.0 on: 4.0.0 refuses it as upstream 4.0.0 would, naming it."""
    status, data, _ = Api(versioned_client(version))("get-vms", {"where": {"bios_uuid": "x"}})
    if "bios_uuid" in NEWER_VM_FIELDS[version]:
        assert status == 400 and "where.bios_uuid" in data["message"], data
    else:
        assert status == 200 and data == [], data


# --- random filters from the served OpenAPI document ------------------------------------------------------------------

_SERVED = {}


def served_doc():
    if not _SERVED:
        client = tasks_client()
        _SERVED["client"] = client
        r = client.get("/_sim/openapi.json")
        assert r.status_code == 200
        _SERVED["doc"] = r.get_json()
        _SERVED["vms"] = Api(client).ok("get-vms")
        _SERVED["hosts"] = Api(client).ok("get-hosts")
    return _SERVED


def _schema_name(prop: dict) -> str | None:
    ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("allOf", ()) if "$ref" in a), None)
    return ref.rsplit("/", 1)[-1] if ref else None


def _strings():
    s = served_doc()
    words = sorted({v for o in s["vms"] + s["hosts"] for k, v in o.items() if isinstance(v, str)}
                   | {"node-", "web", "-01", "app", "10.10.0.1", ""})
    return st.one_of(st.sampled_from(words), st.text(max_size=8))


def _value(schemas: dict, prop: dict, depth: int):
    name = _schema_name(prop)
    nullable = prop.get("nullable", False)
    if name is not None:
        target = schemas[name]
        if "enum" in target:
            base = st.sampled_from(target["enum"])
        elif name.endswith("WhereInput"):
            if "properties" not in target:  # a relation the simulator does not model: a plain valid filter
                base = st.sampled_from([{}, {"id": "x"}, {"name_in": ["a", "b"]}, {"AND": [{}]}])
            elif depth <= 0:
                base = st.just({})
            else:
                base = where_of(name, depth - 1)
        else:
            base = st.nothing()
    elif prop.get("type") == "array":
        item = prop["items"]
        if _schema_name(item) and _schema_name(item).endswith("WhereInput"):
            base = st.lists(where_of(_schema_name(item), depth - 1), max_size=2) if depth > 0 else st.just([])
        else:
            base = st.lists(_value(schemas, item, depth), max_size=3)
    elif prop.get("type") == "string":
        base = _strings()
    elif prop.get("type") == "integer":
        if prop.get("format") == "int32":
            base = st.one_of(st.integers(0, 20), st.integers(-(2**31), 2**31 - 1))
        else:
            base = st.one_of(st.integers(0, 20), st.integers(-(2**40), 2**40), st.sampled_from([8 * GiB, 64 * GiB]))
    elif prop.get("type") == "number":
        base = st.floats(allow_nan=False, allow_infinity=False, width=32)
    elif prop.get("type") == "boolean":
        base = st.booleans()
    else:
        base = st.nothing()
    return st.one_of(st.none(), base) if nullable else base


def where_of(name: str, depth: int = 2):
    schemas = served_doc()["doc"]["components"]["schemas"]
    props = schemas[name]["properties"]
    keys = sorted(props)
    return st.lists(st.sampled_from(keys), max_size=3, unique=True).flatmap(
        lambda ks: st.fixed_dictionaries({k: _key_value(schemas, props[k], k, depth) for k in ks}))


def _key_value(schemas: dict, prop: dict, key: str, depth: int):
    """A filter's value; a date-time field takes an instant (the simulator refuses strings that name none)."""
    if not overlay.is_datetime(re.sub(DATETIME_OPS, "", key)):
        return _value(schemas, prop, depth)
    instant = st.datetimes(datetime(2025, 12, 31), datetime(2026, 1, 2), timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=8))])).map(lambda d: d.isoformat())
    return st.lists(instant, max_size=3) if prop.get("type") == "array" else st.none() | instant


def vm_bodies():
    schemas = served_doc()["doc"]["components"]["schemas"]
    order = schemas["VmOrderByInput"]["enum"]
    return st.fixed_dictionaries({}, optional={
        "where": st.one_of(st.none(), where_of("VmWhereInput")),
        "orderBy": st.one_of(st.none(), st.sampled_from(order)),
        "first": st.one_of(st.none(), st.integers(0, 30)),
        "skip": st.one_of(st.none(), st.integers(0, 30)),
        "last": st.one_of(st.none(), st.integers(0, 30)),
    })


def test_random_valid_vm_queries_answer_200_and_validate(upstream):
    api = Api(served_doc()["client"])
    bodies = vm_bodies()

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def run(body):
        status, listed, r = api("get-vms", body)
        check_request_id(r)
        assert status == 200, (body, listed)
        upstream.validate("/get-vms", 200, listed)
        status, counted, _ = api("get-vms-connection", body)
        assert status == 200, (body, counted)
        upstream.validate("/get-vms-connection", 200, counted)
        assert counted["aggregate"]["count"] == len(listed)

    run()


@pytest.mark.parametrize("entity", ["Host", "Cluster", "Task"])
def test_random_valid_queries_of_other_entities_answer_200_and_validate(upstream, entity):
    api = Api(served_doc()["client"])
    path = f"/get-{entity.lower()}s"

    @settings(max_examples=examples(1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(where=where_of(f"{entity}WhereInput"))
    def run(where):
        status, listed, _ = api(path[1:], {"where": where})
        assert status == 200, (where, listed)
        upstream.validate(path, 200, listed)

    run()
