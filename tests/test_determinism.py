"""Same scenario and seed: the same world, down to every id. Another seed: other ids, the same names. Generated worlds
are deterministic too, have the sizes they were asked for, and stay queryable by id at 10,000 VMs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.scenario import Scenario
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from .support import pinned

TOKEN = "cloudtower-sim-root-token"
READS = ("get-clusters", "get-hosts", "get-vms")


class Client:
    def __init__(self, settings: Settings, data: dict | None = None):
        self.sim = Simulator(settings)
        if data is not None:  # a scenario given as a dict, as `scenario.load` would return it
            self.sim.scenario = Scenario(Path("<test>"), data)
            self.sim.reset()
        self.http = create_app(simulator=self.sim).test_client()

    def ok(self, op: str, body: dict | None = None):
        r = self.http.post(f"/v2/api/{op}", json=body if body is not None else {}, headers={"Authorization": TOKEN})
        assert r.status_code == 200, (op, body, r.get_json(silent=True))
        return r.get_json()

    def everything(self) -> dict:
        return {op: self.ok(op) for op in READS}


def generated(generate: dict, seed: int = 7) -> dict:
    return {"seed": seed, "users": [{"username": "root", "password": "x", "tokens": [TOKEN]}], "generate": generate}


def generated_client(generate: dict, seed: int | None = None) -> Client:
    return Client(pinned(seed=seed), generated(generate))


def names(world: dict) -> dict:
    return {op: [o["name"] for o in objs] for op, objs in world.items()}


def all_ids(world: dict) -> set:
    return {o["id"] for objs in world.values() for o in objs}


def test_same_scenario_and_seed_give_the_same_world():
    a, b = Client(pinned()).everything(), Client(pinned()).everything()
    assert all(a[op] for op in READS)  # not trivially equal
    assert a == b
    c, d = Client(pinned(seed=99)).everything(), Client(pinned(seed=99)).everything()
    assert c == d


def test_another_seed_gives_other_ids_and_the_same_names():
    a, b = Client(pinned()).everything(), Client(pinned(seed=12345)).everything()
    assert names(a) == names(b)
    assert all_ids(a).isdisjoint(all_ids(b))
    for op in READS:
        assert [o["local_id"] for o in a[op]] != [o["local_id"] for o in b[op]], op
    # the shape of the world does not depend on the seed: the same VMs on the same hosts, with the same sizes
    strip = lambda vm: (vm["name"], vm["host"] and vm["host"]["name"], vm["status"], vm["memory"], vm["vcpu"])
    assert [strip(v) for v in a["get-vms"]] == [strip(v) for v in b["get-vms"]]


SMALL = {"clusters": 2, "hosts_per_cluster": 3, "vms_per_host": 5}


def test_a_generated_scenario_file_loads_and_serves(tmp_path):
    """`generate:` is a documented scenario key: a YAML file with it starts a simulator like any other."""
    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(generated(SMALL)))
    a, b = Client(pinned(scenario=str(path))), Client(pinned(scenario=str(path)))
    assert a.ok("get-vms-connection") == {"aggregate": {"count": 30}}
    assert a.everything() == b.everything()
    # the file gives the same world as the same scenario handed over as data
    assert a.everything() == generated_client(SMALL).everything()


def test_a_large_world_is_kept_out_of_the_cycle_collectors_sight_and_let_go_when_replaced():
    """Simulator._install: a world of FROZEN_FROM VMs or more is frozen (gc.freeze), so that full collections do
    not walk it; a reset or another scenario unfreezes and collects it (else it would stay in memory for good)."""
    import gc
    import weakref

    from cloudtower_sim.mock_server.domain.simulator import FROZEN_FROM

    gc.unfreeze()  # (whatever an earlier test left)
    large = Client(pinned(), generated({"clusters": 1, "hosts_per_cluster": 2, "vms_per_host": FROZEN_FROM // 2}))
    assert len(large.sim.world.vms) == FROZEN_FROM and gc.get_freeze_count() > 5 * FROZEN_FROM
    assert large.ok("get-vms-connection") == {"aggregate": {"count": FROZEN_FROM}}
    first = weakref.ref(large.sim.world)
    large.sim.reset()  # the same large scenario: the first world goes, the new one is frozen
    assert first() is None and gc.get_freeze_count() > 5 * FROZEN_FROM
    second = weakref.ref(large.sim.world)
    large.sim.start_over(Scenario(Path("<test>"), generated(SMALL)))
    assert second() is None and gc.get_freeze_count() == 0  # a small world is left to the collector
    assert large.ok("get-vms-connection") == {"aggregate": {"count": 30}}


def test_a_generated_world_is_deterministic_and_has_the_right_size():
    first, again = generated_client(SMALL), generated_client(SMALL)
    world = first.everything()
    assert world == again.everything()
    assert [len(world[op]) for op in READS] == [2, 6, 30]
    for op, n in zip(READS, (2, 6, 30)):
        assert first.ok(op + "-connection") == {"aggregate": {"count": n}}
    for c in world["get-clusters"]:
        assert c["host_num"] == 3 and c["vm_num"] == 15
        assert len(c["hosts"]) == 3 and len(c["vms"]) == 15
    for h in world["get-hosts"]:
        assert h["vm_num"] == 5 and len(h["vms"]) == 5
        assert h["cluster"]["id"] in {c["id"] for c in world["get-clusters"]}
    for v in world["get-vms"]:
        assert v["host"] is not None  # every generated VM sits on its host
    assert len({v["name"] for v in world["get-vms"]}) == 30
    assert len(all_ids(world)) == 2 + 6 + 30

    other = generated_client(SMALL, seed=8).everything()
    assert names(other) == names(world)
    assert all_ids(other).isdisjoint(all_ids(world))


@pytest.fixture(scope="module")
def large():
    return generated_client({"clusters": 10, "hosts_per_cluster": 10, "vms_per_host": 100})


def test_a_large_generated_world_builds_and_counts(large):
    assert large.ok("get-clusters-connection") == {"aggregate": {"count": 10}}
    assert large.ok("get-hosts-connection") == {"aggregate": {"count": 100}}
    assert large.ok("get-vms-connection") == {"aggregate": {"count": 10_000}}
    hosts = large.ok("get-hosts")
    assert len(hosts) == 100 and all(h["vm_num"] == 100 for h in hosts)
    assert len({h["name"] for h in hosts}) == 100
    # no host was given more than it holds
    assert all(h["running_pause_vm_memory_bytes"] <= h["allocatable_memory_bytes"] for h in hosts)
    assert large.ok("get-vms-connection", {"where": {"host": {"id": hosts[37]["id"]}}}) == {"aggregate": {"count": 100}}
    assert large.ok("get-vms-connection", {"where": {"cluster": {"name": "gen-cluster-03"}}}) == {
        "aggregate": {"count": 1000}}


def test_a_large_generated_world_looks_vms_up_by_id(large):
    vms = large.ok("get-vms")
    assert len(vms) == 10_000
    assert len({v["id"] for v in vms}) == 10_000
    rng = random.Random(2026)
    for vm in rng.sample(vms, 20):
        assert large.ok("get-vms", {"where": {"id": vm["id"]}}) == [vm]
        assert large.ok("get-vms-connection", {"where": {"id": vm["id"]}}) == {"aggregate": {"count": 1}}
    picked = rng.sample(range(len(vms)), 50)
    wanted = [vms[i]["id"] for i in picked]
    # in creation order whatever the order of `id_in`; unknown ids and repeats change nothing
    got = large.ok("get-vms", {"where": {"id_in": wanted + ["cnosuchvm0000000000000000", wanted[0]]}})
    assert got == [vms[i] for i in sorted(picked)]
    assert large.ok("get-vms-connection", {"where": {"id_in": wanted}}) == {"aggregate": {"count": 50}}
    # an id lookup combined with other conditions still applies them
    vm = vms[4321]
    assert large.ok("get-vms", {"where": {"id": vm["id"], "name": vm["name"]}}) == [vm]
    assert large.ok("get-vms", {"where": {"id": vm["id"], "name_not": vm["name"]}}) == []
    assert large.ok("get-vms", {"where": {"id_in": wanted, "status": "RUNNING"}}) == [
        vms[i] for i in sorted(picked) if vms[i]["status"] == "RUNNING"]
    assert large.ok("get-vms", {"where": {"id": "cnosuchvm0000000000000000"}}) == []
    # the lookup is the scan's answer: `id_in` and the equivalent OR of `id`s agree
    ors = {"OR": [{"id": i} for i in wanted[:10]]}
    assert large.ok("get-vms", {"where": ors}) == large.ok("get-vms", {"where": {"id_in": wanted[:10]}})
