"""The README says what the registry says."""

from pathlib import Path

from mock_server.api.registry import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_table_of_simulated_operations_is_the_registrys():
    table = markdown_table()
    assert table in README.read_text(), f"README.md's table of simulated operations is stale; it should read:\n{table}"


def test_the_scenario_example_loads(tmp_path):
    from mock_server.domain.simulator import Settings, Simulator

    text = README.read_text()
    example = text[text.index("```yaml\nseed: 7") + len("```yaml\n"):]
    (tmp_path / "example.yaml").write_text(example[:example.index("```")])
    sim = Simulator(Settings(scenario=str(tmp_path / "example.yaml")))
    assert sim.spec.version == "4.1.0" and len(sim.world.vms) == 3 + 10_000
    assert {u.username: (u.role, u.source) for u in sim.world.users.values()}["alice"] == ("ADMIN", "LDAP")
