"""Imports flow one way (issue 29): cli -> api -> domain -> schema, with the client apart. Read from the source, so
that an import inside a function counts as much as one at the top; one under `if TYPE_CHECKING:` (annotations only)
does not."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
