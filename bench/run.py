#!/usr/bin/env python3
"""The bench (`scripts/bench`): how the simulator does against the floor, on worlds of 18, 10,000 and 100,000 VMs.

For each world it serves the simulator (`cloudtower-sim serve`) and, for each request, a floor: a bare Flask route on
the same waitress config answering the very bytes the simulator answered (get_vms_floor.py). Both are loaded in the
same run, alternating, and each row gives sim/floor, so the machine's noise cancels. Besides throughput it measures:
start to first answer (with bytecode compiled, as an installed package starts; for the default world the median of
five starts, and of five with no bytecode), RSS after start and after load, a maintenance enter+exit round trip
in-process (against one in-process get-vms by id), and the contract suite in-process. It prints a table and writes
JSON; it asserts nothing.

Requests: `id` (one VM by id), `running-first50` (`status: RUNNING`, first 50), `running-by-memory-first50` (the same
ordered by memory_DESC: a filtered, ordered first-50), `contains-by-memory-first20` (`name_contains`, memory_DESC,
first 20). A repeated read of an unchanged world is answered from the simulator's kept answers (api/answers.py); the
`cold` rows send each request with a different no-op clause (`name_not: "cold-<n>"`), so that every one is parsed,
filtered and paged afresh (with what earlier reads of the unchanged world made: the table's order, the VMs' JSON);
"after a change" times three cold reads after each change of a VM, which make those again.

    scripts/bench [--out bench/last.json] [--worlds default,10k,100k] [--duration 5] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_vms_floor as floor  # noqa: E402  (the floor server, the load generators, the server subprocesses)

REPO = os.path.dirname(HERE)
WORLDS = {"default": None, "10k": {"clusters": 10, "hosts_per_cluster": 10, "vms_per_host": 100},
          "100k": {"clusters": 10, "hosts_per_cluster": 20, "vms_per_host": 500}}
REQUESTS = {
    "id": None,  # filled with a VM id of the world
    "running-first50": {"where": {"status": "RUNNING"}, "first": 50},
    "running-by-memory-first50": {"where": {"status": "RUNNING"}, "orderBy": "memory_DESC", "first": 50},
    "contains-by-memory-first20": {"where": {"name_contains": "vm-001"}, "orderBy": "memory_DESC", "first": 20},
}
COLD = ("running-by-memory-first50",)  # measured cold too, on the generated worlds
TARGETS = {  # issue 17's targets, as ratios to the floor (None: not a target of that world)
    ("id", "default"): 0.85, ("id", "10k"): 0.85, ("id", "100k"): 0.85,
    ("running-by-memory-first50", "10k"): 0.5, ("running-by-memory-first50", "100k"): 0.2,
}

COLD_LUA = """counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", %s, {["Content-Type"] = "application/json", ["Authorization"] = %s},
                    %s .. counter .. %s)
end
"""


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        kb = int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))
    return round(kb / 1024, 1)


def bytecode_env(python, workdir) -> dict:
    """The environment of a simulator started as an installed package starts: with its modules' bytecode compiled
    (pip compiles a wheel's at install; a checkout's is written by its first run unless PYTHONDONTWRITEBYTECODE is
    set), here into a cache in the work dir (PYTHONPYCACHEPREFIX), so that the trees compared stay clean. One import
    fills it before any start is timed."""
    env = {**floor.repo_env(REPO), "PYTHONPYCACHEPREFIX": os.path.join(workdir, "pycache")}
    del env["PYTHONDONTWRITEBYTECODE"]
    subprocess.run([python, "-c", "import cloudtower_sim.mock_server.cli, cloudtower_sim.mock_server.server"],
                   cwd=REPO, env=env, check=True)
    return env


def start(name, world_path, python, workdir, env) -> tuple[floor.Server, float]:
    """A simulator serving `world_path` in `env`, and the seconds from its start to its first answer of get-vms."""
    t0 = time.monotonic()
    server = floor.Server(name, floor.sim_argv(python, REPO, world_path, 4, True), REPO, env, workdir)
    while True:
        status, _, _ = floor.post(server, b'{"first":1}')
        if status == 200:
            return server, round(time.monotonic() - t0, 3)
        time.sleep(0.005)


def restarts(n, world_path, python, workdir, env) -> list[float]:
    """The seconds to the first answer of `n` starts, each stopped once it answered."""
    times = []
    for k in range(n):
        server, seconds = start(f"sim-start-{k}", world_path, python, workdir, env)
        server.stop()
        times.append(seconds)
    return times


def run_cold(server, body: dict, seconds, connections, workdir):
    """wrk with a different body each request: the same filter plus `name_not: "cold-<n>"`, which no VM is named."""
    where = {**body["where"], "name_not": "cold-@@"}
    text = json.dumps({**body, "where": where}, separators=(",", ":"))
    before, after = text.split("@@")
    lua = COLD_LUA % (floor.lua_string(floor.PATH), floor.lua_string(floor.TOKEN), floor.lua_string(before),
                      floor.lua_string(after))
    return run_script(server, lua, seconds, connections, workdir, f"cold {body}")


def run_script(server, lua: str, seconds, connections, workdir, what: str) -> dict:
    """wrk with the request script `lua` (2 threads): its requests a second; any answer but a 200 stops the bench."""
    script = os.path.join(workdir, "requests.lua")
    with open(script, "w") as f:
        f.write(lua)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "-s",
                          script, f"http://{server.host}:{server.port}"], capture_output=True, text=True,
                         check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise SystemExit(f"{what}: {bad.group(1)} answers were not 200")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}


def throughput(world, sim, vm_id, args, workdir, python, load):
    rows = []
    for rname, rbody in REQUESTS.items():
        if rname not in args.requests.split(","):
            continue
        rbody = rbody or {"where": {"id": vm_id}}
        body = json.dumps(rbody, separators=(",", ":")).encode()
        status, headers, answer = floor.post(sim, body)
        if status != 200:
            raise SystemExit(f"{world} {rname}: answered {status}: {answer[:300]!r}")
        answer_path = os.path.join(workdir, f"answer-{world}-{rname}.json")
        with open(answer_path, "w") as f:
            json.dump({"body_hex": answer.hex(),
                       "headers": {k: headers[k] for k in floor.KEPT_HEADERS if k in headers}}, f)
        bare = floor.Server(f"floor-{world}-{rname}", [python, os.path.join(HERE, "get_vms_floor.py"), "_floor",
                                                      "--threads", "4", "--answer", answer_path],
                            REPO, floor.repo_env(REPO), workdir)
        try:
            modes = [("kept", lambda s: load(sim, body, s, args.connections, 2, workdir))]
            if rname in COLD and world != "default" and load is floor.run_wrk:
                modes.append(("cold", lambda s: run_cold(sim, rbody, s, args.connections, workdir)))
            load(bare, body, 1, args.connections, 2, workdir)  # warm-up
            for mode, measure in modes:
                measure(1)  # warm-up
                sims, floors = [], []
                for r in range(args.rounds):  # ABBA
                    pair = [("sim", measure), ("floor", lambda s: load(bare, body, s, args.connections, 2, workdir))]
                    for label, fn in (pair if r % 2 == 0 else pair[::-1]):
                        (sims if label == "sim" else floors).append(fn(args.duration)["rps"])
                s, fl = statistics.mean(sims), statistics.mean(floors)
                row = {"world": world, "request": rname, "mode": mode, "body": rbody, "bytes": len(answer),
                       "items": len(json.loads(answer)), "sim_rps": round(s, 1), "floor_rps": round(fl, 1),
                       "ratio": round(s / fl, 3), "target": TARGETS.get((rname, world)) if mode == "kept" else None}
                rows.append(row)
                print(f"  {rname:28s} {mode:5s} sim {s:8.1f}/s  floor {fl:8.1f}/s  ratio {s / fl:6.3f}", flush=True)
        finally:
            bare.stop()
    return rows


def after_a_change(world, sim, vm_id, rounds: int = 15) -> dict:
    """What a changed world costs the reads that follow: a VM's description changed (update-vm-basic-info), then three
    cold filtered, ordered first-50 reads, each timed (median over rounds, in ms). The first orders only its page (a
    heap); the second orders the whole table and keeps the order for the generation, which the third and later use;
    each renders afresh the VMs no earlier read of the generation rendered."""
    body = REQUESTS["running-by-memory-first50"]
    times = [[], [], []]
    for r in range(rounds):
        change = json.dumps({"where": {"id": vm_id}, "data": {"description": f"bench {r}"}}).encode()
        status, _, answer = floor.post_to(sim, "/v2/api/update-vm-basic-info", change)
        if status != 200:
            raise SystemExit(f"{world} update-vm-basic-info: answered {status}: {answer[:300]!r}")
        for k in range(3):
            read = {**body, "where": {**body["where"], "name_not": f"change-{r}-{k}"}}
            t = time.perf_counter()
            status, _, answer = floor.post(sim, json.dumps(read).encode())
            times[k].append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"{world} after a change: answered {status}: {answer[:300]!r}")
    row = {"world": world, **{f"read{k + 1}_ms": round(statistics.median(t) * 1000, 2) for k, t in enumerate(times)}}
    print(f"  after a change: {row}", flush=True)
    return row


def maintenance_round_trip(rounds: int = 20) -> dict:
    """Enter and exit maintenance on a host of the default world in-process (instant tasks), against get-vms by id
    in the same process: how many reads' worth one round trip costs."""
    sys.path.insert(0, REPO)
    from cloudtower_sim.client import CloudTowerClient
    from cloudtower_sim.client.transport import wsgi_session
    from cloudtower_sim.mock_server.api import create_app
    from cloudtower_sim.mock_server.domain.simulator import Settings

    app = create_app(Settings(task_mode="instant"))
    client = CloudTowerClient("http://bench.in-process/v2/api", token=floor.TOKEN, session=wsgi_session(app))
    host = client.call("/get-hosts", {"first": 1})[0]["id"]
    vm = client.call("/get-vms", {"first": 1})[0]["id"]
    trips, reads = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        client.enter_maintenance_mode(host, poll_interval=0)
        client.exit_maintenance_mode(host, poll_interval=0)
        trips.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(20):
            client.call("/get-vms", {"where": {"id": vm}, "skip": i})  # each a different body: none kept
        reads.append((time.perf_counter() - t) / 20)
    trip, read = statistics.median(trips), statistics.median(reads)
    return {"round_trip_ms": round(trip * 1000, 2), "read_ms": round(read * 1000, 3), "reads_worth": round(trip / read)}


def contracts_in_process(python, workdir) -> dict:
    report = os.path.join(workdir, "contracts.json")
    t = time.monotonic()
    proc = subprocess.run([python, "-m", "cloudtower_sim", "contract", "--report", report], cwd=REPO,
                          capture_output=True, text=True)
    seconds = round(time.monotonic() - t, 1)
    verdict = json.load(open(report)).get("verdict") if os.path.exists(report) else None
    return {"seconds": seconds, "exit": proc.returncode, "verdict": verdict}


def table(result) -> str:
    lines = ["| world | request | answer | sim/floor | target |", "|---|---|---|---|---|"]
    for r in result["throughput"]:
        target = f"≥ {r['target']}" if r["target"] else ""
        answer = f"{r['items']} VMs, {r['bytes']:,} B" + (" (cold)" if r["mode"] == "cold" else "")
        lines.append(f"| {r['world']} | {r['request']} | {answer} | {r['ratio']:.2f} | {target} |")
    lines += ["", "| world | start to first answer | RSS after start | RSS after load |", "|---|---|---|---|"]
    for w in result["worlds"]:
        lines.append(f"| {w['world']} ({w['vms']:,} VMs) | {w['start_s']:.2f} s | {w['rss_start_mb']:.0f} MB | "
                     f"{w['rss_loaded_mb']:.0f} MB |")
    if result.get("start_compiling_s"):
        lines += ["", f"Start to first answer of the default world with no bytecode (every module compiled from "
                      f"source first, as with PYTHONDONTWRITEBYTECODE set; median of 5): "
                      f"{result['start_compiling_s']:.2f} s."]
    if result.get("after_change"):
        lines += ["", "| world | after a change: 1st cold read | 2nd | 3rd |", "|---|---|---|---|"]
        for a in result["after_change"]:
            lines.append(f"| {a['world']} | {a['read1_ms']:.1f} ms | {a['read2_ms']:.1f} ms | {a['read3_ms']:.1f} ms |")
    m = result.get("maintenance")
    if m:
        lines += ["", f"Maintenance enter+exit in-process: {m['round_trip_ms']:.1f} ms, {m['reads_worth']} reads' "
                      f"worth (a get-vms by id: {m['read_ms']:.2f} ms)."]
    c = result.get("contracts")
    if c:
        lines += [f"Contract suite in-process: {c['seconds']:.0f} s, verdict {c['verdict']}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(HERE, "last.json"), help="JSON results (default bench/last.json)")
    p.add_argument("--worlds", default="default,10k,100k", help="comma list of: " + ", ".join(WORLDS))
    p.add_argument("--requests", default=",".join(REQUESTS), help="comma list of: " + ", ".join(REQUESTS))
    p.add_argument("--duration", type=int, default=5, help="seconds of load per measurement (default 5)")
    p.add_argument("--rounds", type=int, default=2, help="measurements per server per row, ABBA (default 2)")
    p.add_argument("--connections", type=int, default=4, help="keep-alive connections of the load (default 4)")
    p.add_argument("--no-contracts", action="store_true", help="skip the contract suite in-process (~3 min)")
    p.add_argument("--quick", action="store_true", help="1 round of 2 s, no contracts: a look, not a figure")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.no_contracts = 2, 1, True
    python = sys.executable
    load = floor.run_wrk if shutil.which("wrk") else floor.run_python_load
    workdir = tempfile.mkdtemp(prefix="bench-")
    result = {"meta": {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                       "git": floor.git_info(REPO), "python": platform.python_version(),
                       "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                   "cpu": _cpu_name()},
                       "load": "wrk" if load is floor.run_wrk else "python threads",
                       "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds},
              "throughput": [], "worlds": [], "after_change": []}
    try:
        env = bytecode_env(python, workdir)
        for world in [w.strip() for w in args.worlds.split(",") if w.strip()]:
            if world not in WORLDS:
                raise SystemExit(f"--worlds: unknown world {world!r} (known: {', '.join(WORLDS)})")
            path = None
            if WORLDS[world]:
                path = os.path.join(workdir, f"{world}.yaml")
                with open(path, "w") as f:  # JSON is YAML
                    json.dump({"seed": 2026, "start_time": "2026-01-01T08:00:00Z", "users": floor.USERS,
                               "generate": WORLDS[world]}, f)
            starts = []
            if world == "default":  # a start takes a third of a second: the median of five, and with no bytecode
                result["start_compiling_s"] = statistics.median(restarts(5, path, python, workdir,
                                                                         floor.repo_env(REPO)))
                starts = restarts(4, path, python, workdir, env)
            sim, once = start(f"sim-{world}", path, python, workdir, env)
            started = statistics.median(starts + [once])
            try:
                rss_start = rss_mb(sim.proc.pid)
                vms = json.loads(floor.post(sim, b'{"first":1}')[2])
                _, _, answer = floor.post_to(sim, "/v2/api/get-vms-connection", b"{}")
                count = json.loads(answer)["aggregate"]["count"]
                print(f"[{world}] {count} VMs, first answer {started:.2f} s after start, RSS {rss_start} MB",
                      flush=True)
                result["throughput"] += throughput(world, sim, vms[0]["id"], args, workdir, python, load)
                if world != "default":
                    result["after_change"].append(after_a_change(world, sim, vms[0]["id"]))
                result["worlds"].append({"world": world, "vms": count, "start_s": started,
                                         "rss_start_mb": rss_start, "rss_loaded_mb": rss_mb(sim.proc.pid)})
            finally:
                sim.stop()
        result["maintenance"] = maintenance_round_trip()
        print(f"maintenance round trip: {result['maintenance']}", flush=True)
        if not args.no_contracts:
            result["contracts"] = contracts_in_process(python, workdir)
            print(f"contracts in-process: {result['contracts']}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + table(result))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"\nwritten to {args.out}")
    return 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M).group(1)
    except (OSError, AttributeError):
        return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
