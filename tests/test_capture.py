"""`cloudtower-sim capture` (mock_server/capture.py): a served simulator captured, the capture served, and every
read of the two compared (issue 32): all equal; anonymized, the same world under other names, none of the old ones
left in the file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cloudtower_sim.client import CloudTowerClient
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, READS, TOKEN, Api, make_client

pytestmark = pytest.mark.slow  # each test runs `cloudtower-sim capture` in a process of its own
HISTORY = ("/get-tasks", "/get-upload-tasks")  # a capture leaves out the task history


def capture(served, tmp_path, *options):
    out = tmp_path / "captured.json"
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", served.base_url,
                        "--token", TOKEN, "--output", str(out), *options], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "reading vms" in r.stderr and f"wrote {out}" in r.stdout, (r.stdout, r.stderr)  # progress, then the file
    return out


def every_read(post) -> dict:
    return {path: post(path) for path in READS if not path.startswith(HISTORY)}


def original_reads(server) -> dict:
    client = CloudTowerClient(server.base_url, token=TOKEN)
    return every_read(lambda path: client.call(path, {}))


def replica_reads(out) -> dict:
    replica = make_client(Settings(scenario=str(out)))
    return every_read(lambda path: replica.post(f"/v2/api{path}", json={}, headers={"Authorization": TOKEN})
                      .get_json())


def test_a_served_simulator_captured_and_served_again_answers_every_read_as_it_did(served, tmp_path):
    server = served(start_time=PINNED_START)
    client = CloudTowerClient(server.base_url, token=TOKEN)  # change the world first: the capture reads it as it is
    client.wait_tasks([t["task_id"] for t in client.shutdown_vm({"name": "web-01"})])
    client.wait_tasks([t["task_id"] for t in client.call("/connect-cluster", [
        {"ip": "10.20.0.10", "username": "admin", "password": "edge-pass"}])])
    out = capture(server, tmp_path)
    original, replica = original_reads(server), replica_reads(out)
    assert [path for path in original if original[path] != replica[path]] == []
    assert len(replica["/get-vm-disks"]) > 18 and replica["/get-vm-templates"] and replica["/get-vm-snapshots"]
    # and it works as the original does: its snapshots, templates and clusters act
    api = Api(make_client(Settings(scenario=str(out))))
    snap = api.one("vm-snapshots", "db-01-nightly")
    api.done(api.ok("poweroff-vm", {"where": {"name": "db-01"}}))
    api.done(api.ok("rollback-vm", {"where": {"name": "db-01"}, "data": {"snapshot_id": snap["id"]}}))
    template = api.one("vm-templates", "centos-7-template")
    api.done(api.ok("create-vm-from-template", [{"template_id": template["id"], "name": "from-replica",
                                                 "is_full_copy": True}]))
    assert len(api.ok("get-vm-disks", {"where": {"vm": {"name": "from-replica"}}})) == len(template["vm_disks"])
    prod = api.one("clusters", "smtx-prod")
    api.done(api.ok("update-cluster", {"where": {"id": prod["id"]}, "data": {
        "ip": prod["ip"], "username": "root", "password": "HC!r0cks"}}))


def test_an_anonymized_capture_keeps_the_world_and_drops_its_names(served, tmp_path):
    server = served(start_time=PINNED_START)
    out = capture(server, tmp_path, "--anonymize")
    text = out.read_text()
    original, replica = original_reads(server), replica_reads(out)
    seen = json.dumps(original)
    for secret in ("db-01", "node-1", "smtx-prod", "10.10.0.11", "PostgreSQL", "app-anti-affinity", "k8s-node",
                   original["/get-vm-nics"][0]["mac_address"], original["/get-vms"][0]["name"]):
        assert secret in seen and secret not in text, secret
    for path in original:  # the same objects, ids and all, under other names (and the same counts)
        if isinstance(original[path], list):
            assert [o["id"] for o in original[path]] == [o["id"] for o in replica[path]], path
        else:
            assert original[path] == replica[path], path
    assert [(v["memory"], v["status"], v["vcpu"]) for v in original["/get-vms"]] == [
        (v["memory"], v["status"], v["vcpu"]) for v in replica["/get-vms"]]
    assert replica["/get-hosts"][0]["name"] == "host-1"


def test_capture_needs_credentials_and_a_reachable_tower(tmp_path):
    out = tmp_path / "x.yaml"
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", "http://127.0.0.1:9/v2/api",
                        "--output", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--token" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", "http://127.0.0.1:9/v2/api",
                        "--token", "t", "--output", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "capture failed" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()
