"""Wire contracts: Schemathesis generates requests from the oracle (the upstream spec) for every simulated operation
and holds each answer to it. Valid reads must answer 200; invalid requests 4xx with an ErrorBody; nothing 5xx.

On a target that is not the simulator, generated mutations act only on VMs named with the test prefix (their `where`
is ANDed with it), and generated invalid mutations, logins and maintenance requests are not sent at all: a server
that wrongly accepted one could act on the real cluster. The workflow contracts cover those operations there."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

from cloudtower_sim.mock_server.api.registry import acts_on_vms, simulated
from cloudtower_sim.mock_server.schema import overlay
from cloudtower_sim.mock_server.schema.spec import DATETIME_OPS

from cloudtower_sim.contracts import conformance

SIMULATED = simulated()
OPERATIONS = {p: b.op for p, b in SIMULATED.items()}
READS = sorted(p for p, b in SIMULATED.items() if not b.mutation and p.startswith("/get-"))
# mutations of existing VMs chosen by a VmWhereInput: on a real tower they are scoped to the prefix VMs
VM_OPERATIONS = sorted(p for p, b in SIMULATED.items() if b.mutation and acts_on_vms(b.op))
# sent only to the simulator: generated bodies would create VMs, log in, or move a real host's VMs
SIMULATOR_ONLY = sorted(set(SIMULATED) - set(READS) - set(VM_OPERATIONS))

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def generation_spec(doc: dict) -> dict:
    """The oracle, narrowed where its types say less than the API's rules, so that "valid" means valid: paging
    counts are non-negative (Prisma refuses others), and cursors are ids a previous page handed out, which a
    generator cannot invent (the client contracts page with real ones). Authentication is ours to send, not the
    generator's: without it, invalid cases would test the token, answered 401, which no operation declares.
    Filters on date-times take instants (upstream types them as plain strings, but a tower compares instants).
    Answers are still held to the oracle."""
    raw = copy.deepcopy(doc)
    raw["servers"] = [{"url": "/v2/api"}]
    raw.pop("security", None)
    raw.get("components", {}).pop("securitySchemes", None)
    for operations in raw["paths"].values():
        for op in operations.values():
            op.pop("security", None)
    for name, schema in raw["components"]["schemas"].items():
        if name.endswith("WhereInput"):
            _cut_relations(name, schema)
            _instants(schema)
    for name, schema in raw["components"]["schemas"].items():
        if name.startswith("Get") and name.endswith("RequestBody"):
            props = schema.get("properties", {})
            for key in ("first", "skip", "last"):
                if key in props:
                    props[key] = {**props[key], "minimum": 0}
            for key in ("after", "before"):
                props.pop(key, None)
    return raw


def _instants(schema: dict) -> None:
    """Date-time filters (`local_created_at_gt`, `started_at_in`, ...) as RFC 3339 date-times."""
    for key, prop in schema.get("properties", {}).items():
        if overlay.is_datetime(re.sub(DATETIME_OPS, "", key)):
            if prop.get("type") == "array":
                prop["items"] = {**prop["items"], "format": "date-time"}
            elif prop.get("type") == "string":
                prop["format"] = "date-time"


# a relation filter, cut to its `id` (nullable, as upstream's every where key is): still valid upstream, and only {}
# / {"id": ...} are generated for it
RELATION = {"type": "object", "nullable": True, "properties": {"id": {"type": "string", "nullable": True}},
            "additionalProperties": False}


def _cut_relations(name: str, schema: dict) -> None:
    """Schemathesis walks every path through the schema graph to find what to mutate, and CloudTower's where
    inputs reach each other (Vm -> Host -> Cluster -> Vm ...) through hundreds of relation filters: the walk does
    not end. The filters of other types become id-only objects; AND/OR/NOT keep their own type."""
    for key, prop in schema.get("properties", {}).items():
        refs = [r for r in json.dumps(prop).split('"') if r.endswith("WhereInput")]
        if any(not r.endswith("/" + name) for r in refs):
            schema["properties"][key] = RELATION


@pytest.fixture(scope="session")
def wire_schema(oracle):
    import schemathesis

    return schemathesis.openapi.from_dict(generation_spec(oracle.doc))


def run(target, wire_schema, oracle, examples, path, mode, expect_ok=False, scope=None):
    method = "GET" if OPERATIONS[path].method == "GET" else "POST"
    strategy = wire_schema[path][method].as_strategy(generation_mode=mode)
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @examples
    @given(case=strategy)
    def contract(case):
        target.check_deadline()
        if scope is not None:
            if not (isinstance(case.body, dict) and isinstance(case.body.get("where"), dict)):
                return  # nothing to scope: not sent to a real cluster
            case.body = {**case.body, "where": {"AND": [case.body["where"], scope]}}
        response = case.call(base_url=target.base_url, session=target.session, headers=target.headers(),
                             timeout=target.request_timeout)
        found = conformance.findings(oracle, target.exchanges[-1])
        if found:  # before Schemathesis' checks, which say the same with a traceback and the whole schema
            raise conformance.Nonconforming(found)
        case.validate_response(response, checks=checks)
        if expect_ok and response.status_code != 200:
            raise conformance.Nonconforming([conformance.refused(oracle, target.exchanges[-1])])
        del target.exchanges[-1]  # checked: the teardown check need not repeat it, the report keeps failures only

    contract()


@pytest.mark.parametrize("path", READS)
def test_valid_reads_answer_200_and_conform(target, wire_schema, oracle, examples, path):
    run(target, wire_schema, oracle, examples, path, GenerationMode.POSITIVE, expect_ok=True)


@pytest.mark.parametrize("path", [p for p in READS if OPERATIONS[p].method == "POST"])
def test_invalid_reads_are_rejected_with_error_body(target, wire_schema, oracle, examples, path):
    run(target, wire_schema, oracle, examples, path, GenerationMode.NEGATIVE)


@pytest.mark.mutating
@pytest.mark.parametrize("path", VM_OPERATIONS)
def test_valid_vm_operations_conform(target, wire_schema, oracle, examples, path):
    scope = None if target.control else {"name_starts_with": target.prefix}
    run(target, wire_schema, oracle, examples, path, GenerationMode.POSITIVE, scope=scope)


@pytest.mark.control
@pytest.mark.parametrize("path", VM_OPERATIONS + SIMULATOR_ONLY)
def test_invalid_mutations_are_rejected_with_error_body(target, wire_schema, oracle, examples, path):
    run(target, wire_schema, oracle, examples, path, GenerationMode.NEGATIVE)


@pytest.mark.control
@pytest.mark.parametrize("path", SIMULATOR_ONLY)
def test_generated_mutations_conform(target, wire_schema, oracle, examples, path):
    run(target, wire_schema, oracle, examples, path, GenerationMode.POSITIVE)
