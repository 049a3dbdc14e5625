"""The content library's VM templates: a template kept by CloudTower and distributed to clusters, each of which holds
its copy as a VmTemplate (upstream's `vm_templates` and `vm_template_uuids`; the copy's `content_library_vm_template`
names it back, and SmartX's Terraform provider reads a content-library template through that copy:
resource_content_library_vm_template.go). A VM is made of the copy in its cluster, so a template is usable only on
the clusters it is distributed to.

- clone-/convert-content-library-vm-template-from-vm: a STOPPED VM frozen as a template on the `clusters` chosen;
  converting removes the VM. One task per template: a step for the template, one per cluster it is copied to.
- distribute-/remove-...-clusters add and remove copies; update's `clusters` is the whole set, as the Terraform
  provider's `cluster_ids` is. delete removes the template with its copies.
- create-vm-from-content-library-template (CAPE's way to make every machine, pkg/service/vm.go) and its -batch form
  (one task for all its VMs, as its WithTask_Vm-Array_ answer says).
Guesses, refused and said: a template stays on one cluster at least (delete it instead), is distributed only to
clusters of its architecture, and names are unique in the content library. A copy on another cluster keeps the
NICs' VLANs of the source cluster, so a VM made there needs `vm_nics` (CAPE always sends them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import templates
from .edits import SECONDS, check_name, each
from .errors import BadRequest, NotFound
from .frozen import creation_params
from .model import Entity
from .states import EntityAsyncStatus, TaskKey
from .tasks import Step


def _source(name: str):
    return property(lambda self: getattr(self.source, name))


@dataclass(eq=False, repr=False, slots=True)
class ContentLibraryVmTemplate(Entity):
    table = "content_library_vm_templates"
    read = True

    id: str
    name: str
    description: str
    createdAt: str  # sic: upstream's camelCase
    cloud_init_supported: bool
    source: object  # templates.VmTemplate: what was frozen, kept out of the world; each copy is made of it
    vm_templates: list = field(default_factory=list)  # the copies, one per cluster, kept by the world
    entityAsyncStatus: str | None = None

    @property
    def clusters(self):
        return [t.cluster for t in self.vm_templates]

    @property
    def vm_template_uuids(self):
        return [t.local_id for t in self.vm_templates]

    # what was frozen reads as the source has it
    vcpu, cpu, memory, firmware, ha, size, win_opt, clock_offset, cpu_model = (_source(k) for k in (
        "vcpu", "cpu", "memory", "firmware", "ha", "size", "win_opt", "clock_offset", "cpu_model"))

    @property
    def architecture(self):
        return self.source.cluster.architecture

    @property
    def vm_disks(self):  # NestedContentLibraryVmTemplateDisk
        return [{**{k: d[k] for k in ("index", "boot", "bus", "type", "disabled", "disk_name", "path", "size")},
                 "storage_policy": d["_policy"], "content_library_image_id": None} for d in self.source.vm_disks]

    @property
    def vm_nics(self):  # NestedContentLibraryVmTemplateNic
        return [{**{k: n[k] for k in ("index", "enabled", "mirror", "model", "vlan")}, "type": n.get("type", "VLAN")}
                for n in self.source.vm_nics]


def _named(world, at: str, name: str, besides=None, planned=()) -> None:
    if not name.strip():
        raise BadRequest(f"{at}: expected a non-empty name")
    if name in planned or any(t.name == name and t is not besides for t in world.content_library_vm_templates.values()):
        raise BadRequest(f"{at}: the content library already has a VM template named {name!r}")


def _clusters(clusters: list, at: str, architecture: str) -> list:
    if not clusters:
        raise BadRequest(f"{at}: matches no cluster; a content library template is distributed to one at least")
    for c in clusters:
        if c.architecture != architecture:
            raise BadRequest(f"{at}: cluster {c.name} is {c.architecture}, the template {architecture} (cloudtower-sim "
                             "distributes a template to clusters of its architecture only)")
    return clusters


def from_vms(world, user, batch: list, converting: bool) -> list:
    """`batch`: ContentLibraryVmTemplateCreationParams, with `clusters` as the Clusters its where chose."""
    planned = []
    for i, p in enumerate(batch):
        vm = p["vm"]
        templates.templatable(vm, f"[{i}].vm", [other for other, _ in planned])
        _named(world, f"[{i}].name", p["name"], planned=[q["name"] for _, q in planned])
        _clusters(p["clusters"], f"[{i}].clusters", vm.cluster.architecture)
        planned.append((vm, p))
    world.runner.check_unlocked(*(vm for vm, _ in planned))
    started = []
    for vm, p in planned:
        library = make(world, vm, p["name"], p.get("description", ""), bool(p.get("cloud_init_supported")),
                       p["clusters"])
        library.entityAsyncStatus = EntityAsyncStatus.CREATING
        copies = library.vm_templates

        def done(library=library):
            library.entityAsyncStatus = None

        steps = ([Step("template", SECONDS, (lambda vm=vm: world.remove_vm(vm)) if converting else None)]
                 + [Step(f"distribute:{t.cluster.name}", SECONDS) for t in copies] + [Step("finish", 0.0, done)])
        key = (TaskKey.ConvertContentLibraryVmTemplateFromVm if converting
               else TaskKey.CloneContentLibraryVmTemplateFromVm)
        task = world.start_task(f"{'Convert' if converting else 'Clone'} VM {vm.name} to content library template "
                                f"{library.name}", library, key, steps, locks=(vm, library), user=user,
                                on_failure=lambda error, library=library: done(library))
        started.append((task, library))
    return started


def make(world, vm, name: str, description: str, cloud_init: bool, clusters: list) -> ContentLibraryVmTemplate:
    """`vm` frozen as a content library template, copied to `clusters`."""
    source = templates.frozen(world, vm, name, description, cloud_init)
    library = world.add(ContentLibraryVmTemplate(world.ids.cuid(), name, description, world.created_at(), cloud_init,
                                                 source))
    _distribute(world, library, clusters)
    return library


def update(world, user, libraries: list, data: dict, clusters: list | None) -> list:
    """`clusters`: the Clusters `data.clusters` chose (None: not given), the whole set each template is on after."""
    check_name(data, libraries, "content library templates")
    for t in libraries:
        if data.get("name") is not None:
            _named(world, "data.name", data["name"], besides=t)
        if clusters is not None:
            _clusters(clusters, "data.clusters", t.architecture)
    changes = {k: data[k] for k in ("name", "description", "cloud_init_supported") if data.get(k) is not None}

    def apply(library):
        for key, value in changes.items():
            setattr(library, key, value)
            setattr(library.source, key, value)
            for copy in library.vm_templates:  # a copy reads as its template
                setattr(copy, key, value)
        if clusters is not None:
            _distribute(world, library, clusters)
            _withdraw(world, library, [c for c in library.clusters if c not in clusters])
    return each(world, user, libraries, TaskKey.UpdateContentLibraryVmTemplate, "Update content library template",
                apply, data, busy=True)


def distribute(world, user, libraries: list, clusters: list) -> list:
    for t in libraries:
        _clusters(clusters, "data.clusters", t.architecture)
    return each(world, user, libraries, TaskKey.DistributeContentLibraryVmtemplateClusters,
                "Distribute content library template", lambda library: _distribute(world, library, clusters),
                busy=True)


def remove_clusters(world, user, libraries: list, clusters: list) -> list:
    for t in libraries:
        for c in clusters:
            if c not in t.clusters:
                raise BadRequest(f"data.clusters: content library template {t.name} is not on cluster {c.name}")
        if len(set(t.clusters) - set(clusters)) == 0:
            raise BadRequest(f"data.clusters: content library template {t.name} would be on no cluster; "
                             "cloudtower-sim keeps one at least: delete the template instead")
    return each(world, user, libraries, TaskKey.RemoveContentLibraryVmTemplateClusters,
                "Remove clusters of content library template", lambda library: _withdraw(world, library, clusters),
                busy=True)


def delete(world, user, libraries: list) -> list:
    def gone(library):
        _withdraw(world, library, library.clusters)
        world.remove(library)
    return each(world, user, libraries, TaskKey.DeleteContentLibraryVmTemplate, "Delete content library template",
                gone, busy=True)


def _distribute(world, library, clusters: list) -> None:
    for c in clusters:
        if c not in library.clusters:
            templates.copy(world, library.source, c, library)


def _withdraw(world, library, clusters: list) -> None:
    for t in list(library.vm_templates):
        if t.cluster in clusters:
            world.remove(t)


def vm_params(world, params: dict, at: str, template_id: str) -> dict:
    """create-vm's params for a VM of `params`' cluster made of content library template `template_id`."""
    library = world.content_library_vm_templates.get(template_id)
    if library is None:
        raise NotFound(f"{at}.template_id: no ContentLibraryVmTemplate with id {template_id!r}")
    cluster = world.clusters.get(params["cluster_id"])
    if cluster is None:
        raise NotFound(f"{at}.cluster_id: no Cluster with id {params['cluster_id']!r}")
    copy = next((t for t in library.vm_templates if t.cluster is cluster), None)
    if copy is None:
        raise BadRequest(f"{at}.cluster_id: content library template {library.name} is not distributed to cluster "
                         f"{cluster.name} (it is on {', '.join(c.name for c in library.clusters)}); distribute it "
                         "first (distribute-content-library-vm-template-clusters)")
    return creation_params(world, copy, params, at, "template_id", f"content library template {library.name}")
