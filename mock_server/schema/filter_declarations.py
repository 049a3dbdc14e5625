"""Filter-only declarations: the relation targets that `where` can reach but the simulator does not model (labels,
disks, zones, ...). Their `<X>WhereInput` filters are derived exactly as for modeled entities, so a filter on them is
validated as strictly as upstream does, and matched against null (a relation the simulator never fills in).
One `name:type` token per field, types as in declarations.py; `>X` is a to-one relation, `[>X]` a to-many one.
Field names, types and enum values are facts of the CloudTower 4.6.0 API."""

FILTER_ONLY = {
    'Application': """
        cluster:>Cluster error_message:str id:str image_name:str local_id:str memory:int64 state:@ApplicationState
        storage_ip:str type:@ApplicationType update_time:datetime vcpu:int32 version:str vm:>Vm volume_size:int64
    """,
    'BackupPlanExecution': """
        backup_plan:>BackupPlan deletable_flag_marked:bool duration:int32 entityAsyncStatus:@EntityAsyncStatus
        executed_at:datetime id:str local_created_at:datetime local_id:str method:@BackupExecutionMethod
        state:@BackupPlanExecutionState status:@BackupPlanExecutionStatus success_job_count:int32 total_job_count:int32
        type:@BackupExecutionType
    """,
    'BackupPlan': """
        backup_delay_option:@BackupPlanDelayOption backup_plan_executions:[>BackupPlanExecution]
        backup_restore_point_count:int32 backup_restore_points:[>BackupRestorePoint] backup_service:>BackupService
        backup_store_repository:>BackupStoreRepository backup_total_size:int64 compression:bool compression_ratio:double
        createdAt:datetime delete_strategy:@BackupPlanDeleteStrategy description:str enable_window:bool
        entityAsyncStatus:@EntityAsyncStatus full_interval:int32 full_period:@BackupPlanPeriod id:str
        incremental_interval:int32 incremental_period:@BackupPlanPeriod keep_policy:@BackupPlanKeepPolicy
        keep_policy_value:int32 last_execute_status:@BackupPlanExecutionStatus last_execute_status_message:str
        last_execute_success_job_count:int32 last_execute_total_job_count:int32 last_executed_at:datetime
        last_manual_execute_status:@BackupPlanExecutionStatus last_manual_execute_status_message:str
        last_manual_execute_success_job_count:int32 last_manual_execute_total_job_count:int32
        last_manual_executed_at:datetime logical_size:int64 name:str next_execute_time:datetime phase:@BackupPlanPhase
        physical_size:int64 snapshot_consistent_type:@ConsistentType status:@BackupPlanStatus
        valid_size_of_backup_object:int64 valid_size_of_restore_point:int64 vms:[>Vm] window_end:str window_start:str
    """,
    'BackupRestoreExecution': """
        backup_restore_point:>BackupRestorePoint duration:int32 entityAsyncStatus:@EntityAsyncStatus
        executed_at:datetime id:str mode:@BackupRestoreExecutionMode name:str read_bytes:int64 rebuild_name:str
        rebuild_target_cluster:str retry_times:int32 startup_after_restore:bool status:@BackupExecutionStatus
        total_bytes:int64
    """,
    'BackupRestorePoint': """
        backup_plan:>BackupPlan backup_restore_executions:[>BackupRestoreExecution]
        backup_target_execution:>BackupTargetExecution cluster_local_id:str compressed:bool compression_ratio:double
        creation:@BackupRestorePointCreation entityAsyncStatus:@EntityAsyncStatus id:str local_created_at:datetime
        local_id:str logical_size:int64 parent_restore_point:str physical_size:int64 size:int64 slice:str
        snapshot_consistent_type:@ConsistentType type:@BackupRestorePointType valid_capacity:int64 valid_size:int64
        vm:>Vm vm_local_id:str vm_name:str
    """,
    'BackupService': """
        application:>CloudTowerApplication backup_clusters:[>Cluster] backup_network_gateway:str backup_network_ip:str
        backup_network_subnet_mask:str backup_network_type:@BackupServiceNetworkType backup_network_vlan:str
        backup_plans:[>BackupPlan] backup_rd_iops_max:int64 backup_store_repositories:[>BackupStoreRepository]
        backup_wr_iops_max:int64 description:str entityAsyncStatus:@EntityAsyncStatus id:str kube_config:str
        management_network_gateway:str management_network_ip:str management_network_subnet_mask:str
        management_network_vlan:str max_job_retry_times:int32 max_parallel_backup_jobs:int32
        max_parallel_restore_jobs:int32 name:str restore_rd_iops_max:int64 restore_wr_iops_max:int64
        retry_interval:int32 running_vm:>Vm status:@BackupServiceStatus storage_network_gateway:str
        storage_network_ip:str storage_network_subnet_mask:str storage_network_type:@BackupServiceNetworkType
        storage_network_vlan:str
    """,
    'BackupStoreRepository': """
        backup_plans:[>BackupPlan] backup_restore_points:[>BackupRestorePoint] backup_service:>BackupService
        createdAt:datetime description:str entityAsyncStatus:@EntityAsyncStatus error_code:str id:str
        iscsi_chap_name:str iscsi_chap_secret:str iscsi_ip:str iscsi_lun_id:str iscsi_port:int32 iscsi_target_iqn:str
        name:str nfs_path:str nfs_server:str status:@BackupStoreStatus total_capacity:int64 type:@BackupStoreType
        update_timestamp:str used_data_space:int64 used_data_space_usage:double valid_data_space:int64
    """,
    'BackupTargetExecution': """
        backup_group:str backup_plan_execution:>BackupPlanExecution backup_restore_point:>BackupRestorePoint
        cluster_local_id:str duration:int32 entityAsyncStatus:@EntityAsyncStatus executed_at:datetime id:str
        local_id:str parent_backup:str read_bytes:int64 retry_times:int32 status:@BackupExecutionStatus
        total_bytes:int64 type:@BackupExecutionType vm:>Vm vm_local_id:str vm_name:str
    """,
    'CloudTowerApplicationPackage': """
        applications:[>CloudTowerApplication] architecture:@Architecture id:str name:str scosVersion:str version:str
    """,
    'CloudTowerApplication': """
        entityAsyncStatus:@EntityAsyncStatus id:str name:str package:>CloudTowerApplicationPackage
        placementSituation:str placementVerb:str resourceVersion:int32 state:@CloudTowerApplicationState
        targetPackage:str user:>User
    """,
    'ClusterSettings': """
        cluster:>Cluster default_ha:bool default_storage_policy:@VmVolumeElfStoragePolicyType enabled_iscsi:bool id:str
    """,
    'ConsistencyGroupSnapshot': """
        Iscsi_lun_snapshots:[>IscsiLunSnapshot] consistency_group:>ConsistencyGroup entityAsyncStatus:@EntityAsyncStatus
        id:str labels:[>Label] local_created_at:datetime local_id:str name:str
        nvmf_namespace_snapshots:[>NvmfNamespaceSnapshot] unique_size:int64
    """,
    'ConsistencyGroup': """
        cluster:>Cluster consistency_group_snapshots:[>ConsistencyGroupSnapshot] description:str
        entityAsyncStatus:@EntityAsyncStatus id:str iscsi_luns:[>IscsiLun] labels:[>Label] local_created_at:datetime
        local_id:str name:str namespaces:[>NvmfNamespace] unique_size:int64
    """,
    'ContentLibraryImage': """
        clusters:[>Cluster] createdAt:datetime description:str elf_images:[>ElfImage]
        entityAsyncStatus:@EntityAsyncStatus id:str iscsi_luns:[>IscsiLun] labels:[>Label] name:str path:str size:int64
        vm_disks:[>VmDisk] vm_snapshots:[>VmSnapshot] vm_templates:[>VmTemplate]
    """,
    'ContentLibraryVmTemplate': """
        architecture:@Architecture clock_offset:@VmClockOffset cloud_init_supported:bool clusters:[>Cluster]
        cpu_model:str createdAt:datetime description:str entityAsyncStatus:@EntityAsyncStatus firmware:@VmFirmware
        ha:bool id:str io_policy:@VmDiskIoPolicy labels:[>Label] max_bandwidth:int64
        max_bandwidth_policy:@VmDiskIoRestrictType max_iops:int32 max_iops_policy:@VmDiskIoRestrictType memory:int64
        name:str os:str size:int64 vcpu:int32 video_type:str vm_templates:[>VmTemplate] win_opt:bool
    """,
    'Datacenter': """
        cluster_num:int32 clusters:[>Cluster] failure_data_space:int64 host_num:int32 id:str labels:[>Label] name:str
        organization:>Organization total_cpu_hz:int64 total_data_capacity:int64 total_memory_bytes:int64
        used_cpu_hz:double used_data_space:int64 used_memory_bytes:double vm_num:int32
    """,
    'Disk': """
        entityAsyncStatus:@EntityAsyncStatus firmware:str function:@DiskFunction health_status:@DiskHealthStatus
        healthy:bool host:>Host id:str labels:[>Label] local_id:str model:str mounted:bool name:str numa_node:int32
        offline:bool path:str persistent_memory_type:str physical_slot_on_brick:int32 pmem_dimms:[>PmemDimm]
        recommended_usage:@DiskUsage remaining_life_percent:int32 serial:str size:int64 type:@DiskType usage:@DiskUsage
        usage_status:@DiskUsageStatus
    """,
    'ElfImage': """
        cluster:>Cluster content_library_image:>ContentLibraryImage description:str entityAsyncStatus:@EntityAsyncStatus
        id:str labels:[>Label] local_created_at:datetime local_id:str name:str path:str size:int64 vm_disks:[>VmDisk]
        vm_snapshots:[>VmSnapshot] vm_templates:[>VmTemplate]
    """,
    'EntityFilter': """
        apply_to_all_clusters:bool clusters:[>Cluster] entity_type:@EntityType exec_failed_cluster:[>Cluster]
        filter_status:@FilterStatus id:str last_executed_at:datetime name:str preset:str
    """,
    'EverouteCluster': """
        agent_elf_clusters:[>Cluster] agent_elf_vdses:[>Vds] entityAsyncStatus:@EntityAsyncStatus
        global_default_action:@GlobalPolicyAction id:str installed:bool load_balancer_service:>LoadBalancerService
        name:str phase:@EverouteClusterPhase version:str vpc_service:>VirtualPrivateCloudService
    """,
    'GpuDevice': """
        assigned_vgpus_num:int32 available_vgpus_num:int32 brand:str bus_location:str description:str
        entityAsyncStatus:@EntityAsyncStatus host:>Host id:str is_nvidia_tools_ready:bool is_nvidia_vfs_enabled:bool
        is_nvidia_vfs_supported:bool labels:[>Label] local_created_at:datetime local_id:str model:str name:str
        status:@GpuDeviceStatus user_usage:@GpuDeviceUsage user_vgpu_type_id:str user_vgpu_type_name:str
        vgpu_instance_num:int32 vms:[>Vm]
    """,
    'Ipmi': """
        host:>Host id:str ip:str local_id:str username:str valid:bool
    """,
    'IscsiLunSnapshot': """
        consistency_group_snapshot:>ConsistencyGroupSnapshot entityAsyncStatus:@EntityAsyncStatus id:str
        iscsi_lun:>IscsiLun iscsi_target:>IscsiTarget labels:[>Label] local_created_at:datetime local_id:str name:str
        unique_size:int64
    """,
    'IscsiLun': """
        allowed_initiators:str assigned_size:int64 bps:int64 bps_max:int64 bps_max_length:int64 bps_rd:int64
        bps_rd_max:int64 bps_rd_max_length:int64 bps_wr:int64 bps_wr_max:int64 bps_wr_max_length:int64
        consistency_group:>ConsistencyGroup entityAsyncStatus:@EntityAsyncStatus id:str io_size:int64 iops:int64
        iops_max:int64 iops_max_length:int64 iops_rd:int64 iops_rd_max:int64 iops_rd_max_length:int64 iops_wr:int64
        iops_wr_max:int64 iops_wr_max_length:int64 iscsi_target:>IscsiTarget labels:[>Label] local_created_at:datetime
        local_id:str lun_id:int32 name:str replica_num:int32 shared_size:int64 snapshot_num:int32 stripe_num:int32
        stripe_size:int64 thin_provision:bool unique_logical_size:double unique_size:int64 zbs_volume_id:str
    """,
    'IscsiTarget': """
        bps:int64 bps_max:int64 bps_max_length:int64 bps_rd:int64 bps_rd_max:int64 bps_rd_max_length:int64 bps_wr:int64
        bps_wr_max:int64 bps_wr_max_length:int64 chap_enabled:bool chap_name:str chap_secret:str cluster:>Cluster
        description:str entityAsyncStatus:@EntityAsyncStatus external_use:bool id:str internal:bool io_size:int64
        iops:int64 iops_max:int64 iops_max_length:int64 iops_rd:int64 iops_rd_max:int64 iops_rd_max_length:int64
        iops_wr:int64 iops_wr_max:int64 iops_wr_max_length:int64 ip_whitelist:str iqn_name:str iqn_whitelist:str
        labels:[>Label] local_id:str luns:[>IscsiLun] name:str replica_num:int32 stripe_num:int32 stripe_size:int64
        thin_provision:bool
    """,
    'IsolationPolicy': """
        everoute_cluster:>EverouteCluster id:str labels:[>Label] mode:@IsolationMode
        statistics:>SecurityPolicyStatistics vm:>Vm
    """,
    'Label': """
        cluster_num:int32 clusters:[>Cluster] consistency_group_num:int32 consistency_group_snapshot_num:int32
        consistency_group_snapshots:[>ConsistencyGroupSnapshot] consistency_groups:[>ConsistencyGroup]
        content_library_image_num:int32 content_library_images:[>ContentLibraryImage]
        content_library_vm_template_num:int32 content_library_vm_templates:[>ContentLibraryVmTemplate]
        createdAt:datetime datacenter_num:int32 datacenters:[>Datacenter] disk_num:int32 disks:[>Disk]
        elf_image_num:int32 elf_images:[>ElfImage] gpu_device_num:int32 gpu_devices:[>GpuDevice] host_num:int32
        hosts:[>Host] id:str iscsi_lun_num:int32 iscsi_lun_snapshot_num:int32 iscsi_lun_snapshots:[>IscsiLunSnapshot]
        iscsi_luns:[>IscsiLun] iscsi_target_num:int32 iscsi_targets:[>IscsiTarget] isolation_policies:[>IsolationPolicy]
        isolation_policy_num:int32 key:str namespace_group_num:int32 namespace_groups:[>NamespaceGroup]
        nfs_export_num:int32 nfs_exports:[>NfsExport] nfs_inode_num:int32 nfs_inodes:[>NfsInode] nic_num:int32
        nics:[>Nic] nvmf_namespace_num:int32 nvmf_namespace_snapshot_num:int32
        nvmf_namespace_snapshots:[>NvmfNamespaceSnapshot] nvmf_namespaces:[>NvmfNamespace] nvmf_subsystem_num:int32
        nvmf_subsystems:[>NvmfSubsystem] security_policies:[>SecurityPolicy] security_policy_num:int32
        system_vlan_num:int32 total_num:int32 value:str vds_num:int32 vdses:[>Vds] vlans:[>Vlan] vm_num:int32
        vm_snapshot_num:int32 vm_snapshots:[>VmSnapshot] vm_template_num:int32 vm_templates:[>VmTemplate]
        vm_vlan_num:int32 vm_volume_num:int32 vm_volume_snapshot_num:int32 vm_volume_snapshots:[>VmVolumeSnapshot]
        vm_volumes:[>VmVolume] vms:[>Vm]
    """,
    'LoadBalancerService': """
        entityAsyncStatus:@EntityAsyncStatus everoute_cluster:>EverouteCluster id:str phase:@EverouteClusterPhase
        vm_instances:[>Vm] vnet_bonds:[>VnetBond]
    """,
    'NamespaceGroup': """
        entityAsyncStatus:@EntityAsyncStatus id:str labels:[>Label] local_create_time:datetime local_id:str name:str
        namespaces:[>NvmfNamespace] nvmf_subsystem:>NvmfSubsystem
    """,
    'NfsExport': """
        cluster:>Cluster description:str entityAsyncStatus:@EntityAsyncStatus export_inode_id:str id:str
        inodes:[>NfsInode] internal:bool ip_whitelist:str labels:[>Label] local_id:str name:str replica_num:int32
        thin_provision:bool
    """,
    'NfsInode': """
        assigned_size:int64 entityAsyncStatus:@EntityAsyncStatus file:bool id:str labels:[>Label] local_id:str
        local_updated_at:datetime name:str nfs_export:>NfsExport parent_id:str shared_size:int64 snapshot_num:int32
        unique_logical_size:double unique_size:int64
    """,
    'Nic': """
        driver:str driver_state:@NicDriverState entityAsyncStatus:@EntityAsyncStatus gateway_ip:str host:>Host ibdev:str
        id:str iommu_status:@IommuStatus ip_address:str is_sriov:bool labels:[>Label] local_id:str mac_address:str
        max_vf_num:int32 model:str mtu:int32 name:str nic_uuid:str physical:bool rdma_enabled:bool running:bool
        speed:int64 subnet_mask:str total_vf_num:int32 type:@NetworkType up:bool used_vf_num:int32
        user_usage:@NicUserUsage vds:>Vds vms:[>Vm]
    """,
    'NvmfNamespaceSnapshot': """
        consistency_group_snapshot:>ConsistencyGroupSnapshot entityAsyncStatus:@EntityAsyncStatus id:str labels:[>Label]
        local_created_at:datetime local_id:str name:str nvmf_namespace:>NvmfNamespace nvmf_subsystem:>NvmfSubsystem
        unique_size:int64
    """,
    'NvmfNamespace': """
        assigned_size:int64 bps:int64 bps_max:int64 bps_max_length:int64 bps_rd:int64 bps_rd_max:int64
        bps_rd_max_length:int64 bps_wr:int64 bps_wr_max:int64 bps_wr_max_length:int64
        consistency_group:>ConsistencyGroup entityAsyncStatus:@EntityAsyncStatus id:str io_size:int64 iops:int64
        iops_max:int64 iops_max_length:int64 iops_rd:int64 iops_rd_max:int64 iops_rd_max_length:int64 iops_wr:int64
        iops_wr_max:int64 iops_wr_max_length:int64 is_shared:bool labels:[>Label] local_created_at:datetime local_id:str
        name:str namespace_group:>NamespaceGroup namespace_id:int32 nqn_whitelist:str nvmf_subsystem:>NvmfSubsystem
        replica_num:int32 shared_size:int64 snapshot_num:int32 stripe_num:int32 stripe_size:int64 thin_provision:bool
        unique_logical_size:double unique_size:int64 zbs_volume_id:str
    """,
    'NvmfSubsystem': """
        bps:int64 bps_max:int64 bps_max_length:int64 bps_rd:int64 bps_rd_max:int64 bps_rd_max_length:int64 bps_wr:int64
        bps_wr_max:int64 bps_wr_max_length:int64 cluster:>Cluster description:str entityAsyncStatus:@EntityAsyncStatus
        external_use:bool id:str internal:bool io_size:int64 iops:int64 iops_max:int64 iops_max_length:int64
        iops_rd:int64 iops_rd_max:int64 iops_rd_max_length:int64 iops_wr:int64 iops_wr_max:int64
        iops_wr_max_length:int64 ip_whitelist:str labels:[>Label] local_id:str name:str
        namespace_groups:[>NamespaceGroup] namespaces:[>NvmfNamespace] nqn_name:str nqn_whitelist:str
        policy:@NvmfSubsystemPolicyType replica_num:int32 stripe_num:int32 stripe_size:int64 thin_provision:bool
    """,
    'Organization': """
        datacenters:[>Datacenter] id:str name:str
    """,
    'PmemDimm': """
        capacity:int64 device_locator:str disk:>Disk health_status:@DiskHealthStatus host:>Host id:str local_id:str
        name:str numa_node:int32 part_number:str remaining_life_percent:int32 version:str
    """,
    'SecurityPolicyStatistics': """
        count_reset_timestamp:datetime count_update_timestamp:datetime id:str local_id:str match_allow_count:int32
        match_default_allow_count:int32 match_default_drop_count:int32 match_drop_count:int32
        match_whitelist_count:int32 total_count:int32
    """,
    'SecurityPolicy': """
        description:str everoute_cluster:>EverouteCluster id:str is_blocklist:bool name:str policy_mode:@PolicyMode
        statistics:>SecurityPolicyStatistics
    """,
    'SnapshotGroup': """
        cluster:>Cluster deleted:bool entityAsyncStatus:@EntityAsyncStatus estimated_recycling_time:datetime id:str
        internal:bool keep:bool local_created_at:datetime local_id:str logical_size_bytes:int64 name:str
        object_num:int32 snapshotPlanTask:>SnapshotPlanTask vm_snapshots:[>VmSnapshot]
    """,
    'SnapshotPlanTask': """
        cluster:>Cluster end_time:datetime entityAsyncStatus:@EntityAsyncStatus id:str internal:bool local_id:str
        snapshotGroup:>SnapshotGroup snapshotPlan:>SnapshotPlan start_time:datetime status:@SnapshotPlanExecuteStatus
        type:@SnapshotPlanTaskType
    """,
    'SnapshotPlan': """
        auto_delete_num:int32 auto_execute_num:int32 cluster:>Cluster description:str end_time:datetime
        entityAsyncStatus:@EntityAsyncStatus execute_plan_type:@SnapshotPlanExecuteType
        execution_tasks:[>SnapshotPlanTask] healthy:bool id:str last_execute_end_time:datetime
        last_execute_status:@SnapshotPlanExecuteStatus last_execute_time:datetime local_id:str logical_size_bytes:int64
        manual_delete_num:int32 manual_execute_num:int32 mirror:bool name:str next_execute_time:datetime
        object_num:int32 physical_size_bytes:int64 remain_snapshot_num:int32 snapshot_group_num:int32
        start_time:datetime status:@SnapshotPlanStatus vms:[>Vm]
    """,
    'SvtImage': """
        cluster:>Cluster entityAsyncStatus:@EntityAsyncStatus id:str local_created_at:datetime local_id:str name:str
        path:str size:int64 version:int32 vm_disks:[>VmDisk]
    """,
    'UsbDevice': """
        binded:bool description:str entityAsyncStatus:@EntityAsyncStatus host:>Host id:str local_created_at:datetime
        local_id:str manufacturer:str name:str size:int64 status:@UsbDeviceStatus usb_type:str vms:[>Vm]
    """,
    'UserRoleNext': """
        id:str name:str platform:@UserRolePlatform preset:@UserRolePreset users:[>User]
    """,
    'VcenterAccount': """
        cluster:>Cluster id:str ip:str is_valid:bool local_id:str port:int32 username:str
    """,
    'Vds': """
        bond_mode:str cluster:>Cluster entityAsyncStatus:@EntityAsyncStatus everoute_cluster:>EverouteCluster id:str
        internal:bool labels:[>Label] local_id:str name:str nics:[>Nic] ovsbr_name:str type:@NetworkType vlans:[>Vlan]
        vlans_num:int32 work_mode:str
    """,
    'VirtualPrivateCloudClusterBinding': """
        cluster:>Cluster entityAsyncStatus:@EntityAsyncStatus id:str mtu:int32 vds:>Vds vlan_id:int32
        vpc_service:>VirtualPrivateCloudService
    """,
    'VirtualPrivateCloudEdgeGatewayGroup': """
        description:str edge_gateways:[>VirtualPrivateCloudEdgeGateway] entityAsyncStatus:@EntityAsyncStatus id:str
        name:str primary_edge_gateway_id:str
    """,
    'VirtualPrivateCloudEdgeGateway': """
        description:str entityAsyncStatus:@EntityAsyncStatus id:str name:str vdses:[>Vds]
    """,
    'VirtualPrivateCloudExternalSubnetGroup': """
        description:str edge_gateway_group:>VirtualPrivateCloudEdgeGatewayGroup entityAsyncStatus:@EntityAsyncStatus
        exclusive:bool floating_ips:[>VirtualPrivateCloudFloatingIp] id:str local_id:str name:str
        nat_gateways:[>VirtualPrivateCloudNatGateway] router_gateways:[>VirtualPrivateCloudRouterGateway]
        shared_in_edge_gateway_group:bool vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudExternalSubnet': """
        cidr:str description:str edge_gateway:>VirtualPrivateCloudEdgeGateway entityAsyncStatus:@EntityAsyncStatus
        exclusive:bool floating_ip_cidr:str floating_ips:[>VirtualPrivateCloudFloatingIp] gateway:str id:str
        local_id:str name:str nat_gateway_cidr:str nat_gateways:[>VirtualPrivateCloudNatGateway] router_gateway_cidr:str
        router_gateways:[>VirtualPrivateCloudRouterGateway] vlan:>Vlan vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudFloatingIp': """
        entityAsyncStatus:@EntityAsyncStatus external_ip:str external_subnet:>VirtualPrivateCloudExternalSubnet
        external_subnet_group:>VirtualPrivateCloudExternalSubnetGroup id:str local_id:str vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudIsolationPolicy': """
        entityAsyncStatus:@EntityAsyncStatus id:str labels:[>Label] local_id:str
        mode:@VirtualPrivateCloudIsolationPolicyMode security_groups:[>VirtualPrivateCloudSecurityGroup] vm:>Vm
        vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudNatGateway': """
        enable_dnat:bool enable_snat:bool entityAsyncStatus:@EntityAsyncStatus external_ip:str
        external_subnet:>VirtualPrivateCloudExternalSubnet external_subnet_group:>VirtualPrivateCloudExternalSubnetGroup
        id:str local_id:str name:str vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudNicSnapshot': """
        floating_ip:>VirtualPrivateCloudFloatingIp id:str local_id:str mac_address:str vpc:>VirtualPrivateCloud
        vpc_nic:>VirtualPrivateCloudNic vpc_subnet:>VirtualPrivateCloudSubnet
    """,
    'VirtualPrivateCloudNic': """
        entityAsyncStatus:@EntityAsyncStatus floating_ip:>VirtualPrivateCloudFloatingIp id:str local_id:str
        snapshots:[>VirtualPrivateCloudNicSnapshot] vm_nic:>VmNic vpc:>VirtualPrivateCloud
        vpc_subnet:>VirtualPrivateCloudSubnet
    """,
    'VirtualPrivateCloudPeering': """
        dst_vpc:>VirtualPrivateCloud entityAsyncStatus:@EntityAsyncStatus id:str local_id:str name:str
        src_vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudRouteTable': """
        default_for_vpc:bool description:str entityAsyncStatus:@EntityAsyncStatus id:str local_id:str name:str
        routes:[>VirtualPrivateCloudRoute] subnets:[>VirtualPrivateCloudSubnet] vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudRoute': """
        description:str destination:str entityAsyncStatus:@EntityAsyncStatus id:str local_id:str
        nat_gateway:>VirtualPrivateCloudNatGateway next_hop_local_id:str
        next_hop_type:@VirtualPrivateCloudRouteNextHopType route_table:>VirtualPrivateCloudRouteTable
        router_gateway:>VirtualPrivateCloudRouterGateway vpc_peering:>VirtualPrivateCloudPeering
    """,
    'VirtualPrivateCloudRouterGateway': """
        associated_subnets:[>VirtualPrivateCloudSubnet] entityAsyncStatus:@EntityAsyncStatus external_ip:str
        external_subnet:>VirtualPrivateCloudExternalSubnet external_subnet_group:>VirtualPrivateCloudExternalSubnetGroup
        id:str local_id:str name:str nexthop_ip:str vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudSecurityGroup': """
        default_for_vpc:bool description:str entityAsyncStatus:@EntityAsyncStatus id:str local_id:str name:str vms:[>Vm]
        vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudSecurityPolicy': """
        description:str entityAsyncStatus:@EntityAsyncStatus id:str local_id:str name:str
        policy_mode:@VirtualPrivateCloudSecurityPolicyMode vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloudService': """
        cluster_bindings:[>VirtualPrivateCloudClusterBinding] edge_gateway_groups:[>VirtualPrivateCloudEdgeGatewayGroup]
        edge_gateways:[>VirtualPrivateCloudEdgeGateway] entityAsyncStatus:@EntityAsyncStatus
        everoute_cluster:>EverouteCluster external_subnets:[>VirtualPrivateCloudExternalSubnet] id:str internal_cidr:str
        phase:@EverouteClusterPhase vpcs:[>VirtualPrivateCloud]
    """,
    'VirtualPrivateCloudSubnet': """
        cidr:str description:str entityAsyncStatus:@EntityAsyncStatus gateway:str id:str local_id:str name:str
        route_table:>VirtualPrivateCloudRouteTable total_ip_count:int32 unused_ip_count:int32 vpc:>VirtualPrivateCloud
    """,
    'VirtualPrivateCloud': """
        associate_external_subnet_num:int32 description:str entityAsyncStatus:@EntityAsyncStatus id:str
        isolation_policies:[>VirtualPrivateCloudIsolationPolicy] local_id:str mtu:int32 name:str
        route_tables:[>VirtualPrivateCloudRouteTable] security_groups:[>VirtualPrivateCloudSecurityGroup]
        security_policies:[>VirtualPrivateCloudSecurityPolicy] subnets:[>VirtualPrivateCloudSubnet]
        vpc_service:>VirtualPrivateCloudService
    """,
    'Vlan': """
        entityAsyncStatus:@EntityAsyncStatus gateway_ip:str gateway_subnetmask:str id:str labels:[>Label] local_id:str
        mode_type:@VlanModeType name:str qos_burst:double qos_max_bandwidth:double qos_min_bandwidth:double
        qos_priority:int32 subnetmask:str type:@NetworkType vds:>Vds vlan_id:int32 vm_nics:[>VmNic]
    """,
    'VmDisk': """
        boot:int32 bus:@Bus cloud_init_image_name:str cloud_init_image_path:str device:str disabled:bool
        elf_image:>ElfImage id:str key:int32 max_bandwidth:int64 max_bandwidth_policy:@VmDiskIoRestrictType
        max_iops:int32 max_iops_policy:@VmDiskIoRestrictType serial:str svt_image:>SvtImage type:@VmDiskType
        unsafe_image_path:str unsafe_image_uuid:str unsafe_provision:str vm:>Vm vm_volume:>VmVolume
    """,
    'VmEntityFilterResult': """
        entityFilter:>EntityFilter id:str vm:>Vm
    """,
    'VmFolder': """
        cluster:>Cluster id:str local_id:str name:str vm_num:int32 vms:[>Vm]
    """,
    'VmNic': """
        egress_rate_limit_burst_in_bit:double egress_rate_limit_enabled:bool egress_rate_limit_max_rate_in_bitps:double
        enabled:bool gateway:str id:str ingress_rate_limit_burst_in_bit:double ingress_rate_limit_enabled:bool
        ingress_rate_limit_max_rate_in_bitps:double interface_id:str ip_address:str local_id:str mac_address:str
        mirror:bool model:@VmNicModel nic:>Nic order:int32 subnet_mask:str type:@VmNicType vlan:>Vlan vm:>Vm
        vpc_nic:>VirtualPrivateCloudNic
    """,
    'VmPlacementGroup': """
        cluster:>Cluster description:str enabled:bool entityAsyncStatus:@EntityAsyncStatus id:str
        local_created_at:datetime local_id:str local_updated_at:datetime name:str vm_host_must_enabled:bool
        vm_host_must_host_uuids:[>Host] vm_host_must_policy:bool vm_host_prefer_enabled:bool
        vm_host_prefer_host_uuids:[>Host] vm_host_prefer_policy:bool vm_vm_policy:@VmVmPolicy vm_vm_policy_enabled:bool
        vms:[>Vm]
    """,
    'VmSnapshot': """
        clock_offset:@VmClockOffset cluster:>Cluster consistent_type:@ConsistentType cpu_model:str description:str
        entityAsyncStatus:@EntityAsyncStatus firmware:@VmFirmware ha:bool id:str io_policy:@VmDiskIoPolicy
        labels:[>Label] local_created_at:datetime local_id:str max_bandwidth:int64
        max_bandwidth_policy:@VmDiskIoRestrictType max_iops:int32 max_iops_policy:@VmDiskIoRestrictType memory:int64
        name:str size:int64 snapshot_group:>SnapshotGroup vcpu:int32 vm:>Vm win_opt:bool
    """,
    'VmTemplate': """
        clock_offset:@VmClockOffset cloud_init_supported:bool cluster:>Cluster
        content_library_vm_template:>ContentLibraryVmTemplate cpu_model:str description:str
        entityAsyncStatus:@EntityAsyncStatus firmware:@VmFirmware ha:bool id:str io_policy:@VmDiskIoPolicy
        labels:[>Label] local_created_at:datetime local_id:str max_bandwidth:int64
        max_bandwidth_policy:@VmDiskIoRestrictType max_iops:int32 max_iops_policy:@VmDiskIoRestrictType memory:int64
        name:str size:int64 vcpu:int32 video_type:str win_opt:bool
    """,
    'VmVolumeSnapshot': """
        cluster:>Cluster createAt:datetime description:str elf_storage_policy:@VmVolumeElfStoragePolicyType
        entityAsyncStatus:@EntityAsyncStatus id:str labels:[>Label] local_created_at:datetime local_id:str name:str
        shared_size:double size:double type:@VmVolumeSnapshotType unique_size:double vm_volume:>VmVolume
        volume_sharing:bool volume_size:double zbs_snapshot_uuid:str
    """,
    'VmVolume': """
        cluster:>Cluster description:str elf_storage_policy:@VmVolumeElfStoragePolicyType
        entityAsyncStatus:@EntityAsyncStatus guest_size_usage:double guest_used_size:int64 id:str labels:[>Label]
        local_created_at:datetime local_id:str lun:>IscsiLun mounting:bool name:str path:str sharing:bool size:int64
        type:@VmVolumeType unique_logical_size:double unique_size:int64 used_size:int64 used_size_usage:double
        vm_disks:[>VmDisk]
    """,
    'VnetBond': """
        bond_for_client:bool bond_for_server:bool entityAsyncStatus:@EntityAsyncStatus id:str
        load_balancer_service:>LoadBalancerService local_id:str name:str namespace:str vlan:>Vlan
    """,
    'VsphereEsxiAccount': """
        host:>Host id:str ip:str is_valid:bool local_id:str port:int32 username:str
    """,
    'Witness': """
        cluster:>Cluster cpu_hz_per_core:int64 data_ip:str id:str local_id:str management_ip:str name:str
        system_data_capacity:int64 system_used_data_space:int64 total_cpu_cores:int32 total_cpu_hz:int64
        total_memory_bytes:int64
    """,
    'Zone': """
        cluster:>Cluster datacenter:>Datacenter failure_data_space:int64 host_num:int32 hosts:[>Host] id:str
        is_preferred:bool local_id:str provisioned_cpu_cores:int32 provisioned_cpu_cores_for_active_vm:int32
        provisioned_data_space:int64 provisioned_memory_bytes:int64 running_vm_num:int32 stopped_vm_num:int32
        suspended_vm_num:int32 total_cache_capacity:int64 total_cpu_cores:int32 total_cpu_hz:int64
        total_data_capacity:int64 total_memory_bytes:int64 used_data_space:int64 valid_data_space:int64 vm_num:int32
    """,
}
FILTER_ENUMS = {
    'ApplicationState': 'DEPLOYED DEPLOYING DEPLOY_ERROR EDITING NOT_DEPLOYED STOPPED STOPPING STOP_ERROR UPGRADING',
    'ApplicationType': 'MONITOR',
    'Architecture': 'AARCH64 X86_64',
    'BackupExecutionMethod': 'AUTO MANUAL',
    'BackupExecutionStatus': 'ABORTED FAILED INITIALIZING PAUSED PENDING RUNNING SUCCESS',
    'BackupExecutionType': 'FULL INCREMENTAL',
    'BackupPlanDelayOption': 'KEEP_GO_ON STOP_BACKUP',
    'BackupPlanDeleteStrategy': 'DELETE_RESTORE_POINT KEEP_RESTORE_POINT',
    'BackupPlanExecutionState': 'FAILED PARTLY_FAILED PAUSED PAUSING RUNNING STARTING SUCCEED',
    'BackupPlanExecutionStatus': 'FAILED NEVER_EXECUTE PARTIAL_SUCCESS PAUSED RUNNING SUCCESS WAITING_EXECUTE',
    'BackupPlanKeepPolicy': 'COUNT FOREVER TIME',
    'BackupPlanPeriod': 'DAILY HOURLY MINUTELY MONTHLY WEEKLY YEARLY',
    'BackupPlanPhase': 'INVALID PAUSED SCHEDULING STOPPED VALIDATING WAITING_SCHEDULE',
    'BackupPlanStatus': 'PAUSED STOPPED WORKING',
    'BackupRestoreExecutionMode': 'INPLACE REBUILD',
    'BackupRestorePointCreation': 'AUTO FAILBACK FAILOVER FAILOVER_TEST MANUAL',
    'BackupRestorePointType': 'FULL INCREMENTAL',
    'BackupServiceNetworkType': 'MANAGEMENT NEW_NIC STORAGE',
    'BackupServiceStatus': 'ERROR INITIALIZING INSTALLING INSTALL_FAILED RUNNING TERMINATE_FAILED TERMINATING UPGRADE_FAILED UPGRADING',
    'BackupStoreStatus': 'CONNECTED CONNECTING DISABLED ERROR INIT INIT_ERROR',
    'BackupStoreType': 'ISCSI NFS3 NFS4',
    'Bus': 'IDE SCSI USB VIRTIO',
    'CloudTowerApplicationState': 'CONFIGURE_FAILED CONFIGURING ERROR INSTALLING INSTALL_FAILED RUNNING SCALE_FAILED SCALING TERMINATE_FAILED TERMINATING UPGRADE_FAILED UPGRADING',
    'ConsistentType': 'CRASH_CONSISTENT FILE_SYSTEM_CONSISTENT',
    'DiskFunction': 'BOOT CACHE DATA SMTX_SYSTEM UNMOUNT',
    'DiskHealthStatus': 'HEALTHY SMART_FAILED SOFTWARE_RAID_FAILURE SUBHEALTHY UNHEALTHY',
    'DiskType': 'HDD NVMe_SSD PMem SATA_OR_SAS_SSD SSD',
    'DiskUsage': 'BOOT CACHE CACHE_AND_META DATA DATA_AND_META',
    'DiskUsageStatus': 'ISOLATED MOUNTED MOUNTING PARTIAL_MOUNTED UNMOUNTED UNMOUNTING',
    'EntityAsyncStatus': 'CREATING DELETING UPDATING',
    'EntityType': 'VM',
    'EverouteClusterPhase': 'Associated Failed Init Running Terminating Updating Upgrading',
    'FilterStatus': 'EXECUTING FAILED INITIALIZING PARTIAL_SUCCESSED SUCCESSED',
    'GlobalPolicyAction': 'ALLOW DROP',
    'GpuDeviceStatus': 'NEED_REBOOT NOT_READY READY',
    'GpuDeviceUsage': 'PASS_THROUGH VGPU',
    'IommuStatus': 'DISABLE ENABLE NEED_REBOOT',
    'IsolationMode': 'ALL PARTIAL',
    'NetworkType': 'ACCESS MANAGEMENT MIGRATION STORAGE STORAGE_ACCESS VM VPC_SYS VPC_VM',
    'NicDriverState': 'NEED_REBOOT NOT_READY NO_DRIVER READY',
    'NicUserUsage': 'DEFAULT PASS_THROUGH SRIOV',
    'NvmfSubsystemPolicyType': 'BALANCE INHERIT',
    'PolicyMode': 'MONITOR WORK',
    'SnapshotPlanExecuteStatus': 'CREATED FAILED IN_PROGRESS SUCCEED UNSPECIFIED',
    'SnapshotPlanExecuteType': 'DAY HOUR MINUTE MONTH WEEK',
    'SnapshotPlanStatus': 'NORMAL STOPPED SUSPENDED',
    'SnapshotPlanTaskType': 'TASK_TYPE_CLONE TASK_TYPE_PROTECT TASK_TYPE_ROLLBACK',
    'UsbDeviceStatus': 'EJECTED NORMAL',
    'UserRolePlatform': 'MANAGEMENT SELF_SERVICE',
    'UserRolePreset': 'ADMIN AUDITOR READ_ONLY ROOT USER_ADMIN VM_USER WORKLOAD_CLUSTER_USER',
    'VirtualPrivateCloudIsolationPolicyMode': 'ALL PARTIAL',
    'VirtualPrivateCloudRouteNextHopType': 'NAT_GATEWAY ROUTER_GATEWAY UNKNOWN VPC_PEERING',
    'VirtualPrivateCloudSecurityPolicyMode': 'MONITOR WORK',
    'VlanModeType': 'GENEVE VLAN_ACCESS VLAN_TRUNK VXLAN',
    'VmClockOffset': 'LOCALTIME UTC',
    'VmDiskIoPolicy': 'RESTRICT_EACH_DISK RESTRICT_WHOLE_VM',
    'VmDiskIoRestrictType': 'DYNAMIC FORCED',
    'VmDiskType': 'CD_ROM DISK',
    'VmFirmware': 'BIOS UEFI',
    'VmNicModel': 'E1000 SRIOV VIRTIO',
    'VmNicType': 'VLAN VPC',
    'VmVmPolicy': 'MUST_DIFFERENT MUST_SAME PREFER_DIFFERENT PREFER_SAME',
    'VmVolumeElfStoragePolicyType': 'EC ELF_CP_REPLICA_2_THICK_PROVISION ELF_CP_REPLICA_2_THIN_PROVISION ELF_CP_REPLICA_3_THICK_PROVISION ELF_CP_REPLICA_3_THIN_PROVISION REPLICA_1_THICK_PROVISION REPLICA_1_THIN_PROVISION REPLICA_2_THICK_PROVISION REPLICA_2_THIN_PROVISION REPLICA_3_THICK_PROVISION REPLICA_3_THIN_PROVISION',
    'VmVolumeSnapshotType': 'KVM_VOLUME_ISCSI_SNAPSHOT KVM_VOLUME_SNAPSHOT',
    'VmVolumeType': 'KVM_VOLUME KVM_VOLUME_ISCSI',
}
