"""The official Python SDK (cloudtower-sdk) works unchanged against the simulator on a real port,
with client-side validation left on (its default)."""

import gc

import pytest
from cloudtower import ApiClient, Configuration
from cloudtower.api import ApiInfoApi, ClusterApi, HostApi, TaskApi, VmApi
from cloudtower.exceptions import ApiException, UnauthorizedException
from cloudtower.models import (GetClustersRequestBody, GetHostsRequestBody, GetTasksRequestBody,
                               GetVmsConnectionRequestBody, GetVmsRequestBody, HostWhereInput, TaskWhereInput,
                               VmStartParams, VmWhereInput)
from cloudtower.utils import login, wait_task

HOSTS = ["node-1", "node-2", "node-3", "node-4"]


@pytest.fixture
def connect(served):
    """connect(token=None) -> an ApiClient on a fresh served simulator."""
    clients = []

    def make(token=None):
        client = ApiClient(Configuration(host=served().base_url))
        assert client.configuration.client_side_validation  # the default, left on
        if token:
            client.configuration.api_key["Authorization"] = token
        clients.append(client)
        return client

    yield make
    gc.collect()  # an ApiException caught by pytest.raises holds its response (and socket) in a cycle
    for client in clients:  # drop keep-alive connections, or the server thread lingers on close
        client.last_response = None
        client.rest_client.pool_manager.clear()
        client.close()


@pytest.fixture
def sdk(connect):
    client = connect()
    login(client, "root", "HC!r0cks")
    return client


@pytest.fixture
def all_vms(sdk):
    return VmApi(sdk).get_vms(GetVmsRequestBody())


def names(items):
    return sorted(x.name for x in items)


def test_login_sets_a_token(sdk):
    token = sdk.configuration.api_key["Authorization"]
    assert isinstance(token, str) and token and not token.startswith("Bearer")


def test_clusters(sdk):
    clusters = ClusterApi(sdk).get_clusters(GetClustersRequestBody())
    assert [c.name for c in clusters] == ["smtx-prod"]
    assert clusters[0].type == "SMTX_OS" and clusters[0].ip == "10.10.0.10"
    assert ClusterApi(sdk).get_clusters_connection({}).aggregate.count == 1


def test_hosts(sdk):
    hosts = HostApi(sdk).get_hosts(GetHostsRequestBody())
    assert names(hosts) == HOSTS
    assert {h.cluster.name for h in hosts} == {"smtx-prod"}
    assert {h.name: h.management_ip for h in hosts}["node-3"] == "10.10.0.13"
    assert HostApi(sdk).get_hosts_connection({}).aggregate.count == 4


def test_vms(sdk, all_vms):
    assert len(all_vms) == 18
    assert len({v.id for v in all_vms}) == 18
    assert VmApi(sdk).get_vms_connection(GetVmsConnectionRequestBody()).aggregate.count == 18
    by_name = {v.name: v for v in all_vms}
    lic = by_name["license-server"]
    assert lic.host.name == "node-1"
    assert [d.name for d in lic.usb_devices] == ["SafeNet Sentinel HASP HL"]
    assert by_name["template-builder"].host is None and by_name["template-builder"].status == "STOPPED"
    assert by_name["db-01"].memory == 96 * 2**30 and by_name["db-01"].vcpu == 16


def test_tasks(sdk):
    tasks = TaskApi(sdk)
    assert tasks.get_tasks({}) == []  # the default scenario starts with no tasks
    assert tasks.get_tasks(GetTasksRequestBody(where=TaskWhereInput(status="SUCCESSED"),
                                               order_by="local_created_at_DESC", first=5)) == []
    assert tasks.get_tasks_connection({}).aggregate.count == 0


def test_start_vm_and_wait_task(sdk, all_vms):
    tasks = TaskApi(sdk)
    vm = next(v for v in all_vms if v.name == "test-01")
    [started] = VmApi(sdk).start_vm(VmStartParams(where=VmWhereInput(id=vm.id)))
    assert started.task_id and started.data.id == vm.id
    wait_task(started.task_id, sdk, interval=0.1, timeout=10)

    [task] = tasks.get_tasks(GetTasksRequestBody(where=TaskWhereInput(id=started.task_id)))
    assert task.status == "SUCCESSED"
    assert tasks.get_tasks_connection({}).aggregate.count == 1
    [after] = VmApi(sdk).get_vms({"where": {"id": vm.id}})
    assert after.status == "RUNNING"


def test_filter_by_id_in(sdk, all_vms):
    wanted = [all_vms[1].id, all_vms[5].id, all_vms[-1].id]
    got = VmApi(sdk).get_vms(GetVmsRequestBody(where=VmWhereInput(id_in=wanted)))
    assert sorted(v.id for v in got) == sorted(wanted)


def test_filter_by_name_contains(sdk, all_vms):
    got = VmApi(sdk).get_vms(GetVmsRequestBody(where=VmWhereInput(name_contains="web")))
    assert names(got) == names(v for v in all_vms if "web" in v.name)
    assert len(got) == 3


def test_filter_by_status(sdk, all_vms):
    for status in ("RUNNING", "STOPPED", "SUSPENDED"):
        got = VmApi(sdk).get_vms(GetVmsRequestBody(where=VmWhereInput(status=status)))
        expected = [v for v in all_vms if v.status == status]
        assert expected and names(got) == names(expected)
    counted = VmApi(sdk).get_vms_connection({"where": {"status": "SUSPENDED"}}).aggregate.count
    assert counted == 2


def test_filter_by_host(sdk, all_vms):
    for host in HostApi(sdk).get_hosts({}):
        got = VmApi(sdk).get_vms(GetVmsRequestBody(where=VmWhereInput(host=HostWhereInput(id=host.id))))
        expected = [v for v in all_vms if v.host is not None and v.host.id == host.id]
        assert expected and names(got) == names(expected)


def test_wrong_password_is_400(connect):
    client = connect()
    with pytest.raises(ApiException) as e:
        login(client, "root", "wrong-password")
    assert e.value.status == 400
    assert "Authorization" not in client.configuration.api_key


def test_bad_token_is_401(connect):
    with pytest.raises(UnauthorizedException) as e:
        VmApi(connect("not-a-real-token")).get_vms({})
    assert e.value.status == 401


def test_api_version_needs_no_login(connect):
    version = ApiInfoApi(connect()).get_api_version()
    assert isinstance(version, str) and version


def test_create_a_vm_with_a_disk_a_cd_rom_and_a_nic_as_the_sdk_readme_does(sdk):
    """The SDK README's create-vm (new volume, CD-ROM, NIC on a VLAN), then its disks and NICs read back typed."""
    from cloudtower.api import ElfImageApi, VlanApi, VmDiskApi, VmNicApi, VmVolumeApi
    from cloudtower.models import (Bus, GetElfImagesRequestBody, GetVlansRequestBody, GetVmDisksRequestBody,
                                   GetVmNicsRequestBody, GetVmVolumesRequestBody, MountNewCreateDisksParams,
                                   MountNewCreateDisksParamsVmVolume, VmCdRomParams, VmCreationParams,
                                   VmDiskParams, VmNicParams, VmVolumeElfStoragePolicyType)

    cluster = ClusterApi(sdk).get_clusters(GetClustersRequestBody())[0]
    vlan = VlanApi(sdk).get_vlans(GetVlansRequestBody(where={"name": "default"}))[0]
    image = ElfImageApi(sdk).get_elf_images(GetElfImagesRequestBody())[0]
    [created] = VmApi(sdk).create_vm([VmCreationParams(
        cluster_id=cluster.id, name="sdk-vm", ha=True, cpu_cores=2, cpu_sockets=1, memory=2 * 1024**3, vcpu=2,
        status="STOPPED", firmware="BIOS",
        vm_nics=[VmNicParams(connect_vlan_id=vlan.id)],
        vm_disks=VmDiskParams(
            mount_cd_roms=[VmCdRomParams(boot=1, elf_image_id=image.id)],
            mount_new_create_disks=[MountNewCreateDisksParams(
                vm_volume=MountNewCreateDisksParamsVmVolume(
                    # the SDK names REPLICA_2_THIN_PROVISION `_2_THIN_PROVISION` (its enum generator drops "REPLICA")
                    elf_storage_policy=VmVolumeElfStoragePolicyType._2_THIN_PROVISION, size=10 * 1024**3,
                    name="sdk-vm-sys"),
                boot=0, bus=Bus.VIRTIO)]))])
    wait_task(created.task_id, sdk)
    disks = VmDiskApi(sdk).get_vm_disks(GetVmDisksRequestBody(where={"vm": {"id": created.data.id}},
                                                             order_by="boot_ASC"))
    assert [(d.type, d.boot) for d in disks] == [("DISK", 0), ("CD_ROM", 1)]
    assert disks[1].elf_image.id == image.id
    [volume] = VmVolumeApi(sdk).get_vm_volumes(GetVmVolumesRequestBody(where={"id": disks[0].vm_volume.id}))
    assert volume.size == 10 * 1024**3 and volume.mounting is True
    [nic] = VmNicApi(sdk).get_vm_nics(GetVmNicsRequestBody(where={"vm": {"id": created.data.id}}))
    assert nic.vlan.id == vlan.id and nic.mac_address
    [vm] = VmApi(sdk).get_vms(GetVmsRequestBody(where=VmWhereInput(id=created.data.id)))
    assert {d.id for d in vm.vm_disks} == {d.id for d in disks} and [n.id for n in vm.vm_nics] == [nic.id]


def test_gpus_the_way_capes_calls_go_through_the_sdk(sdk):
    """SmartX's Cluster API provider: find vGPU capacity on hosts, give a stopped VM vGPUs, read what it holds, start
    it, and read a failed start's error code; every answer deserialized by the SDK."""
    from cloudtower.api import GpuDeviceApi
    from cloudtower.exceptions import ApiException as Refused

    vms, gpus = VmApi(sdk), GpuDeviceApi(sdk)
    node3 = HostApi(sdk).get_hosts(GetHostsRequestBody(where=HostWhereInput(name="node-3")))[0]
    [a16] = gpus.get_detail_vm_info_by_gpu_devices({"where": {"user_usage": "VGPU", "available_vgpus_num_gt": 0,
                                                              "host": {"id_in": [node3.id]}}})
    assert (a16.user_vgpu_type_name, a16.available_vgpus_num, a16.vms) == ("NVIDIA A16-2Q", 8, [])
    for name, amount in (("web-03", 6), ("analytics-01", 4)):
        wait_task(vms.poweroff_vm({"where": {"name": name}})[0].task_id, sdk)
        wait_task(vms.update_vm({"where": {"name": name}, "data": {"ha": False}})[0].task_id, sdk)
        wait_task(vms.add_vm_gpu_device({"where": {"name": name}, "data": [{"gpu_id": a16.id, "amount": amount}]})[0]
                  .task_id, sdk)
    web03 = vms.get_vms(GetVmsRequestBody(where=VmWhereInput(name="web-03")))[0]
    [info] = vms.get_vm_gpu_device_info({"where": {"OR": [{"local_id": web03.id}, {"id": web03.id}]}})
    assert [(g.id, g.vgpu_instance_on_vm_num) for g in info.gpu_devices] == [(a16.id, 6)]
    wait_task(vms.start_vm(VmStartParams(where=VmWhereInput(name="web-03")))[0].task_id, sdk)
    started = vms.start_vm(VmStartParams(where=VmWhereInput(name="analytics-01")))[0]
    with pytest.raises(Exception):
        wait_task(started.task_id, sdk)
    [task] = TaskApi(sdk).get_tasks(GetTasksRequestBody(where=TaskWhereInput(id=started.task_id)))
    assert "PRECHECK_REQUEST_VGPU_COUNT_MORE_THAN_AVAILABLE" in task.error_message
    with pytest.raises(Refused) as refused:  # GPUs come off a stopped VM only
        vms.remove_vm_gpu_device({"where": {"name": "web-03"}, "data": [{"gpu_id": a16.id, "amount": 6}]})
    assert refused.value.status == 400 and "STOPPED" in refused.value.body


def test_a_vds_is_created_updated_and_deleted_through_the_sdk(sdk):
    from cloudtower.api import NicApi, VdsApi

    cluster = ClusterApi(sdk).get_clusters(GetClustersRequestBody())[0]
    free = NicApi(sdk).get_nics({"where": {"name": "eth4", "vds": None}})
    [made] = VdsApi(sdk).create_vds([{"cluster_id": cluster.id, "name": "sdk-vds", "nic_ids": [n.id for n in free]}])
    wait_task(made.task_id, sdk)
    wait_task(VdsApi(sdk).update_vds({"where": {"id": made.data.id}, "data": {"name": "sdk-vds-2"}})[0].task_id, sdk)
    [vds] = VdsApi(sdk).get_vdses({"where": {"id": made.data.id}})
    assert vds.name == "sdk-vds-2" and sorted(n.id for n in vds.nics) == sorted(n.id for n in free)
    [gone] = VdsApi(sdk).delete_vds({"where": {"id": vds.id}})
    wait_task(gone.task_id, sdk)
    assert gone.data.id == vds.id and VdsApi(sdk).get_vdses({"where": {"id": vds.id}}) == []


def test_a_cluster_is_connected_updated_and_removed_through_the_sdk_as_the_terraform_provider_does(sdk):
    """The provider's cluster resource (resource_cluster.go) through the SDK: its models validate what is answered,
    and wait_task raises on the failed login."""
    from cloudtower.api import DatacenterApi

    clusters = ClusterApi(sdk)
    [made] = clusters.connect_cluster([{"ip": "10.20.0.10", "username": "admin", "password": "edge-pass",
                                        "datacenter_id": ""}])
    assert made.data.connect_state == "INITIALIZING"
    wait_task(made.task_id, sdk)
    [edge] = clusters.get_clusters({"where": {"id": made.data.id}})
    assert (edge.name, edge.connect_state, edge.host_num) == ("smtx-edge", "CONNECTED", 3)
    dc = DatacenterApi(sdk).get_datacenters({"where": {"name": "dc-1"}})[0]
    wait_task(clusters.update_cluster({"where": {"id": edge.id}, "data": {
        "ip": "10.20.0.10", "username": "admin", "password": "edge-pass", "datacenter_id": dc.id}})[0].task_id, sdk)
    assert [d.name for d in clusters.get_clusters({"where": {"id": edge.id}})[0].datacenters] == ["dc-1"]
    [refused] = clusters.update_cluster({"where": {"id": edge.id}, "data": {"password": "wrong"}})
    with pytest.raises(Exception, match="401"):
        wait_task(refused.task_id, sdk)
    [gone] = clusters.delete_cluster({"where": {"id": edge.id}})
    wait_task(gone.task_id, sdk)
    assert gone.data.id == edge.id and clusters.get_clusters({"where": {"id": edge.id}}) == []
