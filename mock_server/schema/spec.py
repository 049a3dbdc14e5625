"""One served API version: its extract (`extracts/<version>.json`, written by `extract.py` from the upstream spec)
compiled into request and response types, the operations it has, the `where` grammar of every entity, and the
OpenAPI document the simulator serves."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import overlay
from .types import Any, Enum, Hinted, ListOf, Object, Ref, Scalar, Type, Field

EXTRACTS = Path(__file__).parent / "extracts"
VERSIONS = ("4.0.0", "4.1.0", "4.3.0", "4.6.0")
DEFAULT_VERSION = "4.6.0"
REF = "#/components/schemas/"

# Prisma-1's filter operators; longest first, so that `name_not_in` reads as name + _not_in although `name_not` is a
# key too
SCALAR_OPS = ("_not_starts_with", "_not_ends_with", "_not_contains", "_starts_with", "_ends_with", "_contains",
              "_not_in", "_in", "_not", "_lte", "_lt", "_gte", "_gt")
TO_MANY_OPS = ("_some", "_every", "_none")
DATETIME_OPS = r"(_not_in|_in|_not|_lte|_lt|_gte|_gt)$"  # the operators upstream gives date-time fields


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    tag: str
    auth: bool
    request: Type | None
    response: Type
    form: bool = False  # the body is multipart/form-data (the six upload operations), not JSON


@dataclass(frozen=True)
class WhereKey:
    """What one `<X>WhereInput` key tests: `field` of the object, with operator `op`, as a scalar or a relation to
    `target` (to_one, or to_many with _some/_every/_none)."""
    field: str
    kind: str  # scalar | to_one | to_many
    op: str
    target: str | None = None


def _scalar(schema: dict) -> Type:
    t, fmt = schema.get("type"), schema.get("format")
    if t == "string":
        return Scalar("binary" if fmt == "binary" else "str")
    if t == "integer":
        return Scalar(fmt if fmt in ("int32", "int64") else "int64")
    if t == "number":
        return Scalar("double")
    if t == "boolean":
        return Scalar("bool")
    if t == "object":
        return Scalar("json")
    return Any()


class Spec:
    def __init__(self, data: dict):
        self.data = data
        self.version: str = data["version"]
        self.schemas: dict = data["schemas"]
        self.upstream_operations = {p: tuple(v) for p, v in data["upstream_operations"].items()}
        self.reads: dict[str, tuple[str, str]] = {e: tuple(p) for e, p in data["reads"].items()}
        self._types: dict[str, Type] = {}
        self._filters: dict[str, dict[str, WhereKey]] = {}
        self.operations = {p: self._operation(p, item) for p, item in data["paths"].items()}

    @staticmethod
    @lru_cache(maxsize=None)
    def load(version: str = DEFAULT_VERSION) -> "Spec":
        if version not in VERSIONS:
            raise ValueError(f"API version {version!r} is not served; choose one of {', '.join(VERSIONS)}")
        return Spec(json.loads((EXTRACTS / f"{version}.json").read_text()))

    # types -----------------------------------------------------------------------------------------------------------
    def type(self, name: str) -> Type:
        t = self._types.get(name)
        if t is None:
            t = self._types[name] = self.compile(self.schemas[name], (name,))
        return t

    def compile(self, schema: dict, at: tuple) -> Type:
        """The type of `schema`; `at` is its place (schema name, then property names) for the overlay's hints."""
        if "$ref" in schema:
            return Ref(schema["$ref"][len(REF):], self)
        if "allOf" in schema:  # upstream's only use: {"allOf": [{"$ref": ...}], "nullable": true}
            return self.compile(schema["allOf"][0], at)
        if "enum" in schema:
            return Enum(at[0] if len(at) == 1 else None, tuple(schema["enum"]))
        if schema.get("type") == "array":
            t: Type = ListOf(self.compile(schema.get("items", {}), at))
        elif schema.get("properties"):
            required = set(schema.get("required", ()))
            fields = [Field(k, self.compile(p, (*at, k)), k in required, bool(p.get("nullable")), _to_many(p))
                      for k, p in schema["properties"].items()]
            t = Object(at[0] if len(at) == 1 else None, fields, schema.get("additionalProperties") is False,
                       overlay.UNKNOWN_KEY_HINTS.get(at, {}))
        elif len(at) == 2 and at[0].endswith("WhereInput") and schema.get("type") == "string" and \
                overlay.is_datetime(re.sub(DATETIME_OPS, "", at[1])):
            t = Scalar("datetime")  # filters on a date-time compare instants, not strings
        else:
            t = _scalar(schema)
        hint = overlay.VALUE_HINTS.get(at)
        return Hinted(t, hint) if hint else t

    def _operation(self, path: str, item: dict) -> Operation:
        (method, op), = item.items()
        content = op.get("requestBody", {}).get("content", {})
        form = "multipart/form-data" in content
        body = content.get("multipart/form-data" if form else "application/json", {}).get("schema")
        answer = op["responses"]["200"]["content"]["application/json"]["schema"]
        return Operation(path, method.upper(), op["operationId"], op["tags"][0], bool(op.get("security")),
                         self.compile(body, (op["operationId"],)) if body else None,
                         self.compile(answer, (op["operationId"],)), form)

    # the where grammar -----------------------------------------------------------------------------------------------
    def filters(self, entity: str) -> dict[str, WhereKey]:
        """Every key of `<entity>WhereInput` but AND/OR/NOT, read as (field, operator)."""
        keys = self._filters.get(entity)
        if keys is None:
            keys = self._filters[entity] = _where_keys(self.schemas[entity + "WhereInput"]["properties"])
        return keys

    # the served document ---------------------------------------------------------------------------------------------
    def document(self, paths) -> dict:
        """OpenAPI 3.0 of the operations at `paths`: upstream's own, plus the 401 the simulator answers without a
        valid token (upstream declares none)."""
        served = {}
        for path in paths:
            item = copy.deepcopy(self.data["paths"][path])
            for op in item.values():
                if op.get("security"):
                    op["responses"]["401"] = {"description": "Unauthorized", "content": {
                        "application/json": {"schema": {"$ref": REF + "ErrorBody"}}}}
            served[path] = item
        return {
            "openapi": "3.0.0",
            "info": {"title": "CloudTower APIs (cloudtower-sim)", "version": self.version,
                     "description": "The subset of the CloudTower API that cloudtower-sim simulates"},
            "servers": [{"url": "/v2/api"}],
            "paths": served,
            "components": {"schemas": self.schemas, "securitySchemes": self.data["security_schemes"]},
        }


def _to_many(prop: dict) -> bool:
    """An array of `Nested<X>`: the related objects of a to-many relation (Vm.vm_disks, Host.vms, ...)."""
    return prop.get("type") == "array" and prop.get("items", {}).get("$ref", "").startswith(REF + "Nested")


def _where_keys(props: dict) -> dict[str, WhereKey]:
    keys = {}
    for key, prop in props.items():
        if key in ("AND", "OR", "NOT"):
            continue
        ref = (prop.get("allOf") or [prop])[0].get("$ref", "")
        if ref.endswith("WhereInput"):
            target = ref[len(REF):-len("WhereInput")]
            op = next((s for s in TO_MANY_OPS if key.endswith(s) and key[:-len(s)] not in props), "")
            keys[key] = WhereKey(key[:len(key) - len(op)], "to_many" if op else "to_one", op, target)
        else:
            op = next((s for s in SCALAR_OPS if key.endswith(s) and key[:-len(s)] in props), "")
            keys[key] = WhereKey(key[:len(key) - len(op)], "scalar", op)
    return keys
