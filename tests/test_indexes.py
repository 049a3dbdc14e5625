"""The world's indexes agree with reading every object (issue 33; domain/indexes.py): on random worlds, after random
changes (renames, moves, new and deleted VMs, labels on and off), random `where`s, orders and pages give the same
objects in the same order, and the same counts, through the indexes as through every object. The quick sort of
scalar values agrees with the general one (nulls placed, ties kept)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtower_sim.mock_server.domain import indexes, labels, scenario
from cloudtower_sim.mock_server.domain.indexes import Indexes
from cloudtower_sim.mock_server.domain.model import GIB, Vm
from cloudtower_sim.mock_server.domain.query import select
from cloudtower_sim.mock_server.domain.states import VmStatus

from .support import examples

LETTERS = "ab-1"  # few letters: names share fragments
names = st.text(LETTERS, min_size=0, max_size=4)
FRAGMENTS = st.one_of(st.text(LETTERS, min_size=0, max_size=3), st.just("a\x00"))  # the separator: the long way


def _world(vm_names: list[str]):
    hosts = [{"name": f"h{i}", "memory_gib": 512} for i in range(3)]
    vms = [{"name": n, "status": "STOPPED", "memory_gib": 1 + i % 4, "vcpu": 1} for i, n in enumerate(vm_names)]
    world = scenario.build(scenario.from_data({
        "clusters": [{"name": "c1", "hosts": hosts, "vms": vms, "folders": [{"name": "f1"}]},
                     {"name": "c2", "hosts": [{"name": "h9", "memory_gib": 64}]}],
        "labels": [{"key": "k", "value": "v1"}, {"key": "k", "value": "v2"}]}))
    return world


change = st.one_of(
    st.tuples(st.just("rename"), st.integers(0, 50), names),
    st.tuples(st.just("place"), st.integers(0, 50), st.integers(0, 3)),
    st.tuples(st.just("add"), names, st.integers(0, 1), st.booleans()),  # stamped, or not yet
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("label"), st.integers(0, 50), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("local_id"), st.integers(0, 50), st.integers(0, 50)),  # as a creation's end sets it
    st.tuples(st.just("status"), st.integers(0, 50), st.sampled_from(list(VmStatus))),
    st.tuples(st.just("memory"), st.integers(0, 50), st.integers(1, 5)),
    st.tuples(st.just("created"), st.integers(0, 50)),  # a stamp written again, as a saved world's load does
)


def _apply(world, step) -> None:
    vms, hosts = list(world.vms.values()), list(world.hosts.values())
    if step[0] == "add":
        cluster = list(world.clusters.values())[step[2]]
        world.add(Vm(world.ids.cuid(), world.ids.uuid(), step[1], cluster, memory=GIB, vcpu=1,
                     status=VmStatus.STOPPED, host=None, local_created_at=world.created_at() if step[3] else None))
        return
    if not vms:
        return
    vm = vms[step[1] % len(vms)]
    if step[0] == "rename":
        vm.name = step[2]
    elif step[0] == "place":
        world.place(vm, None if step[2] == 3 else hosts[step[2] % len(hosts)])
    elif step[0] == "remove":
        world.remove_vm(vm)
    elif step[0] == "local_id":
        vm.local_id = vms[step[2] % len(vms)].local_id  # (shared, as no real VM does: a lookup finds both)
    elif step[0] == "status":
        vm.status = step[2]
    elif step[0] == "memory":
        vm.memory = step[2] * GIB
    elif step[0] == "created":
        vm.local_created_at = world.created_at()
    else:
        label = list(world.labels.values())[step[2]]
        (labels.attach if step[3] else labels.detach)(label, vm)


def _valued_wheres(world):
    """`where`s of the value and range indexes (status, memory, creation stamps), alone and combined."""
    stamps = sorted({v.local_created_at for v in world.vms.values()} - {None}) or ["2026-01-01T00:00:00Z"]
    sizes = st.sampled_from([GIB, 2 * GIB, 3 * GIB, 4 * GIB, 5 * GIB])
    leaf = st.one_of(
        st.fixed_dictionaries({"status": st.sampled_from(list(VmStatus))}),
        st.fixed_dictionaries({"status_in": st.lists(st.sampled_from(list(VmStatus)), max_size=2)}),
        st.fixed_dictionaries({"status_not": st.sampled_from(list(VmStatus))}),
        st.dictionaries(st.sampled_from(["memory", "memory_gt", "memory_gte", "memory_lt", "memory_lte"]), sizes,
                        min_size=1, max_size=1),
        st.fixed_dictionaries({"memory_in": st.lists(sizes, max_size=2)}),
        st.dictionaries(st.sampled_from(["local_created_at_gt", "local_created_at_gte", "local_created_at_lt",
                                         "local_created_at_lte"]), st.sampled_from(stamps), min_size=1, max_size=1),
        st.fixed_dictionaries({"vcpu_gte": st.integers(1, 3)}),
    )
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda a, b: {**a, **b}, inner, inner),
        st.fixed_dictionaries({"AND": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"OR": st.lists(inner, max_size=3)})), max_leaves=3)


def _wheres(world):
    host_ids = [h.id for h in world.hosts.values()]
    # fragments of the names the world has, most of the time: searches that find something
    held = sorted({v.name[i:j] for v in world.vms.values() for i in range(len(v.name)) for j in range(i + 1,
                                                                                                     len(v.name) + 1)})
    fragments = st.one_of(st.sampled_from(held), FRAGMENTS) if held else FRAGMENTS
    local_ids = [v.local_id for v in world.vms.values()] + ["none"]
    leaf = st.one_of(
        st.fixed_dictionaries({"name": names}), st.fixed_dictionaries({"name_in": st.lists(names, max_size=3)}),
        st.fixed_dictionaries({"name_contains": fragments}), st.fixed_dictionaries({"name_starts_with": fragments}),
        st.fixed_dictionaries({"name_ends_with": fragments}), st.fixed_dictionaries({"name_not_contains": fragments}),
        st.fixed_dictionaries({"host": st.one_of(st.fixed_dictionaries({"id": st.sampled_from(host_ids)}),
                                                 st.fixed_dictionaries({"name": st.sampled_from(["h0", "h1", "x"])}))}),
        st.fixed_dictionaries({"cluster": st.fixed_dictionaries({"name": st.sampled_from(["c1", "c2"])})}),
        st.fixed_dictionaries({"folder": st.fixed_dictionaries({"name": st.just("f1")})}),
        st.fixed_dictionaries({"labels_some": st.fixed_dictionaries({"value": st.sampled_from(["v1", "v2"])})}),
        st.fixed_dictionaries({"memory_gt": st.sampled_from([GIB, 2 * GIB])}),
        st.fixed_dictionaries({"status": st.sampled_from(list(VmStatus))}),
        st.fixed_dictionaries({"id_in": st.lists(st.sampled_from(list(world.vms) or ["none"]), max_size=3)}),
        st.fixed_dictionaries({"local_id": st.sampled_from(local_ids)}),
        st.fixed_dictionaries({"local_id_in": st.lists(st.sampled_from(local_ids), max_size=3)}),
    )
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda a, b: {**a, **b}, inner, inner),
        st.fixed_dictionaries({"AND": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"OR": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"NOT": st.lists(inner, max_size=2)})), max_leaves=4)


@settings(max_examples=examples(1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(names, min_size=3, max_size=12, unique=True), st.booleans(), st.lists(change, max_size=12), st.data())
def test_indexed_and_whole_table_answers_agree(vm_names, separated, changes, data):
    world = _world(vm_names + ["a\x00b"] * separated)  # a name with the column's separator: searched the long way
    _agree(world, changes, data, _wheres)


@settings(max_examples=examples(1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(names, min_size=3, max_size=12, unique=True), st.lists(change, max_size=12), st.data())
def test_value_and_range_indexes_agree_with_the_whole_table(vm_names, changes, data):
    _agree(_world(vm_names), changes, data, _valued_wheres)


def _agree(world, changes, data, wheres) -> None:
    world.indexes.share = 2.0  # every narrowing is used, however small the world
    world.indexes.few = 0
    remade = indexes.REMADE
    indexes.REMADE = data.draw(st.sampled_from([1, remade]))  # made again after a change, or brought up to date
    try:
        _reads_agree(world, changes, data, wheres)
    finally:
        indexes.REMADE = remade


def _reads_agree(world, changes, data, wheres) -> None:
    for round_ in range(5):  # changes between reads: indexes made by one read must not answer stale to the next
        for step in changes[round_::5]:
            _apply(world, step)
        where = data.draw(wheres(world))
        body = {"where": where, **data.draw(st.fixed_dictionaries({}, optional={
            "orderBy": st.sampled_from(["name_ASC", "memory_DESC", "local_created_at_DESC"]),
            "first": st.integers(0, 5), "skip": st.integers(0, 3)}))}
        for kind in ("Vm", "Host"):
            table = getattr(world, {"Vm": "vms", "Host": "hosts"}[kind])
            kind_where = body if kind == "Vm" else {"where": {"cluster": {"name": "c1"}, **(
                {"name_contains": where["name_contains"]} if "name_contains" in where else {})}}
            indexed = world.query(kind, kind_where)
            everything = select(world.grammar, kind, table.values(), kind_where, table, narrow=lambda w: None)
            assert [o.id for o in indexed] == [o.id for o in everything], (kind, kind_where)


@pytest.mark.parametrize("where, change", [
    ({"name_contains": "x"}, lambda world, vm: setattr(vm, "name", "vm-x")),
    ({"local_id": "L-9"}, lambda world, vm: setattr(vm, "local_id", "L-9")),
    ({"status": "RUNNING"}, lambda world, vm: setattr(vm, "status", VmStatus.RUNNING)),
    ({"memory_gte": 8 * GIB}, lambda world, vm: setattr(vm, "memory", 8 * GIB)),
    ({"local_created_at_gt": "2099-06-01T00:00:00.000Z"},
     lambda world, vm: setattr(vm, "local_created_at", "2099-07-01T00:00:00.000Z")),
], ids=["name", "local_id", "status", "memory", "stamp"])
def test_an_index_made_before_a_change_answers_after_it(where, change):
    """Each index made by one read, then a VM's field written, then the same read: the VM is found. A VM that had
    no stamp yet (one being created) is found once it has one."""
    world = _world([f"vm-{i:02d}" for i in range(20)])
    world.indexes.few = 0
    vm = list(world.vms.values())[7]
    if "local_created_at_gt" in where:
        vm.local_created_at = None
    assert world.query("Vm", {"where": where}) == []
    change(world, vm)
    assert world.query("Vm", {"where": where}) == [vm]


def test_an_object_added_again_is_found_by_an_index_made_while_it_was_gone():
    """An index is brought up to date with what was added since it was made (World.joined), not only with what was
    written: an object taken out and put back writes none of its fields."""
    world = _world([f"vm-{i:02d}" for i in range(20)])
    world.indexes.few = 0
    folder = list(world.vm_folders.values())[0]
    world.remove(folder)
    world.indexes = Indexes(world)
    assert world.query("VmFolder", {"where": {"name_contains": "f1"}}) == []  # made without it
    world.add(folder)
    assert world.query("VmFolder", {"where": {"name_contains": "f1"}}) == [folder]


def _tested(world, body) -> tuple[list, list]:
    """What `world.query("Vm", body)` finds, and the VMs whose status it read to test them."""
    tested, original = [], Vm.__dict__["status"]

    class Counting:
        def __get__(self, obj, owner=None):
            if obj is not None:
                tested.append(obj)
            return original.__get__(obj, owner)
    Vm.status = Counting()
    try:
        return world.query("Vm", body), tested
    finally:
        Vm.status = original


def test_an_index_narrows_the_objects_tested():
    """The indexes are used, not only agreed with: a selective read tests a few objects, not the table."""
    world = _world([f"vm-{i:03d}" for i in range(200)])
    found, tested = _tested(world, {"where": {"name_contains": "-12", "status": "STOPPED"}})
    assert [v.name for v in found] == [f"vm-{i}" for i in range(120, 130)]
    assert len(tested) == 10


def test_a_range_index_narrows_the_objects_tested():
    """A range over memory, once its index is made, tests the VMs in the range only: the few large ones."""
    world = _world([f"vm-{i:03d}" for i in range(200)])
    large = list(world.vms.values())[50:53]
    for vm in large:
        vm.memory = 64 * GIB
    world.query("Vm", {"where": {"memory_gt": 32 * GIB}})  # makes the index
    found, tested = _tested(world, {"where": {"memory_gte": 16 * GIB, "status": "STOPPED"}})
    assert found == large
    assert tested == large


class _Valued:
    __slots__ = ("memory", "n")

    def __init__(self, memory, n):
        self.memory, self.n = memory, n


@settings(max_examples=examples(2), deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 5), st.floats(0, 5, allow_nan=False), st.booleans()),
                min_size=1, max_size=30), st.booleans())
def test_the_quick_sort_of_scalars_agrees_with_the_general_one(values, descending):
    from cloudtower_sim.mock_server.domain.query import _ordered, _ordered_generally

    objs = [_Valued(v, i) for i, v in enumerate(values)]
    quick = _ordered(objs, "memory_DESC" if descending else "memory_ASC")
    assert [o.n for o in quick] == [o.n for o in _ordered_generally(objs, "memory", descending)]
