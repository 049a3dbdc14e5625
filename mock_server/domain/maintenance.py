"""Host maintenance mode (simulator-behaviour.md section 5): the precheck and its plan, the enter task that evacuates
the host step by step, the exit precheck built from what the enter task did, and the exit task that brings VMs back."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import BadRequest, NotFound, TaskError
from .model import GIB, Host, Task, Vm
from .tasks import Step
from .vms import (OFFLINE_MIGRATION_SECONDS, POWER_SECONDS, auto_place, eligible, fits, live_migration_seconds,
                  move, power_off, power_on)
from .world import World

PRECHECK_SECONDS = 2.0
FINAL_SECONDS = 1.0
MIN_HOSTS_IN_SERVICE = 2  # other hosts of the cluster that must stay in service


@dataclass
class Moved:
    """One VM the enter task handled: how, where it went, and the state it was left in."""
    vm_id: str
    uuid: str
    name: str
    ha: bool
    kind: str  # shutdown | live | offline
    target: str | None = None  # host id
    status_after: str | None = None


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
    if host.maintenance_state in ("MAINTENANCE_MODE", "ENTERING_MAINTENANCE_MODE"):
        return f"host {host.name} is already {host.maintenance_state}"
    busy = [h for h in host.cluster.hosts if h is not host
            and h.maintenance_state in ("MAINTENANCE_MODE", "ENTERING_MAINTENANCE_MODE")]
    if busy:
        return (f"host {busy[0].name} of cluster {host.cluster.name} is {busy[0].maintenance_state}; "
                "one host of a cluster at a time")
    left = [h for h in host.cluster.hosts if h is not host and eligible(h)]
    if len(left) < MIN_HOSTS_IN_SERVICE:
        return (f"cluster {host.cluster.name} would keep {len(left)} other host(s) in service; "
                f"at least {MIN_HOSTS_IN_SERVICE} must stay")
    if host.status != "CONNECTED_HEALTHY":
        return f"host {host.name} is {host.status}, not CONNECTED_HEALTHY"
    return None


def plan_evacuation(world: World, host: Host) -> PrecheckPlan:
    """Greedy, largest VM first, onto the eligible host with most free memory; what can't move must shut down."""
    plan = PrecheckPlan(host.id)
    reserved: dict[str, int] = {}
    for vm in sorted(host.active_vms, key=lambda v: (-v.memory, v.name)):
        target = None if vm.host_bound else auto_place(world, vm, exclude=(host,), reserved=reserved)
        if target is None:
            plan.shutdown.append(vm.local_id)
        else:
            reserved[target.id] = reserved.get(target.id, 0) + vm.memory
            plan.migrate[vm.id] = target.id
    return plan


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

    task = world.start_task(f"Maintenance mode precheck of host {host.name}", host, "enterMaintenanceModePrecheck",
                            [Step("precheck", PRECHECK_SECONDS, check)], user=user)
    return task


def precheck_result(world: World, task_id: str) -> dict:
    task = world.tasks.get(task_id)
    if task is None:
        raise NotFound(f"where.task_id: no Task with id {task_id!r}")
    if task.resource_mutation != "enterMaintenanceModePrecheck":
        raise BadRequest(f"where.task_id: task {task_id} is not a maintenance mode precheck ({task.description})")
    if task.status == "FAILED":
        raise BadRequest(task.error_message)
    if not task.done:
        return {"done": False, "shutdownVms": []}
    return {"done": True, "shutdownVms": [{"vm_uuid": u} for u in task.plan.shutdown]}


def enter(world: World, user, host_id: str, shutdown_uuids: list[str]) -> tuple[str, Host]:
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
        if vm.status not in ("RUNNING", "SUSPENDED"):
            raise BadRequest(f"data.shutdown_vms[{i}]: VM {vm.name} is {vm.status}; only running or suspended "
                             "VMs are shut down")
        if vm not in shut:
            shut.append(vm)
    world.runner.check_unlocked(host, *host.vms)
    live = sorted((v for v in host.active_vms if v not in shut), key=lambda v: (-v.memory, v.name))
    offline = [v for v in host.vms if v.status == "STOPPED" and not v.host_bound]
    record = EnterRecord(host.id)

    def shutdown(vm):
        def apply():
            power_off(world, vm)
            record.moved.append(Moved(vm.id, vm.local_id, vm.name, vm.ha, "shutdown", None, vm.status))
        return Step(f"shutdown:{vm.name}", POWER_SECONDS, apply)

    def migrate(vm, kind):
        def apply():
            if vm.id not in world.vms or vm.host is not host:
                return  # deleted or moved by someone else meanwhile: nothing left to evacuate
            if kind == "live" and vm.host_bound:
                raise TaskError(f"VM {vm.name} has pass-through devices and cannot live-migrate; "
                                "list it in shutdown_vms", "MAINTENANCE_VM_UNMOVABLE")
            target = auto_place(world, vm, exclude=(host,)) if kind == "live" else _offline_target(world, vm, host)
            if target is None:
                raise TaskError(f"VM {vm.name} cannot be placed: no other host of cluster {vm.cluster.name} has "
                                f"{vm.memory // GIB} GiB of memory free", "MAINTENANCE_VM_UNPLACEABLE")
            move(world, vm, target)
            record.moved.append(Moved(vm.id, vm.local_id, vm.name, vm.ha, kind, target.id, vm.status))
        seconds = live_migration_seconds(vm) if kind == "live" else OFFLINE_MIGRATION_SECONDS
        return Step(f"{kind}_migrate:{vm.name}", seconds, apply)

    def done():
        host.host_state = {"state": "MAINTENANCE_MODE", "enter_maintenance_time": world.now(),
                           "maintenance_job_id": task.id}

    def failed(error):
        host.host_state = {**host.host_state, "state": "IN_USE"}

    steps = ([shutdown(v) for v in shut] + [migrate(v, "live") for v in live] +
             [migrate(v, "offline") for v in offline] + [Step("maintenance_mode", FINAL_SECONDS, done)])
    task = world.start_task(f"Enter maintenance mode on host {host.name}", host, "enterMaintenanceMode", steps,
                            locks=(host, *host.vms), user=user, on_failure=failed,
                            args={"host_id": host.id, "shutdown_vms": list(shutdown_uuids)})
    task.plan = record
    host.host_state = {"state": "ENTERING_MAINTENANCE_MODE", "enter_maintenance_time": world.now(),
                       "maintenance_job_id": task.id}
    return task.id, host


def _offline_target(world: World, vm: Vm, host: Host) -> Host | None:
    # a stopped VM needs no memory now, but goes where it could start again: most free memory first
    candidates = [h for h in vm.cluster.hosts if h is not host and eligible(h)]
    return min(candidates, key=lambda h: (-h.free_memory_bytes, h.name), default=None)


# --- exit -----------------------------------------------------------------------------------------------------------
def _record(world: World, host: Host) -> EnterRecord:
    if host.maintenance_state != "MAINTENANCE_MODE":
        raise BadRequest(f"host {host.name} is {host.maintenance_state}, not MAINTENANCE_MODE")
    task = world.tasks.get(host.host_state["maintenance_job_id"])
    return task.plan if task is not None and isinstance(task.plan, EnterRecord) else EnterRecord(host.id)


def _verify(world: World, m: Moved, host: Host) -> tuple[Vm | None, dict]:
    vm = world.vms.get(m.vm_id)
    if vm is None:
        return None, {"changed": True, "reason": f"VM {m.name} has been deleted"}
    expected_host = host.id if m.kind == "shutdown" else m.target
    if (vm.host.id if vm.host else None) != expected_host:
        where = vm.host.name if vm.host else "no host"
        return vm, {"changed": True, "reason": f"VM {vm.name} has moved to {where} since"}
    if vm.status != m.status_after:
        return vm, {"changed": True, "reason": f"VM {vm.name} is {vm.status} now, {m.status_after} when moved"}
    return vm, {"changed": False, "reason": ""}


def exit_precheck_result(world: World, where: dict) -> dict:
    host = one_host(world, where)
    out = {"offlineMigrateVms": [], "liveMigrateVms": [], "shutDownVms": []}
    keys = {"offline": "offlineMigrateVms", "live": "liveMigrateVms", "shutdown": "shutDownVms"}
    for m in _record(world, host).moved:
        vm, verify = _verify(world, m, host)
        target = world.hosts.get(m.target) if m.target else None
        out[keys[m.kind]].append({
            "vm_uuid": m.uuid, "vm_name": m.name, "vm_ha": m.ha,
            "vm_state": (vm.status if vm else "DELETED").lower(), "state": "done",
            "target_host_name": target.name if target else None, "verify": verify})
    return out


def exit(world: World, user, host_id: str, data: dict) -> tuple[str, Host]:
    host = world.find("Host", host_id)
    record = _record(world, host)
    by_kind = {k: {m.uuid: m for m in record.moved if m.kind == k} for k in ("shutdown", "live", "offline")}
    asked = [("poweron_vms", "shutdown"), ("live_migrate_back_vms", "live"), ("offline_migrate_back_vms", "offline")]
    chosen = []
    for key, kind in asked:
        for i, uuid in enumerate(data.get(key) or ()):
            m = by_kind[kind].get(uuid)
            if m is None:
                raise BadRequest(f"data.{key}[{i}]: {uuid!r} is not in the exit precheck's "
                                 f"{ {'shutdown': 'shutDownVms', 'live': 'liveMigrateVms'}.get(kind, 'offlineMigrateVms')} "
                                 f"for host {host.name}")
            vm = world.vms.get(m.vm_id)
            if vm is None:
                raise BadRequest(f"data.{key}[{i}]: VM {m.name} ({uuid}) has been deleted")
            chosen.append((kind, vm))
    world.runner.check_unlocked(host, *(vm for _, vm in chosen))
    problems: list[str] = []

    def back_in_service():
        host.host_state = {**host.host_state, "state": "IN_USE"}

    def bring_back(vm):
        def apply():
            if vm.host is host:
                return
            if vm.status != "STOPPED" and not fits(vm, host):
                problems.append(f"VM {vm.name} stays on {vm.host.name if vm.host else 'no host'}: host {host.name} "
                                f"has not {vm.memory // GIB} GiB free")
                return
            move(world, vm, host)
        return Step(f"migrate_back:{vm.name}", live_migration_seconds(vm) if vm.status != "STOPPED"
                    else OFFLINE_MIGRATION_SECONDS, apply)

    def power_back(vm):
        def apply():
            if vm.status != "STOPPED":
                return
            if vm.host is not host and vm.host_bound:
                problems.append(f"VM {vm.name} is bound to host {vm.host.name if vm.host else '-'} and stays off")
                return
            if not fits(vm, host):
                problems.append(f"VM {vm.name} stays off: host {host.name} has not {vm.memory // GIB} GiB free")
                return
            power_on(world, vm, host)
        return Step(f"poweron:{vm.name}", POWER_SECONDS, apply)

    def finish():
        if problems:
            task.error_message = "; ".join(problems)

    steps = ([Step("exit_maintenance_mode", FINAL_SECONDS, back_in_service)] +
             [bring_back(vm) for kind, vm in chosen if kind != "shutdown"] +
             [power_back(vm) for kind, vm in chosen if kind == "shutdown"])
    task = world.start_task(f"Exit maintenance mode on host {host.name}", host, "exitMaintenanceMode", steps,
                            locks=(host, *(vm for _, vm in chosen)), user=user, on_success=finish,
                            args={"host_id": host.id, **{k: list(data.get(k) or ()) for k, _ in asked}})
    return task.id, host
