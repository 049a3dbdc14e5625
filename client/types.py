"""What the client returns. Entities stay the JSON CloudTower sends (typed as TypedDicts named as upstream names them);
the maintenance results become dataclasses with the field names spelled correctly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, TypedDict


class NestedRef(TypedDict, total=False):
    id: str
    name: str


class Cluster(TypedDict, total=False):
    id: str
    name: str
    type: str
    version: str
    host_num: Optional[int]
    vm_num: Optional[int]


class MaintenanceHostState(TypedDict):
    state: str
    enter_maintenance_time: str
    maintenance_job_id: str


class Host(TypedDict, total=False):
    id: str
    name: str
    local_id: str
    management_ip: str
    cluster: NestedRef
    status: str
    state: str
    host_state: Optional[MaintenanceHostState]
    total_memory_bytes: int
    allocatable_memory_bytes: int
    running_pause_vm_memory_bytes: int
    vms: Optional[list[NestedRef]]
    running_vm_num: Optional[int]


class Vm(TypedDict, total=False):
    id: str
    name: str
    local_id: str
    status: str
    memory: int
    vcpu: int
    ha: bool
    host: Optional[NestedRef]
    cluster: Optional[NestedRef]
    usb_devices: Optional[list[NestedRef]]
    gpu_devices: Optional[list[NestedRef]]
    pci_nics: Optional[list[NestedRef]]


class Task(TypedDict, total=False):
    id: str
    description: str
    status: str
    progress: float
    error_code: Optional[str]
    error_message: Optional[str]
    started_at: Optional[str]
    finished_at: Optional[str]
    resource_id: Optional[str]
    steps: list


class WithTask(TypedDict):
    task_id: Optional[str]
    data: dict


@dataclass(frozen=True)
class EnterMaintenanceModeResult:
    done: bool
    shutdown_vms: list[str]  # vm_uuid values


@dataclass(frozen=True)
class MaintenanceModeVmInfo:
    vm_uuid: Optional[str]
    vm_name: Optional[str]
    vm_state: Optional[str]
    vm_ha: Optional[bool]
    state: Optional[str]
    target_host_name: Optional[str]
    changed: Optional[bool]
    reason: Optional[str]

    @classmethod
    def from_wire(cls, item: dict) -> "MaintenanceModeVmInfo":
        verify = item.get("verify") or {}
        return cls(item.get("vm_uuid"), item.get("vm_name"), item.get("vm_state"), item.get("vm_ha"),
                   item.get("state"), item.get("target_host_name"), verify.get("changed"), verify.get("reason"))


@dataclass(frozen=True)
class ExitMaintenanceModeResult:
    shut_down_vms: list[MaintenanceModeVmInfo]
    live_migrate_vms: list[MaintenanceModeVmInfo]
    offline_migrate_vms: list[MaintenanceModeVmInfo]


@dataclass
class MaintenanceReport:
    """What a maintenance workflow call did: the host, its task, and which VMs went where."""
    host_id: str
    host_name: str
    task: Task
    shut_down: list[str] = field(default_factory=list)  # VM names
    live_migrated: dict[str, Optional[str]] = field(default_factory=dict)  # VM name -> host name
    offline_migrated: dict[str, Optional[str]] = field(default_factory=dict)
    powered_on: list[str] = field(default_factory=list)
    not_restored: list[str] = field(default_factory=list)  # asked to come back but did not (with the reason)
