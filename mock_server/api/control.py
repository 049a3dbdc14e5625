"""The control API under /_sim/, for tests and users: reset the world, read or move the clock, the served spec,
inject faults and read the request journal."""

from flask import Blueprint, current_app, request

from ..domain.clock import LATEST, MODES, check_speed, iso
from ..schema.types import InvalidInput
from .app_state import state_of
from .wire import error_body, json_response, operations, simulator

bp = Blueprint("control", __name__, url_prefix="/_sim")


@bp.post("/reset")
def reset():
    sim = simulator()
    with sim.session():
        world = sim.reset()
    return json_response({"reset": True, "scenario": str(sim.scenario.path), "clock": world.clock.describe()})


@bp.get("/clock")
def read_clock():
    with simulator().session() as world:
        return json_response(world.clock.describe())


@bp.post("/clock")
def change_clock():
    """`{"advance": seconds}` moves manual time; `{"mode": ..., "speed": ...}` switches mode. All is checked before
    anything changes."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or not set(body) <= {"advance", "mode", "speed"} or not body:
        raise InvalidInput("body", 'expected an object with "advance" (seconds), or "mode" '
                                   f"({', '.join(MODES)}) and optionally \"speed\"")
    with simulator().session() as world:
        clock = world.clock
        mode, speed, seconds = body.get("mode", clock.mode), body.get("speed"), body.get("advance")
        if mode not in MODES:
            raise InvalidInput("mode", f"expected one of {', '.join(MODES)}", repr(mode))
        if speed is not None:
            try:
                check_speed(speed)
            except ValueError as e:
                raise InvalidInput("speed", str(e), repr(speed)) from None
        if "advance" in body:
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 10**9:
                raise InvalidInput("advance", "expected a number of seconds, from 0 to 1e9", repr(seconds))
            if mode != "manual":
                raise InvalidInput("advance", f"the clock is in {mode} mode; only manual time can be advanced")
            if clock.now() + seconds > LATEST:
                raise InvalidInput("advance", f"the clock stops at {iso(LATEST)}, and it is {iso(clock.now())}",
                                   repr(seconds))
        if "mode" in body or "speed" in body:
            clock.set_mode(mode, speed)
        if "advance" in body:
            clock.advance(seconds)
        world.runner.run_due()
        return json_response(clock.describe())


@bp.get("/openapi.json")
def openapi():
    return json_response(simulator().spec.document(sorted(operations())))


# faults and the request journal (api/faults.py) ---------------------------------------------------------------------
def _faults():
    return state_of(current_app).faults


@bp.post("/faults")
def add_fault():
    body = request.get_json(force=True, silent=True)
    return json_response({"id": _faults().add(body).id})


@bp.get("/faults")
def list_faults():
    return json_response(_faults().listed())


@bp.delete("/faults")
def clear_faults():
    _faults().remove()
    return json_response({"removed": "all"})


@bp.delete("/faults/<fault_id>")
def remove_fault(fault_id: str):
    if not _faults().remove(fault_id):
        return error_body(404, f"no fault {fault_id!r} (spent faults are gone)")
    return json_response({"removed": fault_id})


@bp.get("/requests")
def journal():
    """Journalled requests, oldest first: `?path=/start-vm&method=POST&status=200`, every filter optional."""
    status = request.args.get("status")
    if status is not None and not status.isdigit():
        raise InvalidInput("status", "expected an HTTP status such as 200", repr(status))
    return json_response(state_of(current_app).journal.entries(
        request.args.get("path"), request.args.get("method"), int(status) if status is not None else None))


@bp.delete("/requests")
def clear_journal():
    state_of(current_app).journal.clear()
    return json_response({"cleared": True})
