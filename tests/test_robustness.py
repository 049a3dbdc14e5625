"""Robustness: a bug in a task's code fails that task (never a later request), and a reset waits for requests in
flight instead of swapping the world under them."""

import logging
import threading
import time

import pytest

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server.domain.tasks import Step

from .support import TOKEN


def boom():
    return 1 / 0


@pytest.fixture
def sim():
    return Simulator(Settings())  # instant mode: every request runs all pending task work


def a_vm(world):
    return next(iter(world.vms.values()))


def get_tasks(sim):
    r = create_app(simulator=sim).test_client().post("/v2/api/get-tasks", json={}, headers={"Authorization": TOKEN})
    return r.status_code, r.get_json(silent=True)


def assert_unlocked(world, vm):
    """A second task on the same VM starts (no ResourceLocked) and finishes."""
    with world.session():
        task = world.start_task("after", vm, "demo", [Step("ok", 1)], locks=(vm,))
    with world.session():
        assert task.status == "SUCCESSED"


def test_a_step_raising_anything_fails_its_task_and_not_the_next_request(sim, caplog):
    world, vm = sim.world, a_vm(sim.world)
    with world.session():
        task = world.start_task("buggy", vm, "demo", [Step("divide", 1, boom)], locks=(vm,))
    with caplog.at_level(logging.ERROR, logger="cloudtower_sim"):
        status, data = get_tasks(sim)  # the request's clock check runs the step
    assert status == 200, data
    assert any(t["id"] == task.id for t in data)
    assert task.status == "FAILED" and task.error_code == "INTERNAL_ERROR" and task.finished_at
    assert "ZeroDivisionError" in task.error_message and "divide" in task.error_message
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    assert_unlocked(world, vm)


def test_a_raising_on_success_fails_the_task_and_frees_its_locks(sim, caplog):
    world, vm = sim.world, a_vm(sim.world)
    cleaned = []
    with world.session():
        task = world.start_task("buggy", vm, "demo", [Step("ok", 1)], locks=(vm,), on_success=boom,
                                on_failure=cleaned.append)
    with caplog.at_level(logging.ERROR, logger="cloudtower_sim"):
        assert get_tasks(sim)[0] == 200
    assert task.status == "FAILED" and task.error_code == "INTERNAL_ERROR"
    assert "on_success" in task.error_message and "ZeroDivisionError" in task.error_message
    assert [e.code for e in cleaned] == ["INTERNAL_ERROR"]  # a failed task cleans up as one
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    assert_unlocked(world, vm)


def test_a_raising_on_failure_keeps_the_tasks_own_error(sim, caplog):
    world, vm = sim.world, a_vm(sim.world)
    with world.session():
        task = world.start_task("buggy", vm, "demo", [Step("divide", 1, boom)], locks=(vm,),
                                on_failure=lambda error: {}["missing"])
    with caplog.at_level(logging.ERROR, logger="cloudtower_sim"):
        assert get_tasks(sim)[0] == 200
    assert task.status == "FAILED" and task.error_code == "INTERNAL_ERROR"
    assert "ZeroDivisionError" in task.error_message
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    assert_unlocked(world, vm)


def started(fn):
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_a_reset_waits_for_the_request_in_flight(sim):
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def request_in_flight():
        with sim.session() as world:
            seen["world"] = world
            entered.set()
            release.wait(timeout=10)
            seen["current_at_end"] = sim.world  # still the world this request answers from

    first = started(request_in_flight)
    assert entered.wait(timeout=5)
    second = started(lambda: seen.setdefault("reset", sim.reset()))
    second.join(timeout=0.5)
    try:
        assert second.is_alive(), "the reset finished while a request held the world"
        assert sim.world is seen["world"]
    finally:
        release.set()
        first.join(timeout=5)
        second.join(timeout=5)
    assert not first.is_alive() and not second.is_alive()
    assert seen["current_at_end"] is seen["world"]
    assert sim.world is seen["reset"] is not seen["world"]


def test_a_request_arriving_during_a_reset_gets_the_new_world(sim):
    """The request waits for the reset, then answers from the world the reset built, not the one it discarded."""
    client = create_app(simulator=sim).test_client()
    old, build = sim.world, sim._build
    building, finish = threading.Event(), threading.Event()
    seen = {}

    def slow_build():
        building.set()
        finish.wait(timeout=10)
        return build()

    def request():
        with sim.session() as world:
            seen["world"], seen["current"] = world, sim.world

    sim._build = slow_build
    resetting = started(lambda: seen.setdefault("status", client.post("/_sim/reset").status_code))
    assert building.wait(timeout=5)
    waiting = started(request)
    waiting.join(timeout=0.5)
    try:
        assert waiting.is_alive(), "a request went ahead in the middle of a reset"
    finally:
        finish.set()
        resetting.join(timeout=5)
        waiting.join(timeout=5)
    assert not resetting.is_alive() and not waiting.is_alive()
    assert seen["status"] == 200
    assert seen["world"] is seen["current"] is sim.world is not old


# --- reads run alongside each other; changes run alone (issue 12 item 1) ----------------------------------------------

def _hold(sim, read: bool, entered: threading.Event, release: threading.Event):
    def run():
        with sim.session(read=read):
            entered.set()
            release.wait(10)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert entered.wait(5), "the session was never entered"
    return t


def test_a_read_is_answered_while_another_read_holds_the_world(sim):
    client = create_app(simulator=sim).test_client()
    entered, release = threading.Event(), threading.Event()
    slow = _hold(sim, True, entered, release)  # a long query under way
    vm = a_vm(sim.world)
    answers = []
    fast = threading.Thread(target=lambda: answers.append(client.post(
        "/v2/api/get-vms", json={"where": {"id": vm.id}}, headers={"Authorization": TOKEN}).status_code))
    fast.start()
    fast.join(5)
    version = client.get("/v2/api/get-version")
    release.set()
    slow.join(5)
    assert answers == [200], "a read waited for another read to finish"
    assert version.status_code == 200


def test_a_change_waits_for_the_reads_and_holds_back_new_ones(sim):
    entered, release = threading.Event(), threading.Event()
    reader = _hold(sim, True, entered, release)
    order = []
    writer_in = threading.Event()

    def write():
        with sim.session():
            order.append("write")
            writer_in.set()

    def late_read():
        with sim.session(read=True):
            order.append("late read")

    w = threading.Thread(target=write, daemon=True)
    w.start()
    assert not writer_in.wait(0.3), "a change ran while a read held the world"
    late = threading.Thread(target=late_read, daemon=True)
    late.start()
    late.join(0.3)
    assert order == [], "a new read overtook the waiting change"
    release.set()
    for t in (reader, w, late):
        t.join(5)
    assert order == ["write", "late read"]


def test_a_read_that_finds_work_due_applies_it_first(sim):
    client = create_app(simulator=sim).test_client()
    vm = next(v for v in sim.world.vms.values() if v.status == "RUNNING" and not v.host_bound)
    with sim.session() as world:
        world.start_task("restart", vm, "demo", [Step("ok", 1)], locks=(vm,))
    r = client.post("/v2/api/get-tasks", json={"where": {"description": "restart"}}, headers={"Authorization": TOKEN})
    assert [t["status"] for t in r.get_json()] == ["SUCCESSED"]  # instant mode: done by the next look


def test_a_read_whose_client_has_gone_does_no_work(sim, monkeypatch):
    """waitress marks a request whose client disconnected while it waited; the read is then not run."""
    app = create_app(simulator=sim)
    ran = []
    real = sim.world.query
    monkeypatch.setattr(sim.world, "query", lambda *a: ran.append(a) or real(*a))
    client = app.test_client()
    gone = client.post("/v2/api/get-vms", json={}, headers={"Authorization": TOKEN},
                       environ_base={"waitress.client_disconnected": lambda: True})
    assert gone.status_code == 400 and ran == []
    here = client.post("/v2/api/get-vms", json={}, headers={"Authorization": TOKEN},
                       environ_base={"waitress.client_disconnected": lambda: False})
    assert here.status_code == 200 and len(ran) == 1


def test_a_read_during_a_realtime_step_answers_at_once():
    """A step under way in realtime is always due (its progress moves): a read catches up once, then answers."""
    sim = Simulator(Settings(task_mode="realtime", speed=100))
    vm = a_vm(sim.world)
    with sim.session() as world:
        task = world.start_task("long", vm, "demo", [Step("long", 1000.0)], locks=(vm,))  # 10 s of wall time
    client = create_app(simulator=sim).test_client()
    time.sleep(0.05)  # past the queue delay (5 ms): the step is under way
    answers = []
    reader = threading.Thread(target=lambda: answers.append(client.post(
        "/v2/api/get-tasks", json={"where": {"id": task.id}}, headers={"Authorization": TOKEN}).get_json()),
        daemon=True)
    reader.start()
    reader.join(5)
    assert answers and answers[0][0]["status"] == "EXECUTING", "the read did not answer while the step ran"
