"""The Flask app: the registered operations of the served API version under /v2/api, one blueprint per upstream tag,
and the control API under /_sim."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from ..domain.simulator import Settings, Simulator
from . import control
# the handler modules: importing them fills the registry (the reads come from the kinds, domain/model.py)
from . import content_library, hosts, inventory, users, vms  # noqa: F401
from .answers import Answers, Rendered
from .app_state import KEY, AppState
from .faults import Faults, Journal
from .front import GRAPHQL_PATH, Front
from .registry import bind
from .wire import MAX_BODY_BYTES, install_error_handlers, install_routes


def create_app(settings: Settings | None = None, simulator: Simulator | None = None) -> Flask:
    sim = simulator or Simulator(settings)
    app = Flask("cloudtower_sim")
    app.url_map.merge_slashes = False  # `/v2/api//get-vms` is no operation: a 404 ErrorBody, not a 308 redirect
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[KEY] = AppState(sim, Faults(), Journal(sim.settings.journal_size), Answers(), Rendered())
    install_routes(app, bind(sim.spec))
    if sim.settings.control:
        app.register_blueprint(control.bp)
    _graphql(app)  # POST /api: served with or without the control API
    install_error_handlers(app, upstream_operations(sim))
    app.wsgi_app = Front(app)  # every request's id and journal entry, and kept answers of reads, before Flask
    return app


def _graphql(app: Flask) -> None:
    """POST /api. graphql-core takes 15 MB and 0.18 s to import: the first GraphQL request imports it, not the start
    (api/graphql.py)."""
    @app.post(GRAPHQL_PATH)
    def graphql_endpoint():
        from . import graphql
        return graphql.serve(app)


def upstream_operations(sim: Simulator) -> dict[str, tuple[str, str]]:
    """Every operation of the upstream API: from `upstream_spec` when given, else from the served version's extract."""
    path = sim.settings.upstream_spec
    if not path:
        return sim.spec.upstream_operations
    spec = json.loads(Path(path).read_text())
    return {p: (m.upper(), o["operationId"]) for p, ms in spec["paths"].items() for m, o in ms.items()}
