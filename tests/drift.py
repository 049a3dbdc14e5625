"""Test-only WSGI middleware that breaks the simulator's answers the way a drifting simulator (or a changed
CloudTower) would, one breakage at a time, so tests can show the contract suite notices each."""

from __future__ import annotations

import json

from cloudtower_sim.mock_server.api.registry import simulated
from cloudtower_sim.mock_server.schema.spec import Spec
from cloudtower_sim.mock_server.schema.types import ListOf


def _rewrite_json(body: bytes, change):
    try:
        data = json.loads(body)
    except ValueError:
        return body
    return json.dumps(change(data)).encode()


def _replace_strings(data, old, new):
    if isinstance(data, dict):
        return {k: _replace_strings(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_replace_strings(v, old, new) for v in data]
    return new if data == old else data


def _rename_key(data, old, new):
    return {new if k == old else k: v for k, v in data.items()} if isinstance(data, dict) else data


def _drop_host_field(data):
    if isinstance(data, list):
        return [{k: v for k, v in h.items() if k != "management_ip"} if isinstance(h, dict) else h for h in data]
    return data


def _nullable_lists() -> frozenset:
    """The array fields of Vm and Host that upstream declares nullable (relations to many; `out_uninstall_usb` and
    a host's sensor lists are not)."""
    schemas = Spec.load().document(["/get-vms", "/get-hosts"])["components"]["schemas"]
    fields = [(k, v.get("nullable", False)) for name in ("Vm", "Host")
              for k, v in schemas[name]["properties"].items() if v.get("type") == "array"]
    return frozenset(k for k, nullable in fields if nullable) - {k for k, nullable in fields if not nullable}


def _empty_lists_as_null(data, keys=_nullable_lists()):
    """Prisma's [] for a relation to many with none, answered as null where upstream's schema allows it: only the
    tower's rule that such a relation is [] can tell."""
    if isinstance(data, list):
        return [{k: None if v == [] and k in keys else v for k, v in o.items()} if isinstance(o, dict) else o
                for o in data]
    return data


def _refuse_bearer(environ):
    if environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
        return 401, {"message": "the Authorization token is not valid", "status": 401, "path": environ["PATH_INFO"]}
    return None


def _unwrap_single(data):
    return data[0] if isinstance(data, list) and len(data) == 1 else data


def _never_finished(data):
    """Every task as a tower that never finishes one shows it: EXECUTING, its progress stuck half way."""
    if isinstance(data, list):
        return [{**t, "status": "EXECUTING", "progress": 0.5, "finished_at": None} if isinstance(t, dict) else t
                for t in data]
    return data


def _count_one_more(data):
    if isinstance(data, dict) and isinstance(data.get("aggregate"), dict) and "count" in data["aggregate"]:
        return {**data, "aggregate": {**data["aggregate"], "count": data["aggregate"]["count"] + 1}}
    return data


class Breakage:
    """One breakage: which paths it touches, what it does to (status, body) and to the headers, and the words of
    which at least one the failing contracts' report must contain."""

    def __init__(self, name, paths, change=None, status=None, expect=(), refuse=None, drop_headers=()):
        self.name, self.paths, self.change, self.status, self.expect = name, paths, change, status, expect
        self.refuse = refuse  # environ -> (status, ErrorBody) answered instead of the simulator, or None
        self.drop_headers = {h.lower() for h in drop_headers}

    def __call__(self, sim, path, status, body):
        if self.paths and path not in self.paths:
            return status, body
        if self.status is not None:
            status, body = self.status(sim, status, body)
        if self.change is not None and status == 200:
            body = _rewrite_json(body, lambda d: self.change(sim, d))
        return status, body


def _server_error_on_bad_input(sim, status, body):
    if status != 400:
        return status, body
    error = json.loads(body)
    return 500, json.dumps({**error, "status": 500, "message": "Internal server error"}).encode()


def _vm_left_in_maintenance(sim, data):
    """Show one running VM of another host on the host in maintenance, as if it had not been moved."""
    down = [h for h in sim.world.hosts.values() if h.maintenance_state == "MAINTENANCE_MODE"]
    if not down or not isinstance(data, list):
        return data
    host = down[0]
    for vm in data:
        if isinstance(vm, dict) and vm.get("status") == "RUNNING" and (vm.get("host") or {}).get("id") != host.id:
            vm["host"] = {"id": host.id, "name": host.name, "management_ip": host.management_ip}
            break
    return data


# the operations that answer an array of WithTask, one per VM
VM_OPERATIONS = sorted(p for p, b in simulated().items() if isinstance(b.op.response, ListOf)
                       and getattr(b.op.response.item, "name", "").startswith("WithTask_"))

CONNECTIONS = sorted(p for p in simulated() if p.endswith("-connection"))

BREAKAGES = {b.name: b for b in [
    Breakage(
        "drop-required-host-field", ["/get-hosts"], lambda sim, d: _drop_host_field(d),
        expect=["management_ip: required: expected present"]),
    Breakage(
        "succeeded-for-successed", None, lambda sim, d: _replace_strings(d, "SUCCESSED", "SUCCEEDED"),
        expect=["seen 'SUCCEEDED'"]),
    Breakage(
        "shutdownVms-on-exit", ["/exit-maintance-mode-precheck-result"],
        lambda sim, d: _rename_key(d, "shutDownVms", "shutdownVms"),
        expect=["shutDownVms: required: expected present"]),
    Breakage(
        "single-withtask", VM_OPERATIONS, lambda sim, d: _unwrap_single(d),
        expect=["type: expected array, seen object", "not an array"]),
    Breakage(
        "500-on-bad-input", ["/get-vms"], status=_server_error_on_bad_input, expect=["POST /get-vms answered 500"]),
    Breakage(
        "no-entering-maintenance", None,
        lambda sim, d: _replace_strings(d, "ENTERING_MAINTENANCE_MODE", "IN_USE"),
        expect=["never saw the host ENTERING_MAINTENANCE_MODE"]),
    Breakage(
        "vm-left-in-maintenance", ["/get-vms"], _vm_left_in_maintenance,
        expect=["still RUNNING on node-1 in MAINTENANCE_MODE"]),
    Breakage(
        "null-for-no-relations", ["/get-vms", "/get-hosts"], lambda sim, d: _empty_lists_as_null(d),
        expect=["where a tower answers []"]),
    Breakage("bearer-refused", None, refuse=_refuse_bearer, expect=["a Bearer token answered 401"]),
    Breakage(  # what issue 13 found: create-vm's disks and NICs silently dropped
        "vm-without-devices", ["/get-vm-disks"], lambda sim, d: [], expect=["get-vm-disks lists 0 disks"]),
    Breakage(  # issue 16: a tower whose tasks never end must get a verdict, not a wait until CI's timeout
        "task-never-finishes", ["/get-tasks"], lambda sim, d: _never_finished(d), expect=["made no progress for"]),
    Breakage(
        "no-request-id", None, drop_headers=["x-tower-request-id"],
        expect=["x-tower-request-id header: required: expected present"]),
    Breakage(
        "connection-count-off-by-one", CONNECTIONS, lambda sim, d: _count_one_more(d), expect=["(aggregate.count)"]),
    Breakage(
        "readonly-obeyed", VM_OPERATIONS, status=lambda sim, status, body: (200, b"[]") if status == 403 else (
            status, body), expect=["a READ_ONLY user's"]),
]}


def middleware(breakage: Breakage):
    """wrap(app, sim) for tests/support.py's Served: answers pass through `breakage` on their way out."""
    def wrap(app, sim):
        def drifted(environ, start_response):
            path = environ.get("PATH_INFO", "")
            op = path[len("/v2/api"):] if path.startswith("/v2/api") else path
            refused = breakage.refuse(environ) if breakage.refuse else None
            if refused:
                body = json.dumps(refused[1]).encode()
                start_response(f"{refused[0]} Drifted", [("Content-Type", "application/json"),
                                                          ("Content-Length", str(len(body))),
                                                          ("x-tower-request-id", "drifted")])
                return [body]
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers

            chunks = app(environ, capture)
            try:
                body = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            code = int(captured["status"].split()[0])
            new_code, body = breakage(sim, op, code, body)
            status = captured["status"] if new_code == code else f"{new_code} Drifted"
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in captured["headers"]
                       if k.lower() not in breakage.drop_headers]
            start_response(status, headers)
            return [body]
        return drifted
    return wrap
