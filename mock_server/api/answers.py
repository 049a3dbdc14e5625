"""Answers of reads, kept while the world stays as it was: the same body sent again to an unchanged world is answered
with the same bytes, without parsing, validating, querying or rendering again. A polling client (get-tasks until
done, get-vms while waiting) sends the same read over and over; so does a CI job's fleet of checks.

An answer is kept under the request's path, body bytes and Content-Language, with the world's generation when it was
made (World.generation moves on whenever the world is held to write, and is unique across worlds); it is used only
while the generation is the same. Only 200 answers of reads are kept, never one a fault shaped, none larger than
MAX_BYTES and none asked by a body larger than MAX_BODY_BYTES, so that a few huge listings or huge bodies (up to 512
of them) cannot hold the memory."""

from __future__ import annotations

import threading
from dataclasses import dataclass

MAX_ANSWERS = 512  # kept answers; past it, the oldest half goes
MAX_BYTES = 1024 * 1024  # an answer larger than this is not kept (get-vms of 600 VMs is about 1 MB)
MAX_BODY_BYTES = 64 * 1024  # nor one asked by a larger body: the body is its key (a read's may be 4 MiB)


@dataclass(frozen=True)
class Answer:
    generation: int
    sent: object  # the body as parsed, for the journal
    data: bytes


class Answers:
    def __init__(self, size: int = MAX_ANSWERS):
        self.size = size
        self._kept: dict[tuple, Answer] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, generation: int) -> Answer | None:
        answer = self._kept.get(key)
        return answer if answer is not None and answer.generation == generation else None

    def keep(self, key: tuple, generation: int, sent, data: bytes) -> None:
        """`key` is (path, body bytes, Content-Language)."""
        if len(data) > MAX_BYTES or len(key[1]) > MAX_BODY_BYTES:
            return
        with self._lock:
            if len(self._kept) >= self.size:
                for old in list(self._kept)[: self.size // 2]:  # dicts keep insertion order: the oldest first
                    del self._kept[old]
            self._kept[key] = Answer(generation, sent, data)
