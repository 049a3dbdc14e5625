"""The upstream CloudTower spec as the oracle: found through a setting (never copied into the repo), turned into JSON
Schema, and used to validate what a target answers."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from itertools import islice
from pathlib import Path

from cloudtower_sim.mock_server.schema.spec import DEFAULT_VERSION, Spec

ROOT = Path(__file__).resolve().parent.parent
ENV = "CLOUDTOWER_UPSTREAM_SPEC"
# ../shared/upstream beside the checkout; from an installed copy, ../shared/upstream from the working directory
DEFAULT_DIR = next((d for d in (ROOT.parent / "shared" / "upstream", Path.cwd().parent / "shared" / "upstream")
                    if d.is_dir()), ROOT.parent / "shared" / "upstream")


def spec_path(version: str = DEFAULT_VERSION, option: str | None = None) -> Path:
    """`--upstream-spec` or $CLOUDTOWER_UPSTREAM_SPEC (a file, or a folder holding cloudtower-openapi-<v>.json),
    else ../shared/upstream beside the checkout."""
    given = option or os.environ.get(ENV)
    p = Path(given) if given else DEFAULT_DIR
    return p / f"cloudtower-openapi-{version}.json" if p.is_dir() or not given else p


HOW = (f"supply the upstream CloudTower OpenAPI spec with --upstream-spec FILE or {ENV}=FILE "
       "(or a folder of cloudtower-openapi-<version>.json files)")


def _to_json_schema(node):
    """OpenAPI 3.0 `nullable` becomes JSON Schema `anyOf [..., null]`; refs move to #/$defs. Property maps are walked
    as maps, so a property named like a keyword (`description`, `nullable`) stays a property."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "nullable":
            continue
        if k == "properties" and isinstance(v, dict):
            out[k] = {name: _to_json_schema(prop) for name, prop in v.items()}
        elif k == "$ref":
            out[k] = v.replace("#/components/schemas/", "#/$defs/")
        else:
            out[k] = _to_json_schema(v)
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _refs(schema) -> list[str]:
    return re.findall(r'"#/\$defs/([^"]+)"', json.dumps(schema))


# the most errors one answer is searched for: a page of a thousand VMs that all lack a field says so a thousand times
ERRORS = 5000


class Upstream:
    def __init__(self, path: Path | None, doc: dict | None = None):
        self.path = path
        self.doc = doc if doc is not None else json.loads(path.read_text())
        self.version = self.doc["info"]["version"]
        self.defs = {n: _to_json_schema(s) for n, s in self.doc["components"]["schemas"].items()}

    @property
    def schemas(self) -> dict:
        return self.doc["components"]["schemas"]

    def operation(self, path: str) -> tuple[str, dict]:
        (method, op), = self.doc["paths"][path].items()
        return method, op

    def request_schema(self, path: str) -> dict | None:
        """The JSON body `path` declares, if any."""
        _, op = self.operation(path)
        return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")

    def response_schema(self, path: str, status: int) -> dict:
        _, op = self.operation(path)
        return op["responses"][str(status)]["content"]["application/json"]["schema"]

    @lru_cache(maxsize=None)
    def _validator(self, schema_json: str):
        """jsonschema's validator, which words the errors, and jsonschema-rs's (Schemathesis' own dependency) when it
        is installed and takes the schema: it tells a valid body about fifty times sooner, and most bodies are."""
        import jsonschema  # here, so the pytest plugin loads even where the contracts' extras are not installed
        schema = _to_json_schema(json.loads(schema_json))
        schema = {"$defs": {name: self.defs[name] for name in self._reached(schema)}, **schema}
        try:
            import jsonschema_rs
            quick = jsonschema_rs.Draft202012Validator(schema, validate_formats=False).is_valid
        except Exception:  # noqa: BLE001 - not installed, or a schema it does not take: jsonschema alone decides
            quick = None
        return jsonschema.Draft202012Validator(schema), quick

    def _reached(self, schema) -> list[str]:
        """The names of the definitions `schema` refers to, directly or through others: a validator built with
        only those is built in a fraction of the time it takes with all of upstream's."""
        seen, todo = set(), _refs(schema)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += _refs(self.defs[name])
        return sorted(seen)

    def errors(self, schema: dict, body) -> tuple[dict, list]:
        """Every way `body` breaks `schema` (an operation's declared answer, `{"$ref": ...}` for a named schema), up to
        ERRORS of them, and the JSON Schema that found them, whose `$defs` are upstream's schemas by name."""
        full, quick = self._validator(json.dumps(schema, sort_keys=True))
        if quick is not None and quick(body):
            return full.schema, []
        return full.schema, list(islice(full.iter_errors(body), ERRORS))

    def _check(self, schema: dict, body) -> None:
        import jsonschema

        error = jsonschema.exceptions.best_match(self.errors(schema, body)[1])
        if error is not None:
            raise error

    def validate(self, path: str, status: int, body) -> None:
        """Raise jsonschema.ValidationError unless `body` is what upstream declares for `path` answering `status`."""
        self._check(self.response_schema(path, status), body)

    def validate_schema(self, name: str, value) -> None:
        self._check(named(name), value)


def named(name: str) -> dict:
    """A reference to upstream's schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


@lru_cache(maxsize=None)
def load(path: str) -> Upstream:
    return Upstream(Path(path))


@lru_cache(maxsize=None)
def extract(version: str) -> Upstream:
    """Upstream `version` as far as the package's extract holds it: the simulated operations with upstream's own
    request and response declarations (descriptions stripped) and every schema they reach; every other upstream
    operation is there with no declared answer, so an error it answers is still held to `ErrorBody`. Where the spec
    is at hand, tests/test_upstream_fidelity.py holds the extract to it."""
    data = Spec.load(version).data
    paths = {p: {m.lower(): {"operationId": op_id, "responses": {}}}
             for p, (m, op_id) in data["upstream_operations"].items()}
    paths.update(data["paths"])
    return Upstream(None, {"openapi": "3.0.0", "info": {"title": "the extract of cloudtower-sim", "version": version},
                           "paths": paths, "components": {"schemas": data["schemas"]}})


def oracle(version: str, option: str | None = None) -> tuple[Upstream, str]:
    """The oracle of `version`, and what it is: the upstream spec when it is found (`spec_path`), else the extract."""
    path = spec_path(version, option)
    if path.is_file():
        return load(str(path)), f"upstream spec {path}"
    return extract(version), f"the package's extract of upstream {version}: upstream spec {path} not found ({HOW})"
