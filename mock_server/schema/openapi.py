"""The OpenAPI 3.0 document of what the simulator simulates: upstream's paths, schema names and shapes, built from
the operations table and the declared types (served at `GET /_sim/openapi.json`)."""

from __future__ import annotations

from .operations import OPERATIONS, Operation
from .types import SCHEMAS, ListOf, Object, Ref, Type

_ERRORS = {"400": "Bad request", "401": "Unauthorized", "404": "Not found", "500": "Server error"}


def _named_refs(t: Type, seen: set) -> None:
    """Collect every named schema reachable from `t`."""
    if isinstance(t, Ref):
        if t.target in seen:
            return
        seen.add(t.target)
        t = t.resolved
    if isinstance(t, ListOf):
        _named_refs(t.item, seen)
    elif isinstance(t, Object):
        if t.name:
            seen.add(t.name)
        for f in t.fields:
            _named_refs(f.type, seen)


def _operation(op: Operation) -> dict:
    request_id = {"x-tower-request-id": {"schema": {"type": "string"}, "required": True}}
    json_of = lambda t: {"application/json": {"schema": t.ref()}}  # noqa: E731
    responses = {"200": {"description": "", "content": json_of(op.response), "headers": request_id}}
    for status, text in _ERRORS.items():
        if status == "401" and not op.auth:
            continue
        responses[status] = {"description": text, "content": json_of(Ref("ErrorBody")), "headers": request_id}
    doc = {"operationId": op.operation_id, "tags": [op.tag], "responses": responses,
           "security": [{"Authorization": []}] if op.auth else [],
           "parameters": [{"in": "header", "name": "content-language", "required": False,
                           "schema": {"$ref": "#/components/schemas/ContentLanguage"}}]}
    if op.request is not None:
        doc["requestBody"] = {"required": True, "content": json_of(op.request)}
    return doc


def document(version: str = "4.6.0") -> dict:
    names = {"ErrorBody", "ContentLanguage"}
    for op in OPERATIONS.values():
        for t in (op.request, op.response):
            if t is not None:
                _named_refs(t, names)
    schemas = {n: SCHEMAS[n].openapi() for n in sorted(names) if n in SCHEMAS}
    schemas["ContentLanguage"] = {"enum": ["zh-CN", "en-US", "*"], "type": "string"}
    schemas["ErrorCode"] = SCHEMAS["ErrorCode"].openapi()
    return {
        "openapi": "3.0.0",
        "info": {"title": "CloudTower APIs (cloudtower-sim)", "version": version,
                 "description": "The subset of the CloudTower API that cloudtower-sim simulates"},
        "servers": [{"url": "/v2/api"}],
        "paths": {op.path: {op.method.lower(): _operation(op)} for op in OPERATIONS.values()},
        "components": {"schemas": schemas,
                       "securitySchemes": {"Authorization": {"type": "apiKey", "name": "Authorization",
                                                             "in": "header"}}},
    }
