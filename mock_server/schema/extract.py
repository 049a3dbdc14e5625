"""Writes the compact extract of an upstream CloudTower spec that the simulator runs on: the simulated operations and
every schema they reach (the whole WhereInput/OrderByInput graph and its enums), plus the list of all upstream
operations (to answer 501 rather than 404). Descriptions and examples are dropped; what is left are facts.

Beside it, `<version>.whole.json.gz`: every upstream operation (its request, parameters and success answer) and every
schema, for `cloudtower-sim spec-diff` alone (the simulator never loads it): 1.4 to 2.0 MB of JSON a version, 90 to
125 KiB gzipped. Its text, not its bytes, is what --check compares, since zlib builds may compress one text apart.

    cloudtower-sim extract [--upstream DIR] [--version V ...] [--check]

The operations come from the registry (`mock_server.api.registry.wanted`, which the command passes in: the schema
imports nothing of the simulator): its paths, and for each entity it reads, the upstream `get-...` and
`get-...-connection` paths whose answers are that entity."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

from .spec import EXTRACTS, REF, VERSIONS

DROPPED = {"description", "example", "examples"}


def _strip(node, in_properties=False):
    """Drop descriptions and examples; a property named `description` stays (it is a field, not a keyword)."""
    if isinstance(node, list):
        return [_strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    if in_properties:
        return {k: _strip(v) for k, v in node.items()}
    return {k: _strip(v, k == "properties") for k, v in node.items() if k not in DROPPED}


def _refs(node, out: set) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                out.add(v[len(REF):])
            else:
                _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def _reach(schemas: dict, roots: set) -> set:
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set = set()
        _refs(schemas[name], found)
        todo.extend(found - seen)
    return seen


def _json_200(op: dict):
    return op["responses"]["200"].get("content", {}).get("application/json", {}).get("schema")


def read_paths(spec: dict, entity: str) -> tuple[str, str] | None:
    """Upstream's list and count paths of `entity`: the operations answering `[<entity>]` and `<entity>Connection`
    (so `VmSnapshot` is read at /get-vm-snapshots, as upstream names it)."""
    listing = count = None
    for path, methods in spec["paths"].items():
        for op in methods.values():
            schema = _json_200(op) or {}
            if schema == {"items": {"$ref": REF + entity}, "type": "array"} and path.startswith("/get-"):
                listing = path
            elif schema == {"$ref": REF + entity + "Connection"}:
                count = path
    return (listing, count) if listing and count else None


def extract(spec: dict, paths: list[str], entities: list[str], source: str = "") -> dict:
    """The extract of `spec` for the operations at `paths` and the reads of `entities` (those the spec has)."""
    schemas = spec["components"]["schemas"]
    reads = {e: list(p) for e in entities if (p := read_paths(spec, e))}
    wanted = sorted({p for p in paths if p in spec["paths"]} | {p for pair in reads.values() for p in pair})
    ops = {p: _strip(spec["paths"][p]) for p in wanted}
    roots = {"ErrorBody"}
    _refs(ops, roots)
    for e in reads:
        roots.add(e)
    names = _reach(schemas, roots)
    return {
        "version": spec["info"]["version"],
        "source": source,
        "upstream_operations": {p: [m.upper(), o["operationId"]] for p, ms in sorted(spec["paths"].items())
                                for m, o in ms.items()},
        "reads": dict(sorted(reads.items())),
        "paths": ops,
        "security_schemes": spec["components"].get("securitySchemes", {}),
        "schemas": {n: _strip(schemas[n]) for n in sorted(names)},
    }


def whole(spec: dict, source: str = "") -> dict:
    """Every operation of `spec` with what spec-diff compares (operationId, parameters, request body, the 200 answer
    without its headers) and every schema; the errors are all upstream's one ErrorBody."""
    def operation(op: dict) -> dict:
        kept = {k: _strip(op[k]) for k in ("operationId", "parameters", "requestBody") if k in op}
        kept["responses"] = {"200": {k: v for k, v in _strip(op["responses"]["200"]).items() if k != "headers"}}
        return kept
    return {
        "version": spec["info"]["version"],
        "source": source,
        "paths": {p: {m: operation(o) for m, o in ms.items()} for p, ms in sorted(spec["paths"].items())},
        "schemas": {n: _strip(s) for n, s in sorted(spec["components"]["schemas"].items())},
    }


def whole_path(version: str) -> Path:
    return EXTRACTS / f"{version}.whole.json.gz"


def read_whole(version: str) -> dict:
    return json.loads(gzip.decompress(whole_path(version).read_bytes()))


def dumps(data: dict) -> str:
    """One top-level key per line, and one path or schema per line: small diffs when upstream changes."""
    lines = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        end = "," if i < len(keys) - 1 else ""
        value = data[key]
        if key in ("paths", "schemas", "upstream_operations"):
            inner = [f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in value.items()]
            lines.append(f" {json.dumps(key)}: {{\n" + ",\n".join(inner) + f"\n }}{end}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}{end}")
    return "\n".join(lines) + "\n}\n"


def build(upstream_file: Path, paths: list[str], entities: list[str]) -> str:
    """The extract of `upstream_file` for the registered `paths` and read `entities` (`api.registry.wanted()`)."""
    return builds(upstream_file, paths, entities)[0]


def builds(upstream_file: Path, paths: list[str], entities: list[str]) -> tuple[str, str]:
    """The texts of the extract and of the whole file of `upstream_file`, read once."""
    raw = upstream_file.read_bytes()
    source = f"{upstream_file.name} sha256:{hashlib.sha256(raw).hexdigest()[:16]}"
    spec = json.loads(raw)
    return dumps(extract(spec, paths, entities, source)), dumps(whole(spec, source))


def write(upstream: Path, paths: list[str], entities: list[str], versions=VERSIONS, check: bool = False) -> int:
    """Write each version's extract from `upstream`, a folder of cloudtower-openapi-<v>.json (only say which are stale
    with `check`); 1 when `check` found one stale."""
    stale = []
    if not check:
        EXTRACTS.mkdir(exist_ok=True)
    for version in versions:
        text, everything = builds(upstream / f"cloudtower-openapi-{version}.json", paths, entities)
        target, whole_target = EXTRACTS / f"{version}.json", whole_path(version)
        if not (target.is_file() and target.read_text() == text):
            stale.append(target.name)
            if not check:
                target.write_text(text)
                print(f"wrote {target} ({len(text) // 1024} KiB)")
        if not (whole_target.is_file() and gzip.decompress(whole_target.read_bytes()).decode() == everything):
            stale.append(whole_target.name)
            if not check:
                packed = gzip.compress(everything.encode(), 9, mtime=0)  # no time in the header: same text, same file
                whole_target.write_bytes(packed)
                print(f"wrote {whole_target} ({len(packed) // 1024} KiB, {len(everything) // 1024} KiB of JSON)")
    if check and stale:
        print(f"stale extracts: {', '.join(stale)}; run cloudtower-sim extract", file=sys.stderr)
        return 1
    return 0
