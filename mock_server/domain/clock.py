"""The simulator's one clock. Nothing sleeps: the world reads this clock and catches up to it.

- instant: time stands still until the world has work due; then it jumps to each event in turn, so every task is
  finished by the next request that looks (deterministic).
- manual: time moves only when told to (`advance`), deterministic too.
- realtime: simulated time follows the wall clock, times `speed`.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

MODES = ("instant", "realtime", "manual")
MAX_SPEED = 10_000.0  # a day in under 9 s: faster gains a test nothing, and the clock must stay within its dates
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc).timestamp()  # time stops here: ISO 8601 ends at year 9999


def check_speed(speed) -> float:
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) \
            or not 0 < speed <= MAX_SPEED:
        raise ValueError(f"clock speed must be a number above 0 and at most {MAX_SPEED:g}, not {speed!r}")
    return float(speed)


def parse_time(text: str) -> float:
    """An ISO 8601 instant with its offset (`Z` or `+08:00`); a time without one names no instant."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone: add Z (UTC) or an offset such as +08:00")
    return t.timestamp()


def iso(t: float) -> str:
    """CloudTower's timestamp format: ISO 8601 in UTC with milliseconds. The same instant gives the same string
    object: a scenario's objects are stamped with one instant, and 200,000 copies of it cost 15 MB at 100,000 VMs."""
    global _second, _last
    whole = int(t * 1000)
    last = _last  # (one read: another thread may replace it)
    if last[0] == whole:
        return last[1]
    seconds, ms = divmod(whole, 1000)
    second = _second
    if second[0] != seconds:  # a world of 100,000 VMs is stamped within a few seconds: each written out once
        second = _second = (seconds, datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S."))
    text = f"{second[1]}{ms:03d}Z"
    _last = (whole, text)
    return text


_second: tuple = (None, "")
_last: tuple = (None, "")


class Clock:
    def __init__(self, start: float, mode: str = "instant", speed: float = 1.0, wall=time.monotonic):
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {', '.join(MODES)}, not {mode!r}")
        self._wall = wall
        self.start = start
        self.mode, self.speed = mode, check_speed(speed)
        self._base, self._wall_base = start, wall()

    def now(self) -> float:
        if self.mode == "realtime":
            return min(LATEST, self._base + (self._wall() - self._wall_base) * self.speed)
        return self._base

    def advance(self, seconds: float) -> None:
        """Move time forward (manual mode, or instant mode catching up to due work)."""
        if not 0 <= seconds:  # NaN too
            raise ValueError("the clock cannot move backwards")
        if self._base + seconds > LATEST:
            raise ValueError(f"the clock stops at {iso(LATEST)}: it is {iso(self._base)}, and {seconds:g} s more "
                             "would pass it")
        if self.mode == "realtime":
            raise ValueError("the clock follows the wall clock in realtime mode; switch to manual mode to advance it")
        self._base += seconds

    def advance_to(self, t: float) -> None:
        if t > self._base:
            self._base = t

    def set_mode(self, mode: str, speed: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {', '.join(MODES)}, not {mode!r}")
        if speed is not None:
            speed = check_speed(speed)
        self._base, self._wall_base = self.now(), self._wall()
        self.mode = mode
        if speed is not None:
            self.speed = float(speed)

    def describe(self) -> dict:
        return {"mode": self.mode, "speed": self.speed, "now": iso(self.now())}
