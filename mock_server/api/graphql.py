"""CloudTower's GraphQL endpoint, POST /api, beside REST's /v2/api on the same app: a second wire onto the same domain.
graphql-core parses, validates and executes each document against schema.graphql (Tower's names and types); the
resolvers call the domain as the REST handlers do.

Errors are shaped as real clients parse them (../shared/reference/graphql.md): `{"data": null, "errors": [{"message",
"code"}]}`, `code` a string at the top level (everoute reads it there). A document that does not parse or validate
answers 400, as Apollo Server (which serves Nexus schemas like Tower's) answers GRAPHQL_PARSE_FAILED and
GRAPHQL_VALIDATION_FAILED; an error while executing answers 200 with its errors. That status is inferred, not
observed: no public source shows a tower's error answer, and the Terraform provider treats either as a failure."""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path

from flask import Flask, Response, request
from graphql import (FieldNode, GraphQLError, ObjectFieldNode, OperationDefinitionNode, build_schema, execute, parse,
                     validate)
from graphql.language import Visitor, visit

from ..domain import vm_devices, vms
from ..domain.errors import DomainError
from .app_state import state_of
from ..schema.spec import Spec
from . import graphql_types
from .faults import DROP_HEADER
from .front import FAULT, GRAPHQL_PATH, SENT, TASK_IDS
from .wire import MAX_DEPTH as MAX_VARIABLE_DEPTH, MAX_VALUES, MAX_WHERE_CLAUSES, measure

SDL = Path(__file__).with_name("schema.graphql")
MAX_BYTES = 4 * 1024 * 1024  # as a REST JSON body (wire.MAX_JSON_BYTES)
MAX_DEPTH = 15  # selections nested in selections: Tower's deepest reads (a VM's NICs' VLAN's VDS) need a few
MAX_FIELDS = 1000  # selections in one document, aliases included: an alias bomb asks one field thousands of times
MAX_OPERATIONS = 20  # operations in one document
STEPS = {"updateVm": ("update",)}  # the root fields that start a task, and its steps (registry.Entry.steps)


@cache
def schema(version: str):
    """The schema of /api for an API version: schema.graphql, with the read types made from that version's REST
    schemas (built at the first GraphQL request, not at start: about 0.4 s)."""
    own = SDL.read_text()
    return build_schema(own + "\n" + graphql_types.sdl(Spec.load(version).schemas, own))


class Refused(Exception):
    def __init__(self, message: str, code: str, status: int = 200):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def answer(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(_whole(payload), separators=(",", ":")), status, mimetype="application/json")


def _whole(value):
    """Floats that are whole numbers written as integers, as Tower's server (JavaScript) writes them: Vm.memory is a
    Float of bytes, and a Go client decoding it into an int64 refuses 17179869184.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def refused(message: str, code: str, status: int) -> Response:
    return answer({"data": None, "errors": [{"message": message, "code": code}]}, status)


def serve(app: Flask) -> Response:
    """POST /api: the request at hand (api/__init__.py routes it here, importing this module, and with it
    graphql-core, at the first GraphQL request rather than at start)."""
    sim, faults = state_of(app).sim, state_of(app).faults
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BYTES:
        return refused(f"the request body is larger than cloudtower-sim's bound of {MAX_BYTES} bytes",
                       "BAD_REQUEST", 400)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return refused("the request body is not JSON: expected {query, variables, operationName}", "BAD_REQUEST",
                       400)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return refused("query: expected the GraphQL document as a string", "BAD_REQUEST", 400)
    request.environ[SENT] = {"operationName": body.get("operationName"), "variables": body.get("variables")}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return refused("variables: expected an object", "BAD_REQUEST", 400)
    try:
        document = parse(body["query"])
    except GraphQLError as e:
        return refused(_as_graphql_js(e.message), "GRAPHQL_PARSE_FAILED", 400)
    bound = _beyond_bounds(document) or _variables_beyond_bounds(document, variables)
    if bound:
        return refused(bound, "GRAPHQL_VALIDATION_FAILED", 400)
    served = schema(sim.spec.version)
    problems = validate(served, document)
    if problems:
        return answer({"data": None, "errors": [{"message": _as_graphql_js(p.message),
                                                 "code": "GRAPHQL_VALIDATION_FAILED",
                                                 **_where(p)} for p in problems]}, 400)
    operation = body.get("operationName") or None
    chosen = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
              and (operation is None or (d.name and d.name.value == operation))]
    reading = bool(chosen) and all(d.operation.value == "query" for d in chosen)
    # a fault set for "/api/<root field>" (updateVm, login, vms...) takes this request, as REST's take theirs
    fields = [s.name.value for d in chosen[:1] for s in d.selection_set.selections if isinstance(s, FieldNode)]
    fault = next((f for f in (faults.take(f"{GRAPHQL_PATH}/{name}", request.environ[SENT]) for name in fields)
                  if f is not None), None)
    request.environ[FAULT] = fault
    effect = fault.effect if fault is not None else {}
    if "delay_ms" in effect:
        time.sleep(effect["delay_ms"] / 1000)
    elif "status" in effect:
        return refused(effect["message"], effect.get("code", "INJECTED_FAULT"), effect["status"])
    elif "drop" in effect:
        request.environ["cloudtower_sim.drop"] = True
        return Response(b"", 200, headers={DROP_HEADER: "1"})
    with sim.session(read=reading and "task" not in effect and "unmovable" not in effect) as world:
        root = Root(world, request.headers.get("Authorization"))
        world.failing = effect.get("task")
        if "unmovable" in effect:
            world.make_unmovable(effect["unmovable"]["vm"], effect["unmovable"]["reason"])
        try:
            result = execute(served, document, root_value=root, variable_values=variables,
                             operation_name=operation)
        finally:
            unmet, world.failing = world.failing, None
        if unmet is not None:  # no task of this request had the fault's step: it waits for one that has
            faults.give_back(fault)
            request.environ[FAULT] = None  # (the journal records no fault applied)
    errors = [_error(e) for e in result.errors or ()]
    # variables that do not fit their types stop the request before any field runs: a request error (400), as
    # Apollo Server answers BAD_USER_INPUT; a field's refusal is an execution error (200)
    request_error = result.data is None and result.errors and not any(e.path for e in result.errors)
    response = answer({"data": result.data, **({"errors": errors} if errors else {})},
                      400 if request_error else 200)
    if root.task_ids:  # everoute waits on the task a mutation started through this header (graphql.md)
        response.headers["x-task-id"] = root.task_ids[-1]
        request.environ[TASK_IDS] = list(root.task_ids)  # for the journal
    return response


def _where(e: GraphQLError) -> dict:
    out = {}
    if e.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in e.locations]
    if e.path:
        out["path"] = list(e.path)
    return out


def _error(e: GraphQLError) -> dict:
    original = e.original_error
    if isinstance(original, DomainError):
        # PERMISSION_DENIED is among the codes everoute knows; the others are Apollo Server's
        code = original.code or {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                                 404: "NOT_FOUND"}.get(original.status, "BAD_REQUEST")
        return {"message": original.message, "code": code, **_where(e)}
    if isinstance(original, Refused):
        return {"message": original.message, "code": original.code, **_where(e)}
    if isinstance(original, GraphQLError):  # a variable that does not fit its type
        return {"message": _as_graphql_js(original.message), "code": "BAD_USER_INPUT", **_where(e)}
    if original is not None:  # a bug in the simulator: an error answer, not a crash
        return {"message": f"cloudtower-sim internal error: {type(original).__name__}: {original}",
                "code": "INTERNAL_SERVER_ERROR", **_where(e)}
    return {"message": _as_graphql_js(e.message), "code": "BAD_USER_INPUT", **_where(e)}


def _as_graphql_js(message: str) -> str:
    """graphql-core words its messages as graphql-js does, but quotes names with ' where graphql-js, Tower's server,
    uses ": everoute matches `^Cannot query field "(\\w+)" on type "(\\w+)"\\.` to leave out a field its tower lacks
    and ask again (plugin/tower/pkg/informer/reflector.go)."""
    return re.sub(r"'([^'\s]*)'", r'"\1"', message)


def _beyond_bounds(document) -> str | None:
    """Why a document asks for more than one request may, or None."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) > MAX_OPERATIONS:
        return f"{len(operations)} operations in one document is more than cloudtower-sim's bound of {MAX_OPERATIONS}"
    fields, level, depth = 0, [d.selection_set for d in document.definitions if getattr(d, "selection_set", None)], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return f"selections nested more than {MAX_DEPTH} deep is beyond cloudtower-sim's bound"
        selections = [s for ss in level for s in ss.selections]
        fields += sum(1 for s in selections if isinstance(s, FieldNode))
        if fields > MAX_FIELDS:
            return f"more than {MAX_FIELDS} fields (aliases included) in one document is beyond cloudtower-sim's bound"
        level = [s.selection_set for s in selections if getattr(s, "selection_set", None)]
    return None


class _InputFields(Visitor):
    """Counts the input object fields written in a document's arguments."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def enter_object_field(self, node: ObjectFieldNode, *_):
        self.count += 1


def _variables_beyond_bounds(document, variables: dict) -> str | None:
    """REST's bounds on a body (wire.py), held to the variables and the arguments written in the document: how deep
    they nest, how many values, and how many input fields (each a clause a filter tests every object against)."""
    depth, values = measure(variables)
    if depth > MAX_VARIABLE_DEPTH:
        return f"variables nested more than {MAX_VARIABLE_DEPTH} levels deep is beyond cloudtower-sim's bound"
    if values > MAX_VALUES:
        return f"{values} values in the variables is more than cloudtower-sim's bound of {MAX_VALUES}"

    written = _InputFields()
    visit(document, written)
    fields = written.count + measure(variables, keys_only=True)[1]
    if fields > MAX_WHERE_CLAUSES:
        return (f"{fields} input fields in one request is more than cloudtower-sim's bound of {MAX_WHERE_CLAUSES} "
                "(each is a clause a filter tests every object against)")
    return None


class Root:
    """The resolvers of Query and Mutation: graphql-core calls a root's attribute of a field's name with its
    arguments."""

    def __init__(self, world, authorization: str | None):
        self.world, self.authorization = world, authorization
        self.task_ids: list[str] = []

    def _user(self, mutation: str):
        """The user of the request's token (the bare token, as the Terraform provider sends it to /api), allowed to
        make `mutation`."""
        user = self.world.user_for(self.authorization)
        self.world.may_change(user, mutation)
        return user

    def authnStrategies(self, info):  # noqa: N802 (Tower's name); no token: clients ask it before they log in
        return [{"id": c.id, "type": c.type} for c in self.world.auth_configs.values()]

    def login(self, info, data):
        try:
            token = self.world.login(data["username"], data["password"], data.get("source"),
                                     data.get("auth_config_id"))
        except DomainError as e:  # LOGIN_FAILED: among the codes everoute knows (graphql.md)
            raise Refused(e.message, "LOGIN_FAILED") from None
        return {"token": token}

    def __getattr__(self, field: str):
        """The reads (graphql_types.READS): `vms(where, orderBy, first, ...)` as REST's get-vms takes the same body,
        and `vm(where)`, the one object its unique where names, or null. A read needs a token too."""
        for kind, (one, many) in graphql_types.READS.items():
            if field == many:
                def read_many(info, **args):
                    self.world.user_for(self.authorization)
                    return self.world.query(kind, {k: v for k, v in args.items() if v is not None})
                return read_many
            if field == one:
                def read_one(info, where):
                    self.world.user_for(self.authorization)
                    return _one(self.world, kind, where, required=False)
                return read_one
        raise AttributeError(field)

    def updateVm(self, info, data, where, effect=None):  # noqa: N802 (Tower's name)
        """The VM's edit as REST's update-vm-basic-info makes it (the same rules, one task, resource_mutation
        updateVm, which the provider then waits on through REST get-tasks); the VM as it stands is the answer."""
        user = self._user("UpdateVm")
        vm = _one(self.world, "Vm", where)
        rest = {k: data[k] for k in ("name", "description", "ha", "vcpu", "hostname", "dns_servers")
                if data.get(k) is not None}
        if data.get("memory") is not None:
            if data["memory"] != int(data["memory"]):
                raise Refused(f"data.memory: expected a whole number of bytes, got {data['memory']}", "BAD_REQUEST")
            rest["memory"] = int(data["memory"])
        for key in ("cores", "sockets"):
            if (data.get("cpu") or {}).get(key) is not None:
                rest[f"cpu_{key}"] = data["cpu"][key]
        nics, disks = data.get("vm_nics"), data.get("vm_disks")
        changes = []
        if nics:
            changes.append(vm_devices.replaced_nics(self.world, vm, nics.get("create") or [],
                                                    nics.get("delete") or [], "data.vm_nics"))
        if disks:
            changes.append(vm_devices.changed_disks(self.world, vm, disks.get("create") or [],
                                                    disks.get("update") or [], disks.get("delete") or [],
                                                    "data.vm_disks"))
        also = (lambda: [change() for change in changes]) if changes else None
        if not rest and also is None:
            raise Refused("data: expected at least one field to change", "BAD_REQUEST")
        vms.not_recycled([vm])
        account = (effect or {}).get("guest_os_username"), (effect or {}).get("guest_os_password")
        [(task, _)] = vms.update(self.world, user, [vm], rest, account, also)
        self.task_ids.append(task.id)
        return vm


def _one(world, kind: str, where: dict, required: bool = True):
    """A WhereUniqueInput's object: the one of that id (or local_id); None when there is none and it is not
    `required` (a read of one object answers null, a mutation of it is refused)."""
    keys = {k: v for k, v in where.items() if v is not None}
    if len(keys) != 1:
        raise Refused(f"where: expected exactly one of {', '.join(where) or 'id'}", "BAD_REQUEST")
    [(key, value)] = keys.items()
    found = world.query(kind, {"where": {key: value}})
    if not found and required:
        raise Refused(f"where.{key}: no {kind} with {key} {value!r}", "NOT_FOUND")
    return found[0] if found else None
