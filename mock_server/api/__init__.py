"""The Flask app: one blueprint per upstream tag under /v2/api, the control API under /_sim."""

from __future__ import annotations

from flask import Flask

from ..domain.simulator import Settings, Simulator
from ..schema.operations import BASE_PATH
from . import clusters, control, hosts, tasks, users, vms
from .wire import install_error_handlers


def create_app(settings: Settings | None = None, simulator: Simulator | None = None) -> Flask:
    sim = simulator or Simulator(settings)
    app = Flask("cloudtower_sim")
    app.extensions["cloudtower_sim"] = sim
    for module in (users, clusters, hosts, vms, tasks):
        app.register_blueprint(module.bp, url_prefix=BASE_PATH)
    if sim.settings.control:
        app.register_blueprint(control.bp)
    install_error_handlers(app, sim.settings.upstream_spec)
    return app
