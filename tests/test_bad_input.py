"""Bad input gets a clear status and an `ErrorBody` (message, status, path; the body's status is the HTTP status; the
message names what is wrong), never a 500, and never changes the world."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtower_sim.mock_server.domain.states import VmStatus
from cloudtower_sim.mock_server.schema.spec import Spec
from cloudtower_sim.mock_server.schema.types import ListOf

from .support import (JSON, OPERATIONS, QUERY_OPS, TOKEN, assert_error, examples, make_client, per_operation, send,
                      settled_state, snapshot, world_state)

# JSON bodies; the multipart upload operations have their own refusals (tests/test_uploads.py)
BODY_OPS = sorted(p for p, o in OPERATIONS.items() if o.request is not None and not o.form)
ARRAY_BODY_OPS = sorted(p for p in BODY_OPS if isinstance(OPERATIONS[p].request, ListOf))  # /create-vm
OBJECT_BODY_OPS = sorted(set(BODY_OPS) - set(ARRAY_BODY_OPS))
AUTH_OPS = sorted(p for p, o in OPERATIONS.items() if o.auth)
POST_OPS = sorted(p for p, o in OPERATIONS.items() if o.method == "POST")
MUTATIONS = sorted(set(AUTH_OPS) - set(QUERY_OPS))
NOT_SIMULATED = sorted(set(Spec.load().upstream_operations) - set(OPERATIONS))


@pytest.fixture(scope="session")
def oracle(upstream_for):
    """The upstream 4.6.0 spec (or the package's extract of it), which every error body is held to beside the hand
    checks in `assert_error`."""
    return upstream_for("4.6.0")


# --- the body as a whole -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", per_operation(BODY_OPS))
@pytest.mark.parametrize("raw,named", [
    ("{bad", "JSON"),
    ('{"where": {}', "JSON"),
    ("{'where': {}}", "JSON"),
    ("[1, 2,]", "JSON"),
    ("", "body"),
    ("   \n", "body"),
], ids=["malformed", "truncated", "single-quotes", "trailing-comma", "empty", "blank"])
def test_a_body_that_is_not_json_is_400(client, oracle, op, raw, named):
    assert_error(send(client, "/v2/api" + op, raw=raw), 400, named, oracle=oracle)


NOT_OBJECTS = {"array": "[]", "array-of-object": '[{"where": {}}]', "number": "42", "float": "-1.5",
               "string": '"get-vms"', "bool": "true", "null": "null"}
NOT_ARRAYS = {"object": "{}", "object-of-array": '{"0": []}', "number": "42", "string": '"vm"', "bool": "false",
              "null": "null"}


@pytest.mark.parametrize("op", per_operation(OBJECT_BODY_OPS))
@pytest.mark.parametrize("raw", list(NOT_OBJECTS.values()), ids=list(NOT_OBJECTS))
def test_a_json_value_where_an_object_is_expected_is_400(client, oracle, op, raw):
    assert_error(send(client, "/v2/api" + op, raw=raw), 400, "object", oracle=oracle)


@pytest.mark.parametrize("op", per_operation(ARRAY_BODY_OPS))
@pytest.mark.parametrize("raw", list(NOT_ARRAYS.values()), ids=list(NOT_ARRAYS))
def test_a_json_value_where_an_array_is_expected_is_400(client, oracle, op, raw):
    assert_error(send(client, "/v2/api" + op, raw=raw), 400, "array", oracle=oracle)


@pytest.mark.parametrize("op", per_operation(sorted(set(MUTATIONS) & set(BODY_OPS))))
def test_a_mutation_without_its_required_fields_is_400(client, oracle, op):
    body = [{}] if op in ARRAY_BODY_OPS else {}
    before = snapshot(client)
    message = assert_error(send(client, "/v2/api" + op, body), 400, "required", oracle=oracle)["message"]
    request = OPERATIONS[op].request
    name = (request.item if isinstance(request, ListOf) else request).target
    schema = Spec.load().schemas[name]
    while "$ref" in schema:  # RemoveLabelsFromResourcesParams is AddLabelsToResourcesParams by another name
        schema = Spec.load().schemas[schema["$ref"].rsplit("/", 1)[-1]]
    required = schema["required"]
    assert any(field in message for field in required), (message, required)
    assert snapshot(client) == before


@pytest.mark.parametrize("op,body,named", [
    ("/shutdown-vm", {"where": {}}, "STOPPED"),
    ("/suspend-vm", {"where": {"name_in": ["db-01", "test-01"]}}, "test-01"),
    ("/migrate-vm", {"where": {}, "data": {"host_id": "@node-2"}}, "memory"),
    ("/start-vm", {"where": {"status": "STOPPED"}, "data": {"host_id": "no-such-host"}}, "data.host_id"),
])
def test_a_mutation_refused_for_one_of_its_vms_changes_nothing(client, oracle, op, body, named):
    """A `where` that names many VMs, one of them in the wrong state: refused as a whole, nothing half-done."""
    if body.get("data", {}).get("host_id") == "@node-2":
        node2 = send(client, "/v2/api/get-hosts", {"where": {"name": "node-2"}}).get_json()[0]["id"]
        body = {**body, "data": {"host_id": node2}}
    before = snapshot(client)
    r = send(client, "/v2/api" + op, body)
    assert r.status_code in (400, 404), r.get_json()
    assert_error(r, r.status_code, named, oracle=oracle)
    assert snapshot(client) == before


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00", b"\x80\x81\x82", b"\x00\x00\x00{", b"{\"where\": \"\xe9\"}"])
def test_undecodable_bytes_are_400(client, oracle, raw):
    assert_error(send(client, "/v2/api/get-vms", raw=raw), 400, oracle=oracle)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_sent_as_json_is_400_naming_the_content_type(client, oracle, content_type):
    r = client.post("/v2/api/get-vms", data='{"where": {}}', content_type=content_type,
                    headers={"Authorization": TOKEN})
    assert_error(r, 400, "Content-Type", "application/json", oracle=oracle)
    ok = client.post("/v2/api/get-vms", data='{"where": {}}', content_type="application/json; charset=utf-8",
                     headers={"Authorization": TOKEN})
    assert ok.status_code == 200


# --- wrong types and values --------------------------------------------------------------------------------------------

WRONG = [
    ("/get-vms", {"where": {"memory_gt": "1"}}, "where.memory_gt"),
    ("/get-vms", {"where": {"memory_gt": 1.5}}, "where.memory_gt"),
    ("/get-vms", {"where": {"vcpu_gt": 2**31}}, "where.vcpu_gt"),
    ("/get-vms", {"where": {"ha": "yes"}}, "where.ha"),
    ("/get-vms", {"where": {"ha": 1}}, "where.ha"),
    ("/get-vms", {"where": {"name": 5}}, "where.name"),
    ("/get-vms", {"where": {"name_contains": ["a"]}}, "where.name_contains"),
    ("/get-vms", {"first": "1"}, "first"),
    ("/get-vms", {"first": 1.0}, "first"),
    ("/get-vms", {"first": True}, "first"),
    ("/get-vms", {"skip": "2"}, "skip"),
    ("/get-vms", {"last": [1]}, "last"),
    ("/get-vms", {"after": 3}, "after"),
    ("/get-vms", {"orderBy": "bogus_ASC"}, "orderBy"),
    ("/get-vms", {"orderBy": "name_asc"}, "orderBy"),
    ("/get-vms", {"orderBy": "host_ASC"}, "orderBy"),
    ("/get-vms", {"orderBy": ["name_ASC"]}, "orderBy"),
    ("/get-vms", {"where": {"status": "BOOTING"}}, "where.status"),
    ("/get-vms", {"where": {"status": "running"}}, "where.status"),
    ("/get-vms", {"where": {"status_in": ["RUNNING", "NOPE"]}}, "where.status_in[1]"),
    ("/get-vms", {"where": {"name_in": "db-01"}}, "where.name_in"),
    ("/get-vms", {"where": {"name_in": ["db-01", 7]}}, "where.name_in[1]"),
    ("/get-vms", {"where": {"id_in": {"a": 1}}}, "where.id_in"),
    ("/get-vms", {"where": []}, "where"),
    ("/get-vms", {"where": "name"}, "where"),
    ("/get-vms", {"where": {"AND": {"name": "x"}}}, "where.AND"),
    ("/get-vms", {"where": {"OR": [{"name": "x"}, 3]}}, "where.OR[1]"),
    ("/get-vms", {"where": {"host": "node-1"}}, "where.host"),
    ("/get-vms", {"where": {"host": {"total_cpu_cores_gt": "32"}}}, "where.host.total_cpu_cores_gt"),
    ("/get-vms", {"where": {"cluster": {"type": "SMTX"}}}, "where.cluster.type"),
    ("/get-hosts", {"where": {"vms_some": []}}, "where.vms_some"),
    ("/get-hosts", {"where": {"vms_none": {"memory_lt": "8G"}}}, "where.vms_none.memory_lt"),
    ("/get-hosts", {"where": {"status": "HEALTHY"}}, "where.status"),
    ("/get-tasks", {"where": {"status": "SUCCEEDED"}}, "where.status"),
    ("/get-tasks", {"where": {"progress_gt": "0.5"}}, "where.progress_gt"),
    ("/get-tasks-connection", {"where": {"local_created_at_gt": 5}}, "where.local_created_at_gt"),
    ("/get-clusters-connection", {"orderBy": "name"}, "orderBy"),
    ("/login", {"username": "root", "password": 1234}, "password"),
    ("/login", {"username": ["root"], "password": "HC!r0cks"}, "username"),
    ("/login", {"username": "root", "password": "HC!r0cks", "source": "GITHUB"}, "source"),
    ("/login", {"username": "root", "password": "HC!r0cks", "mfa_type": "Phone"}, "mfa_type"),
    ("/login", {"username": "root"}, "password"),
    ("/login", {"password": "HC!r0cks"}, "username"),
    ("/login", {"username": None, "password": "HC!r0cks"}, "username"),
]


@pytest.mark.parametrize("op,body,named", WRONG, ids=[f"{o}-{json.dumps(b)[:50]}" for o, b, _ in WRONG])
def test_wrong_types_and_values_are_400_naming_the_field(client, oracle, op, body, named):
    assert_error(send(client, "/v2/api" + op, body, token=None if op == "/login" else TOKEN), 400, named,
                 oracle=oracle)


def test_an_enum_refusal_lists_the_allowed_values(client):
    body = assert_error(send(client, "/v2/api/get-vms", {"where": {"status": "BOOTING"}}), 400, "where.status")
    for value in ("DELETED", "RUNNING", "STOPPED", "SUSPENDED", "UNKNOWN"):
        assert value in body["message"]
    assert "BOOTING" in body["message"]


UNKNOWN = [
    ("/get-vms", {"where": {"foo": 1}}, "where.foo"),
    ("/get-vms", {"where": {"name": "db-01", "nme": "x"}}, "where.nme"),
    ("/get-vms", {"where": {"host_id": "x"}}, "where.host_id"),
    ("/get-vms", {"where": {"cpu": {"cores": 2}}}, "where.cpu"),
    ("/get-vms", {"foo": 1}, "foo"),
    ("/get-vms", {"filter": {"name": "x"}}, "filter"),
    ("/get-vms", {"order_by": "name_ASC"}, "order_by"),
    ("/get-vms", {"where": {"host": {"bar": 1}}}, "where.host.bar"),
    ("/get-vms", {"where": {"host": {"cluster": {"baz": 1}}}}, "where.host.cluster.baz"),
    ("/get-vms", {"where": {"AND": [{"name": "x"}, {"nope": 1}]}}, "where.AND[1].nope"),
    ("/get-vms", {"where": {"NOT": [{"host": {"host_state": "IN_USE"}}]}}, "where.NOT[0].host.host_state"),
    ("/get-vms-connection", {"where": {"foo": 1}}, "where.foo"),
    ("/get-hosts", {"where": {"host_state": {"state": "MAINTENANCE_MODE"}}}, "where.host_state"),
    ("/get-hosts", {"where": {"vms_some": {"qux": 1}}}, "where.vms_some.qux"),
    ("/get-hosts-connection", {"where": {"cluster": {"qux": 1}}}, "where.cluster.qux"),
    ("/get-clusters", {"where": {"hosts_every": {"vms_none": {"zzz": 1}}}}, "where.hosts_every.vms_none.zzz"),
    ("/get-tasks", {"where": {"task_id": "x"}}, "where.task_id"),
    ("/get-tasks", {"where": {"user": {"nickname": "root"}}}, "where.user.nickname"),
    ("/get-tasks-connection", {"page": 2}, "page"),
]


@pytest.mark.parametrize("op,body,named", UNKNOWN, ids=[f"{o}-{json.dumps(b)[:50]}" for o, b, _ in UNKNOWN])
def test_unknown_keys_are_400_naming_the_key(client, oracle, op, body, named):
    assert_error(send(client, "/v2/api" + op, body), 400, named, oracle=oracle)


@pytest.mark.parametrize("op", per_operation(QUERY_OPS))
@pytest.mark.parametrize("key", ["first", "skip", "last"])
def test_negative_paging_is_400(client, oracle, op, key):
    assert_error(send(client, "/v2/api" + op, {key: -1}), 400, key, oracle=oracle)


@pytest.mark.parametrize("op", per_operation(QUERY_OPS))
@pytest.mark.parametrize("key", ["after", "before"])
def test_an_unknown_cursor_is_400(client, oracle, op, key):
    assert_error(send(client, "/v2/api" + op, {key: "no-such-id", "first": 1}), 400, key, oracle=oracle)


def test_a_cursor_of_another_kind_is_400(client, oracle):
    host_id = send(client, "/v2/api/get-hosts", {"first": 1}).get_json()[0]["id"]
    assert_error(send(client, "/v2/api/get-vms", {"after": host_id}), 400, "after", oracle=oracle)


# --- relations the simulator does not model: still validated, never a crash ---------------------------------------------

OPAQUE = [
    {"folder": {"AND": 1}},
    {"folder": {"AND": [1]}},
    {"folder": {"OR": "x"}},
    {"folder": {"vms_some": 1}},
    {"folder": {"name_in": 1}},
    {"labels_some": {"name_in": 5}},
    {"labels_none": {"name_in": 5}},
    {"labels_every": {"AND": 3}},
    {"vm_disks_some": {"NOT": [None]}},
]


@pytest.mark.parametrize("where", OPAQUE, ids=[json.dumps(w) for w in OPAQUE])
def test_broken_filters_on_unmodeled_relations_are_400_not_500(client, oracle, where):
    """VmFolderWhereInput, LabelWhereInput, ... are strict Prisma inputs upstream (`AND` an array of objects, `*_in` an
    array); the simulator accepts them as any object, so a broken one must still be refused, not crash the query."""
    key = next(iter(where))
    assert_error(send(client, "/v2/api/get-vms", {"where": where}), 400, f"where.{key}", oracle=oracle)


@pytest.mark.parametrize("depth", [50, 200, 400])
def test_deeply_nested_combinators_never_500(client, oracle, depth):
    where = {}
    for _ in range(depth):
        where = {"AND": [where]}
    raw = json.dumps({"where": where})
    r = send(client, "/v2/api/get-vms", raw=raw)
    if r.status_code == 200:
        assert len(r.get_json()) == 18
    else:
        assert_error(r, 400, oracle=oracle)


# --- authorization -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", per_operation(AUTH_OPS))
def test_a_missing_authorization_header_is_401(client, oracle, op):
    body = assert_error(send(client, "/v2/api" + op, {}, token=None), 401, oracle=oracle)
    assert "Authorization" in body["message"]


@pytest.mark.parametrize("op", per_operation(AUTH_OPS))
@pytest.mark.parametrize("token", ["", "not-a-token", "Bearer not-a-token", f"Token {TOKEN}", TOKEN.upper(),
                                   TOKEN + " "])
def test_an_unknown_token_is_401(client, oracle, op, token):
    assert_error(send(client, "/v2/api" + op, {}, token=token), 401, oracle=oracle)


def test_auth_is_checked_before_the_body(client, oracle):
    assert_error(send(client, "/v2/api/get-vms", raw="{bad", token=None), 401, oracle=oracle)


@pytest.mark.parametrize("username,password", [
    ("root", "wrong"),
    ("root", ""),
    ("root", "hc!r0cks"),
    ("nobody", "HC!r0cks"),
    ("", ""),
    ("root", "pässwörd"),
    ("röot", "HC!r0cks"),
    ("root", "密码"),
])
def test_wrong_login_is_400(client, oracle, username, password):
    body = assert_error(send(client, "/v2/api/login", {"username": username, "password": password}, token=None), 400,
                        oracle=oracle)
    assert "password" in body["message"]


def test_a_login_token_from_a_failed_login_does_not_exist(client):
    r = send(client, "/v2/api/login", {"username": "root", "password": "wrong"}, token=None)
    assert r.status_code == 400
    assert "data" not in r.get_json()


# --- paths and methods -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,op_id", [("/get-users", "GetUsers"), ("/create-iscsi-lun", "CreateIscsiLun")])
@pytest.mark.parametrize("token", [TOKEN, None])
def test_an_upstream_operation_not_simulated_is_501_naming_it(client, oracle, path, op_id, token):
    body = assert_error(send(client, "/v2/api" + path, {}, token=token), 501, op_id, oracle=oracle)
    assert path in body["message"]


def test_every_upstream_operation_not_simulated_is_501_naming_it(client, oracle):
    upstream = Spec.load().upstream_operations
    assert len(NOT_SIMULATED) > 350  # most of upstream still; the loop is no vacuous pass
    for path in NOT_SIMULATED:
        method, op_id = upstream[path]
        assert_error(send(client, "/v2/api" + path, {}, method=method.lower()), 501, op_id, oracle=oracle)


@pytest.mark.parametrize("path", ["/v2/api/nope", "/v2/api/get-vm", "/v2/api/GET-VMS", "/v2/api/get-vms/extra",
                                  "/v2/api/", "/v2/apis/get-vms", "/nowhere"])
@pytest.mark.parametrize("method", ["post", "get"])
def test_a_path_upstream_does_not_have_is_404(client, oracle, path, method):
    assert_error(send(client, path, {}, method=method), 404, oracle=oracle)


@pytest.mark.parametrize("op", per_operation(POST_OPS))
@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_a_wrong_method_on_a_post_operation_is_405(client, oracle, op, method):
    body = assert_error(send(client, "/v2/api" + op, {}, method=method), 405, oracle=oracle)
    assert "POST" in body["message"]


def test_post_on_get_version_is_405(client, oracle):
    body = assert_error(send(client, "/v2/api/get-version", {}), 405, oracle=oracle)
    assert "GET" in body["message"]


# --- headers -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr-FR", "en", "EN-US", "zh-cn", "en-US,zh-CN", "", "**"])
@pytest.mark.parametrize("op", ["/get-vms", "/get-hosts-connection", "/login", "/shutdown-vm"])
def test_a_bad_content_language_is_400(client, oracle, op, language):
    body = {"username": "root", "password": "HC!r0cks"} if op == "/login" else {}
    if op == "/shutdown-vm":
        body = {"where": {"name": "web-01"}}
    before = snapshot(client)
    assert_error(send(client, "/v2/api" + op, body, headers={"content-language": language}), 400, "content-language",
                 oracle=oracle)
    assert snapshot(client) == before


@pytest.mark.parametrize("language", ["zh-CN", "en-US", "*"])
def test_the_declared_content_languages_are_accepted(client, language):
    r = send(client, "/v2/api/get-vms", {"first": 1}, headers={"Content-Language": language})
    assert r.status_code == 200, r.get_json()


# --- fuzzing -----------------------------------------------------------------------------------------------------------

def _pools(client):
    """Every key the served document declares for a request body or a filter, and real names and ids, so that fuzzed
    objects reach deep into validation and the handlers."""
    schemas = client.get("/_sim/openapi.json").get_json()["components"]["schemas"]
    keys, relations = set(), set()
    for name, s in schemas.items():
        if name.endswith(("WhereInput", "RequestBody", "Params", "Input")):
            for key, prop in s.get("properties", {}).items():
                keys.add(key)
                if "WhereInput" in json.dumps(prop):
                    relations.add(key)
            for prop in s.get("properties", {}).values():  # inline objects such as `data: {host_id}`
                keys.update(prop.get("properties", {}))
    words = {"root", "viewer", "HC!r0cks", "RUNNING", "STOPPED", "name_ASC"}
    for op in ("/get-vms", "/get-hosts", "/get-clusters"):
        for o in send(client, "/v2/api" + op, {}).get_json():
            words.update({o["id"], o["name"], o.get("local_id") or ""})
    return sorted(keys), sorted(relations), sorted(words)


def bodies(client):
    keys, relations, words = _pools(client)
    key = st.sampled_from(keys) | st.sampled_from(relations) | st.text(max_size=6)
    text = st.text(max_size=8) | st.sampled_from(words)
    shaped = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=4),
        max_leaves=25)
    top = st.dictionaries(st.sampled_from(["where", "data", "effect", "orderBy", "first", "skip", "last", "after",
                                           "before", "username", "password", "source"]) | key, shaped, max_size=4)
    login = st.fixed_dictionaries({"username": text, "password": text}, optional={"source": shaped})
    return st.one_of(JSON.map(lambda v: ("json", v)), top.map(lambda v: ("json", v)), login.map(lambda v: ("json", v)),
                     st.lists(top, max_size=2).map(lambda v: ("json", v)),
                     st.binary(max_size=64).map(lambda b: ("raw", b)))


def fuzz_once(client, op, kind, value, token=TOKEN, language=None):
    """One request; never a 5xx, always a JSON 200 or an ErrorBody, and a refused mutation changes nothing."""
    headers = {} if language is None else {"content-language": language}
    method = OPERATIONS[op].method.lower()
    raw = value if kind == "raw" else json.dumps(value)
    before = settled_state(client) if op in MUTATIONS else None
    r = send(client, "/v2/api" + op, raw=raw, method=method, token=token, headers=headers)
    if r.status_code < 400:
        client.settled = None  # an accepted mutation changes the world, now or when its task's steps land
    text = r.get_data(as_text=True)
    assert r.status_code < 500, f"{op} {raw!r}: {r.status_code} {text[:300]}"
    assert r.headers.get("x-tower-request-id")
    if r.status_code == 200:
        json.loads(text)
    else:
        assert_error(r, r.status_code)
        if before is not None:
            assert world_state(client) == before, f"the refused {op} {raw!r} changed the world"
    return r


READ_LIKE = QUERY_OPS + ["/login", "/get-version"]
LANGUAGES = st.none() | st.none() | st.sampled_from(["en-US", "zh-CN", "*", "xx", ""])
TOKENS = st.sampled_from([TOKEN, TOKEN, TOKEN, None, "junk"])


def test_fuzzed_reads_never_500_and_leave_the_world_alone(client):
    before = snapshot(client)
    strategy = bodies(client)

    @settings(max_examples=examples(6), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(op=st.sampled_from(READ_LIKE), body=strategy, token=TOKENS, language=LANGUAGES)
    def run(op, body, token, language):
        fuzz_once(client, op, *body, token, language)

    try:
        run()
    finally:
        assert snapshot(client) == before, "fuzzed reads changed the world"


def test_fuzzed_mutations_never_500_and_change_nothing_when_refused(client):
    strategy = bodies(client)

    @settings(max_examples=examples(3), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(op=st.sampled_from(MUTATIONS), body=strategy, token=TOKENS, language=LANGUAGES)
    def run(op, body, token, language):
        fuzz_once(client, op, *body, token, language)

    run()


@pytest.mark.parametrize("op", per_operation(sorted(OPERATIONS)))
def test_random_json_values_never_500(op):
    client = make_client()
    before = snapshot(client)
    answered = []

    @settings(max_examples=examples(1.2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value=JSON)
    def run(value):
        answered.append((value, fuzz_once(client, op, "json", value).status_code))

    run()
    if op in MUTATIONS and any(status == 200 for _, status in answered):
        return  # an accepted mutation may change the world; refused ones were checked one by one
    assert snapshot(client) == before


@pytest.mark.parametrize("op", per_operation(sorted(OPERATIONS)))
def test_random_bytes_never_500(op):
    client = make_client()
    before = snapshot(client)

    @settings(max_examples=examples(0.8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=st.binary(max_size=200))
    def run(raw):
        fuzz_once(client, op, "raw", raw)

    run()
    assert snapshot(client) == before


@pytest.mark.parametrize("password", ["pässwörd", "密码", "\x00", "a" * 10_000])
def test_login_never_500_whatever_the_password(client, oracle, password):
    r = send(client, "/v2/api/login", {"username": "root", "password": password}, token=None)
    assert_error(r, 400, oracle=oracle)


def test_world_state_sees_any_change_of_a_field_a_list_or_a_reference(client):
    """The fuzzers' check that refused mutations change nothing is only as good as `world_state`."""
    world = client.sim.world
    vm = next(v for v in world.vms.values() if v.host is not None)
    base, status = world_state(client), vm.status
    for change, undo in [
        (lambda: setattr(vm, "name", vm.name + "x"), lambda: setattr(vm, "name", vm.name[:-1])),
        (lambda: setattr(vm, "status", next(s for s in VmStatus if s is not status)),
         lambda: setattr(vm, "status", status)),
        (lambda: vm.snapshots.append(object()), lambda: vm.snapshots.pop()),
        (lambda: world.vms.pop(vm.id), lambda: world.vms.__setitem__(vm.id, vm)),
    ]:
        change()
        assert world_state(client) != base
        undo()
        assert world_state(client) == base
    other = next(h for h in world.hosts.values() if h is not vm.host)
    host, vm.host = vm.host, other
    assert world_state(client) != base
    vm.host = host
