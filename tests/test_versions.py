"""The served API version: chosen by setting or scenario, and what a version lacks is a path that does not exist."""

import copy
import json

import pytest

from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain import simulator as simulator_module
from cloudtower_sim.mock_server.domain.scenario import ScenarioError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator
from cloudtower_sim.mock_server.schema.spec import EXTRACTS, Spec

from .support import READS, TOKEN, Api, per_operation, per_version, varied_client


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


# --- every served version ---------------------------------------------------------------------------------------------

# Vm fields that 4.6.0 has and older versions do not (Vm is additionalProperties: false in every version)
NEWER_VM_FIELDS = {
    "4.0.0": {"backup_plans", "bios_uuid", "unique_logical_size", "used_size", "used_size_usage"},
    "4.1.0": {"backup_plans", "bios_uuid", "used_size", "used_size_usage"},
    "4.3.0": {"backup_plans", "used_size", "used_size_usage"},
    "4.6.0": set(),
}
_VERSIONED = {}


def versioned_client(version):
    if version not in _VERSIONED:
        _VERSIONED[version] = varied_client(version)
    return _VERSIONED[version]


@pytest.mark.parametrize("version", per_version(list(NEWER_VM_FIELDS)))
@pytest.mark.parametrize("op", per_operation(READS))
def test_reads_validate_against_the_served_versions_spec(upstream_for, version, op):
    upstream = upstream_for(version)
    status, data, _ = Api(versioned_client(version))(op[1:], {})
    assert status == 200
    upstream.validate(op, 200, data)


@pytest.mark.parametrize("version", NEWER_VM_FIELDS)
def test_a_served_version_answers_exactly_its_own_fields(upstream_for, version):
    client = versioned_client(version)
    assert client.get("/v2/api/get-version").get_json() == version
    [vm] = Api(client).ok("get-vms", {"first": 1})
    assert set(vm) == set(upstream_for(version).schemas["Vm"]["properties"])
    assert not NEWER_VM_FIELDS[version] & set(vm)


@pytest.mark.parametrize("version", NEWER_VM_FIELDS)
def test_requests_are_validated_by_the_served_versions_schema(version):
    """`bios_uuid` is a Vm filter from 4.1.0 on: 4.0.0 refuses it as upstream 4.0.0 would, naming it."""
    status, data, _ = Api(versioned_client(version))("get-vms", {"where": {"bios_uuid": "x"}})
    if "bios_uuid" in NEWER_VM_FIELDS[version]:
        assert status == 400 and "where.bios_uuid" in data["message"], data
    else:
        assert status == 200 and data == [], data
