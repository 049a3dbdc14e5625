"""The oracle every answer is held to (contracts/upstream.py), and the check that holds every answer of every test to
it (support.held_to_upstream): it keeps upstream's properties, tells a broken answer, its quick validator agrees
with jsonschema, and it sees kept answers and works from the extract in a fresh clone."""

from __future__ import annotations

import copy
import dataclasses
import json

import jsonschema
import pytest

from cloudtower_sim.contracts import upstream as up
from cloudtower_sim.mock_server.api.app_state import state_of
from cloudtower_sim.mock_server.domain import model
from cloudtower_sim.mock_server.schema.spec import Spec

from .support import READS, Api, make_client


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



# --- every answer of every test held to it ---------------------------------------------------------------------------

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
