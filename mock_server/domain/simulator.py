"""The running simulator: a loaded scenario, its settings, and the world built from them (rebuilt on reset)."""

from __future__ import annotations

import gc

from contextlib import contextmanager
from dataclasses import dataclass

from ..schema.spec import DEFAULT_VERSION, Spec
from . import saved, scenario as scenarios
from .rwlock import ReadWriteLock
from .world import TASK_HISTORY, TASK_HISTORY_AGE, World


FROZEN_FROM = 1_000  # VMs: a world this large is frozen out of the cycle collector's sight (Simulator._install)


JOURNAL_SIZE = 10_000  # requests the journal (/_sim/requests) keeps, the oldest dropped first


@dataclass
class Settings:
    scenario: str | None = None  # a YAML file; None: the default scenario
    seed: int | None = None  # None: the scenario's own seed
    task_mode: str = "instant"
    speed: float = 1.0
    control: bool = True  # serve the /_sim control API
    upstream_spec: str | None = None  # an upstream spec file for the list of operations (501 vs 404)
    api_version: str | None = None  # the CloudTower API version served; None: the scenario's, else 4.6.0
    start_time: str | None = None  # ISO 8601 with timezone; None: the scenario's, else the wall clock at start
    task_history: int = TASK_HISTORY  # finished tasks kept
    task_history_age: float = TASK_HISTORY_AGE  # simulated seconds a finished task is kept
    journal_size: int = JOURNAL_SIZE


class Simulator:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        # a saved world (`serve --state` writes one) serves as a scenario too: the world it holds, ids and all
        self.saved = saved.read(self.settings.scenario) if self.settings.scenario else None
        self.scenario = saved.as_scenario(self.saved, self.settings.scenario) if self.saved else scenarios.load(
            self.settings.scenario)
        # one lock over whichever world is current: held for each request and for a reset, so a request never
        # answers from, or writes to, a world a reset has discarded
        self.lock = ReadWriteLock()
        self.spec = Spec.load(self.settings.api_version or self.scenario.data.get("api_version", DEFAULT_VERSION))
        self.world: World = self._install(self._build())

    def _build(self) -> World:
        s = self.settings
        # Python's cycle collector would walk every object made so far again and again while a large world is made
        # (100,000 VMs: 5.5 s to build with it, 2.5 s without); the world's objects stay, so there is nothing for it
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self.saved is not None:
                world = saved.load(self.saved, self.spec.filters)
                world.clock.set_mode(s.task_mode, s.speed)
            else:
                world = scenarios.build(self.scenario, s.task_mode, s.speed, s.seed, self.spec.filters,
                                        self.spec.version, s.start_time)
        finally:
            if collecting:
                gc.enable()
        world.lock = self.lock  # World.session on this world then serializes with Simulator.session and reset
        world.task_history, world.task_history_age = s.task_history, s.task_history_age
        return world

    def _install(self, world: World) -> World:
        """`world` as the current world. A large one is frozen out of the cycle collector's sight (gc.freeze): its
        objects live as long as it does, and each full collection would otherwise walk them all (0.17 s at 100,000
        VMs, which the first answer after start waited on, and later requests at random). Whatever was frozen before
        (the world this one replaces, another simulator's in the same process) is first unfrozen and collected, so
        that a world let go is freed, and the cyclic garbage frozen with it (a deleted VM of a world as built)."""
        self.world = world
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()
        if len(world.vms) >= FROZEN_FROM:
            gc.freeze()
        return world

    def session(self, read: bool = False):
        """Hold the simulator for one request: the current world, caught up to the clock; no reset until released.
        A `read` holds it alongside other reads (a long query keeps no other read waiting); anything else holds it
        alone. Catching up to the clock changes the world, so a read that finds work due does that alone first."""
        return _Reading(self) if read else self._alone()

    @contextmanager
    def _alone(self):
        with self.lock, self._writing() as world:
            world.runner.run_due()
            yield world

    @contextmanager
    def _writing(self):
        """The current world, held to write (the lock taken): its generation moves on before and after."""
        world = self.world
        world.moved_on()
        try:
            yield world
        finally:
            world.moved_on()

    def start_over(self, scenario, **settings) -> World:
        """A new world of `scenario` (scenario.Scenario) with these settings changed (task_mode, speed, seed,
        start_time); the served API version stays. Waits for requests in flight."""
        with self.lock:
            self.scenario, self.saved = scenario, None
            for key, value in settings.items():
                setattr(self.settings, key, value)
            return self._install(self._build())

    def adopt(self, world: World) -> World:
        """`world` (read back from a file: saved.py) as the current world, with this simulator's lock and task
        history bounds; waits for requests in flight."""
        with self.lock:
            world.lock = self.lock
            world.clock.set_mode(self.settings.task_mode, self.settings.speed)
            world.task_history, world.task_history_age = self.settings.task_history, self.settings.task_history_age
            world.api_version = self.spec.version
            return self._install(world)

    def reset(self) -> World:
        """Back to the loaded scenario, keeping the clock's current mode and speed; waits for requests in flight."""
        with self.lock:
            clock = self.world.clock
            self.settings.task_mode, self.settings.speed = clock.mode, clock.speed
            return self._install(self._build())


class _Reading:
    """Simulator.session(read=True), as a class: every read request takes it, and a generator costs more."""
    __slots__ = ("sim", "held")

    def __init__(self, sim: Simulator):
        self.sim = sim

    def __enter__(self) -> World:
        sim = self.sim
        self.held = sim.lock.read()
        self.held.__enter__()
        if not sim.world.runner.due():
            return sim.world
        self.held.__exit__(None, None, None)
        with sim.lock, sim._writing() as world:
            world.runner.run_due()
        self.held = sim.lock.read()  # caught up a moment ago: a step under way in realtime is always "due"
        self.held.__enter__()
        return sim.world

    def __exit__(self, *exc):
        self.held.__exit__(*exc)
