"""Rules of a real tower that a simulator can break while every answer still has the right shape: who may change
things, how date-time filters and cursors work, what an empty relation looks like, how ids order, and how a token
is sent. Each held on any target: they read, or send mutations whose `where` can match nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtower_sim.mock_server.api.registry import acts_on_vms, simulated
from cloudtower_sim.mock_server.schema.spec import Spec

from cloudtower_sim.contracts.test_client_reads import listing, ordered_fields
from cloudtower_sim.contracts.test_workflows import new_vm

SIMULATED = simulated()
VM_OPERATIONS = sorted(p for p, b in SIMULATED.items() if b.mutation and acts_on_vms(b.op))
NOTHING = "contract-matches-nothing"  # an id no tower hands out: a `where` on it selects no VM
CUID = re.compile(r"c[0-9a-z]{24}")



def post(target, path: str, body, authorization: str | None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return target.session.post(target.base_url + path, json=body, headers=headers, timeout=target.request_timeout)


def error_message(response) -> str:
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    return body["message"]


# --- 1. a READ_ONLY user reads, and is refused every change ----------------------------------------------------------

def minimal_body(target, path: str) -> dict:
    """A valid body of `path` whose `where` selects nothing on any tower: a refusal is then about the user alone."""
    request = Spec.load().schemas[SIMULATED[path].op.request.target]  # the same on every version served
    where = {"AND": [{"id": NOTHING}, {"name_starts_with": target.prefix}]}
    return {key: where if key == "where" else {} for key in request.get("required", [])}


@pytest.fixture
def readonly_token(target):
    if target.readonly is None:
        pytest.skip("needs a READ_ONLY user of the target: pass --readonly-username and --readonly-password")
    client = target.client()
    return client.login(*target.readonly)


def test_a_readonly_user_reads(target, readonly_token):
    answer = post(target, "/get-vms", {"first": 1}, readonly_token)
    assert answer.status_code == 200, answer.text[:500]


@pytest.mark.parametrize("path", VM_OPERATIONS)
def test_a_readonly_user_is_refused_changes(target, readonly_token, path):
    answer = post(target, path, minimal_body(target, path), readonly_token)
    assert answer.status_code == 403, f"a READ_ONLY user's {path} answered {answer.status_code}: {answer.text[:300]}"
    error_message(answer)


# --- 3. date-time filters compare instants ----------------------------------------------------------------------------

def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


FORMS = {  # the same instant, written as a client may write it
    "UTC with milliseconds": lambda t: t.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z",
    "+08:00": lambda t: t.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="milliseconds"),
    "-05:30 without a Z": lambda t: t.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat(
        timespec="milliseconds"),
}
DATED = ["vms", "tasks"]


@pytest.mark.parametrize("kind", DATED)
def test_date_time_filters_compare_instants(target, kind, examples):
    client = target.client()
    objects = listing(client, kind)
    if not objects:
        pytest.skip(f"the target has no {kind}")
    stamps = sorted({instant(o["local_created_at"]) for o in objects})

    @examples
    @given(st.sampled_from(stamps), st.sampled_from(sorted(FORMS)), st.sampled_from([-1, 0, 1]))
    def compare(at, form, shift_ms):
        at = at + timedelta(milliseconds=shift_ms)
        written = FORMS[form](at)
        for op, holds in (("", lambda t: t == at), ("_gte", lambda t: t >= at), ("_lt", lambda t: t < at)):
            where = {f"local_created_at{op}": written}
            expected = {o["id"] for o in objects if holds(instant(o["local_created_at"]))}
            assert {o["id"] for o in listing(client, kind, where=where)} == expected, where

    compare()


@pytest.mark.parametrize("value", ["yesterday", "2026-01-01", "2026-01-01T08:00:00"])
def test_a_date_time_filter_refuses_what_is_no_instant(target, value):
    answer = post(target, "/get-vms", {"where": {"local_created_at_gt": value}}, target.token)
    assert answer.status_code == 400, f"local_created_at_gt {value!r} answered {answer.status_code}"
    assert "local_created_at_gt" in error_message(answer)


# --- 4. a relation to many with none is [], never null ---------------------------------------------------------------

def to_many_fields(oracle, entity: str) -> list[str]:
    return sorted(name for name, prop in oracle.doc["components"]["schemas"][entity]["properties"].items()
                  if prop.get("type") == "array" and prop.get("items", {}).get("$ref", "").split("/")[-1]
                  .startswith("Nested"))


@pytest.mark.parametrize("kind,entity", [("vms", "Vm"), ("hosts", "Host"), ("clusters", "Cluster")])
def test_an_empty_relation_to_many_is_an_empty_list(target, oracle, kind, entity):
    fields = to_many_fields(oracle, entity)
    assert fields, f"upstream {entity} has no relation to many"
    for o in listing(target.client(), kind):
        nulls = [f for f in fields if f in o and o[f] is None]
        assert not nulls, f"{entity} {o.get('name')} answers null for {nulls}, where a tower answers []"


# --- 5. a cursor need not match the filter ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["vms", "hosts"])
def test_a_cursor_outside_the_filter_pages_from_its_place(target, oracle, kind, examples):
    client = target.client()
    order = f"{ordered_fields(client, oracle, kind)[0]}_ASC"
    whole = [o["id"] for o in listing(client, kind, order_by=order)]
    if len(whole) < 3:
        pytest.skip(f"the target has fewer than 3 {kind}")

    @examples
    @given(st.integers(0, len(whole) - 1), st.sets(st.sampled_from(whole), min_size=1), st.integers(1, 4))
    def pages(at, kept, size):
        cursor = whole[at]
        kept = sorted(kept - {cursor})  # the cursor itself is filtered out, as a VM stopped while paging RUNNING ones
        where = {"id_in": kept}
        after = [o["id"] for o in listing(client, kind, where=where, order_by=order, after=cursor, first=size)]
        assert after == [i for i in whole[at + 1:] if i in kept][:size], (cursor, where)
        before = [o["id"] for o in listing(client, kind, where=where, order_by=order, before=cursor)]
        assert before == [i for i in whole[:at] if i in kept], (cursor, where)

    pages()


# --- 6. ids are cuids, ordered by creation -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", DATED)
def test_ids_are_cuids_ordered_by_creation(target, kind):
    objects = listing(target.client(), kind, order_by="id_DESC")
    if len(objects) < 2:
        pytest.skip(f"the target has fewer than 2 {kind}")
    odd = [o["id"] for o in objects if not CUID.fullmatch(o["id"])]
    assert not odd, f"ids that are not cuids: {odd[:5]}"
    created = [instant(o["local_created_at"]) for o in objects]
    later = [(a["id"], b["id"]) for a, b, ta, tb in zip(objects, objects[1:], created, created[1:]) if tb > ta]
    assert not later, f"id_DESC puts an older object before a newer one: {later[:3]}"


@pytest.mark.mutating
def test_the_newest_object_comes_first_by_id_desc(target):
    """What scripts rely on: `orderBy: id_DESC, first: 1` is the object created last (VMs, and their tasks)."""
    client = target.client()
    made = [new_vm(target, client, f"newest-{i}", "STOPPED") for i in range(2)]
    mine = {"name_starts_with": target.prefix}
    assert [v["id"] for v in listing(client, "vms", where=mine, order_by="id_DESC", first=1)] == [made[-1]["id"]]
    tasks = listing(client, "tasks", where={"resource_id_in": [v["id"] for v in made]}, order_by="id_DESC")
    assert [t["resource_id"] for t in tasks] == [made[1]["id"], made[0]["id"]], tasks


# --- 9. the token, bare or as a Bearer token --------------------------------------------------------------------------

def test_a_token_is_taken_bare_or_as_bearer(target):
    if not target.token:
        pytest.skip("needs a token or a login")
    bare = post(target, "/get-hosts", {}, target.token)
    bearer = post(target, "/get-hosts", {}, "Bearer " + target.token)
    assert bare.status_code == 200, f"the bare token answered {bare.status_code}: {bare.text[:300]}"
    assert bearer.status_code == 200, f"a Bearer token answered {bearer.status_code}: {bearer.text[:300]}"
    assert [h["id"] for h in bearer.json()] == [h["id"] for h in bare.json()]
    for wrong in ("Bearer " + target.token[::-1], "Basic " + target.token, ""):
        answer = post(target, "/get-hosts", {}, wrong)
        assert answer.status_code == 401, f"Authorization {wrong[:12]!r}... answered {answer.status_code}"
        error_message(answer)
