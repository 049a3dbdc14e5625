"""The GraphQL types of the reads /api serves (vm, vms, task, tasks), made from the served version's REST schemas:
CloudTower's REST API is generated from the same server as its GraphQL (../shared/reference/graphql.md), so a VM's
fields, its filter (VmWhereInput) and its orders (VmOrderByInput) have the same names and shapes on both wires. What
GraphQL cannot say as REST does is mapped once here: int64 is Float (GraphQL's Int has 32 bits; Tower's own schema
gives Vm.memory as Float), an object of no declared fields is the Json scalar, and a REST enum value that is no
GraphQL name is left out (no served type has one)."""

from __future__ import annotations

import re

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
ROOTS = ("Vm", "Task")  # the object types the reads answer; their filters and orders follow


def sdl(schemas: dict, defined: str = "") -> str:
    """SDL of the ROOTS types, their WhereInput and OrderByInput, and every type these reach that the SDL `defined`
    does not define already."""
    made: dict[str, str] = {m: "" for m in re.findall(r"^(?:type|input|enum|scalar) (\w+)", defined, re.M)}
    wanted = [(name, False) for name in ROOTS]
    wanted += [(f"{name}WhereInput", True) for name in ROOTS] + [(f"{name}OrderByInput", True) for name in ROOTS]
    while wanted:
        name, is_input = wanted.pop()
        if name in made:
            continue
        schema = schemas[name]
        if "enum" in schema:
            values = [v for v in schema["enum"] if NAME.match(str(v))]
            made[name] = f"enum {name} {{\n" + "".join(f"  {v}\n" for v in values) + "}"
            continue
        fields = []
        for field, prop in sorted((schema.get("properties") or {}).items()):
            if not NAME.match(field):
                continue
            kind, refs = _type(prop, schemas)
            wanted += [(r, is_input) for r in refs]
            required = field in (schema.get("required") or ()) and not prop.get("nullable") and not is_input
            fields.append(f"  {field}: {kind}{'!' if required else ''}")
        made[name] = f"{'input' if is_input else 'type'} {name} {{\n" + "\n".join(fields) + "\n}"
    return "scalar Json\n\n" + "\n\n".join(made[k] for k in sorted(made) if made[k])


def _type(prop: dict, schemas: dict) -> tuple[str, list[str]]:
    """The GraphQL type of a REST property, and the named schemas it refers to."""
    if "allOf" in prop and len(prop["allOf"]) == 1:
        prop = prop["allOf"][0]
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        target = schemas[name]
        if "enum" not in target and not target.get("properties"):
            return "Json", []
        return name, [name]
    kind = prop.get("type")
    if kind == "array":
        inner, refs = _type(prop.get("items") or {}, schemas)
        return f"[{inner}!]", refs
    if kind == "string":
        return "String", []
    if kind == "boolean":
        return "Boolean", []
    if kind == "integer":
        return ("Int" if prop.get("format") == "int32" else "Float"), []
    if kind == "number":
        return "Float", []
    return "Json", []
