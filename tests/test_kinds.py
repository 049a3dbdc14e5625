"""Each kind of world object declares itself once, in its class (domain/model.py Entity): its table, whether
upstream's reads serve it, and the relation lists that name an object of it. What the world, the registry and the
labels list of the kinds is derived from those declarations, and the declarations agree with the world they build."""

from __future__ import annotations

from cloudtower_sim.mock_server.api.registry import READS, simulated
from cloudtower_sim.mock_server.domain import model
from cloudtower_sim.mock_server.domain.labels import TAGGED, Label
from cloudtower_sim.mock_server.domain.world import KINDS
from cloudtower_sim.mock_server.schema.spec import Spec

from .support import make_client


def test_every_kind_has_its_table_in_the_world_and_no_two_share_one():
    world = make_client().sim.world
    assert KINDS == {name: kind.table for name, kind in model.KINDS.items()}
    assert len(set(KINDS.values())) == len(KINDS)
    assert all(isinstance(getattr(world, table), dict) for table in KINDS.values())
    assert {"Vm", "Host", "Cluster", "Task", "VmDisk", "Label", "ContentLibraryVmTemplate"} <= set(KINDS)


def test_each_kind_that_declares_reads_is_served_by_upstreams_two_read_paths():
    spec, served = Spec.load(), simulated()
    assert READS == [name for name, kind in model.KINDS.items() if kind.read] and "User" not in READS
    for name in READS:
        listing, count = spec.reads[name]
        assert served[listing].read and served[count].read, name


def test_a_labels_lists_are_the_tables_of_kinds_and_upstreams_label_data_keys():
    assert set(TAGGED) <= set(KINDS.values())
    data = Spec.load().schemas["AddLabelsToResourcesParams"]["properties"]["data"]["properties"]
    assert set(TAGGED) <= set(data)
    assert Label(id="l", key="k", createdAt="t").total_num == 0


def test_every_object_is_in_every_list_it_declares_and_no_other_object_of_its_kind_is():
    """listed_in() agrees with the world it built: each list an object declares holds it once."""
    world = make_client().sim.world
    checked = 0
    for name, table in KINDS.items():
        for obj in getattr(world, table).values():
            for listed in obj.listed_in():
                assert sum(1 for o in listed if o is obj) == 1, (name, obj)
                assert all(type(o) is type(obj) for o in listed), (name, obj)
                checked += 1
    assert checked > 100, checked  # the default world has devices, networks, snapshots and templates to check
