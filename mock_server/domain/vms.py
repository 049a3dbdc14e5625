"""VM operations (simulator-behaviour.md section 4). Every matched VM is checked before anything starts, so a refused
request changes nothing; each VM then gets its own task, whose effect lands when its step completes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .errors import BadRequest, NotFound, TaskError
from . import devices, folders, gpus, guest, placement_groups
from .frozen import GUEST
from .inventory import replicas
from .model import BYTE_UNITS, GIB, Host, Task, Vm
from .states import EntityAsyncStatus, HostState, HostStatus, TaskKey, VmStatus
from .edits import acting, each
from .tasks import Step

if TYPE_CHECKING:  # the world holds the VMs; this module only acts on one
    from .world import World

# seconds of simulated time at speed 1
POWER_SECONDS = 3.0
OFFLINE_MIGRATION_SECONDS = 1.0


def live_migration_seconds(vm: Vm) -> float:
    return 2.0 + vm.memory / GIB


# --- placement ------------------------------------------------------------------------------------------------------
def eligible(host: Host) -> bool:
    """A host that may receive VMs: in service (not in or entering maintenance) and healthy."""
    return host.in_service and host.status == HostStatus.CONNECTED_HEALTHY and host.state != HostState.REMOVING


def fits(vm: Vm, host: Host, extra: int = 0) -> bool:
    return host.free_memory_bytes - extra >= vm.memory


PLANNED = "planned"  # reserved[PLANNED]: VM -> host, the placements a request plans before its tasks make them


def auto_place(world: World, vm: Vm, exclude=(), reserved: dict | None = None, need_memory: bool = True,
               rules: bool = True) -> Host | None:
    """The eligible host of the VM's cluster that fits it and that its placement group's "must" rules allow, breaking
    the fewest "prefer" rules, then with the most free memory (ties: by name), or None. A stopped VM holds no memory
    (simulator-behaviour.md section 1): moved while stopped, it need not fit, and runs nowhere for the rules."""
    reserved = reserved or {}
    planned, rules = reserved.get(PLANNED, {}), rules and need_memory
    best = None
    for h in vm.cluster.hosts:
        if h in exclude or not eligible(h) or (need_memory and not fits(vm, h, reserved.get(h.id, 0))):
            continue
        if rules and placement_groups.must_break(vm, h, planned):
            continue
        rank = (placement_groups.prefer_breaks(vm, h, planned) if rules else 0,
                -(h.free_memory_bytes - reserved.get(h.id, 0)), h.name)
        if best is None or rank < best[0]:
            best = (rank, h)
    return best[1] if best else None


# how long a tower waits for a guest to shut down before it fails the task with JOB_VM_SHUTDOWN_TIMEOUT, which SmartX's
# CAPE matches to power off instead (cape.md). The number is not published: 300 s is cloudtower-sim's guess.
SHUTDOWN_TIMEOUT_SECONDS = 300.0
MEMORY_FILTER = "HostAvailableMemoryFilter"  # the scheduler's words for too little memory, as SmartX's CAPE matches


class NoMemory(BadRequest):
    """No host has the memory: refused at once for a migration; a start's task goes ahead and fails with the
    scheduler's words, as a tower's does (CAPE reads the failure from the task, pkg/service/errors.go), on `host`,
    where the VM would have gone."""

    def __init__(self, message: str, host: Host):
        super().__init__(message)
        self.host = host


def _target(world: World, vm: Vm, host_id: str | None, field: str, exclude=(), reserved=None,
            need_memory: bool = True) -> Host:
    if host_id is None:
        # when only a placement group's "must" rule stands in the way, the task goes ahead and its step fails with
        # the scheduler's reason, as a tower's does (placement_groups.py)
        host = auto_place(world, vm, exclude, reserved, need_memory) or auto_place(world, vm, exclude, reserved,
                                                                                   need_memory, rules=False)
        if host is None:
            anywhere = auto_place(world, vm, exclude, reserved, need_memory=False) if need_memory else None
            message = (f"VM {vm.name}: no other host of cluster {vm.cluster.name} is in service"
                       + (f" with {vm.memory // GIB} GiB of memory free" if need_memory else ""))
            if anywhere is not None:
                raise NoMemory(message, anywhere)
            raise BadRequest(message)
        return host
    host = world.hosts.get(host_id)
    if host is None:
        raise NotFound(f"{field}: no Host with id {host_id!r}")
    if host.cluster is not vm.cluster:
        raise BadRequest(f"{field}: host {host.name} is not in VM {vm.name}'s cluster {vm.cluster.name}")
    if not host.in_service:
        raise BadRequest(f"{field}: host {host.name} is {host.maintenance_state}; it takes no VMs")
    if host.status != HostStatus.CONNECTED_HEALTHY:
        raise BadRequest(f"{field}: host {host.name} is {host.status}; it takes no VMs")
    return host


def _need_memory(vm: Vm, host: Host, reserved: dict) -> None:
    """Refuse unless `vm` fits beside what this request already placed on `host`; then count it there too."""
    taken = reserved.get(host.id, 0)
    if not fits(vm, host, taken):
        also = f" beside the {taken // GIB} GiB this request already places there" if taken else ""
        raise NoMemory(f"host {host.name} has {max(host.free_memory_bytes, 0) // GIB} GiB of memory free{also}; "
                       f"VM {vm.name} needs {vm.memory // GIB} GiB", host)
    reserved[host.id] = taken + vm.memory
    reserved.setdefault(PLANNED, {})[vm] = host


# --- effects (also used by the maintenance tasks) -------------------------------------------------------------------
def power_on(world: World, vm: Vm, host: Host) -> None:
    if not eligible(host):
        raise TaskError(f"VM {vm.name} cannot start on host {host.name}: it takes no VMs")
    if not fits(vm, host):
        raise TaskError(f"{MEMORY_FILTER}: VM {vm.name} cannot start on host {host.name}: it has "
                        f"{max(host.free_memory_bytes, 0) // GIB} GiB of memory free and the VM needs "
                        f"{vm.memory // GIB} GiB", MEMORY_FILTER)
    gpus.check_start(vm, host)
    placement_groups.check_run(vm, host)
    world.place(vm, host)
    vm.status = VmStatus.RUNNING
    guest.boot(world, vm)


def power_off(world: World, vm: Vm) -> None:
    vm.status = VmStatus.STOPPED
    guest.halt(vm)
    vm.last_shutdown_time = world.now()


def move(world: World, vm: Vm, host: Host) -> None:
    """Migrate `vm` to `host`, live when it holds memory, offline when stopped."""
    if vm.status != VmStatus.STOPPED and not fits(vm, host):
        raise TaskError(f"VM {vm.name} cannot migrate to host {host.name}: not enough memory free")
    if not eligible(host):
        raise TaskError(f"VM {vm.name} cannot migrate to host {host.name}: it takes no VMs")
    if vm.status != VmStatus.STOPPED:
        placement_groups.check_run(vm, host)
    world.place(vm, host)




# --- operations -----------------------------------------------------------------------------------------------------
RUNNING, STOPPED, SUSPENDED = VmStatus.RUNNING, VmStatus.STOPPED, VmStatus.SUSPENDED
ALLOWED = {  # the states each operation takes a VM from (simulator-behaviour.md section 4)
    TaskKey.StartVm: (STOPPED,), TaskKey.ShutDownVm: (RUNNING,), TaskKey.PoweroffVm: (RUNNING, SUSPENDED),
    TaskKey.RestartVm: (RUNNING,), TaskKey.ForceRestartVm: (RUNNING,), TaskKey.SuspendVm: (RUNNING,),
    TaskKey.ResumeVm: (SUSPENDED,), TaskKey.MigrateVm: (RUNNING, STOPPED), TaskKey.DeleteVm: (STOPPED,),
}
# Task descriptions hold the words real dependents match by substring (../shared/reference/cape.md, from SmartX's
# cluster-api-provider-elf pkg/service/util.go and its tests): "Create a VM", "Start VM", "Edit VM",
# "performing a live migration" / "performing a cold migration". The rest of each wording is inferred in that style.
DESCRIBE = {TaskKey.StartVm: "Start VM", TaskKey.ShutDownVm: "Shut down VM", TaskKey.PoweroffVm: "Power off VM",
            TaskKey.RestartVm: "Restart VM", TaskKey.ForceRestartVm: "Force restart VM",
            TaskKey.SuspendVm: "Suspend VM", TaskKey.ResumeVm: "Resume VM", TaskKey.MigrateVm: "Migrate VM",
            TaskKey.DeleteVm: "Delete VM"}


def operate(world: World, user, op: TaskKey, vms: list[Vm], host_id: str | None = None,
            include_snapshots: bool = False) -> list[tuple[Task, Vm]]:
    """Run `op` on every VM in `vms`; answers (task, VM) pairs. Refuses them all, changing nothing, if any can't:
    memory is counted for the whole request, and a target host a task holds is ResourceLocked."""
    plans, reserved = [], {}
    if op != TaskKey.DeleteVm:  # a VM in the recycle bin is deleted for good, and takes no other operation
        not_recycled(vms)
    for vm in vms:
        if vm.status not in ALLOWED[op]:
            raise BadRequest(f"VM {vm.name} is {vm.status}; {DESCRIBE[op].lower()} needs it "
                             f"{' or '.join(ALLOWED[op])}")
        plans.append((vm, _plan(world, op, vm, host_id, reserved, include_snapshots)))
    world.runner.check_unlocked(*vms)
    world.runner.check_unlocked(*{host for _, (_, host) in plans if host is not None}, shared=True)
    started = []
    for vm, (steps, host) in plans:
        task = world.start_task(_described(op, vm, steps, host), vm, op, steps, locks=(vm,),
                                shared=(host,) if host is not None else (), user=user, **acting(vm, op))
        started.append((task, vm))
    return started



def _described(op: TaskKey, vm: Vm, steps: list[Step], host: Host | None) -> str:
    if op == TaskKey.MigrateVm:  # CAPE tells a cold migration from a live one by these words
        how = "a live migration" if steps[0].key == "live_migrate" else "a cold migration"
        return f"Migrate VM {vm.name}: performing {how} to host {host.name}"
    return f"{DESCRIBE[op]} {vm.name}"


def _plan(world: World, op: TaskKey, vm: Vm, host_id: str | None, reserved: dict,
          include_snapshots: bool = False) -> tuple[list[Step], Host | None]:
    """The steps of `op` on `vm`, and the host it places the VM on; refusals raise here, before any task exists."""
    if op == TaskKey.StartVm:
        try:
            return _plan_start(world, vm, host_id, reserved)
        except NoMemory as e:  # the task fails at its start with the scheduler's words (power_on)
            short = e.host
            return [Step("start", POWER_SECONDS, lambda: power_on(world, vm, short))], short
    if op == TaskKey.ShutDownVm:
        # a guest that does not answer the request (a scenario's `ignores_shutdown`): the tower gives up. A shutdown
        # is an ACPI request, which a guest OS answers with or without VMTools, so a VM without VMTools still shuts
        # down here (whether a blank VM, with no OS at all, does on a real tower is not established)
        if vm.ignores_shutdown:
            def timed_out():
                raise TaskError(f"JOB_VM_SHUTDOWN_TIMEOUT: VM {vm.name} did not shut down within "
                                f"{SHUTDOWN_TIMEOUT_SECONDS:g} s (its guest ignores the request); power it off",
                                "JOB_VM_SHUTDOWN_TIMEOUT")
            return [Step("shutdown", SHUTDOWN_TIMEOUT_SECONDS, timed_out)], None
        return [Step("shutdown", POWER_SECONDS, lambda: power_off(world, vm))], None
    if op == TaskKey.PoweroffVm:
        return [Step("poweroff", 1.0, lambda: power_off(world, vm))], None
    if op in (TaskKey.RestartVm, TaskKey.ForceRestartVm):
        return [Step("stop", POWER_SECONDS / 2), Step("start", POWER_SECONDS / 2)], None
    if op == TaskKey.SuspendVm:
        return [Step("suspend", POWER_SECONDS, lambda: setattr(vm, "status", SUSPENDED))], None
    if op == TaskKey.ResumeVm:
        return [Step("resume", POWER_SECONDS, lambda: setattr(vm, "status", RUNNING))], None
    if op == TaskKey.MigrateVm:
        live = vm.status == RUNNING
        if vm.host_bound:
            raise BadRequest(f"VM {vm.name} has pass-through devices and cannot migrate")
        host = _target(world, vm, host_id, "data.host_id", exclude=(vm.host,), reserved=reserved if live else None,
                       need_memory=live)
        if host is vm.host:
            raise BadRequest(f"data.host_id: VM {vm.name} is already on host {host.name}")
        if live:
            _need_memory(vm, host, reserved)
        seconds = live_migration_seconds(vm) if live else OFFLINE_MIGRATION_SECONDS
        return [Step("live_migrate" if live else "offline_migrate", seconds, lambda: move(world, vm, host))], host
    if op == TaskKey.DeleteVm:
        return [Step("delete", 1.0, lambda: world.remove_vm(vm, include_snapshots))], None
    raise ValueError(op)


def _plan_start(world: World, vm: Vm, host_id: str | None, reserved: dict) -> tuple[list[Step], Host]:
    if host_id is None and vm.host is not None and eligible(vm.host) and fits(
            vm, vm.host, reserved.get(vm.host.id, 0)) and not placement_groups.must_break(
            vm, vm.host, reserved.get(PLANNED)):
        host = vm.host  # a VM starts where it last ran when it can
    else:
        host = _target(world, vm, host_id, "data.host_id", reserved=reserved)
    if vm.host_bound and vm.host is not None and host is not vm.host:
        raise BadRequest(f"VM {vm.name} has pass-through devices on host {vm.host.name}; it can only start there")
    _need_memory(vm, host, reserved)
    return [Step("start", POWER_SECONDS, lambda: power_on(world, vm, host))], host


def recycle(world: World, user, vms: list[Vm], into: bool) -> list[tuple[Task, Vm]]:
    """move-vm-to-recycle (into) and recover-vm-from-recycle. A VM in the bin takes nothing but recovery and deletion
    (not_recycled). Only a STOPPED VM goes in: whether a tower takes a running one is not established."""
    for vm in vms:
        if into and vm.in_recycle_bin:
            raise BadRequest(f"where: VM {vm.name} is in the recycle bin already")
        if into and vm.status != STOPPED:
            raise BadRequest(f"where: VM {vm.name} is {vm.status}; cloudtower-sim moves a STOPPED VM to the recycle "
                             "bin (whether a tower takes a running one is not established)")
        if not into and not vm.in_recycle_bin:
            raise BadRequest(f"where: VM {vm.name} is not in the recycle bin")
    key = TaskKey.MoveVmToRecycleBin if into else TaskKey.RecoverVmFromRecycleBin
    return each(world, user, vms, key, "Move to recycle bin" if into else "Recover from recycle bin",
                lambda vm: setattr(vm, "in_recycle_bin", into))


def not_recycled(objs: list) -> list:
    """`objs` (VMs, or their disks and NICs), refused if a VM of them is in the recycle bin."""
    for obj in objs:
        vm = obj if isinstance(obj, Vm) else getattr(obj, "vm", None)
        if vm is not None and vm.in_recycle_bin:
            raise BadRequest(f"where: VM {vm.name} is in the recycle bin; recover it first (recover-vm-from-recycle)")
    return objs


def create(world: World, user, batch: list[dict], key: TaskKey = TaskKey.CreateVm, one_task: str | None = None,
           field: str = "") -> list[tuple[Task, Vm]]:
    """`/create-vm` and the creations from snapshots and templates (`key`): every `VmCreationParams` is checked first;
    then each VM exists at once (entityAsyncStatus CREATING, STOPPED) and takes the requested status when its task
    completes. One task per VM, or with `one_task` (its description) one for them all, as the `-batch` creation
    answers one WithTask of all its VMs. `field`: where the batch is in the body (`vms` for -batch)."""
    if not batch:
        raise BadRequest("body: expected at least one VmCreationParams: an empty array creates nothing")
    if len(batch) > MAX_BATCH:
        raise BadRequest(f"body: {len(batch)} VMs in one request is more than cloudtower-sim's bound of {MAX_BATCH} "
                         "(a real tower's limit is not published)")
    planned, names, reserved, taken = [], set(), {}, set()
    for i, params in enumerate(batch):
        vm, host, gpu_plan = _plan_creation(world, params, f"{field}[{i}]", reserved)
        if (vm.cluster.id, vm.name) in names:
            raise BadRequest(f"{field}[{i}].name: this request already creates a VM named {vm.name!r}")
        names.add((vm.cluster.id, vm.name))
        planned.append((vm, host, params["status"], devices.plan(world, vm.cluster, params, f"{field}[{i}]", taken),
                        gpu_plan))
    world.runner.check_unlocked(*{p[1] for p in planned if p[1] is not None}, shared=True)
    world.runner.check_unlocked(*{v for p in planned for v, _, _ in p[3].volumes})
    if one_task is not None:
        return _start_creation(world, user, key, planned, one_task)
    return [started for p in planned
            for started in _start_creation(world, user, key, [p], f"Create a VM {p[0].name}")]


AUTO_SCHEDULE = "AUTO_SCHEDULE"
# VmCreationParams that name what cloudtower-sim does not model yet: refused, never ignored
NOT_SIMULATED = {"pci_nics": "SR-IOV and pass-through NICs"}


def _owner(world: World, owner: dict, at: str):
    """VmOwnerParams: the user `value` names, by `search_for` (CAPE sends `{search_for: "username", value}`,
    pkg/service/vm.go); without `search_for`, by username or id (inferred). Upstream's Vm shows no owner, so the
    simulator checks it and keeps nothing."""
    by = owner.get("search_for")
    value = owner["value"]
    found = next((u for u in world.users.values() if (by in (None, "username") and u.username == value)
                  or (by in (None, "id") and u.id == value)), None)
    if found is None:
        raise NotFound(f"{at}: no user with {by or 'username or id'} {owner['value']!r}")
    return found


def _plan_creation(world: World, params: dict, at: str, reserved: dict) -> tuple[Vm, Host | None, list]:
    for key, what in NOT_SIMULATED.items():
        if params.get(key):
            raise BadRequest(f"{at}.{key}: cloudtower-sim does not simulate {what} yet; leave it out")
    if params.get("owner") is not None:
        _owner(world, params["owner"], f"{at}.owner")
    cluster = world.clusters.get(params["cluster_id"])
    if cluster is None:
        raise NotFound(f"{at}.cluster_id: no Cluster with id {params['cluster_id']!r}")
    memory = params["memory"] * BYTE_UNITS[params.get("memory_unit", "B")]
    cores, sockets = params["cpu_cores"], params["cpu_sockets"]
    for key, value in (("memory", memory), ("cpu_cores", cores), ("cpu_sockets", sockets)):
        if value <= 0:
            raise BadRequest(f"{at}.{key}: expected a positive number, got {params[key]}")
    vcpu = params.get("vcpu", cores * sockets)
    if vcpu != cores * sockets:
        raise BadRequest(f"{at}.vcpu: expected cpu_cores x cpu_sockets = {cores * sockets}, got {vcpu}")
    check_bounds(at, memory, vcpu)
    if params["status"] not in (RUNNING, STOPPED):
        raise BadRequest(f"{at}.status: a new VM is created RUNNING or STOPPED, not {params['status']}")
    if any(v.name == params["name"] for v in cluster.vms):
        raise BadRequest(f"{at}.name: cluster {cluster.name} already has a VM named {params['name']!r}")
    vm = Vm("", "", params["name"], cluster, memory=memory, vcpu=vcpu, status=STOPPED,
            description=params.get("description", ""), cpu_sockets=sockets, ha=params["ha"],
            firmware=params["firmware"], guest_os_type=params.get("guest_os_type", "LINUX"))
    if params.get("folder_id") is not None:
        vm.folder = folders.chosen(world, params["folder_id"], cluster, f"{at}.folder_id")  # filed when created
    if params.get("vm_placement_group") is not None:  # its rules place the VM; it joins when created
        vm.vm_placement_group = placement_groups.chosen(world, params["vm_placement_group"], cluster,
                                                        f"{at}.vm_placement_group")
    vm.cloud_init = params.get("cloud_init")  # made of a template (frozen.py); no field of Vm shows it
    # its guest: that of what it was made of (frozen.py), else none: a VM created blank has no VMTools
    made_of = params.get(GUEST) or {"vm_tools": False, "cloud_init_supported": False}
    vm.vm_tools, vm.cloud_init_supported = made_of["vm_tools"], made_of["cloud_init_supported"]
    host, wanted = None, params.get("gpu_devices") or []
    # "AUTO_SCHEDULE": the scheduler picks the host, as SmartX's CAPE (pkg/service/vm.go) and Terraform provider
    # (resource_vm.go) send it
    host_id = None if params.get("host_id") == AUTO_SCHEDULE else params.get("host_id")
    if wanted and host_id is None:  # a VM given GPUs goes to their host
        first = world.gpu_devices.get(wanted[0]["gpu_id"])
        host_id = first.host.id if first is not None and first.host.cluster is cluster else None
    if host_id is not None or params["status"] == RUNNING or wanted:
        try:
            host = _target(world, vm, host_id, f"{at}.host_id", reserved=reserved)
            if params["status"] == RUNNING:
                _need_memory(vm, host, reserved)
        except NoMemory as e:  # created, and its start fails with the scheduler's words (power_on)
            host = e.host
    gpu_plan = gpus.given(world, vm, wanted, adding=True, host=host, field=f"{at}.gpu_devices")
    if params["status"] == RUNNING:
        for gpu, _ in gpu_plan:  # a stopped VM may share a pass-through GPU; a running one takes it whole
            if not gpu.vgpu and gpu.holders():
                raise BadRequest(f"{at}.gpu_devices: GPU {gpu.name} is held by running VM {gpu.holders()[0].name}")
    return vm, host, gpu_plan


def _start_creation(world: World, user, key: TaskKey, planned: list, description: str) -> list[tuple[Task, Vm]]:
    """One task creating the VMs `planned` ((vm, host, status, equipment, gpu_plan) each), one after another."""
    steps = [step for p in planned for step in _creation_steps(world, *p, tag=f":{p[0].name}" if len(planned) > 1
                                                                 else "")]
    vms = [p[0] for p in planned]
    hosts = {p[1] for p in planned if p[1] is not None}

    def failed(error):
        for vm in vms:
            vm.entityAsyncStatus = None

    task = world.start_task(description, vms[0], key, steps, locks=vms, shared=hosts, user=user, on_failure=failed)
    return [(task, vm) for vm in vms]


def _creation_steps(world: World, vm: Vm, host: Host | None, status: str, equipment: devices.DevicePlan,
                    gpu_plan: list, tag: str) -> list[Step]:
    """Put `vm` in the world (listed at once, with its devices, CREATING until its last step) and answer its steps."""
    # until it is created a VM's local_id is "placeholder-<uuid>", as CAPE expects (cape.md step 7)
    local_id = world.ids.uuid()
    vm.id, vm.local_id, vm.local_created_at = world.ids.cuid(), f"placeholder-{local_id}", world.created_at()
    vm.entityAsyncStatus = EntityAsyncStatus.CREATING
    world.add(vm)
    world.place(vm, host)
    for group in vm.vm_placement_group:
        group.vms.append(vm)
    if vm.folder is not None:
        vm.folder.vms.append(vm)
    # thick volumes are allocated whole, every replica: beyond the cluster's free space the creation fails with the
    # storage's words, EAllocSpace, as SmartX's CAPE matches them (pkg/service/errors.go StorageInsufficientError)
    need = sum(size * replicas(policy) for _, size, policy, *_ in equipment.new_volumes if "_THICK_" in policy)
    free = vm.cluster.total_data_capacity - vm.cluster.used_data_space
    devices.attach(world, vm, equipment)
    for gpu, amount in gpu_plan:
        world.give(vm, gpu, amount)
    new_volumes = [d.vm_volume for d in vm.vm_disks if d.vm_volume is not None
                   and any(d.vm_volume.name == name for name, *_ in equipment.new_volumes)]

    def allocate():
        if need > free:
            for volume in new_volumes:  # what the failed creation allocated is given back
                for disk in list(volume.vm_disks):
                    world.remove(disk)
                world.remove(volume)
            raise TaskError(f"EAllocSpace: cluster {vm.cluster.name} has {max(free, 0) // GIB} GiB of storage "
                            f"free, and the thick volumes of VM {vm.name} need {need // GIB} GiB",
                            "EAllocSpace")

    def created():
        vm.local_id = local_id

    def finish():
        unreachable = guest.unreachable_gateway(vm.cloud_init)
        if unreachable is not None:  # the tower's words, as SmartX's CAPE matches them (cape.md)
            raise TaskError(f"[VM_CLOUD_INIT_CONFIG_ERROR]The gateway [{unreachable}] is unreachable. ",
                            "VM_CLOUD_INIT_CONFIG_ERROR")
        vm.entityAsyncStatus = None
        if status == RUNNING:
            power_on(world, vm, host)

    # a step per new volume: a VM with disks reports its progress volume by volume
    return ([Step(f"create{tag}", 2.0, created)]
            + [Step(f"create_volume:{name}", 1.0, allocate) for name, *_ in equipment.new_volumes]
            + [Step(f"finish{tag}", POWER_SECONDS if status == RUNNING else 0.5, finish)])


def update(world: World, user, vms: list[Vm], data: dict, guest_account: tuple | None = None,
           also: Callable[[], None] | None = None) -> list[tuple[Task, Vm]]:
    """`/update-vm-basic-info`: name, description and HA of any VM; vCPU, CPU topology and memory of a stopped one, and
    more of them (never less) for a running one.
    Every VM is checked first, so a refusal changes nothing; each change lands when its VM's task step completes,
    and meanwhile the VM shows entityAsyncStatus UPDATING."""
    plans = [(vm, {**_changes(vm, data, len(vms)), **_in_guest(vm, data, guest_account)}) for vm in vms]
    world.runner.check_unlocked(*vms)
    started = []
    for vm, changes in plans:
        def apply(vm=vm, changes=changes):
            for key, value in changes.items():
                setattr(vm, key, value)
            if also is not None:  # what else the same edit changes (GraphQL updateVm's NICs and disks)
                also()

        task = world.start_task(f"Edit VM {vm.name}", vm, TaskKey.UpdateVm, [Step("update", 1.0, apply)],
                                locks=(vm,), user=user, args=dict(data), **acting(vm, TaskKey.UpdateVm))
        started.append((task, vm))
    return started


def _in_guest(vm: Vm, data: dict, guest_account: tuple | None) -> dict:
    """hostname and dns_servers (GraphQL updateVm) are set inside the guest, through VMTools and with a guest account:
    SmartX's Terraform provider waits for VMTools to run and sends the guest OS account in `effect`
    (resource_vm.go, ../shared/reference/graphql.md)."""
    changes = {f"guest_{key}": data[key] for key in ("hostname", "dns_servers") if data.get(key) is not None}
    if not changes:
        return changes
    key = next(iter(changes))[len("guest_"):]
    if not vm.reporting:
        raise BadRequest(f"data.{key}: VM {vm.name}'s VMTools is not running (vm_tools_status "
                         f"{vm.vm_tools_status}); a tower sets it inside the guest, through VMTools")
    if not guest_account or not all(guest_account):
        raise BadRequest(f"effect.guest_os_username and effect.guest_os_password: required to set data.{key} inside "
                         f"VM {vm.name}'s guest")
    if "guest_hostname" in changes and not changes["guest_hostname"].strip():
        raise BadRequest("data.hostname: expected a non-empty hostname")
    return changes


def _changes(vm: Vm, data: dict, matched: int) -> dict:
    """The attributes `data` changes on `vm`, or a refusal naming the field."""
    changes = {key: data[key] for key in ("description", "ha") if data.get(key) is not None}
    if changes.get("ha") and vm.gpu_devices:
        raise BadRequest(f"data.ha: VM {vm.name} has GPU devices, and a VM with GPU devices cannot have HA")
    name = data.get("name")
    if name is not None:
        if not name.strip():
            raise BadRequest("data.name: expected a non-empty name")
        if matched > 1:
            raise BadRequest(f"data.name: where matches {matched} VMs, and one name cannot go to all of them")
        if any(v is not vm and v.name == name for v in vm.cluster.vms):
            raise BadRequest(f"data.name: cluster {vm.cluster.name} already has a VM named {name!r}")
        changes["name"] = name
    hardware = [key for key in ("vcpu", "cpu_cores", "cpu_sockets", "memory", "memory_unit") if key in data]
    if not hardware:
        return changes
    if vm.status == SUSPENDED:
        raise BadRequest(f"data.{hardware[0]}: VM {vm.name} is SUSPENDED; its vCPU and memory change when it is "
                         "RUNNING (hot-add) or STOPPED")
    if "memory_unit" in data and "memory" not in data:
        raise BadRequest("data.memory_unit: given without data.memory")
    for key in ("memory", "vcpu", "cpu_cores", "cpu_sockets"):
        if key in data and data[key] <= 0:
            raise BadRequest(f"data.{key}: expected a positive number, got {data[key]}")
    if "memory" in data:
        changes["memory"] = data["memory"] * BYTE_UNITS[data.get("memory_unit", "B")]
    # vcpu = cpu_cores x cpu_sockets, as on create; what data leaves out stays, and vcpu alone keeps the sockets
    sockets = data.get("cpu_sockets", vm.cpu_sockets)
    if "cpu_cores" in data:
        cores = data["cpu_cores"]
    elif "vcpu" in data:
        if data["vcpu"] % sockets:
            raise BadRequest(f"data.vcpu: expected a multiple of the VM's {sockets} CPU socket(s), got {data['vcpu']}")
        cores = data["vcpu"] // sockets
    else:
        cores = vm.vcpu // vm.cpu_sockets
    vcpu = data.get("vcpu", cores * sockets)
    if vcpu != cores * sockets:
        raise BadRequest(f"data.vcpu: expected cpu_cores x cpu_sockets = {cores * sockets}, got {vcpu}")
    check_bounds("data", changes.get("memory", vm.memory), vcpu)
    if vm.status == RUNNING:
        _hot_add(vm, vcpu, changes.get("memory", vm.memory))
    changes.update(vcpu=vcpu, cpu_sockets=sockets)
    return changes


def _hot_add(vm: Vm, vcpu: int, memory: int) -> None:
    """A running VM's vCPU and memory only grow, and its host must have the added memory free. SmartX's Cluster API
    provider hot-updates running VMs this way (reconcileVMCPUAndMemory: only when the spec is larger, waiting while
    the cluster lacks memory); shrinking needs the VM stopped."""
    if vcpu < vm.vcpu:
        raise BadRequest(f"data.vcpu: VM {vm.name} is RUNNING and its vCPUs only grow (hot-add): {vm.vcpu} now, got "
                         f"{vcpu}; shut it down to remove vCPUs")
    if memory < vm.memory:
        raise BadRequest(f"data.memory: VM {vm.name} is RUNNING and its memory only grows (hot-add): "
                         f"{vm.memory // GIB} GiB now; shut it down to remove memory")
    if memory - vm.memory > vm.host.free_memory_bytes:
        raise BadRequest(f"data.memory: host {vm.host.name} has {max(vm.host.free_memory_bytes, 0) // GIB} GiB of "
                         f"memory free; VM {vm.name} would take {(memory - vm.memory) // GIB} GiB more")


# Upper bounds of one VM. A real tower's are not published; these are above any SMTX host, and keep every total the
# API answers (a cluster's provisioned memory and cores) within its int64 and int32 fields. Beyond: refused.
MAX_MEMORY = 16 * 1024**4  # 16 TiB
MAX_VCPU = 256
MAX_BATCH = 100  # VMs one create-vm request may create


def check_bounds(at: str, memory: int, vcpu: int) -> None:
    if memory > MAX_MEMORY:
        raise BadRequest(f"{at}.memory: {memory} bytes is more than cloudtower-sim's bound of {MAX_MEMORY} (16 TiB) "
                         "for one VM (a real tower's limit is not published)")
    if vcpu > MAX_VCPU:
        raise BadRequest(f"{at}.vcpu: {vcpu} vCPUs (cpu_cores x cpu_sockets) is more than cloudtower-sim's bound of "
                         f"{MAX_VCPU} for one VM (a real tower's limit is not published)")

