"""`cloudtower-sim serve` under careless and hostile use (issue 12): its options are checked before it starts; idle
and slow connections cannot lock a new client out, and idle ones are closed; waitress' own refusals are ErrorBody;
SIGTERM and SIGINT finish what is in flight, print one line and exit 0. All on loopback, with bounded loops."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from cloudtower_sim.mock_server import cli
from cloudtower_sim.mock_server.api.wire import MAX_BODY_BYTES
from cloudtower_sim.mock_server.server import CLEANUP_INTERVAL, CONNECTION_LIMIT, IDLE_TIMEOUT

from .support import ROOT, TOKEN, Process

pytestmark = pytest.mark.slow  # each test serves the simulator in a process of its own

AUTH = {"Authorization": TOKEN}


def start(*options, scenario=None):
    server = Process(*options, *(["--scenario", str(scenario)] if scenario else []))
    return server, server.base_url


def stop(server, sig=signal.SIGTERM) -> tuple[int, str, str]:
    return server.stop(sig)


# --- item 6: options --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options,named", [
    (["--threads", "0"], "--threads"),
    (["--threads", "x"], "--threads"),
    (["--port", "70000"], "--port"),
    (["--port", "-1"], "--port"),
    (["--speed", "inf"], "--speed"),
    (["--speed", "nan"], "--speed"),
    (["--speed", "1e11"], "--speed"),
    (["--speed", "0"], "--speed"),
    (["--upstream-spec", "/nonexistent/spec.json"], "--upstream-spec"),
    (["--host", "203.0.113.77"], "cannot listen"),  # TEST-NET-3: an address this machine does not have
])
def test_a_bad_option_is_refused_with_a_message_and_exit_code_2(options, named):
    proc = subprocess.run([sys.executable, "-m", "cloudtower_sim", "serve", *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert named in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_port_in_use_is_refused_with_a_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "cloudtower_sim", "serve", "--port", str(port)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and f"port {port}" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_only_a_loopback_address_is_served_without_a_warning():
    assert cli._loopback("127.0.0.1") and cli._loopback("::1") and cli._loopback("localhost")
    assert not cli._loopback("0.0.0.0") and not cli._loopback("::") and not cli._loopback("10.0.0.5")
    proc, _ = start()
    code, out, err = stop(proc)
    assert code == 0 and "WARNING" not in err


# --- item 5: a graceful stop ------------------------------------------------------------------------------------------

@pytest.fixture
def big_world(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("generate: {clusters: 1, hosts_per_cluster: 4, vms_per_host: 1500}\n"
                    "users: [{username: root, password: x, tokens: [" + TOKEN + "]}]\n")
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_finishes_the_requests_in_flight(big_world, sig):
    proc, url = start("--threads", "2", scenario=big_world)
    answers, errors = [], []

    def read():
        try:
            r = requests.post(url + "/get-vms", json={}, headers=AUTH, timeout=60)
            answers.append((r.status_code, len(r.json())))
        except Exception as e:  # noqa: BLE001 (a dropped request is what this test looks for)
            errors.append(repr(e))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # the requests are in: 2 threads work, the rest wait in the queue
    code, out, err = stop(proc, sig)
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert answers == [(200, 6000)] * 8
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("cloudtower-sim: stopped"), out
    assert "Traceback" not in err and "Bad file descriptor" not in err, err


# --- item 2: connections ----------------------------------------------------------------------------------------------

def test_idle_and_slow_connections_do_not_lock_out_a_new_client_and_idle_ones_are_closed():
    proc, url = start()
    host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()
    idle, slow = [], []
    try:
        for _ in range(150):  # more than waitress' default limit of 100
            idle.append(socket.create_connection((host, int(port)), timeout=5))
        for _ in range(120):  # slowloris: a request line and one header, never finished
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"POST /v2/api/get-vms HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        assert len(idle) + len(slow) < CONNECTION_LIMIT
        with requests.Session() as fresh:
            for _ in range(10):
                r = fresh.post(url + "/get-vms", json={"first": 1}, headers=AUTH, timeout=5)
                assert r.status_code == 200
        # an idle connection is closed once IDLE_TIMEOUT has passed (checked every CLEANUP_INTERVAL)
        s = idle[0]
        s.settimeout(IDLE_TIMEOUT + CLEANUP_INTERVAL + 5)
        started = time.monotonic()
        assert s.recv(1) == b""
        assert time.monotonic() - started <= IDLE_TIMEOUT + CLEANUP_INTERVAL + 5
    finally:
        for s in idle + slow:
            s.close()
        code, _, err = stop(proc)
    assert code == 0, err


# --- item 9: waitress' own refusals -----------------------------------------------------------------------------------

def test_the_servers_own_refusals_are_error_bodies():
    proc, url = start()
    try:
        big = requests.post(url + "/get-vms", json={}, headers={**AUTH, "X-Big": "a" * 70_000}, timeout=10)
        garbled = requests.request("GET", url.replace("/v2/api", "") + "/v2/api/get-version", timeout=10,
                                   headers={"Content-Length": "x"})
        huge = requests.post(url + "/get-vms", data=b" " * (MAX_BODY_BYTES + 1), timeout=30,
                             headers={**AUTH, "Content-Type": "application/json"})
    finally:
        stop(proc)
    assert huge.status_code == 400 and str(MAX_BODY_BYTES) in huge.json()["message"]  # waitress' 413, as upstream's 400
    for r in (big, garbled, huge):
        assert r.status_code in (400, 431), r.status_code
        body = json.loads(r.text)
        assert {"message", "status", "path"} <= set(body) and body["status"] == r.status_code, body
        assert r.headers["content-type"] == "application/json" and r.headers.get("x-tower-request-id")
