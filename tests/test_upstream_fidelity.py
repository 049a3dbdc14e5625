"""The checked-in extracts against the upstream specs they are made from, and what the simulator reads out of them."""

import pytest

from cloudtower_sim.mock_server import cli
from cloudtower_sim.mock_server.api.registry import ENTRIES, READS, simulated, wanted
from cloudtower_sim.mock_server.domain.states import HostStatus, MaintenanceState, TaskStatus, VmStatus
from cloudtower_sim.mock_server.schema import extract
from cloudtower_sim.mock_server.schema.spec import VERSIONS, Spec, WhereKey


def test_the_checked_in_extracts_are_current_and_upstreams(full_upstream_for):
    """The one check that needs the whole upstream spec, since it holds the extract itself to it (a fresh clone has
    none: it skips, saying how to supply it); every other test holds answers to the spec, or else to the extract.
    Regenerating each extract gives the checked-in file (it fails when the registry gained an operation or the spec
    changed and `cloudtower-sim extract` was not run), and what the extract holds is upstream's: shapes, operations,
    the list of every operation, read paths."""
    for version in VERSIONS:
        upstream = full_upstream_for(version)
        assert extract.build(upstream.path, *wanted()) == (extract.EXTRACTS / f"{version}.json").read_text(), (
            f"mock_server/schema/extracts/{version}.json is stale: run cloudtower-sim extract")
        assert cli.main(["extract", "--check", "--upstream", str(upstream.path.parent), "--version", version]) == 0
        # the served shapes are upstream's without descriptions
        served = Spec.load(version).document(sorted(simulated(version)))
        assert served["info"]["version"] == version
        for name, schema in served["components"]["schemas"].items():
            assert schema == extract._strip(upstream.schemas[name]), (version, name)
        for path, item in served["paths"].items():
            (method, op), = item.items()
            theirs = upstream.doc["paths"][path][method]
            assert op["operationId"] == theirs["operationId"]
            assert op["requestBody"] == extract._strip(theirs["requestBody"]) if "requestBody" in theirs else True
            assert op["responses"]["200"] == extract._strip(theirs["responses"]["200"]), (version, path)
        # every registered operation is served where upstream has it
        served_ops = simulated(version)
        for path in ENTRIES:
            assert (path in served_ops) == (path in upstream.doc["paths"]), (version, path)
        for entity in READS:
            listing, count = Spec.load(version).reads[entity]
            assert listing in served_ops and count in served_ops
            assert (listing, count) == extract.read_paths(upstream.doc, entity)
            assert upstream.doc["paths"][listing]["post"]["operationId"].startswith("Get")
        # the list of upstream operations (which answer 501) is the spec's
        theirs = {p: (m.upper(), o["operationId"]) for p, ms in upstream.doc["paths"].items() for m, o in ms.items()}
        assert Spec.load(version).upstream_operations == theirs, version
        # read paths are upstream's, not built from the name: no string-building gives /get-vm-snapshots
        assert extract.read_paths(upstream.doc, "VmSnapshot") == ("/get-vm-snapshots", "/get-vm-snapshots-connection")
        assert extract.read_paths(upstream.doc, "Vds") == ("/get-vdses", "/get-vdses-connection")


@pytest.mark.parametrize("version", VERSIONS)
def test_every_where_key_reads_as_a_field_and_an_operator(version):
    """Scalar keys name a field of the entity (with one of Prisma-1's operators); relation keys name a relation whose
    target has a WhereInput. Holds for every entity the simulator answers."""
    spec = Spec.load(version)
    for entity in spec.reads:
        fields = spec.schemas[entity]["properties"]
        for key, w in spec.filters(entity).items():
            assert isinstance(w, WhereKey)
            assert w.field in fields, (entity, key, w)
            assert key == w.field + w.op, (entity, key, w)
            if w.kind != "scalar":
                assert w.target + "WhereInput" in spec.schemas, (entity, key)


def test_where_keys_that_look_alike_are_told_apart():
    keys = Spec.load().filters("Vm")
    assert keys["name_not_in"] == WhereKey("name", "scalar", "_not_in")
    assert keys["name_not"] == WhereKey("name", "scalar", "_not")
    assert keys["in_recycle_bin"] == WhereKey("in_recycle_bin", "scalar", "")
    assert keys["host"] == WhereKey("host", "to_one", "", "Host")
    assert keys["vm_disks_none"] == WhereKey("vm_disks", "to_many", "_none", "VmDisk")


def test_an_unknown_version_is_refused_naming_the_served_ones():
    with pytest.raises(ValueError, match="4.0.0, 4.1.0, 4.3.0, 4.6.0"):
        Spec.load("3.4.4")


def test_domain_states_are_upstreams_enums():
    schemas = Spec.load().schemas
    for enum, name in ((VmStatus, "VmStatus"), (HostStatus, "HostStatus"), (MaintenanceState, "MaintenanceModeEnum"),
                       (TaskStatus, "TaskStatus")):
        assert [e.value for e in enum] == schemas[name]["enum"]


@pytest.mark.parametrize("path,body,resource_type,mutation", [
    ("/poweroff-vm", {"where": {"name": "web-01"}}, "Vm", "poweroffVm"),
    ("/force-restart-vm", {"where": {"name": "web-02"}}, "Vm", "forceRestartVm"),
    ("/enter-maintenance-mode-precheck", {"where": {"name": "node-4"}}, "Host", "enterMaintenanceModePreCheck"),
])
def test_a_task_names_its_resource_and_mutation_as_upstream_does(api, path, body, resource_type, mutation):
    answer = api.ok(path[1:], body)
    task_id = answer["task_id"] if isinstance(answer, dict) else answer[0]["task_id"]
    [task] = api.ok("get-tasks", {"where": {"id": task_id}})
    assert task["key"] == simulated()[path].op.operation_id
    # the lowerCamel mutation, as SmartX's Terraform provider queries it: {resource_mutation: "updateVm"}
    assert task["resource_mutation"] == mutation
    [target] = api.ok(f"get-{resource_type.lower()}s", body)
    assert (task["resource_type"], task["resource_id"]) == (resource_type, target["id"])
    assert task["type"] is None  # TaskType (APPLICATION, BACKUP, ...) names none of VM or host work
    assert api.ok("get-tasks", {"where": {"resource_id": target["id"], "resource_mutation": mutation}})
