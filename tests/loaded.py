"""Which files of the repository are loaded as more than one module (issue 29): a checkout's folders sit beside
cloudtower_sim/, so `contracts` and `cloudtower_sim.contracts` could both run the same file, each with its own
classes and globals (two `VmStatus` enums that never compare equal). Only the standard library here: the root
conftest.py checks every run with it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def loaded_twice(modules=None) -> dict[str, list[str]]:
    """{file relative to the repository: its module names} for each file of the repository (not its .venv) that
    `modules` (sys.modules by default) holds as more than one module. One module under two names is one load
    (multiprocessing names `__main__` `__mp_main__` too)."""
    names: dict[Path, list[str]] = {}
    objects: dict[Path, set[int]] = {}
    for name, module in list((sys.modules if modules is None else modules).items()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if ROOT in path.parents and ".venv" not in path.relative_to(ROOT).parts:
            names.setdefault(path, []).append(name)
            objects.setdefault(path, set()).add(id(module))
    return {str(p.relative_to(ROOT)): sorted(n) for p, n in names.items() if len(objects[p]) > 1}


def describe(twice: dict[str, list[str]]) -> str:
    return "files loaded under two module names: " + "; ".join(
        f"{file} as {' and '.join(names)}" for file, names in sorted(twice.items()))
