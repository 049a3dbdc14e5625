#!/usr/bin/env python3
"""get-vms throughput of the simulator as a ratio against a floor.

The floor is a bare Flask app on the same waitress server config (`create_server(app, threads=N)`, as
`cloudtower-sim serve` does) whose single route, POST /v2/api/get-vms, answers the bytes the simulator answered for
that request (same body, same Content-Type, a fixed X-Tower-Request-Id). The ratio sim/floor says how much of the
budget of a request the simulator itself spends; the floor is what Flask + waitress cost on this machine at the
moment. Simulator and floor are loaded in the same run, alternating (ABBA over --rounds), so a noisy machine
affects both alike.

Worlds: the default scenario (18 VMs) and a generated one (10 clusters x 10 hosts x 100 VMs = 10,000 VMs).
Requests: (a) {"where": {"id": <an existing VM id>}}; (b) {"where": {"status": "RUNNING"}, "first": 50}.

Load: wrk (a Lua script sets the POST body and headers) when on PATH, else a Python keep-alive load generator.
It asserts nothing about speed: it is a measurement. It refuses to run only when the set-up is wrong (the served
mock_server is not the one under --repo, a request does not answer 200, the floor does not answer the same bytes).

    python bench/get_vms_floor.py --out result.json [--repo PATH] [--python PATH] [--duration 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TOKEN = "cloudtower-sim-root-token"
USERS = [{"username": "root", "password": "HC!r0cks", "tokens": [TOKEN]}]
GENERATED = {"clusters": 10, "hosts_per_cluster": 10, "vms_per_host": 100}
PATH = "/v2/api/get-vms"
KEPT_HEADERS = ("content-type", "x-tower-request-id")   # what the floor answers besides the body

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------------------------
# the floor server (run as a subprocess by --python: `get_vms_floor.py _floor ...`)

def floor_main(argv) -> int:
    p = argparse.ArgumentParser(prog="get_vms_floor.py _floor")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--answer", required=True, help="JSON file: {'body_hex': ..., 'headers': {...}}")
    args = p.parse_args(argv)

    from flask import Flask, Response
    from waitress import create_server

    with open(args.answer) as f:
        answer = json.load(f)
    body = bytes.fromhex(answer["body_hex"])
    headers = answer["headers"]
    app = Flask("get_vms_floor")

    @app.post(PATH)
    def get_vms():
        return Response(body, status=200, headers=headers)

    server = create_server(app, host=args.host, port=args.port, threads=args.threads)
    print(f"base URL: http://{args.host}:{server.effective_port}/v2/api", flush=True)

    def stop(signum, frame):
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        server.close()
    return 0


# ---------------------------------------------------------------------------------------------------------------
# servers

class Server:
    """A server subprocess whose output goes to a log file; ready when it prints its base URL."""

    def __init__(self, name, argv, cwd, env, workdir, timeout=180.0):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        self.base = None
        while time.monotonic() < deadline:
            text = self.text()
            m = re.search(r"^base URL: (http://\S+)$", text, re.M)
            if m:
                self.base = m.group(1)
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"{name}: exited with {self.proc.returncode} before serving:\n{text}")
            time.sleep(0.005)  # (bench/run.py times the start: a coarse poll would add to it)
        else:
            self.stop()
            raise SystemExit(f"{name}: no base URL after {timeout:.0f} s:\n{self.text()}")
        u = urllib.parse.urlparse(self.base)
        self.host, self.port = u.hostname, u.port

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def post(server, body: bytes):
    return post_to(server, PATH, body)


def post_to(server, path: str, body: bytes):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Authorization": TOKEN, "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def sim_argv(python, repo, scenario, threads, has_threads_option):
    # run through `python -c` so that the server process itself says which mock_server it imported
    serve = ["serve", "--host", "127.0.0.1", "--port", "0"]
    if scenario:
        serve += ["--scenario", scenario]
    if has_threads_option:
        serve += ["--threads", str(threads)]
    code = ("import importlib, sys\n"  # a tree of either layout: cloudtower_sim.mock_server, or mock_server before it
            "try:\n    from cloudtower_sim import mock_server\nexcept ImportError:\n    import mock_server\n"
            "print('mock_server:', mock_server.__file__, flush=True)\n"
            "sys.exit(importlib.import_module(mock_server.__name__ + '.cli').main(sys.argv[1:]))")
    return [python, "-c", code] + serve


def repo_env(repo):
    env = dict(os.environ)
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# ---------------------------------------------------------------------------------------------------------------
# load generators

WRK_LUA = """wrk.method = "POST"
wrk.path = %s
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %s
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run_wrk(server, body: bytes, seconds, connections, threads, workdir):
    script = os.path.join(workdir, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_LUA % (lua_string(PATH), lua_string(body.decode()), lua_string(TOKEN)))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
                          "-s", script, f"http://{server.host}:{server.port}"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:(.*)", out)
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    return {"rps": float(m.group(1)), "requests": int(n.group(1)), "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errs.group(1).strip() if errs else "", "latency_avg": lat.group(1) if lat else None,
            "raw": out}


def run_python_load(server, body: bytes, seconds, connections, threads=None, workdir=None):
    """`connections` threads, each on one keep-alive http.client connection, for `seconds`."""
    counts, bad = [0] * connections, [0] * connections
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": TOKEN, "Content-Type": "application/json"}

    def worker(i):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        while time.monotonic() < stop_at:
            conn.request("POST", PATH, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            counts[i] += 1
            if r.status != 200:
                bad[i] += 1
        conn.close()

    start = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start
    return {"rps": sum(counts) / elapsed, "requests": sum(counts), "non_2xx": sum(bad), "socket_errors": "",
            "latency_avg": None, "raw": ""}


# ---------------------------------------------------------------------------------------------------------------

def git_info(repo):
    def git(*a):
        r = subprocess.run(["git", "-C", repo, *a], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    rev = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": rev, "dirty": bool(status) if status is not None else None}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_floor"]:
        return floor_main(argv[1:])
    p = argparse.ArgumentParser(description="get-vms req/s of the simulator vs a bare Flask+waitress floor "
                                            "answering the same bytes (a measurement; asserts nothing)")
    p.add_argument("--out", required=True, help="write the results as JSON to this file")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter that runs both servers (needs flask, waitress, pyyaml; default: this one)")
    p.add_argument("--repo", default=os.path.dirname(HERE),
                   help="source tree whose mock_server is served (cwd and PYTHONPATH of the simulator; "
                        "default: the repo this script is in)")
    p.add_argument("--duration", type=int, default=8, help="whole seconds per measurement (default 8)")
    p.add_argument("--rounds", type=int, default=2,
                   help="measurements of each server per cell, alternating sim/floor as ABBA... (default 2)")
    p.add_argument("--warmup", type=int, default=2, help="unrecorded whole seconds of load per server per cell "
                                                     "(default 2)")
    p.add_argument("--server-threads", type=int, default=4,
                   help="waitress threads of both servers (default 4, as `cloudtower-sim serve`)")
    p.add_argument("--connections", type=int, default=4, help="keep-alive connections of the load (default 4)")
    p.add_argument("--load", choices=("auto", "wrk", "python"), default="auto",
                   help="load generator: wrk if on PATH (auto), or Python threads")
    p.add_argument("--worlds", default="default,generated-10k", help="comma list of: default, generated-10k")
    args = p.parse_args(argv)

    repo = os.path.abspath(args.repo)
    python = args.python
    load_kind = args.load if args.load != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if load_kind == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--load wrk: wrk is not on PATH")
    load = run_wrk if load_kind == "wrk" else run_python_load
    wrk_threads = min(2, args.connections)
    env = repo_env(repo)
    workdir = tempfile.mkdtemp(prefix="get_vms_floor-")

    help_text = subprocess.run([python, "-m", "cloudtower_sim", "serve", "--help"], cwd=repo, env=env,
                               capture_output=True, text=True).stdout
    has_threads_option = "--threads" in help_text
    if not has_threads_option and args.server_threads != 4:
        raise SystemExit("this mock_server's `serve` has no --threads; it serves with waitress' default (4)")

    scenarios = {"default": None}
    gen_path = os.path.join(workdir, "generated-10k.yaml")
    with open(gen_path, "w") as f:
        json.dump({"seed": 2026, "start_time": "2026-01-01T08:00:00Z", "users": USERS, "generate": GENERATED}, f)
        # JSON is YAML
    scenarios["generated-10k"] = gen_path
    worlds = [w.strip() for w in args.worlds.split(",") if w.strip()]
    for w in worlds:
        if w not in scenarios:
            raise SystemExit(f"--worlds: unknown world {w!r} (known: {', '.join(scenarios)})")

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "repo": repo, "git": git_info(repo), "python": python,
        "python_version": subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                         capture_output=True, text=True).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "server_threads": args.server_threads, "server_threads_passed": has_threads_option,
        "load": load_kind, "connections": args.connections,
        "wrk_threads": wrk_threads if load_kind == "wrk" else None,
        "duration_s": args.duration, "rounds": args.rounds, "warmup_s": args.warmup,
    }
    print(f"repo {repo} ({meta['git']['commit'] or 'not git'}{', dirty' if meta['git']['dirty'] else ''}), "
          f"python {python} {meta['python_version']}, load {load_kind} x{args.connections} connections, "
          f"{args.rounds} x {args.duration:g} s per server per cell", flush=True)

    results = []
    servers = []
    try:
        for world in worlds:
            t0 = time.monotonic()
            sim = Server(f"sim-{world}", sim_argv(python, repo, scenarios[world], args.server_threads,
                                                 has_threads_option), repo, env, workdir)
            servers.append(sim)
            m = re.search(r"^mock_server: (.+)$", sim.text(), re.M)
            served = os.path.realpath(m.group(1)) if m else None
            if not served or not served.startswith(os.path.realpath(repo) + os.sep):
                raise SystemExit(f"the simulator imported mock_server from {served}, not from {repo}")
            banner = re.search(r"^cloudtower-sim: serving .*$", sim.text(), re.M)
            print(f"\n[{world}] {banner.group(0) if banner else ''} (ready in {time.monotonic() - t0:.1f} s); "
                  f"mock_server: {served}", flush=True)

            status, _, first = post(sim, json.dumps({"first": 1}).encode())
            if status != 200:
                raise SystemExit(f"{world}: get-vms {{first: 1}} answered {status}: {first[:300]!r}")
            vm_id = json.loads(first)[0]["id"]
            requests = {"a:id": {"where": {"id": vm_id}}, "b:running-first50": {"where": {"status": "RUNNING"},
                                                                                "first": 50}}
            for rname, rbody in requests.items():
                body = json.dumps(rbody, separators=(",", ":")).encode()
                status, headers, answer = post(sim, body)
                if status != 200:
                    raise SystemExit(f"{world} {rname}: answered {status}: {answer[:300]!r}")
                kept = {k: headers[k] for k in KEPT_HEADERS if k in headers}
                answer_path = os.path.join(workdir, f"answer-{world}-{rname.replace(':', '-')}.json")
                with open(answer_path, "w") as f:
                    json.dump({"body_hex": answer.hex(), "headers": kept}, f)
                floor = Server(f"floor-{world}-{rname.replace(':', '-')}",
                               [python, os.path.abspath(__file__), "_floor", "--threads", str(args.server_threads),
                                "--answer", answer_path], repo, env, workdir)
                servers.append(floor)
                f_status, _, f_answer = post(floor, body)
                if f_status != 200 or f_answer != answer:
                    raise SystemExit(f"{world} {rname}: the floor does not answer the simulator's bytes")
                items = len(json.loads(answer))
                print(f"[{world}] {rname}: {body.decode()} -> {len(answer)} bytes, {items} VM(s)", flush=True)

                for srv in (sim, floor):
                    if args.warmup > 0:
                        load(srv, body, args.warmup, args.connections, wrk_threads, workdir)
                samples = {"sim": [], "floor": []}
                for r in range(args.rounds):
                    order = (("sim", sim), ("floor", floor)) if r % 2 == 0 else (("floor", floor), ("sim", sim))
                    for label, srv in order:
                        res = load(srv, body, args.duration, args.connections, wrk_threads, workdir)
                        res.pop("raw")
                        samples[label].append(res)
                        warn = f"  NON-2xx: {res['non_2xx']}" if res["non_2xx"] else ""
                        warn += f"  socket errors: {res['socket_errors']}" if res["socket_errors"] else ""
                        print(f"    round {r + 1} {label:5s} {res['rps']:9.1f} req/s  "
                              f"(avg latency {res['latency_avg']}){warn}", flush=True)
                floor.stop()
                servers.remove(floor)
                sim_rps = sum(s["rps"] for s in samples["sim"]) / len(samples["sim"])
                floor_rps = sum(s["rps"] for s in samples["floor"]) / len(samples["floor"])
                results.append({"world": world, "request": rname, "body": rbody, "response_bytes": len(answer),
                                "response_items": items, "sim_rps": round(sim_rps, 1),
                                "floor_rps": round(floor_rps, 1), "ratio": round(sim_rps / floor_rps, 4),
                                "samples": samples, "mock_server_file": served})
            sim.stop()
            servers.remove(sim)
    finally:
        for srv in servers:
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{'world':15s} {'request':18s} {'resp bytes':>10s} {'sim req/s':>10s} {'floor req/s':>12s} "
          f"{'ratio':>7s}")
    for r in results:
        print(f"{r['world']:15s} {r['request']:18s} {r['response_bytes']:10d} {r['sim_rps']:10.1f} "
              f"{r['floor_rps']:12.1f} {r['ratio']:7.3f}")
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
        f.write("\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
