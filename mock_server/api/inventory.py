"""What VMs are built from (domain/inventory.py): networks, storage, images and the VMs' devices, and the clusters that
hold them (domain/clusters.py); their reads, and the operations that edit them (domain/vm_devices.py,
domain/networks.py). Each edit chooses its objects by `where` and answers one WithTask per object."""

from ..domain import clusters, folders, gpus, images, labels, networks, placement, placement_groups, uploads, vm_devices
from ..domain.hardware import Seen
from .registry import acting_on, body_data, nothing, operation, with_tasks


# each edit's task has one step: "edit" for a VM's devices (vm_devices.edit), "update" for the rest (edits.each)
for _step, _edits in (("edit", (
        ("/add-vm-nic", "Vm", vm_devices.add_nics, body_data),
        ("/remove-vm-nic", "Vm", vm_devices.remove_nics, body_data),
        ("/update-vm-nic", "Vm", vm_devices.update_nics, body_data),
        ("/add-vm-disk", "Vm", vm_devices.add_disks, body_data),
        ("/remove-vm-disk", "Vm", vm_devices.remove_disks, body_data),
        ("/update-vm-disk", "Vm", vm_devices.update_disks, body_data),
        ("/add-vm-cd-rom", "Vm", vm_devices.add_cd_roms, body_data),
        ("/remove-vm-cd-rom", "Vm", vm_devices.remove_cd_roms, body_data),
        ("/update-vm-nic-basic-info", "VmNic", vm_devices.update_nic_addresses, body_data),
        ("/eject-iso-from-vm-cd-rom", "VmDisk", vm_devices.eject_isos, nothing),
        ("/toggle-vm-cd-rom-disable", "VmDisk", vm_devices.toggle_cd_roms, lambda world, body: (body["disabled"],)),
        ("/expand-vm-disk", "VmDisk", vm_devices.expand_disks, lambda world, body: (body,)))), ("update", (
        ("/update-vm-volume", "VmVolume", vm_devices.update_volumes, body_data),
        ("/update-vm-vlan", "Vlan", networks.update, body_data),
        ("/update-vds", "Vds", networks.update_vdses, body_data),
        ("/update-elf-image", "ElfImage", images.update, body_data),
        ("/update-vm-placement-group", "VmPlacementGroup", placement_groups.update, body_data),
        ("/update-label", "Label", labels.update, body_data),
        ("/update-organization", "Organization", placement.update_organizations, body_data),
        ("/update-datacenter", "Datacenter", placement.update_datacenters, body_data),
        ("/update-vm-folder", "VmFolder", folders.update, body_data),
        ("/add-vm-to-folder", "Vm", folders.file_vms, body_data),
        ("/remove-vm-from-folder", "Vm", folders.unfile_vms, nothing),
        ("/update-cluster", "Cluster", clusters.update, body_data)))):
    for _path, _entity, _edit, _args in _edits:
        operation(_path, steps=(_step,))(acting_on(_entity, _edit, _args))
for _path, _entity, _delete in (
        ("/delete-vm-volume", "VmVolume", vm_devices.delete_volumes), ("/delete-vm-vlan", "Vlan", networks.delete),
        ("/delete-vds", "Vds", networks.delete_vdses), ("/delete-elf-image", "ElfImage", images.delete),
        ("/delete-organization", "Organization", placement.delete_organizations),
        ("/delete-datacenter", "Datacenter", placement.delete_datacenters),
        ("/delete-vm-folder", "VmFolder", folders.delete), ("/delete-label", "Label", labels.delete),
        ("/delete-vm-placement-group", "VmPlacementGroup", placement_groups.delete),
        ("/delete-cluster", "Cluster", clusters.delete)):
    operation(_path, steps=("delete",))(acting_on(_entity, _delete, nothing, deleting=True))
for _path, _adding in (("/add-labels-to-resources", True), ("/remove-labels-from-resources", False)):
    operation(_path, steps=("update",))(acting_on(
        "Label", lambda w, u, ls, data, adding=_adding: labels.tag(w, u, ls, data, adding)))


@operation("/upload-elf-image")
def upload_elf_image(world, body, user):
    """One chunk of an image upload (multipart): answers its UploadTask, as a list of one."""
    return [uploads.upload_elf_image(world, user, body)]


@operation("/cancel-upload-task")
def cancel_upload(world, body, user):
    return uploads.cancel(world, user, world.query("UploadTask", {"where": body["where"]}))


def _creating(create):
    """A handler: the batch of creation params given to `create(world, user, batch)`, one WithTask per object."""
    return lambda world, body, user: with_tasks(create(world, user, body))


for _path, _create in (("/create-vm-volume", vm_devices.create_volumes), ("/create-vm-vlan", networks.create),
                       ("/create-vds", networks.create_vdses), ("/create-vm-placement-group", placement_groups.create),
                       ("/create-organization", placement.create_organizations),
                       ("/create-datacenter", placement.create_datacenters), ("/create-vm-folder", folders.create),
                       ("/create-label", labels.create)):
    operation(_path, steps=("create",))(_creating(_create))
operation("/connect-cluster", steps=("connect", "load"))(_creating(clusters.connect))


def _regroup(adding: bool):
    def handler(world, body, user):
        chosen = [(world.query("Datacenter", {"where": p["where"]}), p["data"]) for p in body]
        return with_tasks(placement.regroup_clusters(world, user, chosen, adding))
    return handler


operation("/add-clusters-to-datacenter", steps=("update",))(_regroup(True))
operation("/remove-clusters-from-datacenter", steps=("update",))(_regroup(False))


# GPUs (domain/gpus.py): given to and taken from VMs, and read with what each VM holds of them
operation("/add-vm-gpu-device", steps=("edit",))(acting_on("Vm", gpus.add))
operation("/remove-vm-gpu-device", steps=("edit",))(acting_on("Vm", gpus.remove))


@operation("/get-vm-gpu-device-info", mutation=False, read=True)
def vm_gpu_info(world, body, user):
    """VmGpuInfo: each VM with its GPUs, each GPU with the vGPUs the VM has of it."""
    return [Seen(vm, gpu_devices=[Seen(g, vgpu_instance_on_vm_num=vm.gpu_amounts.get(g.id, 1))
                                  for g in vm.gpu_devices])
            for vm in world.query("Vm", body)]


@operation("/get-detail-vm-info-by-gpu-devices", mutation=False, read=True)
def gpu_vm_info(world, body, user):
    """GpuVmInfo: each GPU with the VMs given it, each VM with the vGPUs it has of that GPU."""
    return [Seen(g, vms=[Seen(vm, vgpu_instance_on_vm_num=vm.gpu_amounts.get(g.id, 1)) for vm in g.vms])
            for g in world.query("GpuDevice", body)]
