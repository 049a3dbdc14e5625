"""The README says what the registry says."""

from pathlib import Path

from mock_server.api.registry import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_table_of_simulated_operations_is_the_registrys():
    table = markdown_table()
    assert table in README.read_text(), f"README.md's table of simulated operations is stale; it should read:\n{table}"
