"""What editing any inventory object shares: a name given to one object only, and one task per object, holding it,
whose single step applies the change."""

from __future__ import annotations

from typing import Callable

from .errors import BadRequest
from .states import EntityAsyncStatus, TaskKey
from .tasks import Step

SECONDS = 1.0  # an edit's one step


def check_name(data: dict, objs: list, plural: str) -> None:
    """`data.name`, when given, is not blank and names one object only (names are unique where CloudTower keeps
    them so)."""
    name = data.get("name")
    if name is None:
        return
    if not name.strip():
        raise BadRequest("data.name: expected a non-empty name")
    if len(objs) > 1:
        raise BadRequest(f"data.name: where matches {len(objs)} {plural}, and one name cannot go to all of them")


def each(world, user, objs: list, key: TaskKey, what: str, apply: Callable, args: dict | None = None,
         busy: bool = False) -> list:
    """One task per object, `what` and its name for a description, running `apply(obj)` when its step completes;
    ResourceLocked before any starts if a task holds one of them. `busy`: the object shows entityAsyncStatus UPDATING
    or DELETING while its task runs (as SmartX's CAPE reads a placement group's)."""
    world.runner.check_unlocked(*objs)
    step = "delete" if key.startswith("Delete") else "update"
    started = []
    for o in objs:
        task = world.start_task(f"{what} {o.name}", o, key, [Step(step, SECONDS, lambda o=o: apply(o))], locks=(o,),
                                user=user, args=dict(args or {}), **(acting(o, key) if busy else {}))
        started.append((task, o))
    return started


def setter(changes: dict) -> Callable:
    """apply(obj) that sets each of `changes` on it."""
    def apply(obj):
        for key, value in changes.items():
            setattr(obj, key, value)
    return apply


def acting(obj, op: str) -> dict:
    """`obj` shows entityAsyncStatus DELETING or UPDATING while a task acts on it, and null once it is done, as
    SmartX's CAPE waits on for VMs, volumes and placement groups (cape.md steps 7, 10 and 1): start_task's
    on_success and on_failure."""
    obj.entityAsyncStatus = EntityAsyncStatus.DELETING if op.startswith("Delete") else EntityAsyncStatus.UPDATING

    def done(*_):
        obj.entityAsyncStatus = None
    return {"on_success": done, "on_failure": done}
