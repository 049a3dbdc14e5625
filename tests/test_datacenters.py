"""Organizations and datacenters (domain/placement.py): created, renamed, deleted, clusters moved between them."""

from __future__ import annotations

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, Api, make_client
from .support import snapshot


def test_a_cluster_moves_to_a_new_datacenter_of_a_new_organization_and_back(api):
    [org] = api.done(api.ok("create-organization", [{"name": "ACME"}]))
    [dc] = api.done(api.ok("create-datacenter", [{"organization_id": org["data"]["id"], "name": "dc-acme"}]))
    dc1 = api.one("datacenters", "dc-1")
    api.done(api.ok("remove-clusters-from-datacenter", [{"where": {"id": dc1["id"]}, "data": {"clusters": {}}}]))
    api.done(api.ok("add-clusters-to-datacenter", [{"where": {"id": dc["data"]["id"]},
                                                      "data": {"clusters": {"name": "smtx-prod"}}}]))
    moved = api.one("datacenters", "dc-acme")
    assert ([c["name"] for c in moved["clusters"]], moved["vm_num"], moved["organization"]["name"]) == (
        ["smtx-prod"], 18, "ACME")
    assert [d["name"] for d in api.one("clusters", "smtx-prod")["datacenters"]] == ["dc-acme"]
    assert api.one("datacenters", "dc-1")["cluster_num"] == 0
    api.done(api.ok("delete-datacenter", {"where": {"id": dc1["id"]}}))
    api.done(api.ok("update-organization", {"where": {"name": "ACME"}, "data": {"name": "ACME Corp"}}))
    api.done(api.ok("update-datacenter", {"where": {"name": "dc-acme"}, "data": {"name": "dc-main",
                                                                                 "clusters": {}}}))
    assert api.one("organizations", "ACME Corp")["datacenters"][0]["name"] == "dc-main"
    assert api.ok("get-datacenters", {"where": {"clusters_some": {"name": "smtx-prod"}}})[0]["name"] == "dc-main"
    [gone] = api.done(api.ok("delete-organization", {"where": {"name": "SmartX"}}))
    assert [o["name"] for o in api.ok("get-organizations")] == ["ACME Corp"] and gone["data"]["id"]


def test_what_the_inventory_cannot_become_is_refused_and_changes_nothing(api):
    org, dc1 = api.ok("get-organizations")[0]["id"], api.one("datacenters", "dc-1")["id"]
    before = snapshot(api.client)
    for op, body, status, words in (
            ("create-organization", [{"name": "SmartX"}], 400, "[0].name: there is already an organization"),
            ("create-organization", [{"name": "a"}, {"name": "a"}], 400, "[1].name: there is already"),
            ("create-datacenter", [{"organization_id": "nope", "name": "x"}], 404, "[0].organization_id"),
            ("create-datacenter", [{"organization_id": org, "name": "dc-1"}], 400, "already a datacenter"),
            ("create-datacenter", [{"organization_id": org, "name": "x", "clusters": {}}], 400,
             "cluster smtx-prod is in datacenter dc-1"),
            ("delete-organization", {"where": {}}, 400, "holds datacenter dc-1"),
            ("delete-datacenter", {"where": {"id": dc1}}, 400, "holds cluster smtx-prod"),
            ("update-datacenter", {"where": {}, "data": {"name": " "}}, 400, "data.name"),
            ("add-clusters-to-datacenter", [{"where": {"id": "nope"}, "data": {"clusters": {}}}], 404,
             "[0].where.id: no Datacenter"),
            ("remove-clusters-from-datacenter", [{"where": {"id": dc1}, "data": {"clusters": {}}},
                                                 {"where": {"id": dc1}, "data": {"clusters": {}}}], 400,
             "[1].where: datacenter dc-1 is named twice")):
        status_code, answer, _ = api(op, body)
        assert (status_code, words in answer["message"]) == (status, True), (op, body, answer)
    assert snapshot(api.client) == before


def test_a_stretched_clusters_zones_keep_it_in_its_datacenter():
    from pathlib import Path

    from cloudtower_sim import mock_server

    scenario = Path(mock_server.__file__).parent / "scenarios" / "stretched.yaml"
    api = Api(make_client(Settings(start_time=PINNED_START, scenario=str(scenario))))
    [dc] = api.ok("get-datacenters", {"where": {"clusters_some": {"stretch": True}}})
    status, answer, _ = api("remove-clusters-from-datacenter", [{"where": {"id": dc["id"]},
                                                                 "data": {"clusters": {"stretch": True}}}])
    assert status == 400 and "is stretched" in answer["message"], answer


def test_the_official_sdk_creates_a_datacenter(served):
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import DatacenterApi, OrganizationApi
    from cloudtower.utils import login, wait_task

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        org = OrganizationApi(client).get_organizations({})[0]
        [made] = DatacenterApi(client).create_datacenter([{"organization_id": org.id, "name": "sdk-dc"}])
        wait_task(made.task_id, client)
        assert [d.name for d in OrganizationApi(client).get_organizations({})[0].datacenters] == ["dc-1", "sdk-dc"]
    finally:
        client.rest_client.pool_manager.clear()
        client.close()
