"""`cloudtower-sim serve`: the simulator on a port, served by waitress (a production WSGI server)."""

from __future__ import annotations

import argparse
import signal
import sys

from .domain.clock import MODES
from .domain.scenario import ScenarioError
from .domain.simulator import Settings, Simulator


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cloudtower-sim", description="A simulated SmartX CloudTower API (/v2/api).")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the simulator over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--scenario", metavar="FILE", help="a scenario YAML file (default: the shipped default)")
    serve.add_argument("--seed", type=int, help="seed for ids (default: the scenario's own)")
    serve.add_argument("--task-mode", choices=MODES, default="instant", help="how simulated time moves")
    serve.add_argument("--speed", type=_speed, default=1.0, help="realtime speed factor (default 1)")
    serve.add_argument("--no-control", action="store_true", help="switch off the /_sim control API")
    serve.add_argument("--upstream-spec", metavar="FILE",
                       help="an upstream CloudTower OpenAPI file: operations it lists answer 501, not 404")
    serve.add_argument("--threads", type=int, default=4, help="server threads (default 4)")
    return p


def serve(args) -> int:
    from waitress import create_server

    from .api import create_app

    settings = Settings(scenario=args.scenario, seed=args.seed, task_mode=args.task_mode, speed=args.speed,
                        control=not args.no_control, upstream_spec=args.upstream_spec)
    try:
        sim = Simulator(settings)
    except ScenarioError as e:
        print(f"cloudtower-sim: scenario error: {e}", file=sys.stderr)
        return 2
    server = create_server(create_app(simulator=sim), host=args.host, port=args.port, threads=args.threads)
    host = args.host if ":" not in args.host else f"[{args.host}]"
    users = sim.scenario.data.get("users") or [{"username": "root", "password": "HC!r0cks"}]
    print(f"cloudtower-sim: serving {sim.scenario.path.name} ({len(sim.world.hosts)} hosts, {len(sim.world.vms)} VMs), "
          f"task mode {args.task_mode}", flush=True)
    print(f"base URL: http://{host}:{server.effective_port}/v2/api", flush=True)
    print(f"credentials: {users[0]['username']} / {users[0]['password']}", flush=True)
    tokens = users[0].get("tokens")
    if tokens:
        print(f"token: {tokens[0]}", flush=True)

    def stop(signum, frame):
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        server.close()
    except SystemExit:
        pass
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
