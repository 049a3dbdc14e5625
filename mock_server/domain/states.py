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


# what a task carries out: every upstream operationId (TaskKey.StartVm, TaskKey.EnterMaintenanceMode, ...)
TaskKey = StrEnum("TaskKey", {op_id: op_id for _, op_id in sorted(Spec.load().upstream_operations.values())})
