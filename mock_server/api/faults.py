"""Fault injection and the request journal (`/_sim/faults`, `/_sim/requests`): what a CI user's tests need to ask
"does my code handle a 503, a slow answer, a dropped connection, a failing task?" and "what did my code send?".

A fault names an operation path (`/get-vms`; for GraphQL, `/api/<root field>` such as `/api/updateVm`), how many
matching requests it takes (`times`, default 1), optionally a `where` that the request body's `where` must hold (each
key given, equal), and one effect: `status` (an ErrorBody of
that status, with `message` and `code`), `delay_ms` (the request waits, then is answered as usual), `drop` (the
connection is closed without an answer), or `task` (`error_code`, `error_message`, optionally `step`: the next task
the request starts fails at that step, the earlier steps applied, as a real failure there would leave the world; a
request none of whose tasks has that step gives the fault back), or
`unmovable` (`vm`, `reason`: from then on, in this world, the VM cannot live-migrate: a maintenance precheck lists it
to shut down, and an enter that would migrate it fails). Each fault applied is journalled with its request. A fault
that could never fire is refused when it is set (api/__init__.py `steps_of`, `_check_step`): a test that set it
would otherwise pass without the failure it meant to cause."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from ..domain.clock import iso
from ..domain.simulator import JOURNAL_SIZE
from ..schema.types import InvalidInput

EFFECTS = ("status", "delay_ms", "drop", "task", "unmovable")
MAX_FAULTS = 1000
MAX_DELAY_MS = 600_000
SECRETS = ("password", "token", "secret")  # body keys whose values the journal masks
DROP_HEADER = "X-Cloudtower-Sim-Drop"  # the answer's marker: the server (server.py) or transport drops it


@dataclass
class Fault:
    id: str
    path: str
    times: int
    where: dict | None
    effect: dict
    applied: int = 0

    def describe(self) -> dict:
        return {"id": self.id, "path": self.path, "where": self.where, "left": self.times - self.applied,
                "applied": self.applied, **self.effect}

    def matches(self, path: str, body) -> bool:
        if path != self.path or self.applied >= self.times:
            return False
        if self.where is None:
            return True
        given = body.get("where") if isinstance(body, dict) else None
        return isinstance(given, dict) and all(given.get(k) == v for k, v in self.where.items())


StepsOf = Callable[[str], "tuple[str, ...] | None"]  # a path's task steps (registry.Entry.steps); InvalidInput if none


def _check(spec, steps_of: StepsOf) -> tuple[str, int, dict | None, dict]:
    if not isinstance(spec, dict):
        raise InvalidInput("body", "expected a JSON object: path, times, where and one effect")
    unknown = sorted(set(spec) - {"path", "times", "where", "message", "code", *EFFECTS})
    if unknown:
        raise InvalidInput(unknown[0], f"unknown field: a fault takes path, times, where and one of {EFFECTS}")
    path = spec.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidInput("path", "expected an operation path under /v2/api, such as \"/get-vms\"", repr(path))
    times = spec.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 1_000_000:
        raise InvalidInput("times", "expected a whole number from 1 to 1000000", repr(times))
    where = spec.get("where")
    if where is not None and not isinstance(where, dict):
        raise InvalidInput("where", "expected an object that the request body's where must hold", repr(where))
    given = [k for k in EFFECTS if k in spec]
    if len(given) != 1:
        raise InvalidInput("body", f"expected exactly one effect of {', '.join(EFFECTS)}, got {given or 'none'}")
    kind = given[0]
    value = spec[kind]
    if kind == "status":
        if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
            raise InvalidInput("status", "expected an HTTP error status from 400 to 599", repr(value))
        effect = {"status": value, "message": str(spec.get("message") or f"injected fault: status {value}"),
                  **({"code": str(spec["code"])} if spec.get("code") is not None else {})}
    elif kind == "delay_ms":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_DELAY_MS:
            raise InvalidInput("delay_ms", f"expected milliseconds from 0 to {MAX_DELAY_MS}", repr(value))
        effect = {"delay_ms": value}
    elif kind == "drop":
        if value is not True:
            raise InvalidInput("drop", "expected true", repr(value))
        effect = {"drop": True}
    elif kind == "unmovable":
        if not isinstance(value, dict) or not isinstance(value.get("vm"), str) or not set(value) <= {"vm", "reason"} \
                or not isinstance(value.get("reason", ""), str):
            raise InvalidInput("unmovable", "expected an object with vm (a VM's id, local_id or name) and optionally "
                                            "reason", repr(value)[:200])
        effect = {"unmovable": {"vm": value["vm"], "reason": value.get("reason") or "injected fault: not migratable"}}
    else:
        if not isinstance(value, dict) or not set(value) <= {"error_code", "error_message", "step"} or not all(
                isinstance(value.get(k, ""), str) for k in ("error_code", "error_message")):
            raise InvalidInput("task", "expected an object with error_code and error_message (strings) and "
                                       "optionally step (a step's number from 0, or its key)", repr(value)[:200])
        effect = {"task": {"error_code": value.get("error_code") or "INJECTED_FAULT",
                           "error_message": value.get("error_message") or "injected fault",
                           "step": value.get("step", 0)}}
    if any(k in spec for k in ("message", "code")) and kind != "status":
        raise InvalidInput("message", "message and code go with a status effect")
    steps = steps_of(path)
    if kind == "task":
        _check_step(path, steps, effect["task"]["step"])
    return path, times, where, effect


def _check_step(path: str, steps: tuple[str, ...] | None, step) -> None:
    """Refuses a task fault that no task of `path` could meet: the operation starts no task, no step of its tasks
    has that key, or a number past the last step of tasks whose steps are always the same."""
    if steps is None:
        raise InvalidInput("task", f"{path} starts no task, so a task fault there never fires: give it a status, "
                                   "delay_ms or drop, or put it on an operation that starts tasks, such as /start-vm")
    listed = ", ".join(f"{i} {key}" for i, key in enumerate(steps))
    if isinstance(step, str):
        if not any(key == step or "<" in key and step.startswith(key[:key.index("<")]) and len(step) > key.index("<")
                   for key in steps):
            raise InvalidInput("task.step", f"no step of a {path} task has this key: its steps are {listed} (<vm> "
                                            "stands for a name in the world, e.g. shutdown:web-01)", repr(step))
    elif isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise InvalidInput("task.step", "expected a step's number from 0, or its key", repr(step)[:100])
    elif step >= len(steps) and not any("<" in key for key in steps):
        raise InvalidInput("task.step", f"past the last step of a {path} task: its steps are {listed}", repr(step))


class Faults:
    def __init__(self, steps_of: StepsOf):
        self.steps_of = steps_of
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, spec) -> Fault:
        path, times, where, effect = _check(spec, self.steps_of)
        with self._lock:
            if len(self._faults) >= MAX_FAULTS:
                raise InvalidInput("body", f"{MAX_FAULTS} faults are set; remove some first")
            fault = Fault(f"fault-{next(self._ids)}", path, times, where, effect)
            self._faults[fault.id] = fault
            return fault

    def listed(self) -> list[dict]:
        with self._lock:
            return [f.describe() for f in self._faults.values()]

    def remove(self, fault_id: str | None = None) -> bool:
        with self._lock:
            if fault_id is None:
                self._faults.clear()
                return True
            return self._faults.pop(fault_id, None) is not None

    def any(self) -> bool:
        """Whether a fault is set (known without the lock: a fault set meanwhile is for later requests)."""
        return bool(self._faults)

    def give_back(self, fault: Fault) -> None:
        """`fault`'s count taken back: the request it took did not meet what it names (a task fault's step)."""
        with self._lock:
            fault.applied -= 1
            self._faults.setdefault(fault.id, fault)

    def take(self, path: str, body) -> Fault | None:
        """The first fault matching this request, its count taken (it expires when spent)."""
        if not self.any():  # the usual case
            return None
        with self._lock:
            for fault in self._faults.values():
                if fault.matches(path, body):
                    fault.applied += 1
                    if fault.applied >= fault.times:
                        del self._faults[fault.id]
                    return fault
        return None


def masked(value):
    """`value` with the values of secret-named keys replaced, at any depth."""
    if isinstance(value, dict):
        return {k: "***" if any(s in str(k).lower() for s in SECRETS) else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


@dataclass
class Journal:
    """Every request, as recorded; an entry's body is masked and its time written out when the journal is read, not
    on each request (the body as parsed is never changed after)."""
    size: int = JOURNAL_SIZE
    _entries: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self._entries = deque(self._entries, maxlen=self.size)

    def record(self, entry: dict) -> None:
        """`entry` with `body` as sent and `time` in simulated seconds."""
        with self._lock:  # (copying a deque while another thread appends to it raises)
            self._entries.append(entry)  # past maxlen, the oldest goes

    def entries(self, path=None, method=None, status=None) -> list[dict]:
        with self._lock:
            kept = list(self._entries)
        return [{**e, "body": masked(e["body"]), "time": iso(e["time"])} for e in kept
                if (path is None or e["path"] == path) and (method is None or e["method"] == method.upper())
                and (status is None or e["status"] == status)]

    def newest(self, path: str, status: int | None, page: int, per_page: int) -> tuple[int, list[dict]]:
        """How many entries have `path` in their path and the `status` (None: any), and page `page` of them (from 0),
        newest first, without their bodies (the live page's read, each second: entries() masks and dates every entry,
        0.5 s for a full journal of 10,000)."""
        with self._lock:
            kept = list(self._entries)
        found = [e for e in reversed(kept) if path in e["path"] and (status is None or e["status"] == status)]
        shown = found[page * per_page:(page + 1) * per_page]
        return len(found), [{**{k: v for k, v in e.items() if k != "body"}, "time": iso(e["time"])} for e in shown]

    def body(self, request_id: str):
        """The body the request sent, masked; KeyError when the journal no longer has it."""
        with self._lock:
            found = [e["body"] for e in self._entries if e["request_id"] == request_id]
        if not found:
            raise KeyError(request_id)
        return masked(found[0])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def task_ids(answer) -> list[str]:
    """The task ids an operation's answer carries (WithTask objects, alone or in a list)."""
    items = answer if isinstance(answer, list) else [answer]
    return [i["task_id"] for i in items if isinstance(i, dict) and isinstance(i.get("task_id"), str)]
