"""Property test of the `where` grammar, `orderBy` and paging of `get-vms` / `get-hosts`.

Random worlds (a Hypothesis strategy over scenario dicts, built with `scenario.build` in instant mode) and random
`where` filters go through the Flask app; the answers are compared with a plain-Python reference evaluator written
here, independently of mock_server.domain.query. The reference works only on the JSON the API answers to an empty
query (get-vms, get-hosts, get-clusters) and resolves relations by joining on ids:

    vm.host      -> the host whose id is vm["host"]["id"]          (missing when vm["host"] is null)
    vm.cluster   -> the cluster whose id is vm["cluster"]["id"]
    host.cluster -> the cluster whose id is host["cluster"]["id"]
    host.vms     -> the VMs whose host.id is host["id"]
    cluster.hosts / cluster.vms -> the hosts / VMs whose cluster.id is cluster["id"]
    vm.usb_devices, host.disks -> the embedded {id, name} lists (the reference filters them by id and name only)

Null semantics (query.py's docstring): `f: null` matches a null field, `f_not: null` a non-null one; every other
positive operator is false on a null field and each negation is the exact complement of its positive operator; a
null operand of any other operator (`f_in: null`, `AND: null`, `vms_some: null`, ...) sets no condition; a to-one
filter never matches a missing relation (`host: null` matches exactly the missing ones).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.api.app_state import state_of
from cloudtower_sim.mock_server.domain.scenario import Scenario, build
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import examples

TOKEN = "cloudtower-sim-root-token"
HEADERS = {"Authorization": TOKEN}
GIB = 1024**3

# ---------------------------------------------------------------------------------------------------------------------
# The reference evaluator: its own table of the fields it filters on, its own operator semantics.

STRING, NUMBER, ENUM, BOOL, DATETIME = "string", "number", "enum", "bool", "datetime"
OPS = {
    STRING: ("", "_not", "_in", "_not_in", "_lt", "_lte", "_gt", "_gte", "_contains", "_not_contains",
             "_starts_with", "_not_starts_with", "_ends_with", "_not_ends_with"),
    NUMBER: ("", "_not", "_in", "_not_in", "_lt", "_lte", "_gt", "_gte"),
    ENUM: ("", "_not", "_in", "_not_in"),
    BOOL: ("", "_not"),
    DATETIME: ("", "_not", "_in", "_not_in", "_lt", "_lte", "_gt", "_gte"),  # compared as instants
}
VM_STATUS = ("DELETED", "RUNNING", "STOPPED", "SUSPENDED", "UNKNOWN")
HOST_STATUS = ("CONNECTED_ERROR", "CONNECTED_HEALTHY", "CONNECTED_WARNING", "CONNECTING", "INITIALIZING",
               "SESSION_EXPIRED")
CLUSTER_TYPE = ("BLUESHARK", "SMTX_ELF", "SMTX_OS", "SMTX_ZBS")
GUEST_OS = ("LINUX", "UNKNOWN", "WINDOWS")

SCHEMA = {
    "Vm": {
        "fields": {"name": STRING, "description": STRING, "id": STRING, "local_id": STRING, "os": STRING,
                   "node_ip": STRING, "hostname": STRING, "memory": NUMBER, "vcpu": NUMBER, "max_iops": NUMBER,
                   "status": ENUM, "guest_os_type": ENUM, "entityAsyncStatus": ENUM, "ha": BOOL,
                   "in_recycle_bin": BOOL, "local_created_at": DATETIME, "last_shutdown_time": DATETIME},
        "to_one": {"host": "Host", "cluster": "Cluster", "folder": "VmFolder"},
        "to_many": {"usb_devices": "UsbDevice"},
    },
    "Host": {
        "fields": {"name": STRING, "id": STRING, "local_id": STRING, "management_ip": STRING, "access_ip": STRING,
                   "vm_num": NUMBER, "running_vm_num": NUMBER, "provisioned_memory_bytes": NUMBER,
                   "scvm_cpu": NUMBER, "status": ENUM, "is_os_in_raid1": BOOL},
        "to_one": {"cluster": "Cluster"},
        "to_many": {"vms": "Vm", "disks": "Disk"},
    },
    "Cluster": {
        "fields": {"name": STRING, "id": STRING, "ip": STRING, "iscsi_vip": STRING, "host_num": NUMBER,
                   "vm_num": NUMBER, "type": ENUM, "stretch": BOOL},
        "to_one": {},
        "to_many": {"hosts": "Host", "vms": "Vm"},
    },
    # relation targets filtered by their embedded {id, name} only, or always null (VmFolder)
    "UsbDevice": {"fields": {"name": STRING, "id": STRING}, "to_one": {}, "to_many": {}},
    "VmFolder": {"fields": {"name": STRING}, "to_one": {}, "to_many": {}},
    "Disk": {"fields": {"name": STRING}, "to_one": {}, "to_many": {}},
}
# fields that are null on some or all objects: drawn more often, to exercise the null semantics
NULLABLE = {"Vm": ("os", "hostname", "max_iops", "entityAsyncStatus", "last_shutdown_time"),
            "Host": ("access_ip", "scvm_cpu", "is_os_in_raid1"), "Cluster": ("iscsi_vip", "stretch")}
ENUM_VALUES = {("Vm", "status"): VM_STATUS, ("Vm", "guest_os_type"): GUEST_OS,
               ("Vm", "entityAsyncStatus"): ("CREATING", "DELETING", "UPDATING"), ("Host", "status"): HOST_STATUS,
               ("Cluster", "type"): CLUSTER_TYPE}
ORDER_FIELDS = {
    "Vm": ("name", "description", "id", "local_id", "os", "memory", "vcpu", "status", "ha", "guest_os_type",
           "last_shutdown_time", "node_ip", "local_created_at"),
    "Host": ("name", "id", "local_id", "management_ip", "vm_num", "running_vm_num", "provisioned_memory_bytes",
             "status", "used_memory_bytes"),
}


def _positive(op: str, v, x) -> bool:
    if v is None:
        return False
    if op == "":
        return v == x
    if op == "_in":
        return v in x
    if op == "_lt":
        return v < x
    if op == "_lte":
        return v <= x
    if op == "_gt":
        return v > x
    if op == "_gte":
        return v >= x
    if op == "_contains":
        return x in v
    if op == "_starts_with":
        return v.startswith(x)
    if op == "_ends_with":
        return v.endswith(x)
    raise AssertionError(op)


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


class Reference:
    """Evaluates a `where` over the JSON objects of an unfiltered read."""

    def __init__(self, vms: list, hosts: list, clusters: list):
        self.vms, self.hosts, self.clusters = vms, hosts, clusters
        self.host_by_id = {h["id"]: h for h in hosts}
        self.cluster_by_id = {c["id"]: c for c in clusters}

    def one(self, entity: str, o: dict, rel: str):
        ref = o[rel]
        if ref is None:
            return None
        assert rel in ("host", "cluster"), (entity, rel, ref)
        return {"host": self.host_by_id, "cluster": self.cluster_by_id}[rel][ref["id"]]

    def many(self, entity: str, o: dict, rel: str) -> list:
        if (entity, rel) in (("Vm", "usb_devices"), ("Host", "disks")):
            return o[rel] or []
        if entity == "Host" and rel == "vms":
            return [v for v in self.vms if v["host"] is not None and v["host"]["id"] == o["id"]]
        if entity == "Cluster" and rel == "hosts":
            return [h for h in self.hosts if h["cluster"]["id"] == o["id"]]
        if entity == "Cluster" and rel == "vms":
            return [v for v in self.vms if v["cluster"] is not None and v["cluster"]["id"] == o["id"]]
        raise AssertionError((entity, rel))

    def matches(self, entity: str, o: dict, where: dict) -> bool:
        return all(self._key(entity, o, k, x) for k, x in where.items())

    def _key(self, entity, o, key, x) -> bool:
        spec = SCHEMA[entity]
        if key in ("AND", "OR", "NOT"):
            if x is None:
                return True
            results = [self.matches(entity, o, w) for w in x]
            return {"AND": all, "OR": any}[key](results) if key != "NOT" else not any(results)
        if key in spec["to_one"]:
            target = self.one(entity, o, key)
            if x is None:
                return target is None
            return target is not None and self.matches(spec["to_one"][key], target, x)
        for rel, target_entity in spec["to_many"].items():
            for quantifier in ("_some", "_every", "_none"):
                if key == rel + quantifier:
                    if x is None:
                        return True
                    hits = [self.matches(target_entity, r, x) for r in self.many(entity, o, rel)]
                    return {"_some": any(hits), "_every": all(hits), "_none": not any(hits)}[quantifier]
        for field, kind in spec["fields"].items():
            for op in OPS[kind]:
                if key == field + op:
                    if kind == DATETIME:  # instants, whatever ISO-8601 form the operand takes
                        return self._scalar(instant(o[field]), op, [instant(i) for i in x] if isinstance(
                            x, list) else instant(x))
                    return self._scalar(o[field], op, x)
        raise AssertionError(f"the reference does not know {entity}.{key}")

    @staticmethod
    def _scalar(v, op, x) -> bool:
        if x is None:
            if op == "":
                return v is None
            if op == "_not":
                return v is not None
            return True
        if op == "_not":
            return not _positive("", v, x)
        if op.startswith("_not_"):
            return not _positive(op[4:], v, x)
        return _positive(op, v, x)

    def select(self, entity: str, objs: list, where: dict | None) -> list:
        return [o["id"] for o in objs if self.matches(entity, o, where or {})]


# ---------------------------------------------------------------------------------------------------------------------
# Worlds

SMALL = "ab-"
short_text = st.text(SMALL, min_size=1, max_size=3)


@st.composite
def vm_specs(draw, host_names: list):
    status = draw(st.sampled_from(("RUNNING", "STOPPED", "SUSPENDED")))
    vm = {"name": draw(short_text), "status": status, "memory_gib": draw(st.integers(1, 8)),
          "vcpu": draw(st.integers(1, 16))}
    host = draw(st.sampled_from(host_names)) if status != "STOPPED" else draw(
        st.none() | st.sampled_from(host_names))
    if host is not None:
        vm["host"] = host
        if draw(st.integers(0, 3)) == 0:
            vm["usb_devices"] = draw(st.lists(st.text("uv", min_size=1, max_size=3), min_size=1, max_size=2))
    if draw(st.booleans()):
        vm["ha"] = draw(st.booleans())
    if draw(st.booleans()):
        vm["description"] = draw(st.text(SMALL, max_size=4))
    guest_os = draw(st.sampled_from((None,) + GUEST_OS))  # UNKNOWN: a null `os`
    if guest_os is not None:
        vm["guest_os_type"] = guest_os
    return vm


@st.composite
def scenarios(draw):
    cluster_names = draw(st.lists(st.text("cd", min_size=1, max_size=2), min_size=1, max_size=2, unique=True))
    clusters = []
    for name in cluster_names:
        host_names = draw(st.lists(short_text, min_size=1, max_size=4, unique=True))
        hosts = [{"name": h, "memory_gib": 512, "status": draw(st.sampled_from(HOST_STATUS))} for h in host_names]
        vms = draw(st.lists(vm_specs(host_names), max_size=12, unique_by=lambda v: v["name"]))  # unique, as create-vm
        cluster = {"name": name, "hosts": hosts, "vms": vms}
        if draw(st.booleans()):
            cluster["type"] = draw(st.sampled_from(CLUSTER_TYPE))
        clusters.append(cluster)
    return {"seed": draw(st.integers(0, 2**16)),
            "users": [{"username": "root", "password": "x", "tokens": [TOKEN]}],
            "clusters": clusters}


# ---------------------------------------------------------------------------------------------------------------------
# Filters


class Pools:
    """Operand values: mostly the world's own values (and pieces of them), some arbitrary ones. The strategies are
    built once per world."""

    def __init__(self, ref: Reference):
        self.objs = {"Vm": ref.vms, "Host": ref.hosts, "Cluster": ref.clusters,
                     "UsbDevice": [d for v in ref.vms for d in v["usb_devices"] or []], "VmFolder": [],
                     "Disk": [d for h in ref.hosts for d in h["disks"] or []]}
        self._operands, self._clauses, self._wheres = {}, {}, {}

    def values(self, entity, field):
        return sorted({o[field] for o in self.objs[entity] if o[field] is not None}, key=repr)

    def operand(self, entity, field, kind):
        if (entity, field) not in self._operands:
            self._operands[(entity, field)] = self._operand(entity, field, kind)
        return self._operands[(entity, field)]

    def _operand(self, entity, field, kind):
        seen = self.values(entity, field)
        if kind == STRING:
            arbitrary = st.text(SMALL + "uvcd", max_size=3)
            if not seen:
                return arbitrary
            piece = st.tuples(st.sampled_from(seen), st.integers(0, 40), st.integers(0, 40)).map(
                lambda t: t[0][min(t[1], t[2]):max(t[1], t[2])])
            return st.one_of(st.sampled_from(seen), piece, arbitrary)
        if kind == NUMBER:
            arbitrary = st.sampled_from([g * GIB for g in range(0, 10)]) if field in (
                "memory", "provisioned_memory_bytes") else st.integers(-1, 17)
            return st.one_of(st.sampled_from(seen), arbitrary) if seen else arbitrary
        if kind == ENUM:
            return st.sampled_from(ENUM_VALUES[(entity, field)])
        if kind == DATETIME:  # the world's instants and their neighbours, in the ISO forms a tower accepts
            at = [instant(t) for t in seen] or [instant(STAMPED_FROM)]
            near = st.tuples(st.sampled_from(at), st.sampled_from((0, 0, 0, -1, 1, -1000, 1000))).map(
                lambda t: t[0] + timedelta(milliseconds=t[1]))
            return st.tuples(near, st.sampled_from(DATETIME_FORMS)).map(lambda t: t[1](t[0]))
        return st.booleans()

    def clause(self, entity: str):
        """One scalar `key: operand` pair; fields that can be null are drawn more often."""
        if entity not in self._clauses:
            fields = SCHEMA[entity]["fields"]
            names = sorted(fields) + [f for f in sorted(fields) if f in NULLABLE.get(entity, ())] * 3
            pairs = []
            for field in sorted(fields):
                kind = fields[field]
                value = self.operand(entity, field, kind)
                for op in OPS[kind]:
                    operand = st.lists(value, max_size=3) if op in ("_in", "_not_in") else value
                    pairs.append((field, op, operand))
            by_field = {f: [(op, v) for g, op, v in pairs if g == f] for f in fields}

            @st.composite
            def clause(draw):
                field = draw(st.sampled_from(names))
                op, operand = draw(st.sampled_from(by_field[field]))
                if draw(st.integers(0, 9)) == 0:
                    return field + op, None
                return field + op, draw(operand)

            self._clauses[entity] = clause()
        return self._clauses[entity]

    def where(self, entity: str, depth: int = 2, hops: int = 2):
        """A WhereInput: a few scalar or relation clauses, and AND/OR/NOT lists nested at most `depth` deep."""
        key = (entity, depth, hops)
        if key not in self._wheres:
            spec = SCHEMA[entity]
            options = [self.clause(entity)]
            if hops > 0:
                for rel, target in spec["to_one"].items():
                    options.append(st.tuples(st.just(rel), st.none() | self.where(target, min(depth, 1), hops - 1)))
                for rel, target in spec["to_many"].items():
                    options.append(st.tuples(st.sampled_from([rel + q for q in ("_some", "_every", "_none")]),
                                             st.none() | self.where(target, min(depth, 1), hops - 1)))
            if depth > 0:
                inner = self.where(entity, depth - 1, hops)
                options.append(st.tuples(st.sampled_from(("AND", "OR", "NOT")),
                                         st.none() | st.lists(inner, min_size=1, max_size=3)))
            self._wheres[key] = st.lists(st.one_of(*options), max_size=3, unique_by=lambda kv: kv[0]).map(dict)
        return self._wheres[key]


# ---------------------------------------------------------------------------------------------------------------------
# The app under test: one Flask app; each example swaps in its own world.

APP = create_app(Settings())
CLIENT = APP.test_client()


def install(data: dict):
    world = build(Scenario(Path("<hypothesis>"), data), "instant")
    state_of(APP).sim.world = world
    return world


# when the property worlds' VMs were created and last shut down: a few instants, close enough to tie
STAMPED_FROM = "2026-01-01T08:00:00.000Z"
OFFSETS_MS = (0, 1, 999, 1000, 3_600_000, 86_400_000)
stamps = st.lists(st.tuples(st.sampled_from(OFFSETS_MS), st.none() | st.sampled_from(OFFSETS_MS)), min_size=1,
                  max_size=24)
DATETIME_FORMS = (
    lambda t: t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    lambda t: t.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),  # ms dropped
    lambda t: t.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="milliseconds"),
    lambda t: t.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat(timespec="microseconds"),
)


def stamp(world, drawn: list) -> None:
    """Give the scenario's VMs (all created at its start) creation and shutdown instants of their own."""
    start = instant(STAMPED_FROM)
    for vm, (created, shutdown) in zip(sorted(world.vms.values(), key=lambda v: v.name), drawn * len(world.vms)):
        vm.local_created_at = DATETIME_FORMS[0](start + timedelta(milliseconds=created))
        vm.last_shutdown_time = None if shutdown is None else DATETIME_FORMS[0](
            start + timedelta(milliseconds=shutdown))


def post(op: str, body: dict) -> list | dict:
    r = CLIENT.post(f"/v2/api/{op}", json=body, headers=HEADERS)
    assert r.status_code == 200, (op, body, r.get_json(silent=True))
    return r.get_json()


def ids(objs: list) -> list:
    return [o["id"] for o in objs]


def check_ordered(values: list, desc: bool, what):
    """ASC: non-null values non-decreasing, then the nulls; DESC: the nulls, then non-increasing values."""
    nulls = [v is None for v in values]
    if desc:
        assert nulls == sorted(nulls, reverse=True), (what, values)
    else:
        assert nulls == sorted(nulls), (what, values)
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=desc), (what, values)


def check_paging(op: str, body: dict, full: list, size: int):
    pages, skip = [], 0
    while True:
        page = ids(post(op, {**body, "first": size, "skip": skip}))
        assert len(page) <= size
        pages += page
        if len(page) < size:
            break
        skip += size
    assert pages == full, (op, body, size)
    # cursor paging (`after` the last id of the previous page) walks the same list
    pages, after = [], None
    while True:
        page = ids(post(op, {**body, "first": size, **({"after": after} if after else {})}))
        pages += page
        if len(page) < size:
            break
        after = page[-1]
    assert pages == full, (op, body, size, "after")


SETTINGS = settings(max_examples=examples(1.5), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(scenario=scenarios(), times=stamps, data=st.data())
def test_where_matches_the_reference(scenario, times, data):
    stamp(install(scenario), times)
    vms, hosts, clusters = post("get-vms", {}), post("get-hosts", {}), post("get-clusters", {})
    ref = Reference(vms, hosts, clusters)
    pools = Pools(ref)

    # the world is what the scenario declared, and the embedded relation lists agree with the id joins
    assert len(vms) == sum(len(c["vms"]) for c in scenario["clusters"])
    assert len(hosts) == sum(len(c["hosts"]) for c in scenario["clusters"])
    for h in hosts:
        assert sorted(ids(h["vms"] or [])) == sorted(ids(ref.many("Host", h, "vms")))

    for entity, op, objs in (("Vm", "get-vms", vms), ("Host", "get-hosts", hosts)):
        for _ in range(4):
            where = data.draw(pools.where(entity), label=f"{entity} where")
            expected = ref.select(entity, objs, where)
            got = post(op, {"where": where})
            assert ids(got) == expected, (op, where)
            count = post(op + "-connection", {"where": where})
            assert count == {"aggregate": {"count": len(expected)}}, (op, where)


@SETTINGS
@given(scenario=scenarios(), times=stamps, data=st.data())
def test_order_by_and_paging(scenario, times, data):
    stamp(install(scenario), times)
    vms, hosts, clusters = post("get-vms", {}), post("get-hosts", {}), post("get-clusters", {})
    ref = Reference(vms, hosts, clusters)
    pools = Pools(ref)
    by_id = {o["id"]: o for o in vms + hosts}

    for entity, op, objs in (("Vm", "get-vms", vms), ("Host", "get-hosts", hosts)):
        where = data.draw(st.none() | pools.where(entity, depth=1, hops=1), label=f"{entity} where")
        field = data.draw(st.sampled_from(ORDER_FIELDS[entity]), label="order field")
        desc = data.draw(st.booleans(), label="desc")
        body = {"where": where, "orderBy": f"{field}_{'DESC' if desc else 'ASC'}"}
        ordered = ids(post(op, body))
        expected = ref.select(entity, objs, where)
        assert sorted(ordered) == sorted(expected), (op, body)
        assert len(ordered) == len(set(ordered))
        check_ordered([by_id[i][field] for i in ordered], desc, (op, body))
        assert post(op + "-connection", body) == {"aggregate": {"count": len(expected)}}

        size = data.draw(st.integers(1, 5), label="page size")
        check_paging(op, body, ordered, size)
        # a page past the end is empty, `first: 0` is empty, and `skip` alone drops a prefix
        assert post(op, {**body, "skip": len(ordered)}) == []
        assert post(op, {**body, "first": 0}) == []
        skip = data.draw(st.integers(0, len(ordered)), label="skip")
        assert ids(post(op, {**body, "skip": skip})) == ordered[skip:]


# --- the ordering itself (domain/query.py), against a plain sort of (value, object) -----------------------------------

def _plain_order(objs: list, desc: bool) -> list:
    """Ordered by "v" as PostgreSQL orders: a stable sort, nulls last ascending and first descending, an embedded
    object by its JSON text."""
    import json

    key = lambda o: json.dumps(o["v"], sort_keys=True) if isinstance(o["v"], dict) else o["v"]  # noqa: E731
    valued = sorted((o for o in objs if o["v"] is not None), key=key, reverse=desc)
    nulls = [o for o in objs if o["v"] is None]
    return nulls + valued if desc else valued + nulls


@settings(max_examples=examples(3), deadline=None)
@given(values=st.lists(st.none() | st.integers(0, 4), max_size=30) | st.lists(
           st.none() | st.dictionaries(st.sampled_from("ab"), st.integers(0, 2), max_size=2), max_size=30),
       desc=st.booleans(), n=st.integers(0, 35))
def test_orders_and_first_pages_are_a_stable_sort_with_nulls_placed(values, desc, n):
    from cloudtower_sim.mock_server.domain.query import _ordered, _ordered_first

    objs = [{"v": v, "at": i} for i, v in enumerate(values)]  # "at": which object (equal values stay in order)
    order = "v_DESC" if desc else "v_ASC"
    expected = [o["at"] for o in _plain_order(objs, desc)]
    assert [o["at"] for o in _ordered(list(objs), order)] == expected
    assert [o["at"] for o in _ordered_first(iter(objs), order, n)] == expected[:n]
