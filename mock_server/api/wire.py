"""The one place where HTTP meets the domain: route each registered operation of the served version, parse and validate
the body, hold the world, call the handler, serialize the answer through the operation's response type, and turn
every refusal into an `ErrorBody`."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError
from ..schema.types import InvalidInput
from .registry import Bound

BASE_PATH = "/v2/api"

CONTENT_LANGUAGES = ("zh-CN", "en-US", "*")
MAX_DEPTH = 32  # deeper bodies are refused before they reach the (recursive) validator and filters


def simulator():
    return current_app.extensions["cloudtower_sim"]


def json_response(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status, mimetype="application/json")


def operations() -> dict[str, Bound]:
    """The operations this app serves, path -> Bound."""
    return current_app.extensions["cloudtower_operations"]


def error_body(status: int, message: str, code: str | None = None) -> Response:
    body = {"message": message, "status": status, "path": request.path}
    bound = operations().get(request.path[len(BASE_PATH):]) if request.path.startswith(BASE_PATH) else None
    if bound is not None:
        body["operationName"] = bound.op.operation_id
    if code:
        body["code"] = code
    return json_response(body, status)


def read_body(op):
    if op.request is None:
        return None
    raw = request.get_data(cache=False)
    if not raw.strip():
        shape = getattr(op.request, "name", None) or "an array"
        raise InvalidInput("body", f"a JSON request body ({shape}) is required")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise InvalidInput("body", f"the request body is not valid JSON ({e})") from None
    if _depth(body) > MAX_DEPTH:
        raise InvalidInput("body", f"nested more than {MAX_DEPTH} levels deep")
    return op.request.validate(body, "")


def _depth(value) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [c for v in level if isinstance(v, (dict, list)) for c in (v.values() if isinstance(v, dict) else v)]
    return depth - 1


def install_routes(app: Flask, bound: dict[str, Bound]) -> None:
    """One blueprint per upstream tag, one route per operation."""
    app.extensions["cloudtower_operations"] = bound
    blueprints: dict[str, Blueprint] = {}
    for path, b in sorted(bound.items()):
        bp = blueprints.setdefault(b.op.tag, Blueprint(b.op.tag.lower(), __name__))
        bp.add_url_rule(path, b.op.operation_id, _view(b), methods=[b.op.method])
    for bp in blueprints.values():
        app.register_blueprint(bp, url_prefix=BASE_PATH)


def _view(b: Bound):
    op, handler = b.op, b.handler

    def view():
        language = request.headers.get("content-language")
        if language is not None and language not in CONTENT_LANGUAGES:
            raise InvalidInput("content-language", f"expected one of {', '.join(CONTENT_LANGUAGES)}",
                               repr(language))
        sim = simulator()
        with sim.session() as world:
            user = world.user_for(request.headers.get("Authorization")) if op.auth else None
            if b.mutation:
                world.may_change(user, op.operation_id)
            body = read_body(op)
            result = handler(world, body, user)
            return json_response(op.response.render(result))

    return view


def install_error_handlers(app: Flask, upstream: dict[str, tuple[str, str]]) -> None:
    """`upstream`: every operation of the upstream API, path -> (method, operationId): those answer 501."""

    @app.before_request
    def _request_id():
        g.request_id = str(uuid.uuid4())

    @app.after_request
    def _stamp(response):
        response.headers["x-tower-request-id"] = g.get("request_id") or str(uuid.uuid4())
        return response

    @app.errorhandler(InvalidInput)
    def _invalid(e: InvalidInput):
        return error_body(400, str(e))

    @app.errorhandler(DomainError)
    def _refused(e: DomainError):
        return error_body(e.status, e.message, e.code)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        path = request.path
        name = path[len(BASE_PATH):] if path.startswith(BASE_PATH + "/") else None
        if e.code == 404 and name in upstream:
            method, op_id = upstream[name]
            return error_body(501, f"{op_id} ({method} {path}) is a CloudTower operation that cloudtower-sim does "
                                   "not simulate")
        if e.code == 405 and name in operations():
            return error_body(405, f"{path} takes {operations()[name].op.method}, not {request.method}")
        if e.code == 404:
            return error_body(404, f"no such path: {path} is not an operation of the CloudTower API")
        return error_body(e.code or 500, e.description or str(e))

    @app.errorhandler(Exception)
    def _crash(e: Exception):  # a bug in the simulator: still an ErrorBody, and logged
        app.logger.exception("unhandled error on %s", request.path)
        return error_body(500, f"cloudtower-sim internal error: {type(e).__name__}: {e}")
