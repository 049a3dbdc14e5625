"""Kubernetes machines as SmartX's Cluster API provider (CAPE) makes them (issue 30): its requests, exactly as it sends
them (../shared/reference/cape.md), answered as a real tower answers them."""

from __future__ import annotations

import ipaddress
import re

import pytest

from cloudtower_sim.mock_server.domain.guest import GUEST_BOOT_SECONDS
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, TOKEN, Api, GiB, capes_params, make_client

BYPASS = {"x-bypass-whitelist": "true"}  # on every request CAPE sends


@pytest.fixture
def cape():
    api = Api(make_client())
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    return api, template, cluster, vlan


def create(api, params) -> tuple[int, object]:
    r = api.client.post("/v2/api/create-vm-from-content-library-template", json=[params],
                        headers={"Authorization": TOKEN, **BYPASS})
    return r.status_code, r.get_json()


# --- item 3: unset means unset ---------------------------------------------------------------------------------------

def test_an_unpinned_mac_is_made_and_each_nic_gets_its_own(cape):
    api, template, cluster, vlan = cape
    nic = {"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"], "mac_address": ""}
    status, answer = create(api, capes_params(template, cluster, "sks-mac", vlan, vm_nics=[nic, dict(nic)]))
    assert status == 200, answer
    api.done(answer)
    macs = [n["mac_address"] for n in api.ok("get-vm-nics", {"where": {"vm": {"name": "sks-mac"}},
                                                               "orderBy": "order_ASC"})]
    assert len(macs) == 2 and len(set(macs)) == 2 and all(re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", m) for m in macs)


def test_a_nic_edit_leaves_an_empty_mac_as_it_was_and_names_its_own_fields(cape):
    api, *_ = cape
    [nic] = api.ok("get-vm-nics", {"where": {"vm": {"name": "test-01"}}})
    where = {"where": {"name": "test-01"}}
    api.done(api.ok("update-vm-nic", {**where, "data": {"nic_index": 0, "mac_address": "", "enabled": True}}))
    assert api.one("vm-nics", {"id": nic["id"]})["mac_address"] == nic["mac_address"]
    status, data, _ = api("update-vm-nic", {**where, "data": {"nic_index": 0, "mac_address": "52:54"}})
    assert status == 400 and data["message"].startswith("data.mac_address:"), data
    status, data, _ = api("update-vm-nic", {**where, "data": {"nic_index": 0, "connect_vlan_id": "no-such-vlan"}})
    assert status == 404 and data["message"].startswith("data.connect_vlan_id:") and "vm_nics" not in data["message"]


def test_an_owner_names_a_user_and_an_unknown_one_is_refused_naming_it(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, capes_params(template, cluster, "sks-owned", vlan,
                                              owner={"search_for": "username", "value": "root"}))
    assert status == 200, answer
    before = len(api.ok("get-vms"))
    status, answer = create(api, capes_params(template, cluster, "sks-orphan", vlan,
                                              owner={"search_for": "username", "value": "nobody"}))
    assert status == 404 and "owner" in answer["message"] and "nobody" in answer["message"], answer
    assert len(api.ok("get-vms")) == before


def test_auto_schedule_and_no_gpus_are_what_they_say(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, capes_params(template, cluster, "sks-auto", vlan, status="RUNNING"))
    assert status == 200, answer
    api.done(answer)
    vm = api.vm("sks-auto")
    assert vm["status"] == "RUNNING" and vm["host"] is not None and vm["gpu_devices"] == []


# --- item 1: a guest inside each VM ----------------------------------------------------------------------------------

def _two_nics(template, cluster, name, vlan, gateway="10.0.0.1", **more):
    """CAPE's body with two NICs: the first static through cloud-init, the second DHCP."""
    nic = {"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"], "mac_address": ""}
    params = capes_params(template, cluster, name, vlan, vm_nics=[nic, dict(nic)], **more)
    params["cloud_init"]["networks"] = [
        {"nic_index": 0, "type": "IPV4", "ip_address": "10.0.0.51", "netmask": "255.255.255.0",
         "routes": [{"gateway": gateway, "netmask": "0.0.0.0", "network": "0.0.0.0"}]},
        {"nic_index": 1, "type": "IPV4_DHCP"}]
    return params


def nics_of(api, name):
    return api.ok("get-vm-nics", {"where": {"vm": {"name": name}}, "orderBy": "order_ASC"})


def test_a_machines_addresses_come_once_its_guest_has_booted_and_go_when_it_stops():
    api = Api(make_client(Settings(task_mode="manual", start_time=PINNED_START)))
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    [made] = api.ok("create-vm-from-content-library-template", [_two_nics(template, cluster, "sks-ip", vlan)])
    api.clock(advance=60)
    assert api.task(made["task_id"])["status"] == "SUCCESSED"
    vm = api.vm("sks-ip")
    assert vm["cloud_init_supported"] is True and vm["vm_tools_status"] == "NOT_RUNNING" and vm["ips"] == ""
    [started] = api.ok("start-vm", {"where": {"id": vm["id"]}})
    api.clock(advance=10)
    assert api.task(started["task_id"])["status"] == "SUCCESSED"
    assert api.vm("sks-ip")["status"] == "RUNNING" and [n["ip_address"] for n in nics_of(api, "sks-ip")] == [None, None]
    api.clock(advance=GUEST_BOOT_SECONDS)
    static, dhcp = nics_of(api, "sks-ip")
    assert (static["ip_address"], static["subnet_mask"], static["gateway"]) == ("10.0.0.51", "255.255.255.0",
                                                                                "10.0.0.1")
    assert ipaddress.IPv4Address(dhcp["ip_address"]) in ipaddress.IPv4Network("10.100.0.0/16")
    assert (dhcp["subnet_mask"], dhcp["gateway"]) == ("255.255.0.0", "10.100.0.1") == (vlan["subnetmask"],
                                                                                       vlan["gateway_ip"])
    vm = api.vm("sks-ip")
    assert vm["vm_tools_status"] == "RUNNING" and vm["hostname"] == "sks-ip"
    assert vm["ips"] == f"10.0.0.51,{dhcp['ip_address']}" and vm["dns_servers"] == "10.0.0.2"
    api.ok("poweroff-vm", {"where": {"id": vm["id"]}})
    api.clock(advance=10)
    assert [n["ip_address"] for n in nics_of(api, "sks-ip")] == [None, None] and api.vm("sks-ip")["ips"] == ""
    assert api.vm("sks-ip")["hostname"] is None


def test_dhcp_leases_are_unique_on_a_vlan_and_a_stopped_guests_lease_is_free_again(cape):
    api, template, cluster, vlan = cape
    for name in ("sks-a", "sks-b"):
        assert create(api, _two_nics(template, cluster, name, vlan, status="RUNNING"))[0] == 200
    leases = {name: nics_of(api, name)[1]["ip_address"] for name in ("sks-a", "sks-b")}
    assert None not in leases.values() and len(set(leases.values())) == 2, leases
    leased = api.client.sim.world.vlans[vlan["id"]].leases
    assert {n.lease for n in leased.values()} >= set(leases.values())
    api.done(api.ok("poweroff-vm", {"where": {"name": "sks-a"}}))
    assert leases["sks-a"] not in {n.lease for n in leased.values()}  # free again
    assert create(api, _two_nics(template, cluster, "sks-c", vlan, status="RUNNING"))[0] == 200
    assert nics_of(api, "sks-c")[1]["ip_address"] not in (None, leases["sks-b"])


def test_a_vm_created_blank_has_no_vmtools_and_reports_no_address(cape):
    api, template, cluster, vlan = cape
    api.done(api.ok("create-vm", [{"cluster_id": cluster["id"], "name": "blank", "memory": GiB, "cpu_cores": 1,
                                   "cpu_sockets": 1, "ha": False, "firmware": "BIOS", "status": "RUNNING",
                                   "vm_nics": [{"connect_vlan_id": vlan["id"]}], "vm_disks": {}}]))
    vm = api.vm("blank")
    assert (vm["status"], vm["vm_tools_status"], vm["ips"]) == ("RUNNING", "NOT_INSTALLED", "")
    assert nics_of(api, "blank")[0]["ip_address"] is None


def test_a_gateway_outside_its_subnet_fails_the_create_with_the_towers_words(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, _two_nics(template, cluster, "sks-gw", vlan, gateway="192.168.31.215"))
    assert status == 200, answer
    task = api.task(answer[0]["task_id"])
    assert task["status"] == "FAILED" and task["error_code"] == "VM_CLOUD_INIT_CONFIG_ERROR"
    assert "[VM_CLOUD_INIT_CONFIG_ERROR]The gateway [192.168.31.215] is unreachable." in task["error_message"]


@pytest.mark.parametrize("change,named", [
    (lambda ci: ci.update(nameservers=["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]), "cloud_init.nameservers"),
    (lambda ci: ci["networks"][0].update(ip_address="10.0.0.999"), "cloud_init.networks[0].ip_address"),
    (lambda ci: ci["networks"][0].pop("netmask"), "cloud_init.networks[0]"),
    (lambda ci: ci["networks"][0].update(netmask="255.0.255.0"), "cloud_init.networks[0].netmask"),
])
def test_a_cloud_init_that_cannot_work_is_refused_naming_its_field(cape, change, named):
    api, template, cluster, vlan = cape
    params = _two_nics(template, cluster, "sks-bad", vlan)
    change(params["cloud_init"])
    before = len(api.ok("get-vms"))
    status, answer = create(api, params)
    assert status == 400 and named in answer["message"], answer
    assert len(api.ok("get-vms")) == before


def test_a_scenario_sets_a_vlans_subnet_and_a_bad_one_is_refused(tmp_path):
    from cloudtower_sim.mock_server.domain import scenario

    data = {"clusters": [{"name": "c1", "subnets": {"default": "192.168.50.0/24"},
                          "hosts": [{"name": "h1", "memory_gib": 64}],
                          "vms": [{"name": "v1", "host": "h1", "status": "RUNNING", "memory_gib": 2, "vcpu": 1}]}]}
    world = scenario.build(scenario.from_data(data))
    default = next(v for v in world.vlans.values() if v.name == "default")
    assert (default.gateway_ip, default.subnetmask) == ("192.168.50.1", "255.255.255.0")
    [vm] = world.vms.values()
    assert vm.vm_tools_status == "RUNNING" and vm.ips == vm.ip  # a scenario's running VM has long booted
    data["clusters"][0]["subnets"] = {"default": "192.168.50.0/33"}
    with pytest.raises(scenario.ScenarioError, match=r"subnets\.default.*IPv4 subnet"):
        scenario.build(scenario.from_data(data))


# --- item 5: what the scheduler cannot place fails its task, in the scheduler's words --------------------------------

def test_a_machine_no_host_can_hold_is_created_and_its_start_fails_with_host_available_memory_filter(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, capes_params(template, cluster, "sks-huge", vlan, memory=300 * GiB))
    assert status == 200, answer
    api.done(answer)
    [started] = api.ok("start-vm", {"where": {"name": "sks-huge"}})  # AUTO_SCHEDULE: no host has 300 GiB
    task = api.task(started["task_id"])
    assert (task["status"], task["error_code"]) == ("FAILED", "HostAvailableMemoryFilter")
    assert "HostAvailableMemoryFilter" in task["error_message"] and api.vm("sks-huge")["status"] == "STOPPED"
    status, answer = create(api, capes_params(template, cluster, "sks-huge-2", vlan, memory=300 * GiB,
                                              status="RUNNING"))
    assert status == 200, answer
    task = api.task(answer[0]["task_id"])  # created and started in one: the creation's task fails
    assert task["status"] == "FAILED" and "HostAvailableMemoryFilter" in task["error_message"]


# --- item 7: hot-plug while RUNNING ----------------------------------------------------------------------------------

def test_a_running_machine_takes_a_virtio_nic_and_a_virtio_disk_and_its_guest_leases_at_once(cape):
    api, template, cluster, vlan = cape
    assert create(api, capes_params(template, cluster, "sks-hot", vlan, status="RUNNING"))[0] == 200
    api.done(api.ok("add-vm-nic", {"where": {"name": "sks-hot"}, "data": {"vm_nics": [
        {"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"], "mac_address": ""}]}}))
    added = nics_of(api, "sks-hot")[-1]
    assert ipaddress.IPv4Address(added["ip_address"]) in ipaddress.IPv4Network("10.100.0.0/16")
    api.done(api.ok("add-vm-disk", {"where": {"name": "sks-hot"}, "data": {"vm_disks": {"mount_new_create_disks": [
        {"vm_volume": {"name": "sks-hot-data", "size": GiB, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"},
         "bus": "VIRTIO", "boot": 5}]}}}))
    assert api.vm("sks-hot")["status"] == "RUNNING"
    for op, data, named in (
            ("add-vm-disk", {"vm_disks": {"mount_new_create_disks": [{"vm_volume": {
                "name": "ide", "size": GiB, "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}, "bus": "IDE",
                "boot": 6}]}}, "IDE"),
            ("add-vm-cd-rom", {"vm_cd_roms": [{"boot": 7}]}, "CD-ROM")):
        status, answer, _ = api(op, {"where": {"name": "sks-hot"}, "data": data})
        assert status == 400 and "RUNNING" in answer["message"] and named in answer["message"], answer


def test_a_guest_that_ignores_a_shutdown_fails_it_with_job_vm_shutdown_timeout_and_a_power_off_works(tmp_path):
    from cloudtower_sim.mock_server.domain.vms import SHUTDOWN_TIMEOUT_SECONDS

    path = tmp_path / "stubborn.yaml"
    path.write_text(f"users: [{{username: root, password: x, tokens: [{TOKEN}]}}]\n"
                    "clusters: [{name: c1, hosts: [{name: h1, memory_gib: 64}], vms: [{name: stubborn, host: h1, "
                    "status: RUNNING, memory_gib: 2, vcpu: 1, ignores_shutdown: true}]}]\n")
    api = Api(make_client(Settings(task_mode="manual", start_time=PINNED_START, scenario=str(path))))
    [answer] = api.ok("shutdown-vm", {"where": {"name": "stubborn"}})
    api.clock(advance=SHUTDOWN_TIMEOUT_SECONDS - 1)
    assert api.task(answer["task_id"])["status"] == "EXECUTING"
    api.clock(advance=2)
    task = api.task(answer["task_id"])
    assert task["status"] == "FAILED" and "JOB_VM_SHUTDOWN_TIMEOUT" in task["error_message"]
    assert api.vm("stubborn")["status"] == "RUNNING"
    api.ok("poweroff-vm", {"where": {"name": "stubborn"}})
    api.clock(advance=10)
    assert api.vm("stubborn")["status"] == "STOPPED"


def test_thick_volumes_beyond_the_clusters_free_storage_fail_the_create_with_eallocspace(cape):
    api, template, cluster, vlan = cape
    free = cluster["total_data_capacity"] - cluster["used_data_space"]
    operate = {"new_disks": {"mount_new_create_disks": [{"boot": 9, "bus": "VIRTIO", "vm_volume": {
        "name": "too-big", "size": free // 3 + GiB, "elf_storage_policy": "REPLICA_3_THICK_PROVISION"}}]}}
    status, answer = create(api, capes_params(template, cluster, "sks-full", vlan, disk_operate=operate))
    assert status == 200, answer
    task = api.task(answer[0]["task_id"])
    assert (task["status"], task["error_code"]) == ("FAILED", "EAllocSpace") and "EAllocSpace" in task["error_message"]
    assert api.ok("get-vm-volumes", {"where": {"name": "too-big"}}) == []  # given back
    assert api.one("clusters", {"id": cluster["id"]})["used_data_space"] == cluster["used_data_space"]
