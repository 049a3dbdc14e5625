"""One wait on CloudTower, as every wait of the client (and of the contract suite) runs it: a poll, then either the
next poll after the client's interval, or a TaskStalled when what is watched has not changed for the client's stall
bound (`stall_bound()`, read as the wait starts), or a TaskTimeout past the wait's timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .errors import TaskStalled, TaskTimeout

if TYPE_CHECKING:
    from .core import CloudTowerClient

_UNSEEN = object()


class Poll:
    def __init__(self, client: "CloudTowerClient", timeout: float, poll_interval: float | None = None):
        """`poll_interval` fixes the interval; without it the client's Backoff applies."""
        self.client, self.timeout = client, timeout
        self._clock, self._sleep = client._monotonic, client._sleep
        self.start = self.changed = self._sampled = self._clock()
        self._intervals = iter(client.backoff.intervals()) if poll_interval is None else None
        self._interval = poll_interval
        self._seen = _UNSEEN
        self.stall = client.stall_bound()

    def elapsed(self) -> float:
        return self._clock() - self.start

    def over(self) -> bool:
        return self.elapsed() >= self.timeout

    def due(self) -> bool:
        """Whether the watched state is worth reading now, when reading it costs a request of its own: a stall bound
        applies, and it was never read, or not for that long."""
        return self.stall is not None and (self._seen is _UNSEEN or self._clock() - self._sampled >= self.stall)

    def saw(self, state) -> None:
        """What a poll found of the watched state (comparable with ==): a change restarts the stall bound."""
        self._sampled = self._clock()
        if state != self._seen:
            self._seen, self.changed = state, self._sampled

    def ended(self, task_id: str) -> None:
        """A poll found the task ended: tell the client how long this wait took to see it."""
        self.client.finished(task_id, self.elapsed())

    def wait(self, task_id: str, last: Callable[[], dict | None]) -> None:
        """Before the next poll: raise TaskStalled (nothing changed for the stall bound's seconds) or
        TaskTimeout (past the timeout), through the client's `timed_out`, with `last()`, the task as last seen; else
        sleep the next interval, never past the timeout."""
        now = self._clock()
        if self.stall is not None and now - self.changed >= self.stall:
            raise self.client.timed_out(TaskStalled(task_id, now - self.changed, last()))
        waited = now - self.start
        if waited >= self.timeout:
            raise self.client.timed_out(TaskTimeout(task_id, waited, last()))
        self.sleep(min(self._next(), self.timeout - waited))

    def sleep(self, seconds: float | None = None) -> None:
        """Sleep `seconds`, else the next interval."""
        self._sleep(max(0.0, self._next() if seconds is None else seconds))

    def _next(self) -> float:
        return self._interval if self._intervals is None else next(self._intervals)
