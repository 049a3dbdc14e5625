"""Fixtures of the contract suite: the target, the oracle, the safety gates, and the check that every answer a
contract caused conforms to the oracle. The plugin loads them (a conftest.py here would load as a second module,
`contracts.conftest`, in a checkout); the autouse `contract` acts on the contracts of this folder only."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, Phase, settings

from cloudtower_sim.client import CloudTowerError
from cloudtower_sim.contracts import conformance, safety, target as targets
from cloudtower_sim.contracts import upstream as up
from cloudtower_sim.contracts.plugin import COULD_NOT_RUN, LEFTOVERS, ORACLE, RESULTS, STARTED, TARGET, is_contract
from cloudtower_sim.contracts.target import NOT_RUN

# Hypothesis examples per generated contract, unless --contract-max-examples says. In-process, a run's fixed cost is
# about 25 s and each example adds about 5 s: 3 gives a verdict within a minute, and every breakage tests/drift.py
# makes is caught by the first. Over a network each example is a round trip. --contract-thorough is the deep run.
IN_PROCESS_EXAMPLES, REMOTE_EXAMPLES, THOROUGH_EXAMPLES = 3, 5, 25


@pytest.fixture(scope="session")
def oracle(request) -> up.Upstream:
    """The upstream spec of --spec-version; without one, the package's extract of it (which tests/ hold to upstream),
    so a fresh clone still checks every answer."""
    found, request.config.stash[ORACLE] = up.oracle(request.config.getoption("--spec-version"),
                                                    request.config.getoption("--upstream-spec"))
    return found


@pytest.fixture(scope="session")
def target(request, oracle) -> targets.Target:
    config = request.config
    prefix = config.getoption("--test-vm-prefix")
    if not prefix or not prefix.strip():
        raise pytest.UsageError("--test-vm-prefix must not be empty: it is what keeps contracts off other VMs")
    url = config.getoption("--target-url")
    try:
        if url:
            t = targets.remote(url, config.getoption("--token"), config.getoption("--username"),
                               config.getoption("--password"), config.getoption("--insecure"),
                               config.getoption("--allow-mutations"), prefix)
            user = config.getoption("--readonly-username")
            t.readonly = (user, config.getoption("--readonly-password") or "") if user else None
        else:
            t = targets.in_process(prefix)
        t.version = t.client().get_version()
        t.client().get_clusters(first=1)  # get-version asks for no token: this read proves the credentials
    except (CloudTowerError, requests.RequestException) as e:  # unreachable, refused credentials, not a tower
        could_not_run(config, f"{url or 'the simulator'} could not be reached or refused the credentials: {e}")
    t.task_timeout, t.task_stall = config.getoption("--task-timeout"), config.getoption("--task-stall")
    deadline = config.getoption("--deadline")
    if deadline is not None:
        t.deadline, t.deadline_at = deadline, config.stash[STARTED] + deadline
    config.stash[TARGET] = t
    if t.mutations_allowed:
        refusal = safety.prepare(t, config.getoption("--maintenance-host"))
        if refusal:
            could_not_run(config, f"contracts refuse to start against {t.name}: {refusal}")
    yield t
    if t.mutations_allowed:
        config.stash[LEFTOVERS] = safety.restore(t)


def could_not_run(config, reason: str):
    config.stash[COULD_NOT_RUN] = reason
    pytest.exit(reason, returncode=2)


def example_count(max_examples: int | None, thorough: bool, in_process: bool) -> int:
    """Examples per generated contract: --contract-max-examples, else 25 with --contract-thorough, else 3 in-process
    and 5 against a URL."""
    if max_examples:
        return max_examples
    return THOROUGH_EXAMPLES if thorough else IN_PROCESS_EXAMPLES if in_process else REMOTE_EXAMPLES


@pytest.fixture(scope="session")
def examples(request, target) -> settings:
    """The Hypothesis settings of a generated contract. Against a remote target a failure is reported as found, not
    shrunk: each shrinking step is a round trip, and a cluster that is not reset would meet another world."""
    count = example_count(request.config.getoption("--contract-max-examples"),
                          request.config.getoption("--contract-thorough"), target.control)
    phases = list(Phase) if target.control else [Phase.explicit, Phase.generate]
    return settings(max_examples=count, deadline=None, database=None, derandomize=True, print_blob=False,
                    suppress_health_check=list(HealthCheck), phases=phases)


@pytest.fixture(autouse=True)
def contract(request):
    """Gate each contract by its marks; afterwards, hold every exchange it caused to the oracle, and leave the
    failing exchanges (or the last few) in the report. Other tests of the same run (the repository's) pass through."""
    if not is_contract(request.node):
        yield
        return
    target, oracle = request.getfixturevalue("target"), request.getfixturevalue("oracle")
    marks = {m.name for m in request.node.iter_markers()}
    target.cut_short = None
    target.check_deadline()
    failed = request.config.stash[RESULTS].first_failure
    if failed and request.config.getoption("--fail-fast"):
        pytest.skip(f"{NOT_RUN} --fail-fast stopped the run at the first broken contract, {failed}")
    if "control" in marks and not target.control:
        pytest.skip(f"needs the simulator's /_sim control API to undo what it does, and {target.name} has none: "
                    "these generated bodies go only to the simulator in-process, since a server that wrongly "
                    "accepted one could act on a real cluster (the workflow contracts cover the operation there)")
    changes = marks & {"mutating", "maintenance"}
    if changes and not target.mutations_allowed:
        pytest.skip("changes the cluster: run with --allow-mutations --maintenance-host ID to allow it")
    if changes and target.tainted:
        pytest.skip(f"{NOT_RUN} an earlier contract could not restore the cluster ({target.tainted})")
    if changes and target.stuck:
        pytest.skip(f"{NOT_RUN} an earlier task of the target did not finish ({target.stuck})")
    if target.control and marks & {"mutating", "maintenance", "control"}:
        target.reset()  # a contract that changes the world starts from the scenario
    target.exchanges.clear()
    yield
    exchanges = list(target.exchanges)
    found = [(e, f) for e in exchanges for f in conformance.findings(oracle, e)]
    found += [(None, f) for f in request.node.stash.get(REFUSED, [])]
    shown = list({id(e): e for e, _ in found if e is not None}.values())[:5] or exchanges[-3:]
    request.node.user_properties.append(("exchanges", [e.as_dict() for e in shown]))
    causes = conformance.merge(f.as_cause() for _, f in found)
    if causes:  # each cause once, for the run's grouped verdict; and in a line each, for this contract's
        request.node.user_properties.append(("causes", causes))
        request.node.user_properties.append(("nonconforming", [f"{conformance.line(c)}; {conformance.met(c)}"
                                                               for c in causes]))
    if changes and not target.control:
        left = safety.restore(target)
        if left:
            target.tainted = "; ".join(left)
            pytest.fail("could not restore the cluster: " + "; ".join(left))
    call = request.node.stash.get(CALL, None)
    if causes and call is not None and call.passed:  # a failed call says what went wrong, the report adds these
        pytest.fail(conformance.text([f for _, f in found]), pytrace=False)


CALL = pytest.StashKey()
REFUSED = pytest.StashKey()  # the contract's requests that the oracle declares valid and the target refused



@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A contract cut short by the run's deadline is not run, not broken (a task that never finished is noted by the
    target itself, Target._timed_out); one that failed of nonconforming answers says which, without a traceback."""
    report = yield
    target = item.config.stash.get(TARGET, None)
    if report.when == "call" and report.failed and call.excinfo is not None:
        found = _nonconforming(call.excinfo.value) or _refused(item.config, target, call.excinfo.value)
        if found:
            report.longrepr = conformance.text(found)
            item.stash[REFUSED] = [f for f in found if f.rule == "refused"]  # no answer's fault: the teardown adds them
    if report.when == "call" and report.failed and target is not None and target.cut_short:
        # noted by the target where the wait ended (Hypothesis may wrap the TaskTimeout beyond recognition)
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f"{NOT_RUN} the run's --deadline of {target.deadline:g} s passed while it waited: "
                           f"{target.cut_short}")
    if report.when == "call":
        item.stash[CALL] = report
    return report


def _nonconforming(error: BaseException) -> list:
    """The findings of a failure that is nonconforming answers alone (Hypothesis may group several), else none."""
    if isinstance(error, conformance.Nonconforming):
        return error.found
    if isinstance(error, BaseExceptionGroup):
        parts = [_nonconforming(e) for e in error.exceptions]
        return [f for part in parts for f in part] if all(parts) else []
    return []


def _refused(config, target, error: BaseException) -> list:
    """A failure that is the client's refused request (400), when the oracle declares the request valid."""
    if not isinstance(error, CloudTowerError) or error.status != 400 or target is None or not target.exchanges:
        return []
    oracle, _ = up.oracle(config.getoption("--spec-version"), config.getoption("--upstream-spec"))
    last = target.exchanges[-1]
    return [conformance.refused(oracle, last)] if last.status == 400 and conformance.valid_request(oracle, last) else []
