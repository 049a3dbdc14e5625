from __future__ import annotations

import threading

import pytest
from hypothesis import settings

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.api.app_state import state_of
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from cloudtower_sim.contracts import upstream as up

TOKEN = "cloudtower-sim-root-token"  # declared in the default scenario
# simulated time starts at the wall clock unless pinned; tests that compare worlds or times pin it
PINNED_START = "2026-01-01T08:00:00Z"
# the official SDK's wait_tasks sleeps its `interval` (default 5 s) after every poll, the last one too: tests pass
# this, as a user of the SDK may
SDK_POLL = 0.05


def _first_of_each_tag(paths) -> set:
    from cloudtower_sim.mock_server.schema.spec import Spec

    operations, seen, kept = Spec.load().operations, set(), set()
    for path in paths:
        tag = operations[path].tag if path in operations else path
        if tag not in seen:
            seen.add(tag)
            kept.add(path)
    return kept


def per_operation(paths) -> list:
    """`paths` as test parameters, every one in the whole suite; in the fast tier (`-m "not slow"`), the first of each
    upstream tag (Vm, Host, Label, ...) among them, so that a check made of every operation still meets every area of
    the API, for a fifth of the cost."""
    kept = _first_of_each_tag(paths)
    return [path if path in kept else pytest.param(path, marks=pytest.mark.slow) for path in paths]


def per_version(versions) -> list:
    """API versions as test parameters: the latest in the fast tier, every one in the whole suite."""
    latest = max(versions, key=lambda v: tuple(map(int, v.split("."))))
    return [v if v == latest else pytest.param(v, marks=pytest.mark.slow) for v in versions]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marks
def pytest_collection_modifyitems(items):
    """The contract suite's contracts generated for each operation (contracts/test_wire.py) are sampled as
    `per_operation` samples the tests' (the contract suite is the package's, and knows no tiers)."""
    by_test: dict = {}
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if item.nodeid.startswith("contracts/test_wire.py") and params and "path" in params:
            by_test.setdefault(item.originalname, []).append(item)
    for generated in by_test.values():
        kept = _first_of_each_tag([item.callspec.params["path"] for item in generated])
        for item in generated:
            if item.callspec.params["path"] not in kept:
                item.add_marker(pytest.mark.slow)


def examples(share: float) -> int:
    """`share` of the Hypothesis profile's examples (the root conftest.py's `ci` gives 100, `dev` 10): a property test
    whose examples are cheap asks for more than one share, a costly one for less."""
    return max(1, round(settings().max_examples * share))


@pytest.fixture(scope="session")
def upstream_for(request):
    """upstream_for(version) -> the upstream spec of that version; without one (a fresh clone), the package's extract
    of it, which holds upstream's declarations of every simulated operation."""
    return lambda version="4.6.0": up.oracle(version, request.config.getoption("--upstream-spec"))[0]


@pytest.fixture(scope="session")
def full_upstream_for(request):
    """full_upstream_for(version) -> the whole upstream spec of that version, or a skip saying how to supply one: only
    the checks that hold the extract itself to upstream need it."""
    def find(version="4.6.0"):
        path = up.spec_path(version, request.config.getoption("--upstream-spec"))
        if not path.is_file():
            pytest.skip(f"holds the extract to upstream, and upstream spec {path} is not found: {up.HOW}")
        return up.load(str(path))
    return find


@pytest.fixture(scope="session")
def upstream(upstream_for):
    return upstream_for("4.6.0")


_HELD: set = set()


def held_to_upstream(app):
    """Validate every JSON answer `app` gives to an operation against the upstream spec of the version it serves (when
    that spec is at hand, else against the package's extract of it): whatever a test makes the simulator say, upstream
    must allow it. A breach fails the request with a 599 that names it, which no test expects."""
    sim = state_of(app).sim
    upstream, _ = up.oracle(sim.spec.version)

    @app.after_request
    def _check(response):
        from flask import request

        op = request.path[len("/v2/api"):]
        if not request.path.startswith("/v2/api/") or op not in upstream.doc["paths"] or not response.is_json:
            return response
        status = response.status_code
        seen = (sim.spec.version, op, status, hash(response.get_data()))
        if seen in _HELD:  # the same answer again (fuzz tests re-read an unchanged world): already validated
            return response
        try:
            if str(status) in upstream.operation(op)[1]["responses"]:
                upstream.validate(op, status, response.get_json())
            else:  # 401, 405, 501: upstream declares none, but an error is an ErrorBody
                upstream.validate_schema("ErrorBody", response.get_json())
        except Exception as e:  # noqa: BLE001 - any breach
            response.status_code = 599
            response.set_data(f"answer of {request.path} ({status}) breaks upstream {sim.spec.version}: {e}"[:2000])
            return response
        _HELD.add(seen)
        return response

    return app


def make_client(settings: Settings | None = None):
    app = held_to_upstream(create_app(settings or Settings(start_time=PINNED_START)))
    client = app.test_client()
    client.sim = state_of(app).sim
    return client


@pytest.fixture
def client():
    return make_client()


class Api:
    """A thin test helper: POST an operation with the root token and return (status, json, response)."""

    def __init__(self, client, token=TOKEN):
        self.client, self.token = client, token

    def __call__(self, op, body=None, **kw):
        headers = {"Authorization": self.token} if self.token else {}
        r = self.client.post(f"/v2/api/{op}", json=body if body is not None else {}, headers=headers, **kw)
        return r.status_code, r.get_json(silent=True), r

    def ok(self, op, body=None):
        status, data, r = self(op, body)
        assert status == 200, (op, body, data)
        return data

    def done(self, answers):
        """`answers` (WithTask), once each task has SUCCEEDED (as it has at once in instant task mode)."""
        for a in answers:
            [task] = self.ok("get-tasks", {"where": {"id": a["task_id"]}})
            assert task["status"] == "SUCCESSED", task
        return answers


@pytest.fixture
def api(client):
    return Api(client)


class Served:
    """The simulator served by waitress on a free loopback port, in a thread."""

    def __init__(self, settings: Settings, wrap=None):
        from cloudtower_sim.mock_server.server import Server

        self.sim = Simulator(settings)
        app = held_to_upstream(create_app(simulator=self.sim))
        if wrap is not None:  # a WSGI middleware around the simulator, e.g. one that breaks its answers
            app = wrap(app, self.sim)
        self.server = Server(app, "127.0.0.1", 0, 4)
        self.base_url = f"http://127.0.0.1:{self.server.port}/v2/api"
        self.root = self.base_url[: -len("/v2/api")]
        # the loop and its shutdown stay in one thread, so no socket is closed under a running select()
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self):
        self.server.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the served simulator did not stop"


@pytest.fixture
def served():
    """served(**settings) starts a server; all are closed at the end of the test."""
    started = []

    def start(wrap=None, **kw):
        s = Served(Settings(**kw), wrap)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()
