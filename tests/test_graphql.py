"""CloudTower's GraphQL endpoint, POST /api (issue 31, first part): what real clients send, byte for byte where
../shared/reference/graphql.md gives it, answered with exactly the selection asked for; errors as clients parse them;
hostile documents bounded."""

from __future__ import annotations

import json

import pytest

from .support import make_client


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
    ("{vms{id}}", 400, "GRAPHQL_VALIDATION_FAILED", "vms"),
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


def test_no_control_api_still_serves_graphql():
    from cloudtower_sim.mock_server.domain.simulator import Settings

    client = make_client(Settings(control=False))
    status, answer, _ = post(client, {"query": "{authnStrategies{id}}"})
    assert status == 200 and answer["data"]["authnStrategies"] == [{"id": "ldap-corp"}]
    assert client.get("/_sim/clock").status_code == 404


def test_a_token_is_not_needed_and_a_bad_one_does_not_matter_for_login(client):
    status, answer, _ = post(client, {"query": "{authnStrategies{id}}"}, headers={"Authorization": "not-a-token"})
    assert status == 200 and "errors" not in answer
