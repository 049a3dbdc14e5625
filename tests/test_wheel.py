"""The built wheel on its own, with no checkout and no ../shared anywhere: it serves, validates requests, and answers
the official SDK's maintenance workflow."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import json, sys, threading
import mock_server
from cloudtower import ApiClient, Configuration
from cloudtower.api import HostApi, VmApi
from cloudtower.utils import login, wait_task
from waitress import create_server
from mock_server.api import create_app
from mock_server.domain.simulator import Settings

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
                  "version": app.test_client().get("/v2/api/get-version").get_json()}))
'''


def test_the_wheel_alone_serves_validates_and_answers_the_sdk(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("cloudtower_sim-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what installing a pure-Python wheel does
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
