"""The registry: one entry per simulated operation. An entry names the upstream path and the handler that maps the
validated body to a domain call and the domain's answer to wire names; method, operationId, tag and the request and
response types come from the extract of the served API version. Reads are declared by the kind itself (`read = True`
in its class, domain/model.py Entity): the `get-...` and `get-...-connection` paths are upstream's (see
`schema.extract.read_paths`). The handler modules register
here as the api package imports them (api/__init__.py); the registry imports none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..domain import vms
from ..domain.world import DECLARED

if TYPE_CHECKING:
    from ..schema.spec import Operation, Spec

Handler = Callable  # handler(world, body, user) -> what the operation's response type renders


@dataclass(frozen=True)
class Entry:
    path: str
    handler: Handler
    mutation: bool = True  # changes the world (a read-only user may not call it)
    read: bool = False  # only reads the world: runs alongside other reads
    steps: tuple[str, ...] | None = None  # the keys of the steps of the tasks it starts (None: it starts none)


ENTRIES: dict[str, Entry] = {}
# the steps of a VM's creation (vms.py create_steps): one for each new volume; a batch's VMs each have their own
CREATING = ("create", "create_volume:<volume>", "finish")
CREATING_EACH = ("create:<vm>", "create_volume:<volume>", "finish:<vm>")
READS = [name for name, kind in DECLARED.items() if kind.read]  # the kinds served by get-x / get-x-connection


def operation(path: str, mutation: bool = True, read: bool = False, steps: tuple[str, ...] | None = None):
    """Declare `handler(world, body, user)` as the simulated operation at upstream's `path`; `read` if it only reads
    the world (not even a token: /login is no read); `steps`: the keys of the steps of each task it starts, in order,
    `<name>` standing for what a key names in the world (`shutdown:<vm>`): a task fault (api/faults.py) names one,
    and is refused when none of its operation's could ever match (tests/test_faults.py holds them to the tasks)."""
    def register(handler: Handler) -> Handler:
        if path in ENTRIES:
            raise ValueError(f"{path} is registered twice")
        if read and mutation:
            raise ValueError(f"{path}: a mutation is no read")
        ENTRIES[path] = Entry(path, handler, mutation, read, steps)
        return handler
    return register


# what handlers answer ------------------------------------------------------------------------------------------------
def with_task(task, data) -> dict:
    """`WithTask_<X>_`: one object, or a list of them, and the task that lands it (None where none runs: /login)."""
    return {"task_id": None if task is None else task.id, "data": data}


def with_tasks(started, deleting: bool = False) -> list[dict]:
    """`[WithTask_<X>_]` of (task, object) pairs: one task per object; a deletion answers each object's id only."""
    return [with_task(task, {"id": obj.id} if deleting else obj) for task, obj in started]


def body_data(world, body) -> tuple:
    """`acting_on`'s args of an edit that takes the body's `data`."""
    return (body["data"],)


def acting_on(entity: str, edit, args=body_data, deleting: bool = False) -> Handler:
    """A handler: the `entity` objects `where` chooses, given to `edit(world, user, objects, *args(world, body))`
    (by default the body's `data`), answering one WithTask per object."""
    def handler(world, body, user):
        chosen = world.query(entity, {"where": body["where"]})
        if entity in ("Vm", "VmDisk", "VmNic"):  # a VM in the recycle bin is not edited
            vms.not_recycled(chosen)
        return with_tasks(edit(world, user, chosen, *args(world, body)), deleting)
    return handler


def nothing(world, body) -> tuple:
    """`acting_on`'s args of an edit that takes nothing but the objects."""
    return ()


def wanted() -> tuple[list[str], list[str]]:
    """What the extract must hold: the registered paths and the read entities."""
    return sorted(ENTRIES), list(READS)


@dataclass(frozen=True)
class Bound:
    """A registered operation as one API version has it."""
    op: "Operation"
    handler: Handler
    mutation: bool
    read: bool = False  # only reads the world: runs alongside other reads (see Simulator.session)
    steps: tuple[str, ...] | None = None  # (Entry.steps)


def bind(spec: "Spec") -> dict[str, Bound]:
    """The operations `spec`'s version has, path -> Bound; a registered path the version lacks is left out (it
    answers as a path that does not exist)."""
    bound = {p: Bound(spec.operations[p], e.handler, e.mutation, e.read, e.steps) for p, e in ENTRIES.items()
             if p in spec.operations}
    for entity in READS:
        if entity in spec.reads:
            listing, count = spec.reads[entity]
            bound[listing] = Bound(spec.operations[listing], _lister(entity), False, read=True)
            bound[count] = Bound(spec.operations[count], _counter(entity), False, read=True)
    return bound


def _lister(entity: str) -> Handler:
    return lambda world, body, user: world.query(entity, body)


def _counter(entity: str) -> Handler:
    return lambda world, body, user: {"aggregate": {"count": len(world.query(entity, body))}}


def simulated(version: str | None = None) -> dict[str, Bound]:
    """The simulated operations of an API version (default: the newest served), path -> Bound."""
    from ..schema.spec import DEFAULT_VERSION, Spec

    return bind(Spec.load(version or DEFAULT_VERSION))


def acts_on_vms(op: "Operation") -> bool:
    """A mutation whose body chooses existing VMs by a `VmWhereInput` (start-vm, delete-vm, ...)."""
    request = getattr(op.request, "resolved", None)
    where = getattr(request, "by_name", {}).get("where")
    return where is not None and getattr(where.type, "name", None) == "VmWhereInput"


def markdown_table(version: str | None = None) -> str:
    """The README's table of simulated operations, by upstream tag."""
    by_tag: dict[str, list[str]] = {}
    for path, b in sorted(simulated(version).items()):
        by_tag.setdefault(b.op.tag, []).append(f"`{path}`" if b.op.method == "POST" else f"`{b.op.method} {path}`")
    rows = [f"| {tag} | {', '.join(paths)} |" for tag, paths in sorted(by_tag.items())]
    return "\n".join(["| tag | operations |", "|---|---|", *rows])
