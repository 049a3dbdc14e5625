"""The `cloudtower_sim` fixture (cloudtower_sim/pytest_plugin.py), as a dependent project's tests use it: marks
choosing the world and the clock, a fresh world per test (tests/test_readme.py runs the README's example with the
official SDK)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cloudtower_sim import mock_server

SMALL = {"users": [{"username": "ops", "password": "pw"}],
         "clusters": [{"name": "lab", "hosts": [{"name": "h1", "memory_gib": 64}],
                       "vms": [{"name": "only", "host": "h1", "status": "RUNNING", "memory_gib": 2, "vcpu": 1}]}]}


def test_a_test_changes_the_world(cloudtower_sim):
    client = cloudtower_sim.client()
    client.wait_tasks([t["task_id"] for t in client.shutdown_vm({"name": "web-01"})])
    assert client.get_vms({"name": "web-01"})[0]["status"] == "STOPPED"


def test_each_test_gets_a_fresh_world(cloudtower_sim):
    """The test above stopped web-01 on the same server; this one finds it running again."""
    [vm] = cloudtower_sim.client().get_vms({"name": "web-01"})
    assert vm["status"] == "RUNNING"


@pytest.mark.cloudtower_scenario(SMALL)
@pytest.mark.cloudtower_sim(task_mode="manual", api_version="4.1.0")
def test_marks_choose_the_world_the_version_and_the_clock(cloudtower_sim):
    client = cloudtower_sim.client()
    assert (cloudtower_sim.username, client.get_version()) == ("ops", "4.1.0")
    [task] = client.shutdown_vm({"name": "only"})
    assert client.get_task(task["task_id"])["status"] == "PENDING"  # manual: nothing moves by itself
    cloudtower_sim.advance(300)
    assert client.get_task(task["task_id"])["status"] == "SUCCESSED"
    assert client.get_vms({"name": "only"})[0]["status"] == "STOPPED"


@pytest.mark.cloudtower_scenario(str(Path(mock_server.__file__).parent / "scenarios" / "stretched.yaml"))
def test_a_scenario_file(cloudtower_sim):
    [cluster] = cloudtower_sim.client().call("/get-clusters", {})
    assert cluster["name"] == "smtx-stretched" and cluster["stretch"] is True


@pytest.mark.slow  # a process of its own
def test_an_unknown_setting_is_a_usage_error(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "import pytest\n\n\n@pytest.mark.cloudtower_sim(task_mod='manual')\ndef test_x(cloudtower_sim):\n"
        "    pass\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "unknown settings ['task_mod']" in r.stdout + r.stderr, r.stdout[-2000:]
