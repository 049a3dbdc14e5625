"""VDSes and their VLANs: create, update and delete, each a task.

- A VLAN that a NIC uses is not deleted, nor the management network; a VLAN id is 0 (untagged) to 4094, as 802.1Q
  has it. QoS and overlay modes are not simulated: refused.
- A VDS bonds host NICs of its cluster (an Open vSwitch bridge, `ovsbr_name`): a NIC is in one VDS at most, and a
  NIC passed through to VMs in none. Where a host gives more than one NIC they are bonded, in one of Open vSwitch's
  bond modes (active-backup, balance-slb, balance-tcp). A VDS with VLANs is not deleted. VDS work modes are not
  simulated: refused."""

from __future__ import annotations

from .edits import check_name, each, setter
from .errors import BadRequest, NotFound
from .inventory import Vds, Vlan
from .states import TaskKey
from .tasks import Step

SECONDS = 1.0
NOT_SIMULATED = ("qos_burst", "qos_max_bandwidth", "qos_min_bandwidth", "qos_priority", "qos_burst_unit",
                 "qos_max_bandwidth_unit", "qos_min_bandwidth_unit")


def _check(at: str, p: dict, vds, vlan=None) -> None:
    for key in NOT_SIMULATED:
        if p.get(key) is not None:
            raise BadRequest(f"{at}.{key}: cloudtower-sim does not simulate VLAN QoS")
    if p.get("mode_type") not in (None, "VLAN_ACCESS"):
        raise BadRequest(f"{at}.mode_type: cloudtower-sim simulates VLAN_ACCESS networks only, not {p['mode_type']}")
    if "vlan_id" in p and not 0 <= p["vlan_id"] <= 4094:
        raise BadRequest(f"{at}.vlan_id: expected 0 (untagged) to 4094, got {p['vlan_id']}")
    name = p.get("name")
    if name is not None:
        if not name.strip():
            raise BadRequest(f"{at}.name: expected a non-empty name")
        if any(v.name == name and v is not vlan for v in vds.vlans):
            raise BadRequest(f"{at}.name: VDS {vds.name} already has a VLAN named {name!r}")


def create(world, user, batch: list) -> list:
    planned = []
    for i, p in enumerate(batch):
        vds = world.vdses.get(p["vds_id"])
        if vds is None:
            raise NotFound(f"[{i}].vds_id: no Vds with id {p['vds_id']!r}")
        _check(f"[{i}]", p, vds)
        if any(q["name"] == p["name"] and q["vds_id"] == p["vds_id"] for q in batch[:i]):
            raise BadRequest(f"[{i}].name: this request already creates a VLAN named {p['name']!r}")
        planned.append((vds, p))
    started = []
    for vds, p in planned:
        vlan = world.add(Vlan(world.ids.cuid(), world.ids.uuid(), p["name"], vds, p.get("vlan_id", 0)))
        started.append((world.start_task(f"Create VLAN {vlan.name}", vlan, TaskKey.CreateVmVlan,
                                         [Step("create", SECONDS)], locks=(vlan,), user=user), vlan))
    return started


def update(world, user, vlans: list, data: dict) -> list:
    check_name(data, vlans, "VLANs")
    for vlan in vlans:
        _check("data", data, vlan.vds, vlan)
    changes = {k: data[k] for k in ("name", "vlan_id") if data.get(k) is not None}
    return each(world, user, vlans, TaskKey.UpdateVlan, "Update VLAN", setter(changes))


def delete(world, user, vlans: list) -> list:
    for vlan in vlans:
        if vlan.type == "MANAGEMENT":
            raise BadRequest(f"where: {vlan.name} is the management network of VDS {vlan.vds.name}; it is not deleted")
        if vlan.vm_nics:
            raise BadRequest(f"where: VLAN {vlan.name} is used by {len(vlan.vm_nics)} NIC(s), such as VM "
                             f"{vlan.vm_nics[0].vm.name}'s; move or remove them first")
    return each(world, user, vlans, TaskKey.DeleteVlan, "Delete VLAN", world.remove)


BOND_MODES = ("active-backup", "balance-slb", "balance-tcp")  # Open vSwitch's, which SMTX's VDS is built on


def _nics(world, at: str, nic_ids: list, cluster, vds=None) -> list:
    """The NICs `nic_ids` name, checked for a VDS of `cluster` (`vds`: the one they go to, when it exists)."""
    if not nic_ids:
        raise BadRequest(f"{at}: expected at least one NIC id: a VDS bonds host NICs")
    nics = []
    for j, nic_id in enumerate(nic_ids):
        nic = world.nics.get(nic_id)
        if nic is None or nic.host.cluster is not cluster:
            raise NotFound(f"{at}[{j}]: no Nic with id {nic_id!r} on a host of cluster {cluster.name}")
        if nic.vds is not None and nic.vds is not vds:
            raise BadRequest(f"{at}[{j}]: NIC {nic.name} of host {nic.host.name} is in VDS {nic.vds.name} already")
        if nic.user_usage != "DEFAULT":
            raise BadRequest(f"{at}[{j}]: NIC {nic.name} of host {nic.host.name} is in {nic.user_usage} usage")
        if nic in nics:
            raise BadRequest(f"{at}[{j}]: NIC {nic.name} of host {nic.host.name} is named twice")
        nics.append(nic)
    return nics


def _bond(at: str, p: dict, nics: list, current: str | None = None) -> str | None:
    if p.get("work_mode") is not None:
        raise BadRequest(f"{at}.work_mode: cloudtower-sim does not simulate VDS work modes; leave it out")
    mode = p.get("bond_mode") or current
    bonded = len({n.host for n in nics}) < len(nics)
    if mode and mode not in BOND_MODES:
        raise BadRequest(f"{at}.bond_mode: expected one of {', '.join(BOND_MODES)}, got {mode!r}")
    return (mode or BOND_MODES[0]) if bonded else (mode or "")  # "": no bond, one NIC per host


def _named(at: str, name, cluster, vds=None) -> None:
    if name is not None:
        if not name.strip():
            raise BadRequest(f"{at}.name: expected a non-empty name")
        if any(v.name == name and v is not vds for v in cluster.vdses):
            raise BadRequest(f"{at}.name: cluster {cluster.name} already has a VDS named {name!r}")


def _join(vds, nics: list) -> None:
    for nic in list(vds.nics):
        vds.nics.remove(nic)
        nic.vds = None
    for nic in nics:
        nic.vds = vds
        vds.nics.append(nic)


def create_vdses(world, user, batch: list) -> list:
    planned, claimed = [], set()
    for i, p in enumerate(batch):
        cluster = world.clusters.get(p["cluster_id"])
        if cluster is None:
            raise NotFound(f"[{i}].cluster_id: no Cluster with id {p['cluster_id']!r}")
        _named(f"[{i}]", p["name"], cluster)
        if any(q["name"] == p["name"] and q["cluster_id"] == p["cluster_id"] for q in batch[:i]):
            raise BadRequest(f"[{i}].name: this request already creates a VDS named {p['name']!r}")
        nics = _nics(world, f"[{i}].nic_ids", p["nic_ids"], cluster)
        if claimed & set(nics):
            raise BadRequest(f"[{i}].nic_ids: a NIC this request already puts in another VDS")
        claimed |= set(nics)
        planned.append((cluster, p, nics, _bond(f"[{i}]", p, nics)))
    started = []
    for cluster, p, nics, mode in planned:
        bridges = {v.ovsbr_name for v in world.vdses.values()}
        bridge = next(f"ovsbr-{k}" for k in range(1, len(bridges) + 2) if f"ovsbr-{k}" not in bridges)
        vds = world.add(Vds(world.ids.cuid(), world.ids.uuid(), p["name"], cluster, ovsbr_name=bridge,
                            bond_mode=mode))
        _join(vds, nics)  # the NICs are the VDS's at once, so that no other request takes them meanwhile
        started.append((world.start_task(f"Create VDS {vds.name}", vds, TaskKey.CreateVds, [Step("create", SECONDS)],
                                         locks=(vds,), user=user), vds))
    return started


def update_vdses(world, user, vdses: list, data: dict) -> list:
    check_name(data, vdses, "VDSes")
    plans = {}
    for vds in vdses:
        _named("data", data.get("name"), vds.cluster, vds)
        nics = _nics(world, "data.nicIds", data["nicIds"], vds.cluster, vds) if "nicIds" in data else list(vds.nics)
        plans[vds] = (nics, _bond("data", data, nics, vds.bond_mode))

    def apply(vds):
        nics, vds.bond_mode = plans[vds]
        vds.name = data.get("name") or vds.name
        _join(vds, nics)
    return each(world, user, vdses, TaskKey.UpdateVds, "Update VDS", apply)


def delete_vdses(world, user, vdses: list) -> list:
    for vds in vdses:
        if vds.vlans:
            raise BadRequest(f"where: VDS {vds.name} has {len(vds.vlans)} VLAN(s), such as {vds.vlans[0].name}; "
                             "delete them first")

    def apply(vds):
        _join(vds, [])
        world.remove(vds)
    return each(world, user, vdses, TaskKey.DeleteVds, "Delete VDS", apply)
