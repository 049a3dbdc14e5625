#!/usr/bin/env python3
"""Cold reads with every request another value (issue 33): the simulator against the floor, as bench/run.py measures
it, but each request names another of 2,000 values, as a CI job or a tool reading an inventory sends them, so no
kept answer serves it and the where is filtered afresh each time:

- `id`: `{"where": {"id": <one of 2,000 VM ids>}}`;
- `selective`: `{"where": {"status": "RUNNING", "name_contains": <a fragment of one of 2,000 VM names>}, "orderBy":
  "memory_DESC", "first": 50}` (the name less its last character: about ten VMs each).

Worlds of 10,000 and 100,000 VMs, wrk with 2 threads and 4 connections, sim and floor alternately (ABBA); the RSS
after the load. Prints a table; asserts nothing.

    .venv/bin/python bench/varied.py [--worlds 10k,100k] [--duration 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_vms_floor as floor  # noqa: E402
import run  # noqa: E402

VARIED_LUA = """values = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", %s, {["Content-Type"] = "application/json", ["Authorization"] = %s},
                    %s .. values[(counter %% #values) + 1] .. %s)
end
"""
BODIES = {
    "id": ({"where": {"id": "@@"}}, lambda vm: vm["id"]),
    "selective": ({"where": {"status": "RUNNING", "name_contains": "@@"}, "orderBy": "memory_DESC", "first": 50},
                  lambda vm: vm["name"][:-1]),
}


def run_varied(server, body: dict, values: list, seconds, connections, workdir) -> dict:
    before, after = json.dumps(body, separators=(",", ":")).split("@@")
    lua = VARIED_LUA % (",".join(floor.lua_string(v) for v in values), floor.lua_string(floor.PATH),
                        floor.lua_string(floor.TOKEN), floor.lua_string(before), floor.lua_string(after))
    return run.run_script(server, lua, seconds, connections, workdir, f"varied {body}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worlds", default="10k,100k")
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=4)
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk (apt-get install -y wrk)")
    python, workdir = sys.executable, tempfile.mkdtemp(prefix="bench-varied-")
    rows = []
    try:
        env = run.bytecode_env(python, workdir)
        for world in args.worlds.split(","):
            path = os.path.join(workdir, f"{world}.yaml")
            with open(path, "w") as f:
                json.dump({"seed": 2026, "start_time": "2026-01-01T08:00:00Z", "users": floor.USERS,
                           "generate": run.WORLDS[world]}, f)
            sim, _ = run.start(f"sim-{world}", path, python, workdir, env)
            try:
                vms = json.loads(floor.post(sim, b'{"first":2000,"skip":10}')[2])
                for name, (body, value) in BODIES.items():
                    values = [value(vm) for vm in vms]
                    sample = json.dumps(body).replace("@@", values[0]).encode()
                    status, headers, answer = floor.post(sim, sample)
                    assert status == 200, answer[:300]
                    answer_path = os.path.join(workdir, f"answer-{world}-{name}.json")
                    with open(answer_path, "w") as f:
                        json.dump({"body_hex": answer.hex(),
                                   "headers": {k: headers[k] for k in floor.KEPT_HEADERS if k in headers}}, f)
                    bare = floor.Server(f"floor-{world}-{name}", [python, os.path.join(HERE, "get_vms_floor.py"),
                                                                 "_floor", "--threads", "4", "--answer", answer_path],
                                        run.REPO, floor.repo_env(run.REPO), workdir)
                    try:
                        measure = (lambda s: run_varied(sim, body, values, s, args.connections, workdir))
                        fl_measure = (lambda s: floor.run_wrk(bare, sample, s, args.connections, 2, workdir))
                        measure(1), fl_measure(1)  # warm-up
                        sims, floors = [], []
                        for r in range(args.rounds):  # ABBA
                            pair = [(sims, measure), (floors, fl_measure)]
                            for out, fn in (pair if r % 2 == 0 else pair[::-1]):
                                out.append(fn(args.duration)["rps"])
                    finally:
                        bare.stop()
                    s, fl = statistics.mean(sims), statistics.mean(floors)
                    rows.append({"world": world, "request": name, "sim_rps": round(s, 1), "floor_rps": round(fl, 1),
                                 "ratio": round(s / fl, 3), "items": len(json.loads(answer))})
                    print(f"  {world} {name:10s} sim {s:8.1f}/s floor {fl:8.1f}/s ratio {s / fl:.3f}", flush=True)
                rows.append({"world": world, "rss_loaded_mb": run.rss_mb(sim.proc.pid)})
                print(f"  {world} RSS after the load: {rows[-1]['rss_loaded_mb']} MB", flush=True)
            finally:
                sim.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n| world | request | sim/floor | sim req/s |\n|---|---|---|---|")
    for r in rows:
        if "request" in r:
            print(f"| {r['world']} | {r['request']} | {r['ratio']:.2f} | {r['sim_rps']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
