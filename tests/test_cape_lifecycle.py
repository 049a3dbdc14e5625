"""SmartX's Cluster API provider (CAPE) brings up a worker machine and deletes it, over HTTP, as it sends each request
(../shared/reference/cape.md steps 0-16, then delete): its headers, its bodies, its reads, and the strings it
matches. Served by waitress on loopback; the manual clock's replay shows what CAPE sees between its reconciles."""

from __future__ import annotations

import ipaddress
import re
import time

import pytest
import requests

from cloudtower_sim.mock_server.domain.guest import GUEST_BOOT_SECONDS
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, Api, GiB, capes_params, make_client

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
GROUP = "cape-managed-0b7c-default-md-0"
POLICY = ("enabled", "description", "vm_host_must_enabled", "vm_host_must_policy", "vm_host_prefer_enabled",
          "vm_host_prefer_policy", "vm_vm_policy_enabled", "vm_vm_policy")


class Cape:
    """CAPE's client: every request a POST under /v2/api with the raw token and x-bypass-whitelist."""

    def __init__(self, base_url: str):
        self.base, self.token, self.session = base_url, None, requests.Session()

    def __call__(self, op: str, body):
        headers = {"x-bypass-whitelist": "true", **({"Authorization": self.token} if self.token else {})}
        r = self.session.post(f"{self.base}/{op}", json=body, headers=headers, timeout=30)
        assert r.status_code == 200, (op, body, r.status_code, r.text[:500])
        return r.json()

    def task(self, task_id: str) -> dict:
        [task] = self("get-tasks", {"where": {"id": task_id}})
        return task

    def until(self, what, check, seconds: float = 30):
        """Read again until `check(read())` holds, as CAPE's reconciles do (every 10 s there; here often)."""
        deadline = time.monotonic() + seconds
        while True:
            found = what()
            if check(found):
                return found
            assert time.monotonic() < deadline, f"still {found!r} after {seconds} s"
            time.sleep(0.05)

    def done(self, answer) -> dict:
        task = self.until(lambda: self.task(answer["task_id"]), lambda t: t["status"] in ("SUCCESSED", "FAILED"))
        assert task["status"] == "SUCCESSED", task
        return task


def by_ref(ref: str) -> dict:
    return {"where": {"OR": [{"local_id": ref}, {"id": ref}]}}


@pytest.mark.slow  # a served simulator whose clock runs
def test_a_worker_machine_comes_up_and_goes_as_cape_drives_it(served):
    server = served(task_mode="realtime", speed=50)
    cape = Cape(server.base_url)
    # 0. login
    cape.token = cape("login", {"username": "root", "password": "HC!r0cks", "source": "LOCAL"})["data"]["token"]
    # 1-2. the deployment's placement group: none yet, so made, and read again until usable
    assert cape("get-vm-placement-groups", {"where": {"name": GROUP}}) == []
    cluster_ref = cape("get-clusters", {"where": {"name": "smtx-prod"}})[0]["local_id"]
    [cluster] = cape("get-clusters", by_ref(cluster_ref))
    [made] = cape("create-vm-placement-group", [{
        "name": GROUP, "cluster_id": cluster["id"], "enabled": True,
        "description": "This is VM placement group created by CAPE, don't delete it!",
        "vm_host_must_enabled": False, "vm_host_prefer_enabled": False, "vm_vm_policy_enabled": True,
        "vm_vm_policy": "PREFER_DIFFERENT"}])
    assert "VM placement group" in cape.done(made)["description"]
    [group] = cape.until(lambda: cape("get-vm-placement-groups", {"where": {"name": GROUP}}),
                         lambda g: g and UUID.fullmatch(g[0]["local_id"]) and g[0]["entityAsyncStatus"] is None)
    # 3-4. the template (by id, name or SKS label) and each device's VLAN
    [template] = cape("get-content-library-vm-templates", {"where": {"OR": [
        {"id": "k8s-1.29-ubuntu"}, {"name": "k8s-1.29-ubuntu"},
        {"labels_some": {"AND": [{"key": "system.cloudtower/sks-template-uid", "value": "k8s-1.29-ubuntu"}]}}]}})
    vlan_ref = cape("get-vlans", {"where": {"name": "vlan-100"}})[0]["local_id"]
    [vlan] = cape("get-vlans", by_ref(vlan_ref))
    # 5. the machine: two NICs, the first static through cloud-init, the second DHCP
    nic = {"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"], "mac_address": ""}
    params = capes_params(template, cluster, "md-0-worker-1", vlan, vm_nics=[nic, dict(nic)],
                          description="Automatically created Kubernetes node.",
                          owner={"search_for": "username", "value": "root"})
    params["cloud_init"]["networks"] = [
        {"nic_index": 0, "type": "IPV4", "ip_address": "10.0.0.51", "netmask": "255.255.255.0",
         "routes": [{"gateway": "10.0.0.1", "netmask": "0.0.0.0", "network": "0.0.0.0"}]},
        {"nic_index": 1, "type": "IPV4_DHCP"}]
    [created] = cape("create-vm-from-content-library-template", [params])
    # 6. readable at once, or CAPE would create it again
    assert cape("get-vms", by_ref(created["data"]["id"])), "the VM must exist as soon as the create answers"
    # 7. created once its task is done, entityAsyncStatus null and local_id a UUID
    assert "Create a VM" in cape.done(created)["description"]
    [vm] = cape.until(lambda: cape("get-vms", by_ref(created["data"]["id"])),
                      lambda v: v[0]["entityAsyncStatus"] is None and UUID.fullmatch(v[0]["local_id"]))
    assert not vm["in_recycle_bin"] and vm["cluster"]["name"] == "smtx-prod"
    ref = vm["local_id"]  # from here on CAPE finds it by local_id
    # 9. it joins the group: the group's own settings echoed, the members so far
    [joined] = cape("update-vm-placement-group", {"where": {"id": group["id"]}, "data": {
        **{k: group[k] for k in POLICY}, "vms": {"id_in": [v["id"] for v in group["vms"]] + [vm["id"]]}}})
    cape.done(joined)
    # 10. the system disk grows before the first boot
    disks = cape("get-vm-disks", {"where": {"id_in": [d["id"] for d in vm["vm_disks"]]}, "orderBy": "boot_ASC"})
    system = next(d for d in disks if d["type"] == "DISK")
    [volume] = cape("get-vm-volumes", {"where": {"id": system["vm_volume"]["id"]}})
    assert volume["entityAsyncStatus"] is None
    grown = cape("update-vm-volume", {"where": {"id": volume["id"]}, "data": {"size": 60 * GiB}})
    resized = cape.done(grown[0] if isinstance(grown, list) else grown)
    assert "Update virtual volume" in resized["description"]
    # 11. the first boot
    [started] = cape("start-vm", by_ref(ref))
    assert "Start VM" in cape.done(started)["description"]
    # 12. CPU and memory hot-added; the NICs all there
    [grew] = cape("update-vm-basic-info", {"where": {"id": vm["id"]}, "data": {
        "vcpu": 8, "cpu_cores": 4, "cpu_sockets": 2, "memory": 16 * GiB}})
    assert "Edit VM" in cape.done(grew)["description"]
    assert len(cape("get-vm-nics", {"where": {"vm": {"OR": [{"local_id": ref}, {"id": vm["id"]}]}},
                                    "orderBy": "order_ASC"})) == 2
    # 13. labels: found or made, then added to the VM
    for key, value in (("cape-managed", "true"), ("cape-namespace", "default"), ("cape-cluster-name", "k8s-1")):
        found = cape("get-labels", {"where": {"key": key, "value": value}})
        if not found:
            cape.done(cape("create-label", [{"key": key, "value": value}])[0])
            found = cape("get-labels", {"where": {"key": key, "value": value}})
        label = found[0]
        cape.done(cape("add-labels-to-resources", {"where": {"id_in": [label["id"]]},
                                                   "data": {"vms": {"id": vm["id"]}}})[0])
    [vm] = cape("get-vms", by_ref(ref))
    assert {(lb["key"], lb["value"]) for lb in vm["labels"]} >= {("cape-managed", "true")}
    assert vm["vcpu"] == 8 and vm["memory"] == 16 * GiB and vm["host"] is not None
    # 15. ready once every NIC has its address: the static one cloud-init gave, a lease for the DHCP one
    static, dhcp = cape.until(
        lambda: cape("get-vm-nics", {"where": {"vm": {"id": vm["id"]}}, "orderBy": "order_ASC"}),
        lambda nics: all(n["ip_address"] for n in nics))
    assert (static["ip_address"], static["gateway"], static["subnet_mask"]) == ("10.0.0.51", "10.0.0.1",
                                                                                "255.255.255.0")
    assert ipaddress.IPv4Address(dhcp["ip_address"]) in ipaddress.IPv4Network("10.100.0.0/16")
    # delete: powered off, deleted, gone; then the group
    cape.done(cape("poweroff-vm", by_ref(ref))[0])
    cape.done(cape("delete-vm", by_ref(ref))[0])
    assert cape("get-vms", by_ref(ref)) == []
    cape.done(cape("delete-vm-placement-group", {"where": {"id": group["id"]}})[0])
    assert cape("get-vm-placement-groups", {"where": {"name": GROUP}}) == []


def test_between_its_reconciles_cape_sees_the_machine_in_each_state_it_waits_on():
    """The manual clock: what each of CAPE's reads finds while the tasks run and the guest boots."""
    api = Api(make_client(Settings(task_mode="manual", start_time=PINNED_START)))
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    [created] = api.ok("create-vm-from-content-library-template", [capes_params(template, cluster, "md-1", vlan)])
    [vm] = api.ok("get-vms", {"where": {"id": created["data"]["id"]}})  # there at once...
    assert vm["entityAsyncStatus"] == "CREATING" and vm["local_id"].startswith("placeholder-")  # ...not yet made
    assert not UUID.fullmatch(vm["local_id"])
    api.clock(advance=60)
    vm = api.vm("md-1")
    assert vm["entityAsyncStatus"] is None and UUID.fullmatch(vm["local_id"])
    [started] = api.ok("start-vm", {"where": {"OR": [{"local_id": vm["local_id"]}, {"id": vm["id"]}]}})
    assert api.vm("md-1")["entityAsyncStatus"] == "UPDATING"
    api.clock(advance=10)
    assert api.task(started["task_id"])["status"] == "SUCCESSED" and api.vm("md-1")["entityAsyncStatus"] is None
    assert api.vm("md-1")["status"] == "RUNNING" and api.vm("md-1")["ips"] == ""  # booting: no address yet
    assert api.vm("md-1")["vm_tools_status"] == "NOT_RUNNING"
    api.clock(advance=GUEST_BOOT_SECONDS)
    assert api.vm("md-1")["ips"] == "10.0.0.5" and api.vm("md-1")["vm_tools_status"] == "RUNNING"
