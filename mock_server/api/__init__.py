"""The Flask app: the registered operations of the served API version under /v2/api, one blueprint per upstream tag,
and the control API under /_sim."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from flask import Flask

from ..domain.simulator import Settings, Simulator
from ..schema.types import InvalidInput
from . import control, page
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
    operations = bind(sim.spec)
    app.extensions[KEY] = AppState(sim, Faults(partial(steps_of, operations, sim.spec.version)),
                                   Journal(sim.settings.journal_size), Answers(), Rendered())
    install_routes(app, operations)
    if sim.settings.control:
        app.register_blueprint(control.bp)
        app.register_blueprint(page.bp)  # the live page of the world, GET /_sim/
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


def steps_of(operations: dict, version: str, path: str) -> tuple[str, ...] | None:
    """The steps of the tasks `path` starts, None if it starts none (registry.Entry.steps); InvalidInput if no
    request takes a fault there: a path this app does not serve (an operation not simulated answers 501 first), or a
    GraphQL root field the schema lacks (`/api/<field>`)."""
    if path.startswith(GRAPHQL_PATH + "/"):
        from . import graphql  # (graphql-core: imported by the first GraphQL fault or request, not at start)

        field_name = path[len(GRAPHQL_PATH) + 1:]
        served = graphql.schema(version)
        fields = {**served.query_type.fields, **served.mutation_type.fields}
        if field_name not in fields:
            raise InvalidInput("path", f"no GraphQL root field {field_name!r} is served at {GRAPHQL_PATH}, so no "
                                       "request would take this fault (its fields: "
                                       f"{', '.join(sorted(fields))})", repr(path))
        return graphql.STEPS.get(field_name)
    bound = operations.get(path)
    if bound is None:
        raise InvalidInput("path", "no operation of this path is simulated in this API version, so no request would "
                                   "take this fault (GET /_sim/openapi.json lists those that are)", repr(path))
    return bound.steps


def upstream_operations(sim: Simulator) -> dict[str, tuple[str, str]]:
    """Every operation of the upstream API: from `upstream_spec` when given, else from the served version's extract."""
    path = sim.settings.upstream_spec
    if not path:
        return sim.spec.upstream_operations
    spec = json.loads(Path(path).read_text())
    return {p: (m.upper(), o["operationId"]) for p, ms in spec["paths"].items() for m, o in ms.items()}
