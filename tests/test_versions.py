"""The served API version: chosen by setting or scenario, and what a version lacks is a path that does not exist."""

import copy
import json

import pytest

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain import simulator as simulator_module
from cloudtower_sim.mock_server.domain.scenario import ScenarioError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server.schema.spec import EXTRACTS, Spec

from .support import TOKEN


def _post(client, path, body):
    return client.post("/v2/api" + path, json=body, headers={"Authorization": TOKEN})


def test_an_operation_the_version_lacks_answers_as_a_path_that_does_not_exist(monkeypatch):
    """A version without /migrate-vm (as 4.0.0 lacks operations later versions add) serves no such route, and the
    path is not even one of its upstream operations: 404, not 501."""
    data = json.loads((EXTRACTS / "4.6.0.json").read_text())
    older = copy.deepcopy(data)
    del older["paths"]["/migrate-vm"], older["upstream_operations"]["/migrate-vm"]
    monkeypatch.setattr(simulator_module.Spec, "load", staticmethod(lambda version: Spec(older)))
    client = create_app(Settings()).test_client()
    r = _post(client, "/migrate-vm", {"where": {"name": "web-01"}})
    assert r.status_code == 404 and "no such path" in r.get_json()["message"], r.get_json()
    assert "/migrate-vm" not in client.get("/_sim/openapi.json").get_json()["paths"]
    assert _post(client, "/get-vms", {"first": 1}).status_code == 200
    monkeypatch.undo()
    assert _post(create_app(Settings()).test_client(), "/migrate-vm", {"where": {"name": "web-01"}}).status_code == 200


def test_a_scenario_chooses_the_version_and_the_setting_overrides_it(tmp_path):
    scenario = tmp_path / "old.yaml"
    scenario.write_text("api_version: 4.1.0\nusers: [{username: root, password: x, tokens: [t]}]\n")
    assert Simulator(Settings(scenario=str(scenario))).spec.version == "4.1.0"
    assert Simulator(Settings(scenario=str(scenario), api_version="4.3.0")).spec.version == "4.3.0"
    client = create_app(Settings(scenario=str(scenario))).test_client()
    assert client.get("/v2/api/get-version").get_json() == "4.1.0"
    assert client.get("/_sim/openapi.json").get_json()["info"]["version"] == "4.1.0"


def test_a_scenario_with_an_unserved_version_is_refused_naming_the_served_ones(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("api_version: '3.4'\n")
    with pytest.raises(ScenarioError, match=r"api_version: expected one of 4\.0\.0, 4\.1\.0, 4\.3\.0, 4\.6\.0"):
        Simulator(Settings(scenario=str(scenario)))
