"""The query body of every `get-*` call: `where` (Prisma-1 grammar, as the served version's `<X>WhereInput` declares
it), `orderBy` and paging. Bodies reach here already validated against the schema.

Null semantics: `f: null` matches a null field and `f_not: null` a non-null one; every other positive operator is
false on a null field and each negation is the exact complement of its positive operator. A null operand of any other
operator (`f_in: null`, `AND: null`, ...) sets no condition. A to-one filter never matches a missing relation."""

from __future__ import annotations

import heapq
import json
from itertools import islice
from operator import attrgetter
from typing import Callable, Iterable

from ..schema.types import get
from .errors import BadRequest

Predicate = Callable[[object], bool]
Grammar = Callable[[str], dict]  # entity -> {where key: WhereKey(field, kind, op, target)}

_POSITIVE = {
    "": lambda v, x: v == x,
    "_in": lambda v, x: v is not None and v in x,
    "_lt": lambda v, x: v is not None and v < x,
    "_lte": lambda v, x: v is not None and v <= x,
    "_gt": lambda v, x: v is not None and v > x,
    "_gte": lambda v, x: v is not None and v >= x,
    "_contains": lambda v, x: v is not None and x in v,
    "_starts_with": lambda v, x: v is not None and v.startswith(x),
    "_ends_with": lambda v, x: v is not None and v.endswith(x),
}
SCALAR_OPS = dict(_POSITIVE)
for _op in ("", "_in", "_contains", "_starts_with", "_ends_with"):
    SCALAR_OPS[f"_not{_op}"] = (lambda p: lambda v, x: not p(v, x))(_POSITIVE[_op])


def compile_where(grammar: Grammar, entity: str, where: dict | None) -> Predicate:
    """A predicate for `where` over objects of `entity` (modeled, or not: then every relation to it is empty)."""
    if not where:
        return lambda o: True
    keys = grammar(entity)
    tests = [_compile_key(grammar, entity, keys, k, x) for k, x in where.items()]
    tests = [t for t in tests if t is not None]
    if len(tests) == 1:  # the usual filters have one key or two: tested without a generator around them
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda o: first(o) and second(o)
    return lambda o: all(t(o) for t in tests)


def _compile_key(grammar, entity, keys, key, x) -> Predicate | None:
    if key in ("AND", "OR", "NOT"):
        if x is None:
            return None
        subs = [compile_where(grammar, entity, w) for w in x]
        if key == "AND":
            return lambda o: all(s(o) for s in subs)
        if key == "OR":
            return lambda o: any(s(o) for s in subs)
        return lambda o: not any(s(o) for s in subs)
    name, kind, op, target = keys[key].field, keys[key].kind, keys[key].op, keys[key].target
    if kind == "to_one":
        if x is None:
            return lambda o: get(o, name) is None
        sub = compile_where(grammar, target, x)
        return lambda o: (r := get(o, name)) is not None and sub(r)
    if kind == "to_many":
        if x is None:
            return None
        sub = compile_where(grammar, target, x)
        if op == "_some":
            return lambda o: any(sub(r) for r in get(o, name) or ())
        if op == "_every":
            return lambda o: all(sub(r) for r in get(o, name) or ())
        return lambda o: not any(sub(r) for r in get(o, name) or ())
    if x is None and op not in ("", "_not"):
        return None
    if op == "":  # (the commonest two, without a second call)
        return lambda o: get(o, name) == x
    if op == "_not":
        return lambda o: get(o, name) != x
    test = SCALAR_OPS[op]
    if op in ("_in", "_not_in"):
        x = set(x) if all(isinstance(i, (str, int, float)) for i in x) else x
    return lambda o: test(get(o, name), x)


def _sort_key(value):
    # nulls last when ascending (PostgreSQL's default); embedded objects compare by their JSON text
    if value is None:
        return (1, "")
    if isinstance(value, (dict, list)):  # a frozen VM's vm_nics hold the objects they name: those by their id
        return (0, json.dumps(value, sort_keys=True, default=lambda o: getattr(o, "id", None) or str(o)))
    return (0, value)


# Entities whose `local_created_at` strictly increases in creation order (World.created_at stamps them): ordered by it
# with no filter, they need no sort, only their creation order read forwards or backwards. A polling client's
# `get-tasks` newest-first then costs the page, not the whole task history.
STAMPED_IN_ORDER = {"Task"}


class Orderings:
    """Whole tables in the order of an `orderBy`, for reads of a world held to read (World.generation): a filtered,
    ordered page then tests objects in that order until the page is full, instead of testing every object and
    ordering the matches. An order is made when asked a second time in a generation, so that a world that changes
    between reads never pays a whole sort where a heap of one page would do; once made, it is made again in a later
    generation from itself, while its table holds the same objects (`membership`): the values are read afresh, and a
    sort of a nearly sorted list costs a fraction of a whole one (12 ms instead of 40 at 100,000 VMs), so the first
    read after a change pays that rather than a heap of the whole table. Ties stay in table order, as the first sort
    left them. At most `size` orders are kept (each holds a reference to every object of its table: 800 KB for
    100,000 VMs); past it, one of an earlier generation goes, else none is kept."""

    def __init__(self, size: int = 16):
        self.size = size
        self.generation = None
        self._kept: dict[tuple, tuple] = {}  # (entity, order) -> (generation, membership, ordered table, writes)
        self._asked: set[tuple] = set()

    def get(self, generation: int, entity: str, order: str, items: Iterable, membership=None,
            writes: int | None = None) -> list | None:
        """`writes`: how many times the order's field has been written (indexes.writes), when that is known: an
        order kept while none was written, of a table holding the same objects, is the order still."""
        if generation != self.generation:
            self.generation, self._asked = generation, set()
        key = (entity, order)
        kept = self._kept.get(key)
        if kept is not None and kept[0] == generation:
            return kept[2]
        if kept is not None and membership is not None and kept[1] == membership:
            if writes is not None and kept[3] == writes:
                self._kept[key] = (generation, membership, kept[2], writes)
                return kept[2]
            found = _ordered(kept[2], order)
        else:
            if key not in self._asked or not self._room(key, generation):
                self._asked.add(key)
                return None
            found = _ordered(list(items), order)
        self._kept[key] = (generation, membership, found, writes)
        return found

    def _room(self, key, generation) -> bool:
        if key in self._kept or len(self._kept) < self.size:
            return True
        old = next((k for k, kept in self._kept.items() if kept[0] != generation), None)
        if old is None:
            return False
        del self._kept[old]
        return True


def select(grammar: Grammar, entity: str, items: Iterable, body: dict | None, index: dict,
           ordered: Callable[[str], list | None] = lambda order: None,
           narrow: Callable[[dict], list | None] | None = None) -> list:
    """Filter, order and page `items` (in creation order, `index` by id) as upstream's query body says; `ordered`
    may give all of `items` in an order already (Orderings), or None; `narrow` gives, for a `where`, the objects that
    can match it in table order (indexes.py), or None: every object can."""
    body = body or {}
    where = body.get("where") or {}
    order = body.get("orderBy")
    if len(where) == 1 and isinstance(where.get("id"), str) and len(body) == 1:  # the commonest read: one object
        found = index.get(where["id"])
        return [found] if found is not None else []
    if (entity in STAMPED_IN_ORDER and not where and order in ("local_created_at_ASC", "local_created_at_DESC")
            and body.get("after") is None and body.get("before") is None and body.get("last") is None):
        _page([], body)  # the same refusals of negative counts
        skip, first = body.get("skip") or 0, body.get("first")
        in_order = reversed(items) if order.endswith("DESC") else iter(items)
        return list(islice(in_order, skip, None if first is None else skip + first))
    matches = compile_where(grammar, entity, where)
    if body.get("after") is None and body.get("before") is None:
        narrowed = (narrow or (lambda w: _by_id(w, index)))(where) if where else None
        candidates = items if narrowed is None else narrowed
        # the whole table already in order, if kept: filtering it then orders the matches (the sort is stable)
        in_order = ordered(order) if order and narrowed is None else None
        first, skip = body.get("first"), body.get("skip") or 0
        if first is not None and first >= 0 and skip >= 0 and body.get("last") is None:
            # a page from the start: only its objects need be found (the rest are neither sorted nor tested)
            _page([], body)
            if in_order is not None:
                return list(islice(filter(matches, in_order), skip, skip + first))
            found = filter(matches, candidates)
            return _ordered_first(found, order, skip + first)[skip:]
        if in_order is not None:
            result = [o for o in in_order if matches(o)]
        else:
            result = _ordered([o for o in candidates if matches(o)], order)
    else:
        # As Prisma pages: a cursor is a place in the whole ordered collection, so it need not match `where` (a loop
        # that pages through RUNNING VMs while stopping them goes on)
        everything = (ordered(order) if order else None) or _ordered(list(items), order)
        place = {id(o): i for i, o in enumerate(everything)}
        after = place[id(_cursor(entity, index, body, "after"))] if body.get("after") is not None else -1
        before = place[id(_cursor(entity, index, body, "before"))] if body.get("before") is not None else len(place)
        result = [o for o in everything[after + 1:before] if matches(o)]
    return _page(result, body)


def _ordered(result: list, order: str | None) -> list:
    if not order:
        return result
    name, _, direction = order.rpartition("_")
    if result and not isinstance(result[0], dict) and isinstance(getattr(result[0], name, None), (int, float, str)):
        try:  # scalars of one kind, none null (the usual): sorted by the key alone, in C
            return sorted(result, key=attrgetter(name), reverse=direction == "DESC")
        except (TypeError, AttributeError):  # a null, or values that do not compare: the general way below
            pass
    return _ordered_generally(result, name, direction == "DESC")


def _ordered_generally(result: list, name: str, desc: bool) -> list:
    """Nulls last ascending and first descending, embedded objects by their JSON text, ties in the order given."""
    objs, nulls, key = _valued(result, name)
    ranked = [objs[i] for i in sorted(range(len(objs)), key=key, reverse=desc)]  # (stable, reversed or not)
    return nulls + ranked if desc else ranked + nulls  # nulls last when ascending, first when descending


def _ordered_first(found: Iterable, order: str | None, n: int) -> list:
    """`_ordered(list(found), order)[:n]`, without ordering more than the first `n` (heapq's n-smallest and
    n-largest are stable, as sorted() is)."""
    if not order:
        return list(islice(found, n))
    name, _, direction = order.rpartition("_")
    objs, nulls, key = _valued(found, name)
    if direction == "DESC":
        top = heapq.nlargest(max(n - len(nulls), 0), range(len(objs)), key=key)
        return nulls[:n] + [objs[i] for i in top]
    top = heapq.nsmallest(n, range(len(objs)), key=key)
    return [objs[i] for i in top] + nulls[:max(n - len(objs), 0)]


def _valued(found: Iterable, name: str) -> tuple[list, list, Callable]:
    """The objects with a value of `name`, those without (None), and the sort key of the first ones by position.
    Each value is read once and kept beside its object by position: (value, object) pairs or (0, value) keys would
    be 100,000s of tuples on a large table, each for the cycle collector to walk."""
    objs = found if isinstance(found, list) else list(found)
    values = [get(o, name) for o in objs] if objs and isinstance(objs[0], dict) else [
        getattr(o, name, None) for o in objs]
    nulls = []
    if None in values:
        nulls = [o for o, v in zip(objs, values) if v is None]
        objs = [o for o, v in zip(objs, values) if v is not None]
        values = [v for v in values if v is not None]
    if set(map(type, values)) & {dict, list}:  # embedded objects order by their JSON text
        return objs, nulls, lambda i: _sort_key(values[i])
    return objs, nulls, values.__getitem__


def _cursor(entity: str, index: dict, body: dict, key: str):
    found = index.get(body[key])
    if found is None:
        # A cursor names no object: Prisma's answer is not documented (perhaps an empty page). An empty page would
        # end a paging loop silently, as if it had seen everything, so the simulator refuses it and says so.
        raise BadRequest(f"{key}: no {entity} has id {body[key]!r}, so it marks no place to page from (a cursor is "
                         "the id of an object a previous page answered)")
    return found


def _by_id(where: dict, index: dict) -> list | None:
    """Without the world's indexes: lookups by `id` / `id_in` read the table by id instead of every object."""
    if isinstance(where.get("id"), str):
        o = index.get(where["id"])
        return [o] if o is not None else []
    if isinstance(where.get("id_in"), list):
        found = {index[i] for i in where["id_in"] if i in index}
        return sorted(found, key=lambda o: o.id)  # cuids order by creation (ids.py), as the table does
    return None


def _page(result: list, body: dict) -> list:
    for key in ("first", "last", "skip"):
        if body.get(key) is not None and body[key] < 0:
            raise BadRequest(f"{key}: expected a non-negative integer, got {body[key]}")
    if body.get("skip"):
        result = result[body["skip"]:]
    if body.get("first") is not None:
        result = result[: body["first"]]
    if body.get("last") is not None:
        result = result[len(result) - body["last"]:] if body["last"] else []
    return result
