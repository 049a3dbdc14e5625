"""`cloudtower-sim serve --state FILE` (mock_server/state.py): the world kept across restarts, written on SIGTERM,
SIGINT and on an interval; a file that is not a state file, or a corrupt one, refused and never overwritten."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests

from cloudtower_sim.client import CloudTowerClient
from cloudtower_sim.mock_server.state import HEADER

from .support import READS, ROOT, TOKEN, Process


def new_vm(url: str, name: str):
    client = CloudTowerClient(url, token=TOKEN)
    cluster = client.call("/get-clusters", {})[0]["id"]
    client.wait_tasks([t["task_id"] for t in client.create_vm({
        "name": name, "cluster_id": cluster, "memory": 2, "memory_unit": "GB", "cpu_cores": 1, "cpu_sockets": 1,
        "ha": False, "firmware": "BIOS", "status": "STOPPED", "vm_nics": [], "vm_disks": {}})])
    client.wait_tasks([t["task_id"] for t in client.shutdown_vm({"name": "web-01"})])


def test_created_vms_and_changes_survive_a_restart(tmp_path):
    kept = tmp_path / "state.yaml"
    served = Process("--state", str(kept))
    new_vm(served.base_url, "dev-vm")
    code, out, err = served.stop(signal.SIGINT)
    assert code == 0 and f"state written to {kept}" in out, (out, err)
    assert kept.read_text().startswith(HEADER)
    served = Process("--state", str(kept))
    try:
        client = CloudTowerClient(served.base_url, token=TOKEN)  # the scenario's token still works: its users are kept
        [vm] = client.get_vms({"name": "dev-vm"})
        assert (vm["memory"], vm["status"]) == (2 * 1024**3, "STOPPED")
        assert client.get_vms({"name": "web-01"})[0]["status"] == "STOPPED"
        assert len(client.get_vms()) == 19
        # and so are its other users
        viewer = CloudTowerClient(served.base_url, username="viewer", password="viewer-pass")
        assert len(viewer.get_vms()) == 19
    finally:
        served.stop()


def test_logins_a_restart_needs_are_kept_an_ldap_config_and_each_clusters(tmp_path):
    """The API shows neither an auth config nor a cluster's login: the state keeps them from the world, so that
    after a restart an LDAP user still logs in, a connected cluster is updated with its login, and a cluster not yet
    connected is still reachable."""
    kept = tmp_path / "state.yaml"
    served = Process("--state", str(kept))
    client = CloudTowerClient(served.base_url, token=TOKEN)
    edge = {"ip": "10.20.0.10", "username": "admin", "password": "edge-pass"}
    client.wait_tasks([t["task_id"] for t in client.call("/connect-cluster", [edge])])
    code, out, err = served.stop(signal.SIGINT)
    assert code == 0, (out, err)
    served = Process("--state", str(kept))
    try:
        client = CloudTowerClient(served.base_url, token=TOKEN)
        [cluster] = client.call("/get-clusters", {"where": {"name": "smtx-edge"}})
        assert cluster["connect_state"] == "CONNECTED" and cluster["host_num"] == 3
        client.wait_tasks([t["task_id"] for t in client.call("/update-cluster", {
            "where": {"id": cluster["id"]}, "data": edge})])
        ldap = requests.post(f"{served.base_url}/login", json={
            "username": "ldap-user", "password": "ldap-pass", "source": "AUTHN", "auth_config_id": "ldap-corp"})
        assert ldap.status_code == 200, ldap.text
    finally:
        served.stop()


def every_read(base_url: str) -> dict:
    """Each kind's get-x and get-x-connection answer, as bytes."""
    return {path: requests.post(f"{base_url}{path}", json={}, headers={"Authorization": TOKEN}).content
            for path in READS}


def test_a_restart_keeps_every_object_with_its_id_and_answers_every_read_as_before(tmp_path):
    """Issue 32's report, tried as a user would: a VM with a named 33 GiB system volume and a NIC of a given MAC;
    after a restart its id, volume and MAC are what they were, and so is every read (the clock stands still)."""
    kept = tmp_path / "state.json"
    served = Process("--state", str(kept), "--task-mode", "manual", "--start-time", "2026-01-01T08:00:00Z")
    client = CloudTowerClient(served.base_url, token=TOKEN)
    cluster = client.call("/get-clusters", {})[0]["id"]
    vlan = client.call("/get-vlans", {"where": {"name": "vlan-100"}})[0]["id"]
    [made] = client.create_vm({
        "name": "persist-me", "cluster_id": cluster, "memory": 2, "memory_unit": "GB", "cpu_cores": 1,
        "cpu_sockets": 1, "ha": False, "firmware": "BIOS", "status": "STOPPED",
        "vm_nics": [{"connect_vlan_id": vlan, "mac_address": "52:54:00:aa:bb:cc"}],
        "vm_disks": {"mount_new_create_disks": [{"boot": 0, "bus": "VIRTIO", "vm_volume": {
            "name": "persist-sys", "size": 33, "size_unit": "GB", "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}})
    requests.post(f"{served.root}/_sim/clock", json={"advance": 60})
    before = every_read(served.base_url)
    code, out, err = served.stop()
    assert code == 0 and f"state written to {kept}" in out, (out, err)
    served = Process("--state", str(kept), "--task-mode", "manual")
    try:
        client = CloudTowerClient(served.base_url, token=TOKEN)
        [vm] = client.get_vms({"name": "persist-me"})
        assert vm["id"] == made["data"]["id"]
        disks = client.call("/get-vm-disks", {"where": {"vm": {"id": vm["id"]}}})
        assert [d["vm_volume"]["name"] for d in disks if d["vm_volume"]] == ["persist-sys"]
        assert [n["mac_address"] for n in client.call("/get-vm-nics", {"where": {"vm": {"id": vm["id"]}}})] == [
            "52:54:00:aa:bb:cc"]
        after = every_read(served.base_url)
        assert [p for p in before if before[p] != after[p]] == []
    finally:
        served.stop()


def test_a_task_running_at_the_stop_is_failed_and_a_state_serves_as_a_scenario(tmp_path):
    kept = tmp_path / "state.json"
    served = Process("--state", str(kept), "--task-mode", "manual")
    client = CloudTowerClient(served.base_url, token=TOKEN)
    [running] = client.call("/start-vm", {"where": {"name": "test-01"}})
    served.stop()
    served = Process("--scenario", str(kept), "--task-mode", "manual")  # the state, as a scenario: the same world
    try:
        client = CloudTowerClient(served.base_url, token=TOKEN)
        [task] = client.call("/get-tasks", {"where": {"id": running["task_id"]}})
        assert (task["status"], task["error_code"]) == ("FAILED", "TASK_INTERRUPTED")
        assert client.get_vms({"name": "test-01"})[0]["status"] == "STOPPED"
        assert requests.post(f"{served.root}/_sim/reset").status_code == 200  # reset: back to the saved world
        [task] = client.call("/get-tasks", {"where": {"id": running["task_id"]}})
        assert task["error_code"] == "TASK_INTERRUPTED"
    finally:
        served.stop()


def test_a_state_of_format_1_is_loaded_as_the_scenario_it_is(tmp_path):
    kept = tmp_path / "old.yaml"
    kept.write_text(HEADER + "\nusers: [{username: root, password: old-pass, tokens: [old-token]}]\n"
                    "clusters: [{name: kept-cluster, hosts: [{name: h1, memory_gib: 64}]}]\n")
    served = Process("--state", str(kept))
    try:
        client = CloudTowerClient(served.base_url, token="old-token")
        assert [c["name"] for c in client.call("/get-clusters", {})] == ["kept-cluster"]
    finally:
        code, out, err = served.stop()
    assert code == 0 and "format 1" in err, err
    assert kept.read_text().startswith(HEADER + "\n{")  # written back whole


def test_the_state_is_written_on_its_interval_while_serving(tmp_path):
    kept = tmp_path / "state.yaml"
    served = Process("--state", str(kept), "--state-interval", "1")
    try:
        new_vm(served.base_url, "dev-vm-2")
        deadline = time.monotonic() + 60
        while not (kept.exists() and "dev-vm-2" in kept.read_text()):
            assert time.monotonic() < deadline, "no state written within 60 s at an interval of 1 s"
            time.sleep(0.2)
        assert not kept.with_name(kept.name + ".part").exists()
    finally:
        served.stop()


@pytest.mark.slow  # a process of its own
def test_a_foreign_or_corrupt_state_file_is_refused_and_left_as_it_was(tmp_path):
    for name, text, words in (
            ("scenario.yaml", (ROOT / "mock_server" / "scenarios" / "default.yaml").read_text(),
             "not a cloudtower-sim state file"),
            ("corrupt.yaml", HEADER + "\nclusters: [{name: 1}]\n", "corrupt state file"),
            ("binary.yaml", HEADER + "\n\x00\x01: [\n", "corrupt state file"),
            ("broken.json", HEADER + '\n{"format": 2, "kinds": {', "corrupt state file"),
            ("newer.json", HEADER + '\n{"format": 3}', "this cloudtower-sim reads format 2")):
        path = tmp_path / name
        path.write_text(text)
        proc = subprocess.run([sys.executable, "-m", "cloudtower_sim", "serve", "--port", "0", "--state", str(path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert path.read_text() == text


@pytest.mark.slow  # a process of its own
def test_a_broken_world_file_as_the_scenario_is_refused_saying_why(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(HEADER + '\n{"format": 2, "kinds": {')
    proc = subprocess.run([sys.executable, "-m", "cloudtower_sim", "serve", "--port", "0", "--scenario", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "a world file that cannot be read" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
