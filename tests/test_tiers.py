"""The suite's two tiers (issue 28): what the fast tier keeps of the checks made of every operation and version, the
Hypothesis profiles the examples come from, and how many examples a contract run tries."""

from __future__ import annotations

import pytest
from hypothesis import settings

from cloudtower_sim.contracts.fixtures import example_count
from cloudtower_sim.mock_server.cli import contract as contract_command, parser
from cloudtower_sim.mock_server.schema.spec import VERSIONS, Spec

from .support import examples, per_operation, per_version


def _kept(params) -> list:
    """The parameters the fast tier (`-m "not slow"`) runs."""
    return [p for p in params if not (hasattr(p, "marks") and any(m.name == "slow" for m in p.marks))]


def _value(param):
    return param.values[0] if hasattr(param, "values") else param


def test_the_fast_tier_meets_one_operation_of_every_tag():
    operations = Spec.load().operations
    paths = sorted(operations)
    params = per_operation(paths)
    assert [_value(p) for p in params] == paths  # the whole suite: every operation, in order, under its own id
    kept = _kept(params)
    tags = [operations[p].tag for p in kept]
    assert sorted(tags) == sorted({o.tag for o in operations.values()})  # one of each tag, none twice
    assert kept == [next(p for p in paths if operations[p].tag == tag) for tag in tags]  # the first of each
    assert len(kept) < len(paths) / 4


def test_the_fast_tier_meets_the_latest_version():
    params = per_version(list(reversed(VERSIONS)))
    assert [_value(p) for p in params] == list(reversed(VERSIONS))
    assert _kept(params) == ["4.6.0"]


def test_examples_are_a_share_of_the_profiles():
    assert settings.get_profile("ci").max_examples == 100 and settings.get_profile("dev").max_examples == 10
    assert examples(1.5) == round(settings().max_examples * 1.5)
    loaded = settings.get_current_profile_name()
    settings.load_profile("dev")  # as under --hypothesis-profile dev
    try:
        assert examples(6) == 60 and examples(0.01) == 1  # never none
    finally:
        settings.load_profile(loaded)


@pytest.mark.parametrize("given,thorough,in_process,count", [
    (None, False, True, 3), (None, False, False, 5), (None, True, True, 25), (None, True, False, 25),
    (7, True, True, 7), (2, False, False, 2)])
def test_a_contract_run_tries_the_examples_it_is_asked_for(given, thorough, in_process, count):
    assert example_count(given, thorough, in_process) == count


def test_contract_thorough_asks_the_suite_for_its_deep_run(monkeypatch):
    seen = []
    monkeypatch.setattr(pytest, "main", lambda argv: seen.append(argv) or 0)
    assert contract_command(parser().parse_args(["contract", "--thorough"])) == 0
    assert contract_command(parser().parse_args(["contract"])) == 0
    assert "--contract-thorough" in seen[0] and "--contract-thorough" not in seen[1]


def test_the_map_of_the_tests_names_every_test_file():
    """tests/README.md is where a reader finds what a file covers: a new file joins it."""
    from .support import ROOT

    text = (ROOT / "tests" / "README.md").read_text()
    missing = sorted(p.name for p in (ROOT / "tests").glob("test_*.py") if f"`{p.name}`" not in text)
    assert missing == [], f"add them to tests/README.md: {missing}"
