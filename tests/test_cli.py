"""`python -m cloudtower_sim serve` as a real process: banner, login, SIGTERM, scenario errors, seeds, options."""

import re
import signal
import subprocess
import sys

import pytest
import requests

from .support import ROOT, Process

SERVE = [sys.executable, "-m", "cloudtower_sim", "serve", "--host", "127.0.0.1", "--port", "0"]
TIMEOUT = 20  # seconds for a process to start or to fail


class Server(Process):
    """A `serve` process (support.Process), with a user's first calls."""

    def post(self, op, body=None, token=None):
        headers = {"Authorization": token} if token else {}
        return requests.post(f"{self.base_url}/{op}", json=body or {}, headers=headers, timeout=10)

    def token(self):
        r = self.post("login", {"username": "root", "password": "HC!r0cks"})
        assert r.status_code == 200, r.text
        return r.json()["data"]["token"]

    def vm_ids(self):
        r = self.post("get-vms", token=self.token())
        assert r.status_code == 200, r.text
        return {vm["name"]: vm["id"] for vm in r.json()}


@pytest.fixture
def serve():
    """serve(*args) starts `serve` with extra arguments; every process is killed at the end of the test."""
    started = []

    def start(*args):
        started.append(Server("--host", "127.0.0.1", *args, timeout=TIMEOUT))
        return started[-1]

    yield start
    for s in started:
        s.kill()


def test_banner_login_and_sigterm(serve):
    s = serve()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v2/api", s.base_url), s.banner
    assert int(s.base_url.rsplit(":", 1)[1].split("/")[0]) > 0
    assert "credentials: root / HC!r0cks" in s.banner

    with requests.Session() as session:  # a client still connected must not keep the process alive
        r = session.post(f"{s.base_url}/login", json={"username": "root", "password": "HC!r0cks"}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["token"]
        assert r.headers.get("x-tower-request-id")

        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=5) == 0


BROKEN = {
    "vm on a missing host": (
        "clusters:\n  - name: c1\n    hosts: [{name: node-1, memory_gib: 64}]\n"
        "    vms: [{name: vm-1, host: node-9, status: RUNNING, memory_gib: 4, vcpu: 2}]\n",
        "clusters[0].vms[0].host", "no host named 'node-9'"),
    "unknown key": (
        "clusters:\n  - name: c1\n    hosts: [{name: node-1, memory_gib: 64, colour: blue}]\n",
        "clusters[0].hosts[0].colour", "unknown key"),
    "wrong type": (
        "clusters:\n  - name: c1\n    hosts: [{name: node-1, memory_gib: 64}]\n"
        "    vms: [{name: vm-1, host: node-1, status: RUNNING, memory_gib: lots, vcpu: 2}]\n",
        "clusters[0].vms[0].memory_gib", "got 'lots'"),
    "bad status": (
        "clusters:\n  - name: c1\n    vms: [{name: vm-1, status: PAUSED, memory_gib: 4, vcpu: 2}]\n",
        "clusters[0].vms[0].status", "expected one of RUNNING, STOPPED, SUSPENDED"),
    "invalid YAML": ("clusters: [\n  - name: {c1\n", "", "not valid YAML"),
}


@pytest.mark.slow  # a process of its own
@pytest.mark.parametrize("text, entry, what", BROKEN.values(), ids=BROKEN.keys())
def test_broken_scenario_stops_the_start(tmp_path, text, entry, what):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    done = subprocess.run(SERVE + ["--scenario", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode != 0
    assert "base URL" not in done.stdout
    assert str(path) in done.stderr
    assert entry in done.stderr
    assert what in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a process of its own
def test_missing_scenario_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    done = subprocess.run(SERVE + ["--scenario", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode != 0
    assert str(path) in done.stderr and "Traceback" not in done.stderr


def test_seed_makes_ids_deterministic(serve):
    a, b, c = serve("--seed", "7"), serve("--seed", "7"), serve("--seed", "8")
    ids_a, ids_b, ids_c = a.vm_ids(), b.vm_ids(), c.vm_ids()
    assert len(ids_a) == 18
    assert ids_a == ids_b
    assert ids_c.keys() == ids_a.keys()
    assert not set(ids_a.values()) & set(ids_c.values())


def test_task_mode_manual(serve):
    s = serve("--task-mode", "manual")
    assert "task mode manual" in s.banner[0]
    r = requests.get(f"{s.root}/_sim/clock", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "manual"


def test_default_task_mode_is_instant(serve):
    r = requests.get(f"{serve().root}/_sim/clock", timeout=10)
    assert r.status_code == 200 and r.json()["mode"] == "instant"


def test_no_control(serve):
    s = serve("--no-control")
    assert requests.get(f"{s.root}/_sim/clock", timeout=10).status_code == 404
    assert requests.post(f"{s.root}/_sim/reset", timeout=10).status_code == 404
    assert s.post("login", {"username": "root", "password": "HC!r0cks"}).status_code == 200


@pytest.mark.slow  # a process of its own
def test_bad_arguments_exit_non_zero():
    for args in (["--task-mode", "sometimes"], ["--speed", "0"]):
        done = subprocess.run(SERVE + args, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
        assert done.returncode != 0 and args[0] in done.stderr


def test_api_version(serve):
    s = serve("--api-version", "4.0.0")
    assert any("CloudTower API 4.0.0" in line for line in s.banner), s.banner
    assert requests.get(f"{s.base_url}/get-version", timeout=10).json() == "4.0.0"
    [vm] = s.post("get-vms", {"first": 1}, token=s.token()).json()
    assert "bios_uuid" not in vm  # a 4.1.0 field


@pytest.mark.slow  # a process of its own
def test_an_unserved_api_version_is_refused():
    r = subprocess.run(SERVE + ["--api-version", "3.4.4"], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "4.0.0" in r.stderr and "4.6.0" in r.stderr, r.stderr


def test_extract_without_the_upstream_specs_says_where_it_looked(tmp_path, capsys):
    """`cloudtower-sim extract` with no spec in the folder: exit 2 and a message naming the file, not a traceback;
    nothing is written."""
    from cloudtower_sim.mock_server import cli
    from cloudtower_sim.mock_server.schema.spec import EXTRACTS

    before = {p.name: p.read_bytes() for p in EXTRACTS.iterdir()}
    assert cli.main(["extract", "--upstream", str(tmp_path), "--version", "4.6.0"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "cloudtower-openapi-4.6.0.json") in err and "--upstream DIR" in err
    assert {p.name: p.read_bytes() for p in EXTRACTS.iterdir()} == before
