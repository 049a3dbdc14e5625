"""Who may call what: both token forms a real tower takes, and roles (a READ_ONLY user reads, and is refused every
operation that changes something, with nothing carried out)."""

import json

import pytest

from cloudtower_sim.mock_server.api.registry import simulated
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import TOKEN, Api, make_client, per_operation

MUTATIONS = sorted(p for p, b in simulated().items() if b.mutation)
READS = sorted(p for p, b in simulated().items() if not b.mutation and b.op.auth)


def login(client, username, password):
    r = client.post("/v2/api/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["data"]["token"]


def world(client) -> str:
    api = Api(client)
    return json.dumps([api.ok(op) for op in ("get-vms", "get-hosts", "get-clusters", "get-tasks")], sort_keys=True)


@pytest.mark.parametrize("header", [TOKEN, f"Bearer {TOKEN}"])
def test_the_bare_token_and_bearer_both_authenticate(client, header):
    r = client.post("/v2/api/get-vms", json={"first": 1}, headers={"Authorization": header})
    assert r.status_code == 200 and len(r.get_json()) == 1


def test_mutations_and_reads_are_both_listed():
    assert "/poweroff-vm" in MUTATIONS and "/enter-maintance-mode" in MUTATIONS and "/create-vm" in MUTATIONS
    assert "/get-vms" in READS and "/exit-maintance-mode-precheck-result" in READS


@pytest.mark.parametrize("path", per_operation(MUTATIONS))
def test_a_read_only_user_is_refused_every_mutation_and_nothing_happens(path):
    client = make_client()
    viewer = login(client, "viewer", "viewer-pass")
    vm = Api(client).ok("get-vms", {"where": {"name": "web-01"}})[0]
    host = Api(client).ok("get-hosts", {"where": {"name": "node-4"}})[0]
    # bodies that the root user would get accepted, so only the role can refuse them
    bodies = {"/create-vm": [{"cluster_id": vm["cluster"]["id"], "name": "ro", "ha": True, "firmware": "BIOS",
                              "status": "STOPPED", "memory": 1, "memory_unit": "GB", "cpu_cores": 1,
                              "cpu_sockets": 1, "vm_nics": [], "vm_disks": {}}],
              "/enter-maintenance-mode-precheck": {"where": {"id": host["id"]}},
              "/enter-maintance-mode": {"where": {"host_id": host["id"]}, "data": {}},
              "/exit-maintance-mode": {"where": {"host_id": host["id"]}, "data": {}},
              "/update-vm-basic-info": {"where": {"id": vm["id"]}, "data": {"description": "ro"}}}
    before = world(client)
    r = client.post("/v2/api" + path, json=bodies.get(path, {"where": {"id": vm["id"]}}),
                    headers={"Authorization": viewer})
    body = r.get_json()
    assert r.status_code == 403, body
    assert body["status"] == 403 and "READ_ONLY" in body["message"] and body["path"] == "/v2/api" + path
    assert world(client) == before


@pytest.mark.parametrize("path", per_operation(READS))
def test_a_read_only_user_reads(path, client):
    viewer = login(client, "viewer", "viewer-pass")
    host = Api(client).ok("get-hosts", {"where": {"name": "node-4"}})[0]
    body = {"/enter-maintance-mode-precheck-result": {"where": {"task_id": "none"}},
            "/exit-maintance-mode-precheck-result": {"where": {"id": host["id"]}}}.get(path, {})
    r = client.post("/v2/api" + path, json=body, headers={"Authorization": viewer})
    assert r.status_code != 403, r.get_json()  # 200, or the 404/400 the root user would get too


def test_admin_and_root_may_change(tmp_path):
    scenario = tmp_path / "roles.yaml"
    scenario.write_text("users:\n  - {username: admin, password: a, role: ADMIN, tokens: [admin-token]}\n"
                        "  - {username: root, password: r, role: ROOT, tokens: [root-token]}\n"
                        "clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 64}]\n"
                        "    vms: [{name: a, host: h1, status: RUNNING, memory_gib: 1, vcpu: 1},"
                        " {name: b, host: h1, status: RUNNING, memory_gib: 1, vcpu: 1}]\n")
    client = make_client(Settings(scenario=str(scenario)))
    for token, name in (("admin-token", "a"), ("Bearer root-token", "b")):
        r = client.post("/v2/api/poweroff-vm", json={"where": {"name": name}}, headers={"Authorization": token})
        assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize("source,status", [(None, 200), ("LOCAL", 200), ("LDAP", 400), ("SSO", 400), ("AUTHN", 400)])
def test_a_local_user_logs_in_only_as_local(client, source, status):
    body = {"username": "root", "password": "HC!r0cks", **({"source": source} if source else {})}
    r = client.post("/v2/api/login", json=body)
    assert r.status_code == status, r.get_json()
    if status == 400:  # AUTHN goes through an auth config, which this request does not name
        assert (f"no {source} user" if source != "AUTHN" else "auth_config_id: required") in r.get_json()["message"]


def test_a_scenario_user_of_another_source_logs_in_only_through_it(tmp_path):
    scenario = tmp_path / "ldap.yaml"
    scenario.write_text("users:\n  - {username: alice, password: pw, source: LDAP}\n")
    client = make_client(Settings(scenario=str(scenario)))
    assert client.post("/v2/api/login", json={"username": "alice", "password": "pw"}).status_code == 400
    r = client.post("/v2/api/login", json={"username": "alice", "password": "pw", "source": "LDAP"})
    assert r.status_code == 200, r.get_json()


def test_an_ldap_user_logs_in_through_its_auth_config_and_not_as_local(client):
    """The default world's LDAP user, as the SDKs and the Terraform provider log in after GraphQL's authnStrategies:
    REST /login with source AUTHN and the config's id (../shared/reference/graphql.md)."""
    body = {"username": "ldap-user", "password": "ldap-pass"}
    r = client.post("/v2/api/login", json={**body, "source": "AUTHN", "auth_config_id": "ldap-corp"})
    assert r.status_code == 200, r.get_json()
    token = r.get_json()["data"]["token"]
    r = client.post("/v2/api/get-vms", json={"first": 1}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and len(r.get_json()) == 1
    for extra, named in (({"source": "LOCAL"}, "no LOCAL user"),
                         ({"source": "AUTHN", "auth_config_id": "nope"}, "auth_config_id: no auth config 'nope'"),
                         ({"source": "AUTHN"}, "auth_config_id: required")):
        r = client.post("/v2/api/login", json={**body, **extra})
        assert r.status_code == 400 and named in r.get_json()["message"], (extra, r.get_json())
    r = client.post("/v2/api/login", json={**body, "password": "wrong", "source": "AUTHN",
                                           "auth_config_id": "ldap-corp"})
    assert r.status_code == 400 and "login failed" in r.get_json()["message"]


def test_a_scenario_user_naming_an_unknown_auth_config_is_refused(tmp_path):
    from cloudtower_sim.mock_server.domain import scenario

    data = {"auth_configs": [{"id": "a1", "name": "corp"}],
            "users": [{"username": "u", "password": "p", "source": "LDAP", "auth_config": "a2"}]}
    with pytest.raises(scenario.ScenarioError, match=r"users\[0\]\.auth_config: no auth config 'a2'"):
        scenario.build(scenario.from_data(data))
