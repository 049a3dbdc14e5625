"""Checks any recorded exchange against the oracle: the status is one the operation declares, the body validates
against the declared schema of that status, errors carry an ErrorBody, and every answer has `x-tower-request-id`.

What is wrong is said as findings, each placed where upstream writes the rule it breaks (`NestedLabel.key`, through
the `$ref`s that reached it), not where in one answer it was met: the same NestedLabel without its `key` under
`$[3].labels[0]` of get-vms and `$[0].labels[2]` of get-hosts is one cause, and `merge` makes a run's findings its
causes, each once, with the operations where it was seen and how often."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from cloudtower_sim.contracts.target import Exchange
from cloudtower_sim.contracts.upstream import Upstream, named

# statuses an answer may have although operations do not declare them: auth is checked before any operation
UNDECLARED_ERRORS = (401, 403)
# answers already found valid: reads of an unchanged world repeat them, and validating a page of VMs costs more
# than fetching it
_VALID: set = set()
SEEN = 5  # distinct values kept of what a cause saw (an enum's unknown values, a field's types)


@dataclass(frozen=True)
class Finding:
    """One way one answer breaks the oracle."""
    schema: str | None  # the upstream schema that writes the rule (NestedLabel); None: the operation's own answer
    field: str  # the path in it ("key", "vm_nics[].model"; "" the schema itself)
    rule: str  # the JSON Schema keyword broken (required, additionalProperties, type, enum, ...), nullable (a null
    # where upstream allows none), or what of the exchange broke (server-error, declared, media-type, json, operation)
    expected: str
    seen: str
    location: str  # the schema and field in words ("NestedLabel.key"), or what of the exchange ("the status")
    operation: str  # /get-vms
    example: str  # the exchange and where in its body: "POST /get-vms answered 200 at $[3].labels[0]"

    def as_cause(self) -> dict:
        return {"location": self.location, "schema": self.schema, "field": self.field, "rule": self.rule,
                "expected": self.expected, "seen": [self.seen], "operations": [self.operation], "count": 1,
                "example": self.example}


def _at(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name


def _place(schema: str | None, field: str) -> str:
    base = schema or "the answer"
    return base + field if field.startswith("[") or not field else f"{base}.{field}"


def _json_type(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null", int: "integer",
            float: "number"}.get(type(value), type(value).__name__)


def _leaves(error):
    """The errors that say what broke: a nullable value (`anyOf [X, {type: null}]`) breaks where X does."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        kept = [i for i, s in enumerate(error.validator_value) if s != {"type": "null"}]
        if len(kept) == 1:
            for sub in error.context:
                if sub.relative_schema_path[0] == kept[0]:
                    yield from _leaves(sub)
            return
    yield error


def _through_ref(root: dict, node, place: tuple, step) -> tuple:
    """`node`, or what its `$ref` names where `step` is not its own: jsonschema follows a `$ref` without a step in
    the error's schema path."""
    while isinstance(node, dict) and step not in node and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node, place = root["$defs"][name], (name, "")
    return node, place


def _located(root: dict, error) -> tuple[tuple, tuple]:
    """Where upstream writes the keyword `error` broke, as (schema name, field path): as the property that holds it
    declares it, and as reached through that property's `$ref` (a type or a nullability is the property's; what is
    required, allowed or enumerated is the named schema's)."""
    node, place = root, (None, "")
    *steps, keyword = error.absolute_schema_path
    steps = iter(steps)
    for step in steps:
        node, place = _through_ref(root, node, place, step)
        if step == "properties":
            name = next(steps)
            node, place = node[step][name], (place[0], _at(place[1], name))
        else:
            node = node[step]
            if step == "items":
                place = (place[0], place[1] + "[]")
    return place, _through_ref(root, node, place, keyword)[1]


def _broken(root: dict, error) -> list[tuple]:
    """(schema, field, rule, expected, seen) of each rule `error` says was broken."""
    declared, reached = _located(root, error)
    rule, value, instance = error.validator, error.validator_value, error.instance
    if rule == "type":
        if instance is None:
            return [(*declared, "nullable", "a value", "null")]
        return [(*declared, "type", value if isinstance(value, str) else " or ".join(value), _json_type(instance))]
    if rule == "required":  # one error each missing name, which only its message names
        name = ast.literal_eval(error.message.removesuffix(" is a required property"))
        return [(reached[0], _at(reached[1], name), "required", "present", "absent")]
    if rule == "additionalProperties" and value is False:
        known = error.schema.get("properties", {})
        return [(reached[0], _at(reached[1], k), rule, "no field of that name", "present")
                for k in instance if k not in known]
    if rule == "enum":
        return [(*reached, rule, "one of " + ", ".join(map(str, value)), f"{instance!r:.80}")]
    return [(*reached, rule, f"{value!r:.200}", f"{instance!r:.80}")]


def findings(oracle: Upstream, exchange: Exchange) -> list[Finding]:
    """What is wrong with one exchange, each placed where upstream writes the rule it breaks."""
    if exchange.path.startswith("/_sim"):
        return []
    said = f"{exchange.method} {exchange.path} answered {exchange.status}"

    def of(location: str, rule: str, expected: str, seen: str) -> Finding:
        return Finding(None, "", rule, expected, seen, location, exchange.path, said)

    found = []
    if "x-tower-request-id" not in exchange.headers:
        found.append(of("the x-tower-request-id header", "required", "present", "absent"))
    if exchange.status >= 500:
        found.append(of("the status", "server-error", "below 500", str(exchange.status)))
    operations = oracle.doc["paths"].get(exchange.path)
    if operations is None:
        return found + [of("the path", "operation", f"an operation of CloudTower {oracle.version}", exchange.path)]
    (_, op), = operations.items()
    declared = op["responses"].get(str(exchange.status))
    if declared is None:
        if exchange.status not in UNDECLARED_ERRORS:
            return found + [of("the status", "declared", "one of " + ", ".join(op["responses"]),
                               str(exchange.status))]
        schema = named("ErrorBody")
    else:
        content = declared.get("content", {}).get("application/json")
        if content is None:
            return found
        ctype = exchange.headers.get("content-type", "")
        if "json" not in ctype:
            found.append(of("the Content-Type header", "media-type", "application/json", ctype or "none"))
        schema = content["schema"]
    body = exchange.json()
    if body is None and exchange.response_body != "null":
        return found + [of("the body", "json", "JSON", f"{exchange.response_body!r:.80}")]
    valid = (id(oracle), exchange.path, exchange.status, hash(exchange.response_body))
    if valid in _VALID:
        return found
    root, errors = oracle.errors(schema, body)
    for leaf in (leaf for error in errors for leaf in _leaves(error)):
        at = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in leaf.absolute_path)
        found += [Finding(schema_name, field, rule, expected, seen, _place(schema_name, field), exchange.path,
                          f"{said} at {at}")
                  for schema_name, field, rule, expected, seen in _broken(root, leaf)]
    if not errors:
        if len(_VALID) > 100_000:
            _VALID.clear()
        _VALID.add(valid)
    return found


def _request(exchange: Exchange):
    """The exchange's JSON request body; None where it has none, or one that is not JSON."""
    try:
        return json.loads(exchange.request_body) if exchange.request_body is not None else None
    except ValueError:
        return None


def valid_request(oracle: Upstream, exchange: Exchange) -> bool:
    """Whether the oracle declares the exchange's request valid (its JSON body, to an operation that takes one)."""
    body = _request(exchange)
    if exchange.path not in oracle.doc["paths"] or body is None:
        return False
    schema = oracle.request_schema(exchange.path)
    return schema is not None and not oracle.errors(schema, body)[1]


def _named_field(oracle: Upstream, schema: dict, body, path: str) -> tuple[str | None, str, object] | None:
    """The schema and field that `path` (`where.name_in[0]`, `orderBy`) of a request reaches through `$ref`s, and the
    request's value there; None where the request has no such path."""
    node, place, value = schema, (None, ""), body
    for step in [*re.findall(r"[^.\[\]]+|\[\d+\]", path), None]:
        while "$ref" in node or len(node.get("allOf", ())) == 1:
            if "$ref" in node:
                place = (node["$ref"].rsplit("/", 1)[-1], "")
                node = oracle.schemas[place[0]]
            else:
                node = node["allOf"][0]
        if step is None:
            return (*place, value)
        if step.startswith("[") and isinstance(value, list) and int(step[1:-1]) < len(value):
            node, place, value = node.get("items", {}), (place[0], place[1] + "[]"), value[int(step[1:-1])]
        elif isinstance(value, dict) and step in value and step in node.get("properties", {}):
            node, place, value = node["properties"][step], (place[0], _at(place[1], step)), value[step]
        else:
            return None


def refused(oracle: Upstream, exchange: Exchange) -> Finding:
    """A request the oracle declares valid, refused: placed at the field the target's message names first (as the
    simulator's does, `where.name_in[0]: expected ...`: the field the target does not take, or whose value), else at
    the operation's request body."""
    schema = oracle.request_schema(exchange.path) or {}
    answer = exchange.json()
    message = str(answer.get("message") if isinstance(answer, dict) else exchange.response_body)
    said = f"{exchange.method} {exchange.path} answered {exchange.status}" + (
        f" to {exchange.request_body:.200}" if exchange.request_body else "")
    expected = f"accepted, as valid in {oracle.version}"
    found = _named_field(oracle, schema, _request(exchange), message.split(":", 1)[0])
    if found is None:
        name = schema.get("$ref", "").rsplit("/", 1)[-1] or None
        return Finding(name, "", "refused", expected, f"{exchange.status} {message:.100}", name or "the request",
                       exchange.path, said)
    name, field, value = found
    return Finding(name, field, "refused", expected, f"{json.dumps(value):.80}", _place(name, field), exchange.path,
                   said)


# causes --------------------------------------------------------------------------------------------------------------
def merge(causes) -> list[dict]:
    """Causes (`Finding.as_cause()`, or causes already merged) by location, rule and what was expected, each once: the
    values seen (SEEN of them), the operations and contracts where, how often, and the first exchange; the commonest
    first."""
    merged: dict[tuple, dict] = {}
    for cause in causes:
        key = (cause["location"], cause["rule"], cause["expected"])
        if key not in merged:
            merged[key] = {**cause, "seen": [], "operations": [], "count": 0}
        into = merged[key]
        into["seen"] = list(dict.fromkeys(into["seen"] + cause["seen"]))[:SEEN]
        into["operations"] = sorted(set(into["operations"]) | set(cause["operations"]))
        into["count"] += cause["count"]
        if "contracts" in cause:
            into["contracts"] = sorted(set(into.get("contracts", ())) | set(cause["contracts"]))
    return sorted(merged.values(), key=lambda c: (-len(c["operations"]), -c["count"], c["location"], c["rule"]))


def line(cause: dict) -> str:
    """A cause in one line: where, the rule, what was expected and what was seen."""
    expected = cause["expected"] if len(cause["expected"]) <= 120 else cause["expected"][:117] + "..."
    return f"{cause['location']}: {cause['rule']}: expected {expected}, seen {', '.join(cause['seen'])}"


def met(cause: dict) -> str:
    """How often a cause was met, and an exchange that met it."""
    return f"{cause['count']} time{'s' if cause['count'] > 1 else ''}, e.g. {cause['example']}"


def text(found: list[Finding]) -> str:
    """What a contract failed of: each cause its answers met, once, with an exchange that met it."""
    causes = merge(f.as_cause() for f in found)
    return f"answers do not conform ({len(causes)} cause{'s' if len(causes) > 1 else ''}):\n" + "\n".join(
        f"  {line(c)}\n      {met(c)}" for c in causes)


class Nonconforming(AssertionError):
    """Answers that break the oracle, as a contract that checks each as it goes fails: said in `text`, no
    traceback (the plugin shows it without one)."""

    def __init__(self, found: list[Finding]):
        super().__init__(text(found))
        self.found = found
