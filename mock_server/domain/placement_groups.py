"""VM placement groups: where the VMs of a group may run, VM beside VM (same or different hosts) and VM on host (the
group's hosts), each rule "must" or "prefer", as upstream's VmPlacementGroup fields define them.

How the rules act (sources: SmartX's cluster-api-provider-elf, pkg/service/errors.go and vm.go, which keeps one group
per Kubernetes control plane so that its VMs run apart):
- a "must" rule is a filter of SMTX's scheduler: a start or migration that breaks one fails its task with
  "PlacementGroupMustFilter" in the message (CAPE looks for that string in a failed task's error_message);
- a "prefer" rule only orders the hosts automatic placement chooses from;
- a rule binds the group's running (and suspended) VMs, and only while the group and the rule are enabled;
- creating a second group of the same name in a cluster fails its task with PLACEMENT_GROUP_DUPLICATE_NAME;
- update's `vms` is the whole membership (CAPE sends the group's VMs plus the one it adds).
A VM may be in several groups (upstream's `Vm.vm_placement_group` is a list; CAPE keeps one group per deployment, and
a user's own group beside it is ordinary). Their rules combine so that the stricter wins: every "must" rule of every
group is a filter, so a combination no host satisfies fails the task with PlacementGroupMustFilter; "prefer" rules
are counted over all the groups. Guessed, and said so: a group that its VMs already break is accepted, and
constrains the next placements only."""

from __future__ import annotations

from dataclasses import dataclass, field

from .edits import SECONDS, check_name, each
from .errors import BadRequest, NotFound, TaskError
from .model import Entity
from .states import EntityAsyncStatus, TaskKey, VmStatus
from .tasks import Step

MUST_FILTER = "PlacementGroupMustFilter"
ACTIVE = (VmStatus.RUNNING, VmStatus.SUSPENDED)  # the VMs that hold a place on a host


@dataclass(eq=False, repr=False, slots=True)
class VmPlacementGroup(Entity):
    table = "vm_placement_groups"
    read = True

    id: str
    local_id: str
    name: str
    cluster: object
    local_created_at: str
    local_updated_at: str
    description: str = ""
    enabled: bool = True
    vm_vm_policy_enabled: bool = False
    vm_vm_policy: str = "PREFER_DIFFERENT"  # upstream requires a value even while the rule is off
    vm_host_must_enabled: bool = False
    vm_host_must_policy: bool = True  # True: run on the must hosts; False: never run on them
    vm_host_must_host_uuids: list = field(default_factory=list)  # Host
    vm_host_prefer_enabled: bool = False
    vm_host_prefer_policy: bool = True
    vm_host_prefer_host_uuids: list = field(default_factory=list)
    vms: list = field(default_factory=list)
    entityAsyncStatus: str | None = None  # CREATING, UPDATING, DELETING while a task works on the group


# --- the rules ------------------------------------------------------------------------------------------------------
def _where(vm, planned: dict):
    return planned.get(vm, vm.host if vm.status in ACTIVE else None)


def _peers(vm, group, planned: dict) -> list:
    """The other VMs of `group` with the host each runs on, or will once this request's planned placements are made
    (a VM this request creates into the group among them); those that run nowhere are left out."""
    members = group.vms + [o for o in planned if o not in group.vms and group in o.vm_placement_group]
    return [(o, h) for o in members if o is not vm and (h := _where(o, planned)) is not None]


def must_break(vm, host, planned: dict | None = None) -> str | None:
    """Why `vm` may not run on `host` by a "must" rule of its group, or None; `planned`: VM -> host of placements this
    request makes before they happen."""
    planned = planned or {}
    for g in vm.vm_placement_group:
        if not g.enabled:
            continue
        if g.vm_host_must_enabled and (host in g.vm_host_must_host_uuids) != g.vm_host_must_policy:
            hosts = ", ".join(h.name for h in g.vm_host_must_host_uuids)
            rule = "must run on" if g.vm_host_must_policy else "must not run on"
            return f"{MUST_FILTER}: VM {vm.name} of placement group {g.name} {rule} {hosts}, not {host.name}"
        if g.vm_vm_policy_enabled and g.vm_vm_policy.startswith("MUST_"):
            peers = _peers(vm, g, planned)
            if g.vm_vm_policy == "MUST_DIFFERENT":
                clash = next((o for o, h in peers if h is host), None)
                if clash is not None:
                    return (f"{MUST_FILTER}: VM {vm.name} of placement group {g.name} (MUST_DIFFERENT) cannot run on "
                            f"host {host.name}, where VM {clash.name} of the group runs")
            else:
                apart = next(((o, h) for o, h in peers if h is not host), None)
                if apart is not None:
                    return (f"{MUST_FILTER}: VM {vm.name} of placement group {g.name} (MUST_SAME) runs on host "
                            f"{apart[1].name} with VM {apart[0].name}, not on {host.name}")
    return None


def prefer_breaks(vm, host, planned: dict | None = None) -> int:
    """How many "prefer" rules `vm` on `host` breaks: automatic placement takes the fewest."""
    planned, count = planned or {}, 0
    for g in vm.vm_placement_group:
        if not g.enabled:
            continue
        if g.vm_host_prefer_enabled and (host in g.vm_host_prefer_host_uuids) != g.vm_host_prefer_policy:
            count += 1
        if g.vm_vm_policy_enabled and g.vm_vm_policy.startswith("PREFER_"):
            hosts = [h for _, h in _peers(vm, g, planned)]
            if g.vm_vm_policy == "PREFER_DIFFERENT":
                count += sum(1 for h in hosts if h is host)
            else:
                count += sum(1 for h in hosts if h is not host)
    return count


def check_run(vm, host) -> None:
    """At a start's or a live migration's step: the scheduler's must filter."""
    reason = must_break(vm, host)
    if reason:
        raise TaskError(reason, MUST_FILTER)


def chosen(world, where: dict, cluster, at: str) -> list:
    """create-vm's `vm_placement_group`: the groups of `cluster` it chooses, as the VM's list of groups."""
    groups = world.query("VmPlacementGroup", {"where": where})
    if not groups:
        raise BadRequest(f"{at}: matches 0 placement groups; name at least one")
    stray = next((g for g in groups if g.cluster is not cluster), None)
    if stray is not None:
        raise BadRequest(f"{at}: placement group {stray.name} is in cluster {stray.cluster.name}, not {cluster.name}")
    return groups


# --- operations -----------------------------------------------------------------------------------------------------
VM_VM_POLICIES = ("MUST_DIFFERENT", "MUST_SAME", "PREFER_DIFFERENT", "PREFER_SAME")


def create(world, user, batch: list) -> list:
    planned = []
    for i, p in enumerate(batch):
        at = f"[{i}]"
        cluster = world.clusters.get(p["cluster_id"])
        if cluster is None:
            raise NotFound(f"{at}.cluster_id: no Cluster with id {p['cluster_id']!r}")
        if not p["name"].strip():
            raise BadRequest(f"{at}.name: expected a non-empty name")
        planned.append((cluster, p, _settings(world, at, p, cluster, None)))
    started = []
    for cluster, p, settings in planned:
        now = world.created_at()
        group = world.add(VmPlacementGroup(world.ids.cuid(), world.ids.uuid(), p["name"], cluster,
                                           local_created_at=now, local_updated_at=now,
                                           description=p.get("description") or "", enabled=p["enabled"]))
        duplicate = any(g is not group and g.cluster is cluster and g.name == group.name
                        for g in world.vm_placement_groups.values())
        _apply(world, group, settings)
        group.entityAsyncStatus = EntityAsyncStatus.CREATING

        def create(group=group, duplicate=duplicate):
            group.entityAsyncStatus = None
            if duplicate:  # CAPE's IsVMPlacementGroupDuplicate reads this code in the failed task's message
                raise TaskError(f"PLACEMENT_GROUP_DUPLICATE_NAME: cluster {group.cluster.name} already has a "
                                f"placement group named {group.name!r}", "PLACEMENT_GROUP_DUPLICATE_NAME")

        started.append((world.start_task(f"Create VM placement group {group.name}", group,
                                         TaskKey.CreateVmPlacementGroup, [Step("create", SECONDS, create)],
                                         locks=(group,), user=user,
                                         on_failure=lambda error, group=group: _forget(world, group)), group))
    return started


def update(world, user, groups: list, data: dict) -> list:
    check_name(data, groups, "placement groups")
    settings = [(g, _settings(world, "data", data, g.cluster, g)) for g in groups]
    for g in groups:
        if data.get("name") and any(o is not g and o.cluster is g.cluster and o.name == data["name"]
                                    for o in world.vm_placement_groups.values()):
            raise BadRequest(f"data.name: cluster {g.cluster.name} already has a placement group named "
                             f"{data['name']!r}")
    changes = {k: data[k] for k in ("name", "description", "enabled") if data.get(k) is not None}

    def apply(group):
        for key, value in changes.items():
            setattr(group, key, value)
        _apply(world, group, dict(settings)[group])
        group.local_updated_at = world.now()
    return each(world, user, groups, TaskKey.UpdateVmPlacementGroup, "Update VM placement group", apply, data,
                busy=True)


def delete(world, user, groups: list) -> list:
    return each(world, user, groups, TaskKey.DeleteVmPlacementGroup, "Delete VM placement group",
                lambda g: _forget(world, g), busy=True)


def _forget(world, group) -> None:
    join(group, [])
    world.remove(group)


def _settings(world, at: str, p: dict, cluster, group) -> dict:
    """The rules `p` sets, checked: policies, the hosts and VMs its `where`s choose (all of `cluster`)."""
    out = {k: p[k] for k in ("vm_vm_policy_enabled", "vm_vm_policy", "vm_host_must_enabled", "vm_host_must_policy",
                             "vm_host_prefer_enabled", "vm_host_prefer_policy") if p.get(k) is not None}
    vm_vm_on = out.get("vm_vm_policy_enabled", group.vm_vm_policy_enabled if group else False)
    if vm_vm_on and "vm_vm_policy" not in out and group is None:
        raise BadRequest(f"{at}.vm_vm_policy: vm_vm_policy_enabled is true; say which policy "
                         f"({', '.join(VM_VM_POLICIES)})")
    for kind, key in (("must", "must_hosts"), ("prefer", "prefer_hosts")):
        if p.get(key) is not None:
            hosts = world.query("Host", {"where": p[key]})
            stray = next((h for h in hosts if h.cluster is not cluster), None)
            if stray is not None:
                raise BadRequest(f"{at}.{key}: host {stray.name} is not in cluster {cluster.name}")
            out[f"vm_host_{kind}_host_uuids"] = hosts
        on = out.get(f"vm_host_{kind}_enabled", getattr(group, f"vm_host_{kind}_enabled", False))
        hosts = out.get(f"vm_host_{kind}_host_uuids", getattr(group, f"vm_host_{kind}_host_uuids", []))
        if on and not hosts:
            raise BadRequest(f"{at}.{key}: vm_host_{kind}_enabled is true, and a host rule names at least one host "
                             "of the cluster")
    if p.get("vms") is not None:
        vms = world.query("Vm", {"where": p["vms"]})
        for vm in vms:
            if vm.cluster is not cluster:
                raise BadRequest(f"{at}.vms: VM {vm.name} is not in cluster {cluster.name}")
        out["vms"] = vms
    return out


def _apply(world, group, settings: dict) -> None:
    for key, value in settings.items():
        if key == "vms":
            join(group, value)
        else:
            setattr(group, key, value)


def join(group, vms: list) -> None:
    """The group's VMs become `vms`, on both sides of the relation."""
    for vm in group.vms:  # (replaced, not changed: see Vm.vm_placement_group)
        vm.vm_placement_group = [g for g in vm.vm_placement_group if g is not group]
    group.vms = list(vms)
    for vm in group.vms:
        vm.vm_placement_group = [*vm.vm_placement_group, group]
