"""The GraphQL reads /api serves (vm and vms, task and tasks, label and labels, host and hosts), with their types made
from the served version's REST schemas: CloudTower's REST API is generated from the same server as its GraphQL
(../shared/reference/graphql.md), so a VM's fields, its filter (VmWhereInput) and its orders (VmOrderByInput) have the
same names and shapes on both wires. What GraphQL says otherwise than REST is mapped once here:
- a relation is the related type whole (`Vm.vm_nics: [VmNic!]`, `VmNic.vlan: Vlan`), where REST answers a
  `Nested*` of a few fields: Tower's GraphQL schema has them so (Vm.vm_nics in its public copy), and everoute selects
  through them (`vms {vm_nics {vlan {vds {id}}}}`, plugin/tower/pkg/schema/types.go);
- int64 is Float (GraphQL's Int has 32 bits; Tower's own schema gives Vm.memory as Float), an object of no declared
  fields is the Json scalar, and a REST enum value that is no GraphQL name is left out (no served type has one)."""

from __future__ import annotations

import re

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
# the object types the reads answer, each with its read of one (by a WhereUniqueInput) and of a list: everoute reads
# vms, labels, hosts and tasks (`tasks(last: 20, orderBy: local_created_at_ASC)`), the Terraform provider tasks
READS = {"Vm": ("vm", "vms"), "Task": ("task", "tasks"), "Label": ("label", "labels"), "Host": ("host", "hosts")}
ROOTS = tuple(READS)
LIST_ARGS = "after: String, before: String, first: Int, last: Int, skip: Int"  # REST's paging, as Prisma names it


def sdl(schemas: dict, defined: str = "") -> str:
    """SDL of the ROOTS types, their WhereInput and OrderByInput, and every type these reach that the SDL `defined`
    does not define already."""
    made: dict[str, str] = {m: "" for m in re.findall(r"^(?:type|input|enum|scalar) (\w+)", defined, re.M)}
    reads = []
    for kind, (one, many) in READS.items():
        unique = f"{kind}WhereUniqueInput"
        if unique not in made:
            keys = ["id: ID"] + (["local_id: String"] if "local_id" in schemas[kind]["properties"] else [])
            made[unique] = f"input {unique} {{\n" + "".join(f"  {k}\n" for k in keys) + "}"
        reads += [f"  {one}(where: {unique}!): {kind}",
                  f"  {many}({LIST_ARGS}, orderBy: {kind}OrderByInput, where: {kind}WhereInput): [{kind}!]!"]
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
            kind, refs = _type(prop, schemas, whole=not is_input)
            wanted += [(r, is_input) for r in refs]
            required = field in (schema.get("required") or ()) and not prop.get("nullable") and not is_input
            fields.append(f"  {field}: {kind}{'!' if required else ''}")
        made[name] = f"{'input' if is_input else 'type'} {name} {{\n" + "\n".join(fields) + "\n}"
    return "\n\n".join(["scalar Json", "extend type Query {\n" + "\n".join(reads) + "\n}",
                        *(made[k] for k in sorted(made) if made[k])])


def _type(prop: dict, schemas: dict, whole: bool = False) -> tuple[str, list[str]]:
    """The GraphQL type of a REST property, and the named schemas it refers to; `whole`: a relation's `Nested<X>` is
    X itself, where X is an object with an id."""
    if "allOf" in prop and len(prop["allOf"]) == 1:
        prop = prop["allOf"][0]
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        related = name.removeprefix("Nested")
        if whole and related != name and "id" in (schemas.get(related) or {}).get("properties", {}):
            name = related
        target = schemas[name]
        if "enum" not in target and not target.get("properties"):
            return "Json", []
        return name, [name]
    kind = prop.get("type")
    if kind == "array":
        inner, refs = _type(prop.get("items") or {}, schemas, whole)
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
