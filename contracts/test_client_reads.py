"""Client contracts: every read method of the client against the target. They read only, so they run anywhere, and
they compare the API with itself: counts with lists, pages with the whole, filters with the objects' own fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtower_sim.client import wire
from cloudtower_sim.mock_server.schema.spec import Spec

KINDS = sorted(wire.READS)  # every read of the client


def ordered_fields(client, oracle, kind: str) -> tuple[str, str]:
    """A text field and a numeric one to check orderBy against: name (or, for tasks, which have none, the creation
    time; for disks and NICs, the id), and of the numeric fields the oracle lets one order by (the version the target
    is held to, not the package's default), the one with the most distinct values here."""
    entity = next(e for e, (listing_path, _) in Spec.load().reads.items() if wire.READS[kind][0] == listing_path)
    fields = oracle.schemas[entity]["properties"]
    orderable = {v.rsplit("_", 1)[0] for v in oracle.schemas[entity + "OrderByInput"]["enum"]}
    objects = listing(client, kind)
    numeric = [f for f in sorted(orderable) if fields[f].get("type") in ("integer", "number")]
    spread = max(numeric, key=lambda f: len({o.get(f) for o in objects})) if numeric else None
    return next(f for f in ("name", "local_created_at", "id") if f in orderable), spread


@pytest.fixture
def client(target):
    return target.client()


def listing(client, kind, **query):
    return getattr(client, f"get_{kind}")(**query)


def count(client, kind, **query):
    return getattr(client, f"count_{kind}")(**query)



@pytest.mark.parametrize("kind", KINDS)
def test_every_object_parses_with_an_id(client, kind):
    objects = listing(client, kind)
    assert isinstance(objects, list)
    assert all(isinstance(o, dict) and isinstance(o.get("id"), str) and o["id"] for o in objects)
    assert len({o["id"] for o in objects}) == len(objects), f"get-{kind} answered an id twice"


@pytest.mark.parametrize("kind", KINDS)
def test_connection_count_equals_list_length(client, kind, examples):
    objects = listing(client, kind)
    counted = count(client, kind)
    assert counted == len(objects), (
        f"get-{kind}-connection counts {counted} (aggregate.count), get-{kind} lists {len(objects)}")
    if not objects:
        return

    @examples
    @given(st.sampled_from(objects), st.sampled_from(["id", "id_in", "id_not", "id_not_in"]))
    def same_where(obj, op):
        value = [obj["id"]] if op.endswith("_in") else obj["id"]
        where = {op: value}
        counted, listed = count(client, kind, where=where), len(listing(client, kind, where=where))
        assert counted == listed, (
            f"get-{kind}-connection counts {counted} (aggregate.count), get-{kind} lists {listed}, where {where}")

    same_where()


@pytest.mark.parametrize("kind", KINDS)
def test_pages_concatenate_to_the_ordered_whole(client, oracle, kind, examples):
    order = f"{ordered_fields(client, oracle, kind)[0]}_ASC"
    whole = [o["id"] for o in listing(client, kind, order_by=order)]

    @examples
    @given(st.integers(min_value=1, max_value=max(1, len(whole))))
    def pages(size):
        got = []
        for skip in range(0, len(whole) + size, size):
            page = listing(client, kind, order_by=order, first=size, skip=skip)
            assert len(page) <= size
            got += [o["id"] for o in page]
        assert got == whole, f"pages of {size} ({order}) do not concatenate to the whole list"

    pages()
    if len(whole) >= 2:  # cursors handed out by one page lead to the next
        after = listing(client, kind, order_by=order, after=whole[0])
        assert [o["id"] for o in after] == whole[1:]
        before = listing(client, kind, order_by=order, before=whole[-1])
        assert [o["id"] for o in before] == whole[:-1]


def _sorted(values, descending):
    """Ordered as a database would order them: nulls aside, strings either by code point or case-folded."""
    present = [v for v in values if v is not None]
    keys = [lambda v: v] + ([lambda v: v.casefold()] if all(isinstance(v, str) for v in present) else [])
    return any(present == sorted(present, key=k, reverse=descending) for k in keys)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("field_index", [0, 1])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_order_by_really_orders(client, oracle, kind, field_index, direction):
    field = ordered_fields(client, oracle, kind)[field_index]
    if field is None:
        pytest.skip(f"upstream's orderBy of {kind} has no numeric field")
    objects = listing(client, kind, order_by=f"{field}_{direction}")
    values = [o.get(field) for o in objects]
    assert _sorted(values, direction == "DESC"), f"{field}_{direction} answered {values}"
    assert sorted(o["id"] for o in objects) == sorted(o["id"] for o in listing(client, kind))


@pytest.mark.parametrize("kind", KINDS)
def test_lookups_round_trip(client, kind, examples):
    objects = listing(client, kind)
    if not objects:
        pytest.skip(f"the target has no {kind}")

    @examples
    @given(st.lists(st.sampled_from(objects), min_size=1, max_size=5, unique_by=lambda o: o["id"]))
    def lookups(chosen):
        first = chosen[0]
        assert [o["id"] for o in listing(client, kind, where={"id": first["id"]})] == [first["id"]]
        ids = {o["id"] for o in chosen}
        assert {o["id"] for o in listing(client, kind, where={"id_in": sorted(ids)})} == ids
        if first.get("name") is not None:
            named = listing(client, kind, where={"name": first["name"]})
            assert first["id"] in {o["id"] for o in named}
            assert all(o["name"] == first["name"] for o in named)

    lookups()


RELATIONS = [("vms", "host"), ("vms", "cluster"), ("hosts", "cluster")]


@pytest.mark.parametrize("kind,relation", RELATIONS)
def test_relation_filters_agree_with_the_objects(client, kind, relation, examples):
    objects = listing(client, kind)
    targets = listing(client, relation + "s")
    if not targets:
        pytest.skip(f"the target has no {relation}s")

    @examples
    @given(st.sampled_from(targets))
    def agree(other):
        expected = {o["id"] for o in objects if (o.get(relation) or {}).get("id") == other["id"]}
        got = listing(client, kind, where={relation: {"id": other["id"]}})
        assert {o["id"] for o in got} == expected, f"{kind} where {relation}.id = {other['id']}"
        assert count(client, kind, where={relation: {"id": other["id"]}}) == len(expected)

    agree()


def test_host_counters_match_the_vms(client):
    """What a host says it runs is what the VMs say runs on it."""
    vms = listing(client, "vms")
    for host in listing(client, "hosts"):
        on_host = [v for v in vms if (v.get("host") or {}).get("id") == host["id"]]
        running = sum(1 for v in on_host if v["status"] == "RUNNING")
        assert host["running_vm_num"] == running, host["name"]
