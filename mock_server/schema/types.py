"""The type system the extract compiles into (see spec.py): each type validates request values and renders domain
values into wire JSON. Named types live in the scope of one API version's spec."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import ClassVar

class InvalidInput(Exception):
    """A request value that breaks the schema; `field` is a dotted path such as `where.name_in[0]`."""

    def __init__(self, field: str, expected: str, got=None, hint: str = ""):
        self.field, self.expected, self.got, self.hint = field, expected, got, hint
        text = f"{field or 'body'}: {expected}"
        if got is not None:
            text += f", got {got}"
        super().__init__(text + (f" ({hint})" if hint else ""))


def describe(value) -> str:
    """How a wrong value is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "an array"
    return "an object"


def join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def get(obj, name):
    """Read a wire field from a domain object or a dict; what the object does not model reads as None."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class Type:

    def validate(self, value, path: str):
        raise NotImplementedError

    def render(self, value):
        return value



@dataclass(eq=False)
class Scalar(Type):
    kind: str  # str | int32 | int64 | double | bool | datetime | json | binary (a multipart file part)

    LIMITS: ClassVar[dict] = {"int32": 2**31, "int64": 2**63}

    def validate(self, value, path):
        k = self.kind
        if k == "datetime":
            return _instant(value, path)
        if k == "str":
            ok = isinstance(value, str)
        elif k in ("int32", "int64"):
            ok = isinstance(value, int) and not isinstance(value, bool) and -self.LIMITS[k] <= value < self.LIMITS[k]
        elif k == "double":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif k == "bool":
            ok = isinstance(value, bool)
        elif k == "binary":
            ok = isinstance(value, bytes)
        else:
            ok = isinstance(value, dict)
        if not ok:
            raise InvalidInput(path, f"expected {self.expected()}", describe(value))
        return value

    def expected(self):
        return {"str": "a string", "datetime": "a date-time string", "int32": "a 32-bit integer",
                "int64": "a 64-bit integer", "double": "a number", "bool": "a boolean", "json": "an object",
                "binary": "a file part"}[self.kind]


def _instant(value, path: str) -> str:
    """An ISO 8601 date-time with its timezone (`Z` or an offset, with or without milliseconds), as the instant in the
    simulator's own form (UTC, milliseconds, `Z`), so that comparing the strings compares the instants."""
    try:
        t = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise InvalidInput(path, "expected an ISO 8601 date-time with a timezone, such as 2026-01-01T08:00:00Z or "
                                 "2026-01-01T16:00:00.000+08:00", describe(value))
    try:
        t = t.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:01+01:00 is before the first instant Python can hold
        raise InvalidInput(path, "expected a date-time from year 1 to 9999 in UTC", describe(value)) from None
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(eq=False)
class Enum(Type):
    name: str
    values: tuple

    def validate(self, value, path):
        if value not in self.values or not isinstance(value, str):
            raise InvalidInput(path, f"expected one of {', '.join(self.values)}", describe(value))
        return value


@dataclass(eq=False)
class ListOf(Type):
    item: Type

    def validate(self, value, path):
        if not isinstance(value, list):
            raise InvalidInput(path, f"expected an array", describe(value))
        return [self.item.validate(v, join(path, i)) for i, v in enumerate(value)]

    def render(self, value):
        return None if value is None else [self.item.render(v) for v in value]


@dataclass(eq=False)
class Ref(Type):
    """A named type of a spec, resolved when first used (schemas refer to each other, recursively)."""
    target: str
    scope: object  # the Spec that defines it: scope.type(name)

    @property
    def resolved(self) -> Type:
        return self.scope.type(self.target)

    @property
    def name(self):
        return self.target

    def validate(self, value, path):
        return self.resolved.validate(value, path)

    def render(self, value):
        return self.resolved.render(value)


@dataclass(eq=False)
class Field:
    name: str
    type: Type
    required: bool = False
    nullable: bool = False
    to_many: bool = False  # a list of related objects: CloudTower (Prisma) answers [] for none, never null


class RenderError(Exception):
    """The simulator was about to answer with a required field missing: a bug, never the user's fault."""


@dataclass(eq=False)
class Object(Type):
    name: str | None
    fields: list[Field]
    strict: bool = True  # upstream's additionalProperties: false; other objects' unknown keys are refused too
    hints: dict = field(default_factory=dict)  # unknown key -> what the caller probably meant

    def __post_init__(self):
        self.by_name = {f.name: f for f in self.fields}

    def validate(self, value, path):
        if not isinstance(value, dict):
            raise InvalidInput(path, f"expected an object{self._called()}", describe(value))
        out = {}
        for key, v in value.items():
            f = self.by_name.get(key)
            if f is None:
                # where upstream does not say a tower refuses it (no additionalProperties: false), a tower may well
                # ignore it; refused all the same, so that a misspelt key never passes CI silently
                unsure = "" if self.strict else " (cloudtower-sim refuses keys upstream does not declare)"
                raise InvalidInput(join(path, key), f"unknown field: {self._called(plain=True)} does not declare "
                                                    f"it{unsure}", hint=self.hints.get(key, ""))
            if v is None:
                if not f.nullable:
                    raise InvalidInput(join(path, key), f"expected {self._expected_of(f)}", "null")
                out[key] = None
                continue
            out[key] = f.type.validate(v, join(path, key))
        for f in self.fields:
            if f.required and key_missing(value, f.name):
                hint = next((h for k, h in self.hints.items() if k in value), "")
                raise InvalidInput(join(path, f.name), "required field missing", hint=hint)
        return out

    def _called(self, plain=False):
        if plain:
            return self.name or "this object"
        return f" ({self.name})" if self.name else ""

    @staticmethod
    def _expected_of(f):
        t = f.type.resolved if isinstance(f.type, Ref) else f.type
        if isinstance(t, Scalar):
            return t.expected()
        if isinstance(t, Enum):
            return f"one of {', '.join(t.values)}"
        return "an array" if isinstance(t, ListOf) else "an object"

    def render(self, value):
        if value is None:
            return None
        out = {}
        for f in self.fields:
            v = get(value, f.name)
            if v is None and f.to_many:
                out[f.name] = []
            elif v is None:
                if f.required:
                    raise RenderError(f"{self.name}.{f.name} is required but the world has no value for it")
                if f.nullable:  # a field upstream declares neither required nor nullable is left out instead
                    out[f.name] = None
            else:
                out[f.name] = f.type.render(v)
        return out


def key_missing(value: dict, key: str) -> bool:
    return key not in value or value[key] is None


class Any(Type):
    """A schema with no type (`{}`): any JSON value."""

    def validate(self, value, path):
        return value


@dataclass(eq=False)
class Hinted(Type):
    """A type whose errors also say what the caller probably meant (for the seed page's known errata)."""
    inner: Type
    hint: str

    def validate(self, value, path):
        try:
            return self.inner.validate(value, path)
        except InvalidInput as e:
            raise InvalidInput(e.field, e.expected, e.got, e.hint or self.hint) from None

    def render(self, value):
        return self.inner.render(value)
