"""What a selective `where` reads instead of every object (issue 33): a few objects that surely include every match,
in table order; query.select then tests only those with the whole `where`, so an index narrows a query and never
decides it. Each index is the world's own, current whenever it is read:

- by `id` (and `id_in`): the table itself; by `local_id` (and `local_id_in`): a map of the table's local_ids;
- by name (`name`, `name_in`, `name_contains`, `name_starts_with`, `name_ends_with`): a column of the table's names
  packed into one string, searched with str.find;
- by relation: the related object's own list of what names it (`host: {id}` reads the host's `vms`, `cluster: {name}`
  the cluster's, `vm: {id}` a VM's disks or NICs, `labels_some: {...}` each matching label's), which the world keeps
  with every change;
- by a watched field's value or range (`status`, `status_in`, `memory_gt`, `vcpu_lte`, `local_created_at_gte`, ...):
  the table's objects sorted by that field, searched by bisection; read only when the clauses above leave more than
  `few` candidates, and counted before it is gathered (a `status: RUNNING` that cannot narrow copies nothing);
- `AND` takes its narrowest part; `OR` the union of its parts, when each part narrows.

The map, the column and the sorted keys are made at one change of the world and kept: the writes of the WATCHED
fields and the objects added are logged (`watch_fields`, World.joined), and a read adds to what an index finds the
objects changed since it was made, which the whole `where` then tests as it tests the rest. An index is made again
past REMADE changes, or when the logs no longer reach back to it. So a rename or a new VM costs the next read a few
objects, not a new column of 100,000 names (40 ms).

Anything else (a negation, a field not watched) is tested on the candidates, or on the whole table when nothing
narrows it. tests/test_indexes.py holds the two paths to the same answers on random worlds, changes and queries."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from operator import attrgetter

from .model import KINDS

SORTED_OPS = ("", "_in", "_gt", "_gte", "_lt", "_lte")
SEPARATOR = "\x00"  # between names in the packed column (a name with it, or a fragment, is searched the long way)
# a relation's other side: (kind, where key) -> the related object's list of objects of that kind
REVERSE = {("Vm", "host"): "vms", ("Vm", "cluster"): "vms", ("Vm", "folder"): "vms", ("Host", "cluster"): "hosts",
           ("VmDisk", "vm"): "vm_disks", ("VmNic", "vm"): "vm_nics", ("VmVolume", "cluster"): "vm_volumes",
           ("Vds", "cluster"): "vdses", ("Vlan", "vds"): "vlans"}
# the fields whose writes are logged: those indexes look up by value, and those reads most often order by (a kept
# order by one of them stays as it is while none of them is written: query.Orderings)
WATCHED = ("name", "local_id", "memory", "vcpu", "status", "local_created_at")
LOG_SIZE = 4096  # the changes each log remembers (an index made before its oldest is made again)
REMADE = 512  # an index is made again past this many changes since it was made (each read tests them all)


class Log:
    """Objects changed, in order, the last LOG_SIZE of them: `since(n)` gives those after the first n (None when
    those are forgotten), so that an index made at n is brought up to date by testing a few objects."""
    __slots__ = ("entries", "base")

    def __init__(self):
        self.entries: list = []
        self.base = 0  # changes before entries[0]

    @property
    def count(self) -> int:
        return self.base + len(self.entries)

    def append(self, obj) -> None:
        if len(self.entries) >= LOG_SIZE:
            self.base += len(self.entries)
            self.entries = []
        self.entries.append(obj)

    def since(self, count: int) -> list | None:
        start = count - self.base
        return self.entries[start:] if start >= 0 else None


_WRITES = {field: Log() for field in WATCHED}  # field -> the objects of any kind that had it written
_SLOTS: set = set()  # (kind, field) of the watched fields that are a kind's own slots (not properties)


def watch_fields() -> None:
    """Every kind's slots of the WATCHED fields log their writes (once per process), so that what is made of them
    knows what changed since: a slot's own descriptor, wrapped in a property that keeps reading it as fast (a write
    costs 0.4 µs more: 0.04 s a field at 100,000 VMs)."""
    for name, kind in KINDS.items():
        for field in WATCHED:
            slot = kind.__dict__.get(field)
            if slot is None or isinstance(slot, property) or not hasattr(slot, "__set__"):
                continue

            def written(obj, value, slot=slot, log=_WRITES[field]):
                slot.__set__(obj, value)
                log.append(obj)
            setattr(kind, field, property(slot.__get__, written))
            _SLOTS.add((name, field))


def writes(entity: str, field: str) -> int | None:
    """How many times `field` has been written, if it is a watched slot of `entity`; else None (it may change
    unseen: a property, or a field not watched)."""
    return _WRITES[field].count if (entity, field) in _SLOTS else None


class NameColumn:
    """A table's names, in table order, packed into one string (`field` is always "name": Indexes._current makes
    every index alike)."""

    def __init__(self, objs: list, field: str = "name"):
        self.objs = objs
        names = [o.name if isinstance(o.name, str) else "" for o in objs]
        self.clean = not any(SEPARATOR in n for n in names)
        self.packed = SEPARATOR + SEPARATOR.join(names) + SEPARATOR
        self.starts, at = array("q"), 1  # where each name begins (8 bytes each, not an int object each)
        for n in names:
            self.starts.append(at)
            at += len(n) + 1
        self._by_name: dict | None = None

    def equal(self, names) -> list:
        if self._by_name is None:
            self._by_name = {}
            for o in self.objs:
                self._by_name.setdefault(o.name, []).append(o)
        found = [o for n in dict.fromkeys(names) for o in self._by_name.get(n, ())]
        return found

    def finding(self, needle: str) -> list | None:
        """The objects whose SEPARATOR-framed name holds `needle`, in table order; None when it cannot say."""
        if not self.clean:
            return None
        hits, at, packed, starts = [], 0, self.packed, self.starts
        while True:
            at = packed.find(needle, at)
            if at < 0:
                return hits
            # the row of the match's first character of a name (a needle may begin with the separator before it)
            row = bisect_right(starts, at + (needle[0] == SEPARATOR)) - 1
            if not hits or hits[-1] is not self.objs[row]:
                hits.append(self.objs[row])
            # the next search starts at the next name (one hit a row is enough), and always further on
            at = max(at + 1, starts[row + 1] - 1 if row + 1 < len(starts) else len(packed))


class SortedKeys:
    """A table's objects with a value of one field, ordered by it (ties in no order: what it finds is put in table
    order), and their values then (an object written since may hold another now, and is tested anyway: it is among
    the changes Indexes._current gives); not those without (None), which no operator here matches."""

    def __init__(self, objs: list, field: str):
        get = attrgetter(field)
        try:  # (the usual: no None among them; a None, or all None, does not compare)
            self.objs = sorted(objs, key=get)
        except TypeError:
            self.objs = sorted((o for o in objs if get(o) is not None), key=get)  # (a TypeError: no index)
        self.keys = list(map(get, self.objs))

    def finding(self, op: str, x, most: float) -> list | None:
        """The objects whose value satisfies `op` `x`, as query.SCALAR_OPS tests it; None when it cannot say, or
        when they are more than `most` (counted before they are gathered: a `status: RUNNING` would copy most of the
        table to no use)."""
        spans = self._spans(op, x)
        if spans is None or sum(hi - lo for lo, hi in spans) > most:
            return None
        return [o for lo, hi in spans for o in self.objs[lo:hi]]

    def _spans(self, op: str, x) -> list[tuple[int, int]] | None:
        keys = self.keys
        try:
            if op in ("", "_in"):
                values = dict.fromkeys(x) if op == "_in" else (x,)
                return [(bisect_left(keys, v), bisect_right(keys, v)) for v in values]
            if op in ("_gt", "_gte"):
                return [((bisect_right if op == "_gt" else bisect_left)(keys, x), len(keys))]
            if op in ("_lt", "_lte"):
                return [(0, (bisect_left if op == "_lt" else bisect_right)(keys, x))]
        except TypeError:  # an operand that does not compare with the values
            return None
        return None


class Indexes:
    """A world's indexes (see the module's docstring)."""

    def __init__(self, world):
        self.world = world
        self._made: dict[tuple, tuple] = {}  # (what, kind, field) -> (the index, when: (writes, joined, membership))
        self.share = 0.5  # candidates past this share of the table: the table is read instead
        self.few = 64  # candidates few enough that no value or range index is made or read to narrow them further

    def candidates(self, grammar, entity: str, where: dict) -> list | None:
        """Objects of `entity` including every one `where` matches, in table order (their ids order by creation, as
        the table does: ids.py); None when no index narrows it to `share` of the table or less (the table is read in
        order then, and may be kept in the order asked: query.Orderings)."""
        table = getattr(self.world, KINDS[entity].table)
        found = self._narrowest(grammar, entity, where)
        if found is None or len(found) > self.share * len(table):
            return None
        # (an index made before a deletion may still hold the deleted object)
        return sorted({id(o): o for o in found if table.get(o.id) is o}.values(), key=lambda o: o.id)

    def _narrowest(self, grammar, entity: str, where: dict) -> list | None:
        best = None
        for key, x in where.items():
            found = self._clause(grammar, entity, key, x)
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        for key, x in where.items():  # a value's or a range's objects, until a few are left
            if best is not None and len(best) <= self.few:
                break
            found = self._valued(grammar, entity, key, x, len(best) - 1 if best is not None else None)
            if found is not None:
                best = found
        return best

    def _valued(self, grammar, entity: str, key: str, x, most: int | None) -> list | None:
        """By a watched field's value or range (`status`, `memory_gt`, `local_created_at_lte`, `vcpu_in`, ...): at
        most `most` objects, and never more than the share of the table that narrows."""
        where_key = grammar(entity).get(key) if grammar is not None else None
        if where_key is None or where_key.kind != "scalar" or where_key.op not in SORTED_OPS or x is None:
            return None
        if writes(entity, where_key.field) is None or (where_key.op == "_in" and not isinstance(x, list)):
            return None
        keys, changed = self._current(entity, where_key.field, SortedKeys)
        if keys is None:
            return None
        most = self.share * len(getattr(self.world, KINDS[entity].table)) if most is None else most
        found = keys.finding(where_key.op, x, most - len(changed))
        return None if found is None else found + changed

    def _clause(self, grammar, entity: str, key: str, x) -> list | None:
        table = getattr(self.world, KINDS[entity].table)
        if key == "AND" and isinstance(x, list):
            parts = [p for p in (self._narrowest(grammar, entity, w) for w in x if isinstance(w, dict))
                     if p is not None]
            return min(parts, key=len) if parts else None
        if key == "OR" and isinstance(x, list) and x:
            parts = [self._narrowest(grammar, entity, w) if isinstance(w, dict) else None for w in x]
            return None if any(p is None for p in parts) else [o for p in parts for o in p]
        if key == "id" and isinstance(x, str):
            return [table[x]] if x in table else []
        if key == "id_in" and isinstance(x, list):
            return [table[i] for i in x if isinstance(i, str) and i in table]
        # (only a field whose writes are logged: an index of another would not know its changes)
        if key in ("local_id", "local_id_in") and writes(entity, "local_id") is not None:
            wanted = [x] if key == "local_id" else x
            if isinstance(wanted, list) and all(isinstance(i, str) for i in wanted):
                return self._by_local_id(entity, wanted)
        if key.startswith("name") and writes(entity, "name") is not None:
            return self._by_name(entity, table, key[len("name"):], x)
        reverse = REVERSE.get((entity, key))
        if reverse and isinstance(x, dict) and x:
            target = _target(grammar, entity, key)
            related = self._narrowest(grammar, target, x) if target else None
            if related is not None:
                return [o for r in related for o in getattr(r, reverse, ())]
        if key == "labels_some" and isinstance(x, dict) and x and "Label" in KINDS:
            labels = self._narrowest(grammar, "Label", x)
            if labels is None:
                labels = list(self.world.labels.values())  # few: each tested with the whole where later
            table_name = KINDS[entity].table
            return [o for label in labels for o in getattr(label, table_name, ())]
        return None

    def _by_name(self, entity, table, op: str, x) -> list | None:
        if op in ("", "_in"):
            wanted = [x] if op == "" else x
            if isinstance(wanted, list) and all(isinstance(n, str) for n in wanted):
                column, changed = self._current(entity, "name", NameColumn)
                return column.equal(wanted) + changed
        if op in ("_contains", "_starts_with", "_ends_with") and isinstance(x, str) and x and SEPARATOR not in x:
            needle = {"_contains": x, "_starts_with": SEPARATOR + x, "_ends_with": x + SEPARATOR}[op]
            column, changed = self._current(entity, "name", NameColumn)
            found = column.finding(needle)
            return None if found is None else found + changed
        return None

    def _by_local_id(self, entity, wanted: list) -> list:
        by_local_id, changed = self._current(entity, "local_id", _by_local_id)
        return [o for i in dict.fromkeys(wanted) for o in by_local_id.get(i, ())] + changed

    def _current(self, entity: str, field: str, make) -> tuple:
        """`make(objects, field)` of `entity`'s table, made at some earlier change, and the objects it may not know
        as they are now: added to the table, or with `field` written, since. Made again when those are more than
        REMADE, when the logs no longer reach back to it, or when the table has lost many objects since (an object
        the table lost may still be in it: candidates() leaves it out); `make` may raise TypeError: no index."""
        world, log = self.world, _WRITES[field]
        now = (log.count, world.joined.count, world.membership[entity])
        kept = self._made.get((make, entity, field))
        if kept is not None:
            index, then = kept
            if then == now:
                return index, []
            written, joined = log.since(then[0]), world.joined.since(then[1])
            if written is not None and joined is not None and len(written) + len(joined) <= REMADE and (
                    now[2] - then[2] <= REMADE):
                table = getattr(world, KINDS[entity].table)
                return index, [o for o in (*written, *joined) if table.get(o.id) is o]
        try:
            index = make(list(getattr(world, KINDS[entity].table).values()), field)
        except TypeError:  # values that do not compare
            index = None
        self._made[(make, entity, field)] = (index, now)
        return index, []


def _by_local_id(objs: list, field: str) -> dict:
    found: dict = {}
    for o in objs:
        found.setdefault(o.local_id, []).append(o)
    return found


def _target(grammar, entity: str, key: str) -> str | None:
    """The kind a to-one where key of `entity` names (from the served grammar)."""
    if grammar is None:
        return None
    found = grammar(entity).get(key)
    return found.target if found is not None and found.kind == "to_one" and found.target in KINDS else None
