"""A Hypothesis state machine over the domain (no HTTP): VM operations, maintenance enter/exit and clock advances,
with the world's invariants checked after every step."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mock_server.domain import maintenance, scenario, vms
from mock_server.domain.errors import DomainError
from mock_server.domain.maintenance import Move
from mock_server.domain.states import TaskKey

ORDER = ["PENDING", "EXECUTING", "SUCCESSED", "FAILED"]
OPS = sorted(vms.ALLOWED)


class World(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 3))
    def load(self, seed):
        self.world = scenario.build(scenario.load(), mode="manual", seed=seed)
        self.seen: dict[str, tuple[int, float]] = {}
        self.entering: dict[str, dict] = {}  # host id -> what enter was asked to do, for the exit check
        self.refused = 0

    def _host(self, i):
        hosts = list(self.world.hosts.values())
        return hosts[i % len(hosts)]

    def _vm(self, i):
        all_vms = list(self.world.vms.values())
        return all_vms[i % len(all_vms)] if all_vms else None

    def _try(self, fn, *args):
        try:
            return fn(*args)
        except DomainError:
            self.refused += 1
            return None

    @rule(op=st.sampled_from(OPS), i=st.integers(0, 100), to=st.none() | st.integers(0, 10))
    def vm_operation(self, op, i, to):
        vm = self._vm(i)
        if vm is None:
            return
        host_id = self._host(to).id if to is not None and op in (TaskKey.StartVm, TaskKey.MigrateVm) else None
        self._try(vms.operate, self.world, None, op, [vm], host_id)

    @rule(i=st.integers(0, 10), running=st.booleans(), gib=st.sampled_from([1, 8, 64, 200]))
    def create_vm(self, i, running, gib):
        cluster = next(iter(self.world.clusters.values()))
        params = {"cluster_id": cluster.id, "name": f"vm-{len(self.world.tasks)}", "ha": True, "firmware": "BIOS",
                  "status": "RUNNING" if running else "STOPPED", "memory": gib, "memory_unit": "GB",
                  "cpu_cores": 1, "cpu_sockets": 1, "vm_nics": [], "vm_disks": {}}
        if i % 2:
            params["host_id"] = self._host(i).id
        self._try(vms.create, self.world, None, [params])

    @rule(i=st.integers(0, 10), shut_all=st.booleans())
    def enter_maintenance(self, i, shut_all):
        host = self._host(i)
        plan = maintenance.plan_evacuation(self.world, host)
        listed = [v.local_id for v in host.active_vms] if shut_all else plan.shutdown
        before = {v.local_id: (v.status, v.host_bound) for v in host.vms}
        started = self._try(maintenance.enter, self.world, None, host.id, listed)
        if started is not None:
            self.entering[host.id] = {"task": started[0].id, "listed": set(listed), "vms": before}

    @rule(i=st.integers(0, 10), keep=st.booleans())
    def exit_maintenance(self, i, keep):
        host = self._host(i)
        result = self._try(maintenance.exit_precheck_result, self.world, {"id": host.id})
        if result is None:
            return
        pick = lambda move: [c.moved.uuid for c in result  # noqa: E731
                             if c.moved.move is move and c.status_now is not None and not keep]
        self._try(maintenance.exit, self.world, None, host.id, pick(Move.SHUT_DOWN), pick(Move.LIVE_MIGRATED),
                  pick(Move.OFFLINE_MIGRATED))

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10, 60, 300]))
    def advance(self, seconds):
        self.world.clock.advance(seconds)
        self.world.runner.run_due()

    # invariants ------------------------------------------------------------------------------------------------------
    @invariant()
    def no_vm_runs_on_a_host_in_maintenance(self):
        for h in self.world.hosts.values():
            if h.maintenance_state == "MAINTENANCE_MODE":
                assert not h.active_vms, (h.name, [v.name for v in h.active_vms])

    @invariant()
    def hosts_hold_their_running_vms_memory(self):
        for h in self.world.hosts.values():
            used = sum(v.memory for v in self.world.vms.values() if v.host is h and v.status != "STOPPED")
            assert used <= h.allocatable_memory_bytes, h.name

    @invariant()
    def one_host_per_cluster_in_maintenance(self):
        for c in self.world.clusters.values():
            busy = [h for h in c.hosts if h.maintenance_state in ("MAINTENANCE_MODE", "ENTERING_MAINTENANCE_MODE")]
            assert len(busy) <= 1, [h.name for h in busy]

    @invariant()
    def tasks_only_move_forward(self):
        for t in self.world.tasks.values():
            rank = ORDER.index(t.status)
            old = self.seen.get(t.id, (0, 0.0))
            assert rank >= old[0] and not (old[0] >= 2 and rank != old[0]), (t.id, t.status)
            assert t.progress >= old[1], (t.id, t.progress, old[1])
            assert (t.started_at is not None) == (rank >= 1)
            assert (t.finished_at is not None) == (rank >= 2)
            assert (t.status == "FAILED") == (t.error_code is not None)
            self.seen[t.id] = (rank, t.progress)

    @invariant()
    def every_vm_is_on_one_host_or_none(self):
        listed = [v for h in self.world.hosts.values() for v in h.vms]
        assert len(listed) == len(set(map(id, listed)))
        for v in self.world.vms.values():
            assert (v in v.host.vms) if v.host else all(v not in h.vms for h in self.world.hosts.values())
            if v.status != "STOPPED":
                assert v.host is not None, v.name
        assert all(v.id in self.world.vms for v in listed)

    @invariant()
    def counters_match_the_vms(self):
        everything = list(self.world.vms.values())
        for h in self.world.hosts.values():
            mine = [v for v in everything if v.host is h]
            assert h.vm_num == len(mine)
            for status, counter in (("RUNNING", h.running_vm_num), ("STOPPED", h.stopped_vm_num),
                                    ("SUSPENDED", h.suspended_vm_num)):
                assert counter == sum(v.status == status for v in mine)
            assert h.running_pause_vm_memory_bytes == sum(v.memory for v in mine if v.status != "STOPPED")
        for c in self.world.clusters.values():
            assert c.vm_num == sum(v.cluster is c for v in everything)
            assert c.host_num == sum(h.cluster is c for h in self.world.hosts.values())
            assert c.running_vm_num == sum(v.cluster is c and v.status == "RUNNING" for v in everything)

    @invariant()
    def exit_precheck_lists_what_enter_moved(self):
        for host_id, asked in self.entering.items():
            host = self.world.hosts[host_id]
            if host.maintenance_state != "MAINTENANCE_MODE" or host.host_state.maintenance_job_id != asked["task"]:
                continue
            result = maintenance.exit_precheck_result(self.world, {"id": host_id})
            got = {move: {c.moved.uuid for c in result if c.moved.move is move} for move in Move}
            vms_before = asked["vms"]
            assert got[Move.SHUT_DOWN] == asked["listed"]
            assert got[Move.LIVE_MIGRATED] == {u for u, (s, _) in vms_before.items()
                                               if s != "STOPPED" and u not in asked["listed"]}
            assert got[Move.OFFLINE_MIGRATED] == {u for u, (s, bound) in vms_before.items()
                                                  if s == "STOPPED" and not bound}


World.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
TestWorld = World.TestCase
