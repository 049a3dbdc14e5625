"""`cloudtower-sim spec-diff FROM TO` (mock_server/schema/diff.py): what changed between upstream versions for a client
built against FROM talking to a tower at TO, each change once with the operations it reaches, classed by a rule; the
operations a project uses, from an --ops file or a simulator's journal; its exit statuses and refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from cloudtower_sim.mock_server import cli
from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.schema import diff, extract
from cloudtower_sim.mock_server.server import InThread

from .support import PINNED_START, ROOT

LABEL_READS = {"/get-vms", "/get-hosts", "/get-clusters", "/get-content-library-vm-templates"}  # issue 34's four
REF = "#/components/schemas/"


def report(old: str, new: str, used=None) -> diff.Report:
    return diff.diff(diff.shipped(old), diff.shipped(new), used)


def found(r: diff.Report, schema, field, kind, side) -> list[diff.Change]:
    return [c for c in r.changes if (c.schema, c.field, c.kind, c.side) == (schema, field, kind, side)]


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["spec-diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


# what it finds between the shipped versions -------------------------------------------------------------------------
def test_nested_label_key_is_one_breaking_change_from_4_6_0_to_4_0_0_listing_its_operations():
    """Issue 34's case: 4.6.0 requires `key` on NestedLabel, and a 4.0.0 tower's labels[] have none. One change (not
    one per operation), breaking, listing every operation whose answer holds a NestedLabel."""
    [change] = found(report("4.6.0", "4.0.0"), "NestedLabel", "key", "field-removed", "response")
    assert change.breaking and change.rule == "response field-removed"
    assert LABEL_READS <= set(change.operations)
    assert "/create-vm" in change.operations  # a WithTask_Vm_ holds the VM, and its labels
    assert "/get-labels" not in change.operations  # a Label is not a NestedLabel


def test_nested_label_key_the_other_way_is_a_field_added_and_not_breaking():
    [change] = found(report("4.0.0", "4.6.0"), "NestedLabel", "key", "field-added", "response")
    assert not change.breaking and change.rule == "response field-added"
    assert LABEL_READS <= set(change.operations)


def test_an_operation_of_4_6_0_that_4_0_0_lacks_is_added_one_way_and_removed_the_other():
    assert "/create-backup-plan" in diff.shipped("4.6.0")["paths"]
    assert "/create-backup-plan" not in diff.shipped("4.0.0")["paths"]
    [added] = [c for c in report("4.0.0", "4.6.0").changes if c.operations == ("/create-backup-plan",)]
    assert (added.kind, added.breaking, added.side) == ("operation-added", False, None)
    [removed] = [c for c in report("4.6.0", "4.0.0").changes if c.operations == ("/create-backup-plan",)]
    assert (removed.kind, removed.breaking) == ("operation-removed", True)


def test_an_enum_value_added_by_4_6_0_is_said_on_each_side_it_is_met():
    """Bus gains USB in 4.6.0: a 4.3.0 client meets it in answers (the official SDK passes an enum schema's value
    through, so not breaking) and may not send it (a 4.6.0 client that does is refused by 4.3.0: breaking)."""
    forward = report("4.3.0", "4.6.0")
    [answer] = found(forward, "Bus", "", "enum-values-added", "response")
    assert answer.values == ("USB",) and answer.rule == "response enum-values-added/named" and not answer.breaking
    assert "/get-vm-disks" in answer.operations
    [sent] = found(forward, "Bus", "", "enum-values-added", "request")
    assert not sent.breaking and "/create-vm" in sent.operations
    [back] = found(report("4.6.0", "4.3.0"), "Bus", "", "enum-values-removed", "request")
    assert back.values == ("USB",) and back.breaking


def test_nullability_required_and_type_changes_are_found_where_they_are_written():
    forward = report("4.3.0", "4.6.0")
    for kind in ("nullable-added", "required-removed"):  # an answer's field that may now be null or absent
        [c] = found(forward, "VirtualPrivateCloudFloatingIp", "external_subnet", kind, "response")
        assert c.breaking and "/get-virtual-private-cloud-floating-ips" in c.operations
    [t] = found(forward, "DataPoint", "t", "type-changed", "response")
    assert t.detail == "number -> integer" and t.breaking
    [task] = found(forward, "TaskUpdateParams", "data.description", "type-changed", "request")
    assert task.detail == "string -> object TaskDescription" and task.operations == ("/update-task",)
    [newly] = found(report("4.6.0", "4.0.0"), "VmNicParams", "connect_vlan_id", "required-added", "request")
    assert newly.breaking and "/create-vm" in newly.operations
    [eased] = found(report("4.0.0", "4.6.0"), "VmNicParams", "connect_vlan_id", "required-removed", "request")
    assert not eased.breaking


def test_a_schema_one_version_writes_inline_is_compared_as_the_named_one():
    """4.0.0 writes the content-language parameter's enum inline in every operation, 4.6.0 names it ContentLanguage:
    the value 4.6.0 adds is one change, not one per operation."""
    changes = [c for c in report("4.0.0", "4.6.0").changes if c.kind == "enum-values-added" and "*" in c.values]
    assert [(c.schema, c.side) for c in changes] == [("ContentLanguage", "request")]
    assert len(changes[0].operations) > 400


def test_the_same_versions_differ_in_nothing():
    r = report("4.6.0", "4.6.0")
    assert r.changes == () and not r.breaking and len(r.operations) == 554


def test_the_shipped_files_diff_as_the_upstream_specs_do(full_upstream_for):
    folder = full_upstream_for("4.6.0").path.parent
    full_upstream_for("4.0.0")
    via_upstream = diff.diff(diff.upstream(folder, "4.6.0"), diff.upstream(folder, "4.0.0"))
    assert via_upstream.as_json() == report("4.6.0", "4.0.0").as_json()


# the comparison on small specs: composition, unions, recursion, inline enums ----------------------------------------
def spec(schemas: dict, answer: str = "Thing", request: str = "ThingWhereInput") -> dict:
    def body(name: str) -> dict:
        return {"content": {"application/json": {"schema": {"$ref": REF + name}}}}
    op = {"operationId": "GetThings", "requestBody": body(request), "responses": {"200": body(answer)}}
    return {"version": "x", "paths": {"/get-things": {"post": op}}, "schemas": schemas}


def test_a_self_referring_where_input_is_walked_once():
    where = {"properties": {"AND": {"items": {"$ref": REF + "ThingWhereInput"}, "type": "array"},
                            "name": {"type": "string"}}, "type": "object"}
    grown = {"properties": {**where["properties"], "name_in": {"items": {"type": "string"}, "type": "array"}},
             "type": "object"}
    thing = {"properties": {"id": {"type": "string"}}, "required": ["id"], "type": "object"}
    r = diff.diff(spec({"ThingWhereInput": where, "Thing": thing}), spec({"ThingWhereInput": grown, "Thing": thing}))
    assert [(c.schema, c.field, c.kind, c.operations) for c in r.changes] == [
        ("ThingWhereInput", "name_in", "field-added", ("/get-things",))]


def test_an_inline_enum_in_an_answer_gains_a_value_breaking_for_the_sdk_that_checks_it():
    def thing(values):
        return {"properties": {"state": {"enum": values, "type": "string"}}, "type": "object"}
    where = {"properties": {}, "type": "object"}
    r = diff.diff(spec({"Thing": thing(["ON"]), "ThingWhereInput": where}),
                  spec({"Thing": thing(["ON", "BLINK"]), "ThingWhereInput": where}))
    [c] = r.changes
    assert (c.schema, c.field, c.values, c.rule, c.breaking) == (
        "Thing", "state", ("BLINK",), "response enum-values-added/inline", True)


def test_all_of_parts_are_compared_by_name_and_a_changed_composition_as_a_whole():
    base = {"properties": {"name": {"type": "string"}}, "type": "object"}
    base_grown = {"properties": {"name": {"type": "string"}, "size": {"type": "integer"}}, "type": "object"}
    composed = {"allOf": [{"$ref": REF + "Base"}, {"properties": {"extra": {"type": "string"}}, "type": "object"}]}
    where = {"properties": {}, "type": "object"}
    r = diff.diff(spec({"Thing": composed, "Base": base, "ThingWhereInput": where}),
                  spec({"Thing": composed, "Base": base_grown, "ThingWhereInput": where}))
    assert [(c.schema, c.field, c.kind) for c in r.changes] == [("Base", "size", "field-added")]
    flat = {"properties": {"name": {"type": "string"}, "extra": {"type": "string"}},  # Base folded in, `size` gone
            "required": ["name"], "type": "object"}
    r = diff.diff(spec({"Thing": composed, "Base": base_grown, "ThingWhereInput": where}),
                  spec({"Thing": flat, "Base": base_grown, "ThingWhereInput": where}))
    assert sorted((c.schema, c.field, c.kind) for c in r.changes) == [
        ("Thing", "name", "required-added"), ("Thing", "size", "field-removed")]


def test_a_union_that_gains_an_alternative_is_a_type_change():
    def thing(*names):
        return {"properties": {"owner": {"oneOf": [{"$ref": REF + n} for n in names]}}, "type": "object"}
    small = {"properties": {"id": {"type": "string"}}, "type": "object"}
    where = {"properties": {}, "type": "object"}
    r = diff.diff(spec({"Thing": thing("User"), "User": small, "Team": small, "ThingWhereInput": where}),
                  spec({"Thing": thing("User", "Team"), "User": small, "Team": small, "ThingWhereInput": where}))
    [c] = r.changes
    assert (c.field, c.kind, c.breaking) == ("owner", "type-changed", True)
    assert c.detail == "oneOf[User] -> oneOf[User, Team]"


# what a project uses ------------------------------------------------------------------------------------------------
def test_an_ops_file_limits_the_diff_and_says_what_it_ignored(tmp_path, capsys):
    ops = tmp_path / "ops.txt"
    ops.write_text("# what our CI calls\n/get-vms\n\n/get-hosts   # and hosts\n/no-such-operation\n")
    code, out, err = run(capsys, "4.6.0", "4.0.0", "--ops", str(ops), "--json")
    data = json.loads(out)
    assert code == 1 and err == ""
    assert data["operations"] == ["/get-hosts", "/get-vms"] and data["ignored"] == ["/no-such-operation"]
    assert data["limited"] and data["breaking"]
    assert all(set(c["operations"]) <= {"/get-hosts", "/get-vms"} for c in data["changes"])
    [label] = [c for c in data["changes"] if (c["schema"], c["field"]) == ("NestedLabel", "key")]
    assert label["operations"] == ["/get-hosts", "/get-vms"]
    # a client of 4.0.0 loses nothing it uses by talking to 4.6.0
    assert run(capsys, "4.0.0", "4.6.0", "--ops", str(ops))[0] == 0


def test_an_operation_used_and_gone_is_breaking(tmp_path, capsys):
    ops = tmp_path / "ops.txt"
    ops.write_text("/create-backup-plan\n")
    code, out, _ = run(capsys, "4.6.0", "4.3.0", "--ops", str(ops))
    assert code == 1 and "operation removed (1): /create-backup-plan [operation-removed]" in out


@pytest.fixture
def journalled():
    """A simulator at 4.0.0, in a thread, after a CI run: get-vms, get-hosts, a GraphQL query, an unknown path."""
    served = InThread(create_app(Settings(start_time=PINNED_START, api_version="4.0.0")))
    try:
        headers = {"Authorization": "cloudtower-sim-root-token"}
        for path in ("/v2/api/get-vms", "/v2/api/get-hosts", "/v2/api/get-vms", "/api", "/v2/api/not-an-operation"):
            requests.post(served.root + path, json={}, headers=headers, timeout=10)
        yield served
    finally:
        served.close()


def test_a_journal_url_limits_the_diff_to_the_operations_the_run_called(journalled, tmp_path, capsys):
    url = journalled.root + "/_sim/requests"
    code, out, err = run(capsys, "4.0.0", "4.6.0", "--journal", url, "--json")
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert data["operations"] == ["/get-hosts", "/get-vms"]
    assert data["ignored"] == ["/api", "/not-an-operation"]
    # the same journal as a file, the other way: the answers' NestedLabel.key is gone
    saved = tmp_path / "journal.json"
    saved.write_text(requests.get(url, timeout=10).text)
    code, out, _ = run(capsys, "4.6.0", "4.0.0", "--journal", str(saved))
    assert code == 1
    assert "ignored, not upstream operations: /api, /not-an-operation" in out
    assert "NestedLabel in the response: fields removed: key, value [response field-removed]" in out


# the report -------------------------------------------------------------------------------------------------------
def test_the_json_entries_carry_what_the_contract_verdicts_are_matched_on(capsys):
    code, out, _ = run(capsys, "4.3.0", "4.6.0", "--json")
    data = json.loads(out)
    assert code == 1 and set(data) == {"from", "to", "limited", "operations", "ignored", "breaking", "changes"}
    assert (data["from"], data["to"], data["limited"]) == ("4.3.0", "4.6.0", False)
    for entry in data["changes"]:
        assert set(entry) == {"schema", "field", "kind", "side", "breaking", "rule", "why", "operations", "values",
                              "detail"}
        assert entry["breaking"] == diff.RULES[entry["rule"]][0] and entry["operations"]
    flags = [e["breaking"] for e in data["changes"]]
    assert flags == sorted(flags, reverse=True)  # breaking first


def test_the_text_puts_breaking_first_and_writes_the_rules_down(capsys):
    code, out, _ = run(capsys, "4.3.0", "4.6.0")
    assert code == 1
    assert out.index("\nbreaking: 24 changes") < out.index("\nnot breaking:") < out.index("\nrules:")
    assert "DataPoint.t in the response: type changed: number -> integer [response type-changed]" in out
    assert "  response enum-values-added/named: not breaking, " in out
    assert max(map(len, out.splitlines())) <= 120


def test_nothing_breaking_exits_0(capsys):
    assert run(capsys, "4.0.0", "4.0.0")[0] == 0


@pytest.mark.parametrize("args, message", [
    (["4.0.0", "4.2.0"], "unknown version '4.2.0'; choose one of 4.0.0, 4.1.0, 4.3.0, 4.6.0"),
    (["4.0.0", "4.6.0", "--ops", "/no/such/file"], "--ops /no/such/file: cannot read it (No such file or directory)"),
    (["4.0.0", "4.6.0", "--journal", "/no/such/file"], "--journal /no/such/file: cannot read it"),
    (["4.0.0", "4.6.0", "--journal", "http://127.0.0.1:9/_sim/requests"], "cannot fetch it"),
    (["4.0.0", "4.6.0", "--upstream", "/no/such/dir"], "cannot read /no/such/dir/cloudtower-openapi-4.0.0.json"),
])
def test_bad_input_is_refused_in_one_line_with_status_2(args, message, capsys):
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1 and err.startswith("cloudtower-sim: ")


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON; expected what GET /_sim/requests answers"),
    ('{"path": "/get-vms"}', "expected a JSON list of entries with a path"),
])
def test_a_journal_that_is_not_one_is_refused(content, message, tmp_path, capsys):
    journal = tmp_path / "journal.json"
    journal.write_text(content)
    code, out, err = run(capsys, "4.0.0", "4.6.0", "--journal", str(journal))
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1


def test_the_simulator_never_loads_the_whole_files(monkeypatch):
    """They are spec-diff's alone: serving must not pay for reading them."""
    def refuse(version):
        raise AssertionError(f"the whole file of {version} was read")
    monkeypatch.setattr(extract, "read_whole", refuse)
    app = create_app(Settings(start_time=PINNED_START, api_version="4.3.0"))
    r = app.test_client().post("/v2/api/get-vms", json={}, headers={"Authorization": "cloudtower-sim-root-token"})
    assert r.status_code == 200


@pytest.mark.slow  # a process of its own
def test_the_command_exits_1_on_a_breaking_change_and_2_on_bad_input():
    command = [sys.executable, "-m", "cloudtower_sim", "spec-diff"]
    breaking = subprocess.run(command + ["4.6.0", "4.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert breaking.returncode == 1 and "NestedLabel in the response: fields removed: key, value" in breaking.stdout
    fine = subprocess.run(command + ["4.0.0", "4.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert fine.returncode == 0 and "breaking: 0 changes" in fine.stdout
    bad = subprocess.run(command + ["4.0.0", "9.9.9"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
