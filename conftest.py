"""The repository's own pytest runs (tests/ and contracts/): Hypothesis profiles, registered here so that
`--hypothesis-profile` finds them whichever folder is run.

- `ci` (the default): what `scripts/test` runs, the whole depth.
- `dev` (`scripts/test --fast`): a tenth of the examples, for a run while working.

A property test asks for a share of the profile's examples (`tests/support.py` `examples`), never for a count.

It also fails a run in which any file of the repository loaded as two modules (tests/loaded.py)."""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=100, print_blob=True)
settings.register_profile("dev", max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

WORKERS_FOUND = pytest.StashKey()  # the xdist controller's merge of what its workers found loaded twice


def pytest_sessionfinish(session):
    """The run fails if any file of the repository was loaded as two modules (tests/loaded.py says why), in this
    process or in any xdist worker (each sends its own finding with its output)."""
    from tests.loaded import describe, loaded_twice

    twice = loaded_twice()
    for file, names in session.config.stash.get(WORKERS_FOUND, {}).items():
        twice[file] = sorted(set(twice.get(file, [])) | set(names))
    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller judges
        session.config.workeroutput["loaded_twice"] = twice
        return
    if twice:
        session.config.get_terminal_writer().line(describe(twice), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist's controller: keep what a finished worker found."""
    kept = node.config.stash.setdefault(WORKERS_FOUND, {})
    for file, names in (getattr(node, "workeroutput", None) or {}).get("loaded_twice", {}).items():
        kept[file] = sorted(set(kept.get(file, [])) | set(names))
