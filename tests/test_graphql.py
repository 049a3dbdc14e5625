"""CloudTower's GraphQL endpoint, POST /api (issue 31, first part): what real clients send, byte for byte where
../shared/reference/graphql.md gives it, answered with exactly the selection asked for; errors as clients parse them;
hostile documents bounded."""

from __future__ import annotations

import json
import re

import pytest
from graphql import get_introspection_query

from cloudtower_sim.mock_server.schema.spec import VERSIONS

from .support import make_client, per_version


def post(client, body, headers=None):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body, separators=(",", ":"))
    r = client.post("/api", data=raw, headers={"Content-Type": "application/json", **(headers or {})})
    return r.status_code, r.get_json(), r


@pytest.fixture
def client():
    return make_client()


@pytest.mark.parametrize("body", [
    b'{"query":"{authnStrategies{id,type}}"}',  # the Terraform provider's getLdapConfig
    b'{"operationName":null,"variables":{},"query":"{authnStrategies{id    type}}"}',  # the Go SDK
    b'{"query": "{authnStrategies{id type}}", "variables": {}}',  # the Python and Java SDKs
], ids=["terraform", "go-sdk", "python-sdk"])
def test_authn_strategies_answer_with_no_token_exactly_what_was_selected(client, body):
    status, answer, r = post(client, body)
    assert status == 200 and answer == {"data": {"authnStrategies": [{"id": "ldap-corp", "type": "LDAP"}]}}
    assert r.headers["x-tower-request-id"]


def test_the_ldap_path_of_the_sdks_and_the_provider_works_end_to_end(client):
    """authnStrategies, then REST /login with source AUTHN and the LDAP config's id, then a Bearer call."""
    _, answer, _ = post(client, {"query": "{authnStrategies{id type}}"})
    config = next(s["id"] for s in answer["data"]["authnStrategies"] if s["type"] == "LDAP")
    r = client.post("/v2/api/login", json={"username": "ldap-user", "password": "ldap-pass", "source": "AUTHN",
                                           "auth_config_id": config})
    assert r.status_code == 200, r.get_json()
    bearer = {"Authorization": "Bearer " + r.get_json()["data"]["token"]}
    r = client.post("/v2/api/get-clusters", json={}, headers=bearer)
    assert r.status_code == 200 and r.get_json()


def test_everoutes_login_mutation_gives_a_token_that_rest_takes(client):
    body = {"query": "mutation($data: LoginInput!) {login(data: $data) {token}}",
            "variables": {"data": {"username": "root", "password": "HC!r0cks", "source": "LOCAL"}}}
    status, answer, _ = post(client, body)
    assert status == 200 and set(answer) == {"data"} and set(answer["data"]["login"]) == {"token"}
    r = client.post("/v2/api/get-vms", json={"first": 1}, headers={"Authorization": answer["data"]["login"]["token"]})
    assert r.status_code == 200
    body["variables"]["data"]["password"] = "wrong"
    status, answer, _ = post(client, body)
    assert status == 200 and answer["data"] is None
    [error] = answer["errors"]
    assert error["code"] == "LOGIN_FAILED" and "login failed" in error["message"]


@pytest.mark.parametrize("query,status,code,named", [
    ("{authnStrategies{id nope}}", 400, "GRAPHQL_VALIDATION_FAILED", "nope"),
    ("{authnStrateg", 400, "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    ("{clusters{id}}", 400, "GRAPHQL_VALIDATION_FAILED", 'Cannot query field "clusters" on type "Query".'),
    ('mutation{login(data:{username:"root",password:"HC!r0cks"}){token}}', 400, "GRAPHQL_VALIDATION_FAILED",
     "source"),
    ("{" + " ".join(f"a{i}: authnStrategies{{id}}" for i in range(1001)) + "}", 400, "GRAPHQL_VALIDATION_FAILED",
     "aliases"),
    ("{authnStrategies" + "{id" * 16 + "}" * 17, 400, "GRAPHQL_VALIDATION_FAILED", "nested"),
    (" ".join(f"query q{i}{{authnStrategies{{id}}}}" for i in range(21)), 400, "GRAPHQL_VALIDATION_FAILED",
     "operations"),
], ids=["unknown-field", "unparsable", "not-served", "missing-argument-field", "alias-bomb", "too-deep",
        "too-many-operations"])
def test_a_document_that_cannot_run_is_refused_naming_why(client, query, status, code, named):
    got, answer, _ = post(client, {"query": query})
    assert got == status and answer["data"] is None, answer
    assert answer["errors"][0]["code"] == code and named in answer["errors"][0]["message"], answer


@pytest.mark.parametrize("raw,named", [(b"not json", "not JSON"), (b'{"variables": {}}', "query"),
                                       (b'{"query": "{authnStrategies{id}}", "variables": [1]}', "variables")])
def test_a_body_that_is_no_graphql_request_is_refused(client, raw, named):
    status, answer, _ = post(client, raw)
    assert status == 400 and named in answer["errors"][0]["message"] and answer["errors"][0]["code"] == "BAD_REQUEST"


def test_the_journal_records_graphql_requests_under_api_with_their_operation_name(client):
    post(client, {"operationName": "strategies", "query": "query strategies{authnStrategies{id}}"})
    post(client, {"query": "mutation($d: LoginInput!){login(data: $d){token}}",
                  "variables": {"d": {"username": "root", "password": "HC!r0cks", "source": "LOCAL"}}})
    journal = client.get("/_sim/requests", query_string={"path": "/api"}).get_json()
    assert [(e["path"], e["status"], e["body"]["operationName"]) for e in journal] == [
        ("/api", 200, "strategies"), ("/api", 200, None)]
    assert journal[1]["body"]["variables"]["d"]["password"] == "***"  # secrets masked, as REST's are


def test_introspection_answers(client):
    status, answer, _ = post(client, {"query": "{__schema{queryType{name} mutationType{name}}}"})
    assert status == 200 and answer["data"]["__schema"] == {"queryType": {"name": "Query"},
                                                            "mutationType": {"name": "Mutation"}}
    # the whole introspection query (GraphiQL's, codegen's) too; a relation is its type whole, as in Tower's schema
    status, answer, _ = post(client, {"query": get_introspection_query()})
    types = {t["name"]: t for t in answer["data"]["__schema"]["types"]}
    nics = next(f for f in types["Vm"]["fields"] if f["name"] == "vm_nics")
    assert status == 200 and nics["type"]["ofType"] == {"kind": "NON_NULL", "name": None, "ofType": {
        "kind": "OBJECT", "name": "VmNic", "ofType": None}}
    assert not [name for name in types if name.startswith("Nested") and name[6:] in types]


def test_no_control_api_still_serves_graphql():
    from cloudtower_sim.mock_server.domain.simulator import Settings

    client = make_client(Settings(control=False))
    status, answer, _ = post(client, {"query": "{authnStrategies{id}}"})
    assert status == 200 and answer["data"]["authnStrategies"] == [{"id": "ldap-corp"}]
    assert client.get("/_sim/clock").status_code == 404


def test_a_token_is_not_needed_and_a_bad_one_does_not_matter_for_login(client):
    status, answer, _ = post(client, {"query": "{authnStrategies{id}}"}, headers={"Authorization": "not-a-token"})
    assert status == 200 and "errors" not in answer


# --- updateVm, as SmartX's Terraform provider sends it ---------------------------------------------------------------

UPDATE_VM = ("mutation updateVm($data:VmUpdateInput!$effect:UpdateVmEffect!$where:VmWhereUniqueInput!)"
             "{updateVm(data: $data, effect: $effect, where:$where){id}}")  # resource_vm.go, verbatim


def update_vm(client, vm_id, data, effect=None, token="cloudtower-sim-root-token"):
    body = {"query": UPDATE_VM, "operationName": "updateVm",
            "variables": {"data": data, "effect": effect or {}, "where": {"id": vm_id}}}
    return post(client, body, headers={"Authorization": token} if token else {})


def rest(client, op, body):
    r = client.post(f"/v2/api/{op}", json=body, headers={"Authorization": "Bearer cloudtower-sim-root-token"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_providers_update_answers_exactly_its_id_and_the_rest_wait_finds_its_task(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})
    status, answer, r = update_vm(client, vm["id"], {
        "name": "tf-renamed", "description": "by terraform", "ha": False, "memory": 8 * 2**30, "vcpu": 4,
        "cpu": {"sockets": 2, "cores": 2}}, effect={"guest_os_username": "root", "guest_os_password": "pw"})
    assert status == 200 and answer == {"data": {"updateVm": {"id": vm["id"]}}}, answer  # the decoder is strict
    # the provider's wait, every 5 s: the newest updateVm task of the VM
    [task] = rest(client, "get-tasks", {"where": {"resource_id": vm["id"], "resource_mutation": "updateVm"},
                                        "orderBy": "local_created_at_DESC", "first": 1})
    assert task["id"] == r.headers["x-task-id"] and task["status"] == "SUCCESSED" and "Edit VM" in task["description"]
    [vm] = rest(client, "get-vms", {"where": {"id": vm["id"]}})
    assert (vm["name"], vm["description"], vm["ha"], vm["memory"], vm["vcpu"], vm["cpu"]) == (
        "tf-renamed", "by terraform", False, 8 * 2**30, 4, {"cores": 2, "sockets": 2})


@pytest.mark.parametrize("token,data,code,named", [
    (None, {"name": "x"}, "UNAUTHENTICATED", "Authorization"),
    ("viewer", {"name": "x"}, "PERMISSION_DENIED", "READ_ONLY"),
    ("root", {}, "BAD_REQUEST", "data"),
    ("root", {"memory": 1.5}, "BAD_REQUEST", "data.memory"),
    ("root", {"vcpu": 3, "cpu": {"sockets": 2, "cores": 2}}, "BAD_REQUEST", "vcpu"),
], ids=["no-token", "read-only", "nothing", "half-byte", "bad-topology"])
def test_a_refused_update_changes_nothing_and_says_why(client, token, data, code, named):
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})
    if token == "viewer":
        token = rest(client, "login", {"username": "viewer", "password": "viewer-pass"})["data"]["token"]
    elif token == "root":
        token = "cloudtower-sim-root-token"
    tasks = len(rest(client, "get-tasks", {}))
    status, answer, r = update_vm(client, vm["id"], data, token=token)
    assert status == 200 and answer["data"] == {"updateVm": None}, answer
    [error] = answer["errors"]
    assert error["code"] == code and named in error["message"], error
    assert "x-task-id" not in r.headers and len(rest(client, "get-tasks", {})) == tasks
    assert rest(client, "get-vms", {"where": {"id": vm["id"]}}) == [vm]


def test_an_update_of_a_vm_that_is_not_there_or_of_a_field_not_served_is_refused_naming_it(client):
    status, answer, _ = update_vm(client, "no-such-vm", {"name": "x"})
    [error] = answer["errors"]
    assert status == 200 and error["code"] == "NOT_FOUND" and "no-such-vm" in error["message"], error
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})
    status, answer, _ = update_vm(client, vm["id"], {"clock_offset": "LOCALTIME"})
    assert status == 400 and "clock_offset" in answer["errors"][0]["message"], answer  # not served: never ignored


def test_the_journal_has_the_graphql_update_with_its_task(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})
    _, _, r = update_vm(client, vm["id"], {"description": "journaled"})
    [entry] = client.get("/_sim/requests", query_string={"path": "/api"}).get_json()
    assert entry["body"]["operationName"] == "updateVm" and entry["task_ids"] == [r.headers["x-task-id"]]


ACCOUNT = {"guest_os_username": "root", "guest_os_password": "guest-pw"}


def test_hostname_and_dns_servers_are_set_in_a_running_guest_with_a_guest_account(client):
    """resource_vm.go: the hostname with the guest OS account once VMTools runs, then dns_servers alone."""
    [vm] = rest(client, "get-vms", {"where": {"name": "web-01"}})
    assert vm["vm_tools_status"] == "RUNNING"
    for data in ({"hostname": "web-01.corp"}, {"dns_servers": "10.0.0.2,10.0.0.3"}):
        status, answer, _ = update_vm(client, vm["id"], data, effect=ACCOUNT)
        assert status == 200 and answer == {"data": {"updateVm": {"id": vm["id"]}}}, answer
    [vm] = rest(client, "get-vms", {"where": {"id": vm["id"]}})
    assert (vm["hostname"], vm["dns_servers"]) == ("web-01.corp", "10.0.0.2,10.0.0.3")


@pytest.mark.parametrize("name,effect,named", [
    ("web-01", {}, "effect.guest_os_username"),
    ("test-01", ACCOUNT, "VMTools is not running"),
], ids=["no-guest-account", "vmtools-not-running"])
def test_a_hostname_that_cannot_reach_the_guest_is_refused_saying_why(client, name, effect, named):
    [vm] = rest(client, "get-vms", {"where": {"name": name}})
    status, answer, r = update_vm(client, vm["id"], {"hostname": "h"}, effect=effect)
    assert status == 200 and named in answer["errors"][0]["message"] and "x-task-id" not in r.headers, answer
    assert rest(client, "get-vms", {"where": {"id": vm["id"]}}) == [vm]


# --- reads, with REST's filter language ------------------------------------------------------------------------------

TOKEN_HEADER = {"Authorization": "cloudtower-sim-root-token"}


def test_vms_answer_what_rest_answers_for_the_same_filter_and_order_with_exactly_the_selection(client):
    where = {"status": "RUNNING", "memory_gte": 8 * 2**30, "cluster": {"name": "smtx-prod"}}
    query = ("query($w: VmWhereInput){vms(where: $w, orderBy: memory_DESC, first: 5, skip: 1)"
             "{id name memory cpu{cores} host{name} labels{key}}}")
    status, answer, r = post(client, {"query": query, "variables": {"w": where}}, headers=TOKEN_HEADER)
    assert status == 200 and "errors" not in answer, answer
    expected = rest(client, "get-vms", {"where": where, "orderBy": "memory_DESC", "first": 5, "skip": 1})
    assert answer["data"]["vms"] == [
        {"id": v["id"], "name": v["name"], "memory": v["memory"], "cpu": {"cores": v["cpu"]["cores"]},
         "host": {"name": v["host"]["name"]}, "labels": [{"key": lb["key"]} for lb in v["labels"]]} for v in expected]
    assert answer["data"]["vms"] and b".0," not in r.get_data()  # whole bytes written whole: no 8589934592.0


def test_one_vm_or_task_by_its_unique_where_and_null_when_there_is_none(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "db-01"}})
    _, _, r = update_vm(client, vm["id"], {"description": "read back"})
    query = ('query($v: VmWhereUniqueInput!, $t: TaskWhereUniqueInput!)'
             '{vm(where: $v){name description} task(where: $t){status resource_mutation resource_id} '
             'none: vm(where: {id: "nope"}){id}}')
    status, answer, _ = post(client, {"query": query, "variables": {
        "v": {"local_id": vm["local_id"]}, "t": {"id": r.headers["x-task-id"]}}}, headers=TOKEN_HEADER)
    assert status == 200 and answer == {"data": {
        "vm": {"name": "db-01", "description": "read back"},
        "task": {"status": "SUCCESSED", "resource_mutation": "updateVm", "resource_id": vm["id"]}, "none": None}}


@pytest.mark.parametrize("query,named", [
    ('{vms(where: {nmae: "x"}){id}}', "nmae"),
    ("{vms(orderBy: size_UP){id}}", "size_UP"),
    ("{vms{id not_a_field}}", "not_a_field"),
], ids=["unknown-filter", "unknown-order", "unknown-field"])
def test_a_read_naming_what_vm_does_not_have_is_refused_naming_it(client, query, named):
    status, answer, _ = post(client, {"query": query}, headers=TOKEN_HEADER)
    assert status == 400 and named in answer["errors"][0]["message"], answer


def test_a_read_needs_a_token(client):
    status, answer, _ = post(client, {"query": "{vms{id}}"})
    assert status == 200 and answer["data"] is None and answer["errors"][0]["code"] == "UNAUTHENTICATED"


# everoute's reads, as its reflector builds them from its types (plugin/tower/pkg/schema/types.go, task_types.go;
# informer/reflector.go), and the pattern by which it finds a field its tower lacks, to ask again without it
EVEROUTE_VMS = ("query {vms {id,name,description,vcpu,memory,status,vm_nics{id,vlan{id,vds{id},name,vlan_id,type},"
                "enabled,mirror,model,mac_address,ip_address,interface_id,guest_info_ip_addresses,"
                "guest_info_ip_addresses_v6}}}")
EVEROUTE_LABELS = "query {labels {id,key,value,vms{id}}}"
EVEROUTE_TASKS = ("query {tasks(last: 20, orderBy: local_created_at_ASC) {id,description,error_code,error_message,"
                  "internal,progress,snapshot,status}}")
NOT_EXIST = re.compile(r'^Cannot query field "(?P<field>\w+)" on type "(?P<parent_name>\w+)"\.')


def test_everoutes_vm_read_learns_which_fields_a_4_6_tower_lacks_then_reads_the_vms_through_their_nics(client):
    status, answer, _ = post(client, {"query": EVEROUTE_VMS}, headers=TOKEN_HEADER)
    # VmNic's guest addresses came with tower 4.7.0 (the SDK's changelog); everoute's own pattern finds them
    assert status == 400 and {NOT_EXIST.match(e["message"]).groups() for e in answer["errors"]} == {
        ("guest_info_ip_addresses", "VmNic"), ("guest_info_ip_addresses_v6", "VmNic")}
    query = EVEROUTE_VMS.replace(",guest_info_ip_addresses,guest_info_ip_addresses_v6", "")
    status, answer, _ = post(client, {"query": query}, headers=TOKEN_HEADER)
    assert status == 200 and "errors" not in answer, answer
    vlans = {v["id"]: v for v in rest(client, "get-vlans", {})}
    nics = {n["id"]: n for n in rest(client, "get-vm-nics", {})}
    expected = []
    for vm in rest(client, "get-vms", {}):
        expected.append({k: vm[k] for k in ("id", "name", "description", "vcpu", "memory", "status")} | {"vm_nics": [
            {"id": n["id"], "vlan": {"id": n["vlan"]["id"], "vds": {"id": vlans[n["vlan"]["id"]]["vds"]["id"]},
                                     "name": n["vlan"]["name"], "vlan_id": vlans[n["vlan"]["id"]]["vlan_id"],
                                     "type": vlans[n["vlan"]["id"]]["type"]}}
            | {k: n[k] for k in ("enabled", "mirror", "model", "mac_address", "ip_address", "interface_id")}
            for n in (nics[ref["id"]] for ref in vm["vm_nics"])]})
    assert answer["data"]["vms"] == expected and any(v["vm_nics"] for v in expected)


def test_everoutes_label_and_task_reads_answer_what_rest_answers(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "web-01"}})
    for i in range(3):
        update_vm(client, vm["id"], {"description": f"edit {i}"})
    status, answer, _ = post(client, {"query": EVEROUTE_LABELS}, headers=TOKEN_HEADER)
    assert status == 200 and answer["data"]["labels"] == [
        {"id": lb["id"], "key": lb["key"], "value": lb["value"], "vms": [{"id": v["id"]} for v in lb["vms"]]}
        for lb in rest(client, "get-labels", {})]
    assert any(lb["vms"] for lb in answer["data"]["labels"])
    status, answer, _ = post(client, {"query": EVEROUTE_TASKS}, headers=TOKEN_HEADER)
    fields = ("id", "description", "error_code", "error_message", "internal", "progress", "snapshot", "status")
    assert status == 200 and answer["data"]["tasks"] == [
        {k: t[k] for k in fields} for t in rest(client, "get-tasks", {"last": 20, "orderBy": "local_created_at_ASC"})]
    assert len(answer["data"]["tasks"]) == 3
    status, answer, _ = post(client, {"query": "{hosts(where: {name_starts_with: \"node\"}){id name}}"},
                             headers=TOKEN_HEADER)
    assert answer["data"]["hosts"] == [{"id": h["id"], "name": h["name"]} for h in rest(client, "get-hosts", {})]


@pytest.mark.parametrize("version", per_version(VERSIONS))
def test_every_served_version_has_its_graphql_reads(version):
    from cloudtower_sim.mock_server.domain.simulator import Settings

    client = make_client(Settings(api_version=version))
    status, answer, _ = post(client, {"query": "{vms(first: 1){id name} tasks(first: 1){id}}"}, headers=TOKEN_HEADER)
    assert status == 200 and len(answer["data"]["vms"]) == 1, answer


def test_a_fault_targets_a_graphql_operation_by_its_root_field(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})
    assert client.post("/_sim/faults", json={"path": "/api/updateVm", "status": 503, "message": "down"}
                       ).status_code == 200
    status, answer, _ = update_vm(client, vm["id"], {"description": "x"})
    assert status == 503 and answer == {"data": None, "errors": [{"message": "down", "code": "INJECTED_FAULT"}]}
    assert client.post("/_sim/faults", json={"path": "/api/updateVm", "task": {
        "error_code": "VM_UPDATE_FAILED", "error_message": "injected"}}).status_code == 200
    status, answer, r = update_vm(client, vm["id"], {"description": "y"})
    assert status == 200 and answer == {"data": {"updateVm": {"id": vm["id"]}}}
    [task] = rest(client, "get-tasks", {"where": {"id": r.headers["x-task-id"]}})
    assert (task["status"], task["error_code"]) == ("FAILED", "VM_UPDATE_FAILED")
    status, answer, _ = update_vm(client, vm["id"], {"description": "z"})  # both spent
    assert status == 200 and rest(client, "get-vms", {"where": {"id": vm["id"]}})[0]["description"] == "z"
    journal = client.get("/_sim/requests", query_string={"path": "/api"}).get_json()
    assert [e.get("fault") is not None for e in journal] == [True, True, False]



def test_the_providers_nic_replacement_after_a_clone_is_one_update_with_static_addresses(client):
    """resource_vm.go lines 2806 and 2825: delete every NIC, create them with static IPs, in one updateVm."""
    [vm] = rest(client, "get-vms", {"where": {"name": "web-01"}})  # running: VIRTIO NICs are hot-plugged
    old = rest(client, "get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})
    [vlan] = rest(client, "get-vlans", {"where": {"name": "vlan-100"}})
    created = {"enabled": True, "gateway": "10.0.0.1", "ip_address": "10.0.0.77", "mac_address": "", "local_id": "",
               "subnet_mask": "255.255.255.0", "model": "VIRTIO", "nic": {"connect": {"id": ""}},
               "vlan": {"connect": {"id": vlan["id"]}}, "ip_type": "STATIC"}
    status, answer, r = update_vm(client, vm["id"], {"vm_nics": {"create": [created],
                                                                 "delete": [{"id": n["id"]} for n in old]}})
    assert status == 200 and answer == {"data": {"updateVm": {"id": vm["id"]}}}, answer
    [nic] = rest(client, "get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})
    assert (nic["ip_address"], nic["gateway"], nic["subnet_mask"], nic["vlan"]["name"]) == (
        "10.0.0.77", "10.0.0.1", "255.255.255.0", "vlan-100")
    assert len(rest(client, "get-tasks", {"where": {"resource_id": vm["id"], "resource_mutation": "updateVm"}})) == 1


@pytest.mark.parametrize("change,named", [
    ({"delete": [{"id": "not-its-nic"}]}, "data.vm_nics.delete[0].id"),
    ({"create": [{"local_id": "", "vlan": {"connect": {"id": "nope"}}}]}, "data.vm_nics.create[0].vlan.connect.id"),
    ({"create": [{"local_id": "", "model": "E1000", "vlan": {"connect": {"id": "@vlan"}}}]}, "RUNNING"),
    ({"create": [{"local_id": "", "nic": {"connect": {"id": "eth4"}}, "vlan": {"connect": {"id": "@vlan"}}}]},
     "SR-IOV"),
], ids=["not-its-nic", "unknown-vlan", "e1000-on-running", "sriov"])
def test_a_nic_change_that_cannot_be_is_refused_and_changes_nothing(client, change, named):
    [vm] = rest(client, "get-vms", {"where": {"name": "web-01"}})
    [vlan] = rest(client, "get-vlans", {"where": {"name": "vlan-100"}})
    change = json.loads(json.dumps(change).replace("@vlan", vlan["id"]))
    before = rest(client, "get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})
    status, answer, r = update_vm(client, vm["id"], {"vm_nics": change})
    assert status == 200 and named in answer["errors"][0]["message"] and "x-task-id" not in r.headers, answer
    assert rest(client, "get-vm-nics", {"where": {"vm": {"id": vm["id"]}}}) == before



def disks_of(client, vm_id):
    return rest(client, "get-vm-disks", {"where": {"vm": {"id": vm_id}}, "orderBy": "boot_ASC"})


def test_the_providers_disk_edits_add_update_and_remove_in_one_update_each(client):
    [vm] = rest(client, "get-vms", {"where": {"name": "test-01"}})  # STOPPED: IDE CD-ROM drives too
    [iso] = rest(client, "get-elf-images", {"where": {"name_ends_with": ".iso"}, "first": 1})
    status, answer, _ = update_vm(client, vm["id"], {"vm_disks": {"create": [
        {"boot": 5, "bus": "VIRTIO", "type": "DISK", "vm_volume": {"create": {
            "name": "tf-data", "path": "", "size": 10 * 2**30, "elf_storage_policy": "REPLICA_2_THIN_PROVISION",
            "local_created_at": "", "local_id": "", "mounting": False, "sharing": False,
            "cluster": {"connect": {"id": vm["cluster"]["id"]}}}}},
        {"boot": 6, "type": "CD_ROM", "elf_image": {"connect": {"id": iso["id"]}}}]}})
    assert status == 200 and answer == {"data": {"updateVm": {"id": vm["id"]}}}, answer
    disks = {d["boot"]: d for d in disks_of(client, vm["id"])}
    assert disks[5]["vm_volume"]["name"] == "tf-data" and disks[6]["elf_image"]["id"] == iso["id"]
    status, answer, _ = update_vm(client, vm["id"], {"vm_disks": {"update": [
        {"where": {"id": disks[5]["id"]}, "data": {"bus": "SCSI"}},
        {"where": {"id": disks[6]["id"]}, "data": {"elf_image": {"disconnect": True}}}]}})
    assert status == 200, answer
    disks = {d["boot"]: d for d in disks_of(client, vm["id"])}
    assert disks[5]["bus"] == "SCSI" and disks[6]["elf_image"] is None
    status, answer, _ = update_vm(client, vm["id"], {"vm_disks": {"delete": [{"id": disks[5]["id"]}]}})
    assert status == 200 and 5 not in {d["boot"] for d in disks_of(client, vm["id"])}
    assert rest(client, "get-vm-volumes", {"where": {"name": "tf-data"}})  # the volume stays, as SMTX keeps it


@pytest.mark.parametrize("vm_name,change,named", [
    ("test-01", {"delete": [{"id": "not-its-disk"}]}, "data.vm_disks.delete[0].id"),
    ("test-01", {"create": [{"vm_volume": {"create": {"name": "x", "size": 2**30, "elf_storage_policy": "EC"}}}]},
     "data.vm_disks.create[0].vm_volume.create.elf_storage_policy"),
    ("test-01", {"create": [{"bus": "VIRTIO"}]}, "data.vm_disks.create[0].vm_volume"),
    ("web-01", {"create": [{"bus": "IDE", "vm_volume": {"create": {
        "name": "x", "size": 2**30, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}}]}, "RUNNING"),
], ids=["not-its-disk", "ec", "no-volume", "ide-on-running"])
def test_a_disk_change_that_cannot_be_is_refused_and_changes_nothing(client, vm_name, change, named):
    [vm] = rest(client, "get-vms", {"where": {"name": vm_name}})
    before = disks_of(client, vm["id"])
    status, answer, r = update_vm(client, vm["id"], {"vm_disks": change})
    assert status == 200 and named in answer["errors"][0]["message"] and "x-task-id" not in r.headers, answer
    assert disks_of(client, vm["id"]) == before


@pytest.mark.parametrize("variables,named", [
    ({"w": json.loads('{"AND": [' * 40 + '{"name": "x"}' + ']}' * 40)}, "nested more than"),
    ({"w": {"OR": [{"name": f"vm-{i}"} for i in range(300)]}}, "input fields"),
], ids=["deep-where", "wide-where"])
def test_a_filter_beyond_rests_bounds_is_refused_naming_the_bound(client, variables, named):
    status, answer, _ = post(client, {"query": "query($w: VmWhereInput){vms(where: $w){id}}", "variables": variables},
                             headers=TOKEN_HEADER)
    assert status == 400 and named in answer["errors"][0]["message"], answer


def test_a_filter_written_in_the_document_counts_its_clauses_too(client):
    clauses = ", ".join(f'{{name: "vm-{i}"}}' for i in range(250))
    status, answer, _ = post(client, {"query": f"{{vms(where: {{OR: [{clauses}]}}){{id}}}}"}, headers=TOKEN_HEADER)
    assert status == 400 and "input fields" in answer["errors"][0]["message"], answer


def test_the_start_does_not_import_graphql_core():
    """graphql-core takes 15 MB and 0.18 s to import: a simulator that is never asked GraphQL never pays them."""
    import subprocess
    import sys

    code = ("import sys\nfrom cloudtower_sim.mock_server.api import create_app\napp = create_app()\n"
            "assert 'graphql' not in sys.modules, 'imported at start'\n"
            "r = app.test_client().post('/api', json={'query': '{authnStrategies{id}}'})\n"
            "assert r.status_code == 200 and 'graphql' in sys.modules, r.get_data()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
