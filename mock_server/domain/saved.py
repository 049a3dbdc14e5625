"""The whole world as plain data, and back: every object of every kind with its id and all it holds, the clock, the
id sequence, the users' tokens and what the tower can reach. `serve --state` keeps a world across restarts with it
(mock_server/state.py): loaded, the world answers every read as it did, byte for byte while time stands still.

What is written comes from the kinds' own declarations (model.Entity): each dataclass field of each object, so a
field added to a kind is kept without a word here. A field left at its default is left out. An object another
object names is written as a reference: {"$": kind, "id": id} when the world holds it, else (a deleted image a
snapshot still names, a content-library template's frozen source) once under `detached` and named by its number.

What a world cannot say is a task's next step: a step is code. So the world is written while no task runs (`dump`
refuses otherwise; `serve --state` waits for such a moment), and at shutdown every running task is first failed through its own failure path, as a step's failure
fails it (`interrupt`): its VM, host or cluster is left as a failed task leaves it, and the task says why. Inferred:
a restarted tower does not resume a task it was running."""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import typing
from collections import deque
from pathlib import Path

from . import guest
from .clock import Clock
from .errors import TaskError
from .model import KINDS, AuthConfig, Entity
from .scenario import Scenario
from .world import World

FORMAT = 2  # 1: a scenario, read back through the API (ids made anew); 2: this
# a saved world's file: this line, then the world as JSON (`serve --state` writes it; `--scenario` takes it too)
HEADER = "# cloudtower-sim state: written by `cloudtower-sim serve --state`; loaded by it on the next start"
INTERRUPTED = "TASK_INTERRUPTED"
_PACKAGE = __name__.rsplit(".", 1)[0]  # the domain package: only its dataclasses are made from a file


class SavedError(Exception):
    pass


# writing -------------------------------------------------------------------------------------------------------------
def dump(world: World) -> dict:
    """The world as plain data (JSON's types), while no task runs."""
    if world.runner.working:
        raise SavedError("a task is running: the world is written between tasks")
    detached: dict[int, tuple[int, object]] = {}  # id(obj) -> (number, obj)
    order: list = []

    def ref(obj):
        if world.holds(obj):
            return {"$": type(obj).__name__, "id": obj.id}
        seen = detached.get(id(obj))
        if seen is None:
            seen = detached[id(obj)] = (len(order), obj)
            order.append(obj)
        return {"$d": seen[0]}

    def value(v):
        if isinstance(v, enum.Enum):  # made again from the field's type when read
            return v.value
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, Entity):
            return ref(v)
        if isinstance(v, (list, tuple, deque)):
            return [value(x) for x in v]
        if isinstance(v, typing.Mapping):
            if all(isinstance(k, str) and not k.startswith("$") for k in v):
                return {k: value(x) for k, x in v.items()}
            return {"$map": [[value(k), value(x)] for k, x in v.items()]}
        if dataclasses.is_dataclass(v):
            cls = type(v)
            return {"$obj": f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__qualname__}", **fields(v)}
        raise SavedError(f"cannot write a {type(v).__name__} ({v!r})")

    def fields(obj) -> dict:
        out = {}
        for f in _fields(type(obj)):
            v = getattr(obj, f.name)
            if not _is_default(f, v):
                out[f.name] = value(v)
        labels = getattr(obj, "_labels", None) if isinstance(obj, Entity) else None
        if labels:
            out["_labels"] = value(labels)
        return out

    kinds = {name: [fields(o) for o in getattr(world, cls.table).values()] for name, cls in KINDS.items()}
    done, out_detached = 0, []
    while done < len(order):  # a detached object may name another
        obj = order[done]
        out_detached.append({"kind": type(obj).__name__, **fields(obj)})
        done += 1
    clock, ids = world.clock, world.ids
    state = ids._rng.getstate()
    return {
        "format": FORMAT, "api_version": world.api_version,
        "clock": {"start": clock.start, "now": clock.now(), "mode": clock.mode, "speed": clock.speed},
        "last_stamp": world._last_stamp,
        "ids": {"rng": [state[0], list(state[1]), state[2]], "last_ms": ids._last_ms, "time_part": ids._time_part,
                "counter": ids._counter, "fingerprint": ids._fingerprint},
        "task_history": [world.task_history, world.task_history_age],
        "tokens": {token: user.id for token, user in world.tokens.items()},
        "logins": {user_id: list(tokens) for user_id, tokens in world._logins.items()},
        "auth_configs": [dataclasses.asdict(a) for a in world.auth_configs.values()],
        "reachable": world.reachable,
        "kinds": kinds, "detached": out_detached,
    }


def write(data: dict, path) -> None:
    """Write `data` (dump's, or capture's) to the file `path`, whole or not at all."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    with open(part, "w") as f:
        f.write(HEADER + "\n")
        json.dump(data, f, separators=(",", ":"))
    part.replace(path)


def interrupt(world: World) -> int:
    """Fail every running task through its own failure path (a stop: see the module's docstring); how many."""
    return world.runner.fail_all(TaskError("cloudtower-sim stopped while this task ran, and a restarted tower does "
                                           "not resume it: what its finished steps did stays done", INTERRUPTED))


# reading -------------------------------------------------------------------------------------------------------------
def parse(text: str) -> dict | None:
    """A saved world's file as data for `load`; None when it is no saved world but a scenario (format 1 files are
    YAML after the same header). JSON that is not a world of this format is refused (SavedError)."""
    body = text[len(HEADER):] if text.startswith(HEADER) else text
    if not body.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(body)
    except ValueError as e:
        raise SavedError(f"not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise SavedError(f"a saved world of format {found!r}; this cloudtower-sim reads format {FORMAT}")
    return data


def read(path) -> dict | None:
    """The saved world in file `path`, or None when the file is something else (a scenario)."""
    try:
        with open(path) as f:
            if f.readline().rstrip("\n") != HEADER:
                return None
            return parse(HEADER + f.read())
    except (OSError, UnicodeDecodeError):
        return None  # the scenario loader says what is wrong with the file


def as_scenario(data: dict, path):
    """What the simulator tells of a saved world as of a scenario: its file, version and users (cli.py prints the
    first user's login)."""
    users = [{"username": u["username"], "password": u["password"],
              "tokens": [t for t, owner in data["tokens"].items() if owner == u["id"]][:1]}
             for u in data["kinds"].get("User", ())]
    return Scenario(Path(path), {"api_version": data["api_version"], "users": users})


def load(data: dict, grammar=None) -> World:
    """The world `data` (from dump) describes. A file of another format, or one that does not hold together, is
    refused with SavedError naming what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise SavedError(f"not a saved world of format {FORMAT} (format {found!r})")
    try:
        return _load(data, grammar)
    except SavedError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise SavedError(f"the saved world does not hold together: {type(e).__name__}: {e}") from None


def _load(data: dict, grammar) -> World:
    c = data["clock"]
    clock = Clock(c["now"], "manual", c["speed"])
    clock.start = c["start"]
    world = World(clock, 0, grammar, data["api_version"])
    made: dict[tuple[str, str], object] = {}
    records = []
    for name, rows in data["kinds"].items():
        cls = KINDS[name]
        table = getattr(world, cls.table)
        for row in rows:
            obj = _blank(cls)
            made[(name, row["id"])] = obj
            table[row["id"]] = obj
            records.append((obj, row))
    detached = []
    for row in data["detached"]:
        obj = _blank(KINDS[row["kind"]])
        detached.append(obj)
        records.append((obj, {k: v for k, v in row.items() if k != "kind"}))

    def value(v, hint=None):
        if isinstance(v, list):
            inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list and typing.get_args(hint) else None
            return [value(x, inner) for x in v]
        if isinstance(v, dict):
            if "$" in v:
                return made[(v["$"], v["id"])]
            if "$d" in v:
                return detached[v["$d"]]
            if "$map" in v:
                return {value(k): value(x) for k, x in v["$map"]}
            if "$obj" in v:
                return _made_object(v, value)
            return {k: value(x) for k, x in v.items()}
        enum_type = _enum_of(hint)
        return enum_type(v) if enum_type is not None and v is not None else v

    for obj, row in records:
        hints = _hints(type(obj))
        for key, v in row.items():
            if key == "_labels":
                obj._labels = value(v)
            else:
                setattr(obj, key, value(v, hints.get(key)))
    ids, saved = world.ids, data["ids"]
    rng = saved["rng"]
    ids._rng.setstate((rng[0], tuple(rng[1]), rng[2]))
    ids._last_ms, ids._time_part, ids._counter = saved["last_ms"], saved["time_part"], saved["counter"]
    ids._fingerprint = saved["fingerprint"]
    world._last_stamp = data["last_stamp"]
    world.task_history, world.task_history_age = data["task_history"]
    world.tokens = {token: world.users[user_id] for token, user_id in data["tokens"].items()}
    world._logins = {user_id: deque(tokens) for user_id, tokens in data["logins"].items()}
    world.auth_configs = {a["id"]: AuthConfig(**a) for a in data["auth_configs"]}
    world.reachable = data["reachable"]
    for vm in world.vms.values():  # a guest booting when the world was written comes up when it would have
        guest.resume(world, vm)
    world.clock.set_mode(c["mode"], c["speed"])
    return world


# the kinds' fields -----------------------------------------------------------------------------------------------------
_FIELDS: dict[type, tuple] = {}
_HINTS: dict[type, dict] = {}


def _fields(cls) -> tuple:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(dataclasses.fields(cls))
    return found


def _hints(cls) -> dict:
    found = _HINTS.get(cls)
    if found is None:
        try:
            found = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        except Exception:  # noqa: BLE001 - a hint that does not resolve is only not used
            found = {}
        _HINTS[cls] = found
    return found


def _enum_of(hint):
    """The Enum class a field's hint names (`VmStatus`, `VmStatus | None`), or None."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    for arg in typing.get_args(hint):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


def _default(f):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _is_default(f, v) -> bool:
    """`v` is what a new object's field `f` holds anyway: left out of the file."""
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        return False
    d = _default(f)
    if isinstance(d, enum.Enum) or isinstance(v, enum.Enum):
        return v is d
    return type(v) is type(d) and v == d


def _blank(cls):
    """An object of `cls` with each field at its default (a required one None), its fields set from the file next."""
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        object.__setattr__(obj, f.name, _default(f))
    return obj


def _made_object(v: dict, value):
    module_name, _, qualname = v["$obj"].partition(".")
    module = sys.modules.get(f"{_PACKAGE}.{module_name}")
    cls = getattr(module, qualname, None) if module is not None else None
    if cls is None or not dataclasses.is_dataclass(cls) or issubclass(cls, Entity):
        raise SavedError(f"unknown object type {v['$obj']!r}")
    obj = _blank(cls)
    hints = _hints(cls)
    for key, x in v.items():
        if key != "$obj":
            object.__setattr__(obj, key, value(x, hints.get(key)))
    return obj
