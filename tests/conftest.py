"""The tests' fixtures and the fast tier's sampling of the contract suite; what they are built from is in support.py."""

from __future__ import annotations

import pytest

from cloudtower_sim.contracts import upstream as up
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import Api, Served, first_of_each_tag, make_client


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
        kept = first_of_each_tag([item.callspec.params["path"] for item in generated])
        for item in generated:
            if item.callspec.params["path"] not in kept:
                item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def client():
    return make_client()


@pytest.fixture
def api(client):
    return Api(client)


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
