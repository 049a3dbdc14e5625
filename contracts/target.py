"""What the contracts run against: the simulator in-process, or any CloudTower at a URL. Every exchange goes through
one `requests.Session` whose hook records it, so any contract can check the traffic it caused and a report can show
the request and response of a failure."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests

from cloudtower_sim.client import Backoff, CloudTowerClient
from cloudtower_sim.client.transport import wsgi_session

IN_PROCESS_URL = "http://cloudtower-sim.in-process/v2/api"
# realtime at this speed: a maintenance round trip takes a fraction of a second, yet polls see the host ENTERING
IN_PROCESS_SPEED = 200.0
BODY_LIMIT = 4000  # characters of a body kept in a report
NOT_RUN = "not run:"  # how a skip that is a verdict on the run, not on the contract, begins
# The stall bound without --task-stall (adaptive_stall): a task is stalled once its status and progress have not
# changed for max(STALL_FLOOR, STALL_FACTOR x the slowest task this run has seen end), at most STALL_FIRST, and for
# STALL_FIRST until one has ended. A mutating run's first task is the maintenance precheck (the workflows run first),
# whose result is read on its own, not from get-tasks: the target's pace is known before the enter task starts.
STALL_FIRST = 300.0  # seconds: the fixed bound this replaces, for a tower of unknown pace; adapting only shortens it
STALL_FACTOR = 20.0  # a tower whose precheck took 3 s gives a task a minute without progress; one that took 15 s, 300 s
# seconds: binds only where every task seen ended within half a second, a simulator's pace. Its progress follows the
# wall clock (a busy machine's pause shows as a jump), so 10 s unchanged is conclusive; and a whole run needs 20 to 40
# s besides (the tasks that did move, the other contracts, the restore's STUCK_WAIT): a verdict within a minute
STALL_FLOOR = 10.0
STUCK_WAIT = 5.0  # seconds: each wait once the target's tasks were seen not to finish (only the restore waits then)


def adaptive_stall(slowest: float | None) -> float:
    """The stall bound after the slowest task seen end took `slowest` seconds (None: none has ended yet)."""
    return STALL_FIRST if slowest is None else min(STALL_FIRST, max(STALL_FLOOR, STALL_FACTOR * slowest))


def _text(body) -> str | None:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return body


def _short(body: str | None) -> str | None:
    if body is None or len(body) <= BODY_LIMIT:
        return body
    return body[:BODY_LIMIT] + f"... ({len(body)} characters)"


@dataclass
class Exchange:
    method: str
    path: str  # below the base path, e.g. /get-vms
    request_body: str | None
    status: int
    headers: dict
    response_body: str | None

    def json(self):
        try:
            return json.loads(self.response_body) if self.response_body is not None else None
        except ValueError:
            return None

    def as_dict(self) -> dict:
        return {"request": {"method": self.method, "path": self.path, "body": _short(self.request_body)},
                "response": {"status": self.status, "headers": self.headers, "body": _short(self.response_body)}}


@dataclass
class Target:
    name: str
    base_url: str
    session: requests.Session
    token: str | None
    control: bool = False  # the simulator's /_sim control API is at hand (reset, clock)
    mutations_allowed: bool = False
    maintenance_host: str | None = None  # id of the host maintenance contracts may use
    prefix: str = "contract-"
    credentials: tuple[str, str] | None = None
    readonly: tuple[str, str] | None = None  # a READ_ONLY user's credentials, when the run has one
    exchanges: list[Exchange] = field(default_factory=list)
    version: str | None = None
    poll_ceiling: float = 1.0  # seconds; the longest wait between two polls of a task
    tainted: str | None = None  # why the cluster could not be restored: no further contract may change it
    stuck: str | None = None  # a task that did not finish: no further contract waits on the target's tasks
    cut_short: str | None = None  # the wait of the running contract that the deadline ended
    task_timeout: float = 1800.0  # seconds one task may take
    task_stall: float | None = None  # seconds a task may stay at the same status and progress (None: adaptive_stall)
    slowest: float | None = None  # seconds: the longest a wait of this run took to see a task end
    deadline_at: float | None = None  # time.monotonic() past which no contract starts or goes on waiting
    deadline: float | None = None  # the --deadline it came from, in seconds, for messages
    request_timeout: float = 60.0  # seconds one HTTP exchange may take

    def __post_init__(self):
        self.session.hooks["response"].append(self._record)
        self._base_path = urlsplit(self.base_url).path.rstrip("/")

    def _record(self, response: requests.Response, *args, **kwargs):
        path = urlsplit(response.url or "").path
        if path.startswith(self._base_path):
            path = path[len(self._base_path):] or "/"
        request = response.request
        self.exchanges.append(Exchange(request.method if request else "?", path,
                                       _text(request.body if request else None), response.status_code,
                                       {k.lower(): v for k, v in response.headers.items()},
                                       _text(response.content)))
        return response

    def client(self, within_deadline: bool = True, **kw) -> CloudTowerClient:
        """A client on the target's session, polling fast (a simulator in realtime mode finishes in a second), whose
        waits end at the task timeout, a stalled task (`stall_bound`, as each wait starts), or (`within_deadline`)
        the run's deadline; and tell the target how long the tasks they saw end took."""
        kw.setdefault("backoff", Backoff(initial=0.01, factor=1.5, maximum=self.poll_ceiling))
        timeout = min(self.task_timeout, STUCK_WAIT) if self.stuck else self.task_timeout
        if within_deadline and self.deadline_at is not None:
            timeout = max(0.0, min(timeout, self.deadline_at - time.monotonic()))
        client = CloudTowerClient(self.base_url, token=self.token, session=self.session,
                                  timeout=self.request_timeout, task_timeout=timeout, **kw)
        client.stall_bound, client.finished, client.timed_out = self.stall_bound, self._finished, self._timed_out
        return client

    def stall_bound(self) -> float:
        """Seconds a task may keep its status and progress: --task-stall when given, else adaptive_stall; once the
        target's tasks were seen not to finish, at most STUCK_WAIT."""
        bound = adaptive_stall(self.slowest) if self.task_stall is None else self.task_stall
        return min(bound, STUCK_WAIT) if self.stuck else bound

    def _finished(self, task_id: str, seconds: float) -> None:
        self.slowest = max(seconds, self.slowest or 0.0)

    def _timed_out(self, error):
        """A task that did not finish: unless the run's deadline cut the wait short, the target is stuck, and no later
        contract waits on its tasks (noted here, where it happens: Hypothesis may wrap the error it becomes)."""
        if self.past_deadline():
            self.cut_short = str(error)  # the deadline ended the wait: the contract is not run, not broken
        else:
            self.stuck = self.stuck or str(error)
        return error

    def past_deadline(self) -> bool:
        return self.deadline_at is not None and time.monotonic() >= self.deadline_at

    def check_deadline(self) -> None:
        """Stop the contract, as not run, once the run's deadline has passed."""
        if self.past_deadline():
            pytest.skip(f"{NOT_RUN} the run's --deadline of {self.deadline:g} s passed")

    def headers(self) -> dict:
        return {"Authorization": self.token} if self.token else {}

    def reset(self) -> None:
        """Put the simulator back to its scenario (control API only), and log in again: tokens go with the world."""
        root = self.base_url[: -len("/v2/api")] if self.base_url.endswith("/v2/api") else self.base_url
        self.session.post(root + "/_sim/reset", json={}).raise_for_status()
        if self.credentials:
            self.token = self.client().login(*self.credentials)


def in_process(prefix: str) -> Target:
    from cloudtower_sim.mock_server.api import create_app
    from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

    sim = Simulator(Settings(task_mode="realtime", speed=IN_PROCESS_SPEED))
    users = sim.scenario.data.get("users") or [{"username": "root", "password": "HC!r0cks"}]
    readonly = next(((u["username"], u["password"]) for u in users if u.get("role") == "READ_ONLY"), None)
    target = Target("simulator (in-process)", IN_PROCESS_URL, wsgi_session(create_app(simulator=sim)), None,
                    control=True, mutations_allowed=True, prefix=prefix,
                    credentials=(users[0]["username"], users[0]["password"]), readonly=readonly, poll_ceiling=0.05)
    target.token = target.client().login(*target.credentials)
    return target


def remote(url: str, token: str | None, username: str | None, password: str | None, insecure: bool,
           allow_mutations: bool, prefix: str) -> Target:
    session = requests.Session()
    session.verify = not insecure
    if insecure:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    base = url.rstrip("/")
    if not base.endswith("/v2/api"):
        base += "/v2/api"
    credentials = (username, password or "") if username else None
    target = Target(base, base, session, token, mutations_allowed=allow_mutations, prefix=prefix,
                    credentials=credentials)
    if not token and credentials:
        target.token = target.client().login(*credentials)
    return target
