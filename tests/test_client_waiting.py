"""Task waiting and the maintenance workflow helpers, on the simulator's `manual` clock: the client's `sleep` moves
simulated time by exactly what it asked for, and its `monotonic` follows, so every poll is accounted for."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from cloudtower_sim.client import (Backoff, CloudTowerClient, CloudTowerError, TaskFailed, TaskStalled, TaskTimeout,
                                  wsgi_session)
from cloudtower_sim.client.workflow import wait_precheck
from cloudtower_sim.contracts.target import STALL_FIRST, STUCK_WAIT, Target, adaptive_stall
from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, TOKEN

GIB = 1024**3
QUEUE = 0.5  # a new task waits PENDING this long
SHUTDOWN = QUEUE + 3.0


class ManualSim:
    """A simulator in manual mode, in-process, with a client whose sleep advances the simulated clock."""

    def __init__(self, scenario=None, backoff=None):
        self.app = create_app(Settings(start_time=PINNED_START, scenario=str(scenario) if scenario else None,
                                       task_mode="manual"))
        self.session = wsgi_session(self.app)
        self.now = 0.0
        self.slept: list[float] = []
        self.requests: Counter = Counter()
        self.session.hooks["response"].append(self._count)
        self.client = CloudTowerClient("http://sim/v2/api", token=TOKEN, session=self.session, sleep=self.sleep,
                                       monotonic=lambda: self.now, backoff=backoff)

    def _count(self, response, *args, **kwargs):
        self.requests[response.request.path_url] += 1

    @property
    def polls(self) -> int:
        return self.requests["/v2/api/get-tasks"]

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        r = self.session.post("http://sim/_sim/clock", json={"advance": seconds})
        assert r.status_code == 200, r.text

    def reset_counts(self) -> None:
        self.slept.clear()
        self.requests.clear()

    # the world as get-vms says
    def world(self) -> dict:
        return {v["name"]: (v["status"], (v.get("host") or {}).get("name")) for v in self.client.get_vms()}

    def host_id(self, name: str) -> str:
        return self.client.get_hosts({"name": name})[0]["id"]

    def vm(self, name: str) -> dict:
        return self.client.get_vms({"name": name})[0]


@pytest.fixture
def sim():
    return ManualSim()


def schedule(intervals, duration: float):
    """The sleeps a waiter makes polling at 0, then after each interval, until `duration` has passed; and the
    number of polls. Refuses a schedule that lands within a millisecond of the end (float noise would decide)."""
    slept, t = [], 0.0
    for interval in intervals:
        if t >= duration:
            break
        t += interval
        slept.append(interval)
        assert abs(t - duration) > 1e-3 or t == duration, "choose another duration: a poll lands on the end"
    return slept, len(slept) + 1


def backoff_intervals(b: Backoff, n: int) -> list[float]:
    out, it = [], iter(b.intervals())
    for _ in range(n):
        out.append(next(it))
    return out


def seconds_between(a: str, b: str) -> float:
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(b) - parse(a)).total_seconds()


# --- wait_task: the number of polls follows the backoff and the task's duration -------------------------------------
def test_shutdown_finishes_after_the_polls_the_backoff_gives(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.reset_counts()
    task = sim.client.wait_task(task_id)
    expected_sleeps, expected_polls = schedule(Backoff().intervals(), SHUTDOWN)
    assert sim.slept == pytest.approx(expected_sleeps)
    assert sim.polls == expected_polls
    assert sim.slept[0] == Backoff.initial
    for a, b in zip(sim.slept, sim.slept[1:]):
        assert b == pytest.approx(min(a * Backoff.factor, Backoff.maximum))
    assert task["id"] == task_id and task["status"] == "SUCCESSED" and task["progress"] == 1.0
    assert seconds_between(task["local_created_at"], task["started_at"]) == pytest.approx(QUEUE)
    assert seconds_between(task["started_at"], task["finished_at"]) == pytest.approx(3.0)
    assert sim.world()["web-01"] == ("STOPPED", "node-1")


def test_a_long_task_reaches_the_maximum_interval(sim):
    # db-01 (96 GiB) live-migrates in 2 s + 1 s per GiB
    duration = QUEUE + 2.0 + 96
    task_id = sim.client.migrate_vm({"name": "db-01"}, host_id=sim.host_id("node-2"))[0]["task_id"]
    sim.reset_counts()
    task = sim.client.wait_task(task_id)
    expected_sleeps, expected_polls = schedule(Backoff().intervals(), duration)
    assert sim.polls == expected_polls and sim.slept == pytest.approx(expected_sleeps)
    assert max(sim.slept) == Backoff.maximum and sim.slept[-1] == Backoff.maximum
    growing = sim.slept[: sim.slept.index(Backoff.maximum)]
    assert growing == pytest.approx(backoff_intervals(Backoff(), len(growing)))
    assert all(b > a for a, b in zip(growing, growing[1:]))
    assert task["status"] == "SUCCESSED"
    assert seconds_between(task["started_at"], task["finished_at"]) == pytest.approx(98.0)
    assert sim.world()["db-01"] == ("RUNNING", "node-2")


def test_a_custom_backoff():
    backoff = Backoff(initial=0.25, factor=2.0, maximum=1.0)
    sim = ManualSim(backoff=backoff)
    task_id = sim.client.suspend_vm({"name": "app-02"})[0]["task_id"]
    sim.reset_counts()
    sim.client.wait_task(task_id)
    assert sim.slept == [0.25, 0.5, 1.0, 1.0, 1.0]  # at 0.25, 0.75, 1.75, 2.75, 3.75 s; done at 3.5 s
    assert sim.polls == 6
    assert sim.world()["app-02"] == ("SUSPENDED", "node-2")


@pytest.mark.parametrize("interval,sleeps", [(1.0, 4), (2.0, 2), (0.3, 12), (10.0, 1)])
def test_a_fixed_poll_interval(sim, interval, sleeps):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.reset_counts()
    task = sim.client.wait_task(task_id, poll_interval=interval)
    assert sim.slept == [interval] * sleeps and sim.polls == sleeps + 1
    assert task["status"] == "SUCCESSED"


def test_a_finished_task_is_not_waited_for(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.advance(10)
    sim.reset_counts()
    assert sim.client.wait_task(task_id)["status"] == "SUCCESSED"
    assert sim.slept == [] and sim.polls == 1


def test_a_status_cloudtower_does_not_have_stops_the_wait(sim):
    """A server that spells the end of a task otherwise (SUCCEEDED) would have the client poll until the timeout."""
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.advance(10)
    real = sim.client.get_tasks
    sim.client.get_tasks = lambda where: [{**t, "status": "SUCCEEDED"} for t in real(where)]
    sim.reset_counts()
    with pytest.raises(CloudTowerError) as e:
        sim.client.wait_task(task_id, timeout=60)
    assert "'SUCCEEDED'" in str(e.value) and "SUCCESSED" in str(e.value)
    assert sim.slept == []


# --- failures and timeouts ------------------------------------------------------------------------------------------
def test_a_failed_task_raises_task_failed(sim):
    """Enter maintenance without listing the host-bound license-server: its live migration fails the task."""
    before = sim.world()
    node1 = sim.host_id("node-1")
    task_id = sim.client.start_enter_maintenance_mode(node1, [])["task_id"]
    sim.reset_counts()
    with pytest.raises(TaskFailed) as e:
        sim.client.wait_task(task_id)
    err = e.value
    assert isinstance(err, CloudTowerError)
    assert err.task_id == task_id and err.task["id"] == task_id and err.task["status"] == "FAILED"
    assert err.error_code == err.task["error_code"] == err.code and err.error_code
    assert err.error_message == err.task["error_message"] and "license-server" in err.error_message
    assert err.failures == [err.task]
    assert err.error_code in str(err) and task_id in str(err)
    # the failure lands when license-server's turn comes: after db-01, web-01 and web-02 (2 s + 1 s/GiB each)
    fails_at = QUEUE + (2 + 96) + (2 + 16) * 2 + (2 + 4)
    assert sim.polls == schedule(Backoff().intervals(), fails_at)[1]
    assert seconds_between(err.task["started_at"], err.task["finished_at"]) == pytest.approx(fails_at - QUEUE)
    # the host is back in service, license-server untouched, the VMs already moved stay where they went
    host = sim.client.get_hosts({"id": node1})[0]
    assert host["host_state"]["state"] == "IN_USE"
    after = sim.world()
    assert after["license-server"] == ("RUNNING", "node-1") and after["test-01"] == ("STOPPED", "node-1")
    for name in ("db-01", "web-01", "web-02"):
        assert after[name][0] == "RUNNING" and after[name][1] not in ("node-1", None)
    assert {k: v for k, v in after.items() if k not in ("db-01", "web-01", "web-02")} == \
        {k: v for k, v in before.items() if k not in ("db-01", "web-01", "web-02")}


def test_a_timeout_says_how_long_and_the_last_status(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.reset_counts()
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task(task_id, timeout=2.0)
    err = e.value
    assert err.task_id == task_id and err.waited == pytest.approx(2.0)
    assert err.last["id"] == task_id and err.last["status"] == "EXECUTING"
    assert "2.0 s" in str(err) and "EXECUTING" in str(err) and task_id in str(err)
    assert sum(sim.slept) == pytest.approx(2.0)  # the last sleep is cut short at the timeout
    assert sim.client.get_task(task_id)["status"] == "EXECUTING"
    assert sim.world()["web-01"] == ("RUNNING", "node-1")


def test_a_timeout_while_pending(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task(task_id, timeout=0.3)
    assert e.value.last["status"] == "PENDING" and "PENDING" in str(e.value) and "0.3 s" in str(e.value)


def test_a_timeout_with_a_fixed_interval(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.reset_counts()
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task(task_id, timeout=2.5, poll_interval=1.0)
    assert sim.slept == [1.0, 1.0, 0.5] and sim.polls == 4
    assert e.value.waited == pytest.approx(2.5)


def test_an_unknown_task_times_out_never_seen(sim):
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task("no-such-task", timeout=1.0)
    assert e.value.last is None and "never seen" in str(e.value)


def freeze(sim, client=None):
    """From now on the client's (or `client`'s) sleeps pass wall time only: the simulated clock, and so every task,
    stands still."""
    def sleep(seconds):
        sim.slept.append(seconds)
        sim.now += seconds
    (client or sim.client)._sleep = sleep


def test_a_task_that_makes_no_progress_stalls(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    freeze(sim)
    sim.client.task_stall = 2.0
    with pytest.raises(TaskStalled) as e:
        sim.client.wait_task(task_id, timeout=100)
    err = e.value
    assert isinstance(err, TaskTimeout) and err.task_id == task_id and 2.0 <= err.waited < 3.0
    assert err.last["status"] == "PENDING" and "made no progress for" in str(err) and "PENDING" in str(err)


def test_a_stall_bound_does_not_end_a_task_that_moves(sim):
    """The enter task of node-1 takes longer than the stall bound, but each of its steps moves its progress."""
    sim.client.task_stall = 12.0
    report = sim.client.enter_maintenance_mode(sim.host_id("node-1"))
    assert report.task["status"] == "SUCCESSED" and sum(sim.slept) > 12.0


def test_a_precheck_that_never_finishes_stalls(sim):
    freeze(sim)
    sim.client.task_stall = 3.0
    with pytest.raises(TaskStalled) as e:
        sim.client.enter_maintenance_mode(sim.host_id("node-1"), timeout=600)
    assert 3.0 <= e.value.waited < 5.0 and sum(sim.slept) < 10


def test_every_timeout_passes_through_timed_out(sim):
    """The hook sees each TaskTimeout before it is raised, from a task wait and from a precheck wait alike."""
    seen = []
    sim.client.timed_out = lambda error: seen.append(error) or error
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task(task_id, timeout=1.0)
    freeze(sim)
    sim.client.task_stall = 2.0
    with pytest.raises(TaskStalled) as stalled:
        sim.client.enter_maintenance_mode(sim.host_id("node-2"))
    assert seen == [e.value, stalled.value]


def test_the_client_task_timeout_is_the_default_of_every_wait(sim):
    task_id = sim.client.shutdown_vm({"name": "web-01"})[0]["task_id"]
    sim.client.task_timeout = 1.5
    with pytest.raises(TaskTimeout) as e:
        sim.client.wait_task(task_id)
    assert e.value.waited == pytest.approx(1.5)
    with pytest.raises(TaskTimeout) as e:
        sim.client.enter_maintenance_mode(sim.host_id("node-2"))
    assert e.value.waited <= 1.5 + 1e-6


# --- the contract suite's stall bound, adapted to the tasks its run has seen end ------------------------------------
def test_the_adaptive_stall_rule():
    assert adaptive_stall(None) == STALL_FIRST == 300.0  # nothing has ended yet: a real tower's first task gets minutes
    assert adaptive_stall(0.05) == adaptive_stall(0.5) == 10.0  # a simulator's pace: the floor
    assert adaptive_stall(1.0) == 20.0 and adaptive_stall(3.0) == 60.0
    assert adaptive_stall(15.0) == adaptive_stall(600.0) == 300.0  # never more than the fixed bound it replaces


def suite_client(sim, task_stall=None) -> tuple[Target, CloudTowerClient]:
    """The contract suite's target on the simulator in manual mode, and a client of it on the test's clock."""
    target = Target("manual", "http://sim/v2/api", sim.session, TOKEN, task_stall=task_stall)
    return target, target.client(sleep=sim.sleep, monotonic=lambda: sim.now)


def stalled_after(sim, client, task_id: str) -> float:
    """How long the client waits on the task, the clock frozen, before it is stalled."""
    freeze(sim, client)
    with pytest.raises(TaskStalled) as e:
        client.wait_task(task_id)
    return e.value.waited


def test_the_suites_first_task_gets_the_bound_of_a_tower_of_unknown_pace(sim):
    target, client = suite_client(sim)
    waited = stalled_after(sim, client, client.shutdown_vm({"name": "web-01"})[0]["task_id"])
    assert STALL_FIRST <= waited < STALL_FIRST + 1.5
    assert target.stuck and target.stall_bound() == STUCK_WAIT  # only the restore waits now, briefly each


def test_the_suites_stall_bound_adapts_to_the_precheck(sim):
    """As a run's maintenance contract goes: the precheck (2.5 s), its result read on its own, ends; the enter task
    then stands still, and stalls after 20 times what the precheck wait took."""
    target, client = suite_client(sim)
    host = sim.host_id("node-1")
    result = wait_precheck(client, client.enter_maintenance_mode_precheck({"id": host}), 100)
    assert 2.5 <= target.slowest < 3.5
    task_id = client.start_enter_maintenance_mode(host, result.shutdown_vms)["task_id"]
    assert 20 * target.slowest <= stalled_after(sim, client, task_id) < 20 * target.slowest + 1.5


def test_the_suites_slowest_task_sets_the_bound(sim):
    """The slowest task seen end sets the bound, not the latest: db-01's live migration (98.5 s), then web-01's
    shutdown (3.5 s); 20 times 98.5 s is past the most the bound may be, 300 s."""
    target, client = suite_client(sim)
    client.wait_task(client.migrate_vm({"name": "db-01"}, host_id=sim.host_id("node-2"))[0]["task_id"])
    client.wait_task(client.shutdown_vm({"name": "web-01"})[0]["task_id"])
    assert 98.5 <= target.slowest < 99.5 and target.stall_bound() == STALL_FIRST
    stalled = stalled_after(sim, client, client.suspend_vm({"name": "app-02"})[0]["task_id"])
    assert STALL_FIRST <= stalled < STALL_FIRST + 1.5


def test_a_task_stall_given_is_the_bound_whatever_the_tasks_took(sim):
    target, client = suite_client(sim, task_stall=7.0)
    client.wait_task(client.shutdown_vm({"name": "web-01"})[0]["task_id"])
    assert target.slowest >= 3.5
    assert 7.0 <= stalled_after(sim, client, client.shutdown_vm({"name": "app-02"})[0]["task_id"]) < 8.5


# --- wait_tasks -----------------------------------------------------------------------------------------------------
def test_wait_tasks_returns_all_and_leaves_the_list_alone(sim):
    c = sim.client
    ids = [c.shutdown_vm({"name": "web-01"})[0]["task_id"],
           c.suspend_vm({"name": "app-02"})[0]["task_id"],
           c.migrate_vm({"name": "web-03"}, host_id=sim.host_id("node-1"))[0]["task_id"]]  # 2 s + 16 s
    caller = list(ids)
    sim.reset_counts()
    done = c.wait_tasks(caller)
    assert caller == ids
    assert set(done) == set(ids) and all(done[i]["id"] == i and done[i]["status"] == "SUCCESSED" for i in ids)
    assert sim.polls == schedule(Backoff().intervals(), QUEUE + 18)[1]  # one get-tasks per poll for all of them
    w = sim.world()
    assert w["web-01"] == ("STOPPED", "node-1") and w["app-02"] == ("SUSPENDED", "node-2")
    assert w["web-03"] == ("RUNNING", "node-1")


def test_wait_tasks_takes_a_tuple_and_duplicates(sim):
    c = sim.client
    a = c.shutdown_vm({"name": "web-01"})[0]["task_id"]
    b = c.shutdown_vm({"name": "web-02"})[0]["task_id"]
    ids = (a, b, a)
    done = c.wait_tasks(ids)
    assert ids == (a, b, a) and set(done) == {a, b}


def test_wait_tasks_with_no_ids(sim):
    assert sim.client.wait_tasks([]) == {} and sim.polls == 0 and sim.slept == []


def create_params(sim, name, gib, host="node-2"):
    return {"cluster_id": sim.client.get_clusters()[0]["id"], "name": name, "memory": gib, "memory_unit": "GB",
            "cpu_cores": 1, "cpu_sockets": 1, "ha": True, "firmware": "BIOS", "status": "RUNNING",
            "vm_nics": [], "vm_disks": {}, "host_id": sim.host_id(host)}


def test_wait_tasks_with_failures_waits_for_all_and_carries_the_failures(sim):
    """Three 50 GiB VMs created running on node-2 (96 GiB free), one request each: each fits when asked, only the
    first when their turn comes, so two tasks fail; the migration in the same wait still runs to its end."""
    c = sim.client
    migrate = c.migrate_vm({"name": "web-03"}, host_id=sim.host_id("node-1"))[0]["task_id"]
    created = [c.create_vm(create_params(sim, f"big-{i}", 50))[0]["task_id"] for i in range(3)]
    ids = [migrate, *created]
    with pytest.raises(TaskFailed) as e:
        c.wait_tasks(ids)
    err = e.value
    assert [t["id"] for t in err.failures] == created[1:] and err.task["id"] == created[1]
    assert all(t["status"] == "FAILED" and t["error_message"] for t in err.failures)
    assert "1 more failed" in str(err)
    assert c.get_task(migrate)["status"] == "SUCCESSED" and c.get_task(created[0])["status"] == "SUCCESSED"
    w = sim.world()
    assert w["web-03"] == ("RUNNING", "node-1") and w["big-0"] == ("RUNNING", "node-2")
    assert w["big-1"][0] == "STOPPED" and w["big-2"][0] == "STOPPED"
    assert ids == [migrate, *created]


def test_wait_tasks_exit_on_error_stops_at_the_first_failure(sim):
    c = sim.client
    migrate = c.migrate_vm({"name": "web-03"}, host_id=sim.host_id("node-1"))[0]["task_id"]
    created = [c.create_vm(create_params(sim, f"big-{i}", 50))[0]["task_id"] for i in range(2)]
    sim.reset_counts()
    with pytest.raises(TaskFailed) as e:
        c.wait_tasks([migrate, *created], exit_on_error=True)
    assert e.value.task["id"] == created[1] and e.value.failures == [e.value.task]
    # create: 0.5 s queue + 2 s + 3 s to power on; the 18.5 s migration is still running
    assert sim.polls == schedule(Backoff().intervals(), QUEUE + 5.0)[1]
    assert c.get_task(migrate)["status"] == "EXECUTING"
    assert sim.world()["web-03"] == ("RUNNING", "node-3")


# --- the maintenance workflow in one call ---------------------------------------------------------------------------
def snapshot(sim):
    return sorted((v["name"], v["status"], (v.get("host") or {}).get("name")) for v in sim.client.get_vms())


def test_enter_maintenance_mode_report(sim):
    node1 = sim.host_id("node-1")
    before = sim.world()
    report = sim.client.enter_maintenance_mode(node1)
    w = sim.world()
    assert report.host_id == node1 and report.host_name == "node-1"
    assert report.task["status"] == "SUCCESSED"
    assert report.shut_down == ["license-server"]
    assert w["license-server"] == ("STOPPED", "node-1")
    assert set(report.live_migrated) == {"db-01", "web-01", "web-02"}
    for name, target in report.live_migrated.items():
        assert w[name] == ("RUNNING", target) and target != "node-1"
    assert set(report.offline_migrated) == {"test-01"}
    assert w["test-01"] == ("STOPPED", report.offline_migrated["test-01"]) != ("STOPPED", "node-1")
    assert report.powered_on == [] and report.not_restored == []
    moved = {"license-server", "db-01", "web-01", "web-02", "test-01"}
    assert {k: v for k, v in w.items() if k not in moved} == {k: v for k, v in before.items() if k not in moved}
    host = sim.client.get_hosts({"id": node1})[0]
    assert host["host_state"]["state"] == "MAINTENANCE_MODE"
    assert host["host_state"]["maintenance_job_id"] == report.task["id"]
    assert host["running_vm_num"] == 0
    # every sleep came from the backoff, never above its maximum
    assert sim.slept and max(sim.slept) <= Backoff.maximum


@pytest.mark.parametrize("host", ["node-1", "node-2", "node-3", "node-4"])
def test_enter_and_exit_every_host(host):
    sim = ManualSim()
    before = snapshot(sim)
    host_id = sim.host_id(host)
    entered = sim.client.enter_maintenance_mode(host_id)
    w = sim.world()
    assert not [name for name, (status, where) in w.items() if where == host and status != "STOPPED"]
    for name in entered.shut_down:
        assert w[name] == ("STOPPED", host)
    for name, target in {**entered.live_migrated, **entered.offline_migrated}.items():
        assert w[name][1] == target != host
    moved = {*entered.shut_down, *entered.live_migrated, *entered.offline_migrated}
    assert moved == {name for name, _, where in before if where == host}
    left = sim.client.exit_maintenance_mode(host_id)
    assert left.not_restored == [] and sorted(left.powered_on) == sorted(entered.shut_down)
    assert left.live_migrated == {name: host for name in entered.live_migrated}
    assert left.offline_migrated == {name: host for name in entered.offline_migrated}
    assert snapshot(sim) == before


def test_enter_takes_only_from_precheck_or_a_list(sim):
    with pytest.raises(ValueError):
        sim.client.enter_maintenance_mode(sim.host_id("node-1"), shutdown_vms="all")
    assert sim.client.get_hosts({"name": "node-1"})[0]["host_state"] is None


def test_enter_timeout_bounds_the_whole_call(sim):
    """`timeout` is the caller's bound on the call: the precheck's wait and the enter task's wait share it."""
    with pytest.raises(TaskTimeout) as e:
        sim.client.enter_maintenance_mode(sim.host_id("node-1"), timeout=30)
    assert sum(sim.slept) <= 30 + 1e-6, f"waited {sum(sim.slept):.2f} s of simulated time with timeout=30"
    assert e.value.waited == pytest.approx(sum(sim.slept))


def test_enter_with_a_fixed_poll_interval(sim):
    report = sim.client.enter_maintenance_mode(sim.host_id("node-1"), poll_interval=7.0)
    assert set(sim.slept) == {7.0} and report.shut_down == ["license-server"]


def test_enter_without_shutting_down_the_host_bound_vm_fails(sim):
    with pytest.raises(TaskFailed) as e:
        sim.client.enter_maintenance_mode(sim.host_id("node-1"), shutdown_vms=[])
    assert "license-server" in e.value.error_message
    assert sim.client.get_hosts({"name": "node-1"})[0]["host_state"]["state"] == "IN_USE"


def test_enter_times_out(sim):
    with pytest.raises(TaskTimeout) as e:
        sim.client.enter_maintenance_mode(sim.host_id("node-1"), timeout=30)
    assert e.value.last["status"] == "EXECUTING" and e.value.waited == pytest.approx(30)


def test_exit_all_brings_everything_back(sim):
    node1 = sim.host_id("node-1")
    before = snapshot(sim)
    entered = sim.client.enter_maintenance_mode(node1)
    report = sim.client.exit_maintenance_mode(node1, restore="all")
    assert report.task["status"] == "SUCCESSED" and not report.task["error_message"]
    assert snapshot(sim) == before
    w = sim.world()
    assert report.powered_on == ["license-server"] == entered.shut_down
    assert w["license-server"] == ("RUNNING", "node-1")
    assert report.live_migrated == {name: "node-1" for name in entered.live_migrated}
    assert report.offline_migrated == {name: "node-1" for name in entered.offline_migrated}
    for name in [*report.live_migrated, *report.offline_migrated, *report.powered_on]:
        assert w[name][1] == "node-1"
    assert report.not_restored == []
    assert sim.client.get_hosts({"id": node1})[0]["host_state"]["state"] == "IN_USE"


def test_exit_unchanged_skips_a_vm_whose_power_state_changed(sim):
    c = sim.client
    node1 = sim.host_id("node-1")
    before = sim.world()
    entered = c.enter_maintenance_mode(node1)
    moved_to = entered.live_migrated["web-01"]
    c.wait_task(c.shutdown_vm({"name": "web-01"})[0]["task_id"])
    verify = {v.vm_name: v for v in c.exit_maintenance_mode_precheck_result({"id": node1}).live_migrate_vms}
    assert verify["web-01"].changed is True and verify["web-01"].reason
    assert verify["web-01"].vm_state == "stopped"
    assert verify["db-01"].changed is False and verify["web-02"].changed is False
    report = c.exit_maintenance_mode(node1, restore="unchanged")
    w = sim.world()
    assert "web-01" not in report.live_migrated
    assert report.live_migrated == {"db-01": "node-1", "web-02": "node-1"}
    assert report.offline_migrated == {"test-01": "node-1"} and report.powered_on == ["license-server"]
    assert w["web-01"] == ("STOPPED", moved_to)
    assert w == {**before, "web-01": ("STOPPED", moved_to)}


def test_exit_with_an_explicit_restore(sim):
    c = sim.client
    node1 = sim.host_id("node-1")
    c.enter_maintenance_mode(node1)
    web02 = sim.vm("web-02")
    with pytest.raises(ValueError):
        c.exit_maintenance_mode(node1, restore={"poweron": []})
    with pytest.raises(ValueError):
        c.exit_maintenance_mode(node1, restore="some")
    report = c.exit_maintenance_mode(node1, restore={"live_migrate_back_vms": [web02["local_id"]]})
    assert report.live_migrated == {"web-02": "node-1"} and report.powered_on == [] and report.offline_migrated == {}
    w = sim.world()
    assert w["web-02"] == ("RUNNING", "node-1") and w["license-server"] == ("STOPPED", "node-1")
    assert w["db-01"][1] != "node-1"


def test_exit_all_skips_a_deleted_vm(sim):
    c = sim.client
    node1 = sim.host_id("node-1")
    before = sim.world()
    c.enter_maintenance_mode(node1)
    c.wait_task(c.delete_vm({"name": "test-01"})[0]["task_id"])
    offline = c.exit_maintenance_mode_precheck_result({"id": node1}).offline_migrate_vms
    assert [(v.vm_name, v.vm_state, v.changed) for v in offline] == [("test-01", "deleted", True)]
    report = c.exit_maintenance_mode(node1, restore="all")
    assert report.offline_migrated == {} and report.not_restored == []
    expected = dict(before)
    del expected["test-01"]
    assert sim.world() == expected


BACK_AND_FORTH = """\
start_time: "2026-01-01T08:00:00Z"
users:
  - {username: root, password: "pw", tokens: ["cloudtower-sim-root-token"]}
clusters:
  - name: roomy
    hosts:
      - {name: h1, memory_gib: 64, os_memory_gib: 16}
      - {name: h2, memory_gib: 128, os_memory_gib: 16}
      - {name: h3, memory_gib: 128, os_memory_gib: 16}
    vms:
      # h1 holds 48 GiB for VMs: warm-a runs there; cold-b (stopped) would fit only while stopped
      - {name: warm-a, host: h1, status: RUNNING, memory_gib: 40, vcpu: 4}
      - {name: cold-b, host: h1, status: STOPPED, memory_gib: 40, vcpu: 4}
"""


def test_exit_names_what_no_longer_fits(tmp_path):
    """cold-b leaves h1 stopped and is started where it went: on exit, beside warm-a, it no longer fits h1.
    The report's not_restored, the task's error_message and the world agree."""
    path = tmp_path / "back-and-forth.yaml"
    path.write_text(BACK_AND_FORTH)
    sim = ManualSim(scenario=path)
    c = sim.client
    h1 = sim.host_id("h1")
    entered = c.enter_maintenance_mode(h1)
    assert entered.shut_down == [] and set(entered.live_migrated) == {"warm-a"}
    assert set(entered.offline_migrated) == {"cold-b"}
    c.wait_task(c.start_vm({"name": "cold-b"})[0]["task_id"])
    cold_b_host = entered.offline_migrated["cold-b"]
    assert sim.world()["cold-b"] == ("RUNNING", cold_b_host)
    report = c.exit_maintenance_mode(h1, restore="all")  # "all" asks for cold-b too, changed as it is
    w = sim.world()
    assert report.task["status"] == "SUCCESSED"
    assert report.live_migrated == {"warm-a": "h1"} and w["warm-a"] == ("RUNNING", "h1")
    assert report.not_restored == ["cold-b"] and report.offline_migrated == {}
    assert "cold-b" in report.task["error_message"]
    assert w["cold-b"] == ("RUNNING", cold_b_host)
    assert c.get_hosts({"id": h1})[0]["host_state"]["state"] == "IN_USE"


TIGHT = """\
seed: 7
start_time: "2026-01-01T08:00:00Z"
users:
  - {username: root, password: "pw", tokens: ["cloudtower-sim-root-token"]}
clusters:
  - name: tight
    hosts:
      - {name: h1, memory_gib: 64, os_memory_gib: 16}
      - {name: h2, memory_gib: 64, os_memory_gib: 16}
      - {name: h3, memory_gib: 64, os_memory_gib: 16}
    vms:
      # h1 is full (48 of 48 GiB); h2 has 8 GiB free and h3 12: only small-c can move
      - {name: big-a, host: h1, status: RUNNING, memory_gib: 24, vcpu: 4}
      - {name: big-b, host: h1, status: RUNNING, memory_gib: 16, vcpu: 4}
      - {name: small-c, host: h1, status: RUNNING, memory_gib: 8, vcpu: 2}
      - {name: cold-d, host: h1, status: STOPPED, memory_gib: 32, vcpu: 2}
      - {name: fill-2, host: h2, status: RUNNING, memory_gib: 40, vcpu: 4}
      - {name: fill-3, host: h3, status: RUNNING, memory_gib: 36, vcpu: 4}
"""


def test_several_vms_must_be_shut_down(tmp_path):
    path = tmp_path / "tight.yaml"
    path.write_text(TIGHT)
    sim = ManualSim(scenario=path)
    c = sim.client
    h1 = sim.host_id("h1")
    before = snapshot(sim)
    precheck = c.enter_maintenance_mode_precheck({"id": h1})
    sim.advance(5)
    listed = c.enter_maintenance_mode_precheck_result(precheck).shutdown_vms
    uuids = {v["name"]: v["local_id"] for v in c.get_vms()}
    assert sorted(listed) == sorted([uuids["big-a"], uuids["big-b"]])

    report = c.enter_maintenance_mode(h1)
    w = sim.world()
    assert sorted(report.shut_down) == ["big-a", "big-b"]
    for name in report.shut_down:
        assert w[name] == ("STOPPED", "h1")
    assert set(report.live_migrated) == {"small-c"}
    assert w["small-c"] == ("RUNNING", report.live_migrated["small-c"]) and report.live_migrated["small-c"] != "h1"
    assert set(report.offline_migrated) == {"cold-d"}
    assert w["cold-d"] == ("STOPPED", report.offline_migrated["cold-d"]) and report.offline_migrated["cold-d"] != "h1"
    assert w["fill-2"] == ("RUNNING", "h2") and w["fill-3"] == ("RUNNING", "h3")
    assert c.count_vms(where={"host": {"id": h1}, "status_not": "STOPPED"}) == 0

    back = c.exit_maintenance_mode(h1)
    assert sorted(back.powered_on) == ["big-a", "big-b"]
    assert back.live_migrated == {"small-c": "h1"} and back.offline_migrated == {"cold-d": "h1"}
    assert back.not_restored == []
    assert snapshot(sim) == before
