"""Workflow contracts: the seed page's maintenance round trip step by step, and VM lifecycles, through the client,
checking every documented answer and every state the host and VMs pass through. They change the cluster: they run
in-process, or against a URL with --allow-mutations, on the named maintenance host and on VMs with the test prefix."""

from __future__ import annotations

import pytest

from cloudtower_sim.client import wire
from cloudtower_sim.client.polling import Poll
from cloudtower_sim.client.workflow import wait_precheck

from cloudtower_sim.contracts.safety import find_host, host_state

GIB = 1 << 30
ENTER_PATH = ["IN_USE", "ENTERING_MAINTENANCE_MODE", "MAINTENANCE_MODE"]
TASK_ORDER = ["PENDING", "EXECUTING", wire.TASK_DONE]


def placement(client, cluster_id: str) -> dict[str, tuple[str | None, str]]:
    return {v["id"]: ((v.get("host") or {}).get("id"), v["status"])
            for v in client.get_vms({"cluster": {"id": cluster_id}})}


def follow(client, task_id: str, host_id: str) -> tuple[dict, list[str], bool]:
    """Poll the host and the task until the task ends, checking the task only moves forward, for at most the
    client's task timeout, and failing once neither the task nor the host has changed for its stall bound. Answer
    the last task, the host states seen (in order, without repeats), and whether a poll found the task unfinished."""
    states, last_rank, last_progress, unfinished = [], -1, -1.0, False
    poll = Poll(client, client.task_timeout)
    while True:
        host = find_host(client, host_id)
        if not states or states[-1] != host_state(host):
            states.append(host_state(host))
        task = client.get_task(task_id)
        assert task is not None, f"task {task_id} vanished"
        assert task["status"] in wire.TASK_STATUSES, (
            f"task {task_id} has status {task['status']!r}, not one of CloudTower's {wire.TASK_STATUSES}")
        if task["status"] in TASK_ORDER:
            rank = TASK_ORDER.index(task["status"])
            assert rank >= last_rank, f"task {task_id} went back to {task['status']}"
            last_rank = rank
        progress = task.get("progress") or 0.0
        assert progress >= last_progress, f"task {task_id} progress fell from {last_progress} to {progress}"
        last_progress = progress
        if task["status"] in (wire.TASK_DONE, wire.TASK_FAILED):
            poll.ended(task_id)
            host = find_host(client, host_id)
            if states[-1] != host_state(host):
                states.append(host_state(host))
            return task, states, unfinished
        unfinished = True
        poll.saw((task["status"], progress, states[-1]))
        poll.wait(task_id, lambda: task)


@pytest.mark.maintenance
def test_maintenance_round_trip(target):
    client = target.client()
    host = find_host(client, target.maintenance_host)
    assert host_state(host) == "IN_USE"
    cluster = host["cluster"]["id"]
    before = placement(client, cluster)
    on_host = {vm_id for vm_id, (h, _) in before.items() if h == host["id"]}
    uuids = {v["id"]: v["local_id"] for v in client.get_vms({"id_in": sorted(on_host)})} if on_host else {}

    # 1. precheck: a task id, then a result polled until done, naming only VMs of this host
    task_id = client.enter_maintenance_mode_precheck({"id": host["id"]})
    assert isinstance(task_id, str) and task_id
    result = wait_precheck(client, task_id, client.task_timeout)
    shutdown = list(result.shutdown_vms)
    assert set(shutdown) <= set(uuids.values()), f"the precheck names VMs not on {host['name']}: {shutdown}"

    # 2. enter: one WithTask<Host>, the host passing through ENTERING_MAINTENANCE_MODE into MAINTENANCE_MODE. A
    # task done by the first poll leaves nothing to see (a simulator in instant mode, a host with no VM on a fast
    # tower); a poll that finds the task still running must find the host ENTERING_MAINTENANCE_MODE
    answer = client.start_enter_maintenance_mode(host["id"], shutdown)
    assert isinstance(answer, dict) and answer["data"]["id"] == host["id"] and answer.get("task_id"), answer
    task, states, unfinished = follow(client, answer["task_id"], host["id"])
    assert task["status"] == wire.TASK_DONE, f"enter task {task['status']}: {task.get('error_message')}"
    assert states[-1] == "MAINTENANCE_MODE", f"host states {states}"
    assert [s for s in ENTER_PATH if s in states] == states, f"host states out of order: {states}"
    if unfinished:
        assert "ENTERING_MAINTENANCE_MODE" in states, (
            f"never saw the host ENTERING_MAINTENANCE_MODE while its enter task ran: {states}")

    # 3. in maintenance: nothing runs on the host; the shut-down VMs are off; every other VM has moved
    during = placement(client, cluster)
    running_here = [v for v, (h, s) in during.items() if h == host["id"] and s == "RUNNING"]
    assert not running_here, f"VMs still RUNNING on {host['name']} in MAINTENANCE_MODE: {running_here}"
    stopped = {vm for vm, u in uuids.items() if u in shutdown}
    assert all(during[vm][1] == "STOPPED" for vm in stopped), "a VM the enter was told to shut down is not STOPPED"
    moved = on_host - stopped
    still = [vm for vm in moved if during[vm][0] == host["id"]]
    assert not still, f"VMs left on {host['name']} in maintenance: {still}"

    # 4. the exit precheck: exactly what the enter task did, nothing changed since
    exit_result = client.exit_maintenance_mode_precheck_result({"id": host["id"]})
    assert {v.vm_uuid for v in exit_result.shut_down_vms} == set(shutdown)
    migrated = exit_result.live_migrate_vms + exit_result.offline_migrate_vms
    assert {v.vm_uuid for v in migrated} == {uuids[vm] for vm in moved}
    names = {h["id"]: h["name"] for h in client.get_hosts({"cluster": {"id": cluster}})}
    by_uuid = {u: vm for vm, u in uuids.items()}
    for info in migrated:
        assert info.target_host_name == names[during[by_uuid[info.vm_uuid]][0]], info
    for info in exit_result.shut_down_vms + migrated:
        assert info.changed is not True, f"{info.vm_name} reported changed: {info.reason}"

    # 5. exit: back into service, every VM back where it was, in the power state it had
    answer = client.start_exit_maintenance_mode(
        host["id"], [v.vm_uuid for v in exit_result.shut_down_vms],
        [v.vm_uuid for v in exit_result.live_migrate_vms], [v.vm_uuid for v in exit_result.offline_migrate_vms])
    assert isinstance(answer, dict) and answer["data"]["id"] == host["id"], answer
    task, states, _ = follow(client, answer["task_id"], host["id"])
    assert task["status"] == wire.TASK_DONE, f"exit task {task['status']}: {task.get('error_message')}"
    assert states[-1] == "IN_USE", f"host states {states}"
    after = placement(client, cluster)
    moved_or_changed = {vm: (before[vm], after.get(vm)) for vm in before if after.get(vm) != before[vm]}
    assert not moved_or_changed, f"VMs not back as they were (before, after): {moved_or_changed}"


def new_vm(target, client, name: str, status: str, host_id: str | None = None) -> dict:
    host = find_host(client, target.maintenance_host)
    params = {"name": target.prefix + name, "cluster_id": host["cluster"]["id"], "memory": 1, "memory_unit": "GB",
              "cpu_cores": 1, "cpu_sockets": 1, "ha": False, "firmware": "BIOS", "status": status,
              "vm_nics": [], "vm_disks": {}}
    if host_id:
        params["host_id"] = host_id
    answer = client.create_vm(params)
    assert isinstance(answer, list) and len(answer) == 1, f"create-vm answered {answer!r:.300}, not an array"
    task = client.wait_task(answer[0]["task_id"])
    assert task["status"] == wire.TASK_DONE
    vm = client.get_vms({"id": answer[0]["data"]["id"]})
    assert len(vm) == 1 and vm[0]["name"] == params["name"], vm
    return vm[0]


def operate(client, op: str, vm: dict, **kw) -> dict:
    """Run one VM operation on exactly this VM; answer the VM as read back afterwards."""
    answer = getattr(client, op)({"id": vm["id"]}, **kw)
    assert isinstance(answer, list) and len(answer) == 1, f"{op} answered {answer!r:.300}, not an array of one"
    assert answer[0]["data"]["id"] == vm["id"]
    client.wait_task(answer[0]["task_id"])
    found = client.get_vms({"id": vm["id"]})
    return found[0] if found else None


@pytest.mark.mutating
def test_vm_power_lifecycle(target):
    client = target.client()
    vm = new_vm(target, client, "power", "STOPPED")
    assert vm["status"] == "STOPPED"
    for op, status in [("start_vm", "RUNNING"), ("suspend_vm", "SUSPENDED"), ("resume_vm", "RUNNING"),
                       ("restart_vm", "RUNNING"), ("force_restart_vm", "RUNNING"), ("shutdown_vm", "STOPPED"),
                       ("start_vm", "RUNNING"), ("poweroff_vm", "STOPPED")]:
        vm = operate(client, op, vm)
        assert vm["status"] == status, f"after {op} the VM is {vm['status']}, not {status}"
        if status == "STOPPED":
            assert vm["status"] != "RUNNING"
        else:
            assert (vm.get("host") or {}).get("id"), f"a {status} VM has no host after {op}"
    answer = client.delete_vm({"id": vm["id"]})
    assert isinstance(answer, list) and len(answer) == 1, answer
    client.wait_task(answer[0]["task_id"])
    assert client.get_vms({"id": vm["id"]}) == []


@pytest.mark.mutating
def test_vm_migration_round_trip(target):
    client = target.client()
    home = find_host(client, target.maintenance_host)
    others = [h for h in client.get_hosts({"cluster": {"id": home["cluster"]["id"]}})
              if h["id"] != home["id"] and host_state(h) == "IN_USE" and h["status"] == "CONNECTED_HEALTHY"]
    if not others:
        pytest.skip("the maintenance host's cluster has no other host in service to migrate to")
    vm = new_vm(target, client, "migrate", "RUNNING", host_id=home["id"])
    assert vm["host"]["id"] == home["id"] and vm["status"] == "RUNNING"
    vm = operate(client, "migrate_vm", vm, host_id=others[0]["id"])
    assert vm["host"]["id"] == others[0]["id"] and vm["status"] == "RUNNING", "a live migration moved or stopped it"
    vm = operate(client, "migrate_vm", vm, host_id=home["id"])
    assert vm["host"]["id"] == home["id"] and vm["status"] == "RUNNING"
    operate(client, "poweroff_vm", vm)
    client.wait_tasks([a["task_id"] for a in client.delete_vm({"id": vm["id"]})])
    assert client.get_vms({"id": vm["id"]}) == []


@pytest.mark.mutating
def test_vm_with_a_disk_and_a_nic_is_built_read_edited_and_deleted(target):
    """As SmartX's Terraform provider builds a VM: a new volume and a NIC on a VLAN, read back from the disk and NIC
    reads, edited (a second disk, a grown first one, another NIC model), then deleted with what it owned."""
    client = target.client()
    cluster = find_host(client, target.maintenance_host)["cluster"]["id"]
    vlans = client.call("/get-vlans", {"where": {"type": "VM", "vds": {"cluster": {"id": cluster}}}, "first": 1})
    if not vlans:
        pytest.skip("the maintenance host's cluster has no VM network (VLAN of type VM) for a NIC")
    name, vlan = target.prefix + "devices", vlans[0]["id"]
    volume = {"name": name + "-sys", "size": 1, "size_unit": "GB", "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}
    answer = client.create_vm({
        "name": name, "cluster_id": cluster, "memory": 1, "memory_unit": "GB", "cpu_cores": 1, "cpu_sockets": 1,
        "ha": False, "firmware": "BIOS", "status": "STOPPED", "vm_nics": [{"connect_vlan_id": vlan}],
        "vm_disks": {"mount_new_create_disks": [{"boot": 0, "bus": "VIRTIO", "vm_volume": volume}]}})
    assert client.wait_task(answer[0]["task_id"])["status"] == wire.TASK_DONE
    vm = {"id": answer[0]["data"]["id"]}
    try:
        def disks():
            return client.call("/get-vm-disks", {"where": {"vm": vm}, "orderBy": "boot_ASC"})

        listed = disks()
        assert len(listed) == 1, f"a VM created with one new disk: get-vm-disks lists {len(listed)} disks of it"
        disk = listed[0]
        assert (disk["type"], disk["boot"], disk["bus"]) == ("DISK", 0, "VIRTIO"), disk
        [sys_volume] = client.call("/get-vm-volumes", {"where": {"id": disk["vm_volume"]["id"]}})
        assert (sys_volume["name"], sys_volume["size"]) == (volume["name"], GIB), sys_volume
        listed = client.call("/get-vm-nics", {"where": {"vm": vm}})
        assert len(listed) == 1, f"a VM created with one NIC: get-vm-nics lists {len(listed)} NICs of it"
        nic = listed[0]
        assert nic["vlan"]["id"] == vlan and len(nic["mac_address"].split(":")) == 6, nic
        found = client.get_vms(vm)[0]
        assert [d["id"] for d in found["vm_disks"]] == [disk["id"]]
        assert [n["id"] for n in found["vm_nics"]] == [nic["id"]]

        edits = [("/add-vm-disk", {"where": vm, "data": {"vm_disks": {"mount_new_create_disks": [{
                    "boot": 1, "bus": "VIRTIO", "vm_volume": {**volume, "name": name + "-data"}}]}}}),
                 ("/expand-vm-disk", {"where": {"id": disk["id"]}, "size": 2, "size_unit": "GB"}),
                 ("/update-vm-nic", {"where": vm, "data": {"nic_index": 0, "model": "E1000"}})]
        for path, body in edits:
            for task in client.call(path, body):
                assert client.wait_task(task["task_id"])["status"] == wire.TASK_DONE, path
        assert [(d["boot"], d["type"]) for d in disks()] == [(0, "DISK"), (1, "DISK")]
        assert client.call("/get-vm-volumes", {"where": {"id": sys_volume["id"]}})[0]["size"] == 2 * GIB
        assert client.call("/get-vm-nics", {"where": {"vm": vm}})[0]["model"] == "E1000"
    finally:
        client.wait_tasks([a["task_id"] for a in client.delete_vm(vm)])
    assert client.get_vms(vm) == [] and client.call("/get-vm-nics", {"where": {"vm": vm}}) == []
    assert client.call("/get-vm-disks", {"where": {"vm": vm}}) == []
    left = client.call("/get-vm-volumes", {"where": {"name_starts_with": name + "-"}})
    if left:  # what a tower keeps of a deleted VM's volumes is not asserted here; the contract leaves nothing behind
        doomed = {"where": {"id_in": [v["id"] for v in left]}}
        client.wait_tasks([a["task_id"] for a in client.call("/delete-vm-volume", doomed)])


def _done(client, answers: list) -> list:
    """`answers` (WithTask), each task waited for and SUCCESSED."""
    assert isinstance(answers, list) and answers, f"expected an array of WithTask, got {answers!r:.300}"
    for a in answers:
        task = client.wait_task(a["task_id"])
        assert task["status"] == wire.TASK_DONE, f"task {task['description']}: {task.get('error_message')}"
    return answers


def _shape(vm_or_frozen: dict) -> tuple:
    return vm_or_frozen["vcpu"], vm_or_frozen["memory"]


@pytest.mark.mutating
def test_snapshot_edit_rollback_delete(target):
    """A snapshot keeps what it took while its VM is edited; rolling back puts the VM back; the snapshot goes."""
    client = target.client()
    vm = new_vm(target, client, "snap", "STOPPED")
    where = {"id": vm["id"]}
    try:
        [taken] = _done(client, client.call("/create-vm-snapshot", {"data": [{
            "vm_id": vm["id"], "name": target.prefix + "snap-1", "consistent_type": "CRASH_CONSISTENT"}]}))
        snap = {"id": taken["data"]["id"]}
        [got] = client.call("/get-vm-snapshots", {"where": snap})
        assert _shape(got) == _shape(vm) and got["vm"]["id"] == vm["id"], got
        _done(client, client.call("/update-vm-basic-info", {"where": where, "data": {
            "vcpu": 2, "memory": 2, "memory_unit": "GB"}}))
        assert _shape(client.get_vms(where)[0]) == (2, 2 * GIB)
        [again] = client.call("/get-vm-snapshots", {"where": snap})
        assert _shape(again) == _shape(vm), "the snapshot changed with its VM"
        _done(client, client.call("/rollback-vm", {"where": where, "data": {"snapshot_id": snap["id"]}}))
        assert _shape(client.get_vms(where)[0]) == _shape(vm), "rollback-vm did not put the VM back"
        _done(client, client.call("/delete-vm-snapshot", {"where": snap}))
        assert client.call("/get-vm-snapshots", {"where": snap}) == []
    finally:
        client.wait_tasks([a["task_id"] for a in client.delete_vm(where, include_snapshots=True)])
    assert client.call("/get-vm-snapshots", {"where": {"name_starts_with": target.prefix}}) == []


@pytest.mark.mutating
def test_template_round_trip(target):
    """A template cloned from a VM (which stays), a VM made of it as it is, the template renamed and deleted."""
    client = target.client()
    vm = new_vm(target, client, "tpl-src", "STOPPED")
    name = target.prefix + "tpl"
    try:
        [cloned] = _done(client, client.call("/clone-vm-template-from-vm", [{
            "vm_id": vm["id"], "name": name, "cloud_init_supported": False}]))
        template = {"id": cloned["data"]["id"]}
        [got] = client.call("/get-vm-templates", {"where": template})
        assert (got["name"], _shape(got), got["cluster"]["id"]) == (name, _shape(vm), vm["cluster"]["id"]), got
        assert client.get_vms({"id": vm["id"]}), "clone-vm-template-from-vm removed its VM"
        [made] = _done(client, client.call("/create-vm-from-template", [{
            "template_id": template["id"], "name": target.prefix + "from-tpl", "is_full_copy": False}]))
        [new] = client.get_vms({"id": made["data"]["id"]})
        assert (_shape(new), new["status"], new["cluster"]["id"]) == (_shape(got), "STOPPED", vm["cluster"]["id"])
        _done(client, client.call("/update-vm-template", {"where": template, "data": {"name": name + "-2"}}))
        assert client.call("/get-vm-templates", {"where": template})[0]["name"] == name + "-2"
        _done(client, client.call("/delete-vm-template", {"where": template}))
        assert client.call("/get-vm-templates", {"where": template}) == []
    finally:
        left = client.call("/get-vm-templates", {"where": {"name_starts_with": target.prefix}})
        if left:
            _done(client, client.call("/delete-vm-template", {"where": {"id_in": [t["id"] for t in left]}}))
        client.wait_tasks([a["task_id"] for a in client.delete_vm({"name_starts_with": target.prefix + "tpl-src"})])
        client.wait_tasks([a["task_id"] for a in client.delete_vm({"name_starts_with": target.prefix + "from-tpl"})])
