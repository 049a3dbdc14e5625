"""What the tests share: the simulator in-process (`make_client`, `Api`), served in a thread (`Served`) and as
a process of its own (`Process`), every answer
held to upstream (`held_to_upstream`), requests and their refusals (`send`, `assert_error`), the world as the domain
and the API show it (`world_state`, `snapshot`), and what the fast tier keeps (`per_operation`, `per_version`,
`examples`). Fixtures live in conftest.py, which builds them from these."""

from __future__ import annotations

import dataclasses
import enum
import json
import operator
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from cloudtower_sim.contracts import conformance, upstream as up
from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.api.app_state import state_of
from cloudtower_sim.mock_server.api.faults import task_ids
from cloudtower_sim.mock_server.api.registry import READS as REGISTERED_READS, simulated
from cloudtower_sim.mock_server.domain.errors import TaskError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server.domain.tasks import Step
from cloudtower_sim.mock_server.domain.world import KINDS
from cloudtower_sim.mock_server.schema import diff
from cloudtower_sim.mock_server.schema.spec import Spec
from cloudtower_sim.mock_server.server import InThread

from .loaded import ROOT  # the repository

TOKEN = "cloudtower-sim-root-token"  # declared in the default scenario
# simulated time starts at the wall clock unless pinned; tests that compare worlds or times pin it
PINNED_START = "2026-01-01T08:00:00Z"
# the official SDK's wait_tasks sleeps its `interval` (default 5 s) after every poll, the last one too: tests pass
# this, as a user of the SDK may
SDK_POLL = 0.05


def pinned(**settings) -> Settings:
    """Same scenario, seed and start time: the same world (the wall clock would stamp other times)."""
    return Settings(start_time=PINNED_START, **settings)


OPERATIONS = {p: b.op for p, b in simulated().items()}
QUERY_OPS = sorted(p for p in OPERATIONS if p.startswith("/get-") and p != "/get-version")
GiB = 2**30
# the reads of the registered entities that upstream has, by entity (each entity's list, then its connection)
READS = [p for e in REGISTERED_READS if e in Spec.load().reads for p in Spec.load().reads[e]]
ERROR_KEYS = {"code", "props", "stack", "message", "status", "operationName", "path"}


def first_of_each_tag(paths) -> set:
    from cloudtower_sim.mock_server.schema.spec import Spec

    operations, seen, kept = Spec.load().operations, set(), set()
    for path in paths:
        tag = operations[path].tag if path in operations else path
        if tag not in seen:
            seen.add(tag)
            kept.add(path)
    return kept


def per_operation(paths) -> list:
    """`paths` as test parameters, every one in the whole suite; in the fast tier (`-m "not slow"`), the first of each
    upstream tag (Vm, Host, Label, ...) among them, so that a check made of every operation still meets every area of
    the API, for a fifth of the cost."""
    kept = first_of_each_tag(paths)
    return [path if path in kept else pytest.param(path, marks=pytest.mark.slow) for path in paths]


def per_version(versions) -> list:
    """API versions as test parameters: the latest in the fast tier, every one in the whole suite."""
    latest = max(versions, key=lambda v: tuple(map(int, v.split("."))))
    return [v if v == latest else pytest.param(v, marks=pytest.mark.slow) for v in versions]


# any JSON value, a few levels deep: what a careless or hostile client may send anywhere
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


def examples(share: float) -> int:
    """`share` of the Hypothesis profile's examples (the root conftest.py's `ci` gives 100, `dev` 10): a property test
    whose examples are cheap asks for more than one share, a costly one for less."""
    return max(1, round(settings().max_examples * share))


_HELD: set = set()


def undeclared_steps(declared: tuple[str, ...] | None, keys: list[str]) -> list[str]:
    """The step keys a task has that its operation's registry entry does not declare (`steps`, `<vm>` standing for
    a name): what a task fault is checked against (api/faults.py)."""
    patterns = [re.sub("<[a-z]+>", ".+", re.escape(k)) for k in declared or ()]  # (re.escape keeps < and >)
    return [key for key in keys if not any(re.fullmatch(p, key) for p in patterns)]


def held_to_upstream(app):
    """Validate every JSON answer `app` gives to an operation against the upstream spec of the version it serves (when
    that spec is at hand, else against the package's extract of it): whatever a test makes the simulator say, upstream
    must allow it; and each task an answer names must have only the steps its operation declares (whatever test
    starts it). A breach fails the request with a 599 that names it, which no test expects. It wraps the WSGI app,
    so it sees the answers kept before Flask (api/front.py) as well as Flask's."""
    sim, served = state_of(app).sim, state_of(app).operations
    upstream, _ = up.oracle(sim.spec.version)
    inner = app.wsgi_app

    def checked(environ, start_response):
        path = environ.get("PATH_INFO", "")
        op = path[len("/v2/api"):]
        if not path.startswith("/v2/api/") or op not in upstream.doc["paths"] or environ["REQUEST_METHOD"] == "HEAD":
            return inner(environ, start_response)  # (a HEAD's answer has no body to hold)
        started = []
        chunks = inner(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
        try:
            data = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status_line, headers = started[-1]
        status = int(status_line[:3])
        types = [v for k, v in headers if k.lower() == "content-type"]
        seen = (sim.spec.version, op, status, hash(data))
        if types and types[0].startswith("application/json") and seen not in _HELD:
            # (an answer already validated is not again: fuzz tests re-read an unchanged world)
            try:
                answer = json.loads(data)
                if str(status) in upstream.operation(op)[1]["responses"]:
                    upstream.validate(op, status, answer)
                else:  # 401, 405, 501: upstream declares none, but an error is an ErrorBody
                    upstream.validate_schema("ErrorBody", answer)
                for task_id in task_ids(answer) if status == 200 else ():
                    keys = [s["key"] for s in sim.world.tasks[task_id].steps]
                    assert not undeclared_steps(served[op].steps, keys), f"{op}'s task has steps {keys}, and " \
                        f"its registry entry declares {served[op].steps}"
                _HELD.add(seen)
            except Exception as e:  # noqa: BLE001 - any breach
                data = f"answer of {path} ({status}) breaks upstream {sim.spec.version}: {e}"[:2000].encode()
                status_line = "599 BREAKS UPSTREAM"
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
                headers += [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))]
        start_response(status_line, headers)
        return [data]

    app.wsgi_app = checked
    return app


def make_client(settings: Settings | None = None):
    app = held_to_upstream(create_app(settings or Settings(start_time=PINNED_START)))
    client = app.test_client()
    client.sim = state_of(app).sim
    return client


class Api:
    """A thin test helper: POST an operation with the root token and return (status, json, response)."""

    def __init__(self, client, token=TOKEN):
        self.client, self.token = client, token

    def __call__(self, op, body=None, **kw):
        headers = {"Authorization": self.token} if self.token else {}
        r = self.client.post(f"/v2/api/{op}", json=body if body is not None else {}, headers=headers, **kw)
        return r.status_code, r.get_json(silent=True), r

    def ok(self, op, body=None):
        status, data, r = self(op, body)
        assert status == 200, (op, body, data)
        return data

    def done(self, answers):
        """`answers` (WithTask), once each task has SUCCEEDED (as it has at once in instant task mode)."""
        for a in answers:
            task = self.task(a["task_id"])
            assert task["status"] == "SUCCESSED", task
        return answers

    # lookups: the one object a read finds, or the test fails naming what it looked for
    def one(self, kind: str, where):
        """The one object of `get-<kind>` that `where` (a filter, or a name) finds."""
        where = where if isinstance(where, dict) else {"name": where}
        found = self.ok(f"get-{kind}", {"where": where})
        assert len(found) == 1, f"get-{kind} {where}: {len(found)} objects, not one"
        return found[0]

    def vm(self, name: str) -> dict:
        return self.one("vms", name)

    def host(self, name: str) -> dict:
        return self.one("hosts", name)

    def task(self, task_id: str) -> dict:
        return self.one("tasks", {"id": task_id})

    def clock(self, **body) -> dict:
        """POST /_sim/clock (mode, advance, speed), which must succeed: the clock as it then stands."""
        r = self.client.post("/_sim/clock", json=body)
        assert r.status_code == 200, r.get_json()
        return r.get_json()


def ids(objs) -> list:
    """The ids of `objs`, sorted: what a read found, whatever its order."""
    return sorted(o["id"] for o in objs or ())


class Served:
    """The simulator served by waitress on a free loopback port, in a thread (mock_server/server.py InThread), every
    answer held to upstream."""

    def __init__(self, settings: Settings, wrap=None):
        self.sim = Simulator(settings)
        app = held_to_upstream(create_app(simulator=self.sim))
        if wrap is not None:  # a WSGI middleware around the simulator, e.g. one that breaks its answers
            app = wrap(app, self.sim)
        self.served = InThread(app, threads=4)
        self.base_url, self.root = self.served.base_url, self.served.root

    def close(self):
        self.served.close()


class Process:
    """`cloudtower-sim serve ARGS` as a user starts it: a process of its own on a free port (loopback, the default),
    its output read by threads so that a wait can time out, its banner, and a stop by signal."""

    def __init__(self, *args: str, timeout: float = 20):
        self.proc = subprocess.Popen([sys.executable, "-m", "cloudtower_sim", "serve", "--port", "0", *args],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.out, self.err = [], []
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out, self.lines),
                                          daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self.err, None), daemon=True)]
        for reader in self._readers:
            reader.start()
        self.banner: list[str] = []
        try:
            while not any(line.startswith("credentials:") for line in self.banner):
                try:
                    line = self.lines.get(timeout=timeout)
                except queue.Empty:
                    raise AssertionError(f"no banner within {timeout}s; got {self.banner}") from None
                if line is None:
                    code = self.proc.wait(timeout=10)
                    self._join()
                    raise AssertionError(f"exited early ({code}): {''.join(self.err)}")
                self.banner.append(line.rstrip("\n"))
        except BaseException:
            self.kill()
            raise
        [self.base_url] = [line.split(": ", 1)[1] for line in self.banner if line.startswith("base URL:")]
        self.root = self.base_url[: -len("/v2/api")]

    @staticmethod
    def _read(stream, kept: list, lines):
        for line in stream:
            kept.append(line)
            if lines is not None:
                lines.put(line)
        if lines is not None:
            lines.put(None)

    def _join(self):
        for reader in self._readers:
            reader.join(timeout=10)

    def stop(self, sig=signal.SIGTERM) -> tuple[int, str, str]:
        """Signal it and wait for its exit: (exit status, all it wrote to stdout, to stderr)."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self._join()
        return code, "".join(self.out), "".join(self.err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._join()


# --- what SmartX's Cluster API provider (CAPE) sends -------------------------------------------------------------------

SKS_LABEL = "system.cloudtower/sks-template-uid"  # CAPE's pkg/service/consts.go


def capes_params(template, cluster, name, vlan, **more):
    """The body CAPE's createVMFromTemplateParams builds (pkg/service/vm.go), for a machine of 2x2 vCPU, 8 GiB."""
    return {"cluster_id": cluster["id"], "host_id": "AUTO_SCHEDULE", "name": name,
            "description": "Automatically created by CAPE", "vcpu": 4, "cpu_cores": 2, "cpu_sockets": 2,
            "memory": 8 * GiB, "gpu_devices": [], "status": "STOPPED", "ha": True, "is_full_copy": False,
            "template_id": template["id"], "guest_os_type": "LINUX",
            "vm_nics": [{"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"],
                         "mac_address": "52:54:00:12:34:56"}],
            "cloud_init": {"hostname": name, "user_data": "#cloud-config\nruncmd: []\n",
                           "networks": [{"nic_index": 0, "type": "IPV4", "ip_address": "10.0.0.5",
                                         "netmask": "255.255.255.0",
                                         "routes": [{"gateway": "10.0.0.1", "netmask": "0.0.0.0",
                                                     "network": "0.0.0.0"}]}],
                           "nameservers": ["10.0.0.2"]}, **more}



# --- a world with tasks in every state, and host node-3 in maintenance ----------------------------------------------

def seed_tasks(client) -> None:
    """Four tasks on a manual clock: SUCCESSED (on VM db-01), FAILED (on host node-1), EXECUTING (on VM web-01) and
    PENDING (on nothing, by no user)."""
    world = client.sim.world

    def fail():
        raise TaskError("simulated failure for the schema tests", "TEST_FAILURE")

    with world.session():
        vm = next(v for v in world.vms.values() if v.name == "db-01")
        vm2 = next(v for v in world.vms.values() if v.name == "web-01")
        host = next(h for h in world.hosts.values() if h.name == "node-1")
        root = next(u for u in world.users.values() if u.username == "root")
        world.start_task("a-done", vm, "test_done", [Step("one", 1.0), Step("two", 2.0)], user=root,
                         args={"vm_id": vm.id, "nested": {"list": [1, 2]}})
        world.start_task("b-failed", host, "test_failed", [Step("boom", 1.0, fail)], user=root)
    assert client.post("/_sim/clock", json={"advance": 10}).status_code == 200
    with world.session():
        world.start_task("d-running", vm2, "test_running", [Step("long", 1000.0)], user=root)
    assert client.post("/_sim/clock", json={"advance": 1}).status_code == 200
    with world.session():
        world.start_task("c-queued", None, "test_queued", [Step("later", 1.0)])


def tasks_client():
    client = make_client(Settings(task_mode="manual", start_time=PINNED_START))
    seed_tasks(client)
    return client


def varied_client(api_version=None):
    """Host node-3 in maintenance mode (its VMs moved away, `host_state` set), then the four seeded tasks."""
    client = make_client(Settings(task_mode="manual", api_version=api_version, start_time=PINNED_START))
    api = Api(client)
    node3 = api.ok("get-hosts", {"where": {"name": "node-3"}})[0]["id"]
    task = api.ok("enter-maintenance-mode-precheck", {"where": {"id": node3}})["task_id"]
    assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
    assert api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": task}})["done"] is True
    api.ok("enter-maintance-mode", {"where": {"host_id": node3}, "data": {"shutdown_vms": []}})
    assert client.post("/_sim/clock", json={"advance": 3600}).status_code == 200
    host = api.ok("get-hosts", {"where": {"id": node3}})[0]
    assert host["host_state"] and host["host_state"]["state"] == "MAINTENANCE_MODE", host["host_state"]
    seed_tasks(client)
    return client



# the spec-diff rules (oracle -> served) each rule of a grouped verdict's cause shows: a field the answer lacks was
# removed or made optional, one the oracle forbids was added, and so on; a refused request met a breaking request change
SHOWN_AS = {
    "required": {"response field-removed", "response required-removed"},
    "additionalProperties": {"response field-added"},
    "enum": {"response enum-values-added/named", "response enum-values-added/inline"},
    "nullable": {"response nullable-added"},
    "type": {"response type-changed"},
    "refused": {"request field-removed", "request enum-values-removed", "request type-changed",
                "request nullable-removed", "request required-added", "request field-added/required"},
}


def unexplained(causes: list[dict], oracle: str, served: str) -> list[str]:
    """The causes of a grouped verdict (contracts/conformance.py) that no change of `spec-diff ORACLE SERVED` explains:
    one in the same schema and field, by a rule that shows as the cause's, reaching every operation it was seen in."""
    used = sorted({op for c in causes for op in c["operations"]})
    changes = diff.diff(diff.shipped(oracle), diff.shipped(served), used).changes
    return [conformance.line(c) for c in causes
            if not any(ch.schema == c["schema"] and ch.field == c["field"] and ch.rule in SHOWN_AS.get(c["rule"], ())
                       and set(c["operations"]) <= set(ch.operations) for ch in changes)]


def check_request_id(r, seen=None):
    rid = r.headers.get("x-tower-request-id")
    assert rid, f"{r.request.path}: no x-tower-request-id header ({r.status_code})"
    if seen is not None:
        assert rid not in seen, f"request id {rid} used twice"
        seen.add(rid)


# --- requests and refusals -------------------------------------------------------------------------------------------

def send(client, path, body=None, *, raw=None, method="post", token=TOKEN, headers=None):
    h = {"Authorization": token} if token is not None else {}
    h.update(headers or {})
    if raw is not None:
        return getattr(client, method)(path, data=raw, content_type="application/json", headers=h)
    return getattr(client, method)(path, json=body, headers=h)


def assert_error(r, status, *named, oracle=None):
    """`r` is an ErrorBody answer of `status` whose message mentions every string in `named`."""
    text = r.get_data(as_text=True)
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {text[:300]}"
    assert r.headers.get("x-tower-request-id"), "no x-tower-request-id header"
    assert r.mimetype == "application/json", r.mimetype
    body = json.loads(text)
    assert isinstance(body, dict), body
    assert {"message", "status", "path"} <= set(body) <= ERROR_KEYS, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert body["status"] == r.status_code, body
    assert body["path"] == r.request.path, body
    if "code" in body:
        assert body["code"] == "ResourceLocked", body
    for fragment in named:
        assert fragment in body["message"], f"message does not name {fragment!r}: {body['message']!r}"
    if oracle is not None:
        oracle.validate_schema("ErrorBody", body)
        op = r.request.path[len("/v2/api"):] if r.request.path.startswith("/v2/api/") else None
        if status in (400, 404) and op in oracle.doc["paths"]:
            oracle.validate(op, status, body)
    return body


# --- the world -------------------------------------------------------------------------------------------------------

def world_state(client) -> tuple:
    """Every field of every object of the world, as the domain holds it: what a refused request must leave alone.
    Cheaper than `snapshot` by a factor of six, so the fuzzers check it after every refused mutation, and the API's
    view (`snapshot`) once per test."""
    world = client.sim.world
    return tuple((kind, tuple((i, _fields(o)) for i, o in sorted(getattr(world, kind).items())))
                 for kind in KINDS.values())


def settled_state(client) -> tuple:
    """The world's state once every effect due has landed, kept until a request is accepted: refused ones must not
    change it."""
    if getattr(client, "settled", None) is None:
        client.sim.world.runner.run_due()
        client.settled = world_state(client)
    return client.settled


_SAME: set = {str, int, float, bool, type(None)}  # types compared as they are (enums join on first sight)
_GETTERS: dict = {}  # a class -> a getter of all its dataclass fields at once


def _fields(obj) -> tuple:
    getter = _GETTERS.get(type(obj))
    if getter is None:
        names = [f.name for f in dataclasses.fields(obj)]
        one = operator.attrgetter(*names)
        getter = _GETTERS[type(obj)] = one if len(names) > 1 else (lambda o: (one(o),))
    # the fuzzers call this for every object after every refused mutation: plain values skip _flat
    return tuple(v if type(v) in _SAME else _flat(v) for v in getter(obj))


def _flat(value):
    """A value with every domain object in it replaced by its kind and id: the object is compared on its own."""
    if type(value) in _SAME:
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(k), _flat(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_flat(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_flat(v)) for v in value))
    if dataclasses.is_dataclass(value):
        return type(value).__name__, getattr(value, "id", None) or id(value)
    if isinstance(value, enum.Enum):
        _SAME.add(type(value))
    return value


def snapshot(client) -> str:
    """The whole world as the API shows it."""
    out = {}
    for op in QUERY_OPS:
        if op.endswith("-connection"):
            continue
        r = send(client, "/v2/api" + op, {})
        assert r.status_code == 200
        out[op] = r.get_json()
    return json.dumps(out, sort_keys=True)


# --- every mutation once: the walk (test_mutation_walk.py), and a world holding every kind (test_saved.py) ----------

def walk_steps(ids):
    """Every simulated mutation once, valid for the default scenario, in an order where each one is allowed."""
    h = ids["hosts"]
    return [
        ("/add-vm-nic", {"where": {"name": "test-01"}, "data": {"vm_nics": [{"connect_vlan_id": ids["vlan"]}]}}),
        ("/add-vm-disk", {"where": {"name": "test-01"}, "data": {"vm_disks": {"mount_new_create_disks": [
            {"vm_volume": {"name": "t1-data", "size": GiB, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"},
             "bus": "VIRTIO", "boot": 2}]}}}),
        ("/expand-vm-disk", {"where": {"id": ids["disk"]}, "size": 50 * GiB}),
        ("/create-vm-vlan", [{"vds_id": ids["vds"], "name": "walk-vlan", "vlan_id": 42}]),
        ("/create-vds", [{"cluster_id": ids["cluster"], "name": "walk-vds", "nic_ids": ids["free_nics"]}]),
        ("/update-vds", {"where": {"name": "walk-vds"}, "data": {"bond_mode": "balance-slb"}}),
        ("/delete-vds", {"where": {"name": "walk-vds"}}),
        ("/update-elf-image", {"where": {"name_ends_with": ".iso"}, "data": {"description": "walked"}}),
        ("/eject-iso-from-vm-cd-rom", {"where": {"type": "CD_ROM"}}),
        ("/delete-elf-image", {"where": {"name_ends_with": ".iso"}}),
        ("/create-vm-placement-group", [{"cluster_id": ids["cluster"], "name": "walk-pg", "enabled": True,
                                         "vm_vm_policy_enabled": True, "vm_vm_policy": "PREFER_SAME",
                                         "vms": {"name_in": ["web-01", "web-02"]}}]),
        ("/update-vm-placement-group", {"where": {"name": "walk-pg"}, "data": {
            "vm_host_prefer_enabled": True, "prefer_hosts": {"name": "node-1"}}}),
        ("/delete-vm-placement-group", {"where": {"name": "walk-pg"}}),
        ("/create-label", [{"key": "walk", "value": "1"}]),
        ("/add-labels-to-resources", {"where": {"key": "walk"}, "data": {"vms": {"name": "web-01"},
                                                                         "clusters": {}}}),
        ("/remove-labels-from-resources", {"where": {"key": "walk"}, "data": {"vms": {}}}),
        ("/update-label", {"where": {"key": "walk"}, "data": {"value": "2"}}),
        ("/delete-label", {"where": {"key": "walk"}}),
        ("/create-organization", [{"name": "walk-org"}]),
        ("/update-organization", {"where": {"name": "walk-org"}, "data": {"name": "walk-org-2"}}),
        ("/create-datacenter", [{"organization_id": ids["org"], "name": "walk-dc"}]),
        ("/remove-clusters-from-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/add-clusters-to-datacenter", [{"where": {"id": ids["dc"]}, "data": {"clusters": {}}}]),
        ("/update-datacenter", {"where": {"name": "walk-dc"}, "data": {"name": "walk-dc-2"}}),
        ("/delete-datacenter", {"where": {"name": "walk-dc-2"}}),
        ("/delete-organization", {"where": {"name": "walk-org-2"}}),
        ("/create-vm-folder", [{"cluster_id": ids["cluster"], "name": "walk-folder"}]),
        ("/update-vm-folder", {"where": {"name": "walk-folder"}, "data": {"name": "walk-folder-2"}}),
        ("/add-vm-to-folder", {"where": {"name": "test-01"}, "data": {"folder_id": "@walk-folder"}}),
        ("/remove-vm-from-folder", {"where": {"name": "test-01"}}),
        ("/delete-vm-folder", {"where": {"name": "walk-folder-2"}}),
        ("/create-vm-snapshot", {"data": [{"vm_id": ids["test-01"], "name": "walk-snap"}]}),
        ("/rollback-vm", {"where": {"name": "test-01"}, "data": {"snapshot_id": "@walk-snap"}}),
        ("/rebuild-vm-from-snapshot", [{"rebuild_from_snapshot_id": "@walk-snap", "name": "walk-rebuilt"}]),
        ("/delete-vm-snapshot", {"where": {"name": "walk-snap"}}),
        ("/clone-vm-template-from-vm", [{"vm_id": ids["test-01"], "name": "walk-tpl",
                                         "cloud_init_supported": False}]),
        ("/update-vm-template", {"where": {"name": "walk-tpl"}, "data": {"description": "walked"}}),
        ("/create-vm-from-template", [{"template_id": "@walk-tpl", "name": "walk-from-tpl", "is_full_copy": True}]),
        ("/convert-vm-template-to-vm", [{"converted_from_template_id": "@walk-tpl", "name": "walk-converted"}]),
        ("/convert-vm-template-from-vm", [{"vm_id": "@walk-converted", "name": "walk-tpl-2",
                                           "cloud_init_supported": True}]),
        ("/delete-vm-template", {"where": {"name": "walk-tpl-2"}}),
        ("/clone-vm", [{"src_vm_id": ids["test-01"], "name": "walk-clone", "is_full_copy": False}]),
        ("/clone-content-library-vm-template-from-vm", [{"vm": {"id": ids["test-01"]}, "name": "walk-lib",
                                                         "clusters": {"id": ids["cluster"]}}]),
        ("/update-content-library-vm-template", {"where": {"name": "walk-lib"}, "data": {"description": "walked"}}),
        ("/distribute-content-library-vm-template-clusters", {"where": {"name": "walk-lib"},
                                                              "data": {"clusters": {"id": ids["cluster"]}}}),
        ("/create-vm-from-content-library-template", [{"template_id": "@walk-lib", "cluster_id": ids["cluster"],
                                                       "name": "walk-from-lib", "is_full_copy": False}]),
        ("/create-vm-from-content-library-template-batch", {"template_id": "@walk-lib", "vms": [
            {"cluster_id": ids["cluster"], "name": f"walk-batch-{i}", "is_full_copy": True} for i in range(2)]}),
        ("/convert-content-library-vm-template-from-vm", [{"vm": {"id": "@walk-clone"}, "name": "walk-lib-2",
                                                           "clusters": {"id": ids["cluster"]}}]),
        ("/delete-content-library-vm-template", {"where": {"name_in": ["walk-lib", "walk-lib-2"]}}),
        ("/move-vm-to-recycle", {"where": {"name": "build-01"}}),
        ("/recover-vm-from-recycle", {"where": {"name": "build-01"}}),
        ("/create-vm-volume", [{"cluster_id": ids["cluster"], "name": "walk-volume", "size": GiB, "sharing": False,
                                "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}]),
        ("/shutdown-vm", {"where": {"name": "web-01"}}),
        ("/suspend-vm", {"where": {"name": "web-02"}}),
        ("/resume-vm", {"where": {"name": "cache-01"}}),
        ("/start-vm", {"where": {"name": "test-01"}}),
        ("/start-vm", {"where": {"name": "build-01"}, "data": {"host_id": h["node-3"]}}),
        ("/restart-vm", {"where": {"name": "app-01"}}),
        ("/force-restart-vm", {"where": {"name": "app-02"}}),
        ("/poweroff-vm", {"where": {"name": "web-03"}}),
        ("/update-vm-basic-info", {"where": {"name": "web-03"}, "data": {"ha": False}}),
        ("/add-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 3}]}),
        ("/remove-vm-gpu-device", {"where": {"name": "web-03"}, "data": [{"gpu_id": ids["vgpu"], "amount": 1}]}),
        ("/migrate-vm", {"where": {"name": "monitor-01"}, "data": {"host_id": h["node-3"]}}),
        ("/delete-vm", {"where": {"name": "template-builder"}, "effect": {"include_snapshots": True}}),
        ("/create-vm", [{"name": "new-01", "cluster_id": ids["cluster"], "status": "STOPPED", "firmware": "BIOS",
                         "ha": True, "vm_nics": [], "vm_disks": {}, "memory": 2 * GiB, "cpu_cores": 1,
                         "cpu_sockets": 1}]),
        ("/enter-maintenance-mode-precheck", {"where": {"id": h["node-3"]}}),
        ("/enter-maintance-mode-precheck-result", {"where": {"task_id": "@last-task"}}),
        ("/enter-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {"shutdown_vms": []}}),
        ("/exit-maintance-mode-precheck-result", {"where": {"id": h["node-3"]}}),
        ("/exit-maintance-mode", {"where": {"host_id": h["node-3"]}, "data": {}}),
        ("/connect-cluster", [{"ip": "10.20.0.10", "username": "admin", "password": "edge-pass",
                               "datacenter_id": ""}]),
        ("/update-cluster", {"where": {"name": "smtx-edge"}, "data": {
            "ip": "10.20.0.10", "username": "admin", "password": "edge-pass", "datacenter_id": ids["dc"]}}),
        ("/delete-cluster", {"where": {"name": "smtx-edge"}}),
    ]


def walk_ids(api) -> dict:
    """What the walk's steps name in the default world."""
    ids = {"hosts": {h["name"]: h["id"] for h in api.ok("get-hosts")}, "cluster": api.ok("get-clusters")[0]["id"]}
    ids.update(vlan=api.ok("get-vlans", {"where": {"name": "vlan-100"}})[0]["id"], vds=api.ok("get-vdses")[0]["id"],
               disk=api.ok("get-vm-disks", {"where": {"vm": {"name": "web-01"}, "type": "DISK"}})[0]["id"],
               vgpu=api.ok("get-gpu-devices", {"where": {"user_usage": "VGPU"}})[0]["id"],
               free_nics=[n["id"] for n in api.ok("get-nics", {"where": {"name_in": ["eth4", "eth5"]}})],
               org=api.ok("get-organizations")[0]["id"], dc=api.ok("get-datacenters")[0]["id"],
               **{"test-01": api.ok("get-vms", {"where": {"name": "test-01"}})[0]["id"]})
    return ids


def walk_body(api, body, last_task):
    """A step's body with the objects the walk made before it named by their ids."""
    if isinstance(body, dict) and body.get("where", {}).get("task_id") == "@last-task":
        body = {"where": {"task_id": last_task}}
    for marker, kind in (("@walk-tpl", "vm-templates"), ("@walk-converted", "vms"), ("@walk-clone", "vms"),
                         ("@walk-lib", "content-library-vm-templates")):
        if marker in json.dumps(body):
            found = api.ok(f"get-{kind}", {"where": {"name": marker[1:]}})[0]["id"]
            body = json.loads(json.dumps(body).replace(f'"{marker}"', f'"{found}"'))
    if "@walk-snap" in json.dumps(body):
        snap = api.ok("get-vm-snapshots", {"where": {"name": "walk-snap"}})[0]["id"]
        body = json.loads(json.dumps(body).replace("@walk-snap", snap))
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"].get("folder_id"):
        body = {**body, "data": {"folder_id": api.ok("get-vm-folders", {"where": {"name_starts_with":
                                                                                 "walk-folder"}})[0]["id"]}}
    return body


def walk_task(data, last_task):
    """The last task an answer names, else `last_task`."""
    tasks = [data] if isinstance(data, dict) else data
    return next((t["task_id"] for t in tasks if isinstance(t, dict) and t.get("task_id")), last_task)
