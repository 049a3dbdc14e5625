"""Kept answers of reads (mock_server/api/answers.py): the same read of an unchanged world is answered from what was
made before, and never once the world has changed, whoever changed it."""

from __future__ import annotations

import json

import pytest

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, TOKEN, Api, make_client


@pytest.fixture
def counted(monkeypatch):
    """An API whose world counts the queries it runs."""
    client = make_client()
    world = client.sim.world
    calls = []
    query = world.query
    monkeypatch.setattr(world, "query", lambda kind, body: calls.append(kind) or query(kind, body))
    return Api(client), calls


def test_the_same_read_of_an_unchanged_world_is_not_made_again(counted):
    api, calls = counted
    body = {"where": {"status": "RUNNING"}, "orderBy": "memory_DESC", "first": 5}
    first = api.ok("get-vms", body)
    assert api.ok("get-vms", body) == first
    assert calls == ["Vm"]
    api.ok("get-vms", {**body, "first": 4})  # another body is another read
    assert calls == ["Vm", "Vm"]


def test_a_change_of_the_world_is_seen_by_the_next_read(counted):
    api, calls = counted
    [vm] = api.ok("get-vms", {"where": {"status": "RUNNING"}, "first": 1})
    body = {"where": {"id": vm["id"]}}
    assert api.ok("get-vms", body)[0]["status"] == "RUNNING"
    api.done(api.ok("poweroff-vm", {"where": {"id": vm["id"]}}))
    assert api.ok("get-vms", body)[0]["status"] == "STOPPED"


def test_a_kept_answer_still_asks_for_a_valid_token(counted):
    api, _ = counted
    api.ok("get-vms", {"first": 1})
    status, data, _ = Api(api.client, token="not-a-token")("get-vms", {"first": 1})
    assert status == 401 and "token" in data["message"]


def test_a_fault_shapes_a_read_that_was_kept_and_the_journal_records_each(counted):
    api, calls = counted
    api.ok("get-vms", {"first": 1})
    assert api.client.post("/_sim/faults", json={"path": "/get-vms", "status": 503, "message": "down"}
                           ).status_code == 200
    assert api("get-vms", {"first": 1})[0] == 503
    assert api.ok("get-vms", {"first": 1})
    journal = api.client.get("/_sim/requests", query_string={"path": "/get-vms"}).get_json()
    assert [e["status"] for e in journal] == [200, 503, 200]
    assert all(e["body"] == {"first": 1} for e in journal)


def test_a_kept_answer_is_the_answer_made_afresh_but_for_its_request_id(counted):
    """Given before Flask (api/front.py), a kept answer has the same status, bytes and headers as the first, a request
    id of its own, and its own journal entry."""
    api, calls = counted
    send = lambda: api.client.post("/v2/api/get-vms", data=b'{"first": 3}', headers={  # noqa: E731
        "Authorization": TOKEN, "Content-Type": "application/json", "Content-Language": "en-US"})
    made, kept = send(), send()
    assert calls == ["Vm"]  # the second was kept
    assert (kept.status_code, kept.get_data()) == (made.status_code, made.get_data()) == (200, made.get_data())
    ids = made.headers["x-tower-request-id"], kept.headers["x-tower-request-id"]
    assert ids[0] != ids[1] and all(len(i) == 36 for i in ids)
    other = lambda h: sorted((k.lower(), v) for k, v in h.items() if k.lower() != "x-tower-request-id")  # noqa: E731
    assert other(kept.headers) == other(made.headers)
    journal = api.client.get("/_sim/requests", query_string={"path": "/get-vms"}).get_json()
    assert [(e["status"], e["body"], e["request_id"]) for e in journal] == [(200, {"first": 3}, i) for i in ids]


def test_a_body_sent_again_but_not_as_json_is_still_refused(counted):
    api, calls = counted
    body = b'{"first": 1}'
    for content_type, status in (("application/json", 200), ("application/json", 200), ("text/plain", 400),
                                 ("application/x-www-form-urlencoded", 400)):
        r = api.client.post("/v2/api/get-vms", data=body, headers={"Authorization": TOKEN,
                                                                    "Content-Type": content_type})
        assert r.status_code == status, (content_type, r.get_data(as_text=True)[:200])
    assert calls == ["Vm"]


def test_a_running_task_is_read_afresh_as_the_clock_moves():
    client = make_client(Settings(start_time=PINNED_START, task_mode="manual"))
    api = Api(client)
    [vm] = api.ok("get-vms", {"where": {"status": "RUNNING"}, "first": 1})
    [answer] = api.ok("poweroff-vm", {"where": {"id": vm["id"]}})
    body = {"where": {"id": answer["task_id"]}}
    assert api.ok("get-tasks", body)[0]["status"] != "SUCCESSED"
    assert client.post("/_sim/clock", json={"advance": 600}).status_code == 200
    assert api.ok("get-tasks", body)[0]["status"] == "SUCCESSED"


def test_a_reset_world_answers_as_the_scenario(counted):
    api, _ = counted
    [vm] = api.ok("get-vms", {"where": {"status": "RUNNING"}, "first": 1})
    api.done(api.ok("poweroff-vm", {"where": {"id": vm["id"]}}))
    body = {"where": {"id": vm["id"]}}
    assert api.ok("get-vms", body)[0]["status"] == "STOPPED"
    assert api.client.post("/_sim/reset").status_code == 200
    assert api.ok("get-vms", body)[0]["status"] == "RUNNING"


# --- how a request reaches its operation (api/wire.py) -----------------------------------------------------------------

def test_a_body_is_read_with_or_without_a_content_length(served):
    import requests

    server = served(start_time=PINNED_START)
    headers = {"Authorization": TOKEN, "Content-Type": "application/json"}
    sized = requests.post(server.base_url + "/get-vms", data=b'{"first": 2}', headers=headers, timeout=10)
    chunked = requests.post(server.base_url + "/get-vms", data=iter([b'{"fir', b'st": 2}']), headers=headers,
                            timeout=10)
    assert sized.status_code == chunked.status_code == 200, (sized.text, chunked.text)
    assert sized.json() == chunked.json() and len(sized.json()) == 2


def test_an_operation_is_found_by_its_path_alone(client):
    assert client.head("/v2/api/get-version").status_code == 200  # HEAD of a GET operation, as Flask answers it
    for method, path, status in (("GET", "/v2/api/get-vms", 405), ("OPTIONS", "/v2/api/get-vms", 405),
                                 ("POST", "/v2/api/get-vms/", 404), ("POST", "/v2/api//get-vms", 404),
                                 ("POST", "/v2/api/get-no-such-things", 404)):
        r = client.open(path, method=method, json={}, headers={"Authorization": TOKEN})
        assert r.status_code == status, (method, path, r.status_code)
        assert r.get_json()["status"] == status


def test_an_answer_asked_by_a_large_body_is_not_kept(counted):
    from cloudtower_sim.mock_server.api.answers import MAX_BODY_BYTES

    api, calls = counted
    # a long `name_not_in` list makes the body large, and still matches every VM
    body = {"where": {"name_not_in": [f"no-such-vm-{i:06d}" for i in range(MAX_BODY_BYTES // 16)]}, "first": 1}
    assert len(json.dumps(body)) > MAX_BODY_BYTES
    first = api.ok("get-vms", body)
    assert api.ok("get-vms", body) == first
    assert calls == ["Vm", "Vm"]  # each made afresh: the body is the key, and a large one is not held


# --- what reads of one generation share: orders of whole tables (domain/query.py), objects' texts (api/answers.py) --

def test_an_order_kept_for_a_generation_is_not_used_once_the_world_changed(client):
    api, world = Api(client), client.sim.world
    last = lambda first: api.ok("get-vms", {"orderBy": "name_DESC", "first": first})  # noqa: E731
    before = last(2), last(3)  # asked twice: the order of the whole table is kept
    assert [o["id"] for o in before[1][:2]] == [o["id"] for o in before[0]]
    assert world.orderings._kept.get(("Vm", "name_DESC")) is not None
    [vm] = api.ok("get-vms", {"orderBy": "name_ASC", "first": 1})
    api.done(api.ok("update-vm-basic-info", {"where": {"id": vm["id"]}, "data": {"name": "zzz-renamed"}}))
    assert [(o["id"], o["name"]) for o in last(1)] == [(vm["id"], "zzz-renamed")]
    assert last(3)[1:] == before[1][:2]


def test_a_query_of_a_world_held_to_write_keeps_no_order(client):
    """Within one hold to write the generation stays while the world changes: an order kept there would go stale."""
    with client.sim.session() as world:
        body = {"where": {"status": "RUNNING"}, "orderBy": "memory_DESC", "first": 1}
        first = [world.query("Vm", body) for _ in range(3)][-1][0]
        smallest = world.query("Vm", {**body, "orderBy": "memory_ASC"})[0]
        smallest.memory = first.memory * 2
        assert world.query("Vm", body) == [smallest]
        assert not world.orderings._kept


def test_an_object_rendered_before_a_change_is_rendered_afresh_after_it(client):
    api = Api(client)
    vms = api.ok("get-vms", {})
    api.done(api.ok("update-vm-basic-info", {"where": {"id": vms[-1]["id"]}, "data": {"name": "renamed"}}))
    assert api.ok("get-vms", {"where": {"id": vms[-1]["id"]}})[0]["name"] == "renamed"
    assert [o["name"] for o in api.ok("get-vms", {"first": len(vms)})] == [o["name"] for o in vms[:-1]] + ["renamed"]


@pytest.mark.parametrize("budget", [0, 4000, 10 ** 7])
def test_texts_kept_are_the_objects_rendered_afresh_within_the_budget(client, budget):
    from cloudtower_sim.mock_server.api.answers import Rendered

    sim = client.sim
    answer_type = sim.spec.operations["/get-vms"].response
    with sim.session(read=True) as world:
        vms = world.query("Vm", {})
        afresh = json.dumps(answer_type.render(vms), separators=(",", ":")).encode()
        rendered = Rendered(budget)
        assert rendered.encode(answer_type, vms, world.generation) == afresh
        assert rendered.encode(answer_type, vms[::-1], world.generation) == json.dumps(
            answer_type.render(vms[::-1]), separators=(",", ":")).encode()
        assert rendered._bytes <= budget and (len(rendered._kept) == len(vms)) == (budget > len(afresh))
        one = rendered.encode(answer_type, vms[:1], world.generation)
    with sim.session():  # held to write: a later generation, for which nothing kept holds
        vms[0].name = "changed"
    with sim.session(read=True) as world:
        assert rendered.encode(answer_type, vms[:1], world.generation) != one
        assert json.loads(rendered.encode(answer_type, vms[:1], world.generation))[0]["name"] == "changed"


def test_answers_kept_stay_within_their_count_and_bytes_and_only_for_the_latest_generation():
    from cloudtower_sim.mock_server.api.answers import Answers

    answers = Answers(size=8, budget=1000)
    key = lambda n: ("/v2/api/get-vms", str(n).encode(), "application/json", None)  # noqa: E731
    for n in range(50):
        answers.keep(key(n), 1, {}, b"x" * (10 + 7 * n % 300))
        assert len(answers._kept) <= 8 and answers._bytes == sum(len(a.data) for a in answers._kept.values()) <= 1000
        assert answers.get(key(n), 1).data == b"x" * (10 + 7 * n % 300)  # the newest is always kept
    answers.keep(key(49), 1, {}, b"y")  # kept again: counted once
    assert answers._bytes == sum(len(a.data) for a in answers._kept.values())
    answers.keep(key(50), 2, {}, b"z")  # a later generation: the earlier answers are dropped
    assert list(answers._kept) == [key(50)] and answers._bytes == 1 and answers.get(key(49), 1) is None


def test_orders_kept_in_a_generation_are_bounded_and_each_is_the_order_made_afresh():
    from cloudtower_sim.mock_server.domain.query import Orderings, _ordered

    client = make_client()
    with client.sim.session(read=True) as world:
        orderings, vms = Orderings(size=3), world.vms.values()
        fields = ("name", "memory", "vcpu", "status", "local_created_at", "ip")
        for field in fields:
            for direction in ("ASC", "DESC"):
                order = f"{field}_{direction}"
                assert orderings.get(world.generation, "Vm", order, vms) is None  # asked once: not kept
                again = orderings.get(world.generation, "Vm", order, vms)
                assert again is None or again == _ordered(list(vms), order)
        assert len(orderings._kept) == 3


def test_an_order_of_an_earlier_generation_is_made_again_from_itself_while_its_table_holds_the_same_objects():
    """The first read after a change re-sorts the order it had (the values read afresh) instead of a heap of the whole
    table; a table that gained or lost an object is ordered from scratch, when asked twice."""
    from cloudtower_sim.mock_server.domain.query import Orderings, _ordered

    world = make_client().sim.world
    orderings, vms, order = Orderings(), world.vms, "memory_DESC"
    for _ in range(2):
        kept = orderings.get(world.generation, "Vm", order, vms.values(), world.membership["Vm"])
    assert kept == _ordered(list(vms.values()), order)
    smallest = kept[-1]
    world.moved_on()
    smallest.memory = kept[0].memory + 1  # a change: the smallest VM is now the largest
    again = orderings.get(world.generation, "Vm", order, vms.values(), world.membership["Vm"])
    assert again == _ordered(list(vms.values()), order) and again[0] is smallest
    world.moved_on()
    world.remove_vm(kept[1])
    assert orderings.get(world.generation, "Vm", order, vms.values(), world.membership["Vm"]) is None


def test_an_order_by_a_watched_field_stays_as_it_is_until_that_field_is_written():
    """A VM's description changing leaves the order by memory as it was (no sort at all); a memory written sorts it
    again. Either way it is the order made afresh."""
    from cloudtower_sim.mock_server.domain.indexes import writes
    from cloudtower_sim.mock_server.domain.query import Orderings, _ordered

    world = make_client().sim.world
    orderings, vms, order = Orderings(), world.vms, "memory_DESC"

    def get():
        return orderings.get(world.generation, "Vm", order, vms.values(), world.membership["Vm"],
                             writes("Vm", "memory"))
    get()
    kept = get()
    world.moved_on()
    kept[-1].description = "changed"
    assert get() is kept
    world.moved_on()
    kept[-1].memory = kept[0].memory + 1
    again = get()
    assert again is not kept and again == _ordered(list(vms.values()), order) and again[0] is kept[-1]
