"""The maintenance tasks in simulated time (simulator-behaviour.md sections 2 and 5), walked step by step in manual
clock mode on the default scenario (mock_server/scenarios/default.yaml).

The timeline is worked out from the rules, not read off the simulator. A task waits PENDING for 0.5 s, then runs its
steps one after the other; each step's effect lands at the instant the step completes. Durations: VM power operation
3 s, live migration 2 s + 1 s per GiB, offline migration 1 s, precheck 2 s, and 1 s for the maintenance step itself.

Entering maintenance on node-1 (shutdown_vms = [license-server], as the precheck says):
  shut down license-server 3 s, then live-migrate largest first onto the host with most free memory (ties by name):
  db-01 96 GiB (98 s) -> node-2 (96 free, tied with node-3), web-01 16 GiB (18 s) -> node-3 (96 free; node-2 is full),
  web-02 (18 s) -> node-3 (80 free), then test-01, stopped, offline (1 s) -> node-4 (72 free, the most), then 1 s.
Exiting with every list from the exit precheck: 1 s back in service, then the migrations back (the live ones in the
order asked, db-01, web-01, web-02, then the offline one, test-01), then license-server powered on (3 s).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from cloudtower_sim.mock_server.domain.guest import GUEST_BOOT_SECONDS
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, Api, make_client

PRECHECK = "enter-maintenance-mode-precheck"
PRECHECK_RESULT = "enter-maintance-mode-precheck-result"
ENTER = "enter-maintance-mode"
EXIT_PRECHECK = "exit-maintance-mode-precheck-result"
EXIT = "exit-maintance-mode"
START = datetime(2026, 1, 1, 8, 0, 0, tzinfo=timezone.utc)  # the default scenario's start_time

QUEUE = 0.5
# (seconds after the enter request, VM, (host, status) from then on)
ENTER_EVENTS = [
    (3.5, "license-server", ("node-1", "STOPPED")),
    (101.5, "db-01", ("node-2", "RUNNING")),
    (119.5, "web-01", ("node-3", "RUNNING")),
    (137.5, "web-02", ("node-3", "RUNNING")),
    (138.5, "test-01", ("node-4", "STOPPED")),
]
ENTER_DONE = 139.5
EXIT_IN_SERVICE = 1.5
EXIT_EVENTS = [
    (99.5, "db-01", ("node-1", "RUNNING")),
    (117.5, "web-01", ("node-1", "RUNNING")),
    (135.5, "web-02", ("node-1", "RUNNING")),
    (136.5, "test-01", ("node-1", "STOPPED")),
    (139.5, "license-server", ("node-1", "RUNNING")),
]
EXIT_DONE = 139.5


# --- helpers ----------------------------------------------------------------------------------------------------------

def iso(seconds):
    t = START + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def now(api):
    r = api.client.get("/_sim/clock")
    assert r.status_code == 200
    return r.get_json()["now"]


def placement(api):
    return {v["name"]: ((v["host"] or {}).get("name"), v["status"]) for v in api.ok("get-vms", {})}


def check_hosts_agree(api):
    vms = api.ok("get-vms", {})
    for h in api.ok("get-hosts", {}):
        mine = [v for v in vms if v["host"] and v["host"]["name"] == h["name"]]
        assert sorted(x["name"] for x in h["vms"]) == sorted(v["name"] for v in mine), h["name"]
        assert h["running_pause_vm_memory_bytes"] == sum(v["memory"] for v in mine if v["status"] != "STOPPED")
        assert h["running_pause_vm_memory_bytes"] <= h["allocatable_memory_bytes"], h["name"]


def sample_times(events, done, extra=()):
    """Instants to look at: just before and at every event, and every few seconds in between."""
    times = {0.0, 0.25, QUEUE - 0.25, QUEUE, QUEUE + 0.25, done - 0.25, done, done + 5, *extra}
    for t, *_ in events:
        times |= {t - 0.25, t, t + 0.25}
    times |= {float(t) for t in range(0, int(done), 7)}
    return sorted(times)


def expected_placement(initial, events, t):
    out = dict(initial)
    for at, name, where in events:
        if at <= t:
            out[name] = where
    return out


def walk(api, task_id, t0, events, done, host_check):
    """Advance the clock through `sample_times` and check, at each instant, where every VM is, the task's status and
    progress, and the host's maintenance state (`host_check(t, host)`)."""
    initial = placement(api)
    elapsed, progress, at_step = 0.0, 0.0, []
    for t in sample_times(events, done):
        if t > elapsed:
            api.clock(advance=t - elapsed)
            elapsed = t
        assert now(api) == iso(t0 + t)
        assert placement(api) == expected_placement(initial, events, t), f"at {t} s"
        check_hosts_agree(api)
        tk = api.task(task_id)
        if t < QUEUE:
            assert tk["status"] == "PENDING", (t, tk)
            assert tk["progress"] == 0 and not tk["started_at"] and not tk["finished_at"]
        elif t < done:
            assert tk["status"] == "EXECUTING", (t, tk)
            assert tk["started_at"] == iso(t0 + QUEUE) and not tk["finished_at"]
            assert 0 <= tk["progress"] < 1
        else:
            assert tk["status"] == "SUCCESSED", (t, tk)
            assert tk["progress"] == 1 and tk["finished_at"] == iso(t0 + done)
            assert not tk["error_code"]
        assert tk["progress"] >= progress, f"progress went down at {t} s"
        progress = tk["progress"]
        if any(at == t for at, *_ in events):
            at_step.append(progress)
        host_check(t, api.host("node-1"))
    # rising: every VM step that completes while the task executes moves the progress on
    assert all(b > a for a, b in zip([0.0] + at_step, at_step)), at_step
    return elapsed


def manual_api():
    api = Api(make_client())
    api.clock(mode="manual")
    return api


def precheck_in_manual(api, host_name="node-1"):
    task_id = api.ok(PRECHECK, {"where": {"name": host_name}})["task_id"]
    api.clock(advance=2.5)
    result = api.ok(PRECHECK_RESULT, {"where": {"task_id": task_id}})
    assert result["done"] is True
    return [x["vm_uuid"] for x in result["shutdownVms"]]


# --- the precheck ----------------------------------------------------------------------------------------------------

def test_precheck_result_is_not_done_until_the_precheck_has_run():
    api = manual_api()
    task_id = api.ok(PRECHECK, {"where": {"name": "node-1"}})["task_id"]
    elapsed = 0.0
    for t in (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.25, 2.4, 2.5, 3.0, 60.0):
        api.clock(advance=t - elapsed)
        elapsed = t
        result = api.ok(PRECHECK_RESULT, {"where": {"task_id": task_id}})
        status = api.task(task_id)["status"]
        if t < 2.5:
            assert result == {"done": False, "shutdownVms": []}, t
            assert status == ("PENDING" if t < 0.5 else "EXECUTING"), t
        else:
            assert result == {"done": True, "shutdownVms": [{"vm_uuid": api.vm("license-server")["local_id"]}]}, t
            assert status == "SUCCESSED"
            assert api.task(task_id)["finished_at"] == iso(2.5)


def test_a_precheck_changes_nothing_while_it_runs():
    api = manual_api()
    before = (api.ok("get-vms", {}), api.ok("get-hosts", {}))
    api.ok(PRECHECK, {"where": {"name": "node-1"}})
    for _ in range(6):
        api.clock(advance=0.5)
        assert (api.ok("get-vms", {}), api.ok("get-hosts", {})) == before


# --- the enter task, step by step ------------------------------------------------------------------------------------

def enter_node_1(api):
    shutdown = precheck_in_manual(api)
    assert shutdown == [api.vm("license-server")["local_id"]]
    t0 = 2.5
    out = api.ok(ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {"shutdown_vms": shutdown}})
    assert out["data"]["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE"
    assert out["data"]["name"] == "node-1"
    return out["task_id"], t0


def test_enter_task_step_by_step():
    api = manual_api()
    task_id, t0 = enter_node_1(api)

    def host_check(t, h):
        if t < ENTER_DONE:
            assert h["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE", t
        else:
            assert h["host_state"] == {"state": "MAINTENANCE_MODE", "enter_maintenance_time": iso(t0 + ENTER_DONE),
                                       "maintenance_job_id": task_id}, t
            assert [v["name"] for v in h["vms"]] == ["license-server"]
            assert h["running_vm_num"] == 0

    walk(api, task_id, t0, ENTER_EVENTS, ENTER_DONE, host_check)
    # the exit precheck reports what was done, as it was done
    r = api.ok(EXIT_PRECHECK, {"where": {"name": "node-1"}})
    assert [x["vm_name"] for x in r["shutDownVms"]] == ["license-server"]
    assert sorted(x["vm_name"] for x in r["liveMigrateVms"]) == ["db-01", "web-01", "web-02"]
    assert [x["vm_name"] for x in r["offlineMigrateVms"]] == ["test-01"]
    targets = {x["vm_name"]: x["target_host_name"] for items in r.values() for x in items}
    assert targets == {"license-server": None, "db-01": "node-2", "web-01": "node-3", "web-02": "node-3",
                       "test-01": "node-4"}


def test_enter_task_steps_are_recorded():
    api = manual_api()
    task_id, _ = enter_node_1(api)
    steps = api.task(task_id)["steps"]
    assert len(steps) == 6  # 1 shutdown, 3 live migrations, 1 offline migration, the maintenance step
    assert not any(s["finished"] for s in steps)
    api.clock(advance=ENTER_DONE)
    tk = api.task(task_id)
    assert tk["status"] == "SUCCESSED" and all(s["finished"] for s in tk["steps"])


def test_progress_moves_within_a_step_as_time_passes():
    """Issue 11 item 8: a real tower's task reports progress between its steps' ends. db-01's live migration is the
    second of six steps and runs from 3.5 s to 101.5 s after the request; half way through (52.5 s) the step is at
    0.5 and the task at (1 + 0.5) / 6."""
    api = manual_api()
    task_id, _ = enter_node_1(api)
    api.clock(advance=52.5)
    tk = api.task(task_id)
    assert [s["current"] for s in tk["steps"]] == [1.0, 0.5, 0, 0, 0, 0]
    assert [s["finished"] for s in tk["steps"]] == [True] + [False] * 5
    assert tk["progress"] == 0.25
    api.clock(advance=49.0 - 0.001)  # a moment before the step ends it is not yet at 1: its effect has not landed
    tk = api.task(task_id)
    assert 0.9998 <= tk["steps"][1]["current"] < 1 and not tk["steps"][1]["finished"]
    assert placement(api)["db-01"] == ("node-1", "RUNNING")
    api.clock(advance=0.001)
    tk = api.task(task_id)
    assert tk["steps"][1] | {"per_second": None} == {"key": "live_migrate:db-01", "current": 1.0, "total": 1.0,
                                                     "finished": True, "unit": "PERCENT", "per_second": None}
    assert tk["progress"] == round(2 / 6, 4)


def test_a_second_look_at_the_same_instant_changes_nothing():
    api = manual_api()
    task_id, _ = enter_node_1(api)
    api.clock(advance=101.5)
    first = (api.ok("get-vms", {}), api.ok("get-hosts", {}), api.task(task_id))
    api.clock(advance=0)
    assert (api.ok("get-vms", {}), api.ok("get-hosts", {}), api.task(task_id)) == first


# --- the exit task, step by step -------------------------------------------------------------------------------------

def test_exit_task_step_by_step():
    api = manual_api()
    enter_id, t0 = enter_node_1(api)
    api.clock(advance=ENTER_DONE)
    assert api.host("node-1")["host_state"]["state"] == "MAINTENANCE_MODE"
    t1 = t0 + ENTER_DONE
    r = api.ok(EXIT_PRECHECK, {"where": {"name": "node-1"}})
    by_name = {x["vm_name"]: x["vm_uuid"] for items in r.values() for x in items}
    data = {"poweron_vms": [by_name["license-server"]],
            "live_migrate_back_vms": [by_name["db-01"], by_name["web-01"], by_name["web-02"]],
            "offline_migrate_back_vms": [by_name["test-01"]]}
    out = api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data})
    task_id = out["task_id"]
    assert out["data"]["host_state"]["state"] == "MAINTENANCE_MODE"  # still, until the first step is done

    def host_check(t, h):
        state = "MAINTENANCE_MODE" if t < EXIT_IN_SERVICE else "IN_USE"
        assert h["host_state"]["state"] == state, t

    walk(api, task_id, t1, EXIT_EVENTS, EXIT_DONE, host_check)
    h = api.host("node-1")
    assert sorted(v["name"] for v in h["vms"]) == ["db-01", "license-server", "test-01", "web-01", "web-02"]
    assert api.task(task_id)["error_message"] in (None, "")
    # back where the scenario started
    assert placement(api) == placement(Api(make_client()))


def test_exit_host_is_back_in_service_after_its_first_second():
    api = manual_api()
    _, t0 = enter_node_1(api)
    api.clock(advance=ENTER_DONE)
    api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}})
    api.clock(advance=1.25)
    assert api.host("node-1")["host_state"]["state"] == "MAINTENANCE_MODE"
    api.clock(advance=0.25)
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"


# --- instant and manual give the same world --------------------------------------------------------------------------

def run_sequence(api, wait):
    """precheck, its result, enter, the exit precheck, exit: `wait(seconds)` after each task-starting request."""
    task_id = api.ok(PRECHECK, {"where": {"name": "node-1"}})["task_id"]
    wait(2.5)
    result = api.ok(PRECHECK_RESULT, {"where": {"task_id": task_id}})
    shutdown = [x["vm_uuid"] for x in result["shutdownVms"]]
    enter = api.ok(ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {"shutdown_vms": shutdown}})
    wait(ENTER_DONE)
    r = api.ok(EXIT_PRECHECK, {"where": {"name": "node-1"}})
    data = {"poweron_vms": [x["vm_uuid"] for x in r["shutDownVms"]],
            "live_migrate_back_vms": [x["vm_uuid"] for x in r["liveMigrateVms"]],
            "offline_migrate_back_vms": [x["vm_uuid"] for x in r["offlineMigrateVms"]]}
    exit_ = api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data})
    wait(EXIT_DONE + GUEST_BOOT_SECONDS)  # and the guests of the VMs powered on are up (instant mode jumps there)
    return {"answers": [task_id, result, enter, r, exit_], "vms": api.ok("get-vms", {}),
            "hosts": api.ok("get-hosts", {}), "tasks": api.ok("get-tasks", {}), "clusters": api.ok("get-clusters", {})}


def instant_run():
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="instant")))
    return run_sequence(api, lambda s: None)


def test_instant_and_manual_modes_give_the_same_world():
    instant = instant_run()
    api = manual_api()
    manual = run_sequence(api, lambda s: api.clock(advance=s))
    assert manual == instant
    assert [t["status"] for t in instant["tasks"]] == ["SUCCESSED"] * 3


def test_instant_mode_is_deterministic():
    assert instant_run() == instant_run()


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


CUID = re.compile(r"^c[0-9a-z]{8}([0-9a-z]{16})$")  # c, creation time, then counter, fingerprint and randomness


def timeless(x):
    if isinstance(x, dict):
        return {k: timeless(v) for k, v in x.items()}
    if isinstance(x, list):
        return [timeless(v) for v in x]
    if isinstance(x, str) and ISO.match(x):
        return "<time>"
    if isinstance(x, str) and CUID.match(x):  # an id carries its creation time too
        return "c<time>" + CUID.match(x).group(1)
    return x


@pytest.mark.parametrize("extra", [10, 1000])
def test_manual_mode_advanced_far_enough_gives_the_instant_world(extra):
    """Waiting longer than needed changes only timestamps."""
    instant = instant_run()
    api = manual_api()
    manual = run_sequence(api, lambda s: api.clock(advance=s + extra))
    assert manual != instant  # the timestamps differ...
    assert timeless(manual) == timeless(instant)  # ... and nothing else


def test_instant_mode_finishes_each_task_at_its_own_instant():
    run = instant_run()
    precheck = next(t for t in run["tasks"] if t["id"] == run["answers"][0])
    enter = next(t for t in run["tasks"] if t["id"] == run["answers"][2]["task_id"])
    exit_ = next(t for t in run["tasks"] if t["id"] == run["answers"][4]["task_id"])
    assert len(run["tasks"]) == 3
    assert (precheck["started_at"], precheck["finished_at"]) == (iso(0.5), iso(2.5))
    assert (enter["local_created_at"], enter["started_at"], enter["finished_at"]) == (
        iso(2.5), iso(3.0), iso(2.5 + ENTER_DONE))
    t1 = 2.5 + ENTER_DONE
    assert (exit_["local_created_at"], exit_["started_at"], exit_["finished_at"]) == (
        iso(t1), iso(t1 + 0.5), iso(t1 + EXIT_DONE))
    node1 = next(h for h in run["hosts"] if h["name"] == "node-1")
    assert node1["host_state"]["enter_maintenance_time"] == iso(2.5 + ENTER_DONE)
    assert node1["host_state"]["maintenance_job_id"] == enter["id"]
