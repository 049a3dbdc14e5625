"""What VMs are built from (domain/inventory.py): networks, storage, images and the VMs' devices; their reads, and the
operations that edit a VM's devices (domain/vm_devices.py)."""

from ..domain import networks, vm_devices
from .registry import operation, reads
from .vms import with_tasks

reads("Vds", "Vlan", "ElfStoragePolicy", "ElfImage", "SvtImage", "VmVolume", "VmDisk", "VmNic")


def _on_vms(edit):
    def handler(world, body, user):
        return with_tasks(edit(world, user, world.query("Vm", {"where": body["where"]}), body["data"]))
    return handler


for _path, _edit in (("/add-vm-nic", vm_devices.add_nics), ("/remove-vm-nic", vm_devices.remove_nics),
                     ("/add-vm-disk", vm_devices.add_disks), ("/remove-vm-disk", vm_devices.remove_disks),
                     ("/add-vm-cd-rom", vm_devices.add_cd_roms), ("/remove-vm-cd-rom", vm_devices.remove_cd_roms)):
    operation(_path)(_on_vms(_edit))


@operation("/eject-iso-from-vm-cd-rom")
def eject_iso(world, body, user):
    return with_tasks(vm_devices.eject_isos(world, user, world.query("VmDisk", {"where": body["where"]})))


@operation("/expand-vm-disk")
def expand_disk(world, body, user):
    return with_tasks(vm_devices.expand_disks(world, user, world.query("VmDisk", {"where": body["where"]}), body))


@operation("/update-vm-volume")
def update_volume(world, body, user):
    volumes = world.query("VmVolume", {"where": body["where"]})
    return with_tasks(vm_devices.update_volumes(world, user, volumes, body["data"]))


@operation("/create-vm-volume")
def create_volume(world, body, user):
    return with_tasks(vm_devices.create_volumes(world, user, body))


@operation("/delete-vm-volume")
def delete_volume(world, body, user):
    volumes = world.query("VmVolume", {"where": body["where"]})
    return [{"task_id": t.id, "data": {"id": v.id}} for t, v in vm_devices.delete_volumes(world, user, volumes)]


@operation("/create-vm-vlan")
def create_vlan(world, body, user):
    return with_tasks(networks.create(world, user, body))


@operation("/update-vm-vlan")
def update_vlan(world, body, user):
    return with_tasks(networks.update(world, user, world.query("Vlan", {"where": body["where"]}), body["data"]))


@operation("/delete-vm-vlan")
def delete_vlan(world, body, user):
    vlans = world.query("Vlan", {"where": body["where"]})
    return [{"task_id": t.id, "data": {"id": v.id}} for t, v in networks.delete(world, user, vlans)]


@operation("/update-vm-disk")
def update_disk(world, body, user):
    return with_tasks(vm_devices.update_disks(world, user, world.query("Vm", {"where": body["where"]}), body["data"]))


@operation("/toggle-vm-cd-rom-disable")
def toggle_cd_rom(world, body, user):
    disks = world.query("VmDisk", {"where": body["where"]})
    return with_tasks(vm_devices.toggle_cd_roms(world, user, disks, body["disabled"]))


@operation("/update-vm-nic")
def update_nic(world, body, user):
    return with_tasks(vm_devices.update_nics(world, user, world.query("Vm", {"where": body["where"]}), body["data"]))


@operation("/update-vm-nic-basic-info")
def update_nic_basic_info(world, body, user):
    nics = world.query("VmNic", {"where": body["where"]})
    return with_tasks(vm_devices.update_nic_addresses(world, user, nics, body["data"]))
