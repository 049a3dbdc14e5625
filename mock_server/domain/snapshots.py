"""VM snapshots: what a VM was (CPU, memory, firmware, HA, its disks and NICs) frozen at an instant, as upstream's
VmSnapshot answers it (`vm_disks` as NestedFrozenDisks, `vm_nics` as NestedFrozenNic). A snapshot keeps what it
captured whatever happens to the VM afterwards.

- rollback-vm puts a STOPPED VM back as the snapshot has it: CPU, memory, its disks (volumes back to their size then,
  ISOs back in the CD-ROMs) and its NICs. A running VM is refused (SMTX's rule for a running VM is not established);
  a volume or VLAN of the snapshot that has since been deleted makes it refused too, naming it. A volume the VM
  mounted after the snapshot stays, unmounted.
- rebuild-vm-from-snapshot makes a new VM of the snapshot, through create-vm's own checks: new volumes of the frozen
  sizes and policies, the same ISOs, NICs on the same VLANs with new MACs.
- A snapshot outlives its VM's deletion (upstream's `vm` is nullable); create-vm-snapshot needs the VM present."""

from __future__ import annotations

from dataclasses import dataclass, field

from .edits import SECONDS, each
from .errors import BadRequest, NotFound
from . import frozen
from .frozen import Frozen, frozen_disk, frozen_nic
from .inventory import VmDisk, VmNic
from .states import TaskKey, VmStatus
from .tasks import Step


@dataclass(eq=False, repr=False, slots=True)
class VmSnapshot(Frozen):
    table = "vm_snapshots"
    read = True

    id: str
    local_id: str
    name: str
    vm: object  # Vm, or None once deleted
    cluster: object
    local_created_at: str
    vcpu: int
    cpu: dict  # NestedCpu: cores, sockets
    memory: int
    firmware: str
    ha: bool
    description: str
    vm_disks: list = field(default_factory=list)  # NestedFrozenDisks, plus "_volume" and "_image" (the objects)
    vm_nics: list = field(default_factory=list)  # NestedFrozenNic, plus "_vlan"
    consistent_type: str = "CRASH_CONSISTENT"
    clock_offset: str = "UTC"
    win_opt: bool = False
    cpu_model: str = ""
    vm_tools: bool = True  # in the guest it was taken of (guest.py)

    def listed_in(self) -> list[list]:
        vm = self.vm
        if vm is None:
            return []
        if not isinstance(vm.snapshots, list):  # the shared empty (Vm.snapshots): a list of its own now
            vm.snapshots = []
        return [vm.snapshots]


def create(world, user, data: list) -> list:
    planned = []
    for i, p in enumerate(data):
        vm = world.vms.get(p["vm_id"])
        if vm is None:
            raise NotFound(f"data[{i}].vm_id: no Vm with id {p['vm_id']!r}")
        if not p["name"].strip():
            raise BadRequest(f"data[{i}].name: expected a non-empty name")
        if vm.in_recycle_bin:
            raise BadRequest(f"data[{i}].vm_id: VM {vm.name} is in the recycle bin")
        if any(vm is other for other, _ in planned):  # one task per VM, holding it
            raise BadRequest(f"data[{i}].vm_id: this request already snapshots VM {vm.name}; one at a time")
        # the SDK README's backup example falls back to CRASH_CONSISTENT unless VMTools runs: the guest's file
        # systems are quiesced through VMTools
        if p.get("consistent_type") == "FILE_SYSTEM_CONSISTENT" and vm.vm_tools_status != "RUNNING":
            raise BadRequest(f"data[{i}].consistent_type: FILE_SYSTEM_CONSISTENT needs VMTools running in VM "
                             f"{vm.name} (vm_tools_status {vm.vm_tools_status}); take a CRASH_CONSISTENT snapshot")
        planned.append((vm, p))
    world.runner.check_unlocked(*(vm for vm, _ in planned))
    started = []
    for vm, p in planned:
        snap = take(world, vm, p["name"], p.get("consistent_type") or "CRASH_CONSISTENT")
        started.append((world.start_task(f"Create snapshot {snap.name} of VM {vm.name}", vm, TaskKey.CreateVmSnapshot,
                                         [Step("snapshot", SECONDS)], locks=(vm,), user=user), snap))
    return started


def take(world, vm, name: str, consistent_type: str = "CRASH_CONSISTENT") -> VmSnapshot:
    """Freeze `vm` as it is now."""
    return world.add(VmSnapshot(
        world.ids.cuid(), world.ids.uuid(), name, vm, vm.cluster, world.created_at(), vcpu=vm.vcpu,
        cpu={"cores": vm.vcpu // vm.cpu_sockets, "sockets": vm.cpu_sockets}, memory=vm.memory,
        firmware=vm.firmware, ha=vm.ha, description=vm.description,
        vm_disks=[frozen_disk(world, k, d) for k, d in enumerate(vm.vm_disks)],
        vm_nics=[frozen_nic(n) for n in vm.vm_nics], consistent_type=consistent_type,
        win_opt=vm.guest_os_type == "WINDOWS", cpu_model=vm.cluster.cpu_models[0], vm_tools=vm.vm_tools))


def delete(world, user, snaps: list) -> list:
    return each(world, user, snaps, TaskKey.DeleteVmSnapshot, "Delete snapshot", world.remove)


def rollback(world, user, vms: list, snapshot_id: str) -> list:
    snap = world.vm_snapshots.get(snapshot_id)
    if snap is None:
        raise NotFound(f"data.snapshot_id: no VmSnapshot with id {snapshot_id!r}")
    for vm in vms:
        if snap.vm is not vm:
            raise BadRequest(f"data.snapshot_id: snapshot {snap.name} is of VM "
                             f"{snap.vm.name if snap.vm else '(deleted)'}, not of {vm.name}")
        if vm.status != VmStatus.STOPPED:
            raise BadRequest(f"where: VM {vm.name} is {vm.status}; cloudtower-sim rolls back a STOPPED VM (SMTX's "
                             "rule for a running one is not established): shut it down first")
    for d in snap.vm_disks:
        if d["_volume"] is not None and not world.holds(d["_volume"]):
            raise BadRequest(f"data.snapshot_id: volume {d['_volume'].name} of snapshot {snap.name} has been deleted")
    for n in snap.vm_nics:
        if n["_vlan"] is not None and not world.holds(n["_vlan"]):
            raise BadRequest(f"data.snapshot_id: VLAN {n['_vlan'].name} of snapshot {snap.name} has been deleted")
    return each(world, user, vms, TaskKey.RollbackVm, f"Roll back to snapshot {snap.name}",
                lambda vm: _restore(world, vm, snap), {"snapshot_id": snapshot_id})


def _restore(world, vm, snap) -> None:
    vm.vcpu, vm.cpu_sockets, vm.memory = snap.vcpu, snap.cpu["sockets"], snap.memory
    vm.firmware, vm.ha, vm.description = snap.firmware, snap.ha, snap.description
    for disk in list(vm.vm_disks):
        world.remove(disk)
    for nic in list(vm.vm_nics):
        world.remove(nic)
    for d in snap.vm_disks:
        volume, image = d["_volume"], d["_image"]
        if volume is not None:
            volume.size = d["size"]
        image = image if image is not None and world.holds(image) else None  # a deleted ISO leaves it empty
        kind = {type(image).__name__: image} if image is not None else {}
        world.add(VmDisk(world.ids.cuid(), vm, boot=d["boot"], bus=d["bus"], type=d["type"], vm_volume=volume,
                         disabled=bool(d["disabled"]), key=d["key"],
                         elf_image=kind.get("ElfImage"), svt_image=kind.get("SvtImage")))
    for n in snap.vm_nics:
        world.add(VmNic(world.ids.cuid(), world.ids.uuid(), vm, n["_vlan"], n["mac_address"], order=n["index"],
                        model=n["model"], enabled=n["enabled"], mirror=n["mirror"],
                        static_ip=n["ip_address"] or None, static_gateway=n["gateway"] or None,
                        static_mask=n["subnet_mask"] or None))


def rebuild_params(world, params: dict, at: str) -> dict:
    """create-vm's VmCreationParams for rebuild-vm-from-snapshot's VmRebuildParams."""
    snap = world.vm_snapshots.get(params["rebuild_from_snapshot_id"])
    if snap is None:
        raise NotFound(f"{at}.rebuild_from_snapshot_id: no VmSnapshot with id {params['rebuild_from_snapshot_id']!r}")
    if params.get("vm_disks"):  # whether they replace the snapshot's disks or add to them is not established
        raise BadRequest(f"{at}.vm_disks: cloudtower-sim does not simulate it in a rebuild yet; leave it out")
    return frozen.creation_params(world, snap, params, at, "rebuild_from_snapshot_id", f"snapshot {snap.name}")
