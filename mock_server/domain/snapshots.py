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
from .inventory import VmDisk, VmNic
from .model import Entity
from .states import TaskKey, VmStatus
from .tasks import Step


@dataclass(eq=False, repr=False)
class VmSnapshot(Entity):
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

    @property
    def size(self):
        return sum(d["size"] for d in self.vm_disks if d["type"] == "DISK")


def _frozen_disk(world, index: int, disk) -> dict:
    volume, image = disk.vm_volume, disk.elf_image or disk.svt_image
    held = volume or image
    return {"index": index, "boot": disk.boot, "bus": disk.bus, "type": disk.type, "disabled": disk.disabled,
            "key": disk.key, "path": held.path if held else "", "size": held.size if held else 0,
            "vm_volume_local_id": volume.local_id if volume else "",
            "storage_policy_uuid": _policy_uuid(world, volume),
            "elf_image_local_id": disk.elf_image.local_id if disk.elf_image else "",
            "svt_image_local_id": disk.svt_image.local_id if disk.svt_image else "",
            "image_name": image.name if image else None, "disk_name": disk.device,
            "_volume": volume, "_image": image, "_policy": volume.elf_storage_policy if volume else None}


def _policy_uuid(world, volume) -> str:
    """The local id of the storage policy of the volume's cluster that the volume's policy is (empty when none is)."""
    if volume is None:
        return ""
    return next((p.local_id for p in world.elf_storage_policies.values()
                 if p.cluster is volume.cluster and p.volume_policy == volume.elf_storage_policy), "")


def _frozen_nic(nic) -> dict:
    vlan = nic.vlan
    return {"index": nic.order, "mac_address": nic.mac_address, "model": nic.model, "enabled": nic.enabled,
            "mirror": nic.mirror, "ip_address": nic.ip_address or "", "gateway": nic.gateway or "",
            "subnet_mask": nic.subnet_mask or "",
            "vlan": {"name": vlan.name if vlan else "", "vlan_id": vlan.vlan_id if vlan else 0,
                     "vlan_local_id": vlan.local_id if vlan else "", "vds_ovs": vlan.vds.ovsbr_name if vlan else ""},
            "_vlan": vlan}


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
        vm_disks=[_frozen_disk(world, k, d) for k, d in enumerate(vm.vm_disks)],
        vm_nics=[_frozen_nic(n) for n in vm.vm_nics], consistent_type=consistent_type,
        win_opt=vm.guest_os_type == "WINDOWS", cpu_model=vm.cluster.cpu_models[0]))


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
                        ip_address=n["ip_address"] or None, gateway=n["gateway"] or None,
                        subnet_mask=n["subnet_mask"] or None))


def rebuild_params(world, params: dict, at: str) -> dict:
    """create-vm's VmCreationParams for rebuild-vm-from-snapshot's VmRebuildParams."""
    snap = world.vm_snapshots.get(params["rebuild_from_snapshot_id"])
    if snap is None:
        raise NotFound(f"{at}.rebuild_from_snapshot_id: no VmSnapshot with id {params['rebuild_from_snapshot_id']!r}")
    for key in ("folder_id", "vm_placement_group", "vm_disks", "vm_nics"):
        if params.get(key):
            raise BadRequest(f"{at}.{key}: cloudtower-sim does not simulate it in a rebuild yet; leave it out")
    return creation_params(world, snap, params, at, "rebuild_from_snapshot_id", f"snapshot {snap.name}")


def creation_params(world, frozen, params: dict, at: str, field: str, what: str) -> dict:
    """create-vm's VmCreationParams for a VM made of `frozen` (a snapshot or a template) with the overrides
    `params` gives: new volumes of the frozen sizes and policies, the same ISOs, NICs on the same VLANs."""
    for key in ("owner", "gpu_devices", "pci_nics", "disk_operate", "cloud_init"):
        if params.get(key):
            raise BadRequest(f"{at}.{key}: cloudtower-sim does not simulate it here yet; leave it out")
    if params.get("cluster_id") not in (None, frozen.cluster.id):
        raise BadRequest(f"{at}.cluster_id: cloudtower-sim makes the VM in the cluster of {what} "
                         f"({frozen.cluster.name}); another cluster is not simulated")
    disks, cd_roms = [], []
    for d in frozen.vm_disks:
        if d["type"] == "DISK" and d["_policy"] is not None:
            disks.append({"boot": d["boot"], "bus": d["bus"], "vm_volume": {
                "name": f"{params['name']}-{d['index']}", "size": d["size"], "elf_storage_policy": d["_policy"]}})
        elif d["type"] == "CD_ROM":
            image = d["_image"] if d["_image"] is not None and world.holds(d["_image"]) else None
            cd_roms.append({"boot": d["boot"], **({"elf_image_id": image.id} if type(image).__name__ == "ElfImage"
                                                  else {})})
    nics = params.get("vm_nics")
    if nics is None:
        for n in frozen.vm_nics:
            if n["_vlan"] is None or not world.holds(n["_vlan"]):
                raise BadRequest(f"{at}.{field}: VLAN {n['vlan']['name']} of {what} has been deleted")
        nics = [{"connect_vlan_id": n["_vlan"].id, "model": n["model"], "enabled": n["enabled"],
                 "mirror": n["mirror"]} for n in frozen.vm_nics]
    return {"cluster_id": frozen.cluster.id, "name": params["name"], "description": params.get("description", ""),
            "cpu_cores": params.get("cpu_cores", frozen.cpu["cores"]),
            "cpu_sockets": params.get("cpu_sockets", frozen.cpu["sockets"]),
            **({"vcpu": params["vcpu"]} if params.get("vcpu") is not None else {}),
            "memory": params.get("memory", frozen.memory),
            "memory_unit": params.get("memory_unit", "B") if params.get("memory") is not None else "B",
            "guest_os_type": params.get("guest_os_type", "WINDOWS" if frozen.win_opt else "LINUX"),
            "ha": params.get("ha", frozen.ha), "firmware": params.get("firmware", frozen.firmware),
            "status": params.get("status", "STOPPED"),
            **{k: params[k] for k in ("host_id", "folder_id", "vm_placement_group") if params.get(k)},
            "vm_disks": {"mount_new_create_disks": disks, "mount_cd_roms": cd_roms}, "vm_nics": nics}
