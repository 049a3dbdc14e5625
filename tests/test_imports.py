"""Imports flow one way (issue 29): cli -> api -> domain -> schema, with the client apart. Read from the source, so
that an import inside a function counts as much as one at the top; one under `if TYPE_CHECKING:` (annotations only)
does not. And each file loads as one module (tests/loaded.py; the root conftest.py fails a run that loads one
twice)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .loaded import ROOT, describe, loaded_twice

# the repository's folders, as the package names them (cloudtower_sim/__init__.py)
PARTS = {"cloudtower_sim": "cloudtower_sim", "mock_server": "cloudtower_sim.mock_server",
         "client": "cloudtower_sim.client", "contracts": "cloudtower_sim.contracts"}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PARTS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The modules of the package that `module` imports, anywhere in it but under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    checking = {id(n) for node in ast.walk(tree)
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                for child in node.body for n in ast.walk(child)}
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    named = []
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            named += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            named += [f"{base}.{a.name}" for a in node.names]
    found = set()
    for name in named:
        if name.split(".")[0] in ("mock_server", "client", "contracts"):  # a checkout's second name for a part
            name = "cloudtower_sim." + name
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return found


def _reaching(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if m.startswith(prefix)
                  for t in targets if t.startswith(forbidden))


def test_the_reader_sees_imports_inside_functions_and_skips_type_checking_ones():
    assert "cloudtower_sim.mock_server.domain.vms" in GRAPH["cloudtower_sim.mock_server.domain.templates"]
    assert "cloudtower_sim.mock_server.domain.world" not in GRAPH["cloudtower_sim.mock_server.domain.vms"]
    assert "cloudtower_sim.mock_server.api" in GRAPH["cloudtower_sim.mock_server.cli"]


def test_no_import_cycle():
    cycles = _cycles()
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_domain_knows_no_wire_and_the_schema_no_simulator():
    sim = "cloudtower_sim.mock_server."
    assert _reaching(sim + "domain", (sim + "api", sim + "cli", sim + "server", sim + "capture", sim + "state",
                                      "cloudtower_sim.contracts", "cloudtower_sim.client")) == []
    assert _reaching(sim + "schema", (sim + "api", sim + "domain", sim + "cli", "cloudtower_sim.contracts",
                                      "cloudtower_sim.client")) == []
    assert _reaching(sim + "api", (sim + "cli", "cloudtower_sim.contracts")) == []


def test_the_client_imports_nothing_of_the_simulator():
    assert _reaching("cloudtower_sim.client", ("cloudtower_sim.mock_server", "cloudtower_sim.contracts")) == []


def test_every_wait_polls_through_one_poller():
    """client/polling.py's Poll is the one loop of a wait (its interval, stall bound and timeout): nothing else reads
    a client's clock or sleeps on it."""
    own = {MODULES["cloudtower_sim.client.core"], MODULES["cloudtower_sim.client.polling"]}
    found = [f"{path.relative_to(ROOT)}:{n}" for path in MODULES.values() if path not in own
             for n, line in enumerate(path.read_text().splitlines(), 1) if "._monotonic" in line or "._sleep" in line]
    assert found == []


def test_a_file_loaded_under_a_second_name_is_found():
    path = MODULES["cloudtower_sim.mock_server.domain.states"]
    import cloudtower_sim.mock_server.domain.states  # noqa: F401
    modules = dict(sys.modules)
    assert loaded_twice(modules) == {}
    modules["an_alias_of_states"] = modules["cloudtower_sim.mock_server.domain.states"]  # one module, two names
    assert loaded_twice(modules) == {}
    modules["mock_server.domain.states"] = importlib.util.module_from_spec(
        importlib.util.spec_from_file_location("mock_server.domain.states", path))
    twice = loaded_twice(modules)
    assert twice == {"mock_server/domain/states.py": ["an_alias_of_states", "cloudtower_sim.mock_server.domain.states",
                                                      "mock_server.domain.states"]}
    assert "mock_server/domain/states.py as an_alias_of_states and cloudtower_sim." in describe(twice)


def test_this_process_has_loaded_each_file_once():
    assert loaded_twice() == {}, describe(loaded_twice())


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one-process", "xdist-worker"])
def test_a_run_that_loads_a_file_twice_fails(tmp_path, workers):
    """The root conftest.py's guard, in a process of its own: a plugin imports a module by a checkout's second name
    once collection is done (in an xdist worker, which reports it to the controller); a plain run passes."""
    (tmp_path / "second_name.py").write_text(
        "def pytest_collection_finish(session):\n    import mock_server.domain.states  # noqa: F401\n")
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers,
            "tests/test_imports.py::test_no_import_cycle"]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    plain = subprocess.run(base, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stdout[-2000:] + plain.stderr[-2000:]
    doubled = subprocess.run(base + ["-p", "second_name"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert doubled.returncode == 1, doubled.stdout[-2000:] + doubled.stderr[-2000:]
    assert "files loaded under two module names: " in doubled.stdout
    assert ("mock_server/domain/states.py as cloudtower_sim.mock_server.domain.states and "
            "mock_server.domain.states") in doubled.stdout
