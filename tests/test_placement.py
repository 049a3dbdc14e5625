"""Organizations, datacenters and a stretched cluster's zones (domain/placement.py), read through upstream's reads:
every cluster's datacenter and every stretched host's zone resolve both ways, and the totals sum what they hold.
get-zones is what SmartX's Cluster API provider calls on a stretched cluster."""

from __future__ import annotations


import pytest

from cloudtower_sim.mock_server.domain.scenario import ScenarioError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from .support import PINNED_START, ROOT, Api, ids, make_client

STRETCHED = ROOT / "mock_server" / "scenarios" / "stretched.yaml"


def test_the_default_world_has_an_organization_and_a_datacenter_with_its_cluster():
    api = Api(make_client())
    [org] = api.ok("get-organizations", {})
    [dc] = api.ok("get-datacenters", {})
    [cluster] = api.ok("get-clusters", {})
    assert (org["name"], ids(org["datacenters"]), dc["organization"]["id"]) == ("SmartX", [dc["id"]], org["id"])
    assert (dc["name"], ids(dc["clusters"]), ids(cluster["datacenters"])) == ("dc-1", [cluster["id"]], [dc["id"]])
    assert (dc["cluster_num"], dc["host_num"], dc["vm_num"]) == (1, 4, 18)
    assert dc["total_memory_bytes"] == cluster["total_memory_bytes"]
    assert api.ok("get-zones", {}) == [] and cluster["stretch"] is None


def test_a_stretched_cluster_has_a_preferred_and_a_secondary_zone_holding_its_hosts():
    api = Api(make_client(Settings(scenario=str(STRETCHED), start_time=PINNED_START)))
    [cluster] = api.ok("get-clusters", {})
    zones = api.ok("get-zones", {"where": {"cluster": {"id": cluster["id"]}}, "orderBy": "is_preferred_DESC"})
    assert [z["is_preferred"] for z in zones] == [True, False] and cluster["stretch"] is True
    assert ids(cluster["zones"]) == ids(zones)
    hosts = {h["name"]: h for h in api.ok("get-hosts", {})}
    for zone, names in zip(zones, (["site-a-1", "site-a-2"], ["site-b-1", "site-b-2"])):
        assert ids(zone["hosts"]) == sorted(hosts[n]["id"] for n in names)
        assert all(hosts[n]["zone"]["id"] == zone["id"] for n in names)
        assert zone["datacenter"]["name"] == "dc-metro" and zone["cluster"]["id"] == cluster["id"]
        assert zone["host_num"] == 2 and zone["total_memory_bytes"] == 2 * 256 * 1024**3
    assert [z["vm_num"] for z in zones] == [2, 2] and [z["running_vm_num"] for z in zones] == [2, 1]
    assert [z["provisioned_cpu_cores"] for z in zones] == [12, 12]
    assert [z["provisioned_cpu_cores_for_active_vm"] for z in zones] == [12, 4]
    # CAPE's GetHostZone: the zone whose hosts include the VM's host
    vm = api.ok("get-vms", {"where": {"name": "k8s-cp-2"}})[0]
    [zone] = api.ok("get-zones", {"where": {"hosts_some": {"id": vm["host"]["id"]}}})
    assert zone["is_preferred"] is False


@pytest.mark.parametrize("text,entry,what", [
    ("clusters:\n  - {name: c, stretch: true, hosts: [{name: h, memory_gib: 64, zone: preferred}]}\n",
     "clusters[0].stretch", "name one (datacenter)"),
    ("clusters:\n  - {name: c, datacenter: d, stretch: true, hosts: [{name: h, memory_gib: 64}]}\n",
     "clusters[0].hosts[0]", "names its zone"),
    ("clusters:\n  - {name: c, datacenter: d, hosts: [{name: h, memory_gib: 64, zone: secondary}]}\n",
     "clusters[0].hosts[0]", "names none"),
    ("clusters:\n  - {name: c, datacenter: d, stretch: true, hosts: [{name: h, memory_gib: 64, zone: preferred}]}\n",
     "clusters[0].hosts", "both zones"),
    ("clusters:\n  - {name: c, datacenter: d, stretch: true, hosts: [{name: h, memory_gib: 64, zone: west}]}\n",
     "clusters[0].hosts[0].zone", "expected one of preferred, secondary"),
])
def test_a_stretched_cluster_that_cannot_exist_is_refused(tmp_path, text, entry, what):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as e:
        Simulator(Settings(scenario=str(path)))
    assert entry in str(e.value) and what in str(e.value), str(e.value)
