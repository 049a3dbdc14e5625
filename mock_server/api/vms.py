"""Tag Vm: the reads, the power and placement operations, create and delete."""

from ..domain import vms
from ..domain.states import TaskKey
from .registry import operation, reads

reads("Vm")


def with_tasks(started):
    """`[WithTask_Vm_]`: one task per VM."""
    return [{"task_id": task.id, "data": vm} for task, vm in started]


def _operate(op: TaskKey):
    def handler(world, body, user):
        matched = world.query("Vm", {"where": body["where"]})
        host_id = (body.get("data") or {}).get("host_id")
        return with_tasks(vms.operate(world, user, op, matched, host_id))
    return handler


for _path, _op in (("/start-vm", TaskKey.StartVm), ("/shutdown-vm", TaskKey.ShutDownVm),
                   ("/poweroff-vm", TaskKey.PoweroffVm), ("/restart-vm", TaskKey.RestartVm),
                   ("/force-restart-vm", TaskKey.ForceRestartVm), ("/suspend-vm", TaskKey.SuspendVm),
                   ("/resume-vm", TaskKey.ResumeVm), ("/migrate-vm", TaskKey.MigrateVm)):
    operation(_path)(_operate(_op))


@operation("/create-vm")
def create_vm(world, body, user):
    return with_tasks(vms.create(world, user, body))


@operation("/delete-vm")
def delete_vm(world, body, user):
    matched = world.query("Vm", {"where": body["where"]})
    return [{"task_id": task.id, "data": {"id": vm.id}} for task, vm in vms.operate(world, user, TaskKey.DeleteVm,
                                                                                   matched)]


@operation("/update-vm-basic-info")
def update_vm(world, body, user):
    matched = world.query("Vm", {"where": body["where"]})
    return with_tasks(vms.update(world, user, matched, body["data"]))
