"""Editing a VM's devices: NICs, disks, CD-ROMs, and growing volumes. Each VM's change is a task that holds the VM
(ResourceLocked while another task does); every VM is checked before any task starts, so a refusal changes nothing;
the change lands when the task's step completes.

Which changes a running VM takes: SMTX documents hot-plug only in part, so cloudtower-sim adds and removes NICs,
disks and CD-ROMs of a STOPPED VM only and says so; it grows a disk and ejects an ISO whatever the VM's state, as a
guest sees neither as a device change."""

from __future__ import annotations

from typing import Callable

from . import devices, guest
from .edits import acting, check_name, each, setter
from .errors import BadRequest, NotFound
from .inventory import VmVolume, checked_policy
from .model import BYTE_UNITS, Vm
from .states import TaskKey, VmStatus
from .tasks import Step

EDIT_SECONDS = 1.0
# a NIC's addresses as a request names them -> what the guest is configured with (guest.py)
STATIC = {"ip_address": "static_ip", "gateway": "static_gateway", "subnet_mask": "static_mask"}


def edit(world, user, vms: list[Vm], key: TaskKey, device: str, check: Callable[[Vm], Callable[[], None]],
          args: dict, also_locks: Callable[[Vm], list] = lambda vm: []) -> list:
    """`check(vm)` refuses (raises) or answers the change to apply; then one task per VM, holding the VM and
    `also_locks(vm)` (the volumes it mounts, so that none is deleted before it is mounted). Its description is
    "Edit VM <name> <device>": SmartX's CAPE takes exactly "Edit VM <name> disk" for a disk edit
    (../shared/reference/cape.md); "NIC" and "CD-ROM" are inferred in that form."""
    changes = [(vm, check(vm)) for vm in vms]
    world.runner.check_unlocked(*vms, *[o for vm in vms for o in also_locks(vm)])
    return [(world.start_task(f"Edit VM {vm.name} {device}", vm, key, [Step("edit", EDIT_SECONDS, apply)],
                              locks=(vm, *also_locks(vm)), user=user, args=dict(args), **acting(vm, key)), vm)
            for vm, apply in changes]


def stopped(vm: Vm, what: str) -> None:
    if vm.status != VmStatus.STOPPED:
        raise BadRequest(f"VM {vm.name} is {vm.status}; cloudtower-sim {what} only a STOPPED VM (a change the guest "
                         "cannot take while it runs)")


# What a RUNNING VM takes without a stop (hot-plug). SmartX's CAPE adds VIRTIO NICs to running VMs (add-vm-nic when it
# finds fewer NICs than devices, ../shared/reference/cape.md step 12), so a tower hot-plugs those; KVM hot-plugs PCI
# devices (virtio-net, virtio-blk, virtio-scsi) and cannot hot-plug an IDE bus, so IDE disks and CD-ROM drives wait
# for a stop, while a CD-ROM's medium changes at any time. The rest is inferred the same way; a SUSPENDED VM takes no
# device change.
HOT_PLUG_NIC_MODELS = ("VIRTIO",)
HOT_PLUG_BUSES = ("VIRTIO", "SCSI")


def hot_plugged(vm: Vm, what: str, pluggable: bool, why: str) -> None:
    """Refuse a device change of a VM that is not STOPPED unless it can be hot-plugged (`pluggable`)."""
    if vm.status == VmStatus.STOPPED or (pluggable and vm.status == VmStatus.RUNNING):
        return
    raise BadRequest(f"VM {vm.name} is {vm.status}; {what} needs it STOPPED"
                     + (f" ({why})" if vm.status == VmStatus.RUNNING else ""))


def add_nics(world, user, vms: list[Vm], data: dict) -> list:
    def check(vm):
        plan = devices.plan(world, vm.cluster, {"vm_nics": data["vm_nics"]}, "data", set())
        models = {model for _, model, *_ in plan.nics}
        hot_plugged(vm, "adding a NIC", models <= set(HOT_PLUG_NIC_MODELS),
                    f"a running VM takes {'/'.join(HOT_PLUG_NIC_MODELS)} NICs only, not {sorted(models)}")

        def apply():
            added = devices.attach(world, vm, plan)
            if vm.guest_up:  # the running guest takes its lease at once
                for nic in added:
                    guest.joined(nic)
        return apply
    return edit(world, user, vms, TaskKey.AddVmNic, "NIC", check, data)


def remove_nics(world, user, vms: list[Vm], data: dict) -> list:
    def check(vm):
        for index in data["nic_index"]:
            if not 0 <= index < len(vm.vm_nics):
                raise BadRequest(f"data.nic_index: VM {vm.name} has {len(vm.vm_nics)} NIC(s), numbered from 0; "
                                 f"there is no NIC {index}")
        gone = [vm.vm_nics[i] for i in sorted(set(data["nic_index"]))]
        hot_plugged(vm, "removing a NIC", all(n.model in HOT_PLUG_NIC_MODELS for n in gone),
                    f"a running VM lets go of {'/'.join(HOT_PLUG_NIC_MODELS)} NICs only")

        def apply():
            for nic in gone:
                world.remove(nic)
            for order, nic in enumerate(vm.vm_nics):
                nic.order = order
        return apply
    return edit(world, user, vms, TaskKey.RemoveVmNic, "NIC", check, data)


def add_disks(world, user, vms: list[Vm], data: dict) -> list:
    taken: set = set()  # a volume goes to one VM of the request, unless it is sharing
    mounts: dict = {}

    def check(vm):
        plan = devices.plan(world, vm.cluster, {"vm_disks": data["vm_disks"]}, "data", taken)
        buses = {bus for *_, bus, _ in plan.new_volumes} | {bus for _, bus, _ in plan.volumes}
        hot_plugged(vm, "adding a disk", not plan.cd_roms and buses <= set(HOT_PLUG_BUSES),
                    "a running VM takes VIRTIO and SCSI disks only: an IDE bus is not hot-pluggable")
        mounts[vm] = [v for v, _, _ in plan.volumes if not v.sharing]
        return lambda: devices.attach(world, vm, plan)
    return edit(world, user, vms, TaskKey.AddVmDisk, "disk", check, data, lambda vm: mounts[vm])


def _own(vm: Vm, ids: list, kind: str, key: str) -> list:
    mine = {d.id: d for d in vm.vm_disks if d.type == kind}
    missing = [i for i in ids if i not in mine]
    if missing:
        raise NotFound(f"data.{key}: VM {vm.name} has no {'disk' if kind == 'DISK' else 'CD-ROM'} with id "
                       f"{missing[0]!r}")
    return [mine[i] for i in dict.fromkeys(ids)]


def remove_disks(world, user, vms: list[Vm], data: dict) -> list:
    """The disks go; their volumes stay, unmounted (SMTX unmounts a volume from a VM, it does not delete it)."""
    def check(vm):
        gone = _own(vm, data["disk_ids"], "DISK", "disk_ids")
        hot_plugged(vm, "removing a disk", all(d.bus in HOT_PLUG_BUSES for d in gone),
                    "an IDE disk is not hot-pluggable")
        return lambda: [world.remove(d) for d in gone]
    return edit(world, user, vms, TaskKey.RemoveVmDisk, "disk", check, data)


def add_cd_roms(world, user, vms: list[Vm], data: dict) -> list:
    def check(vm):
        hot_plugged(vm, "adding a CD-ROM drive", False, "a CD-ROM drive is on the IDE bus, not hot-pluggable")
        plan = devices.plan(world, vm.cluster, {"vm_disks": {"mount_cd_roms": data["vm_cd_roms"]}}, "data", set())
        return lambda: devices.attach(world, vm, plan)
    return edit(world, user, vms, TaskKey.AddVmCdRom, "CD-ROM", check, data)


def remove_cd_roms(world, user, vms: list[Vm], data: dict) -> list:
    def check(vm):
        hot_plugged(vm, "removing a CD-ROM drive", False, "a CD-ROM drive is on the IDE bus, not hot-pluggable")
        gone = _own(vm, data["cd_rom_ids"], "CD_ROM", "cd_rom_ids")
        return lambda: [world.remove(d) for d in gone]
    return edit(world, user, vms, TaskKey.RemoveVmCdRom, "CD-ROM", check, data)


def _by_vm(disks: list, kind: str, what: str) -> dict:
    wrong = [d for d in disks if d.type != kind]
    if wrong:
        raise BadRequest(f"where: {what} takes {'disks' if kind == 'DISK' else 'CD-ROMs'}, and {wrong[0].id} is a "
                         f"{wrong[0].type} of VM {wrong[0].vm.name}")
    out: dict = {}
    for d in disks:
        out.setdefault(d.vm, []).append(d)
    return out


def eject_isos(world, user, disks: list) -> list:
    chosen = _by_vm(disks, "CD_ROM", "eject-iso-from-vm-cd-rom")

    def apply(cd_roms):
        for d in cd_roms:
            for image in (d.elf_image, d.svt_image):
                if image is not None:
                    image.vm_disks.remove(d)
            d.elf_image = d.svt_image = None
    return edit(world, user, list(chosen), TaskKey.EjectIsoFromVmCdRom, "CD-ROM",
                 lambda vm: (lambda: apply(chosen[vm])), {})


def expand_disks(world, user, disks: list, body: dict) -> list:
    """Grow each disk's volume to `size` (grow only: SMTX does not shrink a volume)."""
    size = body["size"] * BYTE_UNITS[body.get("size_unit", "B")]
    chosen = _by_vm(disks, "DISK", "expand-vm-disk")
    for d in disks:
        grow(d.vm_volume, size, "size")
    return edit(world, user, list(chosen), TaskKey.ExpandVmDisk, "disk",
                 lambda vm: (lambda: [setattr(d.vm_volume, "size", size) for d in chosen[vm]]),
                 {"size": size})


def grow(volume, size: int, key: str) -> None:
    if size <= volume.size:
        raise BadRequest(f"{key}: volume {volume.name} is {volume.size} bytes; it only grows, so {size} is refused")
    if size > devices.MAX_VOLUME:
        raise BadRequest(f"{key}: {size} bytes is more than cloudtower-sim's bound of {devices.MAX_VOLUME} for one "
                         "volume (a real tower's limit is not published)")


def update_volumes(world, user, volumes: list, data: dict) -> list:
    """`update-vm-volume`: a new name or description, or a larger size (grow only), one task per volume."""
    size = data["size"] * BYTE_UNITS[data.get("size_unit", "B")] if "size" in data else None
    if "size_unit" in data and size is None:
        raise BadRequest("data.size_unit: given without data.size")
    check_name(data, volumes, "volumes")
    for volume in volumes:
        if size is not None:
            grow(volume, size, "data.size")
    changes = {k: v for k, v in (("name", data.get("name")), ("description", data.get("description")),
                                 ("size", size)) if v is not None}
    return each(world, user, volumes, TaskKey.UpdateVmVolume, "Update virtual volume", setter(changes), data,
                busy=True)


def create_volumes(world, user, batch: list) -> list:
    """`create-vm-volume`: each volume exists at once and its task creates it; every entry is checked first."""
    planned = []
    for i, p in enumerate(batch):
        cluster = world.clusters.get(p["cluster_id"])
        if cluster is None:
            raise NotFound(f"[{i}].cluster_id: no Cluster with id {p['cluster_id']!r}")
        if not p["name"].strip():
            raise BadRequest(f"[{i}].name: expected a non-empty name")
        size = p["size"] * BYTE_UNITS[p.get("size_unit", "B")]
        if not 0 < size <= devices.MAX_VOLUME:
            raise BadRequest(f"[{i}].size: expected more than 0 and at most {devices.MAX_VOLUME} bytes "
                             f"(cloudtower-sim's bound), got {size}")
        planned.append((cluster, p["name"], size, checked_policy(p["elf_storage_policy"], f"[{i}].elf_storage_policy"),
                        p["sharing"]))
    started = []
    for cluster, name, size, policy, sharing in planned:
        volume = world.add(VmVolume(world.ids.cuid(), world.ids.uuid(), name, cluster, size, policy,
                                    local_created_at=world.created_at(), sharing=sharing))
        task = world.start_task(f"Create volume {name}", volume, TaskKey.CreateVmVolume,
                                [Step("create", EDIT_SECONDS)], locks=(volume,), user=user)
        started.append((task, volume))
    return started


def delete_volumes(world, user, volumes: list) -> list:
    """`delete-vm-volume`: refused while a VM mounts the volume (remove the disk first, as SMTX asks)."""
    for v in volumes:
        if v.vm_disks:
            raise BadRequest(f"where: volume {v.name} is mounted by VM {v.vm_disks[0].vm.name}; remove that disk "
                             "first")
    return each(world, user, volumes, TaskKey.DeleteVmVolumeFromVm, "Delete volume", world.remove, busy=True)


def update_disks(world, user, vms: list[Vm], data: dict) -> list:
    """`update-vm-disk`: another volume or bus for a disk (a STOPPED VM's), another ISO for a CD-ROM (any VM's)."""
    taken: set = set()
    mounts: dict = {}

    def check(vm):
        [disk] = _any_own(vm, data["vm_disk_id"])
        changes: dict = {}
        if disk.type == "CD_ROM":
            for key in ("vm_volume_id", "bus"):
                if data.get(key) is not None:
                    raise BadRequest(f"data.{key}: {disk.id} is a CD-ROM; it takes an ISO, not a volume or a bus")
            if data.get("content_library_image_id") is not None:
                raise BadRequest("data.content_library_image_id: cloudtower-sim does not simulate the content library")
            if data.get("elf_image_id") is not None:
                cd = devices.plan(world, vm.cluster, {"vm_disks": {"mount_cd_roms": [
                    {"elf_image_id": data["elf_image_id"], "boot": disk.boot}]}}, "data", set())
                changes["elf_image"] = cd.cd_roms[0][0]
        else:
            if data.get("elf_image_id") is not None or data.get("content_library_image_id") is not None:
                raise BadRequest(f"data.elf_image_id: {disk.id} is a disk; an ISO goes in a CD-ROM")
            if data.get("vm_volume_id") is not None or data.get("bus") is not None:
                stopped(vm, "changes the volume or bus of a disk of")
            if data.get("vm_volume_id") is not None:
                plan = devices.plan(world, vm.cluster, {"vm_disks": {"mount_disks": [
                    {"vm_volume_id": data["vm_volume_id"], "bus": disk.bus, "boot": disk.boot}]}}, "data", taken)
                changes["vm_volume"] = plan.volumes[0][0]
            if data.get("bus") is not None:
                changes["bus"] = data["bus"]
        mounts[vm] = [changes["vm_volume"]] if "vm_volume" in changes else []
        return lambda: _relink(disk, changes)
    return edit(world, user, vms, TaskKey.UpdateVmDisk, "disk", check, data, lambda vm: mounts[vm])


def _any_own(vm: Vm, disk_id: str) -> list:
    found = [d for d in vm.vm_disks if d.id == disk_id]
    if not found:
        raise NotFound(f"data.vm_disk_id: VM {vm.name} has no disk or CD-ROM with id {disk_id!r}")
    return found


def _relink(disk, changes: dict) -> None:
    """Set a disk's fields, moving it between the relation lists of the volume or image it leaves and joins."""
    for key in ("vm_volume", "elf_image"):
        if key in changes:
            old, new = getattr(disk, key), changes[key]
            if old is not None:
                old.vm_disks.remove(disk)
            if new is not None:
                new.vm_disks.append(disk)
    for key, value in changes.items():
        setattr(disk, key, value)


def toggle_cd_roms(world, user, disks: list, disabled: bool) -> list:
    chosen = _by_vm(disks, "CD_ROM", "toggle-vm-cd-rom-disable")

    def check(vm):
        stopped(vm, "enables or disables CD-ROMs of")
        return lambda: [setattr(d, "disabled", disabled) for d in chosen[vm]]
    return edit(world, user, list(chosen), TaskKey.ToggleVmCdRomDisable, "CD-ROM", check,
                 {"disabled": disabled})


def update_nics(world, user, vms: list[Vm], data: dict) -> list:
    """`update-vm-nic`: VLAN, enabled, mirror and addresses of any VM's NIC; model and MAC of a STOPPED VM's."""
    def check(vm):
        index = data["nic_index"]
        if not 0 <= index < len(vm.vm_nics):
            raise BadRequest(f"data.nic_index: VM {vm.name} has {len(vm.vm_nics)} NIC(s), numbered from 0; there is "
                             f"no NIC {index}")
        nic = vm.vm_nics[index]
        if data.get("nic_id") is not None or data.get("vpc_nic") is not None:
            raise BadRequest("data.nic_id: cloudtower-sim simulates VLAN NICs only (no SR-IOV or VPC)")
        mac = devices.given_mac(data.get("mac_address"), "data.mac_address")  # "": left as it is
        if data.get("model") is not None or mac is not None:
            stopped(vm, "changes the model or MAC of a NIC of")
        changes = {STATIC.get(k, k): data[k] for k in ("model", "enabled", "mirror", "ip_address", "gateway",
                                                        "subnet_mask") if data.get(k) is not None}
        if mac is not None:
            changes["mac_address"] = mac
        vlan = None
        if data.get("connect_vlan_id") is not None:
            vlan = devices.vlan_in(world, vm.cluster, data["connect_vlan_id"], "data.connect_vlan_id")

        def apply():
            if vlan is not None and vlan is not nic.vlan:
                nic.vlan.vm_nics.remove(nic)
                vlan.vm_nics.append(nic)
                nic.vlan = vlan
            for key, value in changes.items():
                setattr(nic, key, value)
        return apply
    return edit(world, user, vms, TaskKey.UpdateVmNic, "NIC", check, data)


def update_nic_addresses(world, user, nics: list, data: dict) -> list:
    """`update-vm-nic-basic-info`: the addresses CloudTower shows for each NIC (any VM's)."""
    chosen: dict = {}
    for nic in nics:
        chosen.setdefault(nic.vm, []).append(nic)
    changes = {STATIC[k]: data[k] for k in ("ip_address", "gateway", "subnet_mask") if data.get(k) is not None}
    return edit(world, user, list(chosen), TaskKey.UpdateVmNicBasicInfo, "NIC",
                 lambda vm: (lambda: [setattr(n, k, v) for n in chosen[vm] for k, v in changes.items()]), data)


def replaced_nics(world, vm: Vm, create: list, delete: list, at: str):
    """GraphQL updateVm's `vm_nics {create, delete}` (SmartX's Terraform provider replaces a VM's NICs so after a
    clone: delete all, create with static addresses): checked now, as the hot-plug rules say; answers what the
    update's task applies at its step."""
    gone = _deleted(vm, vm.vm_nics, delete, at, "NIC")
    plan = devices.DevicePlan()
    for j, c in enumerate(create):
        where = f"{at}.create[{j}]"
        if ((c.get("nic") or {}).get("connect") or {}).get("id"):  # the provider may send "": no host NIC
            raise BadRequest(f"{where}.nic: cloudtower-sim does not simulate SR-IOV pass-through NICs")
        vlan_id = ((c.get("vlan") or {}).get("connect") or {}).get("id")
        if not vlan_id:
            raise BadRequest(f"{where}.vlan.connect.id: required: the VLAN the NIC connects to")
        model = c.get("model") or "VIRTIO"
        if model == "SRIOV":
            raise BadRequest(f"{where}.model: cloudtower-sim does not simulate SR-IOV NICs")
        plan.nics.append((devices.vlan_in(world, vm.cluster, vlan_id, f"{where}.vlan.connect.id"), model,
                          devices.given_mac(c.get("mac_address"), f"{where}.mac_address"), c.get("enabled", True),
                          c.get("mirror", False), c.get("ip_address") or None, c.get("gateway") or None,
                          c.get("subnet_mask") or None))
    models = {n.model for n in gone} | {model for _, model, *_ in plan.nics}
    hot_plugged(vm, "changing its NICs", models <= set(HOT_PLUG_NIC_MODELS),
                f"a running VM takes and lets go of {'/'.join(HOT_PLUG_NIC_MODELS)} NICs only")

    def apply():
        for nic in gone:
            world.remove(nic)
        added = devices.attach(world, vm, plan)
        for order, nic in enumerate(vm.vm_nics):
            nic.order = order
        if vm.guest_up:
            for nic in added:
                guest.joined(nic)
    return apply


def changed_disks(world, vm: Vm, create: list, update: list, delete: list, at: str):
    """GraphQL updateVm's `vm_disks {create, update, delete}` as SmartX's Terraform provider sends them
    (../shared/reference/graphql.md): a disk on a new volume (`vm_volume.create`) or a mounted one
    (`vm_volume.connect`), a CD-ROM with or without an ISO (`elf_image.connect`); a disk's bus, a CD-ROM's ISO
    (`elf_image.connect` / `disconnect`); disks gone. Checked now, by the hot-plug rules; answers what the update's
    task applies at its step."""
    plan = devices.DevicePlan()
    for j, c in enumerate(create):
        where, kind = f"{at}.create[{j}]", c.get("type") or "DISK"
        boot = c.get("boot", len(vm.vm_disks) + j)
        if kind == "CD_ROM":
            image = _image(world, vm, ((c.get("elf_image") or {}).get("connect") or {}).get("id"),
                           f"{where}.elf_image.connect.id")
            plan.cd_roms.append((image, boot))
            continue
        bus, volume = c.get("bus") or "VIRTIO", c.get("vm_volume") or {}
        if volume.get("create") is not None:
            made = volume["create"]
            if made.get("path"):
                raise BadRequest(f"{where}.vm_volume.create.path: cloudtower-sim does not simulate volumes at a "
                                 "given path")
            if not (made.get("name") or "").strip():
                raise BadRequest(f"{where}.vm_volume.create.name: expected a non-empty name")
            size = made.get("size") or 0
            if size != int(size) or not 0 < size <= devices.MAX_VOLUME:
                raise BadRequest(f"{where}.vm_volume.create.size: expected whole bytes, more than 0 and at most "
                                 f"{devices.MAX_VOLUME}, got {size}")
            policy = checked_policy(made.get("elf_storage_policy") or "REPLICA_2_THIN_PROVISION",
                                    f"{where}.vm_volume.create.elf_storage_policy")
            plan.new_volumes.append((made["name"], int(size), policy, bus, boot))
        elif (volume.get("connect") or {}).get("id"):
            found = world.vm_volumes.get(volume["connect"]["id"])
            if found is None or found.cluster is not vm.cluster:
                raise NotFound(f"{where}.vm_volume.connect.id: no VmVolume {volume['connect']['id']!r} in cluster "
                               f"{vm.cluster.name}")
            if not found.sharing and found.vm_disks:
                raise BadRequest(f"{where}.vm_volume.connect.id: volume {found.name} is mounted and not sharing")
            plan.volumes.append((found, bus, boot))
        else:
            raise BadRequest(f"{where}.vm_volume: a disk takes a volume: connect {{id}} or create {{...}}")
    disks = {d.id: d for d in vm.vm_disks}
    gone = _deleted(vm, vm.vm_disks, delete, at, "disk or CD-ROM")
    edits = []
    for j, u in enumerate(update):
        where = f"{at}.update[{j}]"
        disk = disks.get((u.get("where") or {}).get("id"))
        if disk is None:
            raise NotFound(f"{where}.where.id: VM {vm.name} has no disk or CD-ROM {(u.get('where') or {}).get('id')!r}")
        data = u.get("data") or {}
        if data.get("bus") is not None:
            if disk.type != "DISK":
                raise BadRequest(f"{where}.data.bus: {disk.id} is a CD-ROM, on the IDE bus")
            stopped(vm, "changes the bus of a disk of")
            edits.append((disk, "bus", data["bus"]))
        if data.get("elf_image") is not None:
            if disk.type != "CD_ROM":
                raise BadRequest(f"{where}.data.elf_image: {disk.id} is a disk, not a CD-ROM")
            image = None if data["elf_image"].get("disconnect") else _image(
                world, vm, (data["elf_image"].get("connect") or {}).get("id"), f"{where}.data.elf_image.connect.id")
            edits.append((disk, "elf_image", image))  # a medium changes whatever the VM's state
    buses = {b for *_, b, _ in plan.new_volumes} | {b for _, b, _ in plan.volumes} | {d.bus for d in gone}
    hot_plugged(vm, "adding or removing a disk", not plan.cd_roms and buses <= set(HOT_PLUG_BUSES)
                and all(d.type == "DISK" for d in gone),
                "a running VM takes and lets go of VIRTIO and SCSI disks only: an IDE bus is not hot-pluggable")

    def apply():
        for disk in gone:
            world.remove(disk)
        for disk, key, value in edits:
            if key == "elf_image":  # the ISO it had lets go of it, as eject_isos does
                for image in (disk.elf_image, disk.svt_image):
                    if image is not None:
                        image.vm_disks.remove(disk)
                disk.elf_image, disk.svt_image = value, None
                if value is not None:
                    value.vm_disks.append(disk)
            else:
                setattr(disk, key, value)
        devices.attach(world, vm, plan)
    return apply


def _deleted(vm: Vm, devices_of_vm: list, delete: list, at: str, what: str) -> list:
    """The VM's devices a nested `delete: [{id}]` names, or a 404 naming the first it does not have."""
    by_id = {d.id: d for d in devices_of_vm}
    for j, d in enumerate(delete):
        if d.get("id") not in by_id:
            raise NotFound(f"{at}.delete[{j}].id: VM {vm.name} has no {what} {d.get('id')!r}")
    return [by_id[d["id"]] for d in delete]


def _image(world, vm: Vm, image_id: str | None, at: str):
    if not image_id:
        return None
    image = world.elf_images.get(image_id)
    if image is None or image.cluster is not vm.cluster:
        raise NotFound(f"{at}: no ElfImage {image_id!r} in cluster {vm.cluster.name}")
    return image
