"""A readers-writer lock: many readers at once, or one writer. A waiting writer holds back new readers, so a stream
of reads never starves a mutation. The writer side is re-entrant, and its holder may also read."""

from __future__ import annotations

import threading


class ReadWriteLock:
    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # the thread that holds the write side
        self._depth = 0
        self._writers_waiting = 0

    def __enter__(self):
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
                return self
            self._writers_waiting += 1
            try:
                while self._writer is not None or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer, self._depth = me, 1
        return self

    def __exit__(self, *exc):
        with self._cond:
            self._depth -= 1
            if not self._depth:
                self._writer = None
                self._cond.notify_all()

    @property
    def held_to_read(self) -> bool:
        """Whether some thread holds the read side: no one writes meanwhile."""
        return self._readers > 0

    def read(self) -> "_Reading":
        """Hold the read side (a reader must not take it again while holding it: a writer may be waiting)."""
        return _Reading(self)


class _Reading:
    """The read side held, as a context manager (a class: every read request takes it, and a generator-based one
    costs more)."""
    __slots__ = ("lock", "mine")

    def __init__(self, lock: ReadWriteLock):
        self.lock = lock

    def __enter__(self):
        lock = self.lock
        with lock._cond:
            self.mine = lock._writer == threading.get_ident()
            if not self.mine:
                while lock._writer is not None or lock._writers_waiting:
                    lock._cond.wait()
                lock._readers += 1
        return self

    def __exit__(self, *exc):
        if not self.mine:
            lock = self.lock
            with lock._cond:
                lock._readers -= 1
                if not lock._readers:
                    lock._cond.notify_all()
