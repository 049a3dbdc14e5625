"""`cloudtower-sim serve`: the simulator on a port, served by waitress (a production WSGI server)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import sys
from pathlib import Path

from . import state
from .domain import saved
from .domain.clock import MODES, check_speed
from .domain.scenario import ScenarioError
from .domain.simulator import JOURNAL_SIZE, Settings, Simulator
from .domain.world import TASK_HISTORY, TASK_HISTORY_AGE
from .server import SWITCH_INTERVAL, THREADS
from .schema.spec import DEFAULT_VERSION, VERSIONS


def _speed(text: str) -> float:
    try:
        return check_speed(float(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("clock speed must be", "expected")) from None


def _whole(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}")
        return value
    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cloudtower-sim", description="A simulated SmartX CloudTower API (/v2/api).")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the simulator over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_whole(0, 65535), default=8080, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--scenario", metavar="FILE", help="a scenario YAML file (default: the shipped default)")
    serve.add_argument("--seed", type=int, help="seed for ids (default: the scenario's own)")
    serve.add_argument("--task-mode", choices=MODES, default="instant", help="how simulated time moves")
    serve.add_argument("--speed", type=_speed, default=1.0, help="realtime speed factor (default 1)")
    serve.add_argument("--no-control", action="store_true", help="switch off the /_sim control API")
    serve.add_argument("--upstream-spec", metavar="FILE",
                       help="an upstream CloudTower OpenAPI file: operations it lists answer 501, not 404")
    serve.add_argument("--api-version", choices=VERSIONS, help="the CloudTower API version to answer as: its paths, "
                                                             "fields and enums (default: the scenario's, else "
                                                             f"{DEFAULT_VERSION})")
    serve.add_argument("--start-time", metavar="ISO8601", help="pin simulated time's start, e.g. 2026-01-01T08:00:00Z "
                                                               "(default: the scenario's start_time, else now)")
    serve.add_argument("--threads", type=_whole(1, 64), default=THREADS,
                       help=f"server threads, 1 to 64 (default {THREADS})")
    serve.add_argument("--task-history", type=_whole(1, 10**7), default=TASK_HISTORY, metavar="N",
                       help=f"finished tasks kept, the oldest forgotten first (default {TASK_HISTORY})")
    serve.add_argument("--task-history-age", type=_whole(1, 10**10), default=int(TASK_HISTORY_AGE), metavar="SECONDS",
                       help=f"simulated seconds a finished task is kept (default {int(TASK_HISTORY_AGE)}, 30 days)")
    serve.add_argument("--state", metavar="FILE", help="keep the world in FILE across restarts: loaded from it when it "
                       "exists (else from the scenario), written on SIGTERM, SIGINT and every --state-interval")
    serve.add_argument("--state-interval", type=_whole(1, 10**6), default=60, metavar="SECONDS",
                       help="seconds between writes of --state (default 60)")
    serve.add_argument("--journal-size", type=_whole(1, 10**7), default=JOURNAL_SIZE, metavar="N",
                       help=f"requests the journal (GET /_sim/requests) keeps, the oldest dropped first (default "
                            f"{JOURNAL_SIZE})")
    capture = sub.add_parser("capture", help="read a CloudTower (read-only) into a world file that serve loads",
                             description="Read a tower's inventory, read-only, into a scenario file that `serve "
                                         "--scenario FILE` loads: a replica of your own inventory.")
    capture.add_argument("--target-url", required=True, help="CloudTower base URL, e.g. https://tower/v2/api")
    capture.add_argument("--token", help="API token ($CLOUDTOWER_TOKEN)")
    capture.add_argument("--username", help="($CLOUDTOWER_USERNAME)")
    capture.add_argument("--password", help="($CLOUDTOWER_PASSWORD)")
    capture.add_argument("--insecure", action="store_true", help="accept a self-signed TLS certificate")
    capture.add_argument("--anonymize", action="store_true", help="rename everything and move every IP, consistently")
    capture.add_argument("--output", required=True, metavar="FILE",
                         help="the world file to write (serve --scenario FILE serves it)")
    contract = sub.add_parser("contract", help="run the contract suite against the simulator or a CloudTower",
                              description="Run the contract suite (pytest underneath). Without --target-url it runs "
                                          "against the simulator in-process. Against a URL it only reads unless "
                                          "--allow-mutations is given. Arguments after -- go to pytest.",
                              epilog="exit status: 0 every contract held; 1 a contract is broken; 2 could not run "
                                     "(target unreachable, credentials refused, a safety gate refused to start); 3 "
                                     "the --deadline passed before every contract ran; 4 a bad command line")
    contract.add_argument("--target-url", help="CloudTower base URL, e.g. https://tower/v2/api ($CLOUDTOWER_URL)")
    contract.add_argument("--token", help="API token ($CLOUDTOWER_TOKEN)")
    contract.add_argument("--username", help="($CLOUDTOWER_USERNAME)")
    contract.add_argument("--password", help="($CLOUDTOWER_PASSWORD)")
    contract.add_argument("--readonly-username", help="a READ_ONLY user of the target, to check it is refused "
                                                      "mutations ($CLOUDTOWER_READONLY_USERNAME)")
    contract.add_argument("--readonly-password", help="($CLOUDTOWER_READONLY_PASSWORD)")
    contract.add_argument("--insecure", action="store_true", help="accept a self-signed TLS certificate")
    contract.add_argument("--allow-mutations", action="store_true",
                          help="let contracts create/operate/delete --test-vm-prefix VMs and put --maintenance-host "
                               "into maintenance mode and back")
    contract.add_argument("--maintenance-host", metavar="ID", help="id or name of the one host contracts may use")
    contract.add_argument("--test-vm-prefix", help="name prefix of the VMs contracts create (default contract-)")
    contract.add_argument("--upstream-spec", metavar="FILE", help="the upstream OpenAPI spec used as the oracle")
    contract.add_argument("--spec-version", help="upstream version when --upstream-spec is a folder (default 4.6.0)")
    contract.add_argument("--max-examples", type=int, help="Hypothesis examples per generated contract (default 3 "
                                                           "in-process, 5 against a URL; 25 with --thorough)")
    contract.add_argument("--thorough", action="store_true",
                          help="the deep run: 25 examples per generated contract, where the default run answers "
                               "in-process within a minute")
    contract.add_argument("--task-timeout", metavar="SECONDS",
                          help="how long one task may take before its contract fails (default 1800)")
    contract.add_argument("--task-stall", metavar="SECONDS",
                          help="how long a task may keep the same status and progress before its contract fails; "
                               "later contracts then do not wait on tasks (default: max(10, 20 x the slowest task "
                               "seen end), at most 300, and 300 until one has ended)")
    contract.add_argument("--deadline", metavar="SECONDS",
                          help="bound on the whole run: past it, the rest is reported as not run, what was touched "
                               "is restored, and the exit status is 3 (default: none)")
    contract.add_argument("--fail-fast", action="store_true",
                          help="stop at the first broken contract: the rest are reported as not run, what was touched "
                               "is still restored and the reports are written")
    contract.add_argument("--report", metavar="FILE", help="write a JSON report (target, API version, verdict, each "
                                                           "contract's outcome, failing request and response)")
    contract.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report: one test case per contract, "
                                                              "a failure's text with its request and response")
    contract.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments, e.g. -k wire")
    extract = sub.add_parser("extract", help="write the checked-in extracts of the upstream specs (a developer's "
                                             "command: run it after registering an operation)",
                             description="Write mock_server/schema/extracts/<version>.json from the upstream specs: "
                                         "the registered operations and every schema they reach; and beside it "
                                         "<version>.whole.json.gz, every operation and schema, for spec-diff.")
    extract.add_argument("--upstream", metavar="DIR", help="folder of cloudtower-openapi-<version>.json (default "
                                                           "$CLOUDTOWER_UPSTREAM_SPEC, else ../shared/upstream)")
    extract.add_argument("--version", action="append", choices=VERSIONS, help="one version (default: all)")
    extract.add_argument("--check", action="store_true", help="only say whether the checked-in extracts are current")
    spec_diff = sub.add_parser("spec-diff", help="what changed in the API from one upstream version to another",
                               description="What changed in CloudTower's API for a client built against FROM that "
                                           "talks to a tower at TO: operations, request and response fields, what is "
                                           "required or nullable, enum values; each change once, with the operations "
                                           "it reaches, classed breaking or not by the rule it names.",
                               epilog="exit status: 0 nothing used changed in a breaking way; 1 something used did; 2 "
                                      "bad input (an unknown version, a file or journal that cannot be read)")
    spec_diff.add_argument("old", metavar="FROM",
                           help=f"the version the client was built against ({', '.join(VERSIONS)})")
    spec_diff.add_argument("new", metavar="TO", help="the version of the tower it talks to")
    used = spec_diff.add_mutually_exclusive_group()
    used.add_argument("--ops", metavar="FILE", help="only the operations a project uses: one path a line (/get-vms); "
                                                    "blank lines and # comments are skipped")
    used.add_argument("--journal", metavar="URL|FILE",
                      help="only the operations of a request journal (GET /_sim/requests after a CI run against the "
                           "simulator): its URL, e.g. http://127.0.0.1:8080/_sim/requests, or a file of it")
    spec_diff.add_argument("--json", action="store_true", help="the report as JSON: one entry a change")
    spec_diff.add_argument("--upstream", metavar="DIR",
                           help="compare the upstream specs in DIR (cloudtower-openapi-<version>.json), not the "
                                "shipped ones")
    return p


def capture(args) -> int:
    import os
    from pathlib import Path

    from cloudtower_sim.client import CloudTowerClient, CloudTowerError, ConnectionFailed

    from .capture import capture as read_tower

    token = args.token or os.environ.get("CLOUDTOWER_TOKEN")
    username = args.username or os.environ.get("CLOUDTOWER_USERNAME")
    password = args.password or os.environ.get("CLOUDTOWER_PASSWORD")
    if not token and not (username and password):
        print("cloudtower-sim: capture needs --token, or --username and --password", file=sys.stderr)
        return 2
    try:
        client = CloudTowerClient(args.target_url, token=token, username=None if token else username,
                                  password=None if token else password, verify=not args.insecure)
        world = read_tower(client, args.anonymize, lambda line: print(f"cloudtower-sim: {line}", file=sys.stderr,
                                                                      flush=True))
    except (CloudTowerError, ConnectionFailed) as e:
        print(f"cloudtower-sim: capture failed: {e}", file=sys.stderr)
        return 2
    out = Path(args.output)
    world["source"] = args.target_url
    saved.write(world, out)  # whole or not at all
    print(f"cloudtower-sim: wrote {out}: {len(world['kinds']['Cluster'])} clusters, {len(world['kinds']['Vm'])} VMs; "
          f"serve it with cloudtower-sim serve --scenario {out}")
    return 0


def contract(args) -> int:
    import importlib.util

    try:
        import pytest
        import schemathesis  # noqa: F401
    except ImportError as e:
        print(f"cloudtower-sim: the contract suite needs its extras ({e}): pip install 'cloudtower-sim[contracts]'",
              file=sys.stderr)
        return 2
    # found, not imported: pytest must import the contracts itself to rewrite their asserts into messages
    package = importlib.util.find_spec("cloudtower_sim.contracts").submodule_search_locations[0]
    argv = [package, "-p", "no:cacheprovider", "-p", "cloudtower_sim.contracts.plugin", "-q",
            "-W", "ignore:Module already imported so cannot be rewritten"]  # mock_server: this CLI
    for name in ("target_url", "token", "username", "password", "readonly_username", "readonly_password",
                 "maintenance_host", "test_vm_prefix", "upstream_spec", "spec_version"):
        if getattr(args, name):
            argv += [f"--{name.replace('_', '-')}", getattr(args, name)]
    for name in ("insecure", "allow_mutations", "fail_fast"):
        if getattr(args, name):
            argv.append(f"--{name.replace('_', '-')}")
    if args.thorough:
        argv.append("--contract-thorough")
    for name, option in (("max_examples", "--contract-max-examples"), ("task_timeout", "--task-timeout"),
                         ("task_stall", "--task-stall"), ("deadline", "--deadline"),
                         ("report", "--contract-report"), ("junit_xml", "--contract-junit-xml")):
        if getattr(args, name) is not None:
            argv += [option, str(getattr(args, name))]
    code = pytest.main(argv + list(args.pytest_args))
    for written in (args.report, args.junit_xml):
        if written:
            print(f"cloudtower-sim: report written to {written}")
    return int(code)


def serve(args) -> int:
    from .api import create_app
    from .server import Server

    def refuse(message: str) -> int:
        print(f"cloudtower-sim: {message}", file=sys.stderr)
        return 2

    if args.upstream_spec:
        try:
            with open(args.upstream_spec) as f:
                json.load(f)
        except (OSError, ValueError) as e:
            return refuse(f"--upstream-spec {args.upstream_spec}: cannot read it as an OpenAPI JSON file ({e})")
    settings = Settings(scenario=args.scenario, seed=args.seed, task_mode=args.task_mode, speed=args.speed,
                        control=not args.no_control, upstream_spec=args.upstream_spec, api_version=args.api_version,
                        start_time=args.start_time, task_history=args.task_history,
                        task_history_age=args.task_history_age, journal_size=args.journal_size)
    state_path = Path(args.state) if args.state else None
    try:
        kept = state.load(state_path) if state_path else None
    except state.StateError as e:
        return refuse(str(e))
    try:
        sim = Simulator(settings)
        if isinstance(kept, dict):
            sim.adopt(saved.load(kept, sim.spec.filters))
        elif kept is not None:
            print(f"cloudtower-sim: {state_path} is a state file of format 1 (a scenario): loaded as one, with ids "
                  "made anew; it is written back whole", file=sys.stderr, flush=True)
            sim.start_over(kept)
    except ScenarioError as e:
        return refuse(f"scenario error: {e}")
    except saved.SavedError as e:
        if isinstance(kept, dict):
            return refuse(f"--state {state_path}: a corrupt state file ({e}); refusing to load or overwrite it: move "
                          "it away to start from the scenario")
        return refuse(f"--scenario {args.scenario}: a world file that cannot be read ({e})")
    try:
        app = create_app(simulator=sim)
        server = Server(app, args.host, args.port, args.threads)
    except (OSError, ValueError) as e:  # a port in use, an address this machine does not have
        return refuse(f"cannot listen on {args.host} port {args.port}: {e}")
    if state_path:
        _keep_writing(app, sim, state_path, args.state_interval)
    sys.setswitchinterval(SWITCH_INTERVAL)  # see server.py: light requests keep answering beside heavy ones
    # before anything is printed: whoever reads the base URL may signal a stop at once
    signal.signal(signal.SIGTERM, lambda signum, frame: server.stop())
    signal.signal(signal.SIGINT, lambda signum, frame: server.stop())
    host = args.host if ":" not in args.host else f"[{args.host}]"
    users = sim.scenario.data.get("users") or [{"username": "root", "password": "HC!r0cks"}]
    print(f"cloudtower-sim: serving {sim.scenario.path.name} ({len(sim.world.hosts)} hosts, {len(sim.world.vms)} VMs), "
          f"CloudTower API {sim.spec.version}, task mode {args.task_mode}", flush=True)
    print(f"base URL: http://{host}:{server.port}/v2/api", flush=True)
    if not args.no_control:
        print(f"live page: http://{host}:{server.port}/_sim/", flush=True)
    if not _loopback(args.host):
        print(f"cloudtower-sim: WARNING: listening on {args.host}, reachable from the network: anyone who can "
              "reach it can log in with the credentials below" + ("" if args.no_control else
                                                                  " and reset or drive the simulator (/_sim)"),
              file=sys.stderr, flush=True)
    print(f"credentials: {users[0]['username']} / {users[0]['password']}", flush=True)
    tokens = users[0].get("tokens")
    if tokens:
        print(f"token: {tokens[0]}", flush=True)

    left = server.run()
    if state_path:
        state.save(sim, state_path, stopping=True)
        print(f"cloudtower-sim: state written to {state_path}", flush=True)
    print("cloudtower-sim: stopped" + (f", {left} request(s) unfinished after the grace period" if left else ""),
          flush=True)
    return 0


def _keep_writing(app, sim, path, interval: float) -> None:
    """Write the state every `interval` seconds, in a daemon thread, at the first moment after it that no task runs
    (tried every second); a failed write is said, and tried again."""
    import threading
    import time

    def loop():
        while True:
            time.sleep(interval)
            try:
                while not state.save(sim, path):
                    time.sleep(1)
            except Exception as e:  # noqa: BLE001 - said, and the next round tries again
                print(f"cloudtower-sim: writing --state {path} failed: {e}", file=sys.stderr, flush=True)
    threading.Thread(target=loop, daemon=True, name="cloudtower-sim-state").start()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def extract(args) -> int:
    """The extracts, and the client's table of read paths made from the newest one."""
    from cloudtower_sim.client import wire
    from cloudtower_sim.contracts import upstream

    from .api.registry import wanted
    from .schema import extract as extracts

    folder = Path(args.upstream) if args.upstream else upstream.spec_path().parent
    versions = args.version or VERSIONS
    missing = [str(folder / f"cloudtower-openapi-{v}.json") for v in versions
               if not (folder / f"cloudtower-openapi-{v}.json").is_file()]
    if missing:
        print(f"cloudtower-sim: no upstream spec at {', '.join(missing)}: give --upstream DIR, a folder of "
              f"cloudtower-openapi-<version>.json, or {upstream.ENV}", file=sys.stderr)
        return 2
    code = extracts.write(folder, *wanted(), versions=versions, check=args.check)
    reads = json.loads((extracts.EXTRACTS / f"{DEFAULT_VERSION}.json").read_text())["reads"].values()
    if wire.READS_FILE.read_text() != wire.reads_text(reads):
        if args.check:
            print(f"stale: {wire.READS_FILE}; run cloudtower-sim extract", file=sys.stderr)
            return 1
        wire.READS_FILE.write_text(wire.reads_text(reads))
        print(f"wrote {wire.READS_FILE}")
    return code


def spec_diff(args) -> int:
    from .schema import diff

    try:
        if args.upstream:
            old, new = diff.upstream(Path(args.upstream), args.old), diff.upstream(Path(args.upstream), args.new)
        else:
            old, new = diff.shipped(args.old), diff.shipped(args.new)
        named = _used_operations(args)
    except diff.SpecError as e:
        print(f"cloudtower-sim: spec-diff: {e}", file=sys.stderr)
        return 2
    used, ignored = diff.used_operations(named, old, new) if named is not None else (None, ())
    report = diff.diff(old, new, used, ignored)
    print(json.dumps(report.as_json(), indent=1) if args.json else diff.text(report), end="\n" if args.json else "")
    return 1 if report.breaking else 0


def _used_operations(args) -> list[str] | None:
    """The operation paths --ops or --journal name; None: all."""
    from .schema.diff import SpecError, journal_operations, listed_operations

    if args.ops:
        try:
            return listed_operations(Path(args.ops).read_text())
        except (OSError, UnicodeDecodeError) as e:
            raise SpecError(f"--ops {args.ops}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    if not args.journal:
        return None
    source = args.journal
    if source.startswith(("http://", "https://")):
        import requests

        try:
            answer = requests.get(source, timeout=30)
            answer.raise_for_status()
        except requests.RequestException as e:
            raise SpecError(f"--journal {source}: cannot fetch it ({e})") from None
        text = answer.text
    else:
        try:
            text = Path(source).read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise SpecError(f"--journal {source}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    try:
        return journal_operations(json.loads(text))
    except ValueError:
        raise SpecError(f"--journal {source}: not JSON; expected what GET /_sim/requests answers") from None
    except SpecError as e:
        raise SpecError(f"--journal {source}: {e}") from None


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "extract":
        return extract(args)
    if args.command == "serve":
        return serve(args)
    if args.command == "capture":
        return capture(args)
    if args.command == "contract":
        return contract(args)
    if args.command == "spec-diff":
        return spec_diff(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
