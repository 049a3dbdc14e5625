"""GPUs given to VMs, as SmartX's Kubernetes Cluster API provider (CAPE, smartxworks/cluster-api-provider-elf) uses
them:

- A GPU passes through on its host: a VM is given a GPU of the host it is on (CAPE migrates the VM to the GPU's host
  first), and is bound to that host from then on (no migration; maintenance leaves it where it is).
- A PASS_THROUGH GPU may be given to several VMs, but only one of them holds it at a time: a VM that is not STOPPED
  (CAPE's getVMsOccupyingGPU). Starting a second one fails its task with GPU_ASSIGN_FAILED, as CAPE reads it from
  the task's error message.
- A GPU in VGPU usage is cut into `vgpu_instance_num` vGPUs; each VM is given an `amount` of them, which it holds
  while running. Starting a VM that needs more than `available_vgpus_num` fails its task with
  PRECHECK_REQUEST_VGPU_COUNT_MORE_THAN_AVAILABLE (CAPE's VGPUInsufficientError).
- A VM with GPUs cannot have HA (CAPE: "HA cannot be enabled on a virtual machine with GPU/vGPU devices").
- GPUs are added to and removed from a STOPPED VM: CAPE does both on a VM it has stopped, and SMTX's GPU hot-plug is
  not established here.
"""

from __future__ import annotations

from .errors import BadRequest, NotFound, TaskError
from .hardware import GpuDevice
from .model import Vm
from .states import TaskKey
from .vm_devices import edit, stopped


def given(world, vm: Vm, data: list, adding: bool, host=None,
          field: str = "data") -> list[tuple[GpuDevice, int | None]]:
    """(GPU, amount) for each entry of `data`, checked against `vm` (on `host`, when it is not placed yet); amount
    None for a PASS_THROUGH GPU."""
    out, seen = [], set()
    for j, item in enumerate(data):
        at = f"{field}[{j}]"
        gpu = world.gpu_devices.get(item["gpu_id"])
        if gpu is None or gpu.host.cluster is not vm.cluster:
            raise NotFound(f"{at}.gpu_id: no GpuDevice with id {item['gpu_id']!r} in cluster {vm.cluster.name}")
        if gpu.id in seen:
            raise BadRequest(f"{at}.gpu_id: GPU {gpu.name} ({gpu.id}) is named twice in this request")
        seen.add(gpu.id)
        amount = item.get("amount")
        if not gpu.vgpu:
            if amount not in (None, 1):
                raise BadRequest(f"{at}.amount: GPU {gpu.name} is in PASS_THROUGH usage and goes whole to a VM: "
                                 f"expected 1 or none, got {amount}")
        elif amount is None:
            raise BadRequest(f"{at}.amount: GPU {gpu.name} is in VGPU usage: say how many of its vGPUs "
                             f"(1 to {gpu.vgpu_instance_num})")
        if adding:
            _may_add(vm, host or vm.host, gpu, amount, at)
        elif gpu not in vm.gpu_devices:
            raise BadRequest(f"{at}.gpu_id: VM {vm.name} has no GPU {gpu.name} ({gpu.id})")
        elif gpu.vgpu and not 0 < amount <= vm.gpu_amounts[gpu.id]:
            raise BadRequest(f"{at}.amount: VM {vm.name} has {vm.gpu_amounts[gpu.id]} vGPU(s) of GPU {gpu.name}, "
                             f"got {amount}")
        out.append((gpu, amount if gpu.vgpu else None))
    return out


def _may_add(vm: Vm, host, gpu: GpuDevice, amount: int | None, at: str) -> None:
    if host is None:
        raise BadRequest(f"VM {vm.name} is on no host; a GPU passes through on its own host ({gpu.host.name}): "
                         "place the VM there first (migrate-vm)")
    if gpu.host is not host:
        raise BadRequest(f"{at}.gpu_id: GPU {gpu.name} is on host {gpu.host.name} and VM {vm.name} on host "
                         f"{host.name}; a VM is given GPUs of its own host")
    if gpu.status != "READY":
        raise BadRequest(f"{at}.gpu_id: GPU {gpu.name} is {gpu.status}, not READY")
    if gpu in vm.gpu_devices:
        raise BadRequest(f"{at}.gpu_id: VM {vm.name} already has GPU {gpu.name} ({gpu.id})")
    if gpu.vgpu and not 0 < amount <= gpu.vgpu_instance_num:
        raise BadRequest(f"{at}.amount: GPU {gpu.name} has {gpu.vgpu_instance_num} vGPUs, got {amount}")
    if vm.ha:
        raise BadRequest(f"{at}: VM {vm.name} has HA on, and a VM with GPU devices cannot have HA: turn it off first "
                         "(update-vm-basic-info with ha false)")


def add(world, user, vms: list[Vm], data: list) -> list:
    def check(vm):
        stopped(vm, "adds GPUs to")
        chosen = given(world, vm, data, adding=True)

        def apply():
            for gpu, amount in chosen:
                world.give(vm, gpu, amount)
        return apply
    return edit(world, user, vms, TaskKey.AddVmGpuDevice, "Add GPU devices", check, {"data": data})


def remove(world, user, vms: list[Vm], data: list) -> list:
    def check(vm):
        stopped(vm, "removes GPUs from")
        taken = given(world, vm, data, adding=False)

        def apply():
            for gpu, amount in taken:
                left = vm.gpu_amounts.get(gpu.id, 0) - (amount or 0)
                world.withdraw(vm, gpu)
                if gpu.vgpu and left > 0:
                    world.give(vm, gpu, left)
        return apply
    return edit(world, user, vms, TaskKey.RemoveVmGpuDevice, "Remove GPU devices", check, {"data": data})


def check_start(vm: Vm, host) -> None:
    """Fail a start of `vm` on `host` (a TaskError, as a real tower fails the task) when its GPUs cannot be had."""
    for gpu in vm.gpu_devices:
        if gpu.host is not host:
            raise TaskError(f"GPU_ASSIGN_FAILED: GPU {gpu.name} ({gpu.id}) is on host {gpu.host.name}, not on "
                            f"host {host.name}", "GPU_ASSIGN_FAILED")
        others = [v for v in gpu.holders() if v is not vm]
        if not gpu.vgpu and others:
            raise TaskError(f"GPU_ASSIGN_FAILED: GPU {gpu.name} ({gpu.id}) is held by running VM "
                            f"{others[0].name}", "GPU_ASSIGN_FAILED")
        need, free = vm.gpu_amounts.get(gpu.id, 1), (gpu.vgpu_instance_num or 0) - sum(
            v.gpu_amounts.get(gpu.id, 1) for v in others)
        if gpu.vgpu and need > free:
            raise TaskError(f"PRECHECK_REQUEST_VGPU_COUNT_MORE_THAN_AVAILABLE: VM {vm.name} needs {need} vGPU(s) of "
                            f"GPU {gpu.name} ({gpu.id}), {free} available",
                            "PRECHECK_REQUEST_VGPU_COUNT_MORE_THAN_AVAILABLE")
