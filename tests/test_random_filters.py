"""Random valid filters, built from the served OpenAPI document, answer 200 and validate against upstream."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtower_sim.mock_server.schema import overlay
from cloudtower_sim.mock_server.schema.spec import DATETIME_OPS

from .support import GiB, Api, check_request_id, examples, tasks_client


# --- random filters from the served OpenAPI document ------------------------------------------------------------------

_SERVED = {}


def served_doc():
    if not _SERVED:
        client = tasks_client()
        _SERVED["client"] = client
        r = client.get("/_sim/openapi.json")
        assert r.status_code == 200
        _SERVED["doc"] = r.get_json()
        _SERVED["vms"] = Api(client).ok("get-vms")
        _SERVED["hosts"] = Api(client).ok("get-hosts")
    return _SERVED


def _schema_name(prop: dict) -> str | None:
    ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("allOf", ()) if "$ref" in a), None)
    return ref.rsplit("/", 1)[-1] if ref else None


def _strings():
    s = served_doc()
    words = sorted({v for o in s["vms"] + s["hosts"] for k, v in o.items() if isinstance(v, str)}
                   | {"node-", "web", "-01", "app", "10.10.0.1", ""})
    return st.one_of(st.sampled_from(words), st.text(max_size=8))


def _value(schemas: dict, prop: dict, depth: int):
    name = _schema_name(prop)
    nullable = prop.get("nullable", False)
    if name is not None:
        target = schemas[name]
        if "enum" in target:
            base = st.sampled_from(target["enum"])
        elif name.endswith("WhereInput"):
            if "properties" not in target:  # a relation the simulator does not model: a plain valid filter
                base = st.sampled_from([{}, {"id": "x"}, {"name_in": ["a", "b"]}, {"AND": [{}]}])
            elif depth <= 0:
                base = st.just({})
            else:
                base = where_of(name, depth - 1)
        else:
            base = st.nothing()
    elif prop.get("type") == "array":
        item = prop["items"]
        if _schema_name(item) and _schema_name(item).endswith("WhereInput"):
            base = st.lists(where_of(_schema_name(item), depth - 1), max_size=2) if depth > 0 else st.just([])
        else:
            base = st.lists(_value(schemas, item, depth), max_size=3)
    elif prop.get("type") == "string":
        base = _strings()
    elif prop.get("type") == "integer":
        if prop.get("format") == "int32":
            base = st.one_of(st.integers(0, 20), st.integers(-(2**31), 2**31 - 1))
        else:
            base = st.one_of(st.integers(0, 20), st.integers(-(2**40), 2**40), st.sampled_from([8 * GiB, 64 * GiB]))
    elif prop.get("type") == "number":
        base = st.floats(allow_nan=False, allow_infinity=False, width=32)
    elif prop.get("type") == "boolean":
        base = st.booleans()
    else:
        base = st.nothing()
    return st.one_of(st.none(), base) if nullable else base


def where_of(name: str, depth: int = 2):
    schemas = served_doc()["doc"]["components"]["schemas"]
    props = schemas[name]["properties"]
    keys = sorted(props)
    return st.lists(st.sampled_from(keys), max_size=3, unique=True).flatmap(
        lambda ks: st.fixed_dictionaries({k: _key_value(schemas, props[k], k, depth) for k in ks}))


def _key_value(schemas: dict, prop: dict, key: str, depth: int):
    """A filter's value; a date-time field takes an instant (the simulator refuses strings that name none)."""
    if not overlay.is_datetime(re.sub(DATETIME_OPS, "", key)):
        return _value(schemas, prop, depth)
    instant = st.datetimes(datetime(2025, 12, 31), datetime(2026, 1, 2), timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=8))])).map(lambda d: d.isoformat())
    return st.lists(instant, max_size=3) if prop.get("type") == "array" else st.none() | instant


def vm_bodies():
    schemas = served_doc()["doc"]["components"]["schemas"]
    order = schemas["VmOrderByInput"]["enum"]
    return st.fixed_dictionaries({}, optional={
        "where": st.one_of(st.none(), where_of("VmWhereInput")),
        "orderBy": st.one_of(st.none(), st.sampled_from(order)),
        "first": st.one_of(st.none(), st.integers(0, 30)),
        "skip": st.one_of(st.none(), st.integers(0, 30)),
        "last": st.one_of(st.none(), st.integers(0, 30)),
    })


def test_random_valid_vm_queries_answer_200_and_validate(upstream):
    api = Api(served_doc()["client"])
    bodies = vm_bodies()

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def run(body):
        status, listed, r = api("get-vms", body)
        check_request_id(r)
        assert status == 200, (body, listed)
        upstream.validate("/get-vms", 200, listed)
        status, counted, _ = api("get-vms-connection", body)
        assert status == 200, (body, counted)
        upstream.validate("/get-vms-connection", 200, counted)
        assert counted["aggregate"]["count"] == len(listed)

    run()


@pytest.mark.parametrize("entity", ["Host", "Cluster", "Task"])
def test_random_valid_queries_of_other_entities_answer_200_and_validate(upstream, entity):
    api = Api(served_doc()["client"])
    path = f"/get-{entity.lower()}s"

    @settings(max_examples=examples(1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(where=where_of(f"{entity}WhereInput"))
    def run(where):
        status, listed, _ = api(path[1:], {"where": where})
        assert status == 200, (where, listed)
        upstream.validate(path, 200, listed)

    run()
