"""The pytest plugin every pytest run of an environment with cloudtower-sim loads (the `pytest11` entry point): the
`cloudtower_sim` fixture and its marks, nothing else, so that it changes no other test of a dependent project.

    def test_my_code_survives_maintenance(cloudtower_sim):
        my_code.run(cloudtower_sim.url, cloudtower_sim.token)   # any client: the official SDK, requests, a subprocess

The fixture serves real HTTP on a free loopback port. Its server is shared by the session (one per API version);
each test gets a fresh world of its scenario: `@pytest.mark.cloudtower_scenario("path.yaml")` (or a dict, as the YAML
would hold it) picks it, `@pytest.mark.cloudtower_sim(task_mode="manual", api_version="4.3.0", seed=..., speed=...,
start_time=...)` sets the rest."""

from __future__ import annotations

import pytest

SETTINGS = ("task_mode", "api_version", "seed", "speed", "start_time")


def pytest_configure(config):
    config.addinivalue_line("markers", "cloudtower_scenario(scenario): the world the cloudtower_sim fixture serves, a "
                                       "YAML file's path or a dict (default: cloudtower-sim's default scenario)")
    config.addinivalue_line("markers", "cloudtower_sim(**settings): settings of the cloudtower_sim fixture: "
                                       f"{', '.join(SETTINGS)}")


class _Server:
    """A simulator of one API version, served in a thread (mock_server/server.py)."""

    def __init__(self, api_version: str | None):
        from cloudtower_sim.mock_server.api import create_app
        from cloudtower_sim.mock_server.api.app_state import state_of
        from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
        from cloudtower_sim.mock_server.server import InThread

        self.sim = Simulator(Settings(api_version=api_version))
        self.app = create_app(simulator=self.sim)
        self.state = state_of(self.app)
        self.served = InThread(self.app, threads=8)
        self.root = self.served.root

    def close(self):
        self.served.close()


class CloudTowerSim:
    """What a test gets: the served simulator's URL and credentials, a client, and the clock."""

    def __init__(self, served: _Server, user: dict):
        self._served = served
        self.url = served.root + "/v2/api"
        self.username, self.password = user["username"], user["password"]
        tokens = user.get("tokens") or []
        self.token = tokens[0] if tokens else served.sim.world.login(self.username, self.password)

    @property
    def world(self):
        """The simulator's world, for assertions a test cannot make through the API."""
        return self._served.sim.world

    def client(self):
        """A `cloudtower_sim.client.CloudTowerClient` logged in as the scenario's first root user."""
        from cloudtower_sim.client import CloudTowerClient

        return CloudTowerClient(self.url, token=self.token)

    def fault(self, path: str, **effect) -> str:
        """Inject a fault (as POST /_sim/faults takes it): `fault("/get-vms", status=503)`, `fault("/start-vm",
        task={"error_code": "...", "error_message": "..."})`, `delay_ms=300`, `drop=True`; `times=` and `where=`
        too. Answers its id."""
        return self._served.state.faults.add({"path": path, **effect}).id

    def faults(self) -> list[dict]:
        """The faults set, with how many requests each has left."""
        return self._served.state.faults.listed()

    def requests(self, path: str | None = None, method: str | None = None, status: int | None = None) -> list[dict]:
        """The journal (as GET /_sim/requests answers it), oldest first: method, path, status, body (secrets
        masked), task_ids, time."""
        return self._served.state.journal.entries(path, method, status)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock on (task_mode manual): tasks progress as far as that time takes them."""
        with self._served.sim.session() as world:
            world.clock.advance(seconds)
            world.runner.run_due()


@pytest.fixture(scope="session")
def _cloudtower_sim_servers():
    servers: dict = {}
    yield servers
    for served in servers.values():
        served.close()


@pytest.fixture
def cloudtower_sim(request, _cloudtower_sim_servers) -> CloudTowerSim:
    """A served CloudTower simulator with a fresh world for this test (see the module's docstring)."""
    from pathlib import Path

    from cloudtower_sim.mock_server.domain import scenario as scenarios
    from cloudtower_sim.mock_server.schema.spec import DEFAULT_VERSION

    chosen = request.node.get_closest_marker("cloudtower_scenario")
    given = chosen.args[0] if chosen and chosen.args else None
    if isinstance(given, dict):
        scenario = scenarios.from_data(given, f"<cloudtower_scenario of {request.node.name}>")
    else:
        scenario = scenarios.load(Path(str(request.path.parent), given) if given else None)
    marked = request.node.get_closest_marker("cloudtower_sim")
    settings = dict(marked.kwargs) if marked else {}
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.cloudtower_sim: unknown settings {unknown}; known: {list(SETTINGS)}")
    version = settings.pop("api_version", None) or scenario.data.get("api_version", DEFAULT_VERSION)
    served = _cloudtower_sim_servers.get(version) or _cloudtower_sim_servers.setdefault(version, _Server(version))
    served.state.faults.remove()  # nothing of the test before
    served.state.journal.clear()
    served.sim.start_over(scenario, task_mode=settings.get("task_mode", "instant"), speed=settings.get("speed", 1.0),
                          seed=settings.get("seed"), start_time=settings.get("start_time"))
    users = scenario.data.get("users") or [{"username": "root", "password": "HC!r0cks"}]  # as scenario.build makes
    root = next((u for u in users if u.get("role", "ROOT") == "ROOT"), None)
    if root is None:
        raise pytest.UsageError(f"{scenario.path}: the cloudtower_sim fixture logs in as a root user, and the "
                                "scenario declares none")
    return CloudTowerSim(served, root)
