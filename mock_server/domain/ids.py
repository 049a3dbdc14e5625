"""Seeded ids: the same scenario and seed give the same ids on every start."""

import random
import uuid

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class Ids:
    def __init__(self, seed: int):
        self._rng = random.Random(seed)

    def cuid(self) -> str:
        """A CloudTower id, shaped like `ck74rk21wg5lz0786opdnzz5m` (25 characters, starts with `c`)."""
        return "c" + "".join(self._rng.choice(ALPHABET) for _ in range(24))

    def uuid(self) -> str:
        """An ELF local id (UUID 4), as in `Vm.local_id` and the maintenance operations' `vm_uuid`."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
