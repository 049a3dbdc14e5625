"""VM templates of a cluster: a VM's configuration and disks frozen as a template (upstream's VmTemplate, whose
`vm_disks` are NestedFrozenDisks, as a snapshot's), and VMs made of one.

- clone-vm-template-from-vm copies a STOPPED VM into a template; the VM stays.
- convert-vm-template-from-vm turns a STOPPED VM into a template: the VM leaves get-vms, its disks go with it.
- create-vm-from-template and convert-vm-template-to-vm make a VM of a template through create-vm's own checks (new
  volumes of the template's sizes, with the overrides and disk_operate of frozen.py); converting consumes the
  template.
Guesses, refused and said: a running VM is not templated (whether SMTX clones a running VM is not established), a
template's name is unique in its cluster."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import vms
from .edits import SECONDS, check_name, each, setter
from .errors import BadRequest, NotFound
from .frozen import Frozen, creation_params, frozen_disk, frozen_nic
from .states import TaskKey, VmStatus
from .tasks import Step


@dataclass(eq=False, repr=False, slots=True)
class VmTemplate(Frozen):
    table = "vm_templates"
    read = True

    id: str
    local_id: str
    name: str
    cluster: object
    local_created_at: str
    vcpu: int
    cpu: dict
    memory: int
    firmware: str
    ha: bool
    description: str
    cloud_init_supported: bool
    vm_disks: list = field(default_factory=list)  # NestedFrozenDisks, as snapshots.py freezes them
    vm_nics: list = field(default_factory=list)  # NestedTemplateNic
    clock_offset: str = "UTC"
    win_opt: bool = False
    cpu_model: str = ""
    vm_tools: bool = True  # in the guest it was made of (guest.py): a VM made of it has VMTools too
    content_library_vm_template: object = None  # the ContentLibraryVmTemplate this is its cluster's copy of

    def listed_in(self) -> list[list]:
        # a content library template's copy on a cluster
        on = self.content_library_vm_template
        return [on.vm_templates] if on is not None else []


def freeze(world, vm, name: str, description: str, cloud_init: bool) -> VmTemplate:
    return world.add(frozen(world, vm, name, description, cloud_init))


def frozen(world, vm, name: str, description: str, cloud_init: bool) -> VmTemplate:
    """`vm` as a template of its cluster, not yet in the world."""
    return VmTemplate(
        world.ids.cuid(), world.ids.uuid(), name, vm.cluster, world.created_at(), vcpu=vm.vcpu,
        cpu={"cores": vm.vcpu // vm.cpu_sockets, "sockets": vm.cpu_sockets}, memory=vm.memory,
        firmware=vm.firmware, ha=vm.ha, description=description, cloud_init_supported=cloud_init,
        vm_disks=[frozen_disk(world, k, d) for k, d in enumerate(vm.vm_disks)],
        vm_nics=[{**frozen_nic(n), "type": n.type} for n in vm.vm_nics],
        win_opt=vm.guest_os_type == "WINDOWS", cpu_model=vm.cluster.cpu_models[0], vm_tools=vm.vm_tools)


def copy(world, template: VmTemplate, cluster, library=None) -> VmTemplate:
    """`template` copied to `cluster` (a content-library template's copy there, for `library`)."""
    return world.add(replace(template, id=world.ids.cuid(), local_id=world.ids.uuid(), cluster=cluster,
                             local_created_at=world.created_at(), cpu_model=cluster.cpu_models[0],
                             vm_disks=[dict(d) for d in template.vm_disks],
                             vm_nics=[dict(n) for n in template.vm_nics], content_library_vm_template=library))


def _own(template: VmTemplate, at: str) -> VmTemplate:
    """Refuse a content-library template's copy: the content library operations manage it (a guess: whether a
    tower lets it be edited alone is not established)."""
    if template.content_library_vm_template is not None:
        raise BadRequest(f"{at}: VM template {template.name} is cluster {template.cluster.name}'s copy of content "
                         f"library template {template.content_library_vm_template.name}; use the "
                         "content-library-vm-template operations")
    return template


def _named(world, at: str, name: str, cluster, besides=None, planned=()) -> None:
    if not name.strip():
        raise BadRequest(f"{at}: expected a non-empty name")
    if name in planned or any(t.name == name and t.cluster is cluster and t is not besides
                              for t in world.vm_templates.values()):
        raise BadRequest(f"{at}: cluster {cluster.name} already has a VM template named {name!r}")


def templatable(vm, at: str, planned: list) -> None:
    """Refuse a VM that cannot be made a template now (`planned`: the VMs this request templates before it)."""
    if vm.status != VmStatus.STOPPED:
        raise BadRequest(f"{at}: VM {vm.name} is {vm.status}; cloudtower-sim templates a STOPPED VM "
                         "(whether SMTX templates a running one is not established)")
    if vm.in_recycle_bin:
        raise BadRequest(f"{at}: VM {vm.name} is in the recycle bin")
    if any(vm is other for other in planned):
        raise BadRequest(f"{at}: this request already templates VM {vm.name}")


def from_vms(world, user, batch: list, converting: bool) -> list:
    """clone-vm-template-from-vm, convert-vm-template-from-vm."""
    planned = []
    for i, p in enumerate(batch):
        vm = world.vms.get(p["vm_id"])
        if vm is None:
            raise NotFound(f"[{i}].vm_id: no Vm with id {p['vm_id']!r}")
        if p.get("cluster_id") not in (None, vm.cluster.id):
            raise BadRequest(f"[{i}].cluster_id: cloudtower-sim makes a template in its VM's cluster "
                             f"({vm.cluster.name})")
        templatable(vm, f"[{i}].vm_id", [other for other, _ in planned])
        _named(world, f"[{i}].name", p["name"], vm.cluster, planned=[q["name"] for _, q in planned])
        planned.append((vm, p))
    world.runner.check_unlocked(*(vm for vm, _ in planned))
    started = []
    for vm, p in planned:
        template = freeze(world, vm, p["name"], p.get("description", ""), p["cloud_init_supported"])
        key = TaskKey.ConvertVmTemplateFromVm if converting else TaskKey.CloneVmTemplateFromVm
        steps = [Step("template", SECONDS, (lambda vm=vm: world.remove_vm(vm)) if converting else None)]
        started.append((world.start_task(f"{'Convert' if converting else 'Clone'} VM {vm.name} to template "
                                         f"{template.name}", vm, key, steps, locks=(vm, template), user=user),
                        template))
    return started


def update(world, user, templates: list, data: dict) -> list:
    for t in templates:
        _own(t, "where")
    check_name(data, templates, "templates")
    for t in templates:
        if data.get("name") is not None:
            _named(world, "data.name", data["name"], t.cluster, besides=t)
    changes = {k: data[k] for k in ("name", "description", "cloud_init_supported") if data.get(k) is not None}
    return each(world, user, templates, TaskKey.UpdateVmTemplate, "Update VM template", setter(changes), data)


def delete(world, user, templates: list) -> list:
    for t in templates:
        _own(t, "where")
    return each(world, user, templates, TaskKey.DeleteVmTemplate, "Delete VM template", world.remove)


def clone_params(world, params: dict, at: str) -> dict:
    """create-vm's params for clone-vm's VmCloneParams: the source VM as it is now, with the overrides given. Its
    `vm_disks`, when given, are the clone's whole disks, a new disk whose path is a source volume's being a copy of
    it, as SmartX's Terraform provider sends them (resource_vm.go cloneVmFromSourceVm)."""
    vm = world.vms.get(params["src_vm_id"])
    if vm is None:
        raise NotFound(f"{at}.src_vm_id: no Vm with id {params['src_vm_id']!r}")
    if vm.status != VmStatus.STOPPED:  # as templates: see templatable
        raise BadRequest(f"{at}.src_vm_id: VM {vm.name} is {vm.status}; cloudtower-sim clones a STOPPED VM (whether "
                         "SMTX clones a running one is not established)")
    if vm.in_recycle_bin:
        raise BadRequest(f"{at}.src_vm_id: VM {vm.name} is in the recycle bin")
    source = frozen(world, vm, vm.name, vm.description, False)
    given = {k: v for k, v in params.items() if k != "vm_disks"}
    if params.get("vm_disks") is not None:
        given["disk_operate"] = {"remove_disks": {"disk_index": [d["index"] for d in source.vm_disks]},
                                 "new_disks": params["vm_disks"]}
    return creation_params(world, source, {"description": vm.description, "guest_os_type": vm.guest_os_type, **given},
                           at, "src_vm_id", f"VM {vm.name}", addresses=True)


def vm_params(world, params: dict, at: str, template_field: str) -> tuple:
    """(create-vm's params, the template) for create-vm-from-template (`template_id`) or
    convert-vm-template-to-vm (`converted_from_template_id`)."""
    template = world.vm_templates.get(params[template_field])
    if template is None:
        raise NotFound(f"{at}.{template_field}: no VmTemplate with id {params[template_field]!r}")
    if template_field == "converted_from_template_id":
        _own(template, f"{at}.{template_field}")
    return creation_params(world, template, params, at, template_field, f"template {template.name}"), template


def to_vms(world, user, batch: list) -> list:
    """convert-vm-template-to-vm: each template becomes its VM, and is gone once the VM is created."""
    planned = [vm_params(world, p, f"[{i}]", "converted_from_template_id") for i, p in enumerate(batch)]
    if len({id(t) for _, t in planned}) < len(planned):
        raise BadRequest("body: a template is converted to one VM; this request names one twice")
    started = vms.create(world, user, [params for params, _ in planned], TaskKey.ConvertVmTemplateToVm)
    for _, template in planned:
        world.remove(template)
    return started
