"""The one place where HTTP meets the domain: route each registered operation of the served version, parse and validate
the body, hold the world, call the handler, serialize the answer through the operation's response type, and turn
every refusal into an `ErrorBody`."""

from __future__ import annotations

import json
import time

from flask import Flask, Response, abort, current_app, request
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError
from ..domain.uploads import CHUNK_SIZE
from ..schema.types import InvalidInput
from .app_state import AppState, state_of
from .faults import DROP_HEADER, task_ids
from .front import BASE_PATH, FAULT, SENT, TASK_IDS, declared_length, keeps, kept_key
from .registry import Bound

CONTENT_LANGUAGES = ("zh-CN", "en-US", "*")
MAX_DEPTH = 32  # deeper bodies are refused before they reach the (recursive) validator and filters
MAX_MESSAGE = 1000  # characters of an error message: a huge value sent is not echoed whole
MAX_JSON_BYTES = 4 * 1024 * 1024  # a JSON request body: a query or a batch of VMs is far smaller
MAX_BODY_BYTES = CHUNK_SIZE + 1024 * 1024  # any request body: one chunk of an upload (multipart) and its fields
# The work one request may ask for, refused up front beyond (cloudtower-sim's bounds; a real tower's are not
# published): every object is tested against every clause of a `where`, so its clauses are few; an `_in` list is one
# set lookup per object, so it may be long
MAX_VALUES = 20_000  # JSON values in a body, all levels together
MAX_WHERE_CLAUSES = 200  # keys of a `where`, counted through AND/OR/NOT and relations


def simulator():
    return state_of(current_app).sim


def json_response(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status, mimetype="application/json")


def operations() -> dict[str, Bound]:
    """The operations this app serves, path -> Bound."""
    return state_of(current_app).operations


def error_body(status: int, message: str, code: str | None = None) -> Response:
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f"... ({len(message)} characters in all)"
    body = {"message": message, "status": status, "path": request.path}
    bound = operations().get(request.path[len(BASE_PATH):]) if request.path.startswith(BASE_PATH) else None
    if bound is not None:
        body["operationName"] = bound.op.operation_id
    if code:
        body["code"] = code
    return json_response(body, status)


def read_body(op, raw: bytes):
    if op.request is None:
        return None
    if op.form:
        return read_form(op)
    if len(raw) > MAX_JSON_BYTES:
        raise InvalidInput("body", f"{len(raw)} bytes of JSON is more than cloudtower-sim's bound of "
                                   f"{MAX_JSON_BYTES} bytes for a JSON body")
    if not raw.strip():
        shape = getattr(op.request, "name", None) or "an array"
        raise InvalidInput("body", f"a JSON request body ({shape}) is required")
    if not request.is_json:  # as the SDKs send it; a form or text body is not read as JSON on a guess
        raise InvalidInput("Content-Type", "expected application/json", repr(request.content_type or "none")[:80])
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise InvalidInput("body", f"the request body is not valid JSON ({e})") from None
    depth, values = measure(body)
    if depth > MAX_DEPTH:
        raise InvalidInput("body", f"nested more than {MAX_DEPTH} levels deep")
    request.environ[SENT] = body  # as sent, for faults' `where` and the journal (front.py); not deeper than MAX_DEPTH
    if isinstance(body, dict) and isinstance(body.get("where"), (dict, list)):
        clauses = measure(body["where"], keys_only=True)[1]
        if clauses > MAX_WHERE_CLAUSES:
            raise InvalidInput("where", f"{clauses} clauses is more than cloudtower-sim's bound of "
                                        f"{MAX_WHERE_CLAUSES} for one filter (an `_in` list counts as one clause)")
    if values > MAX_VALUES:
        raise InvalidInput("body", f"{values} values is more than cloudtower-sim's bound of {MAX_VALUES} for one "
                                   "request")
    return op.request.validate(body, "")


def _parsed(op, raw: bytes):
    """(body, None) when the body is valid, else (None, the refusal)."""
    try:
        return read_body(op, raw), None
    except InvalidInput as e:
        return None, e


def read_form(op):
    """A multipart/form-data body (the upload operations): its text fields, and `file` as the bytes of its part."""
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("Content-Type", "expected multipart/form-data", repr(request.content_type or "none")[:80])
    body = request.form.to_dict()
    request.environ[SENT] = dict(body)  # its text fields, for the journal (front.py)
    part = request.files.get("file")
    if part is not None:
        body["file"] = part.read()
    elif "file" in body:  # a part sent without a file name arrives as a field: its bytes all the same
        body["file"] = body["file"].encode()
    return op.request.validate(body, "")


def _raw_body(req) -> bytes:
    """The request's body. With a Content-Length within bounds (what the SDKs, waitress and the test client give) it
    is read straight from the WSGI input, a tenth of werkzeug's get_data on a small read."""
    length = declared_length(req.environ, MAX_BODY_BYTES)
    if length is not None:
        return req.environ["wsgi.input"].read(length)
    return req.get_data(cache=False)  # no length, or too long: werkzeug's stream refuses it (413)


def _client_gone() -> bool:
    """waitress tells a request whose client has disconnected (with channel_request_lookahead, see server.py)."""
    gone = request.environ.get("waitress.client_disconnected")
    return bool(gone and gone())


def measure(value, keys_only: bool = False) -> tuple[int, int]:
    """How deep `value` nests, and how many values it holds (with `keys_only`: how many object keys)."""
    depth, count, level = 0, 0, [value]
    while level:
        depth += 1
        count += sum(len(v) for v in level if isinstance(v, dict)) if keys_only else len(level)
        level = [c for v in level if isinstance(v, (dict, list)) for c in (v.values() if isinstance(v, dict) else v)]
        if keys_only:  # an `_in` list's items are values, not clauses
            level = [v for v in level if isinstance(v, (dict, list)) and not (isinstance(v, list) and all(
                not isinstance(i, (dict, list)) for i in v))]
    return depth - 1, count


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def install_routes(app: Flask, bound: dict[str, Bound]) -> None:
    """One route for every operation, which finds the operation by its path: some 150 rules of their own cost a
    tenth of a second to compile at start and a rule match on each request. An unknown path answers 404 (501 for an
    upstream operation not simulated), a known one sent with another method 405, as the error handlers say."""
    app_state = state_of(app)
    app_state.operations = bound
    views = {path: (b.op.method, _view(b, app_state)) for path, b in bound.items()}

    def operation(name: str):
        method, view = views.get("/" + name, (None, None))
        if view is None:
            abort(404)
        if request.method != method and not (request.method == "HEAD" and method == "GET"):
            abort(405)
        return view()

    # no automatic OPTIONS: upstream declares none, and an empty 200 is no ErrorBody
    app.add_url_rule(BASE_PATH + "/<name>", "operation", operation, methods=METHODS,
                     provide_automatic_options=False)


def _view(b: Bound, app_state: AppState):
    op, handler = b.op, b.handler
    # what the view needs of its app, found once (each proxied lookup of a request costs a little)
    sim, kept_answers, rendered, faults = app_state.sim, app_state.answers, app_state.rendered, app_state.faults

    def view():
        req = request._get_current_object()  # (each proxied lookup costs)
        environ = req.environ  # headers read from it: werkzeug's Headers look each up case-insensitively
        language = environ.get("HTTP_CONTENT_LANGUAGE")
        if language is not None and language not in CONTENT_LANGUAGES:
            raise InvalidInput("content-language", f"expected one of {', '.join(CONTENT_LANGUAGES)}",
                               repr(language)[:80])
        raw = b"" if op.form else _raw_body(req)
        # a read's answer is kept for the same body sent again to an unchanged world (front.py answers it)
        key = kept_key(raw, environ) if keeps(b) else None
        # the body is read and checked before the world is held: a large one keeps no other request waiting. Its
        # refusal still comes after the token's and the role's
        body, refusal = _parsed(op, raw)
        fault = environ[FAULT] = faults.take(req.path[len(BASE_PATH):], environ.get(SENT))
        effect = fault.effect if fault is not None else {}
        if "delay_ms" in effect:
            time.sleep(effect["delay_ms"] / 1000)
        elif "status" in effect:
            return error_body(effect["status"], effect["message"], effect.get("code"))
        elif "drop" in effect:  # closed without an answer by the server (server.py) or the in-process transport
            environ["cloudtower_sim.drop"] = True
            return Response(b"", 200, headers={DROP_HEADER: "1"})
        with sim.session(read=b.read) as world:
            user = world.user_for(environ.get("HTTP_AUTHORIZATION")) if op.auth else None
            if b.read and _client_gone():  # waited its turn, and nobody is there to read the answer: no work done
                return error_body(400, "the client disconnected before its read began")
            if b.mutation:
                world.may_change(user, op.operation_id)
            if refusal is not None:
                raise refusal
            world.failing = effect.get("task")
            if "unmovable" in effect:
                world.make_unmovable(effect["unmovable"]["vm"], effect["unmovable"]["reason"])
            try:
                result = handler(world, body, user)
            finally:
                unmet, world.failing = world.failing, None
            if unmet is not None:  # no task of this request had the fault's step: it waits for one that has
                faults.give_back(fault)
                environ[FAULT] = None  # (the journal records no fault applied)
            if b.read:  # held to read: the objects' texts hold for the generation (api/answers.py)
                data = rendered.encode(op.response, result, world.generation)
            else:
                answer = op.response.render(result)
                if b.mutation:
                    environ[TASK_IDS] = task_ids(answer)  # for the journal
                data = json.dumps(answer, separators=(",", ":")).encode()
            if key is not None and fault is None:
                kept_answers.keep(key, world.generation, environ.get(SENT), data)
            return Response(data, 200, mimetype="application/json")

    return view


def install_error_handlers(app: Flask, upstream: dict[str, tuple[str, str]]) -> None:
    """`upstream`: every operation of the upstream API, path -> (method, operationId): those answer 501."""

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
        if e.code == 413:  # upstream declares 400 for a refused body, and no 413
            return error_body(400, f"the request body is larger than cloudtower-sim's bound of {MAX_BODY_BYTES} "
                                   "bytes")
        return error_body(e.code or 500, e.description or str(e))

    @app.errorhandler(Exception)
    def _crash(e: Exception):  # a bug in the simulator: still an ErrorBody, and logged
        app.logger.exception("unhandled error on %s", request.path)
        return error_body(500, f"cloudtower-sim internal error: {type(e).__name__}: {e}")
