"""VLANs on a VDS: create, update and delete, each a task. A VLAN that a NIC uses is not deleted, nor the management
network; a VLAN id is 0 (untagged) to 4094, as 802.1Q has it. QoS and overlay modes are not simulated: refused."""

from __future__ import annotations

from .errors import BadRequest, NotFound
from .inventory import Vlan
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
    if data.get("name") is not None and len(vlans) > 1:
        raise BadRequest(f"data.name: where matches {len(vlans)} VLANs, and one name cannot go to all of them")
    for vlan in vlans:
        _check("data", data, vlan.vds, vlan)
    world.runner.check_unlocked(*vlans)
    changes = {k: data[k] for k in ("name", "vlan_id") if data.get(k) is not None}

    def apply(vlan):
        for key, value in changes.items():
            setattr(vlan, key, value)
    return [(world.start_task(f"Update VLAN {v.name}", v, TaskKey.UpdateVlan,
                              [Step("update", SECONDS, lambda v=v: apply(v))], locks=(v,), user=user), v)
            for v in vlans]


def delete(world, user, vlans: list) -> list:
    for vlan in vlans:
        if vlan.type == "MANAGEMENT":
            raise BadRequest(f"where: {vlan.name} is the management network of VDS {vlan.vds.name}; it is not deleted")
        if vlan.vm_nics:
            raise BadRequest(f"where: VLAN {vlan.name} is used by {len(vlan.vm_nics)} NIC(s), such as VM "
                             f"{vlan.vm_nics[0].vm.name}'s; move or remove them first")
    world.runner.check_unlocked(*vlans)
    return [(world.start_task(f"Delete VLAN {v.name}", v, TaskKey.DeleteVlan,
                              [Step("delete", SECONDS, lambda v=v: world.remove(v))], locks=(v,), user=user), v)
            for v in vlans]
