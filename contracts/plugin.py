"""The pytest plugin of the contract suite, loaded by its runs only (`cloudtower-sim contract` and the repository's
own pytest addopts pass `-p cloudtower_sim.contracts.plugin`), so its unprefixed options never reach a dependent
project's pytest: its options, its marks, and the JSON report; the fixtures (contracts/fixtures.py); and how the
contracts load: each file of this folder as one module, named under `cloudtower_sim.contracts` in a checkout as from
the wheel."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cloudtower_sim.contracts import conformance, junit
from cloudtower_sim.contracts import upstream as up
from cloudtower_sim.contracts.target import NOT_RUN
from cloudtower_sim.mock_server.schema.spec import DEFAULT_VERSION

TARGET = pytest.StashKey()  # the Target of this run, set by the `target` fixture
LEFTOVERS = pytest.StashKey()  # what the final clean-up could not restore
RESULTS = pytest.StashKey()
ORACLE = pytest.StashKey()  # what answers were held to: the upstream spec's path and version, or why not
STARTED = pytest.StashKey()  # time.monotonic() when the run began, which --deadline counts from
COULD_NOT_RUN = pytest.StashKey()  # why no contract could run: unreachable, credentials refused, a safety gate

pytest_plugins = ["cloudtower_sim.contracts.fixtures"]

# what the exit status says, beyond pytest's own 0 (every contract held) and 4 (a bad command line)
BROKEN, COULD_NOT_RUN_STATUS, DEADLINE_HIT = 1, 2, 3


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of examples, got {text!r}")
    return value


def _seconds(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def pytest_addoption(parser):
    g = parser.getgroup("cloudtower-contracts", "CloudTower contract suite")
    g.addoption("--upstream-spec", default=None,
                help=f"the upstream CloudTower OpenAPI file, or a folder of cloudtower-openapi-<version>.json "
                     f"(default: ${up.ENV}, else ../shared/upstream)")
    g.addoption("--spec-version", default=os.environ.get("CLOUDTOWER_SPEC_VERSION", DEFAULT_VERSION),
                help="which upstream version is the oracle when --upstream-spec is a folder (default 4.6.0)")
    g.addoption("--target-url", default=os.environ.get("CLOUDTOWER_URL"),
                help="a CloudTower (or simulator) base URL, e.g. https://tower.example/v2/api ($CLOUDTOWER_URL); "
                     "default: the simulator in-process")
    g.addoption("--token", default=os.environ.get("CLOUDTOWER_TOKEN"), help="API token ($CLOUDTOWER_TOKEN)")
    g.addoption("--username", default=os.environ.get("CLOUDTOWER_USERNAME"), help="($CLOUDTOWER_USERNAME)")
    g.addoption("--password", default=os.environ.get("CLOUDTOWER_PASSWORD"), help="($CLOUDTOWER_PASSWORD)")
    g.addoption("--readonly-username", default=os.environ.get("CLOUDTOWER_READONLY_USERNAME"),
                help="a READ_ONLY user of the target: the contract that a READ_ONLY user is refused mutations runs "
                     "only with one (in-process: the scenario's) ($CLOUDTOWER_READONLY_USERNAME)")
    g.addoption("--readonly-password", default=os.environ.get("CLOUDTOWER_READONLY_PASSWORD"),
                help="($CLOUDTOWER_READONLY_PASSWORD)")
    g.addoption("--insecure", action="store_true", help="accept a self-signed TLS certificate")
    g.addoption("--allow-mutations", action="store_true",
                help="let contracts change the target: create, operate and delete VMs named --test-vm-prefix, and "
                     "put --maintenance-host into maintenance mode and back (a URL target is read-only without it)")
    g.addoption("--maintenance-host", default=None, help="id or name of the one host maintenance contracts may use")
    g.addoption("--test-vm-prefix", default="contract-", help="name prefix of the VMs contracts create (default "
                                                                "contract-); no other VM is touched")
    g.addoption("--contract-max-examples", type=_positive, default=os.environ.get("CONTRACT_MAX_EXAMPLES"),
                help="Hypothesis examples per generated contract (default 3 in-process, a verdict within a minute; "
                     "5 against a URL, where each is a round trip and a failure is reported as found, not shrunk)")
    g.addoption("--contract-thorough", action="store_true",
                help="the deep run: 25 examples per generated contract (unless --contract-max-examples says)")
    g.addoption("--task-timeout", type=_seconds, default=1800.0, metavar="SECONDS",
                help="how long one task may take before its contract fails (default 1800: a real tower's "
                     "maintenance task migrates every VM of a host)")
    g.addoption("--task-stall", type=_seconds, default=None, metavar="SECONDS",
                help="how long a task may keep the same status and progress before its contract fails, with the "
                     "task's last state; later contracts then do not wait on the target's tasks (default: adapts "
                     "to the target, max(10, 20 x the slowest task this run has seen end) and at most 300, which "
                     "is the bound until a task has ended: a simulator's stalled task fails in 10 s, a real "
                     "tower's slow tasks get minutes; set it for hosts whose VMs of hundreds of GiB live-migrate "
                     "for minutes without progress)")
    g.addoption("--deadline", type=_seconds, default=None, metavar="SECONDS",
                help="bound on the whole run: past it, contracts not yet run are reported as not run, what was "
                     "touched is still restored, the reports are written, and the exit status is 3")
    g.addoption("--fail-fast", action="store_true",
                help="stop at the first broken contract: the rest are reported as not run, what was touched is "
                     "still restored and the reports are written (exit status 1)")
    g.addoption("--contract-report", default=None, metavar="FILE", help="write a JSON report of the run to FILE")
    g.addoption("--contract-junit-xml", default=None, metavar="FILE",
                help="write a JUnit XML report to FILE: one test case per contract, a failure's text with its "
                     "request and response")


def pytest_configure(config):
    for line in ("mutating: changes the target (runs in-process, or with --allow-mutations)",
                 "maintenance: puts the maintenance host into maintenance mode and back",
                 "control: needs the simulator's /_sim control API (reset, clock); skipped on other targets"):
        config.addinivalue_line("markers", line)
    if config.getoption("--allow-mutations") and config.getoption("--target-url") \
            and not config.getoption("--maintenance-host"):
        raise pytest.UsageError("--allow-mutations needs --maintenance-host ID: name the one host the maintenance "
                                "contracts may put into maintenance mode")
    config.stash[STARTED] = time.monotonic()
    config.stash[RESULTS] = Results()
    config.pluginmanager.register(config.stash[RESULTS], "cloudtower-contract-results")


HERE = Path(__file__).resolve().parent
# the order contracts run in: the workflows (maintenance first of all) and the tower's rules are what users of a tower
# rely on most and cost seconds; the generated wire contracts cost the most, so a verdict (and --fail-fast, and a
# --deadline) comes sooner with them last
ORDER = ("test_workflows.py", "test_tower_rules.py", "test_client_reads.py", "test_stateful.py", "test_wire.py")


def is_contract(node) -> bool:
    return Path(node.path).resolve().parent == HERE


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    """This folder as a plain directory: as a package, pytest would import its __init__.py as `contracts` in a
    checkout (where the folder sits beside cloudtower_sim/, not in it), a second module beside
    `cloudtower_sim.contracts`."""
    if Path(path).resolve() == HERE:
        return pytest.Dir.from_parent(parent, path=path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if Path(module_path).resolve().parent == HERE:
        return _Contracts.from_parent(parent, path=module_path)
    return None


class _Contracts(pytest.Module):
    """A contract file, imported by its name in the package (asserts are still rewritten: pytest's import hook
    matches the file's name, not the module's)."""

    def _getobj(self):
        import importlib

        name = f"{__package__}.{Path(self.path).stem}"
        try:
            return importlib.import_module(name)
        except Exception as e:
            raise self.CollectError(pytest.ExceptionInfo.from_current().getrepr(style="short")) from e


def pytest_collection_modifyitems(items):
    """Contracts in ORDER, each file's own order kept; other tests (the repository's own) keep their places."""
    places = [i for i, item in enumerate(items) if is_contract(item)]
    rank = {name: n for n, name in enumerate(ORDER)}
    ordered = sorted((items[i] for i in places), key=lambda item: rank.get(Path(item.path).name, len(ORDER)))
    for i, item in zip(places, ordered):
        items[i] = item


class Results:
    """Each contract's outcome, merged over its setup, call and teardown reports."""

    def __init__(self):
        self.entries: dict[str, dict] = {}
        self.contracts: set[str] = set()  # node ids of the tests in this package, wherever pytest was started
        self.first_failure: str | None = None  # the node id of the first contract that failed
        self.causes: dict[str, list[dict]] = {}  # node id -> the causes its nonconforming answers showed

    def pytest_itemcollected(self, item):
        if is_contract(item):
            self.contracts.add(item.nodeid)

    def pytest_runtest_logreport(self, report):
        if report.nodeid not in self.contracts:
            return
        entry = self.entries.setdefault(report.nodeid, {"contract": report.nodeid, "outcome": "passed",
                                                         "duration": 0.0})
        entry["duration"] = round(entry["duration"] + report.duration, 3)
        if report.failed:
            self.first_failure = self.first_failure or report.nodeid
            if entry["outcome"] != "failed":
                entry["outcome"], entry["phase"] = "failed", report.when
                entry["message"] = str(report.longrepr)[-6000:]
        elif report.skipped and report.when != "teardown":
            message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            entry["message"] = message.removeprefix("Skipped: ")
            entry["outcome"] = "not run" if entry["message"].startswith(NOT_RUN) else "skipped"
        for name, value in report.user_properties:  # the failing exchanges and what in them broke the oracle
            if name in ("exchanges", "nonconforming") and entry["outcome"] == "failed":
                entry[name] = value
            elif name == "causes" and entry["outcome"] == "failed":
                self.causes[report.nodeid] = value

    def merged_causes(self) -> list[dict]:
        """The run's causes of nonconforming answers, each once, with the contracts that met it."""
        return conformance.merge({**c, "contracts": [nodeid]} for nodeid, causes in self.causes.items()
                                 for c in causes)


OUTCOMES = ("passed", "failed", "skipped", "not run")


def pytest_sessionfinish(session, exitstatus):
    """The verdict: broken (1) over deadline hit (3); could not run (2) when no contract could."""
    config = session.config
    if RESULTS not in config.stash:
        return
    contracts = list(config.stash[RESULTS].entries.values())
    causes = config.stash[CAUSES] = config.stash[RESULTS].merged_causes()
    summary = {k: sum(1 for c in contracts if c["outcome"] == k) for k in OUTCOMES}
    reason = config.stash.get(COULD_NOT_RUN, None)
    deadline_hit = any("--deadline" in c.get("message", "") for c in contracts if c["outcome"] == "not run")
    if reason:
        verdict, session.exitstatus = "could not run", COULD_NOT_RUN_STATUS
    elif summary["failed"] or exitstatus == BROKEN:
        verdict = "broken"
    elif deadline_hit:
        verdict, session.exitstatus = "deadline hit", DEADLINE_HIT
    else:
        verdict = "held" if exitstatus == 0 else f"pytest exit status {int(exitstatus)}"
    config.stash[VERDICT] = verdict
    target = config.stash.get(TARGET, None)
    report = {
        "target": target.name if target else config.getoption("--target-url") or "simulator (in-process)",
        "api_version": target.version if target else None,
        "mutations": bool(target and target.mutations_allowed),
        "oracle": config.stash.get(ORACLE, None),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration": round(time.monotonic() - config.stash[STARTED], 1),
        "verdict": verdict,
        "reason": reason,
        "summary": summary,
        "exit_status": int(session.exitstatus),
        "leftovers": config.stash.get(LEFTOVERS, []),
        "causes": causes,
        "contracts": contracts,
    }
    path = config.getoption("--contract-report")
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
    path = config.getoption("--contract-junit-xml")
    if path:
        junit.write(path, report)


VERDICT = pytest.StashKey()
CAUSES = pytest.StashKey()  # the run's causes of nonconforming answers (Results.merged_causes)
SHOWN = 8  # operations and contracts named in the terminal for one cause; the JSON report has them all


def _some(names: list[str]) -> str:
    return ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Each cause of nonconforming answers once, before pytest's detail of each contract; the verdict last."""
    write = terminalreporter.write_line
    causes = config.stash.get(CAUSES, [])
    if causes:
        terminalreporter.section(f"nonconforming answers: {_plural(len(causes), 'cause')}", sep="=", red=True)
        for cause in causes:
            operations, contracts = cause["operations"], [c.split("::", 1)[-1] for c in cause["contracts"]]
            write(conformance.line(cause))
            write(f"    {_plural(cause['count'], 'time')} in {_plural(len(operations), 'operation')}: "
                  f"{_some(operations)}")
            write(f"    {_plural(len(contracts), 'contract')}: {_some(contracts)}")
    result = yield
    target = config.stash.get(TARGET, None)
    if target is not None:
        write(f"contracts ran against {target.name}, API version {target.version}; "
              f"oracle: {config.stash.get(ORACLE, '?')}; verdict: {config.stash.get(VERDICT, '?')}")
        for leftover in config.stash.get(LEFTOVERS, []):
            write(f"NOT RESTORED: {leftover}", red=True)
    return result
