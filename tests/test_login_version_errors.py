"""Login, get-version and the error answers validate against upstream, and every response carries a fresh
`x-tower-request-id`."""

from __future__ import annotations

import json

import pytest

from .support import OPERATIONS, READS, TOKEN, Api, check_request_id, per_operation


# --- login, version, errors --------------------------------------------------------------------------------------------

def test_login_answer_validates_and_its_token_works(client, upstream):
    r = client.post("/v2/api/login", json={"username": "root", "password": "HC!r0cks"})
    check_request_id(r)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    upstream.validate("/login", 200, body)
    upstream.validate_schema("WithTask_LoginResponse_", body)
    assert isinstance(body["data"]["token"], str) and body["data"]["token"]
    status, vms, _ = Api(client, body["data"]["token"])("get-vms", {"first": 1})
    assert status == 200 and len(vms) == 1


def test_login_with_every_optional_field_validates(client, upstream):
    r = client.post("/v2/api/login", json={"username": "viewer", "password": "viewer-pass", "source": "LOCAL",
                                           "mfa_type": None, "auth_config_id": None})
    check_request_id(r)
    assert r.status_code == 200, r.get_json()
    upstream.validate("/login", 200, r.get_json())


def test_get_version_is_a_json_string(client, upstream):
    r = client.get("/v2/api/get-version")
    check_request_id(r)
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    body = json.loads(r.get_data(as_text=True))
    upstream.validate("/get-version", 200, body)
    assert isinstance(body, str) and body.count(".") == 2


def test_get_version_needs_no_token_and_ignores_one(client):
    assert client.get("/v2/api/get-version").status_code == 200
    assert client.get("/v2/api/get-version", headers={"Authorization": "garbage"}).status_code == 200


BAD_BODIES = [
    ("/get-vms", {"where": {"memory_gt": "1"}}),
    ("/get-vms", {"where": {"foo": 1}}),
    ("/get-hosts", {"where": {"vms_some": {"bar": True}}}),
    ("/get-clusters", {"orderBy": "nope_ASC"}),
    ("/get-tasks", {"where": {"status": "DONE"}}),
    ("/get-tasks-connection", {"first": -1}),
    ("/get-vms-connection", {"after": "no-such-id"}),
    ("/get-hosts-connection", {"unknown": 1}),
    ("/get-clusters-connection", []),
    ("/login", {"username": "root", "password": "wrong"}),
    ("/login", {"username": "root"}),
]


@pytest.mark.parametrize("path,body", BAD_BODIES, ids=[f"{p}-{json.dumps(b)[:40]}" for p, b in BAD_BODIES])
def test_400_answers_validate_as_the_operations_error_body(client, upstream, path, body):
    headers = {} if path == "/login" else {"Authorization": TOKEN}
    r = client.post("/v2/api" + path, json=body, headers=headers)
    check_request_id(r)
    assert r.status_code == 400, r.get_json()
    data = r.get_json()
    upstream.validate(path, 400, data)
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == 400 and data["path"] == "/v2/api" + path


@pytest.mark.parametrize("op", per_operation(sorted(OPERATIONS)))
def test_every_operations_refusals_validate(client, upstream, op):
    """A body that breaks the operation's schema (400) and, where a token is needed, none (401)."""
    declared = OPERATIONS[op]
    if declared.request is not None:
        body = {"nope": 1} if getattr(declared.request, "name", "").startswith("Get") else {}
        headers = {} if not declared.auth else {"Authorization": TOKEN}
        r = client.open("/v2/api" + op, method=declared.method, json=body, headers=headers)
        check_request_id(r)
        assert r.status_code == 400, (op, r.get_json())
        upstream.validate(op, 400, r.get_json())
    if declared.auth:
        r = client.open("/v2/api" + op, method=declared.method, json={})
        check_request_id(r)
        assert r.status_code == 401, (op, r.get_json())
        upstream.validate_schema("ErrorBody", r.get_json())
    wrong = "POST" if declared.method == "GET" else "GET"
    r = client.open("/v2/api" + op, method=wrong, json={}, headers={"Authorization": TOKEN})
    check_request_id(r)
    assert r.status_code == 405, (op, r.get_json())
    upstream.validate_schema("ErrorBody", r.get_json())


@pytest.mark.parametrize("method,path,status", [
    ("post", "/v2/api/nope", 404),
    ("get", "/v2/api/get-vms-and-more", 404),
    ("post", "/nowhere", 404),
    ("post", "/v2/api/get-users", 501),
    ("post", "/v2/api/create-iscsi-lun", 501),
    ("get", "/v2/api/get-vms", 405),
    ("post", "/v2/api/get-version", 405),
])
def test_other_error_answers_are_error_bodies(client, upstream, method, path, status):
    r = getattr(client, method)(path, json={}, headers={"Authorization": TOKEN})
    check_request_id(r)
    assert r.status_code == status, r.get_data(as_text=True)
    data = r.get_json()
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == status and data["path"] == path
    if status == 404:
        # every upstream operation declares its 404 as an ErrorBody
        upstream.validate("/get-vms", 404, data)


@pytest.mark.parametrize("op", per_operation(READS))
@pytest.mark.parametrize("token", [None, "", "not-a-token", "Bearer not-a-token"])
def test_401_answers_are_error_bodies(client, upstream, op, token):
    headers = {} if token is None else {"Authorization": token}
    r = client.post("/v2/api" + op, json={}, headers=headers)
    check_request_id(r)
    assert r.status_code == 401
    data = r.get_json()
    upstream.validate_schema("ErrorBody", data)
    assert data["status"] == 401 and data["path"] == "/v2/api" + op


def test_request_ids_are_fresh_on_every_response(client):
    seen = set()
    for _ in range(3):
        check_request_id(client.post("/v2/api/get-vms", json={}, headers={"Authorization": TOKEN}), seen)
        check_request_id(client.post("/v2/api/get-vms", json={}), seen)
        check_request_id(client.post("/v2/api/nope", json={}), seen)
        check_request_id(client.get("/v2/api/get-version"), seen)
        check_request_id(client.get("/_sim/openapi.json"), seen)
