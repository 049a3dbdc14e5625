"""Stateful contract: Hypothesis drives the client through VM operations and maintenance enter/exit on the named
host and the test-prefix VMs, and after every step checks invariants that read only what the API shows, so it runs
against any target that allows mutations."""

from __future__ import annotations

import functools

import pytest
from hypothesis import settings
from hypothesis.errors import Flaky
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from cloudtower_sim.client import BadRequest, ResourceLocked, TaskFailed

from cloudtower_sim.contracts import safety
from cloudtower_sim.contracts.safety import find_host, host_state

# what each operation leaves a VM in, by the state it starts from
POWER = {"STOPPED": {"start_vm": "RUNNING"},
         "RUNNING": {"shutdown_vm": "STOPPED", "poweroff_vm": "STOPPED", "suspend_vm": "SUSPENDED",
                     "restart_vm": "RUNNING", "force_restart_vm": "RUNNING", "migrate_vm": "RUNNING"},
         "SUSPENDED": {"resume_vm": "RUNNING"}}
MAX_VMS = 3
# maintenance round trips per example: one on a real tower takes minutes (every VM of the host migrates twice), and
# repeated round trips are explored in-process by tests/test_domain_state_machine.py
MAX_ROUND_TRIPS = 1


def noted(errors: list):
    """Keep the first failure of each step: on a live cluster Hypothesis' replay of it can meet another world and
    report only that the replay differed (Flaky)."""
    def wrap(step):
        @functools.wraps(step)
        def run(self, *args, **kwargs):
            try:
                return step(self, *args, **kwargs)
            except Exception as e:
                errors.append(f"{step.__name__}: {type(e).__name__}: {e}")
                raise
        return run
    return wrap


def machine(target, errors: list):
    note = noted(errors)

    class Contract(RuleBasedStateMachine):
        """The model: the status each of our VMs must show, and whether the host is in maintenance."""

        def __init__(self):
            super().__init__()
            self.client = target.client()
            self.host = find_host(self.client, target.maintenance_host)
            self.cluster = self.host["cluster"]["id"]
            self.vms: dict[str, str] = {}  # id -> expected status
            self.names: dict[str, str] = {}  # id -> name: draws go by name, the same on every run
            self.in_maintenance = False
            self.round_trips = 0
            self.serial = 0

        def teardown(self):
            if target.control:
                target.reset()
            else:
                left = safety.restore(target)
                assert not left, f"could not restore: {left}"

        @precondition(lambda self: len(self.vms) < MAX_VMS)
        @rule(status=st.sampled_from(["RUNNING", "STOPPED"]))
        @note
        def create(self, status):
            self.serial += 1
            params = {"name": f"{target.prefix}sm-{self.serial}", "cluster_id": self.cluster, "memory": 1,
                      "memory_unit": "GB", "cpu_cores": 1, "cpu_sockets": 1, "ha": False, "firmware": "BIOS",
                      "status": status, "vm_nics": [], "vm_disks": {}}
            answer = self.client.create_vm(params)
            assert isinstance(answer, list) and len(answer) == 1, f"create-vm answered {answer!r:.300}"
            self.client.wait_task(answer[0]["task_id"])
            self.vms[answer[0]["data"]["id"]] = status
            self.names[answer[0]["data"]["id"]] = params["name"]

        @precondition(lambda self: self.vms)
        @rule(data=st.data())
        @note
        def operate(self, data):
            vm_id = data.draw(st.sampled_from(sorted(self.vms, key=self.names.get)))
            op, expected = data.draw(st.sampled_from(sorted(POWER[self.vms[vm_id]].items())))
            try:
                answer = getattr(self.client, op)({"id": vm_id})
            except (BadRequest, ResourceLocked):  # refused: e.g. no host has room; nothing may change
                return
            assert isinstance(answer, list) and len(answer) == 1, f"{op} answered {answer!r:.300}"
            assert answer[0]["data"]["id"] == vm_id, answer
            self.client.wait_task(answer[0]["task_id"])
            self.vms[vm_id] = expected

        @precondition(lambda self: any(s == "STOPPED" for s in self.vms.values()))
        @rule(data=st.data())
        @note
        def delete(self, data):
            vm_id = data.draw(st.sampled_from(sorted((v for v, s in self.vms.items() if s == "STOPPED"),
                                                     key=self.names.get)))
            self.client.wait_tasks([a["task_id"] for a in self.client.delete_vm({"id": vm_id})])
            del self.vms[vm_id]

        @precondition(lambda self: not self.in_maintenance and self.round_trips < MAX_ROUND_TRIPS)
        @rule()
        @note
        def enter_maintenance(self):
            self.round_trips += 1
            try:
                report = self.client.enter_maintenance_mode(self.host["id"])
            except TaskFailed as e:  # a partial failure: a VM the precheck did not list found no room
                pytest.fail(f"enter maintenance failed on {self.host['name']}: {e}")
            self.in_maintenance = True
            for vm in self.client.get_vms({"id_in": sorted(self.vms)}):
                if vm["name"] in report.shut_down:
                    self.vms[vm["id"]] = "STOPPED"

        @precondition(lambda self: self.in_maintenance)
        @rule()
        @note
        def exit_maintenance(self):
            report = self.client.exit_maintenance_mode(self.host["id"])
            self.in_maintenance = False
            for vm in self.client.get_vms({"id_in": sorted(self.vms)}):
                if vm["name"] in report.powered_on:
                    self.vms[vm["id"]] = "RUNNING"

        @invariant()
        def within_the_deadline(self):
            target.check_deadline()  # past the run's --deadline, the rest of the machine is not run

        @invariant()
        @note
        def our_vms_show_what_was_done(self):
            shown = {v["id"]: v["status"] for v in self.client.get_vms({"name_starts_with": target.prefix})}
            assert shown == self.vms

        @invariant()
        @note
        def nothing_runs_on_a_host_in_maintenance(self):
            hosts = self.client.get_hosts({"cluster": {"id": self.cluster}})
            down = {h["id"] for h in hosts if host_state(h) == "MAINTENANCE_MODE"}
            assert (self.host["id"] in down) == self.in_maintenance, [host_state(h) for h in hosts]
            running = self.client.get_vms({"status": "RUNNING", "host": {"id_in": sorted(down)}}) if down else []
            assert not running, f"RUNNING on a host in maintenance: {[v['name'] for v in running]}"
            busy = [h["name"] for h in hosts if host_state(h) in ("MAINTENANCE_MODE", "ENTERING_MAINTENANCE_MODE")]
            assert len(busy) <= 1, f"more than one host of the cluster in maintenance: {busy}"

        @invariant()
        @note
        def running_vms_have_a_host_with_the_count(self):
            for vm in self.client.get_vms({"id_in": sorted(self.vms)}):
                if vm["status"] != "STOPPED":
                    assert (vm.get("host") or {}).get("id"), f"{vm['name']} is {vm['status']} with no host"

    return Contract


@pytest.mark.maintenance
def test_operations_and_maintenance_keep_the_invariants(target, examples):
    # a cluster elsewhere is not reset between runs: replaying a failure to shrink it would meet another world
    errors: list[str] = []
    try:
        run_state_machine_as_test(machine(target, errors), settings=settings(
            examples, max_examples=max(2 if target.control else 1, examples.max_examples // 5), stateful_step_count=8))
    except Flaky as e:
        raise AssertionError(f"first failure: {errors[0] if errors else e}") from e
