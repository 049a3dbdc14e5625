"""`serve --state FILE`: the world kept across restarts. The state is a scenario (capture.py reads the served world
through its own API, in-process), so it loads as any scenario does; its first line marks it as a state file, so that
`--state` pointed at a scenario or any other file is refused rather than overwritten. Written whole or not at all (a
temporary file renamed over it), on SIGTERM and SIGINT and every `--state-interval` seconds.
What a scenario cannot say is not kept (capture.py's LEFT_OUT), and ids are made anew from the seed on each start."""

from __future__ import annotations

import secrets
from pathlib import Path

from .capture import capture, dump
from .domain import scenario as scenarios

HEADER = "# cloudtower-sim state: written by `cloudtower-sim serve --state`; loaded by it on the next start"
INTERNAL = "X-Cloudtower-Sim-Internal"  # requests the journal leaves out (api/front.py)


class StateError(Exception):
    pass


def load(path: Path) -> scenarios.Scenario | None:
    """The state in `path` as a scenario; None when there is none yet. A file that is not a state file, or a corrupt
    one, is refused (and so never overwritten)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise StateError(f"--state {path}: cannot read it ({e}); refusing to use or overwrite it") from None
    if not text.startswith(HEADER):
        raise StateError(f"--state {path}: not a cloudtower-sim state file (its first line is not {HEADER[:30]!r}...); "
                         "refusing to load or overwrite it: name a new file, or one serve --state wrote")
    try:
        return scenarios.load(path)
    except scenarios.ScenarioError as e:
        raise StateError(f"--state {path}: a corrupt state file ({e}); refusing to load or overwrite it: move it "
                         "away to start from the scenario") from None


def _logins(sim, scenario: dict) -> None:
    """What the API does not show and the world needs to work on after a restart: the auth configs LDAP users log in
    through, each connected cluster's login, and the clusters a tower can reach and has not connected."""
    if sim.scenario.data.get("auth_configs"):
        scenario["auth_configs"] = sim.scenario.data["auth_configs"]
    with sim.session() as world:
        logins = {c.ip: c.credentials for c in world.clusters.values()}
        reachable = [{k: v for k, v in entry.items() if k in scenarios.SHAPES["reachable_cluster"]}
                     for ip, entry in world.reachable.items() if ip not in logins]
    for entry in scenario.get("clusters") or ():
        entry["username"], entry["password"] = logins.get(entry.get("ip"), scenarios.DEFAULT_CREDENTIALS)
    if reachable:
        scenario["reachable_clusters"] = reachable


def save(app, sim, path: Path) -> None:
    """Read the served world through the API in-process and write it as the state, atomically."""
    from cloudtower_sim.client import CloudTowerClient, wsgi_session

    token = secrets.token_hex(20)
    with sim.session() as world:
        root = next(u for u in world.users.values() if u.role == "ROOT")
        world.tokens[token] = root
    try:
        session = wsgi_session(app)
        session.headers[INTERNAL] = "state"
        scenario = capture(CloudTowerClient("http://state/v2/api", token=token, session=session))
    finally:
        with sim.session() as world:
            world.tokens.pop(token, None)
    scenario["users"] = sim.scenario.data.get("users") or scenario["users"]  # the served users, with passwords
    _logins(sim, scenario)
    part = path.with_name(path.name + ".part")
    part.write_text(HEADER + "\n" + dump(scenario, "cloudtower-sim serve --state"))
    part.replace(path)
