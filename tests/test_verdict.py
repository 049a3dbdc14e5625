"""The contract suite's grouped verdict (contracts/conformance.py): each way answers break the oracle is one cause,
placed where upstream writes the rule (`NestedLabel.key`), however many answers, places in them and operations met
it; and across the served versions, a simulator serving X held to oracle Y shows the differences `spec-diff Y X`
names, and nothing else (issue 34, item 3). tests/test_contracts.py holds a whole `cloudtower-sim contract` run to
the same."""

from __future__ import annotations

import json

import pytest

from cloudtower_sim.contracts import conformance, upstream as up
from cloudtower_sim.contracts.target import Exchange
from cloudtower_sim.mock_server.api.registry import simulated
from cloudtower_sim.mock_server.schema.spec import Spec

from .support import TOKEN, unexplained, varied_client

# the reads of the read-only contracts (contracts/test_wire.py's READS)
READS = sorted(p for p, b in simulated().items() if not b.mutation and p.startswith("/get-"))
# (served, oracle, a cause the answers must show): issue 34's pairs, both ways. 4.6.0's answers differ from 4.3.0's
# only by optional fields: held to 4.6.0, a 4.3.0 tower's answers show nothing (its requests do, in a contract run)
PAIRS = [("4.0.0", "4.6.0", "NestedLabel.key"), ("4.6.0", "4.0.0", "NestedLabel.key"), ("4.3.0", "4.6.0", None),
         ("4.6.0", "4.3.0", "Vm.used_size")]


def exchange(path: str, body: dict, status: int, answer) -> Exchange:
    return Exchange("POST", path, json.dumps(body), status, {"x-tower-request-id": "r",
                                                             "content-type": "application/json"}, json.dumps(answer))


def verdict(served: str, oracle_version: str) -> list[dict]:
    """The grouped causes of every read of a simulator serving `served`, held to the oracle of `oracle_version`."""
    client, oracle = varied_client(served), up.oracle(oracle_version)[0]
    found = []
    operations = Spec.load(served).operations
    for path in [p for p in READS if p in operations and p in oracle.doc["paths"]]:
        method = operations[path].method
        r = client.open(f"/v2/api{path}", method=method, json={} if method == "POST" else None,
                        headers={"Authorization": TOKEN})
        found += conformance.findings(oracle, Exchange(method, path, "{}", r.status_code,
                                                       {k.lower(): v for k, v in r.headers.items()},
                                                       r.get_data(as_text=True)))
    return conformance.merge(f.as_cause() for f in found)


def test_one_cause_wherever_and_however_often_it_is_met():
    """A NestedLabel without its `key` in two answers, at three places: one cause at NestedLabel.key, three times, in
    both operations; a VM's unknown status is another, at the enum that forbids it."""
    oracle = up.oracle("4.6.0")[0]
    vm = varied_client("4.0.0").post("/v2/api/get-vms", json={"where": {"labels_some": {}}},
                                     headers={"Authorization": TOKEN}).get_json()[0]
    host = varied_client("4.0.0").post("/v2/api/get-hosts", json={"where": {"labels_some": {}}},
                                       headers={"Authorization": TOKEN}).get_json()[0]
    label = vm["labels"][0]
    assert "key" not in label
    found = (conformance.findings(oracle, exchange("/get-vms", {}, 200, [vm, {**vm, "status": "ASLEEP"}]))
             + conformance.findings(oracle, exchange("/get-hosts", {}, 200, [{**host, "labels": [label, label]}])))
    causes = conformance.merge(f.as_cause() for f in found)
    assert [(c["location"], c["rule"], c["operations"], c["count"]) for c in causes] == [
        ("NestedLabel.key", "required", ["/get-hosts", "/get-vms"], 4),
        ("VmStatus", "enum", ["/get-vms"], 1)], causes
    assert causes[1]["seen"] == ["'ASLEEP'"] and causes[0]["example"].endswith("at $[0].labels[0]")
    assert conformance.line(causes[0]) == "NestedLabel.key: required: expected present, seen absent"


def test_a_refused_valid_request_is_placed_at_the_field_it_names():
    oracle = up.oracle("4.6.0")[0]
    body = {"where": {"resource_type_in": ["CLOUDTOWER_K8S_APP_PACKAGE"]}}
    message = "where.resource_type_in[0]: expected one of CLUSTER_IMAGE, got string 'CLOUDTOWER_K8S_APP_PACKAGE'"
    said = exchange("/get-upload-tasks", body, 400, {"message": message, "status": 400})
    assert conformance.valid_request(oracle, said)
    cause = conformance.refused(oracle, said).as_cause()
    assert (cause["location"], cause["seen"]) == ("UploadResourceType", ['"CLOUDTOWER_K8S_APP_PACKAGE"'])
    unplaced = conformance.refused(oracle, exchange("/get-upload-tasks", body, 400, {"message": "no"}))
    assert unplaced.location == "GetUploadTasksRequestBody" and unplaced.seen == "400 no"


@pytest.mark.parametrize("served, oracle, shown", PAIRS)
def test_a_served_version_held_to_another_shows_what_spec_diff_names(served, oracle, shown):
    causes = verdict(served, oracle)
    assert not unexplained(causes, oracle, served), "causes spec-diff does not name"
    assert (shown is None) == (not causes) and (shown is None or shown in {c["location"] for c in causes}), causes


def test_a_served_version_held_to_its_own_shows_nothing():
    assert verdict("4.3.0", "4.3.0") == []
