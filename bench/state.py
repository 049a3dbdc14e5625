"""`serve --state` at size: how long writing and reading the whole world take, how large the file is, and how long a
read and a change wait while it is written (issue 32). In-process, on generated worlds; asserts nothing.

For each world: the time to read the world out (saved.dump, under the read hold), to encode and write it (outside
any hold), the file's size, the time to read it back (json + saved.load) beside the time to build the same world
from its scenario (the baseline: a start without --state), and, while a write runs in a thread, the longest wait of
a get-vms by id (reads go on) and of a change (update-vm-basic-info: waits for the read-out) against the same
requests with no write. Medians of 3. Then a capture of the same world (through the API, in-process): its time, its
file and its load.

    .venv/bin/python bench/state.py [--worlds 10k,100k] [--out bench/state.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain import saved
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server import state

WORLDS = {"10k": {"clusters": 2, "hosts_per_cluster": 50, "vms_per_host": 100},
          "100k": {"clusters": 10, "hosts_per_cluster": 100, "vms_per_host": 100}}
TOKEN = "cloudtower-sim-root-token"


def world_file(tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.yaml"
    g = WORLDS[name]
    path.write_text("users: [{username: root, password: 'HC!r0cks', tokens: [%s]}]\n"
                    "generate: {clusters: %d, hosts_per_cluster: %d, vms_per_host: %d}\n"
                    % (TOKEN, g["clusters"], g["hosts_per_cluster"], g["vms_per_host"]))
    return path


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def waits(client, vm_id: str, during=None) -> dict:
    """The longest and median time of a read by id and of a change, sent one after another while `during` runs in a
    thread (None: nothing else runs), for as long as it runs (at least 1 s)."""
    reads, changes = [], []
    worker = threading.Thread(target=during) if during else None
    if worker:
        worker.start()
    end = time.perf_counter() + 1
    while (worker and worker.is_alive()) or time.perf_counter() < end:
        reads.append(timed(lambda: client.post("/v2/api/get-vms", json={"where": {"id": vm_id}},
                                               headers={"Authorization": TOKEN})))
        changes.append(timed(lambda: client.post("/v2/api/update-vm-basic-info", json={
            "where": {"id": vm_id}, "data": {"description": str(time.perf_counter())}},
            headers={"Authorization": TOKEN})))
    if worker:
        worker.join()
    return {"read_max_ms": max(reads) * 1000, "read_p50_ms": statistics.median(reads) * 1000,
            "change_max_ms": max(changes) * 1000, "change_p50_ms": statistics.median(changes) * 1000}


def measure(name: str, tmp: Path) -> dict:
    scenario = world_file(tmp, name)
    built = []
    for _ in range(3):
        built.append(timed(lambda: Simulator(Settings(scenario=str(scenario)))))
    sim = Simulator(Settings(scenario=str(scenario)))
    client = create_app(simulator=sim).test_client()
    path = tmp / f"{name}.state"
    dumps, writes, loads = [], [], []
    for _ in range(3):
        with sim.session(read=True) as world:
            t = time.perf_counter()
            data = saved.dump(world)
            dumps.append(time.perf_counter() - t)
        writes.append(timed(lambda: state.save(sim, path)))
        text = path.read_text()
        loads.append(timed(lambda: saved.load(saved.parse(text), sim.spec.filters)))
    from cloudtower_sim.client import CloudTowerClient, wsgi_session
    from cloudtower_sim.mock_server.capture import capture

    captured = tmp / f"{name}.captured"
    api = CloudTowerClient("http://bench/v2/api", token=TOKEN, session=wsgi_session(create_app(simulator=sim)))
    capture_s = timed(lambda: saved.write(capture(api), captured))
    capture_text = captured.read_text()
    capture_load_s = timed(lambda: saved.load(saved.parse(capture_text), sim.spec.filters))
    vm_id = next(iter(sim.world.vms))
    quiet = waits(client, vm_id)
    writing = waits(client, vm_id, lambda: state.save(sim, path))
    del data
    return {"vms": len(sim.world.vms), "build_s": statistics.median(built), "dump_s": statistics.median(dumps),
            "write_s": statistics.median(writes), "size_mb": os.path.getsize(path) / 1e6,
            "load_s": statistics.median(loads), "load_vs_build": statistics.median(loads) / statistics.median(built),
            "quiet": quiet, "while_writing": writing, "capture_s": capture_s,
            "capture_mb": os.path.getsize(captured) / 1e6, "capture_load_s": capture_load_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", default="10k,100k")
    parser.add_argument("--out")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.worlds.split(","):
            results[name] = r = measure(name, Path(tmp))
            print(f"| {r['vms']:,} VMs | {r['write_s']:.2f} s (read-out {r['dump_s']:.2f} s) | {r['size_mb']:.0f} MB "
                  f"| {r['load_s']:.2f} s ({r['load_vs_build']:.2f} of a build, {r['build_s']:.2f} s) "
                  f"| read max {r['while_writing']['read_max_ms']:.0f} ms (quiet {r['quiet']['read_max_ms']:.0f}) "
                  f"| change max {r['while_writing']['change_max_ms']:.0f} ms (quiet "
                  f"{r['quiet']['change_max_ms']:.0f}) |", flush=True)
            print(f"| capture of {r['vms']:,} VMs | {r['capture_s']:.2f} s | {r['capture_mb']:.0f} MB "
                  f"| {r['capture_load_s']:.2f} s |", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
