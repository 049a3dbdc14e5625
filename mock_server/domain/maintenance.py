"""Host maintenance mode (simulator-behaviour.md section 5): the precheck and its plan, the enter task that evacuates
the host step by step, the exit precheck built from what the enter task did, and the exit task that brings VMs back."""

from __future__ import annotations

from dataclasses import dataclass, field

from enum import Enum

from .errors import BadRequest, NotFound, TaskError
from .model import GIB, Host, MaintenanceHostState, Task, Vm
from .states import HostStatus, MaintenanceState, TaskKey, TaskStatus, VmStatus
from .tasks import Step
from . import placement_groups
from .vms import (OFFLINE_MIGRATION_SECONDS, PLANNED, POWER_SECONDS, auto_place, eligible, fits, live_migration_seconds,
                  move, power_off, power_on)
from .world import World

PRECHECK_SECONDS = 2.0
FINAL_SECONDS = 1.0
MIN_HOSTS_IN_SERVICE = 2  # other hosts of the cluster that must stay in service
BUSY = (MaintenanceState.MAINTENANCE_MODE, MaintenanceState.ENTERING_MAINTENANCE_MODE)


class Move(Enum):
    """How the enter task took a VM off the host."""
    SHUT_DOWN = "shut down"
    LIVE_MIGRATED = "live-migrated"
    OFFLINE_MIGRATED = "offline-migrated"


@dataclass
class Moved:
    """One VM the enter task handled: how, where it went, and the state it was left in."""
    vm_id: str
    uuid: str
    name: str
    ha: bool
    move: Move
    target: str | None = None  # host id
    status_after: VmStatus | None = None


@dataclass
class PrecheckResult:
    done: bool
    shutdown_uuids: list[str]  # the VMs the evacuation must shut down (vm_uuid = Vm.local_id)


@dataclass
class ExitCheck:
    """One VM the enter task moved, as the exit precheck reports it: where it went, what it is now, and whether it
    changed since (then moving it back may not be wanted)."""
    moved: Moved
    status_now: VmStatus | None  # None: deleted since
    target_host_name: str | None
    changed: bool
    reason: str


@dataclass
class EnterRecord:
    host_id: str
    moved: list[Moved] = field(default_factory=list)


@dataclass
class PrecheckPlan:
    host_id: str
    shutdown: list[str] = field(default_factory=list)  # vm uuids
    migrate: dict = field(default_factory=dict)  # vm id -> planned host id


def why_not(world: World, host: Host) -> str | None:
    """Why `host` cannot enter maintenance now, or None."""
    if host.maintenance_state in BUSY:
        return f"host {host.name} is already {host.maintenance_state}"
    busy = [h for h in host.cluster.hosts if h is not host
            and h.maintenance_state in BUSY]
    if busy:
        return (f"host {busy[0].name} of cluster {host.cluster.name} is {busy[0].maintenance_state}; "
                "one host of a cluster at a time")
    left = [h for h in host.cluster.hosts if h is not host and eligible(h)]
    if len(left) < MIN_HOSTS_IN_SERVICE:
        return (f"cluster {host.cluster.name} would keep {len(left)} other host(s) in service; "
                f"at least {MIN_HOSTS_IN_SERVICE} must stay")
    if host.status != HostStatus.CONNECTED_HEALTHY:
        return f"host {host.name} is {host.status}, not CONNECTED_HEALTHY"
    return None


def plan_evacuation(world: World, host: Host) -> PrecheckPlan:
    """Greedy, largest VM first, onto the eligible host with most free memory; what can't move must shut down."""
    plan = PrecheckPlan(host.id)
    reserved: dict[str, int] = {}
    for vm in sorted(host.active_vms, key=lambda v: (-v.memory, v.name)):
        stuck = vm.host_bound or vm.id in world.unmovable
        target = None if stuck else auto_place(world, vm, exclude=(host,), reserved=reserved)
        if target is None and not stuck:
            _no_place_by_rule(world, vm, host, reserved)
        if target is None:
            plan.shutdown.append(vm.local_id)
        else:
            reserved[target.id] = reserved.get(target.id, 0) + vm.memory
            reserved.setdefault(PLANNED, {})[vm] = target
            plan.migrate[vm.id] = target.id
    return plan


def _no_place_by_rule(world: World, vm: Vm, host: Host, reserved: dict) -> None:
    """When a placement group's "must" rule, not memory, leaves a VM nowhere to go, the precheck fails with the rule
    (the issue's "a host whose VMs' anti-affinity leaves nowhere to go fails the precheck with the reason"); a VM
    short of memory is listed to shut down instead."""
    loose = auto_place(world, vm, exclude=(host,), reserved=reserved, rules=False)
    if loose is not None:
        reason = placement_groups.must_break(vm, loose, reserved.get(PLANNED))
        raise TaskError(f"host {host.name} cannot enter maintenance mode: VM {vm.name} has nowhere to go, every "
                        f"other host breaks a rule of its placement group; on host {loose.name}: {reason}",
                        "MAINTENANCE_PRECHECK_FAILED")


def one_host(world: World, where: dict | None) -> Host:
    hosts = world.query("Host", {"where": where})
    if not hosts:
        raise NotFound("where: no Host matches")
    if len(hosts) > 1:
        raise BadRequest(f"where: {len(hosts)} hosts match; name exactly one (for example by id)")
    return hosts[0]


# --- enter ----------------------------------------------------------------------------------------------------------
def precheck(world: World, user, where: dict) -> Task:
    host = one_host(world, where)

    def check():
        reason = why_not(world, host)
        if reason:
            raise TaskError(f"host {host.name} cannot enter maintenance mode: {reason}", "MAINTENANCE_PRECHECK_FAILED")
        task.plan = plan_evacuation(world, host)

    task = world.start_task(f"Maintenance mode precheck of host {host.name}", host, TaskKey.EnterMaintenanceModePreCheck,
                            [Step("precheck", PRECHECK_SECONDS, check)], user=user)
    return task


def precheck_result(world: World, task_id: str) -> PrecheckResult:
    task = world.tasks.get(task_id)
    if task is None:
        raise NotFound(f"where.task_id: no Task with id {task_id!r}")
    if task.key != TaskKey.EnterMaintenanceModePreCheck:
        raise BadRequest(f"where.task_id: task {task_id} is not a maintenance mode precheck ({task.description})")
    if task.status == TaskStatus.FAILED:
        raise BadRequest(task.error_message)
    if not task.done:
        return PrecheckResult(False, [])
    return PrecheckResult(True, list(task.plan.shutdown))


def enter(world: World, user, host_id: str, shutdown_uuids: list[str]) -> tuple[Task, Host]:
    host = world.find("Host", host_id)
    reason = why_not(world, host)
    if reason:
        raise BadRequest(f"host {host.name} cannot enter maintenance mode: {reason}")
    on_host = {v.local_id: v for v in host.vms}
    shut = []
    for i, uuid in enumerate(shutdown_uuids):
        vm = on_host.get(uuid)
        if vm is None:
            raise BadRequest(f"data.shutdown_vms[{i}]: {uuid!r} is not the vm_uuid of a VM on host {host.name}")
        if vm.status not in (VmStatus.RUNNING, VmStatus.SUSPENDED):
            raise BadRequest(f"data.shutdown_vms[{i}]: VM {vm.name} is {vm.status}; only running or suspended "
                             "VMs are shut down")
        if vm not in shut:
            shut.append(vm)
    world.runner.check_unlocked(host, *host.vms)
    live = sorted((v for v in host.active_vms if v not in shut), key=lambda v: (-v.memory, v.name))
    offline = [v for v in host.vms if v.status == VmStatus.STOPPED and not v.host_bound]
    record = EnterRecord(host.id)

    def shutdown(vm):
        def apply():
            power_off(world, vm)
            record.moved.append(Moved(vm.id, vm.local_id, vm.name, vm.ha, Move.SHUT_DOWN, None, vm.status))
        return Step(f"shutdown:{vm.name}", POWER_SECONDS, apply)

    def migrate(vm, live: bool):
        def apply():
            if vm.id not in world.vms or vm.host is not host:
                return  # deleted or moved by someone else meanwhile: nothing left to evacuate
            if live and vm.host_bound:
                raise TaskError(f"VM {vm.name} has pass-through devices and cannot live-migrate; "
                                "list it in shutdown_vms", "MAINTENANCE_VM_UNMOVABLE")
            if live and vm.id in world.unmovable:
                raise TaskError(f"VM {vm.name} cannot live-migrate: {world.unmovable[vm.id]}; list it in "
                                "shutdown_vms", "MAINTENANCE_VM_UNMOVABLE")
            target = auto_place(world, vm, exclude=(host,)) if live else _offline_target(world, vm, host)
            loose = None if target or not live else auto_place(world, vm, exclude=(host,), rules=False)
            if loose is not None:
                raise TaskError(f"VM {vm.name} cannot be placed: {placement_groups.must_break(vm, loose)}",
                                "MAINTENANCE_VM_UNPLACEABLE")
            if target is None:
                raise TaskError(f"VM {vm.name} cannot be placed: no other host of cluster {vm.cluster.name} has "
                                f"{vm.memory // GIB} GiB of memory free", "MAINTENANCE_VM_UNPLACEABLE")
            move(world, vm, target)
            move_ = Move.LIVE_MIGRATED if live else Move.OFFLINE_MIGRATED
            record.moved.append(Moved(vm.id, vm.local_id, vm.name, vm.ha, move_, target.id, vm.status))
        seconds = live_migration_seconds(vm) if live else OFFLINE_MIGRATION_SECONDS
        return Step(f"{'live' if live else 'offline'}_migrate:{vm.name}", seconds, apply)

    def done():
        host.host_state = MaintenanceHostState(MaintenanceState.MAINTENANCE_MODE, world.now(), task.id)

    def failed(error):
        host.host_state.state = MaintenanceState.IN_USE

    steps = ([shutdown(v) for v in shut] + [migrate(v, True) for v in live] +
             [migrate(v, False) for v in offline] + [Step("maintenance_mode", FINAL_SECONDS, done)])
    task = world.start_task(f"Enter maintenance mode on host {host.name}", host, TaskKey.EnterMaintenanceMode, steps,
                            locks=(host, *host.vms), user=user, on_failure=failed,
                            args={"host_id": host.id, "shutdown_vms": list(shutdown_uuids)})
    task.plan = record
    host.host_state = MaintenanceHostState(MaintenanceState.ENTERING_MAINTENANCE_MODE, world.now(), task.id)
    return task, host


def _offline_target(world: World, vm: Vm, host: Host) -> Host | None:
    # a stopped VM needs no memory now, but goes where it could start again: most free memory first
    candidates = [h for h in vm.cluster.hosts if h is not host and eligible(h)]
    return min(candidates, key=lambda h: (-h.free_memory_bytes, h.name), default=None)


# --- exit -----------------------------------------------------------------------------------------------------------
def _record(world: World, host: Host) -> EnterRecord:
    if host.maintenance_state != MaintenanceState.MAINTENANCE_MODE:
        raise BadRequest(f"host {host.name} is {host.maintenance_state}, not MAINTENANCE_MODE")
    task = world.tasks.get(host.host_state.maintenance_job_id)
    return task.plan if task is not None and isinstance(task.plan, EnterRecord) else EnterRecord(host.id)


def _verify(world: World, m: Moved, host: Host) -> ExitCheck:
    vm = world.vms.get(m.vm_id)
    target = world.hosts.get(m.target) if m.target else None
    check = lambda changed, reason: ExitCheck(m, vm.status if vm else None,  # noqa: E731
                                              target.name if target else None, changed, reason)
    if vm is None:
        return check(True, f"VM {m.name} has been deleted")
    expected_host = host.id if m.move is Move.SHUT_DOWN else m.target
    if (vm.host.id if vm.host else None) != expected_host:
        return check(True, f"VM {vm.name} has moved to {vm.host.name if vm.host else 'no host'} since")
    if vm.status != m.status_after:
        return check(True, f"VM {vm.name} is {vm.status} now, {m.status_after} when moved")
    return check(False, "")


def exit_precheck_result(world: World, where: dict) -> list[ExitCheck]:
    """What the enter task did on the one host `where` matches, VM by VM, in the order it did it."""
    host = one_host(world, where)
    return [_verify(world, m, host) for m in _record(world, host).moved]


def exit(world: World, user, host_id: str, poweron: list[str], live_back: list[str],
         offline_back: list[str]) -> tuple[Task, Host]:
    """Bring `host` back in service, migrate back the listed VMs the enter task moved and power on the listed VMs it
    shut down. Each vm_uuid must be in the matching list of the exit precheck (named `field` in refusals)."""
    host = world.find("Host", host_id)
    record = _record(world, host)
    by_move = {k: {m.uuid: m for m in record.moved if m.move is k} for k in Move}
    asked = [("poweron_vms", poweron, Move.SHUT_DOWN), ("live_migrate_back_vms", live_back, Move.LIVE_MIGRATED),
             ("offline_migrate_back_vms", offline_back, Move.OFFLINE_MIGRATED)]
    chosen = []
    for key, uuids, move_ in asked:
        for i, uuid in enumerate(uuids):
            m = by_move[move_].get(uuid)
            if m is None:
                raise BadRequest(f"data.{key}[{i}]: {uuid!r} is not a VM the enter task {move_.value} "
                                 f"(see the exit precheck of host {host.name})")
            vm = world.vms.get(m.vm_id)
            if vm is None:
                raise BadRequest(f"data.{key}[{i}]: VM {m.name} ({uuid}) has been deleted")
            chosen.append((move_, vm))
    world.runner.check_unlocked(host, *(vm for _, vm in chosen))
    problems: list[str] = []

    def back_in_service():
        host.host_state.state = MaintenanceState.IN_USE

    def bring_back(vm):
        def apply():
            if vm.host is host:
                return
            if vm.status != VmStatus.STOPPED and not fits(vm, host):
                problems.append(f"VM {vm.name} stays on {vm.host.name if vm.host else 'no host'}: host {host.name} "
                                f"has not {vm.memory // GIB} GiB free")
                return
            broken = placement_groups.must_break(vm, host) if vm.status != VmStatus.STOPPED else None
            if broken:
                problems.append(f"VM {vm.name} stays on {vm.host.name if vm.host else 'no host'}: {broken}")
                return
            move(world, vm, host)
        return Step(f"migrate_back:{vm.name}", live_migration_seconds(vm) if vm.status != VmStatus.STOPPED
                    else OFFLINE_MIGRATION_SECONDS, apply)

    def power_back(vm):
        def apply():
            if vm.status != VmStatus.STOPPED:
                return
            if vm.host is not host and vm.host_bound:
                problems.append(f"VM {vm.name} is bound to host {vm.host.name if vm.host else '-'} and stays off")
                return
            if not fits(vm, host):
                problems.append(f"VM {vm.name} stays off: host {host.name} has not {vm.memory // GIB} GiB free")
                return
            if placement_groups.must_break(vm, host):
                problems.append(f"VM {vm.name} stays off: {placement_groups.must_break(vm, host)}")
                return
            power_on(world, vm, host)
        return Step(f"poweron:{vm.name}", POWER_SECONDS, apply)

    def finish():
        if problems:
            task.error_message = "; ".join(problems)

    steps = ([Step("exit_maintenance_mode", FINAL_SECONDS, back_in_service)] +
             [bring_back(vm) for move_, vm in chosen if move_ is not Move.SHUT_DOWN] +
             [power_back(vm) for move_, vm in chosen if move_ is Move.SHUT_DOWN])
    task = world.start_task(f"Exit maintenance mode on host {host.name}", host, TaskKey.ExitMaintenanceMode, steps,
                            locks=(host, *(vm for _, vm in chosen)), user=user, on_success=finish,
                            args={"host_id": host.id, **{key: list(uuids) for key, uuids, _ in asked}})
    return task, host
