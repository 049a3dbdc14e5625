"""Tag ContentLibraryVmTemplate (domain/content_library.py): the content library's VM templates, and the VMs made of
them (tag Vm)."""

from ..domain import content_library, vms
from ..domain.states import TaskKey
from ..domain.errors import BadRequest, NotFound
from .registry import CREATING, CREATING_EACH, acting_on, nothing, operation, with_task, with_tasks

FROM_VMS = ("template", "distribute:<cluster>", "finish")  # content_library.from_vms: a copy in each cluster


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
        return with_tasks(content_library.from_vms(world, user, batch, converting))
    return handler


operation("/clone-content-library-vm-template-from-vm", steps=FROM_VMS)(_from_vms(False))
operation("/convert-content-library-vm-template-from-vm", steps=FROM_VMS)(_from_vms(True))


def _the_clusters(world, body) -> tuple:
    return (_clusters(world, body["data"]["clusters"]),)


def _update_args(world, body) -> tuple:
    data = body.get("data") or {}
    return data, _clusters(world, data["clusters"]) if data.get("clusters") is not None else None


TEMPLATE = "ContentLibraryVmTemplate"
UPDATE, DELETE = ("update",), ("delete",)
operation("/update-content-library-vm-template", steps=UPDATE)(acting_on(TEMPLATE, content_library.update,
                                                                         _update_args))
operation("/distribute-content-library-vm-template-clusters", steps=UPDATE)(acting_on(
    TEMPLATE, content_library.distribute, _the_clusters))
operation("/remove-content-library-vm-template-clusters", steps=UPDATE)(acting_on(
    TEMPLATE, content_library.remove_clusters, _the_clusters))
operation("/delete-content-library-vm-template", steps=DELETE)(acting_on(TEMPLATE, content_library.delete, nothing,
                                                                         deleting=True))


@operation("/create-vm-from-content-library-template", steps=CREATING)
def create_vm(world, body, user):
    batch = [content_library.vm_params(world, p, f"[{i}]", p["template_id"]) for i, p in enumerate(body)]
    return with_tasks(vms.create(world, user, batch, TaskKey.CreateVmFromContentLibraryTemplate))


@operation("/create-vm-from-content-library-template-batch", steps=CREATING_EACH)
def create_vms(world, body, user):
    """One task for all the VMs: WithTask_Vm-Array_."""
    if not body["vms"]:
        raise BadRequest("vms: expected at least one VM: an empty array creates nothing")
    batch = [content_library.vm_params(world, p, f"vms[{i}]", body["template_id"]) for i, p in enumerate(body["vms"])]
    started = vms.create(world, user, batch, TaskKey.CreateVmFromContentLibraryTemplateBatch,
                         one_task=f"Create {len(batch)} VMs from content library template", field="vms")
    return with_task(started[0][0], [vm for _, vm in started])
