"""What changed in CloudTower's API from one upstream version to another, for a client built against FROM that talks to
a tower at TO (`cloudtower-sim spec-diff FROM TO`): operations added and removed, request and response fields added
and removed, what is required and what is nullable, enum values. Each change is classed breaking or not by one of
RULES, which says why.

Schemas are compared by name through `$ref`s, each pair once whatever reaches it: a change in a shared schema
(NestedLabel, in the answers of get-vms, get-hosts, ...) is one change listing the operations that reach it, and the
WhereInput graphs, which refer to themselves, are walked once. A change written alike in many operations' own bodies
(an inline parameter) is one change too. Only the success answer (200) is compared: upstream's errors are all one
ErrorBody. The shapes are the shipped `extracts/<version>.whole.json.gz` (schema/extract.py) or an upstream spec."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

from . import extract
from .spec import REF, VERSIONS

# rule -> (breaking, why). A request is what the client sends, held to TO's request schema; an answer is TO's, read by
# the client's models of FROM. "The SDK" is the official Python SDK (cloudtower-sdk, openapi-generator's python
# client; read in 2.23.0): it takes a model's known keys only (api_client.__deserialize_model), and its setters raise
# ValueError on None for a required attribute and on a value outside an inline enum (client_side_validation is on
# unless turned off).
RULES: dict[str, tuple[bool, str]] = {
    "operation-removed": (True, "TO answers 404 where the client calls it"),
    "operation-added": (False, "a client of FROM never calls it"),
    "method-changed": (True, "the client sends the method FROM names"),
    "request field-removed": (True, "upstream's request objects have additionalProperties: false: TO refuses the key "
                                    "(or, where open, ignores what it asked for)"),
    "request field-added": (False, "optional: a request without it stays valid"),
    "request field-added/required": (True, "the client does not send it: TO refuses the request"),
    "request required-added": (True, "a client that leaves it out is refused"),
    "request required-removed": (False, "what the client sends is still valid"),
    "request nullable-added": (False, "what the client sends is still valid"),
    "request nullable-removed": (True, "a client that sends null is refused"),
    "request enum-values-removed": (True, "a client that sends one is refused"),
    "request enum-values-added": (False, "the client sends the values it knows"),
    "request type-changed": (True, "TO refuses what the client sends"),
    "response field-removed": (True, "the client reads None where FROM promised a value (the SDK's model is left "
                                     "unset)"),
    "response field-added": (False, "the SDK reads only the keys its model knows; extra keys are dropped"),
    "response required-added": (False, "the field comes more often than the client needs"),
    "response required-removed": (True, "the field may be absent where FROM promised it"),
    "response nullable-added": (True, "the SDK's setter of a required field raises ValueError on None; the client's "
                                      "code meets None where FROM promised a value"),
    "response nullable-removed": (False, "the client is ready for null and never meets it"),
    "response enum-values-added/inline": (True, "the SDK's setter of an inline enum checks allowed_values and raises "
                                                "ValueError on a value it does not know"),
    "response enum-values-added/named": (False, "for a client whose SDK validates enums it would be; the official SDK "
                                                "does not: an enum schema's model has no attributes, so the SDK "
                                                "passes the string through"),
    "response enum-values-removed": (False, "the client knows every value it meets"),
    "response type-changed": (True, "the client's model of FROM cannot read what TO answers"),
}


@dataclass(frozen=True)
class Change:
    kind: str  # operation-added|-removed, method-changed, field-added|-removed, required-, nullable-, enum-values-
    # added|-removed, type-changed
    side: str | None  # request | response; None for an operation added, removed or whose method changed
    schema: str | None  # FROM's name of the schema it is written in; None: an operation's own body or parameters
    field: str  # its path there: "key", "vlan.extra_ip[].host_id", "parameters.content-language"; "": the whole
    rule: str
    operations: tuple[str, ...]
    values: tuple = ()  # the enum values added or removed
    detail: str = ""  # what a type changed from and to

    @property
    def breaking(self) -> bool:
        return RULES[self.rule][0]

    def as_json(self) -> dict:
        return {"schema": self.schema, "field": self.field, "kind": self.kind, "side": self.side,
                "breaking": self.breaking, "rule": self.rule, "why": RULES[self.rule][1],
                "operations": list(self.operations), "values": list(self.values), "detail": self.detail}


@dataclass(frozen=True)
class Report:
    old: str
    new: str
    operations: tuple[str, ...]  # the operations compared: those used, else all of both versions
    ignored: tuple[str, ...]  # paths the --ops or journal named that neither version has
    changes: tuple[Change, ...]
    limited: bool = False  # limited to the operations a project uses

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    def as_json(self) -> dict:
        return {"from": self.old, "to": self.new, "limited": self.limited, "operations": list(self.operations),
                "ignored": list(self.ignored), "breaking": self.breaking,
                "changes": [c.as_json() for c in self.changes]}


class SpecError(Exception):
    """A version, file or journal that cannot be read: said in one line."""


# the shapes --------------------------------------------------------------------------------------------------------
def shipped(version: str) -> dict:
    """The shipped whole file of `version`."""
    if version not in VERSIONS:
        raise SpecError(f"unknown version {version!r}; choose one of {', '.join(VERSIONS)} (or give --upstream DIR)")
    return extract.read_whole(version)


def upstream(folder: Path, version: str) -> dict:
    """`cloudtower-openapi-<version>.json` of `folder`, read as the whole file holds it."""
    path = folder / f"cloudtower-openapi-{version}.json"
    try:
        return extract.whole(json.loads(path.read_bytes()))
    except OSError as e:
        raise SpecError(f"cannot read {path}: {e.strerror or e}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise SpecError(f"{path} is not an OpenAPI JSON file ({type(e).__name__}: {e})") from None


# what a project uses -----------------------------------------------------------------------------------------------
def listed_operations(text: str) -> list[str]:
    """An --ops file: one operation path a line (`/get-vms`); blank lines and `#` comments are skipped."""
    return [line for line in (raw.split("#", 1)[0].strip() for raw in text.splitlines()) if line]


def journal_operations(journal) -> list[str]:
    """The paths of a `GET /_sim/requests` journal (a list of entries with `path`), in order, once each."""
    if not isinstance(journal, list) or not all(isinstance(e, dict) and isinstance(e.get("path"), str)
                                                for e in journal):
        raise SpecError("not a journal of GET /_sim/requests: expected a JSON list of entries with a path")
    return list(dict.fromkeys(e["path"] for e in journal))


# the comparison ----------------------------------------------------------------------------------------------------
def _core(schema: dict) -> tuple[dict, bool]:
    """`schema` unwrapped, and whether it is nullable: upstream writes a nullable reference
    `{"allOf": [{"$ref": ...}], "nullable": true}`."""
    nullable = bool(schema.get("nullable"))
    while len(schema.get("allOf", ())) == 1:
        schema = schema["allOf"][0]
        nullable = nullable or bool(schema.get("nullable"))
    return schema, nullable


def _kind(schema: dict) -> str:
    if "enum" in schema:
        return "enum"
    if "oneOf" in schema or "anyOf" in schema:
        return "union"
    if "allOf" in schema or "properties" in schema:
        return "object"
    return schema.get("type", "any")


def _members(schema: dict) -> list[dict]:
    return schema.get("oneOf") or schema.get("anyOf")


def _union_words(schema: dict) -> str:
    names = [m.get("$ref", REF + _kind(m))[len(REF):] for m in (_core(m)[0] for m in _members(schema))]
    return f"{'oneOf' if 'oneOf' in schema else 'anyOf'}[{', '.join(names)}]"


def _words(schema: dict, kind: str) -> str:
    return f"{kind} {schema['$ref'][len(REF):]}" if "$ref" in schema else kind


def _flat(schema: dict, schemas: dict, expand: bool, seen: frozenset = frozenset()) -> tuple[tuple, dict, set]:
    """An object's `allOf` references (resolved into it when `expand`), properties and required names."""
    refs, props, required = [], dict(schema.get("properties", {})), set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        part = _core(part)[0]
        if "$ref" in part:
            name = part["$ref"][len(REF):]
            if not expand:
                refs.append(name)
                continue
            if name in seen:  # a schema made of itself: nothing more to add
                continue
            part, seen = schemas[name], seen | {name}
        more = _flat(part, schemas, expand, seen)
        refs += more[0]
        props.update(more[1])
        required |= more[2]
    return tuple(refs), props, required


def _at(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name


def _schema_of(node: tuple) -> str | None:
    """The name a node's changes are reported under: FROM's, else TO's where FROM writes it inline; None for an
    operation's own."""
    if node[1] is None:
        return None
    return node[1] if isinstance(node[1], str) else node[2]


class _Comparison:
    """Every change between `old` and `new` (whole files) that the compared operations reach. A node is where changes
    are written: (side, FROM's schema, TO's) for a named schema, each named or, where one side writes it inline, the
    id() of that inline schema; (side, None, path) for an operation's own body and parameters. Edges say which nodes
    a node refers to."""

    def __init__(self, old: dict, new: dict):
        self.old, self.new = old, new
        self.found: dict[tuple, list[tuple]] = {}  # node -> (kind, field, qualifier, values, detail)
        self.edges: dict[tuple, set[tuple]] = {}
        self.todo: list[tuple] = []
        self.inline: dict[int, dict] = {}  # the inline side of a named schema, by id() (kept, so the id stays its)

    def node(self, key: tuple) -> tuple:
        if key not in self.edges:
            self.edges[key], self.found[key] = set(), []
            if key[1] is not None:
                self.todo.append(key)
        return key

    def named(self, node: tuple, old: dict, new: dict) -> None:
        """`node` refers to a named schema (on one side at least): its own node, compared once."""
        def key(schema: dict) -> str | int:
            if "$ref" in schema:
                return schema["$ref"][len(REF):]
            self.inline[id(schema)] = schema
            return id(schema)
        self.edges[node].add(self.node((node[0], key(old), key(new))))

    @staticmethod
    def resolved(spec: dict, schema: dict) -> dict:
        """What a reference stands for, through aliases (a schema that is only a reference to another)."""
        seen = set()
        while "$ref" in schema and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            schema = _core(spec["schemas"][schema["$ref"][len(REF):]])[0]
        return schema

    def body(self, schemas: dict, key: str | int) -> dict:
        return schemas[key] if isinstance(key, str) else self.inline[key]

    def operation(self, path: str) -> list[tuple]:
        """Compare the operation at `path` in both; its roots (request, response)."""
        (old_method, old_op), = self.old["paths"][path].items()  # upstream has one method a path
        (new_method, new_op), = self.new["paths"][path].items()
        request, response = self.node(("request", None, path)), self.node(("response", None, path))
        if old_method != new_method:
            self.found[request].append(("method-changed", "", "", (), f"{old_method.upper()} -> {new_method.upper()}"))
        old_body, new_body = _body(old_op), _body(new_op)
        if old_body[0] != new_body[0]:
            self.found[request].append(("type-changed", "", "", (), f"{old_body[0] or 'no body'} -> "
                                                                   f"{new_body[0] or 'no body'}"))
        elif old_body[1] is not None:
            self.compare(old_body[1], new_body[1], "", request)
        self.objects(_parameters(old_op), _parameters(new_op), "parameters", request)
        self.compare(_answer(old_op), _answer(new_op), "", response)
        while self.todo:
            _, old_key, new_key = key = self.todo.pop()
            self.compare(self.body(self.old["schemas"], old_key), self.body(self.new["schemas"], new_key), "", key)
        return [request, response]

    def compare(self, old: dict, new: dict, field: str, node: tuple) -> None:
        old, new = _core(old)[0], _core(new)[0]
        old_body, new_body = self.resolved(self.old, old), self.resolved(self.new, new)
        kind = _kind(old_body)
        if kind != _kind(new_body):  # said where it happens, though a side is a named schema
            self.found[node].append(("type-changed", field, "", (), f"{_words(old, kind)} -> "
                                                                    f"{_words(new, _kind(new_body))}"))
        elif "$ref" in old or "$ref" in new:  # a named schema, compared once as itself wherever it is reached
            self.named(node, old, new)
        elif kind == "enum":
            added = tuple(v for v in new["enum"] if v not in old["enum"])
            removed = tuple(v for v in old["enum"] if v not in new["enum"])
            if added:  # an answer's new value: whether the SDK checks it depends on where the enum is written
                named = _schema_of(node) is not None and not field
                qualifier = ("named" if named else "inline") if node[0] == "response" else ""
                self.found[node].append(("enum-values-added", field, qualifier, added, ""))
            if removed:
                self.found[node].append(("enum-values-removed", field, "", removed, ""))
        elif kind == "array":
            self.compare(old.get("items", {}), new.get("items", {}), field + "[]", node)
        elif kind == "object":
            self.objects(old, new, field, node)
        elif kind == "union":
            self.unions(old, new, field, node)

    def objects(self, old: dict, new: dict, field: str, node: tuple) -> None:
        (old_refs, old_props, old_required), (new_refs, new_props, new_required) = \
            _flat(old, self.old["schemas"], False), _flat(new, self.new["schemas"], False)
        if old_refs != new_refs:  # composed of other schemas now: compare what each is made of, whole
            (old_refs, old_props, old_required), (new_refs, new_props, new_required) = \
                _flat(old, self.old["schemas"], True), _flat(new, self.new["schemas"], True)
        for name in old_refs:
            self.named(node, {"$ref": REF + name}, {"$ref": REF + name})
        found = self.found[node]
        for name in old_props.keys() - new_props.keys():
            found.append(("field-removed", _at(field, name), "", (), ""))
        for name in new_props.keys() - old_props.keys():
            required = node[0] == "request" and name in new_required  # a request the client makes without it
            found.append(("field-added", _at(field, name), "required" if required else "", (), ""))
        for name in sorted(old_props.keys() & new_props.keys()):
            was, now = name in old_required, name in new_required
            if was != now:
                found.append(("required-added" if now else "required-removed", _at(field, name), "", (), ""))
            was, now = _core(old_props[name])[1], _core(new_props[name])[1]
            if was != now:
                found.append(("nullable-added" if now else "nullable-removed", _at(field, name), "", (), ""))
            self.compare(old_props[name], new_props[name], _at(field, name), node)

    def unions(self, old: dict, new: dict, field: str, node: tuple) -> None:
        """Alternatives compared one by one while they are the same ones, else the type changed."""
        if _union_words(old) != _union_words(new):
            self.found[node].append(("type-changed", field, "", (), f"{_union_words(old)} -> {_union_words(new)}"))
            return
        for old_member, new_member in zip(_members(old), _members(new)):
            self.compare(old_member, new_member, field, node)

    def reach(self, roots: list[tuple]) -> set[tuple]:
        seen, todo = set(roots), list(roots)
        while todo:
            for nxt in self.edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen


def _body(op: dict) -> tuple[str | None, dict | None]:
    """The request body's media type and schema."""
    content = op.get("requestBody", {}).get("content", {})
    media = next(iter(content), None)
    return media, content[media].get("schema", {}) if media else None


def _parameters(op: dict) -> dict:
    """The parameters (content-language, a query's) as an object of their names."""
    params = op.get("parameters", [])
    return {"properties": {p["name"]: p.get("schema", {}) for p in params},
            "required": [p["name"] for p in params if p.get("required")]}


def _answer(op: dict) -> dict:
    return op["responses"]["200"].get("content", {}).get("application/json", {}).get("schema", {})


def diff(old: dict, new: dict, used: list[str] | None = None, ignored: tuple[str, ...] = ()) -> Report:
    """What changed from `old` to `new` (whole files) in the operations `used` (a project's; default all)."""
    paths = sorted(set(old["paths"]) | set(new["paths"]) if used is None else set(used))
    ops: dict[tuple, set[str]] = {}
    comparison = _Comparison(old, new)
    for path in paths:
        if path not in new["paths"]:
            ops.setdefault(("operation-removed", None, None, "", "operation-removed", (), ""), set()).add(path)
        elif path not in old["paths"]:
            ops.setdefault(("operation-added", None, None, "", "operation-added", (), ""), set()).add(path)
        else:
            for node in comparison.reach(comparison.operation(path)):
                side, schema = node[0], _schema_of(node)
                for kind, field, qualifier, values, detail in comparison.found[node]:
                    rule = kind if kind == "method-changed" else f"{side} {kind}" + (f"/{qualifier}" if qualifier
                                                                                    else "")
                    side_of = None if kind == "method-changed" else side
                    ops.setdefault((kind, side_of, schema, field, rule, values, detail), set()).add(path)
    changes = []
    for (kind, side, schema, field, rule, values, detail), where in ops.items():
        if kind.startswith("operation-"):  # each operation added or removed is a change of its own
            changes += [Change(kind, None, None, "", rule, (p,)) for p in sorted(where)]
        else:
            changes.append(Change(kind, side, schema, field, rule, tuple(sorted(where)), values, detail))
    changes.sort(key=lambda c: (not c.breaking, c.schema or "", c.field, c.side or "", c.kind, c.operations))
    return Report(old.get("version", ""), new.get("version", ""), tuple(paths), ignored, tuple(changes),
                  used is not None)


def used_operations(named: list[str], old: dict, new: dict) -> tuple[list[str], tuple[str, ...]]:
    """Of the paths a project `named`, the upstream operations (of either version), and the rest."""
    known = set(old["paths"]) | set(new["paths"])
    return [p for p in named if p in known], tuple(p for p in named if p not in known)


# the words ---------------------------------------------------------------------------------------------------------
SHOWN = 8  # operations named in the text for one change; --json has them all
WIDTH = 120

WORDS = {"field-added": "field added", "field-removed": "field removed", "required-added": "made required",
         "required-removed": "made optional", "nullable-added": "made nullable",
         "nullable-removed": "no longer nullable",
         "enum-values-added": "enum values added", "enum-values-removed": "enum values removed",
         "type-changed": "type changed", "method-changed": "method changed", "operation-added": "operation added",
         "operation-removed": "operation removed"}
FIELD_KINDS = ("field-added", "field-removed", "required-added", "required-removed", "nullable-added",
               "nullable-removed")


def _groups(changes: list[Change]) -> list[list[Change]]:
    """The text's lines: the fields of one schema changed alike for the same operations are one line (the WhereInput
    filters of a field come and go together), and so are the operations added or removed."""
    groups: dict[tuple, list[Change]] = {}
    for c in changes:
        if c.kind.startswith("operation-"):
            key: tuple = (c.kind,)
        elif c.kind in FIELD_KINDS:
            key = (c.schema, c.side, c.rule, c.operations)
        else:
            key = (id(c),)
        groups.setdefault(key, []).append(c)
    return list(groups.values())


def _lines(group: list[Change]) -> list[str]:
    first = group[0]
    if first.kind.startswith("operation-"):
        words = WORDS[first.kind].replace("operation", "operations" if len(group) > 1 else "operation")
        return [f"  {words} ({len(group)}): {', '.join(c.operations[0] for c in group)} [{first.rule}]"]
    place = first.schema or "(the operation)"
    if first.kind in FIELD_KINDS:
        words = WORDS[first.kind]
        if len(group) > 1:
            words = words.replace("field ", "fields ")
        what = f"{words}{', required' if first.rule.endswith('/required') else ''}: " + ", ".join(
            c.field for c in group)
    else:
        if first.field:
            place += first.field if first.field.startswith("[") else f".{first.field}"
        what = WORDS[first.kind] + ": " + (", ".join(map(str, first.values)) if first.values else first.detail)
    ops = first.operations
    shown = ", ".join(ops[:SHOWN]) + (f" and {len(ops) - SHOWN} more" if len(ops) > SHOWN else "")
    return [f"  {place} in the {first.side}: {what} [{first.rule}]",
            f"      {len(ops)} operation{'s' if len(ops) > 1 else ''}: {shown}"]


def text(report: Report) -> str:
    scope = (f"{len(report.operations)} operations used" if report.limited
             else f"all {len(report.operations)} operations")
    lines = [f"spec-diff {report.old} -> {report.new}: a client built against {report.old} talking to a tower at "
             f"{report.new}; {scope}"]
    if report.ignored:
        lines.append(f"ignored, not upstream operations: {', '.join(report.ignored)}")
    breaking = [c for c in report.changes if c.breaking]
    others = [c for c in report.changes if not c.breaking]
    for title, changes in (("breaking", breaking), ("not breaking", others)):
        lines += ["", f"{title}: {len(changes)} change{'' if len(changes) == 1 else 's'}"]
        for group in _groups(changes):
            lines += _lines(group)
    rules = sorted({c.rule for c in report.changes}, key=lambda r: (not RULES[r][0], r))
    if rules:
        lines += ["", "rules:"] + [f"  {r}: {'breaking' if RULES[r][0] else 'not breaking'}, {RULES[r][1]}"
                                   for r in rules]
    return "".join(textwrap.fill(line, WIDTH, subsequent_indent="      ", break_on_hyphens=False) + "\n"
                   for line in lines)
