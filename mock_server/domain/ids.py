"""Seeded ids: the same scenario and seed give the same ids on every start, whatever the wall clock says."""

import random
import uuid

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# the timestamp part of a cuid counts simulated milliseconds from this instant, not from the wall clock, so that ids
# stay the same from run to run while still ordering by creation
EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def base36(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, d = divmod(n, 36)
        digits.append(ALPHABET[d])
    return "".join(reversed(digits))


class Ids:
    def __init__(self, seed: int, elapsed_ms=lambda: 0):
        self._rng = random.Random(seed)
        self._elapsed_ms = elapsed_ms
        self._fingerprint = base36(random.Random(f"fingerprint {seed}").randrange(36**4), 4)
        self._last_ms = 0
        self._counter = 0

    def cuid(self) -> str:
        """A CloudTower id, shaped as a cuid is (`c`, then time, counter, fingerprint and randomness, 25 characters
        in all, such as `ck74rk21wg5lz0786opdnzz5m`): ids order by creation, so `orderBy: id_DESC, first: 1` is the
        newest object, as scripts against a real tower expect."""
        self._last_ms = max(self._last_ms, EPOCH_MS + int(self._elapsed_ms()))
        self._counter += 1
        random_part = "".join(self._rng.choice(ALPHABET) for _ in range(8))
        return "c" + base36(self._last_ms, 8) + base36(self._counter, 4) + self._fingerprint + random_part

    def uuid(self) -> str:
        """An ELF local id (UUID 4), as in `Vm.local_id` and the maintenance operations' `vm_uuid`."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
