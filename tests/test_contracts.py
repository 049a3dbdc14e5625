"""The contract suite as a user runs it, `cloudtower-sim contract`, in a subprocess against a simulator served on a
port: it passes against a faithful one (the path a real CloudTower takes), it is read-only unless told otherwise,
it refuses to start when what it may touch is unclear, and it fails, naming the breakage, against a drifted one."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cloudtower_sim.client import CloudTowerClient

from . import drift
from .conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = "3"  # per generated contract; the in-process run (contracts/ in the README command) goes wider


def run_contracts(tmp_path, base_url, *options, name="report"):
    report = tmp_path / f"{name}.json"
    command = [sys.executable, "-m", "cloudtower_sim", "contract", "--target-url", base_url, "--token", TOKEN,
               "--max-examples", MAX_EXAMPLES, "--report", str(report), *options]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    data = json.loads(report.read_text()) if report.exists() else None
    return proc, data


MUTATING = ("--allow-mutations", "--maintenance-host", "node-1", "--readonly-username", "viewer",
            "--readonly-password", "viewer-pass")


def outcomes(report) -> dict[str, str]:
    return {c["contract"].split("::", 1)[1]: c["outcome"] for c in report["contracts"]}


@pytest.fixture
def separate_server():
    """`cloudtower-sim serve --no-control` as its own process on a free port, as a user would start it."""
    proc = subprocess.Popen([sys.executable, "-m", "cloudtower_sim", "serve", "--no-control", "--port", "0",
                             "--task-mode", "realtime", "--speed", "200"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        base_url = None
        for line in proc.stdout:
            match = re.match(r"base URL: (\S+)", line)
            if match:
                base_url = match.group(1)
                break
        assert base_url, proc.stderr.read()
        yield base_url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_the_suite_passes_against_a_separate_simulator_without_control(tmp_path, separate_server):
    proc, report = run_contracts(tmp_path, separate_server, *MUTATING)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] > 50
    assert report["target"] == separate_server and report["api_version"] == "4.6.0" and report["mutations"]
    got = outcomes(report)
    for contract in ("test_maintenance_round_trip", "test_vm_power_lifecycle",
                     "test_operations_and_maintenance_keep_the_invariants",
                     "test_valid_vm_operations_conform[/start-vm]", "test_valid_reads_answer_200_and_conform[/get-vms]",
                     "test_pages_concatenate_to_the_ordered_whole[vms]",
                     "test_a_readonly_user_is_refused_changes[/start-vm]", "test_a_token_is_taken_bare_or_as_bearer",
                     "test_a_cursor_outside_the_filter_pages_from_its_place[vms]",
                     "test_the_newest_object_comes_first_by_id_desc", "test_snapshot_edit_rollback_delete",
                     "test_template_round_trip"):
        assert got[contract] == "passed", contract
    skipped = [c for c in report["contracts"] if c["outcome"] == "skipped"]
    reasons = ("go only to the simulator in-process", "has no", "has fewer than")
    assert skipped and all(any(r in c["message"] for r in reasons) for c in skipped), skipped
    # it left the cluster as it found it
    client = CloudTowerClient(separate_server, token=TOKEN)
    assert report["leftovers"] == []
    assert client.get_vms({"name_starts_with": "contract-"}) == []
    assert client.call("/get-vm-templates", {"where": {"name_starts_with": "contract-"}}) == []
    assert client.call("/get-vm-snapshots", {"where": {"name_starts_with": "contract-"}}) == []
    assert all(h["host_state"] in (None, {}) or h["host_state"]["state"] == "IN_USE" for h in client.get_hosts())


def test_a_url_target_is_read_only_by_default(tmp_path, served):
    server = served(task_mode="realtime", speed=200, control=False)
    client = CloudTowerClient(server.base_url, token=TOKEN)
    before = client.get_vms(order_by="name_ASC")
    proc, report = run_contracts(tmp_path, server.base_url)
    assert proc.returncode == 0, proc.stdout[-4000:]
    got = outcomes(report)
    assert got["test_maintenance_round_trip"] == "skipped" and got["test_vm_power_lifecycle"] == "skipped"
    assert got["test_valid_reads_answer_200_and_conform[/get-hosts]"] == "passed"
    message = next(c["message"] for c in report["contracts"] if c["contract"].endswith("test_vm_power_lifecycle"))
    assert "--allow-mutations" in message
    message = next(c["message"] for c in report["contracts"]
                   if c["contract"].endswith("test_a_readonly_user_is_refused_changes[/start-vm]"))
    assert "--readonly-username" in message  # a READ_ONLY refusal is checked only with a READ_ONLY account
    assert client.get_vms(order_by="name_ASC") == before and client.get_tasks() == []


def test_mutations_need_a_named_maintenance_host(tmp_path, served):
    server = served(control=False)
    proc, _ = run_contracts(tmp_path, server.base_url, "--allow-mutations")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--maintenance-host" in proc.stderr


def test_it_refuses_to_start_where_prefix_vms_exist(tmp_path, served):
    server = served(control=False)
    client = CloudTowerClient(server.base_url, token=TOKEN)
    cluster = client.get_clusters()[0]["id"]
    client.wait_tasks([a["task_id"] for a in client.create_vm(
        {"name": "contract-mine", "cluster_id": cluster, "memory": 1, "memory_unit": "GB", "cpu_cores": 1,
         "cpu_sockets": 1, "ha": False, "firmware": "BIOS", "status": "STOPPED", "vm_nics": [], "vm_disks": {}})])
    proc, _ = run_contracts(tmp_path, server.base_url, *MUTATING)
    assert proc.returncode == 4, proc.stdout[-3000:]
    assert "contract-mine" in proc.stdout + proc.stderr and "refuse" in proc.stdout + proc.stderr
    assert [v["name"] for v in client.get_vms({"name_starts_with": "contract-"})] == ["contract-mine"]


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_example_count_is_a_usage_error(value):
    proc = subprocess.run([sys.executable, "-m", "pytest", "--contract-max-examples", value, "--collect-only", "-q",
                           "contracts"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--contract-max-examples" in proc.stderr and "positive whole number" in proc.stderr


def test_an_unknown_maintenance_host_is_refused(tmp_path, served):
    server = served(control=False)
    proc, _ = run_contracts(tmp_path, server.base_url, "--allow-mutations", "--maintenance-host", "node-9")
    assert proc.returncode == 4 and "node-9" in proc.stdout + proc.stderr


def test_the_suite_catches_every_drift(tmp_path, served):
    """Each breakage, served on its own port, must make the suite fail with a report that names it. Two run at
    a time: the machines have two cores."""
    servers = {name: served(wrap=drift.middleware(b), task_mode="realtime", speed=200, control=False)
               for name, b in drift.BREAKAGES.items()}

    def one(name):
        return name, run_contracts(tmp_path, servers[name].base_url, *MUTATING, name=name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(one, drift.BREAKAGES))
    missed = {}
    for name, (proc, report) in results.items():
        if proc.returncode == 0 or report is None or report["summary"]["failed"] == 0:
            missed[name] = "the suite passed" if report else proc.stderr[-1000:]
            continue
        failed = [c for c in report["contracts"] if c["outcome"] == "failed"]
        if not all(c.get("exchanges") and c["exchanges"][0]["request"]["path"].startswith("/")
                   and isinstance(c["exchanges"][0]["response"]["status"], int) for c in failed):
            missed[name] = "a failed contract carries no request and response"
            continue
        text = json.dumps(failed)
        if not any(words in text for words in drift.BREAKAGES[name].expect):
            missed[name] = f"the failures name none of {drift.BREAKAGES[name].expect}"
    assert not missed, missed
