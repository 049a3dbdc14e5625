"""What a served app holds beside Flask's own, as one object at `app.extensions[KEY]`: the api, the pytest plugin and
the tests read it through `state_of(app)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..domain.simulator import Simulator
    from .answers import Answers, Rendered
    from .faults import Faults, Journal

KEY = "cloudtower_sim"


@dataclass(eq=False)
class AppState:
    sim: Simulator
    faults: Faults
    journal: Journal
    answers: Answers  # kept answers of reads (answers.py)
    rendered: Rendered  # objects' JSON, shared by the reads of one generation
    operations: dict = field(default_factory=dict)  # path -> registry.Bound: what this app serves


def state_of(app) -> AppState:
    return app.extensions[KEY]
