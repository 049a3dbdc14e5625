"""Tag Vm: the reads, the power and placement operations, create and delete."""

from ..domain import snapshots, templates, vms
from ..domain.states import TaskKey
from .registry import CREATING, operation, with_tasks


def _operate(op: TaskKey):
    def handler(world, body, user):
        matched = world.query("Vm", {"where": body["where"]})
        host_id = (body.get("data") or {}).get("host_id")
        return with_tasks(vms.operate(world, user, op, matched, host_id))
    return handler


for _path, _op, _steps in (
        ("/start-vm", TaskKey.StartVm, ("start",)), ("/shutdown-vm", TaskKey.ShutDownVm, ("shutdown",)),
        ("/poweroff-vm", TaskKey.PoweroffVm, ("poweroff",)), ("/restart-vm", TaskKey.RestartVm, ("stop", "start")),
        ("/force-restart-vm", TaskKey.ForceRestartVm, ("stop", "start")),
        ("/suspend-vm", TaskKey.SuspendVm, ("suspend",)), ("/resume-vm", TaskKey.ResumeVm, ("resume",)),
        ("/migrate-vm", TaskKey.MigrateVm, ("live_migrate", "offline_migrate"))):
    operation(_path, steps=_steps)(_operate(_op))


@operation("/create-vm", steps=CREATING)
def create_vm(world, body, user):
    return with_tasks(vms.create(world, user, body))


@operation("/delete-vm", steps=("delete",))
def delete_vm(world, body, user):  # a VM in the recycle bin is deleted for good
    return with_tasks(vms.operate(world, user, TaskKey.DeleteVm, world.query("Vm", {"where": body["where"]}),
                                  include_snapshots=bool((body.get("effect") or {}).get("include_snapshots"))),
                      deleting=True)


@operation("/move-vm-to-recycle", steps=("update",))
def move_to_recycle_bin(world, body, user):
    return with_tasks(vms.recycle(world, user, world.query("Vm", {"where": body["where"]}), into=True), deleting=True)


@operation("/recover-vm-from-recycle", steps=("update",))
def recover_from_recycle_bin(world, body, user):
    return with_tasks(vms.recycle(world, user, world.query("Vm", {"where": body["where"]}), into=False),
                      deleting=True)


@operation("/update-vm-basic-info", steps=("update",))
def update_vm(world, body, user):
    matched = vms.not_recycled(world.query("Vm", {"where": body["where"]}))
    return with_tasks(vms.update(world, user, matched, body["data"]))


# snapshots (domain/snapshots.py)
@operation("/create-vm-snapshot", steps=("snapshot",))
def create_snapshot(world, body, user):
    return with_tasks(snapshots.create(world, user, body["data"]))


@operation("/delete-vm-snapshot", steps=("delete",))
def delete_snapshot(world, body, user):
    chosen = world.query("VmSnapshot", {"where": body["where"]})
    return with_tasks(snapshots.delete(world, user, chosen), deleting=True)


@operation("/rollback-vm", steps=("update",))
def rollback_vm(world, body, user):
    matched = vms.not_recycled(world.query("Vm", {"where": body["where"]}))
    return with_tasks(snapshots.rollback(world, user, matched, body["data"]["snapshot_id"]))


@operation("/rebuild-vm-from-snapshot", steps=CREATING)
def rebuild_vm(world, body, user):
    return with_tasks(vms.create(world, user, [snapshots.rebuild_params(world, p, f"[{i}]")
                                               for i, p in enumerate(body)], TaskKey.RebuildVm))


# VM templates (domain/templates.py)
for _path, _converting in (("/clone-vm-template-from-vm", False), ("/convert-vm-template-from-vm", True)):
    operation(_path, steps=("template",))(
        lambda world, body, user, converting=_converting: with_tasks(templates.from_vms(world, user, body, converting)))


@operation("/clone-vm", steps=CREATING)
def clone_vm(world, body, user):
    planned = [templates.clone_params(world, p, f"[{i}]") for i, p in enumerate(body)]
    return with_tasks(vms.create(world, user, planned, TaskKey.CloneVm))


@operation("/create-vm-from-template", steps=CREATING)
def create_vm_from_template(world, body, user):
    planned = [templates.vm_params(world, p, f"[{i}]", "template_id") for i, p in enumerate(body)]
    return with_tasks(vms.create(world, user, [params for params, _ in planned], TaskKey.CreateVmFromTemplate))


@operation("/convert-vm-template-to-vm", steps=CREATING)
def convert_template_to_vm(world, body, user):
    return with_tasks(templates.to_vms(world, user, body))


@operation("/update-vm-template", steps=("update",))
def update_template(world, body, user):
    chosen = world.query("VmTemplate", {"where": body["where"]})
    return with_tasks(templates.update(world, user, chosen, body.get("data") or {}))


@operation("/delete-vm-template", steps=("delete",))
def delete_template(world, body, user):
    chosen = world.query("VmTemplate", {"where": body["where"]})
    return with_tasks(templates.delete(world, user, chosen), deleting=True)
