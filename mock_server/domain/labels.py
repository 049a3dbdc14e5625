"""Labels: key=value tags on VMs, hosts, clusters and the rest of the inventory, found with `labels_some` filters.

Sources: SmartX's cluster-api-provider-elf (pkg/service/vm.go) finds a label by key and value before creating it
(UpsertLabel), deletes by key, value and `total_num: 0` (a label no resource carries), cleans with `createdAt_lte`,
and adds labels to a VM with add-labels-to-resources (`where` the labels, `data.vms` the VMs), one WithTask per
label. What is a guess: two labels with the same key and value are refused (CAPE's upsert avoids making them; a
tower's rule is not published); resource kinds cloudtower-sim does not model are refused, not ignored."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .edits import SECONDS, each
from .errors import BadRequest
from .model import KINDS, Entity
from .states import TaskKey
from .tasks import Step



def _count(kind: str):
    return property(lambda self: len(getattr(self, kind)))


@dataclass(eq=False, repr=False, slots=True)
class Label(Entity):
    table = "labels"
    read = True

    id: str
    key: str
    createdAt: str  # sic: upstream's camelCase
    value: str | None = None
    vms: list = field(default_factory=list)
    hosts: list = field(default_factory=list)
    clusters: list = field(default_factory=list)
    datacenters: list = field(default_factory=list)
    vdses: list = field(default_factory=list)
    vlans: list = field(default_factory=list)
    vm_volumes: list = field(default_factory=list)
    elf_images: list = field(default_factory=list)
    disks: list = field(default_factory=list)
    nics: list = field(default_factory=list)
    gpu_devices: list = field(default_factory=list)
    vm_snapshots: list = field(default_factory=list)
    vm_templates: list = field(default_factory=list)
    content_library_vm_templates: list = field(default_factory=list)

    vm_num, host_num, cluster_num, datacenter_num = _count("vms"), _count("hosts"), _count("clusters"), _count(
        "datacenters")
    vds_num, vm_volume_num, elf_image_num = _count("vdses"), _count("vm_volumes"), _count("elf_images")
    disk_num, nic_num, gpu_device_num = _count("disks"), _count("nics"), _count("gpu_devices")
    vm_snapshot_num, vm_template_num = _count("vm_snapshots"), _count("vm_templates")
    content_library_vm_template_num = _count("content_library_vm_templates")

    @property
    def vm_vlan_num(self):
        return sum(1 for v in self.vlans if v.type == "VM")

    @property
    def system_vlan_num(self):
        return sum(1 for v in self.vlans if v.type != "VM")

    @property
    def total_num(self):
        return sum(len(getattr(self, kind)) for kind in TAGGED)

    @property
    def name(self):  # for task descriptions; upstream's Label has no name
        return self.key if self.value is None else f"{self.key}={self.value}"


# what a label may be on: each list of a Label is named as the table of the kind it holds (AddLabelsToResourcesParams'
# data keys are the same names)
TAGGED = tuple(f.name for f in fields(Label) if f.type == "list")


def attach(label: Label, obj) -> None:
    """Both sides: the label lists the object, the object lists the label."""
    tagged = getattr(label, obj.table)
    if obj not in tagged:
        tagged.append(obj)
        obj.labels.append(label)


def detach(label: Label, obj) -> None:
    tagged = getattr(label, obj.table)
    if obj in tagged:
        tagged.remove(obj)
        obj.labels.remove(label)


def _check_unique(world, at: str, key: str, value, besides=()) -> None:
    if not key.strip():
        raise BadRequest(f"{at}.key: expected a non-empty key")
    twin = next((l for l in world.labels.values() if l.key == key and l.value == value and l not in besides), None)
    if twin is not None:
        raise BadRequest(f"{at}: label {twin.name} exists already ({twin.id}); cloudtower-sim keeps one label per key "
                         "and value")


def create(world, user, batch: list) -> list:
    for i, p in enumerate(batch):
        _check_unique(world, f"[{i}]", p["key"], p.get("value"))
        if any(q["key"] == p["key"] and q.get("value") == p.get("value") for q in batch[:i]):
            raise BadRequest(f"[{i}]: this request already creates label {p['key']}={p.get('value')}")
    started = []
    for p in batch:
        label = world.add(Label(world.ids.cuid(), p["key"], world.created_at(), p.get("value")))
        started.append((world.start_task(f"Create label {label.name}", label, TaskKey.CreateLabel,
                                         [Step("create", SECONDS)], locks=(label,), user=user), label))
    return started


def update(world, user, labels: list, data: dict) -> list:
    if len(labels) > 1 and (data.get("key") is not None or data.get("value") is not None):
        raise BadRequest(f"where: matches {len(labels)} labels, and one key and value cannot go to all of them")
    for label in labels:
        _check_unique(world, "data", data.get("key", label.key), data.get("value", label.value), besides=(label,))

    def apply(label):
        label.key, label.value = data.get("key", label.key), data.get("value", label.value)
    return each(world, user, labels, TaskKey.UpdateLabel, "Update label", apply, data)


def delete(world, user, labels: list) -> list:
    return each(world, user, labels, TaskKey.DeleteLabel, "Delete label", world.remove)


def tag(world, user, labels: list, data: dict, adding: bool) -> list:
    """add-labels-to-resources and remove-labels-from-resources: each label's task (un)tags every object `data`
    chooses."""
    chosen = []
    for kind, where in data.items():
        if where is None:
            continue
        if kind not in TAGGED:
            raise BadRequest(f"data.{kind}: cloudtower-sim does not simulate {kind}; leave it out")
        chosen.extend(world.query(next(n for n, k in KINDS.items() if k.table == kind), {"where": where}))
    change = attach if adding else detach

    def apply(label):
        for obj in chosen:
            if world.holds(obj):  # deleted meanwhile: nothing to tag
                change(label, obj)
    key = TaskKey.AddLabelsToResources if adding else TaskKey.RemoveLabelsFromResources
    return each(world, user, labels, key, "Add label" if adding else "Remove label", apply, {"data": data})

