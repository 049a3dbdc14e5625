"""cloudtower-sim: a simulator of the SmartX CloudTower API, a small client, and contract tests.

The one import package an install adds. Its parts are the repository's folders of the same names, mapped into it by
pyproject.toml's package-dir, so that a dependent project's own `client` or `contracts` package is never shadowed:

- `cloudtower_sim.mock_server` (mock_server/): the simulator (`from cloudtower_sim.mock_server import create_app`);
- `cloudtower_sim.client` (client/): the client (`from cloudtower_sim.client import CloudTowerClient`);
- `cloudtower_sim.contracts` (contracts/): the contract suite.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "mock_server").is_dir() and (_HERE.parent / "mock_server" / "__init__.py").is_file():
    # a checkout (or an editable install of one): the parts sit beside this folder, not in it
    __path__.append(str(_HERE.parent))  # noqa: F821 (a package's __path__)
