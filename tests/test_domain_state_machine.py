"""A Hypothesis state machine over the domain (no HTTP): VM operations, maintenance enter/exit, device edits (disks,
CD-ROMs, NICs, volumes, GPUs), placement groups, snapshots, templates, the recycle bin and clock advances, with the
world's invariants checked after every step."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cloudtower_sim.mock_server.domain import (content_library, gpus, maintenance, placement_groups, scenario,
                                               snapshots, templates, vm_devices, vms)
from cloudtower_sim.mock_server.domain.errors import DomainError, TaskError
from cloudtower_sim.mock_server.domain.maintenance import Move
from cloudtower_sim.mock_server.domain.states import TaskKey

from .support import examples

ORDER = ["PENDING", "EXECUTING", "SUCCESSED", "FAILED"]
OPS = sorted(vms.ALLOWED)


class World(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 3))
    def load(self, seed):
        self.world = scenario.build(scenario.load(), mode="manual", seed=seed)
        self.seen: dict[str, tuple[int, float]] = {}
        self.entering: dict[str, dict] = {}  # host id -> what enter was asked to do, for the exit check
        self.refused = 0
        self.taken: dict[str, tuple] = {}  # snapshot or template id -> what it froze, as first read
        self.converted: list = []  # (task, VM id) of each VM converted to a template

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
        try:
            plan = maintenance.plan_evacuation(self.world, host)
        except TaskError:  # a VM with nowhere to go by its placement group: the precheck fails, so would enter
            plan = maintenance.PrecheckPlan(host.id)
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

    # devices -------------------------------------------------------------------------------------------------------
    def _of(self, table, i):
        objs = list(getattr(self.world, table).values())
        return objs[i % len(objs)] if objs else None

    @rule(i=st.integers(0, 100), j=st.integers(0, 100), new=st.booleans(), sharing=st.booleans())
    def add_disk(self, i, j, new, sharing):
        vm = self._vm(i)
        if vm is None:
            return
        if new:
            disks = {"mount_new_create_disks": [{"bus": "VIRTIO", "boot": len(vm.vm_disks), "vm_volume": {
                "name": f"d-{len(self.world.tasks)}", "size": 1, "size_unit": "GB",
                "elf_storage_policy": "REPLICA_3_THICK_PROVISION"}}]}
        else:
            volume = self._of("vm_volumes", j)
            if volume is None:
                return
            volume.sharing = volume.sharing or (sharing and not volume.vm_disks)
            disks = {"mount_disks": [{"vm_volume_id": volume.id, "bus": "SCSI", "boot": len(vm.vm_disks)}]}
        self._try(vm_devices.add_disks, self.world, None, [vm], {"vm_disks": disks})

    @rule(i=st.integers(0, 100), j=st.integers(0, 10), cd_rom=st.booleans())
    def remove_disk(self, i, j, cd_rom):
        vm = self._vm(i)
        mine = [d for d in vm.vm_disks if (d.type == "CD_ROM") == cd_rom] if vm else []
        if mine:
            key, edit = ("cd_rom_ids", vm_devices.remove_cd_roms) if cd_rom else ("disk_ids", vm_devices.remove_disks)
            self._try(edit, self.world, None, [vm], {key: [mine[j % len(mine)].id]})

    @rule(i=st.integers(0, 100), j=st.integers(0, 10), with_iso=st.booleans())
    def add_cd_rom(self, i, j, with_iso):
        vm, image = self._vm(i), self._of("elf_images", j)
        if vm is not None:
            cd_rom = {"boot": len(vm.vm_disks), **({"elf_image_id": image.id} if with_iso and image else {})}
            self._try(vm_devices.add_cd_roms, self.world, None, [vm], {"vm_cd_roms": [cd_rom]})

    @rule(i=st.integers(0, 100), j=st.integers(0, 10), remove=st.booleans())
    def nic(self, i, j, remove):
        vm, vlan = self._vm(i), self._of("vlans", j)
        if vm is None:
            return
        if remove:
            self._try(vm_devices.remove_nics, self.world, None, [vm], {"nic_index": [j % 3]})
        else:
            self._try(vm_devices.add_nics, self.world, None, [vm], {"vm_nics": [{"connect_vlan_id": vlan.id}]})

    @rule(j=st.integers(0, 100))
    def delete_volume(self, j):
        volume = self._of("vm_volumes", j)
        if volume is not None:
            self._try(vm_devices.delete_volumes, self.world, None, [volume])

    @rule(i=st.integers(0, 100), j=st.integers(0, 10), amount=st.integers(1, 6), remove=st.booleans())
    def gpu(self, i, j, amount, remove):
        vm, gpu = self._vm(i), self._of("gpu_devices", j)
        if vm is None or gpu is None:
            return
        if not remove:
            vm.ha = False
        data = [{"gpu_id": gpu.id, **({"amount": amount} if gpu.vgpu else {})}]
        self._try(gpus.remove if remove else gpus.add, self.world, None, [vm], data)

    @rule(i=st.integers(0, 100), n=st.integers(2, 4), policy=st.sampled_from(placement_groups.VM_VM_POLICIES),
          host_rule=st.none() | st.tuples(st.integers(0, 10), st.booleans()))
    def placement_group(self, i, n, policy, host_rule):
        free = [v for v in self.world.vms.values() if not v.vm_placement_group]
        members = list({free[(i + k) % len(free)]: None for k in range(n)}) if free else []
        if len(members) < 2:
            return
        params = {"name": f"pg-{len(self.world.tasks)}", "cluster_id": members[0].cluster.id, "enabled": True,
                  "vm_vm_policy_enabled": True, "vm_vm_policy": policy, "vms": {"id_in": [v.id for v in members]}}
        if host_rule is not None:
            params.update(vm_host_must_enabled=True, vm_host_must_policy=host_rule[1],
                          must_hosts={"id": self._host(host_rule[0]).id})
        started = self._try(placement_groups.create, self.world, None, [params])
        if started is None:
            return
        group = started[0][1]
        # the simulator accepts a group its VMs already break (it binds the next placements only); the invariant
        # below is about those, so such a group is switched off here
        if any(placement_groups.must_break(v, v.host) for v in group.vms if v.status in placement_groups.ACTIVE):
            group.enabled = False

    @rule(i=st.integers(0, 100), act=st.sampled_from(["snapshot", "rollback", "recycle", "recover"]))
    def snapshot_or_bin(self, i, act):
        vm = self._vm(i)
        if vm is None:
            return
        if act == "snapshot":
            started = self._try(snapshots.create, self.world, None, [{"vm_id": vm.id, "name": f"s-{i}"}])
            if started:
                snap = started[0][1]
                self.taken[snap.id] = self._frozen(snap)
        elif act == "rollback" and vm.snapshots:
            self._try(snapshots.rollback, self.world, None, [vm], vm.snapshots[0].id)
        else:
            self._try(vms.recycle, self.world, None, [vm], act == "recycle")
            self.advance(5)  # the task lands, so that what follows sees the VM in (or out of) the bin
        if vm.in_recycle_bin:  # in the bin: no start, no migration, nothing but recovery and deletion
            for op in (TaskKey.StartVm, TaskKey.MigrateVm):
                try:
                    vms.operate(self.world, None, op, [vm])
                except DomainError as e:
                    assert "recycle bin" in e.message or "ResourceLocked" in type(e).__name__, e.message
                else:
                    raise AssertionError(f"{op} ran on VM {vm.name} in the recycle bin")

    @rule(i=st.integers(0, 100), act=st.sampled_from(["clone", "convert", "library", "back", "from"]))
    def template(self, i, act):
        """Templates made of VMs (cloned or converted, plain or in the content library), and VMs made of them."""
        w, vm, name = self.world, self._vm(i), f"t-{len(self.world.tasks)}"
        started = None
        if act in ("clone", "convert") and vm is not None:
            started = self._try(templates.from_vms, w, None, [{"vm_id": vm.id, "name": name,
                                                              "cloud_init_supported": False}], act == "convert")
        elif act == "library" and vm is not None:
            started = self._try(content_library.from_vms, w, None, [{"vm": vm, "name": name,
                                                                    "clusters": [vm.cluster]}], i % 2 == 0)
            if started:
                started = [(task, lib.vm_templates[0]) for task, lib in started]
        elif act in ("back", "from") and w.vm_templates:
            chosen = list(w.vm_templates.values())[i % len(w.vm_templates)]
            field = "converted_from_template_id" if act == "back" else "template_id"
            made = self._try(templates.vm_params, w, {field: chosen.id, "name": name}, "[0]", field)
            if made and self._try(vms.create, w, None, [made[0]]) and act == "back":
                w.remove(chosen)  # as /convert-vm-template-to-vm does
                self.taken.pop(chosen.id, None)
            return
        if started:
            task, template = started[0]
            self.taken[template.id] = self._frozen(template)
            if act == "convert" or (act == "library" and i % 2 == 0):
                self.converted.append((task, vm.id))

    @staticmethod
    def _frozen(snap):
        return (snap.vcpu, snap.memory, [(d["type"], d["size"], d["vm_volume_local_id"]) for d in snap.vm_disks],
                [(n["mac_address"], n["vlan"]["vlan_local_id"]) for n in snap.vm_nics])

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
    def devices_and_their_relations_resolve_both_ways(self):
        w = self.world
        for disk in w.vm_disks.values():
            assert disk.vm.id in w.vms and disk in disk.vm.vm_disks
            for ref, table in ((disk.vm_volume, w.vm_volumes), (disk.elf_image, w.elf_images)):
                assert ref is None or (ref.id in table and disk in ref.vm_disks)
        assert sum(len(v.vm_disks) for v in w.vms.values()) == len(w.vm_disks)
        for nic in w.vm_nics.values():
            assert nic.vm.id in w.vms and nic in nic.vm.vm_nics and nic.vlan.id in w.vlans and nic in nic.vlan.vm_nics
        assert sum(len(v.vm_nics) for v in w.vms.values()) == len(w.vm_nics)
        for vm in w.vms.values():
            assert [n.order for n in vm.vm_nics] == list(range(len(vm.vm_nics))), vm.name

    @invariant()
    def no_volume_is_mounted_twice_unless_sharing(self):
        for volume in self.world.vm_volumes.values():
            assert volume.sharing or len(volume.vm_disks) <= 1, volume.name

    @invariant()
    def gpus_pass_through_on_their_host_and_are_never_overcommitted(self):
        for gpu in self.world.gpu_devices.values():
            for vm in gpu.vms:
                assert vm.id in self.world.vms and gpu in vm.gpu_devices and vm.host is gpu.host, (gpu.name, vm.name)
                assert not vm.ha, vm.name
            if gpu.vgpu:
                assert 0 <= gpu.assigned_vgpus_num <= gpu.vgpu_instance_num, gpu.name
            else:
                assert len(gpu.holders()) <= 1, (gpu.name, [v.name for v in gpu.holders()])
        for vm in self.world.vms.values():
            assert all(vm in g.vms for g in vm.gpu_devices)

    @invariant()
    def storage_accounting_sums_the_volumes(self):
        for c in self.world.clusters.values():
            assert c.used_data_space == sum(v.used_size * v.replicas for v in self.world.vm_volumes.values()
                                            if v.cluster is c)
            assert c.used_data_space == sum(h.used_data_space for h in c.hosts)

    @invariant()
    def snapshots_keep_what_they_took_and_the_bin_holds_stopped_vms(self):
        for snap_id, frozen in self.taken.items():
            snap = self.world.vm_snapshots.get(snap_id) or self.world.vm_templates.get(snap_id)
            if snap is not None:
                assert self._frozen(snap) == frozen, snap.name
        for vm in self.world.vms.values():
            assert not vm.in_recycle_bin or vm.status == "STOPPED", vm.name

    @invariant()
    def a_converted_vm_is_gone_and_library_copies_are_one_per_cluster(self):
        for task, vm_id in self.converted:
            if task.status == "SUCCESSED":
                assert vm_id not in self.world.vms
        for library in self.world.content_library_vm_templates.values():
            assert all(self.world.holds(t) and t.content_library_vm_template is library for t in library.vm_templates)
            assert len(set(library.clusters)) == len(library.clusters) == len(library.vm_template_uuids)
        for t in self.world.vm_templates.values():
            assert t.content_library_vm_template is None or t in t.content_library_vm_template.vm_templates

    @invariant()
    def every_placement_keeps_its_groups_must_rules(self):
        """Starts, migrations, evacuations and returns all go through the scheduler's must filter."""
        for group in self.world.vm_placement_groups.values():
            if group.enabled:
                for vm in group.vms:
                    if vm.status in placement_groups.ACTIVE:
                        assert placement_groups.must_break(vm, vm.host) is None, (group.name, vm.name)

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


World.TestCase.settings = settings(max_examples=examples(0.6), stateful_step_count=40, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
TestWorld = World.TestCase
