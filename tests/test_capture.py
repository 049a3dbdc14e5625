"""`cloudtower-sim capture` (mock_server/capture.py): a served simulator captured, the capture served, the two
inventories compared; anonymized, the same world under other names."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
import yaml

from cloudtower_sim.client import CloudTowerClient
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from .support import PINNED_START, TOKEN

pytestmark = pytest.mark.slow  # each test runs `cloudtower-sim capture` in a process of its own


def inventory(world, named=True) -> dict:
    """What a replica must have as its original had it (names only when `named`)."""
    n = (lambda x: x) if named else (lambda x: None)
    return {
        "hosts": Counter((n(h.name), h.total_memory_bytes, h.total_cpu_cores, h.status) for h in world.hosts.values()),
        "vms": Counter((n(v.name), n(v.host.name) if v.host else None, v.status, v.memory, v.vcpu, v.cpu_sockets,
                        v.ha, v.firmware, len(v.gpu_devices), len(v.usb_devices), len(v.snapshots))
                       for v in world.vms.values()),
        "gpus": Counter((n(g.name), g.user_usage, n(g.host.name)) for g in world.gpu_devices.values()),
        "groups": Counter((n(g.name), g.vm_vm_policy, len(g.vms)) for g in world.vm_placement_groups.values()),
        "folders": Counter((n(f.name), len(f.vms)) for f in world.vm_folders.values()),
        "labels": Counter((n(l.key), n(l.value), len(l.vms), len(l.hosts), len(l.clusters))
                          for l in world.labels.values() if l.vms or l.hosts or l.clusters),
        "datacenters": Counter((n(d.name), len(d.clusters)) for d in world.datacenters.values()),
    }


def capture(served, tmp_path, *options):
    out = tmp_path / "captured.yaml"
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", served.base_url,
                        "--token", TOKEN, "--output", str(out), *options], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "reading vms" in r.stderr and f"wrote {out}" in r.stdout, (r.stdout, r.stderr)  # progress, then the file
    return out


def test_a_served_simulator_captured_and_served_again_is_the_same_inventory(served, tmp_path):
    server = served(start_time=PINNED_START)
    client = CloudTowerClient(server.base_url, token=TOKEN)  # change the world first: the capture reads it as it is
    client.wait_tasks([t["task_id"] for t in client.shutdown_vm({"name": "web-01"})])
    out = capture(server, tmp_path)
    replica = Simulator(Settings(scenario=str(out), start_time=PINNED_START))
    assert inventory(replica.world) == inventory(server.sim.world)
    assert replica.world.vms and next(v for v in replica.world.vms.values() if v.name == "web-01").status == "STOPPED"


def test_an_anonymized_capture_keeps_the_world_and_drops_its_names(served, tmp_path):
    server = served(start_time=PINNED_START)
    out = capture(server, tmp_path, "--anonymize")
    text = out.read_text()
    for secret in ("db-01", "node-1", "smtx-prod", "10.10.0.11", "PostgreSQL", "app-anti-affinity"):
        assert secret not in text, secret
    replica = Simulator(Settings(scenario=str(out), start_time=PINNED_START))
    assert inventory(replica.world, named=False) == inventory(server.sim.world, named=False)
    assert yaml.safe_load(text)["clusters"][0]["hosts"][0]["name"] == "host-1"


def test_capture_needs_credentials_and_a_reachable_tower(tmp_path):
    out = tmp_path / "x.yaml"
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", "http://127.0.0.1:9/v2/api",
                        "--output", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--token" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "capture", "--target-url", "http://127.0.0.1:9/v2/api",
                        "--token", "t", "--output", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "capture failed" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()
