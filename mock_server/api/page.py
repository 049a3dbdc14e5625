"""The live page of the world, `GET /_sim/` (served with the control API, unless `--no-control`): one HTML page with
its script and style (mock_server/page/, shipped in the package: no build step, nothing fetched from elsewhere), and
the one compact read it polls each second. Its reads are under /_sim/, which the journal does not record (front.py),
so watching never fills the journal it shows; its controls are the /_sim API's own requests."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, request

from ..domain.overview import overview
from ..schema.types import InvalidInput
from .app_state import state_of
from .wire import error_body, json_response, simulator

FILES = Path(__file__).resolve().parent.parent / "page"
REQUESTS_PER_PAGE = 50

bp = Blueprint("page", __name__, url_prefix="/_sim", static_folder=FILES, static_url_path="/static")


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
                                          _number("requests_page", request.args.get("requests_page", "0")),
                                          REQUESTS_PER_PAGE)
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
