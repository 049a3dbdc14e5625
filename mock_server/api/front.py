"""The one entrance of every request, in front of Flask: where each answer gets its x-tower-request-id and each
request of the API its journal entry, whether Flask made the answer or it was kept (answers.py). A read whose answer
is kept for this very request and the world as it stands is given here, without Flask: a polled read then costs a
dictionary lookup, the token check, the read hold and the journal, not a framework's request. Anything else (a fault
set, a token refused, an answer not kept or made for an older world) goes on to Flask, whose view (wire.py) leaves in
the request's environ what the journal records of it."""

from __future__ import annotations

import io
import random

from ..domain.errors import DomainError
from ..domain.ids import uuid4_text
from .answers import MAX_BODY_BYTES
from .app_state import state_of

BASE_PATH = "/v2/api"
GRAPHQL_PATH = "/api"
# what the view leaves in the request's environ for the journal: the body as sent, the tasks it started, the fault
SENT, TASK_IDS, FAULT = "cloudtower_sim.sent", "cloudtower_sim.task_ids", "cloudtower_sim.fault"
INTERNAL = "HTTP_X_CLOUDTOWER_SIM_INTERNAL"  # serve --state's own reads (state.py), which the journal leaves out


class Front:
    def __init__(self, app):
        self.next, state = app.wsgi_app, state_of(app)
        self.sim, self.answers, self.faults, self.journal = state.sim, state.answers, state.faults, state.journal
        self.reads = {BASE_PATH + path: b.op.auth for path, b in state.operations.items() if keeps(b)}

    def __call__(self, environ, start_response):
        rid = request_id()
        path = environ.get("PATH_INFO", "")
        kept = self._kept(environ, path)
        if kept is not None:
            environ[SENT] = kept.sent
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(kept.data))),
                                      ("x-tower-request-id", rid)])
            self._record(environ, path, 200, rid)
            return [kept.data]
        statuses = []

        def start(status, headers, exc_info=None):
            statuses.append(int(status[:3]))
            return start_response(status, [*headers, ("x-tower-request-id", rid)], exc_info)

        body = self.next(environ, start)  # Flask has started its answer when it returns
        self._record(environ, path, statuses[-1] if statuses else 500, rid)
        return body

    def _kept(self, environ, path: str):
        """The kept answer of this request, or None when Flask must answer it."""
        auth = self.reads.get(path)
        length = declared_length(environ, MAX_BODY_BYTES)  # a larger body's answer is not kept
        if auth is None or length is None or environ.get("REQUEST_METHOD") != "POST" or self.faults.any():
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # for Flask, should the answer not be kept
        key = kept_key(raw, environ)
        if self.answers.get(key, self.sim.world.generation) is None:  # (the usual miss, known without the hold)
            return None
        with self.sim.session(read=True) as world:  # in realtime mode, the world catches up first
            kept = self.answers.get(key, world.generation)
            if kept is not None and auth:
                try:
                    world.user_for(environ.get("HTTP_AUTHORIZATION"))
                except DomainError:  # refused: Flask words the 401
                    return None
        return kept

    def _record(self, environ, path: str, status: int, rid: str) -> None:
        """A request of the API in the journal (api/faults.py): what was sent, how it was answered, the tasks it
        started. REST's paths are below /v2/api; GraphQL's requests are all `/api`, their body the operationName and
        variables (graphql.py)."""
        if not (path.startswith(BASE_PATH + "/") or path == GRAPHQL_PATH) or INTERNAL in environ:
            return
        fault = environ.get(FAULT)
        self.journal.record({
            "method": environ["REQUEST_METHOD"], "path": path if path == GRAPHQL_PATH else path[len(BASE_PATH):],
            "status": status,
            "body": environ.get(SENT), "task_ids": environ.get(TASK_IDS, []) if status == 200 else [],
            "time": self.sim.world.runner.now(), "request_id": rid, **({"fault": fault.id} if fault else {})})


def keeps(b) -> bool:
    """Whether the answers of an operation (a registry.Bound) are kept: reads sent as a JSON POST body."""
    return b.read and b.op.method == "POST" and not b.op.form


def kept_key(raw: bytes, environ: dict) -> tuple:
    """What a read's kept answer is found by: its path, body, Content-Type (a body not sent as JSON is refused) and
    Content-Language."""
    return environ["PATH_INFO"], raw, environ.get("CONTENT_TYPE"), environ.get("HTTP_CONTENT_LANGUAGE")


def declared_length(environ: dict, bound: int) -> int | None:
    """The request's Content-Length when it declares one of at most `bound` bytes."""
    length = environ.get("CONTENT_LENGTH")
    return int(length) if length and length.isdigit() and int(length) <= bound else None


def request_id() -> str:
    """A new x-tower-request-id: a random UUID 4 (uuid.uuid4's form, from a generator that needs no system call)."""
    return uuid4_text(_RANDOM)


_RANDOM = random.Random()  # seeded from the system at start
