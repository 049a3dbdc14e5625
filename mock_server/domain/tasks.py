"""Tasks in simulated time. A task is a list of steps; each step's effect lands in the world at the simulated instant
the step completes. Events wait in a heap keyed by simulated time; `run_due` applies those the clock has reached."""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass
from typing import Callable

from .clock import Clock, iso
from .errors import ResourceLocked, TaskError
from .model import Task
from .states import TaskStatus

QUEUE_DELAY = 0.5  # seconds a new task waits PENDING before a worker takes it

log = logging.getLogger("cloudtower_sim")


@dataclass
class Step:
    key: str
    duration: float
    apply: Callable[[], None] | None = None  # raises TaskError to fail the task (anything else: INTERNAL_ERROR)


def internal_error(e: Exception, where: str) -> TaskError:
    return TaskError(f"internal error in {where}: {type(e).__name__}: {e}", "INTERNAL_ERROR")


class TaskRunner:
    def __init__(self, clock: Clock):
        self.clock = clock
        self._events: list = []
        self._seq = 0
        # object id -> [(task, exclusive)]: a task that changes an object holds it exclusively; one that only places
        # VMs on a host shares it with others doing the same
        self.locks: dict[str, list[tuple[Task, bool]]] = {}
        self._event_time: float | None = None
        self._working: dict[str, _Job] = {}  # task id -> its job, while a step of it is under way
        self._jobs: dict[str, _Job] = {}  # task id -> its job, until it ends

    # locks ---------------------------------------------------------------------------------------------------------
    def check_unlocked(self, *objs, shared: bool = False) -> None:
        """Refuse (ResourceLocked) if a task holds any of `objs`; with `shared`, only if one holds it exclusively."""
        for o in objs:
            for task, exclusive in self.locks.get(o.id, ()):
                if exclusive or not shared:
                    raise ResourceLocked(f"{type(o).__name__} {o.name} ({o.id}) is locked by task {task.id} "
                                         f"({task.description}); try again when it has finished")

    # lifecycle ---------------------------------------------------------------------------------------------------------
    def start(self, task: Task, steps: list[Step], locks=(), shared=(), on_success=None, on_failure=None) -> Task:
        """Queue `task` (PENDING now, EXECUTING after the queue delay); it holds `locks` exclusively and `shared`
        in common with other sharing tasks until it ends."""
        self.check_unlocked(*locks)
        self.check_unlocked(*shared, shared=True)
        for o, exclusive in [(o, True) for o in locks] + [(o, False) for o in shared]:
            self.locks.setdefault(o.id, []).append((task, exclusive))
        task.steps = [{"key": s.key, "current": 0.0, "total": 1.0, "finished": False, "unit": "PERCENT",
                       "per_second": None} for s in steps]
        job = _Job(task, steps, [o.id for o in (*locks, *shared)], on_success, on_failure)
        self._jobs[task.id] = job
        self._schedule(self.now() + QUEUE_DELAY, lambda: self._begin(job))
        return task

    def after(self, seconds: float, fn) -> None:
        """Run `fn` once `seconds` of simulated time have passed: what happens in the world without a task (a guest
        booting, guest.py)."""
        self._schedule(self.now() + seconds, fn)

    def _schedule(self, t: float, fn) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, fn))

    def _begin(self, job: "_Job") -> None:
        if job.task.id not in self._jobs:  # ended meanwhile (fail_all)
            return
        job.task.status = TaskStatus.EXECUTING
        job.task.started_at = iso(self.now())
        self._next(job)

    def _next(self, job: "_Job") -> None:
        if job.index == len(job.steps):
            self._end(job, None)
            return
        step = job.steps[job.index]
        job.step_started = self.now()
        self._working[job.task.id] = job
        self._schedule(self.now() + step.duration, lambda: self._complete(job))

    def _complete(self, job: "_Job") -> None:
        if job.task.id not in self._jobs:  # ended meanwhile (fail_all)
            return
        task, step = job.task, job.steps[job.index]
        try:
            if step.apply:
                step.apply()
        except TaskError as e:
            self._end(job, e)
            return
        except Exception as e:  # a simulator bug: fail this task, not the request whose clock check ran the step
            log.exception("task %s (%s): step %s raised", task.id, task.description, step.key)
            self._end(job, internal_error(e, f"step {step.key}"))
            return
        task.steps[job.index].update(current=1.0, finished=True)
        job.index += 1
        task.progress = max(task.progress, round(job.index / len(job.steps), 4))
        self._next(job)

    def _end(self, job: "_Job", error: TaskError | None) -> None:
        task = job.task
        self._working.pop(task.id, None)
        self._jobs.pop(task.id, None)
        for oid in job.locked:
            held = [h for h in self.locks.get(oid, ()) if h[0] is not task]
            if held:
                self.locks[oid] = held
            else:
                self.locks.pop(oid, None)
        task.finished_at = iso(self.now())
        if error is None:
            task.status, task.progress = TaskStatus.SUCCESSED, 1.0
            try:
                if job.on_success:
                    job.on_success()
                return
            except Exception as e:  # the work did not finish as planned: the task fails, and cleans up as failed
                log.exception("task %s (%s): on_success raised", task.id, task.description)
                error = internal_error(e, "on_success")
        task.status, task.error_code, task.error_message = TaskStatus.FAILED, error.code, error.message
        if job.on_failure:
            try:
                job.on_failure(error)
            except Exception:  # the task stays FAILED with its own error; the cleanup's failure is only logged
                log.exception("task %s (%s): on_failure raised", task.id, task.description)

    @property
    def working(self) -> bool:
        """A task has not ended yet."""
        return bool(self._jobs)

    def fail_all(self, error: TaskError) -> int:
        """End every task not yet ended with `error`, each through its own failure path (a stop); how many."""
        jobs = list(self._jobs.values())
        for job in jobs:
            if job.task.started_at is None:
                job.task.started_at = iso(self.now())
            self._end(job, error)
        return len(jobs)

    # time ------------------------------------------------------------------------------------------------------------
    def run_due(self) -> None:
        """Apply every event the clock has reached; in instant mode, move the clock through all pending work."""
        instant = self.clock.mode == "instant"
        while self._events:
            t = self._events[0][0]
            if instant:
                self.clock.advance_to(t)
            elif t > self.clock.now():
                break
            _, _, fn = heapq.heappop(self._events)
            # effects land at their own instant, not at the (later) moment a request happened to look
            self._event_time = t
            try:
                fn()
            except Exception:  # steps and callbacks are guarded above; this keeps any other bug out of the request
                log.exception("task event raised")
            finally:
                self._event_time = None
        self._report_progress()

    def _report_progress(self) -> None:
        """Show how far each step under way has come, as a real tower's task does between reads (realtime and
        manual modes; in instant mode every step has finished by now). Progress never goes back."""
        now = self.clock.now()
        for job in self._working.values():
            step, task = job.steps[job.index], job.task
            done = min(1.0, (now - job.step_started) / step.duration) if step.duration > 0 else 0.0
            current = round(min(done, 0.9999), 4)  # a step is at 1 only once its effect has landed
            task.steps[job.index]["current"] = max(task.steps[job.index]["current"], current)
            task.progress = max(task.progress, round((job.index + current) / len(job.steps), 4))

    def due(self) -> bool:
        """Whether run_due would change anything now: an event the clock has reached (in instant mode, any), or a
        step under way whose progress moves with realtime."""
        if self._events and (self.clock.mode == "instant" or self._events[0][0] <= self.clock.now()):
            return True
        return bool(self._working) and self.clock.mode == "realtime"

    def now(self) -> float:
        return self._event_time if self._event_time is not None else self.clock.now()

    @property
    def busy(self) -> bool:
        return bool(self._events)


@dataclass
class _Job:
    task: Task
    steps: list
    locked: list
    on_success: Callable | None
    on_failure: Callable | None
    index: int = 0
    step_started: float = 0.0
