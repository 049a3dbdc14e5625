"""The entities the simulator models, declared once: one line per field, as `name[!]: type` where `!` marks a field
upstream requires (all others are nullable). Types: `str int32 int64 double bool datetime json`, `@Enum`, `[item]`,
`{Nested}` for an embedded object, `Nested>Target` for a to-one relation and `[Nested>Target]` for a to-many one.
From these lines come the response shapes, the `<X>WhereInput` filters and the `<X>OrderByInput` enums; the tests compare
all three with the upstream spec. Field names, types and enum values are facts of the CloudTower 4.6.0 API."""

CLUSTER = """
application_highest_version: str
applications: [NestedApplication>Application]
architecture!: @Architecture
auto_converge: bool
connect_state!: @ConnectState
consistency_groups: [NestedConsistencyGroup>ConsistencyGroup]
current_cpu_model: str
datacenters: [NestedDatacenter>Datacenter]
disconnected_date: datetime
disconnected_reason: @ClusterConnectorErrorCode
dns!: [str]
entityAsyncStatus: @EntityAsyncStatus
everoute_cluster: NestedEverouteCluster>EverouteCluster
failure_data_space: int64
has_metrox: bool
host_num: int32
hosts: [NestedHost>Host]
hypervisor: @Hypervisor
id!: str
ip!: str
is_all_flash: bool
iscsi_vip: str
labels: [NestedLabel>Label]
license_expire_date: datetime
license_serial: str
license_sign_date: datetime
license_type: @LicenseType
local_id: str
maintenance_end_date: datetime
maintenance_start_date: datetime
management_vip: str
max_chunk_num: int32
max_physical_data_capacity: int64
max_physical_data_capacity_per_node: int64
metro_availability_checklist: {NestedMetroAvailabilityChecklist}
mgt_gateway: str
mgt_netmask: str
migration_data_size: int64
migration_speed: int64
name!: str
ntp_mode: @NtpMode
ntp_servers!: [str]
nvme_over_rdma_enabled: bool
nvme_over_tcp_enabled: bool
nvmf_enabled: bool
pmem_enabled: bool
provisioned_cpu_cores: int32
provisioned_cpu_cores_for_active_vm: int32
provisioned_for_active_vm_ratio: double
provisioned_memory_bytes: int64
provisioned_ratio: double
rdma_enabled: bool
recommended_cpu_models!: [str]
recover_data_size: int64
recover_speed: int64
reserved_cpu_cores_for_system_service: int32
running_vm_num: int32
settings: NestedClusterSettings>ClusterSettings
software_edition: @SoftwareEdition
stopped_vm_num: int32
stretch: bool
suspended_vm_num: int32
total_cache_capacity: int64
total_cpu_cores: int32
total_cpu_hz: int64
total_cpu_models!: [str]
total_cpu_sockets: int32
total_data_capacity: int64
total_memory_bytes: int64
type!: @ClusterType
upgrade_tool_version: str
used_cpu_hz: double
used_data_space: int64
used_memory_bytes: double
valid_data_space: int64
vcenterAccount: NestedVcenterAccount>VcenterAccount
vdses: [NestedVds>Vds]
version!: str
vhost_enabled: bool
vm_folders: [NestedVmFolder>VmFolder]
vm_num: int32
vm_templates: [NestedVmTemplate>VmTemplate]
vms: [NestedVm>Vm]
witness: NestedWitness>Witness
zones: [NestedZone>Zone]
"""

HOST = """
access_ip: str
allocable_cpu_cores_for_vm_exclusive: int32
allocatable_memory_bytes!: int64
chunk_id!: str
cluster!: NestedCluster>Cluster
compatible_cpu_models!: [str]
cpu_brand!: str
cpu_fan_speed!: [double]
cpu_fan_speed_unit: @CpuFanSpeedUnit
cpu_hz_per_core!: int64
cpu_model!: str
cpu_temperature_celsius!: [int32]
cpu_vendor: str
data_ip: str
disks: [NestedDisk>Disk]
entityAsyncStatus: @EntityAsyncStatus
failure_data_space!: int64
gpu_devices: [NestedGpuDevice>GpuDevice]
hdd_data_capacity!: int64
hdd_disk_count!: int32
host_state: {NestedMaintenanceHostState}
hypervisor_ip: str
id!: str
iommu: @IommuStatus
ipmi: NestedIpmi>Ipmi
is_os_in_raid1: bool
labels: [NestedLabel>Label]
local_id!: str
lsm_cap_disk_safe_umount!: bool
management_ip!: str
model!: str
name!: str
nested_virtualization!: bool
nic_count!: int32
nics: [NestedNic>Nic]
node_topo_local_id: str
os_memory_bytes!: int64
os_version: str
pmem_dimm_capacity!: int64
pmem_dimm_count!: int32
pmem_dimms: [NestedPmemDimm>PmemDimm]
pmem_disk_count!: int32
provisioned_cpu_cores!: int32
provisioned_memory_bytes!: int64
running_pause_vm_memory_bytes!: int64
running_vm_num: int32
scvm_cpu: int32
scvm_memory: int64
scvm_name: str
serial: str
ssd_data_capacity!: int64
ssd_disk_count!: int32
state!: @HostState
status!: @HostStatus
stopped_vm_num: int32
suspended_vm_num: int32
total_cache_capacity: int64
total_cpu_cores!: int32
total_cpu_hz!: int64
total_cpu_sockets: int32
total_data_capacity!: int64
total_memory_bytes!: int64
usb_devices: [NestedUsbDevice>UsbDevice]
used_cpu_hz: double
used_data_space!: int64
used_memory_bytes: double
vm_num: int32
vmotion_ip: str
vms: [NestedVm>Vm]
vsphereEsxiAccount: NestedVsphereEsxiAccount>VsphereEsxiAccount
with_faster_ssd_as_cache: bool
zone: NestedZone>Zone
"""

VM = """
backup_plans: [NestedBackupPlan>BackupPlan]
bios_uuid: str
clock_offset!: @VmClockOffset
cloud_init_supported: bool
cluster: NestedCluster>Cluster
cpu!: {NestedCpu}
cpu_model!: str
cpu_usage: double
deleted_at: datetime
description!: str
dns_servers: str
entityAsyncStatus: @EntityAsyncStatus
entity_filter_results: [NestedVmEntityFilterResult>VmEntityFilterResult]
firmware!: @VmFirmware
folder: NestedVmFolder>VmFolder
gpu_devices: [NestedGpuDevice>GpuDevice]
guest_cpu_model: str
guest_os_type: @VmGuestsOperationSystem
guest_size_usage: double
guest_used_size: int64
ha!: bool
host: NestedHost>Host
hostname: str
id!: str
in_recycle_bin!: bool
internal!: bool
io_policy: @VmDiskIoPolicy
ips!: str
isolation_policy: NestedIsolationPolicy>IsolationPolicy
kernel_info: str
labels: [NestedLabel>Label]
last_shutdown_time: datetime
local_created_at: datetime
local_id!: str
logical_size_bytes: int64
max_bandwidth: int64
max_bandwidth_policy: @VmDiskIoRestrictType
max_iops: int32
max_iops_policy: @VmDiskIoRestrictType
memory!: int64
memory_usage: double
name!: str
nested_virtualization!: bool
node_ip!: str
original_name: str
os: str
out_uninstall_usb!: [str]
pci_nics: [NestedNic>Nic]
protected!: bool
provisioned_size: int64
size: int64
snapshot_plan: NestedSnapshotPlan>SnapshotPlan
snapshots: [NestedVmSnapshot>VmSnapshot]
status!: @VmStatus
unique_logical_size: double
unique_size: int64
usb_devices: [NestedUsbDevice>UsbDevice]
used_size: int64
used_size_usage: double
vcpu!: int32
video_type: @VmVideoType
vm_disks: [NestedVmDisk>VmDisk]
vm_nics: [NestedVmNic>VmNic]
vm_placement_group: [NestedVmPlacementGroup>VmPlacementGroup]
vm_tools_status!: @VmToolsStatus
vm_tools_version: str
vm_usage: @VmUsage
win_opt!: bool
"""

TASK = """
args!: json
cluster: NestedCluster>Cluster
description!: str
error_code: str
error_message: str
finished_at: datetime
id!: str
internal!: bool
key: str
local_created_at!: datetime
progress!: double
resource_id: str
resource_mutation: str
resource_rollback_error: str
resource_rollback_retry_count: int32
resource_rollbacked: bool
resource_type: str
snapshot!: str
started_at: datetime
status!: @TaskStatus
steps!: [{NestedStep}]
type: @TaskType
user: NestedUser>User
"""

USER = """
auth_config_id: str
display_username!: str
email_address: str
id!: str
internal!: bool
ldap_dn: str
mobile_phone: str
name!: str
password_expired: bool
password_recover_qa: {NestedPasswordRecoverQa}
password_updated_at: datetime
role: @UserRole
roles: [NestedUserRoleNext>UserRoleNext]
source!: @UserSource
username!: str
"""

ENUMS = {
    'Architecture': 'AARCH64 X86_64',
    'ClusterConnectorErrorCode': 'LOAD_CLUSTER_FAILED LOAD_CLUSTER_NETWORK_ERROR LOAD_CLUSTER_NOT_FOUND LOAD_CLUSTER_UNAUTHORIZED LOAD_CLUSTER_UNHEALTHY',
    'ClusterType': 'BLUESHARK SMTX_ELF SMTX_OS SMTX_ZBS',
    'ConnectState': 'CONNECTED DISCONNECTED INITIALIZING REMOVING',
    'CpuFanSpeedUnit': 'PERCENT RPM',
    'EntityAsyncStatus': 'CREATING DELETING UPDATING',
    'BPSUnit': 'Bps KBps MBps GBps TBps',
    'ByteUnit': 'B KB MB GB TB PB',
    'ErrorCode': 'ResourceLocked',
    'HostState': 'IDLE IN_USE REMOVING',
    'MaintenanceModeEnum': 'ENTERING_MAINTENANCE_MODE IN_USE MAINTENANCE_MODE REMOVING',
    'MfaType': 'Mail Sms',
    'StepUnit': 'BIT BYTE COUNT PERCENT',
    'HostStatus': 'CONNECTED_ERROR CONNECTED_HEALTHY CONNECTED_WARNING CONNECTING INITIALIZING SESSION_EXPIRED',
    'Hypervisor': 'BLUESHARK ELF VMWARE XENSERVER',
    'IommuStatus': 'DISABLE ENABLE NEED_REBOOT',
    'LicenseType': 'PERPETUAL SUBSCRIPTION TRIAL',
    'NtpMode': 'EXTERNAL INTERNAL',
    'SoftwareEdition': 'COMMUNITY ENTERPRISE ENTERPRISE_PLUS ESSENTIAL EXPRESS STANDARD TRIAL',
    'TaskStatus': 'EXECUTING FAILED PAUSED PENDING SUCCESSED',
    'TaskType': 'APPLICATION BACKUP HOST_PLUGIN REPLICATION RESOLVER SFS',
    'UserRole': 'ADMIN READ_ONLY ROOT',
    'UserSource': 'AUTHN LDAP LOCAL SSO',
    'VmClockOffset': 'LOCALTIME UTC',
    'VmDiskIoPolicy': 'RESTRICT_EACH_DISK RESTRICT_WHOLE_VM',
    'VmDiskIoRestrictType': 'DYNAMIC FORCED',
    'VmFirmware': 'BIOS UEFI',
    'VmGuestsOperationSystem': 'LINUX UNKNOWN WINDOWS',
    'VmStatus': 'DELETED RUNNING STOPPED SUSPENDED UNKNOWN',
    'VmToolsStatus': 'NOT_INSTALLED NOT_RUNNING RESTRICTION RUNNING',
    'VmUsage': 'ADVANCED_MONITORING AGENT_MESH_NODE BACKUP_CONTROLLER BUNDLE_APPLICATION CLOUDTOWER EVEROUTE_CONTROLLER REGISTRY REPLICATION_CONTROLLER SFS_CONTROLLER SHARE_REGISTRY SKS_MANAGEMENT',
    'VmVideoType': 'CIRRUS QXL VGA VIRTIO',
}

# The nested shapes the simulator fills in; every other Nested* type is always null here.
NESTED = """
NestedCluster: id! name!
NestedHost: id! management_ip! name!
NestedVm: id! name!
NestedUser: id! name!
NestedUsbDevice: id! name!
NestedGpuDevice: id! name!
NestedNic: id! name!
"""
