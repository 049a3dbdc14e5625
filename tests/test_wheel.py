"""The built wheel on its own, with no checkout and no ../shared anywhere: it serves, validates requests, and answers
the official SDK's maintenance workflow."""

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from .support import ROOT

pytestmark = pytest.mark.slow  # builds the wheel and installs it into a new environment

SCRIPT = r'''
import json, sys, threading
from cloudtower_sim import mock_server
from cloudtower import ApiClient, Configuration
from cloudtower.api import HostApi, VmApi
from cloudtower.utils import login, wait_task
from waitress import create_server
from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings

app = create_app(Settings(api_version=sys.argv[1]))
server = create_server(app, host="127.0.0.1", port=0, threads=2)
threading.Thread(target=server.run, daemon=True).start()
client = ApiClient(Configuration(host=f"http://127.0.0.1:{server.effective_port}/v2/api"))
login(client, "root", "HC!r0cks")
hosts, vms = HostApi(client), VmApi(client)
[node1] = hosts.get_hosts({"where": {"name": "node-1"}})
check = hosts.enter_maintenance_mode_pre_check({"where": {"id": node1.id}})
result = hosts.enter_maintenance_mode_precheck_result({"where": {"task_id": check.task_id}})
entering = hosts.enter_maintenance_mode({"where": {"host_id": node1.id},
                                         "data": {"shutdown_vms": [v.vm_uuid for v in result.shutdown_vms]}})
wait_task(entering.task_id, client, interval=0.1)
state = hosts.get_hosts({"where": {"id": node1.id}})[0].host_state.state
bad = app.test_client().post("/v2/api/get-vms", json={"where": {"nmae": "x"}},
                             headers={"Authorization": "cloudtower-sim-root-token"})
print(json.dumps({"module": mock_server.__file__, "state": state, "vms": len(vms.get_vms({})),
                  "bad": [bad.status_code, bad.get_json()["message"]],
                  "version": app.test_client().get("/v2/api/get-version").get_json(),
                  "graphql": app.test_client().post("/api", json={"query": "{authnStrategies{type}}"}).get_json()}))
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist, source = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("source") / "cloudtower-sim"
    # built from a copy: a checkout's stale build/ would otherwise slip old files into the wheel
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                                 ".hypothesis", "report*.json"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(dist), str(source)], check=True, timeout=300)
    [built] = dist.glob("cloudtower_sim-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    """The wheel installed on its own: what installing a pure-Python wheel does."""
    path = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(path)
    return path


def test_the_wheel_adds_one_import_package_and_a_fixture_plugin(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"cloudtower_sim"}
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "cloudtower_sim = cloudtower_sim.pytest_plugin" in text, text
    assert "cloudtower-sim = cloudtower_sim.mock_server.cli:main" in text, text
    assert {"cloudtower_sim/mock_server/scenarios/default.yaml", "cloudtower_sim/mock_server/schema/extracts/4.6.0.json",
            "cloudtower_sim/mock_server/schema/extracts/4.0.0.whole.json.gz",  # spec-diff reads it
            "cloudtower_sim/client/__init__.py", "cloudtower_sim/contracts/plugin.py"} <= set(names)


DEPENDENT_TEST = """
from client import hello
from contracts import NAME


def test_its_own_packages():
    assert hello() == "mine" and NAME == "their contracts"


def test_the_fixture_serves_real_http(cloudtower_sim):
    import requests

    r = requests.post(cloudtower_sim.url + "/get-vms", json={"where": {"name": "db-01"}},
                      headers={"Authorization": cloudtower_sim.token}, timeout=30)
    assert r.status_code == 200 and [v["name"] for v in r.json()] == ["db-01"]
"""


def test_a_dependent_projects_own_client_and_contracts_are_not_shadowed(site, tmp_path):
    """The issue's reproduction: a project with its own `client` and `contracts` packages, cloudtower-sim installed
    in the same environment, run with `pytest` and with `python -m pytest`."""
    dep = tmp_path / "dep"
    for package, text in (("client", "def hello():\n    return 'mine'\n"), ("contracts", "NAME = 'their contracts'\n")):
        (dep / package).mkdir(parents=True)
        (dep / package / "__init__.py").write_text(text)
    (dep / "tests").mkdir()
    (dep / "tests" / "test_x.py").write_text(textwrap.dedent(DEPENDENT_TEST))
    (dep / "conftest.py").write_text("")  # the project's root on sys.path, as most projects have it
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    pytest_command = str(Path(sys.executable).parent / "pytest")
    for command in ([sys.executable, "-m", "pytest"], [pytest_command]):
        r = subprocess.run(command + ["-q", "-p", "no:cacheprovider", "tests"], cwd=dep, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0 and "2 passed" in r.stdout, (command, r.stdout[-3000:], r.stderr[-2000:])
    r = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=dep, env=env, capture_output=True, text=True,
                       timeout=120)
    options = [line.split()[0] for line in r.stdout.splitlines() if line.strip().startswith("--")]
    assert not [o for o in options if o.startswith(("--token", "--target-url", "--username", "--password",
                                                     "--insecure", "--allow-mutations"))], options


def test_the_wheel_alone_serves_validates_and_answers_the_sdk(site, tmp_path):
    run = tmp_path / "elsewhere"
    run.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}  # no CLOUDTOWER_UPSTREAM_SPEC
    r = subprocess.run([sys.executable, "-c", SCRIPT, "4.1.0"], cwd=run, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["module"].startswith(str(site)), out  # the wheel's code, not the checkout's
    assert out["version"] == "4.1.0"
    assert out["state"] == "MAINTENANCE_MODE"
    assert out["vms"] == 18
    assert out["bad"][0] == 400 and "where.nmae" in out["bad"][1], out
    assert out["graphql"] == {"data": {"authnStrategies": [{"type": "LDAP"}]}}, out  # its SDL ships in the wheel


def test_the_wheel_alone_runs_spec_diff_on_what_it_ships(site, tmp_path):
    """No ../shared and no checkout: spec-diff reads the whole files the wheel carries."""
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "cloudtower_sim", "spec-diff", "4.6.0", "4.0.0", "--json"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr[-3000:]
    changes = json.loads(r.stdout)["changes"]
    assert any((c["schema"], c["field"], c["breaking"]) == ("NestedLabel", "key", True) for c in changes)
