"""Clusters connected, updated and removed (issue 31, item 5; domain/clusters.py): SmartX's Terraform provider's
cluster resource sends connect-cluster, update-cluster and delete-cluster with exactly these bodies
(resource_cluster.go: `datacenter_id` is "" when its own is not set), reads the new cluster's id from the answer,
waits on the task ids, then reads the cluster back by id. Every answer is held to upstream (support.make_client)."""

from __future__ import annotations

import json

import pytest

from cloudtower_sim.mock_server.domain import scenario

from .support import READS, Api, make_client

EDGE = {"ip": "10.20.0.10", "username": "admin", "password": "edge-pass", "datacenter_id": ""}  # default.yaml


@pytest.fixture
def api():
    return Api(make_client())


def connect(api, **params):
    [answer] = api.ok("connect-cluster", [{**EDGE, **params}])
    return answer, api.task(answer["task_id"])


def test_the_providers_connect_adds_the_reachable_cluster_with_all_it_holds(api):
    answer, task = connect(api)
    assert task["status"] == "SUCCESSED" and task["resource_mutation"] == "connectCluster"
    assert task["resource_id"] == answer["data"]["id"]
    cluster = api.one("clusters", {"id": answer["data"]["id"]})  # the provider's read-back
    assert (cluster["name"], cluster["ip"], cluster["connect_state"], cluster["version"]) == (
        "smtx-edge", "10.20.0.10", "CONNECTED", "6.0.0")
    assert cluster["entityAsyncStatus"] is None and cluster["datacenters"] == []
    mine = {"where": {"cluster": {"id": cluster["id"]}}}
    assert [h["name"] for h in api.ok("get-hosts", mine)] == [f"smtx-edge-node-{k}" for k in (1, 2, 3)]
    assert api.ok("get-vms", mine) == []
    assert len(api.ok("get-vdses", mine)) == 1 and len(api.ok("get-elf-storage-policies", mine)) == 2
    assert {v["name"] for v in api.ok("get-vlans", {"where": {"vds": {"cluster": {"id": cluster["id"]}}}})} == {
        "mgmt-network", "default", "vlan-100", "vlan-200"}
    assert "password" not in json.dumps(task["args"]) and task["args"]["username"] == "admin"


def test_while_it_connects_the_cluster_is_initializing_and_named_by_its_ip(api):
    api.clock(mode="manual")
    [answer] = api.ok("connect-cluster", [EDGE])
    early = api.one("clusters", {"id": answer["data"]["id"]})
    assert (early["name"], early["connect_state"], early["entityAsyncStatus"], early["host_num"]) == (
        "10.20.0.10", "INITIALIZING", "CREATING", 0)
    status, data, _ = api("delete-cluster", {"where": {"id": early["id"]}})
    assert status == 400 and data["code"] == "ResourceLocked" and "is running on cluster" in data["message"]
    api.clock(advance=10)
    assert api.one("clusters", {"id": early["id"]})["connect_state"] == "CONNECTED"


def test_connect_puts_the_cluster_in_the_datacenter_named(api):
    dc = api.one("datacenters", "dc-1")
    answer, task = connect(api, datacenter_id=dc["id"])
    assert [d["id"] for d in api.one("clusters", {"id": answer["data"]["id"]})["datacenters"]] == [dc["id"]]
    status, data, _ = api("connect-cluster", [{**EDGE, "ip": "10.20.0.11", "datacenter_id": "nope"}])
    assert status == 404 and "datacenter_id" in data["message"]


@pytest.mark.parametrize("params, code, words", [
    ({"password": "wrong"}, "LOAD_CLUSTER_UNAUTHORIZED", "HTTPError: Response code 401"),
    ({"username": "root"}, "LOAD_CLUSTER_UNAUTHORIZED", "HTTPError: Response code 401"),
    ({"ip": "10.20.0.99"}, "LOAD_CLUSTER_NETWORK_ERROR", "RequestError: connect EHOSTUNREACH 10.20.0.99"),
    ({"ip": "edge.example"}, "LOAD_CLUSTER_NETWORK_ERROR", "RequestError: getaddrinfo ENOTFOUND edge.example"),
])
def test_a_failed_connection_fails_the_task_as_a_towers_connector_and_leaves_no_cluster(api, params, code, words):
    before = api.ok("get-clusters", {})
    answer, task = connect(api, **params)
    assert task["status"] == "FAILED" and task["error_code"] == code and words in task["error_message"]
    assert api.ok("get-clusters", {}) == before
    assert api.ok("get-hosts", {"where": {"cluster": {"id": answer["data"]["id"]}}}) == []


@pytest.mark.parametrize("body, status, named", [
    ([{**EDGE, "ip": "10.10.0.10"}], 400, "already connected"),  # smtx-prod's
    ([EDGE, EDGE], 400, "twice"),
    ([{**EDGE, "ip": "  "}], 400, "[0].ip"),
    ([{**EDGE, "primary_zone_datacenter_id": "x"}], 501, "stretched"),
])
def test_connect_refuses_before_any_task(api, body, status, named):
    tasks = api.ok("get-tasks", {})
    got, data, _ = api("connect-cluster", body)
    assert got == status and named in data["message"], data
    assert api.ok("get-tasks", {}) == tasks


def test_update_logs_in_again_and_moves_the_datacenter(api):
    answer, _ = connect(api)
    cluster_id, dc = answer["data"]["id"], api.one("datacenters", "dc-1")
    [moved] = api.ok("update-cluster", {"where": {"id": cluster_id}, "data": {**EDGE, "datacenter_id": dc["id"]}})
    assert api.task(moved["task_id"])["status"] == "SUCCESSED"
    assert [d["name"] for d in api.one("clusters", {"id": cluster_id})["datacenters"]] == ["dc-1"]
    [refused] = api.ok("update-cluster", {"where": {"id": cluster_id}, "data": {**EDGE, "password": "new"}})
    failed = api.task(refused["task_id"])
    assert failed["status"] == "FAILED" and failed["error_code"] == "LOAD_CLUSTER_UNAUTHORIZED"
    # nothing changed: the tower still logs in with the old password
    [again] = api.ok("update-cluster", {"where": {"id": cluster_id}, "data": {"datacenter_id": "", "ip": EDGE["ip"]}})
    assert api.task(again["task_id"])["status"] == "SUCCESSED"


def test_update_cannot_point_a_cluster_at_another(api):
    prod = api.one("clusters", "smtx-prod")
    status, data, _ = api("update-cluster", {"where": {"id": prod["id"]}, "data": {"ip": "10.10.0.10"}})
    assert status == 200  # its own ip
    status, data, _ = api("update-cluster", {"where": {"id": prod["id"]}, "data": {
        "ip": "10.20.0.10", "username": "admin", "password": "edge-pass"}})
    task = api.task(data[0]["task_id"])
    assert task["error_code"] == "LOAD_CLUSTER_NOT_FOUND" and "smtx-edge" in task["error_message"]
    assert api.one("clusters", {"id": prod["id"]})["ip"] == "10.10.0.10"
    connect(api)
    status, data, _ = api("update-cluster", {"where": {"id": prod["id"]}, "data": {"ip": "10.20.0.10"}})
    assert status == 400 and "already connected" in data["message"]


def _mentions(api, cluster_id: str) -> dict:
    """Each read whose answer names `cluster_id` anywhere, but the tasks and upload tasks: history keeps what they
    acted on, as it does when a VM or an image is deleted."""
    found = {}
    for path in READS:  # the get-x and get-x-connection of each kind read
        if path.startswith(("/get-tasks", "/get-upload-tasks")):
            continue
        text = json.dumps(api.ok(path[1:], {}))
        if cluster_id in text:
            found[path] = text.count(cluster_id)
    return found


def test_delete_takes_the_cluster_and_all_it_held_out_of_every_read_and_a_reconnect_loads_it_anew(api):
    prod = api.one("clusters", "smtx-prod")
    assert _mentions(api, prod["id"])  # the check can fail: the world names it everywhere
    vm_ids = {v["id"] for v in api.ok("get-vms", {})}
    [answer] = api.ok("delete-cluster", {"where": {"id": prod["id"]}})
    assert answer["data"] == {"id": prod["id"]}
    assert api.task(answer["task_id"])["status"] == "SUCCESSED"
    assert _mentions(api, prod["id"]) == {}
    assert api.ok("get-vms", {}) == [] and api.ok("get-hosts", {}) == []
    assert api.ok("get-tasks", {"where": {"cluster": {"id": prod["id"]}}})  # the history stays
    [back] = api.ok("connect-cluster", [{"ip": "10.10.0.10", "username": "root", "password": "HC!r0cks"}])
    assert api.task(back["task_id"])["status"] == "SUCCESSED"
    vms = api.ok("get-vms", {})
    assert len(vms) == 18 and not vm_ids & {v["id"] for v in vms}  # the same VMs, as a tower loads them anew
    assert api.vm("db-01")["status"] == "RUNNING"


def test_delete_waits_for_the_tasks_on_the_cluster(api):
    api.clock(mode="manual")
    api.ok("start-vm", {"where": {"name": "test-01"}})
    status, data, _ = api("delete-cluster", {"where": {"name": "smtx-prod"}})
    assert status == 400 and data["code"] == "ResourceLocked" and "running on cluster smtx-prod" in data["message"]
    api.clock(advance=60)
    [answer] = api.ok("delete-cluster", {"where": {"name": "smtx-prod"}})
    assert api.task(answer["task_id"])["status"] in ("PENDING", "EXECUTING")
    assert api.one("clusters", "smtx-prod")["entityAsyncStatus"] == "DELETING"


def test_a_read_only_user_may_not_connect_update_or_delete(api):
    token = api.client.post("/v2/api/login", json={"username": "viewer", "password": "viewer-pass"}).get_json()
    viewer = Api(api.client, token["data"]["token"])
    for op, body in (("connect-cluster", [EDGE]), ("update-cluster", {"where": {}, "data": {"ip": "10.10.0.10"}}),
                     ("delete-cluster", {"where": {"name": "smtx-prod"}})):
        status, data, _ = viewer(op, body)
        assert status == 403 and "READ_ONLY" in data["message"], (op, data)
    assert len(api.ok("get-clusters", {})) == 1


@pytest.mark.parametrize("entry, named", [
    ({"name": "x", "ip": "10.9.9.9", "username": "a"}, "missing required key 'password'"),
    ({"name": "x", "ip": "not-an-ip", "username": "a", "password": "b"}, "expected an IPv4 address"),
    ({"name": "x", "ip": "10.1.0.10", "username": "a", "password": "b"}, "already the ip of cluster 'c1'"),
    ({"name": "x", "ip": "10.9.9.9", "username": "a", "password": "b", "hosts": [{"name": "h", "memory_gib": 8}]},
     "leaves nothing for VMs"),
])
def test_a_broken_reachable_cluster_stops_the_start(entry, named):
    with pytest.raises(scenario.ScenarioError, match=named):
        scenario.build(scenario.from_data({"clusters": [{"name": "c1", "ip": "10.1.0.10"}],
                                           "reachable_clusters": [entry]}))
