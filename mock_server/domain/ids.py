"""Seeded ids: the same scenario and seed give the same ids on every start, whatever the wall clock says."""

import random

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# the timestamp part of a cuid counts simulated milliseconds from this instant, not from the wall clock, so that ids
# stay the same from run to run while still ordering by creation
EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # two digits at a time: a large world makes 100,000s of ids
_BITS = [_PAIRS[i % 1296] for i in range(2048)]  # two digits from 11 random bits (nearly even)


def base36(n: int, width: int) -> str:
    """The last `width` base-36 digits of `n`."""
    digits = []
    for _ in range(width // 2):
        n, d = divmod(n, 1296)
        digits.append(_PAIRS[d])
    if width % 2:
        digits.append(ALPHABET[n % 36])
    return "".join(reversed(digits))


class Ids:
    def __init__(self, seed: int, elapsed_ms=lambda: 0):
        self._rng = random.Random(seed)
        self._elapsed_ms = elapsed_ms
        self._fingerprint = base36(random.Random(f"fingerprint {seed}").randrange(36**4), 4)
        self._last_ms = 0
        self._time_part = ""
        self._counter = 0

    def cuid(self) -> str:
        """A CloudTower id, shaped as a cuid is (`c`, then time, counter, fingerprint and randomness, 25 characters
        in all, such as `ck74rk21wg5lz0786opdnzz5m`): ids order by creation, so `orderBy: id_DESC, first: 1` is the
        newest object, as scripts against a real tower expect."""
        ms = max(self._last_ms, EPOCH_MS + int(self._elapsed_ms()))
        if ms != self._last_ms or not self._time_part:  # the clock stands still while a world is built
            self._last_ms, self._time_part = ms, "c" + base36(ms, 8)
        self._counter += 1
        c, r = self._counter, self._rng.getrandbits(44)
        # four random pairs of digits, 11 bits each (a large world makes 100,000s of ids: no divisions)
        random_part = _BITS[r & 2047] + _BITS[(r >> 11) & 2047] + _BITS[(r >> 22) & 2047] + _BITS[r >> 33]
        return self._time_part + _PAIRS[c // 1296 % 1296] + _PAIRS[c % 1296] + self._fingerprint + random_part

    def uuid(self) -> str:
        """An ELF local id (UUID 4), as in `Vm.local_id` and the maintenance operations' `vm_uuid`."""
        return uuid4_text(self._rng)


def uuid4_text(rng: random.Random) -> str:
    """A UUID 4 from `rng`, as str(uuid.UUID(int=..., version=4)) writes it (without building the UUID object)."""
    h = "%032x" % (rng.getrandbits(128) & ~(0xc000 << 48) & ~(0xf000 << 64) | (0x8000 << 48) | (4 << 76))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
