"""Answers of reads, kept while the world stays as it was: the same body sent again to an unchanged world is answered
with the same bytes, without parsing, validating, querying or rendering again. A polling client (get-tasks until
done, get-vms while waiting) sends the same read over and over; so does a CI job's fleet of checks.

An answer is kept under the request's path, body bytes, Content-Type and Content-Language, with the world's
generation when it was made (World.generation moves on whenever the world is held to write, and is unique across
worlds); it is used only while the generation is the same, and all are dropped when an answer of a later generation
is kept. Only 200 answers of reads are kept, never one a fault shaped, none larger than MAX_BYTES and none asked by a
body larger than MAX_BODY_BYTES; at most MAX_ANSWERS of them and MAX_KEPT_BYTES in all, so that huge listings or
huge bodies cannot hold the memory.

Reads of one generation also share what they made on the way: a read's objects rendered as JSON (Rendered, below)
and the whole table in the order of an `orderBy` (domain/query.py Orderings), so that a read of the same objects by
another body (another filter or page, a new cursor) costs its filter and the join of texts already made.

A kept answer is given before Flask, by the entrance every request passes (front.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from ..domain.model import Entity
from ..schema.types import ListOf

MAX_ANSWERS = 512  # kept answers; past it, the oldest half goes
MAX_KEPT_BYTES = 16 * 1024 * 1024  # and at most this many bytes of them (the oldest half goes, then more if need be)
MAX_BYTES = 1024 * 1024  # an answer larger than this is not kept (get-vms of 600 VMs is about 1 MB)
MAX_BODY_BYTES = 64 * 1024  # nor one asked by a larger body: the body is its key (a read's may be 4 MiB)
MAX_RENDERED_BYTES = 8 * 1024 * 1024  # objects rendered and kept, per generation (about 5,000 VMs)


@dataclass(frozen=True)
class Answer:
    generation: int
    sent: object  # the body as parsed, for the journal
    data: bytes


class Answers:
    def __init__(self, size: int = MAX_ANSWERS, budget: int = MAX_KEPT_BYTES):
        self.size, self.budget = size, budget
        self._kept: dict[tuple, Answer] = {}
        self._bytes = 0
        self._generation = None
        self._lock = threading.Lock()

    def get(self, key: tuple, generation: int) -> Answer | None:
        answer = self._kept.get(key)
        return answer if answer is not None and answer.generation == generation else None

    def keep(self, key: tuple, generation: int, sent, data: bytes) -> None:
        """`key` is kept_key's (path, body bytes, Content-Type, Content-Language)."""
        if len(data) > MAX_BYTES or len(key[1]) > MAX_BODY_BYTES:
            return
        with self._lock:
            kept = self._kept
            if generation != self._generation:  # an earlier generation's answers are no world's answers now
                kept.clear()
                self._bytes, self._generation = 0, generation
            prior = kept.pop(key, None)
            self._bytes -= len(prior.data) if prior is not None else 0
            if len(kept) >= self.size or self._bytes + len(data) > self.budget:
                for old in list(kept)[: len(kept) // 2]:  # dicts keep insertion order: the oldest first
                    self._bytes -= len(kept.pop(old).data)
                while kept and self._bytes + len(data) > self.budget:
                    self._bytes -= len(kept.pop(next(iter(kept))).data)
            kept[key] = Answer(generation, sent, data)
            self._bytes += len(data)


class Rendered:
    """Objects as reads render them, kept while the world stays as it was: a read that lists objects an earlier read
    of this generation rendered (another filter, another page, over the same VMs) joins their JSON instead of
    rendering them again. Only the world's objects (Entity) are kept, each with what it renders under one type; the
    object is kept with its text, so that its id() names no other object while the text is kept."""

    def __init__(self, budget: int = MAX_RENDERED_BYTES):
        self.budget = budget
        self.generation = None
        self._kept: dict[tuple, tuple] = {}
        self._bytes = 0

    def encode(self, answer_type, result, generation: int) -> bytes:
        """`result` rendered by `answer_type` as the wire's JSON, from a read holding the world at `generation`."""
        if not isinstance(answer_type, ListOf) or not isinstance(result, list):
            return _dumps(answer_type.render(result))
        if generation != self.generation:
            self.generation, self._kept, self._bytes = generation, {}, 0
        item, kept, parts = answer_type.item, self._kept, []
        for obj in result:
            hit = kept.get((id(item), id(obj)))
            if hit is not None:
                parts.append(hit[1])
                continue
            text = _dumps(item.render(obj))
            if isinstance(obj, Entity) and self._bytes + len(text) <= self.budget:
                kept[(id(item), id(obj))] = (obj, text)
                self._bytes += len(text)
            parts.append(text)
        return b"[" + b",".join(parts) + b"]"


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
