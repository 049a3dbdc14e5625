"""Tag ContentLibraryVmTemplate (domain/content_library.py): the content library's VM templates, and the VMs made of
them (tag Vm)."""

from ..domain import content_library, vms
from ..domain.states import TaskKey
from ..domain.errors import BadRequest, NotFound
from .registry import operation, reads
from .vms import with_tasks

reads("ContentLibraryVmTemplate")


def _one_vm(world, where: dict, at: str):
    """The VM a VmWhereUniqueInput names."""
    found = world.query("Vm", {"where": where})
    if len(found) != 1:
        raise NotFound(f"{at}: no Vm with {where}" if not found else
                       f"{at}: expected the id or local_id of one VM, and {where} names {len(found)}")
    return found[0]


def _clusters(world, where: dict):
    return world.query("Cluster", {"where": where})


def _from_vms(converting: bool):
    def handler(world, body, user):
        batch = [{**p, "vm": _one_vm(world, p["vm"], f"[{i}].vm"), "clusters": _clusters(world, p["clusters"])}
                 for i, p in enumerate(body)]
        return [{"task_id": task.id, "data": t} for task, t in content_library.from_vms(world, user, batch,
                                                                                         converting)]
    return handler


operation("/clone-content-library-vm-template-from-vm")(_from_vms(False))
operation("/convert-content-library-vm-template-from-vm")(_from_vms(True))


def _acting(edit, args=lambda world, data: (), deleting: bool = False):
    """A handler that applies `edit` to the templates `where` chooses, with what `args` makes of `data`."""
    def handler(world, body, user):
        chosen = world.query("ContentLibraryVmTemplate", {"where": body["where"]})
        started = edit(world, user, chosen, *args(world, body.get("data") or {}))
        return [{"task_id": task.id, "data": {"id": t.id} if deleting else t} for task, t in started]
    return handler


def _the_clusters(world, data) -> tuple:
    return (_clusters(world, data["clusters"]),)


def _update_args(world, data) -> tuple:
    return data, _clusters(world, data["clusters"]) if data.get("clusters") is not None else None


operation("/update-content-library-vm-template")(_acting(content_library.update, _update_args))
operation("/distribute-content-library-vm-template-clusters")(_acting(content_library.distribute, _the_clusters))
operation("/remove-content-library-vm-template-clusters")(_acting(content_library.remove_clusters, _the_clusters))
operation("/delete-content-library-vm-template")(_acting(content_library.delete, deleting=True))


@operation("/create-vm-from-content-library-template")
def create_vm(world, body, user):
    batch = [content_library.vm_params(world, p, f"[{i}]", p["template_id"]) for i, p in enumerate(body)]
    return with_tasks(vms.create(world, user, batch, TaskKey.CreateVmFromContentLibraryTemplate))


@operation("/create-vm-from-content-library-template-batch")
def create_vms(world, body, user):
    """One task for all the VMs: WithTask_Vm-Array_."""
    if not body["vms"]:
        raise BadRequest("vms: expected at least one VM: an empty array creates nothing")
    batch = [content_library.vm_params(world, p, f"vms[{i}]", body["template_id"]) for i, p in enumerate(body["vms"])]
    started = vms.create(world, user, batch, TaskKey.CreateVmFromContentLibraryTemplateBatch,
                         one_task=f"Create {len(batch)} VMs from content library template", field="vms")
    return {"task_id": started[0][0].id, "data": [vm for _, vm in started]}
