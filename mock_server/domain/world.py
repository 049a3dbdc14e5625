"""The world: every cluster, host, VM, task and user, the clock, and the task runner. One lock serializes access, and
every access first lets the world catch up to the clock. A Simulator makes each world it builds use the Simulator's
lock, so that a reset waits for whoever holds the old world (the API goes through `Simulator.session`)."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import Counter, deque
from contextlib import contextmanager

from .clock import Clock, iso
from .errors import BadRequest, Forbidden, NotFound, TaskError, Unauthorized
from .ids import Ids
from .hardware import GpuDevice, Nic, UsbDevice
from . import guest
from .labels import TAGGED, Label, detach
from .model import KINDS as DECLARED, Cluster, Host, Task, User, Vm
# every module that declares a kind of world object (model.Entity), so that KINDS below has them all
from . import (content_library, folders, inventory, placement, placement_groups,  # noqa: F401
               snapshots, templates, uploads)
from .states import UserRole, UserSource
from .indexes import Indexes, Log, watch_fields, writes
from .query import Orderings, select
from .tasks import Step, TaskRunner


def lower_camel(operation_id: str) -> str:
    """A task's `resource_mutation` as a real tower names it: the lowerCamel mutation (`updateVm`, `startVm`), as
    SmartX's Terraform provider queries it (see ../shared/reference/dependents.md; the REST forms are inferred)."""
    return operation_id[:1].lower() + operation_id[1:]


KINDS = {name: kind.table for name, kind in DECLARED.items()}  # kind -> its table, World.<table>
# where a VM lists each kind of device passed through to it
PASSED_THROUGH = {UsbDevice: "usb_devices", GpuDevice: "gpu_devices", Nic: "pci_nics"}
# A real tower's token has no expiry: "token 并没有过期时间,可以一直使用" (it has no expiry time and can be used for
# good), code.smartx.com/learning-api/authorization. Neither has ours; only how many tokens a user's logins keep is
# bounded, so that a long-lived server does not grow.
TOKENS_PER_USER = 1000
TASK_HISTORY = 10_000  # finished tasks kept (a tower keeps a history; how long is not published)
TASK_HISTORY_AGE = 30 * 24 * 3600.0  # simulated seconds a finished task is kept


def _failing(steps: list[Step], fault: dict) -> list[Step] | None:
    """`steps` with the one `fault["step"]` names (its number from 0, or its key) failing with the fault's code and
    message; the steps before it apply as usual, it and those after do not. None when these steps have no such step
    (an evacuation that shuts web-01 down has no `live_migrate:web-01`): the fault waits for a task that has it."""
    wanted = fault["step"]
    index = next((i for i, s in enumerate(steps) if s.key == wanted), None) if isinstance(wanted, str) else wanted
    if index is None or not 0 <= index < len(steps):
        return None

    def fail():
        raise TaskError(fault["error_message"], fault["error_code"])
    return [*steps[:index], Step(steps[index].key, steps[index].duration, fail), *steps[index + 1:]]


_GENERATIONS = itertools.count(1)


class World:
    def __init__(self, clock: Clock, seed: int = 0, grammar=None, api_version: str = ""):
        self.clock = clock
        self.grammar = grammar  # entity -> its where keys, as the served version declares them (see query.py)
        self.api_version = api_version
        self.runner = TaskRunner(clock)
        self.ids = Ids(seed, lambda: (self.runner.now() - clock.start) * 1000)
        self._last_stamp = clock.now() - 0.001
        self.clusters: dict[str, Cluster] = {}
        self.hosts: dict[str, Host] = {}
        self.vms: dict[str, Vm] = {}
        self.tasks: dict[str, Task] = {}
        self.users: dict[str, User] = {}
        for table in set(KINDS.values()) - set(vars(self)):  # the inventory (inventory.py), by id
            setattr(self, table, {})
        self.tokens: dict[str, User] = {}
        self.auth_configs: dict = {}  # id -> model.AuthConfig
        self.reachable: dict[str, dict] = {}  # ip -> the scenario entry of the cluster a tower reaches there
        self._logins: dict[str, deque] = {}  # user id -> the tokens of its logins, oldest first
        self.task_history, self.task_history_age = TASK_HISTORY, TASK_HISTORY_AGE
        self.lock = threading.RLock()  # replaced by the owning Simulator's lock
        self.failing: dict | None = None  # {error_code, error_message, step}: the next task started fails so
        self.unmovable: dict[str, str] = {}  # VM id -> why it cannot live-migrate (an injected fault)
        # moves on whenever the world may change (each hold of it to write), unique across worlds: an answer
        # computed at one generation is the answer while the generation stays (api/answers.py keeps reads' by it)
        self.generation = next(_GENERATIONS)
        self.orderings = Orderings()
        self.membership: Counter = Counter()  # kind -> how many times its table gained or lost an object
        self.joined = Log()  # the objects added, the last few thousand: an index brings itself up to date with them
        self.indexes = Indexes(self)
        watch_fields()

    # access ----------------------------------------------------------------------------------------------------------
    @contextmanager
    def session(self):
        """Hold the world for one request, caught up to the clock."""
        with self.lock:
            self.moved_on()
            try:
                self.runner.run_due()
                yield self
            finally:
                self.moved_on()

    def moved_on(self) -> None:
        """The world may have changed: answers of an earlier generation are no longer its answers."""
        self.generation = next(_GENERATIONS)

    def now(self) -> str:
        return iso(self.runner.now())

    def stamped_until(self, t: float) -> None:
        self._last_stamp = t

    def created_at(self) -> str:
        """The creation stamp of a new object. Creation stamps always increase (by a millisecond when the clock
        stands still, as it does in instant and manual modes), so objects created one after another never share an
        instant and `local_created_at_DESC` puts the newest first."""
        self._last_stamp = max(self.runner.now(), self._last_stamp + 0.001)
        return iso(self._last_stamp)

    # objects ---------------------------------------------------------------------------------------------------------
    def add(self, obj):
        # a table keeps its objects in creation order (the default order of every list), as their ids sort
        getattr(self, KINDS[type(obj).__name__])[obj.id] = obj
        self.membership[type(obj).__name__] += 1
        self.joined.append(obj)
        if isinstance(obj, Host):
            obj.cluster.hosts.append(obj)
        elif isinstance(obj, Vm):
            obj.cluster.vms.append(obj)
            if obj.host is not None:
                obj.host.vms.append(obj)
        else:
            for holder in obj.listed_in():
                holder.append(obj)
        return obj

    def remove(self, obj) -> None:
        """Forget an inventory object and every relation that names it (a NIC's DHCP lease too)."""
        if obj.table == "vm_nics":
            guest.release(obj)
        for holder in obj.listed_in():
            holder.remove(obj)
        self._unlabel(obj)
        del getattr(self, KINDS[type(obj).__name__])[obj.id]
        self.membership[type(obj).__name__] += 1

    def holds(self, obj) -> bool:
        """`obj` is (still) in the world."""
        return getattr(self, KINDS[type(obj).__name__]).get(obj.id) is obj

    @staticmethod
    def _unlabel(obj) -> None:
        """A deleted object leaves its labels; a deleted label leaves its objects."""
        if isinstance(obj, Label):
            for kind in TAGGED:
                for tagged in list(getattr(obj, kind)):
                    detach(obj, tagged)
        for label in list(obj.labels):
            detach(label, obj)

    def remove_vm(self, vm: Vm, include_snapshots: bool = False) -> None:
        """Delete a VM with its disks and NICs. A volume only it mounted goes with it; a sharing volume stays
        (inferred from SMTX: a VM's own disks are deleted with it, a shared disk belongs to no one VM). Its snapshots
        go with it when `include_snapshots` (delete-vm's effect), else they stay, of no VM."""
        for snap in list(vm.snapshots):
            if include_snapshots:
                self.remove(snap)
            else:
                snap.vm = None
        vm.snapshots = []
        for disk in list(vm.vm_disks):
            self.remove(disk)
            volume = disk.vm_volume
            if volume is not None and not volume.sharing and not volume.vm_disks:
                self.remove(volume)
        for nic in list(vm.vm_nics):
            self.remove(nic)
        for group in vm.vm_placement_group:
            group.vms.remove(vm)
        vm.vm_placement_group = []
        if vm.folder is not None:
            vm.folder.vms.remove(vm)
        self._unlabel(vm)
        for kind in PASSED_THROUGH.values():
            for device in list(getattr(vm, kind)):
                self.withdraw(vm, device)
        self.place(vm, None)
        vm.cluster.vms.remove(vm)
        del self.vms[vm.id]
        self.membership["Vm"] += 1

    def place(self, vm: Vm, host: Host | None) -> None:
        """Put `vm` on `host` (None: on no host), keeping `Host.vms` in step."""
        if vm.host is not None:
            vm.host.vms.remove(vm)
        vm.host = host
        if host is not None:
            host.vms.append(vm)

    @staticmethod
    def give(vm: Vm, device, amount: int | None = None) -> None:
        """Pass a host's USB device, GPU or NIC through to `vm` (a VGPU GPU: `amount` vGPU instances of it)."""
        kind = PASSED_THROUGH[type(device)]
        setattr(vm, kind, [*getattr(vm, kind), device])  # replaced, not changed: see Vm.usb_devices
        device.vms.append(vm)
        if amount is not None:
            vm.gpu_amounts = {**vm.gpu_amounts, device.id: amount}

    @staticmethod
    def withdraw(vm: Vm, device) -> None:
        kind = PASSED_THROUGH[type(device)]
        setattr(vm, kind, [d for d in getattr(vm, kind) if d is not device])
        device.vms.remove(vm)
        vm.gpu_amounts = {k: n for k, n in vm.gpu_amounts.items() if k != device.id}

    def find(self, kind: str, obj_id: str):
        obj = getattr(self, KINDS[kind]).get(obj_id)
        if obj is None:
            raise NotFound(f"no {kind} with id {obj_id!r}")
        return obj

    def query(self, kind: str, body: dict | None) -> list:
        table = getattr(self, KINDS[kind])
        narrow = lambda where: self.indexes.candidates(self.grammar, kind, where)  # noqa: E731
        if not getattr(self.lock, "held_to_read", False):
            return select(self.grammar, kind, table.values(), body, table, narrow=narrow)
        # held to read, so no one changes the world meanwhile: an order of the whole table holds for the generation
        return select(self.grammar, kind, table.values(), body, table,
                      lambda order: self.orderings.get(self.generation, kind, order, table.values(),
                                                       self.membership[kind],
                                                       writes(kind, order.rpartition("_")[0])), narrow)

    def make_unmovable(self, vm_ref: str, reason: str) -> None:
        """An injected fault (api/faults.py): the VM with this id, local_id or name cannot live-migrate."""
        vm = self.vms.get(vm_ref) or self.vm_by_uuid(vm_ref) or next(
            (v for v in self.vms.values() if v.name == vm_ref), None)
        if vm is None:
            raise NotFound(f"the fault's unmovable.vm: no VM with id, local_id or name {vm_ref!r}")
        self.unmovable[vm.id] = reason

    def vm_by_uuid(self, uuid: str) -> Vm | None:
        return next((v for v in self.vms.values() if v.local_id == uuid), None)

    # users and tokens ------------------------------------------------------------------------------------------------
    def login(self, username: str, password: str, source: str | None = None, auth_config_id: str | None = None) -> str:
        """A new token for the user of `source` (LOCAL when not given, as the SDK's login() sends) with that name and
        password; a local user is not found through LDAP, SSO or AUTHN. AUTHN logs an LDAP user in through the auth
        config `auth_config_id` names, as the SDKs and the Terraform provider do after asking GraphQL's
        authnStrategies (../shared/reference/graphql.md)."""
        source = source or UserSource.LOCAL
        if source == UserSource.AUTHN:
            if not auth_config_id:
                raise BadRequest("auth_config_id: required with source AUTHN: the auth config to log in through")
            if auth_config_id not in self.auth_configs:
                raise BadRequest(f"auth_config_id: no auth config {auth_config_id!r}")
            user = next((u for u in self.users.values() if u.username == username and u.source == UserSource.LDAP
                         and u.auth_config_id == auth_config_id), None)
        else:
            user = next((u for u in self.users.values() if u.username == username and u.source == source), None)
        # surrogatepass: a JSON string may hold a lone surrogate ("\ud800"), which is no password but no crash either
        given = password.encode("utf-8", "surrogatepass")
        if user is None or not secrets.compare_digest(user.password.encode(), given):
            raise BadRequest(f"login failed: no {source} user has this username and password")
        token = secrets.token_hex(20)
        self.tokens[token] = user
        logins = self._logins.setdefault(user.id, deque())
        logins.append(token)
        if len(logins) > TOKENS_PER_USER:
            self.tokens.pop(logins.popleft(), None)
        return token

    def _forget_old_tasks(self) -> None:
        """Keep at most `task_history` tasks, and no finished task older than `task_history_age`: the oldest finished
        ones go first (unfinished ones always stay)."""
        excess = len(self.tasks) + 1 - self.task_history
        oldest = iso(self.runner.now() - self.task_history_age)
        doomed = []
        for task in self.tasks.values():
            if not task.done:
                continue
            if excess <= 0 and task.finished_at >= oldest:
                break
            doomed.append(task.id)
            excess -= 1
        for task_id in doomed:
            del self.tasks[task_id]
        self.membership["Task"] += len(doomed)

    def user_for(self, header: str | None) -> User:
        """The user whose token `header` carries: bare, as the docs and the SDKs send it, or `Bearer <token>`, as
        SmartX's Terraform provider does (go-openapi's BearerToken): a real tower takes both."""
        if not header:
            raise Unauthorized("the Authorization header is missing: send the token from /login, as it is or as "
                               "'Bearer <token>'")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else header
        user = self.tokens.get(token)
        if user is None:
            raise Unauthorized("the Authorization token is not valid: log in with /login for a new one")
        return user

    @staticmethod
    def may_change(user: User | None, what: str) -> None:
        """Refuse a READ_ONLY user anything that changes the world (reads stay allowed)."""
        if user is not None and user.role == UserRole.READ_ONLY:
            raise Forbidden(f"user {user.username} is READ_ONLY: {what} changes the cluster and needs an ADMIN or "
                            "ROOT user")

    # tasks -----------------------------------------------------------------------------------------------------------
    def start_task(self, description: str, resource, mutation: str, steps: list[Step], locks=(), shared=(),
                   user=None, args=None, on_success=None, on_failure=None) -> Task:
        """Record a task and queue its steps; refused with ResourceLocked, before any record, if `locks` are held
        (or `shared` are held exclusively)."""
        self.runner.check_unlocked(*locks)
        self.runner.check_unlocked(*shared, shared=True)
        failing = _failing(steps, self.failing) if self.failing is not None else None
        if failing is not None:  # an injected task fault (api/faults.py): this task fails at the step named
            steps, self.failing = failing, None
        self._forget_old_tasks()
        cluster = resource if isinstance(resource, Cluster) else getattr(resource, "cluster", None)
        task = self.add(Task(id=self.ids.cuid(), description=description, local_created_at=self.created_at(),
                             resource_type=type(resource).__name__ if resource is not None else None,
                             resource_id=getattr(resource, "id", None), resource_mutation=lower_camel(mutation),
                             key=mutation,
                             cluster=cluster, user=user, args=args or {}))
        return self.runner.start(task, steps, locks, shared, on_success, on_failure)
