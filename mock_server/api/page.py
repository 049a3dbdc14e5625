"""The live page of the world, `GET /_sim/` (served with the control API, unless `--no-control`): one HTML page with
its script and style (mock_server/page/, shipped in the package: no build step, nothing fetched from elsewhere), and
the one compact read it polls each second. Its reads are under /_sim/, which the journal does not record (front.py),
so watching never fills the journal it shows; its controls are the /_sim API's own requests."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, request

from ..domain.clock import iso
from ..domain.overview import overview
from ..schema.types import InvalidInput
from .app_state import state_of
from .faults import Journal, masked
from .wire import error_body, json_response, simulator

FILES = Path(__file__).resolve().parent.parent / "page"
REQUESTS_PER_PAGE = 50

bp = Blueprint("page", __name__, url_prefix="/_sim", static_folder=FILES, static_url_path="/static")


class PagedJournal(Journal):
    """The journal as the page reads it: one page of the newest entries, only those masked and dated. Journal.entries
    masks and dates every entry, 0.5 s for a full journal of 10,000: too much for each second's poll."""

    def newest(self, path: str, status: int | None, page: int) -> tuple[int, list[dict]]:
        """How many entries have `path` in their path and the `status` (None: any), and page `page` of them (from 0),
        newest first, bodies left out."""
        with self._lock:
            kept = list(self._entries)
        found = [e for e in reversed(kept) if path in e["path"] and (status is None or e["status"] == status)]
        shown = found[page * REQUESTS_PER_PAGE:(page + 1) * REQUESTS_PER_PAGE]
        return len(found), [{**{k: v for k, v in e.items() if k != "body"}, "time": iso(e["time"])} for e in shown]

    def body(self, request_id: str):
        """The body the request sent, masked; KeyError when the journal no longer has it."""
        with self._lock:
            found = [e["body"] for e in self._entries if e["request_id"] == request_id]
        if not found:
            raise KeyError(request_id)
        return masked(found[0])


@bp.get("/")
def page():
    answer = bp.send_static_file("index.html")
    # were anything of the world ever parsed as HTML, no script of it would run: only the page's own files do
    answer.headers["Content-Security-Policy"] = "default-src 'self'"
    return answer


@bp.get("/page/world")
def world():
    """`?open=<id>:<page>,...` (the hosts, and clusters' VMs on no host, the page has open, each with its page of
    VMs), `requests_path` (a part of the path), `requests_status` and `requests_page`: the world as the page shows it,
    the clock, the faults set and a page of the journal."""
    opened = {}
    for item in filter(None, request.args.get("open", "").split(",")):
        key, _, number = item.partition(":")
        opened[key] = _number("open", number or "0")
    status = request.args.get("requests_status") or None
    state = state_of(current_app)
    total, entries = state.journal.newest(request.args.get("requests_path", ""),
                                          status and _number("requests_status", status),
                                          _number("requests_page", request.args.get("requests_page", "0")))
    with simulator().session(read=True) as world_:
        shown = {**overview(world_, opened), "clock": world_.clock.describe()}
    return json_response({**shown, "faults": state.faults.listed(),
                          "requests": {"total": total, "per_page": REQUESTS_PER_PAGE, "entries": entries}})


@bp.get("/page/requests/<request_id>")
def request_body(request_id: str):
    try:
        return json_response({"request_id": request_id, "body": state_of(current_app).journal.body(request_id)})
    except KeyError:
        return error_body(404, f"the journal no longer has request {request_id!r}")


def _number(name: str, text: str) -> int:
    if not text.isdigit():
        raise InvalidInput(name, "expected a whole number", repr(text))
    return int(text)
