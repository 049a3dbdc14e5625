"""Robustness: a bug in a task's code fails that task (never a later request), and a reset waits for requests in
flight instead of swapping the world under them."""

import logging
import threading

import pytest

from mock_server.api import create_app
from mock_server.domain.simulator import Settings, Simulator
from mock_server.domain.tasks import Step

from .conftest import TOKEN


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
