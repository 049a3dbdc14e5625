"""Tasks in simulated time: the lifecycle, the three clock modes, locks, and the control API."""

import pytest

from cloudtower_sim.mock_server.domain.clock import Clock, iso, parse_time
from cloudtower_sim.mock_server.domain.errors import ResourceLocked, TaskError
from cloudtower_sim.mock_server.domain.model import Task
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.domain.tasks import QUEUE_DELAY, Step, TaskRunner

from .support import PINNED_START, Api, make_client

T0 = parse_time("2026-01-01T00:00:00Z")


class Obj:
    def __init__(self, id):
        self.id, self.name = id, id


def runner(mode="manual", wall=None):
    clock = Clock(T0, mode, 1.0, wall=wall or (lambda: 0.0))
    return clock, TaskRunner(clock)


def test_lifecycle_in_manual_time():
    clock, r = runner()
    applied = []
    task = r.start(Task("t1", "demo", iso(T0)), [Step("a", 2, lambda: applied.append(("a", r.now()))),
                                                 Step("b", 3, lambda: applied.append(("b", r.now())))])
    r.run_due()
    assert task.status == "PENDING" and task.progress == 0 and task.started_at is None
    clock.advance(QUEUE_DELAY)
    r.run_due()
    assert task.status == "EXECUTING" and task.started_at == iso(T0 + QUEUE_DELAY)
    clock.advance(2)
    r.run_due()
    assert applied == [("a", T0 + QUEUE_DELAY + 2)] and task.progress == 0.5 and task.steps[0]["finished"]
    clock.advance(100)  # effects land at their own instant, however late the world looks
    r.run_due()
    assert applied[1] == ("b", T0 + QUEUE_DELAY + 5)
    assert task.status == "SUCCESSED" and task.progress == 1.0
    assert task.finished_at == iso(T0 + QUEUE_DELAY + 5)


def test_failed_step_ends_the_task_and_releases_locks():
    clock, r = runner("instant")
    vm = Obj("vm-1")

    def boom():
        raise TaskError("no room", "NO_ROOM")

    failures = []
    task = r.start(Task("t1", "demo", iso(T0)), [Step("a", 1), Step("b", 1, boom), Step("c", 1)], locks=[vm],
                   on_failure=failures.append)
    with pytest.raises(ResourceLocked):
        r.start(Task("t2", "other", iso(T0)), [Step("x", 1)], locks=[vm])
    r.run_due()
    assert task.status == "FAILED" and (task.error_code, task.error_message) == ("NO_ROOM", "no room")
    assert task.progress == round(1 / 3, 4) and task.steps[0]["finished"] and not task.steps[1]["finished"]
    assert len(failures) == 1
    r.check_unlocked(vm)  # released


def test_instant_mode_finishes_everything_by_the_next_look():
    clock, r = runner("instant")
    task = r.start(Task("t1", "demo", iso(T0)), [Step("a", 30), Step("b", 30)])
    assert task.status == "PENDING"
    r.run_due()
    assert task.status == "SUCCESSED" and clock.now() == T0 + QUEUE_DELAY + 60


def test_realtime_mode_follows_the_wall_clock_times_speed():
    wall = [100.0]
    clock = Clock(T0, "realtime", 10.0, wall=lambda: wall[0])
    r = TaskRunner(clock)
    task = r.start(Task("t1", "demo", iso(T0)), [Step("a", 20)])
    wall[0] += 1.0  # 10 simulated seconds
    r.run_due()
    assert task.status == "EXECUTING"
    wall[0] += 1.1
    r.run_due()
    assert task.status == "SUCCESSED" and task.finished_at == iso(T0 + QUEUE_DELAY + 20)
    with pytest.raises(ValueError):
        clock.advance(1)


def test_clock_rejects_bad_settings():
    with pytest.raises(ValueError):
        Clock(T0, "warp")
    with pytest.raises(ValueError):
        Clock(T0, "manual", speed=0)
    with pytest.raises(ValueError):
        Clock(T0, "manual").advance(-1)


def test_control_api_moves_manual_time_and_switches_mode():
    client = make_client(Settings(start_time=PINNED_START, task_mode="manual"))
    assert client.get("/_sim/clock").json["mode"] == "manual"
    start = parse_time(client.get("/_sim/clock").json["now"])
    r = client.post("/_sim/clock", json={"advance": 90})
    assert r.status_code == 200 and parse_time(r.json["now"]) == start + 90
    for bad in ({"advance": -1}, {"advance": "x"}, {"mode": "warp"}, {"speed": 0}, {"nonsense": 1}, [], {}):
        r = client.post("/_sim/clock", json=bad)
        assert r.status_code == 400 and r.json["status"] == 400 and r.json["message"], bad
    r = client.post("/_sim/clock", json={"mode": "instant"})
    assert r.json["mode"] == "instant"
    r = client.post("/_sim/clock", json={"advance": 1})
    assert r.status_code == 400 and "manual" in r.json["message"]


def test_reset_returns_to_the_scenario():
    client = make_client(Settings(start_time=PINNED_START))
    api = Api(client)
    before = api.ok("get-vms")
    api.ok("shutdown-vm", {"where": {"name": "web-01"}})
    assert api.ok("get-vms", {"where": {"name": "web-01"}})[0]["status"] == "STOPPED"
    assert client.post("/_sim/reset").status_code == 200
    assert api.ok("get-vms") == before and api.ok("get-tasks") == []


def test_served_openapi_document_and_switching_control_off():
    client = make_client(Settings(start_time=PINNED_START))
    doc = client.get("/_sim/openapi.json").json
    assert doc["openapi"] == "3.0.0" and "/enter-maintance-mode" in doc["paths"]
    assert doc["paths"]["/get-vms"]["post"]["requestBody"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/GetVmsRequestBody"}
    off = make_client(Settings(start_time=PINNED_START, control=False))
    assert off.get("/_sim/openapi.json").status_code == 404
    assert off.post("/_sim/reset").status_code == 404


def test_progress_follows_the_wall_clock_within_a_step_in_realtime_mode():
    wall = [0.0]
    clock, r = runner("realtime", wall=lambda: wall[0])
    task = r.start(Task("t1", "demo", iso(T0)), [Step("a", 4), Step("b", 4)])
    seen = []
    for w in (0.25, 0.5, 1.5, 2.5, 4.5, 6.5, 8.5):
        wall[0] = w
        r.run_due()
        seen.append((task.progress, [s["current"] for s in task.steps]))
    assert seen == [(0.0, [0.0, 0.0]), (0.0, [0.0, 0.0]), (0.125, [0.25, 0.0]), (0.25, [0.5, 0.0]),
                    (0.5, [1.0, 0.0]), (0.75, [1.0, 0.5]), (1.0, [1.0, 1.0])]


def test_tasks_newest_first_page_as_a_full_sort_would():
    """get-tasks ordered by local_created_at with no filter reads the creation order instead of sorting
    (query.STAMPED_IN_ORDER): every page must be the one a sort of all tasks gives."""
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    vms = [v["id"] for v in api.ok("get-vms", {})]
    for i in range(40):
        api("restart-vm", {"where": {"id": vms[i % len(vms)]}})
        api.client.post("/_sim/clock", json={"advance": 7})
    everything = api.ok("get-tasks", {})
    assert len(everything) >= 30
    by_stamp = sorted(everything, key=lambda t: t["local_created_at"])
    assert len({t["local_created_at"] for t in everything}) == len(everything), "stamps strictly increase"
    for direction, expected in (("ASC", by_stamp), ("DESC", by_stamp[::-1])):
        for page in ({}, {"first": 5}, {"skip": 3, "first": 4}, {"skip": 100}, {"first": 0}, {"skip": 38}):
            got = api.ok("get-tasks", {"orderBy": f"local_created_at_{direction}", **page})
            skip, first = page.get("skip", 0), page.get("first")
            want = expected[skip:None if first is None else skip + first]
            assert [t["id"] for t in got] == [t["id"] for t in want], (direction, page)
    status, answer, _ = api("get-tasks", {"orderBy": "local_created_at_DESC", "first": -1})
    assert status == 400 and "first" in answer["message"]
