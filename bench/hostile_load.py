#!/usr/bin/env python3
"""Latency of light requests while heavy ones hammer the simulator (issue 12, item 1), and a soak.

`latency`: a served simulator on a generated world (default 10,000 VMs). Client processes (default 8) send the
heaviest query the limits allow, back to back: get-vms with an OR of MAX_WHERE_CLAUSES - 1 `name_contains` clauses,
ordered by memory. Meanwhile one probe sends `GET /get-version` and a by-id `get-vms`, one after the other, and
records each latency. The same probes run first with no load, in the same run, as the baseline.

`soak`: mixed load (reads, VM power operations, logins) from client processes for --minutes; every --every seconds
it records the server's RSS and the requests answered per second. Not part of CI.

Both print a table and write JSON with --out. Nothing is asserted: it is a measurement.

    python bench/hostile_load.py latency [--vms 10000] [--clients 8] [--seconds 20] [--threads 16] [--out F]
    python bench/hostile_load.py soak [--minutes 30] [--every 30] [--clients 4] [--out F]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKEN = "cloudtower-sim-root-token"
ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Authorization": TOKEN, "Content-Type": "application/json"}


def serve(vms: int, threads: int, extra=()) -> tuple[subprocess.Popen, str, int]:
    hosts = max(1, vms // 500)
    scenario = Path(tempfile.mkdtemp()) / "load.yaml"
    scenario.write_text(f"generate: {{clusters: 1, hosts_per_cluster: {hosts}, vms_per_host: {vms // hosts}}}\n"
                        f"users: [{{username: root, password: x, tokens: [{TOKEN}]}}]\n")
    proc = subprocess.Popen([sys.executable, "-m", "cloudtower_sim", "serve", "--port", "0", "--threads",
                             str(threads), "--scenario", str(scenario), *extra], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        m = re.match(r"base URL: http://([^:]+):(\d+)/v2/api", line)
        if m:
            return proc, m.group(1), int(m.group(2))
    raise SystemExit("the simulator did not start")


def request(conn, method, path, body=None):
    conn.request(method, "/v2/api" + path, body=json.dumps(body) if body is not None else None, headers=HEADERS)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def heaviest_query() -> dict:
    from cloudtower_sim.mock_server.api.wire import MAX_WHERE_CLAUSES

    return {"where": {"OR": [{"name_contains": f"zz{i}"} for i in range(MAX_WHERE_CLAUSES - 1)]},
            "orderBy": "memory_DESC", "first": 50}


def hammer(host, port, stop_at, counter):
    conn = http.client.HTTPConnection(host, port, timeout=120)
    body = heaviest_query()
    while time.time() < stop_at:
        status, _ = request(conn, "POST", "/get-vms", body)
        assert status == 200, status
        with counter.get_lock():
            counter.value += 1


def probe(host, port, seconds, vm_id) -> dict:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    out = {"get-version": [], "get-vms by id": []}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, (method, path, body) in (("get-version", ("GET", "/get-version", None)),
                                           ("get-vms by id", ("POST", "/get-vms", {"where": {"id": vm_id}}))):
            started = time.perf_counter()
            status, _ = request(conn, method, path, body)
            out[name].append((time.perf_counter() - started) * 1000)
            assert status == 200, status
        time.sleep(0.02)
    return out


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 1),
            "max_ms": round(ms[-1], 1)}


def latency(args) -> dict:
    proc, host, port = serve(args.vms, args.threads)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=120)
        vm_id = json.loads(request(conn, "POST", "/get-vms", {"first": 1})[1])[0]["id"]
        started = time.perf_counter()
        request(conn, "POST", "/get-vms", heaviest_query())
        heavy_ms = (time.perf_counter() - started) * 1000
        idle = probe(host, port, min(5, args.seconds), vm_id)
        counter = multiprocessing.Value("l", 0)
        stop_at = time.time() + args.seconds
        workers = [multiprocessing.Process(target=hammer, args=(host, port, stop_at, counter))
                   for _ in range(args.clients)]
        for w in workers:
            w.start()
        time.sleep(1)
        loaded = probe(host, port, args.seconds - 2, vm_id)
        for w in workers:
            w.join()
        result = {"vms": args.vms, "clients": args.clients, "threads": args.threads, "heaviest_query_ms": round(
            heavy_ms, 1), "heavy_queries_per_s": round(counter.value / args.seconds, 1),
            "idle": {k: summary(v) for k, v in idle.items()}, "loaded": {k: summary(v) for k, v in loaded.items()}}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    print(f"{args.vms} VMs, {args.clients} clients sending the heaviest query ({result['heaviest_query_ms']} ms "
          f"alone, {result['heavy_queries_per_s']}/s under load), {args.threads} server threads")
    print(f"{'request':<16}{'idle p50':>10}{'idle p99':>10}{'loaded p50':>12}{'loaded p99':>12}{'loaded max':>12}")
    for k in idle:
        i, lo = result["idle"][k], result["loaded"][k]
        print(f"{k:<16}{i['p50_ms']:>10}{i['p99_ms']:>10}{lo['p50_ms']:>12}{lo['p99_ms']:>12}{lo['max_ms']:>12}")
    return result


def mixed(host, port, stop_at, counter, seed):
    import random

    rng = random.Random(seed)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    vms = [v["id"] for v in json.loads(request(conn, "POST", "/get-vms", {"first": 200})[1])]
    while time.time() < stop_at:
        pick = rng.random()
        if pick < 0.6:
            request(conn, "POST", "/get-vms", {"where": {"status": "RUNNING"}, "first": 20})
        elif pick < 0.7:
            request(conn, "POST", "/get-tasks", {"orderBy": "local_created_at_DESC", "first": 10})
        elif pick < 0.95:
            vm = rng.choice(vms)
            op = rng.choice(["/restart-vm", "/suspend-vm", "/resume-vm", "/shutdown-vm", "/start-vm"])
            request(conn, "POST", op, {"where": {"id": vm}})
        else:
            request(conn, "POST", "/login", {"username": "root", "password": "x"})
        with counter.get_lock():
            counter.value += 1


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(args) -> dict:
    proc, host, port = serve(1000, 16)
    samples = []
    try:
        counter = multiprocessing.Value("l", 0)
        stop_at = time.time() + args.minutes * 60
        workers = [multiprocessing.Process(target=mixed, args=(host, port, stop_at, counter, i))
                   for i in range(args.clients)]
        for w in workers:
            w.start()
        last = 0
        while time.time() < stop_at:
            time.sleep(args.every)
            done = counter.value
            samples.append({"t_s": round(args.every * (len(samples) + 1)), "rss_mb": round(rss_mb(proc.pid), 1),
                            "req_per_s": round((done - last) / args.every, 1)})
            last = done
            print(samples[-1], flush=True)
        for w in workers:
            w.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    warm = [s for s in samples if s["t_s"] > args.warmup * 60] or samples
    rss = [s["rss_mb"] for s in warm]
    rate = [s["req_per_s"] for s in warm]
    result = {"minutes": args.minutes, "samples": samples, "after_warmup": {
        "rss_mb": [min(rss), max(rss)], "rss_spread": round(max(rss) / min(rss) - 1, 3),
        "req_per_s": [min(rate), max(rate)], "rate_first_vs_last": round(rate[-1] / rate[0] - 1, 3)}}
    print(json.dumps(result["after_warmup"]))
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--vms", type=int, default=10_000)
    lat.add_argument("--clients", type=int, default=8)
    lat.add_argument("--seconds", type=int, default=20)
    lat.add_argument("--threads", type=int, default=16)
    so = sub.add_parser("soak")
    so.add_argument("--minutes", type=float, default=30)
    so.add_argument("--every", type=float, default=30)
    so.add_argument("--warmup", type=float, default=3, help="minutes left out of the comparison")
    so.add_argument("--clients", type=int, default=4)
    for s in (lat, so):
        s.add_argument("--out", help="write the result as JSON here")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    result = latency(args) if args.command == "latency" else soak(args)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
