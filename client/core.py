"""CloudTowerClient: one session, one method per simulated operation, typed errors, task waiting."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

import requests

from . import wire, workflow
from .errors import ConnectionFailed, ServerError, TaskFailed, TaskTimeout, from_response
from .polling import Poll
from .types import (EnterMaintenanceModeResult, ExitMaintenanceModeResult, MaintenanceModeVmInfo, MaintenanceReport,
                    Task, WithTask)

RETRYABLE_STATUS = (502, 503, 504)


@dataclass
class Backoff:
    """Polling intervals: start fast, grow by `factor`, never above `maximum` seconds."""
    initial: float = 0.1
    factor: float = 1.6
    maximum: float = 5.0

    def intervals(self) -> Iterable[float]:
        interval = self.initial
        while True:
            yield interval
            interval = min(interval * self.factor, self.maximum)


def _shaped(path: str, answer, make):
    """`make(answer)`; an answer of another shape than CloudTower's (a changed API, a proxy in the way) is the
    tower's error, said as one that names what was missing, not a KeyError of the client."""
    try:
        return make(answer)
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise ServerError(f"the answer of {path} is not of the shape CloudTower declares ({type(e).__name__}: {e})",
                          path=path, operation=path, body=answer) from None


class CloudTowerClient:
    """A client of CloudTower's `/v2/api`, real or simulated.

    `base_url` ends in `/v2/api`. Give a `token`, or `username` and `password` to log in at once. `verify=False`
    accepts a self-signed certificate (TLS verification is on by default). `session` may be any `requests.Session`,
    for example `client.transport.wsgi_session(app)` for a simulator in-process. Reads (`get-*`) are retried on
    connection errors and 502/503/504 up to `read_retries` times; mutations never are.

    `task_timeout` is how long a wait on tasks may take when the call names no timeout (default: 300 s for a task,
    1800 s for a maintenance workflow). With `task_stall`, a wait also ends, raising TaskStalled, once no task it
    waits on has changed status or progress for that many seconds. `stall_bound`, `finished` and `timed_out` are
    hooks of every wait, for a subclass (or an instance's attribute) to adapt the stall bound to the tasks seen end."""

    def __init__(self, base_url: str, token: str | None = None, username: str | None = None,
                 password: str | None = None, timeout: float = 30.0, session: requests.Session | None = None,
                 verify: bool = True, read_retries: int = 2, backoff: Backoff | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 task_timeout: float | None = None, task_stall: float | None = None):
        self.task_timeout, self.task_stall = task_timeout, task_stall
        self.base_url = base_url.rstrip("/")
        self.timeout, self.read_retries = timeout, read_retries
        self.session = session or requests.Session()
        if session is None or not verify:  # keep a given session's own CA bundle unless told to trust anything
            self.session.verify = verify
        self.token = token
        self.backoff = backoff or Backoff()
        self._sleep, self._monotonic = sleep, monotonic
        if username is not None:
            self.login(username, password or "")

    # transport -------------------------------------------------------------------------------------------------------
    def call(self, path: str, body=None, method: str = "POST", auth: bool = True):
        """Send one operation and return its JSON; raise the matching CloudTowerError on an error answer."""
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = self.token
        retries = self.read_retries if path.startswith("/get-") else 0
        for attempt in range(retries + 1):
            try:
                response = self.session.request(method, url, json=body if method == "POST" else None,
                                                headers=headers, timeout=self.timeout)
            except requests.RequestException as e:
                if attempt < retries:
                    self._sleep(self.backoff.initial * (attempt + 1))
                    continue
                raise ConnectionFailed(url, e) from e
            if response.status_code in RETRYABLE_STATUS and attempt < retries:
                self._sleep(self.backoff.initial * (attempt + 1))
                continue
            return self._result(response, path)

    @staticmethod
    def _result(response: requests.Response, operation: str):
        request_id = response.headers.get("x-tower-request-id")
        path = urlsplit(response.url).path if response.url else operation
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise from_response(response.status_code, body, request_id, operation, path)
        if isinstance(body, str) and "json" not in response.headers.get("content-type", ""):
            raise ServerError(f"expected a JSON answer, got {body[:200]!r}", response.status_code, path=path,
                              request_id=request_id, operation=operation)
        return body

    # user and version ------------------------------------------------------------------------------------------------
    def login(self, username: str, password: str, source: str = "LOCAL") -> str:
        """Log in and keep the token for the calls that follow."""
        path = wire.PATHS["login"]
        answer = self.call(path, {"username": username, "password": password, "source": source}, auth=False)
        self.token = _shaped(path, answer, lambda a: a["data"]["token"])
        return self.token

    def get_version(self) -> str:
        return self.call(wire.PATHS["get_version"], method="GET", auth=False)

    # reads -----------------------------------------------------------------------------------------------------------
    @staticmethod
    def _query(where, order_by, first, skip, after, before, last) -> dict:
        body = {"where": where, "orderBy": order_by, "first": first, "skip": skip, "after": after, "before": before,
                "last": last}
        return {k: v for k, v in body.items() if v is not None}

    def _list(self, kind: str, *query) -> list:
        return self.call(wire.READS[kind][0], self._query(*query))

    def _count(self, kind: str, *query) -> int:
        path = wire.READS[kind][1]
        return _shaped(path, self.call(path, self._query(*query)), lambda a: a["aggregate"]["count"])

    def get_task(self, task_id: str) -> Task | None:
        found = self.get_tasks({"id": task_id})
        return found[0] if found else None

    # VM operations (each answers one WithTask per matched VM) ---------------------------------------------------------
    def _vm_operation(self, name: str, where: dict, host_id: str | None = None) -> list[WithTask]:
        body = {"where": where}
        if host_id is not None:
            body["data"] = {"host_id": host_id}
        return self.call(wire.PATHS[name], body)

    def start_vm(self, where: dict, host_id: str | None = None) -> list[WithTask]:
        return self._vm_operation("start_vm", where, host_id)

    def shutdown_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("shutdown_vm", where)

    def poweroff_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("poweroff_vm", where)

    def restart_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("restart_vm", where)

    def force_restart_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("force_restart_vm", where)

    def suspend_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("suspend_vm", where)

    def resume_vm(self, where: dict) -> list[WithTask]:
        return self._vm_operation("resume_vm", where)

    def migrate_vm(self, where: dict, host_id: str | None = None) -> list[WithTask]:
        """Live-migrate running VMs, move stopped ones; no `host_id`: CloudTower places them."""
        return self._vm_operation("migrate_vm", where, host_id)

    def create_vm(self, *params: dict) -> list[WithTask]:
        """Create VMs from `VmCreationParams` dicts (name, cluster_id, memory, cpu_cores, cpu_sockets, ...)."""
        return self.call(wire.PATHS["create_vm"], list(params))

    def delete_vm(self, where: dict, include_snapshots: bool | None = None) -> list[WithTask]:
        body = {"where": where}
        if include_snapshots is not None:
            body["effect"] = {"include_snapshots": include_snapshots}
        return self.call(wire.PATHS["delete_vm"], body)

    # maintenance mode, step by step ----------------------------------------------------------------------------------
    def enter_maintenance_mode_precheck(self, host_where: dict) -> str:
        """Start the precheck of the host `host_where` names (a HostWhereInput); answers its task id."""
        return self.call(wire.PATHS["enter_precheck"], {"where": host_where})["task_id"]

    def enter_maintenance_mode_precheck_result(self, task_id: str) -> EnterMaintenanceModeResult:
        path = wire.PATHS["enter_precheck_result"]
        answer = self.call(path, {"where": {"task_id": task_id}})
        return _shaped(path, answer, lambda a: EnterMaintenanceModeResult(
            a["done"], [v["vm_uuid"] for v in a[wire.ENTER_RESULT_SHUTDOWN]]))

    def start_enter_maintenance_mode(self, host_id: str, shutdown_vms: list[str] = ()) -> WithTask:
        """Ask the host to enter maintenance, shutting down `shutdown_vms` (vm_uuids); answers WithTask<Host>."""
        return self.call(wire.PATHS["enter"], {"where": {"host_id": host_id},
                                               "data": {"shutdown_vms": list(shutdown_vms)}})

    def exit_maintenance_mode_precheck_result(self, host_where: dict) -> ExitMaintenanceModeResult:
        path = wire.PATHS["exit_precheck_result"]
        answer = self.call(path, {"where": host_where})
        return _shaped(path, answer, lambda a: ExitMaintenanceModeResult(
            **{ours: [MaintenanceModeVmInfo.from_wire(i) for i in a[theirs]]
               for ours, theirs in wire.EXIT_RESULT.items()}))

    def start_exit_maintenance_mode(self, host_id: str, poweron_vms: list[str] = (),
                                    live_migrate_back_vms: list[str] = (),
                                    offline_migrate_back_vms: list[str] = ()) -> WithTask:
        data = {"poweron_vms": list(poweron_vms), "live_migrate_back_vms": list(live_migrate_back_vms),
                "offline_migrate_back_vms": list(offline_migrate_back_vms)}
        return self.call(wire.PATHS["exit"], {"where": {"host_id": host_id}, "data": data})

    # task waiting ----------------------------------------------------------------------------------------------------
    def wait_task(self, task_id: str, timeout: float | None = None, poll_interval: float | None = None) -> Task:
        """Poll until the task ends; answer it when SUCCESSED, raise TaskFailed when FAILED, TaskTimeout after
        `timeout` seconds. `poll_interval` fixes the interval; without it the client's Backoff applies."""
        return self.wait_tasks([task_id], timeout, poll_interval)[task_id]

    def wait_tasks(self, task_ids: Iterable[str], timeout: float | None = None, poll_interval: float | None = None,
                   exit_on_error: bool = False) -> dict[str, Task]:
        """Wait for every task (the caller's list is left alone); answer {id: task}. When any failed, raise
        TaskFailed for the first, carrying the others in `failures` (at once with `exit_on_error`)."""
        poll = Poll(self, self._timeout(timeout, 300.0), poll_interval)
        pending = list(dict.fromkeys(task_ids))
        done: dict[str, Task] = {}
        failed: list[Task] = []
        last: dict[str, Task] = {}
        while pending:
            for task in self.get_tasks({"id_in": pending}):
                if task.get("status") not in wire.TASK_STATUSES:  # waiting on would never end
                    raise ServerError(f"task {task['id']} has status {task.get('status')!r}, which CloudTower does "
                                      f"not have ({', '.join(wire.TASK_STATUSES)})", path=wire.READS["tasks"][0],
                                      operation=wire.READS["tasks"][0], body=task)
                last[task["id"]] = task
                if task["status"] in (wire.TASK_DONE, wire.TASK_FAILED):
                    poll.ended(task["id"])
                    done[task["id"]] = task
                    pending.remove(task["id"])
                    if task["status"] == wire.TASK_FAILED:
                        failed.append(task)
                        if exit_on_error:
                            raise TaskFailed(task)
            # any task's status or progress moving restarts the stall bound
            poll.saw({i: (t["status"], t.get("progress")) for i, t in last.items()})
            if pending:
                poll.wait(pending[0], lambda: last.get(pending[0]))
        if failed:
            raise TaskFailed(failed[0], failed[1:])
        return done

    def stall_bound(self) -> float | None:
        """The stall bound of a wait starting now (None: none): `task_stall`. The contract suite adapts it to how long
        the target's tasks were seen to take."""
        return self.task_stall

    def finished(self, task_id: str, seconds: float) -> None:
        """Called with each task a wait saw end (done or failed) and how long that wait had run by then; does
        nothing. A subclass may note it, as the contract suite does to learn the target's pace."""

    def timed_out(self, error: TaskTimeout) -> TaskTimeout:
        """Called with every TaskTimeout (TaskStalled included) a wait is about to raise; answers what to raise. A
        subclass may note it, as the contract suite does to stop waiting on a tower whose tasks do not finish."""
        return error

    def _timeout(self, given: float | None, default: float) -> float:
        return given if given is not None else self.task_timeout if self.task_timeout is not None else default

    # maintenance mode, the whole workflow in one call ---------------------------------------------------------------
    def enter_maintenance_mode(self, host_id: str, shutdown_vms="from-precheck", timeout: float | None = None,
                               poll_interval: float | None = None) -> MaintenanceReport:
        """Precheck, wait for its result, enter (shutting down what the precheck says, or the vm_uuids given), wait
        for the task; answer what moved where. Raises TaskFailed if the enter task fails."""
        return workflow.enter(self, host_id, shutdown_vms, self._timeout(timeout, 1800.0), poll_interval)

    def exit_maintenance_mode(self, host_id: str, restore="all", timeout: float | None = None,
                              poll_interval: float | None = None) -> MaintenanceReport:
        """Read the exit precheck, exit bringing back `restore` ("all"; "unchanged": only VMs whose verify.changed
        is false; or a dict of poweron_vms / live_migrate_back_vms / offline_migrate_back_vms), wait; answer what
        came back and what did not."""
        return workflow.exit(self, host_id, restore, self._timeout(timeout, 1800.0), poll_interval)


def _reader(kind: str, count: bool):
    def read(self, where=None, order_by=None, first=None, skip=None, after=None, before=None, last=None):
        return (self._count if count else self._list)(kind, where, order_by, first, skip, after, before, last)
    path = wire.READS[kind][count]
    read.__name__ = f"{'count' if count else 'get'}_{kind}"
    read.__doc__ = (f"POST {path}: the {'number of ' if count else ''}{kind} that match `where` (upstream's query "
                    "language), ordered by `order_by` (e.g. 'name_ASC') and paged by first/skip/after/before/last.")
    return read


# get_<x> and count_<x> for every entity the simulator reads, named after upstream's paths (/get-vm-snapshots:
# get_vm_snapshots, count_vm_snapshots)
for _kind in wire.READS:
    setattr(CloudTowerClient, f"get_{_kind}", _reader(_kind, False))
    setattr(CloudTowerClient, f"count_{_kind}", _reader(_kind, True))
