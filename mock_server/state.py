"""`serve --state FILE`: the world kept across restarts, whole: every object with its id, the clock, the id
sequence, the users' tokens (domain/saved.py). Its first line marks it as a state file, so that `--state` pointed at
a scenario or any other file is refused rather than overwritten; JSON follows. Written whole or not at all (a
temporary file renamed over it): on SIGTERM and SIGINT, after running tasks are failed (saved.interrupt), and every
`--state-interval` seconds at the first moment no task runs. A state file of format 1 (a scenario, written by
cloudtower-sim before the whole world was kept) is still loaded, as the scenario it is."""

from __future__ import annotations

from pathlib import Path

from .domain import saved
from .domain import scenario as scenarios

HEADER = saved.HEADER
INTERNAL = "X-Cloudtower-Sim-Internal"  # requests the journal leaves out (api/front.py)


class StateError(Exception):
    pass


def load(path: Path):
    """The state in `path`: a saved world (dict, saved.load makes it a world), a format-1 state as a scenario, or
    None when there is none yet. A file that is not a state file, or a corrupt one, is refused (and so never
    overwritten)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise StateError(f"--state {path}: cannot read it ({e}); refusing to use or overwrite it") from None
    if not text.startswith(HEADER):
        raise StateError(f"--state {path}: not a cloudtower-sim state file (its first line is not {HEADER[:30]!r}...); "
                         "refusing to load or overwrite it: name a new file, or one serve --state wrote")
    try:
        data = saved.parse(text)
        if data is not None:
            return data
        return scenarios.load(path)  # format 1
    except (saved.SavedError, scenarios.ScenarioError) as e:
        raise StateError(f"--state {path}: a corrupt state file ({e}); refusing to load or overwrite it: move it "
                         "away to start from the scenario") from None


def save(sim, path: Path, stopping: bool = False) -> bool:
    """Write the world to `path`, atomically; False (nothing written) while a task runs, unless `stopping`: then
    running tasks are failed first. Reads go on while the world is read out; changes wait for it."""
    if stopping:
        with sim.session() as world:
            saved.interrupt(world)
            data = saved.dump(world)
    else:
        with sim.session(read=True) as world:
            if world.runner.working:
                return False
            data = saved.dump(world)
    saved.write(data, path)
    return True
