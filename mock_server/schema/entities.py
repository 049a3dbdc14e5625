"""Turns the declarations into types: the entity shapes, their `<X>WhereInput` filters (Prisma-1 grammar),
`<X>OrderByInput` enums and `Get<X>sRequestBody` query bodies, all derived from the same field lines."""

from __future__ import annotations

from dataclasses import dataclass

from . import declarations as decl
from . import filter_declarations as filters
from .types import (BOOL, DATETIME, DOUBLE, INT32, INT64, JSON, SCHEMAS, STR, Enum, Field, ListOf, Object, Opaque, Ref,
                    Type, obj, opt, register, req)

SCALARS = {"str": STR, "int32": INT32, "int64": INT64, "double": DOUBLE, "bool": BOOL, "datetime": DATETIME,
           "json": JSON}

# Which filter operators each kind of field gets (upstream's grammar: `f`, `f_not`, `f_in`, ...).
STRING_OPS = ("", "_not", "_in", "_not_in", "_lt", "_lte", "_gt", "_gte", "_contains", "_not_contains",
              "_starts_with", "_not_starts_with", "_ends_with", "_not_ends_with")
NUMBER_OPS = ("", "_not", "_in", "_not_in", "_lt", "_lte", "_gt", "_gte")
OPS = {"str": STRING_OPS, "int32": NUMBER_OPS, "int64": NUMBER_OPS, "double": NUMBER_OPS, "datetime": NUMBER_OPS,
       "bool": ("", "_not"), "enum": ("", "_not", "_in", "_not_in")}
TO_MANY_OPS = ("_some", "_every", "_none")

for _name, _values in {**filters.FILTER_ENUMS, **decl.ENUMS}.items():
    register(Enum(_name, tuple(_values.split())))


@dataclass(eq=False)
class EntityField:
    name: str
    kind: str  # scalar | enum | list | embedded | to_one | to_many
    scalar: str | None  # for scalar/enum fields: the operator family
    type: Type  # the response type
    required: bool
    target: str | None = None  # the related entity, for relations


def _parse_type(text: str) -> tuple[str, str | None, Type, str | None]:
    if text.startswith("[") and text.endswith("]"):
        kind, scalar, item, target = _parse_type(text[1:-1])
        return {"to_one": "to_many", "embedded": "embedded"}.get(kind, "list"), None, ListOf(item), target
    if text.startswith("@"):
        return "enum", "enum", Ref(text[1:]), None
    if text.startswith("{"):
        return "embedded", None, Ref(text[1:-1]), None
    if ">" in text:
        nested, target = text.split(">")
        if nested and nested not in SCHEMAS:
            register(Opaque(nested))
        return "to_one", None, Ref(nested) if nested else None, target
    return "scalar", text, SCALARS[text], None


class Entity:
    def __init__(self, name: str, tokens: list[str], modeled: bool = True):
        self.name = name
        self.fields: list[EntityField] = []
        for token in tokens:
            key, text = (s.strip() for s in token.split(":", 1))
            required = key.endswith("!")
            kind, scalar, t, target = _parse_type(text)
            self.fields.append(EntityField(key.rstrip("!"), kind, scalar, t, required, target))
        self.by_name = {f.name: f for f in self.fields}
        if modeled:
            self.shape = obj(name, *(Field(f.name, f.type, f.required, not f.required) for f in self.fields))
        # every `where` key upstream declares, mapped to (field, operator); AND/OR/NOT are handled apart
        self.where_keys: dict[str, tuple[EntityField, str]] = {}
        for f in self.fields:
            if f.kind in ("scalar", "enum") and f.scalar != "json":
                for op in OPS[f.scalar]:
                    self.where_keys[f.name + op] = (f, op)
            elif f.kind == "to_one":
                self.where_keys[f.name] = (f, "")
            elif f.kind == "to_many":
                for op in TO_MANY_OPS:
                    self.where_keys[f.name + op] = (f, op)
        self.order_fields = [f.name for f in self.fields if f.kind not in ("list", "to_one", "to_many")]


ENTITIES: dict[str, Entity] = {}  # the modeled ones
FILTER_ONLY: dict[str, Entity] = {}  # reachable through `where`, never filled in


def _where_type(f: EntityField, op: str) -> Type:
    if f.kind in ("to_one", "to_many"):
        return Ref(f.target + "WhereInput")
    base = f.type if f.kind == "enum" else SCALARS[f.scalar]
    return ListOf(base) if op in ("_in", "_not_in") else base


def _where_input(e: Entity) -> None:
    where = e.name + "WhereInput"
    combinators = [opt(c, ListOf(Ref(where))) for c in ("AND", "NOT", "OR")]
    obj(where, *combinators, *(opt(k, _where_type(f, op)) for k, (f, op) in e.where_keys.items()))


def _define(name: str, lines: str) -> Entity:
    e = Entity(name, lines.strip().splitlines())
    ENTITIES[name] = e
    _where_input(e)
    register(Enum(name + "OrderByInput", tuple(f"{n}_{d}" for n in e.order_fields for d in ("ASC", "DESC"))))
    body = [opt("after", STR), opt("before", STR), opt("first", INT32), opt("last", INT32),
            opt("orderBy", Ref(name + "OrderByInput")), opt("skip", INT32), opt("where", Ref(name + "WhereInput"))]
    obj(f"Get{name}sRequestBody", *body)
    obj(f"Get{name}sConnectionRequestBody", *body)
    obj(f"NestedAggregate{name}", req("count", INT32))
    obj(f"{name}Connection", req("aggregate", Ref(f"NestedAggregate{name}")))
    return e


for _line in decl.NESTED.strip().splitlines():
    _name, _keys = _line.split(":")
    obj(_name, *(req(k.rstrip("!"), STR) for k in _keys.split()))
obj("NestedCpu", req("cores", INT32), req("sockets", INT32))
obj("NestedStep", opt("current", DOUBLE), opt("finished", BOOL), opt("key", STR), opt("per_second", DOUBLE),
    opt("total", DOUBLE), opt("unit", Ref("StepUnit")))
obj("NestedMaintenanceHostState", req("enter_maintenance_time", STR), req("maintenance_job_id", STR),
    req("state", Ref("MaintenanceModeEnum")))

CLUSTER = _define("Cluster", decl.CLUSTER)
HOST = _define("Host", decl.HOST)
VM = _define("Vm", decl.VM)
TASK = _define("Task", decl.TASK)
USER = _define("User", decl.USER)

for _name, _text in filters.FILTER_ONLY.items():
    FILTER_ONLY[_name] = Entity(_name, _text.split(), modeled=False)
    _where_input(FILTER_ONLY[_name])

# Every other Nested*/embedded shape an entity names is one the simulator leaves null.
for _e in ENTITIES.values():
    for _f in _e.fields:
        _t = _f.type.item if isinstance(_f.type, ListOf) else _f.type
        if isinstance(_t, Ref) and _t.target not in SCHEMAS:
            register(Opaque(_t.target))
