"""Request and response shapes of the simulated mutations: VM operations and host maintenance mode (upstream's names
and spellings, `shutdownVms` and `shutDownVms` included)."""

from .types import BOOL, INT32, INT64, STR, Hinted, ListOf, Opaque, Ref, obj, opt, register, req

# --- VM operations --------------------------------------------------------------------------------------------------
obj("WithTask_Vm_", opt("task_id", STR), req("data", Ref("Vm")), strict=False)
obj("DeleteVm", req("id", STR), strict=False)
obj("WithTask_DeleteVm_", opt("task_id", STR), req("data", Ref("DeleteVm")), strict=False)
obj("VmOperateParams", req("where", Ref("VmWhereInput")), strict=False)
_host_choice = obj(None, req("host_id", STR), strict=False)
obj("VmStartParams", req("where", Ref("VmWhereInput")), opt("data", _host_choice, nullable=False), strict=False)
obj("VmMigrateParams", req("where", Ref("VmWhereInput")), opt("data", _host_choice, nullable=False), strict=False)
obj("VmDeleteParams", req("where", Ref("VmWhereInput")),
    opt("effect", obj(None, opt("include_snapshots", BOOL, nullable=False), strict=False), nullable=False),
    strict=False)

for _name in ("VmOwnerParams", "VmGpuOperationParams", "VmNicParams", "VmCdRomParams", "MountDisksParams",
              "MountNewCreateDisksParams"):
    register(Opaque(_name))  # accepted, not modeled: the simulator has no disks, NICs or owners
obj("VmDiskParams", opt("mount_cd_roms", ListOf(Ref("VmCdRomParams")), nullable=False),
    opt("mount_disks", ListOf(Ref("MountDisksParams")), nullable=False),
    opt("mount_new_create_disks", ListOf(Ref("MountNewCreateDisksParams")), nullable=False), strict=False)
obj("VmCreationParams",
    opt("owner", Ref("VmOwnerParams"), nullable=False), opt("gpu_devices", ListOf(Ref("VmGpuOperationParams")), False),
    opt("max_bandwidth_policy", Ref("VmDiskIoRestrictType"), False), opt("max_bandwidth_unit", Ref("BPSUnit"), False),
    opt("max_bandwidth", INT64, False), opt("max_iops_policy", Ref("VmDiskIoRestrictType"), False),
    opt("max_iops", INT64, False), opt("io_policy", Ref("VmDiskIoPolicy"), False), opt("vcpu", INT32, False),
    req("status", Ref("VmStatus")), req("firmware", Ref("VmFirmware")), req("ha", BOOL),
    opt("pci_nics", Ref("NicWhereInput"), False), opt("vm_placement_group", Ref("VmPlacementGroupWhereInput"), False),
    req("vm_nics", ListOf(Ref("VmNicParams"))), req("vm_disks", Ref("VmDiskParams")),
    opt("memory_unit", Ref("ByteUnit"), False), req("memory", INT64), req("cpu_cores", INT32),
    req("cpu_sockets", INT32), opt("guest_os_type", Ref("VmGuestsOperationSystem"), False),
    opt("folder_id", STR, False), opt("description", STR, False), req("name", STR), opt("host_id", STR, False),
    req("cluster_id", STR), strict=False)

# --- host maintenance mode ------------------------------------------------------------------------------------------
_HOST_ID = ("enter and exit name the host as where.host_id; where.id is the seed page's erratum")
_TASK_ID = ("the precheck result takes where.task_id, the task id the precheck answered; where.id is the seed "
            "page's erratum")
obj("EnterMaintenanceModeCheckParams", req("where", Ref("HostWhereInput")), strict=False)
obj("EnterMaintenanceModeCheckResult", req("task_id", STR), strict=False)
obj("EnterMaintenanceModeResultParams",
    req("where", obj(None, req("task_id", STR), strict=False, hints={"id": _TASK_ID})), strict=False)
obj("ShutdownVmID", req("vm_uuid", STR), strict=False)
obj("EnterMaintenanceModeResult", req("shutdownVms", ListOf(Ref("ShutdownVmID"))), req("done", BOOL), strict=False)
_uuids = Hinted(ListOf(STR), "a list of vm_uuid strings, such as the vm_uuid values of the precheck's shutdownVms")
obj("EnterMaintenanceModeInput", opt("shutdown_vms", _uuids, nullable=False), strict=False)
obj("EnterMaintenanceModeParams", req("data", Ref("EnterMaintenanceModeInput")),
    req("where", obj(None, req("host_id", STR), strict=False, hints={"id": _HOST_ID})), strict=False)
obj("WithTask_Host_", opt("task_id", STR), req("data", Ref("Host")), strict=False)
obj("MaintenanceModeVerify", opt("reason", STR), opt("changed", BOOL), strict=False)
obj("MaintenanceModeVmInfo", opt("vm_uuid", STR), opt("vm_state", STR), opt("vm_name", STR), opt("vm_ha", BOOL),
    opt("verify", Ref("MaintenanceModeVerify")), opt("target_host_name", STR), opt("state", STR), strict=False)
obj("ExitMaintenanceModeResult", req("offlineMigrateVms", ListOf(Ref("MaintenanceModeVmInfo"))),
    req("liveMigrateVms", ListOf(Ref("MaintenanceModeVmInfo"))),
    req("shutDownVms", ListOf(Ref("MaintenanceModeVmInfo"))), strict=False)
obj("ExitMaintenanceModeResultParams", req("where", Ref("HostWhereInput")), strict=False)
obj("ExitMaintenanceModeInput", opt("poweron_vms", _uuids, nullable=False),
    opt("offline_migrate_back_vms", _uuids, nullable=False), opt("live_migrate_back_vms", _uuids, nullable=False),
    strict=False)
obj("ExitMaintenanceModeParams", req("data", Ref("ExitMaintenanceModeInput")),
    req("where", obj(None, req("host_id", STR), strict=False, hints={"id": _HOST_ID})), strict=False)
