"""The states of the world and the names of its tasks, in CloudTower's words.

States are upstream's own enums, read from the newest extract (a superset of the older versions' values), so the
domain cannot hold a value upstream does not have. A task's key is upstream's operationId of the operation that
started it."""

from __future__ import annotations

from enum import StrEnum

from ..schema.spec import Spec


def _upstream(name: str) -> type[StrEnum]:
    return StrEnum(name, {value: value for value in Spec.load().schemas[name]["enum"]})


VmStatus = _upstream("VmStatus")
HostStatus = _upstream("HostStatus")
HostState = _upstream("HostState")
MaintenanceState = _upstream("MaintenanceModeEnum")
TaskStatus = _upstream("TaskStatus")
UserRole = _upstream("UserRole")
UserSource = _upstream("UserSource")
EntityAsyncStatus = _upstream("EntityAsyncStatus")


class TaskKey(StrEnum):
    """The operation a task carries out, as upstream's operationId names it."""
    START_VM = "StartVm"
    SHUT_DOWN_VM = "ShutDownVm"
    POWEROFF_VM = "PoweroffVm"
    RESTART_VM = "RestartVm"
    FORCE_RESTART_VM = "ForceRestartVm"
    SUSPEND_VM = "SuspendVm"
    RESUME_VM = "ResumeVm"
    MIGRATE_VM = "MigrateVm"
    DELETE_VM = "DeleteVm"
    CREATE_VM = "CreateVm"
    ENTER_MAINTENANCE_PRECHECK = "EnterMaintenanceModePreCheck"
    ENTER_MAINTENANCE = "EnterMaintenanceMode"
    EXIT_MAINTENANCE = "ExitMaintenanceMode"
