"""Tag Vm: the reads, the power and placement operations, create and delete."""

from ..domain import vms as ops
from .registry import operation, reads

reads("Vm")


def _with_tasks(started):
    return [{"task_id": task_id, "data": vm} for task_id, vm in started]


def _operate(op):
    def handler(world, body, user):
        matched = world.query("Vm", {"where": body["where"]})
        host_id = (body.get("data") or {}).get("host_id")
        return _with_tasks(ops.operate(world, user, op, matched, host_id))
    return handler


for _path, _op in (("/start-vm", "start"), ("/shutdown-vm", "shutdown"), ("/poweroff-vm", "poweroff"),
                   ("/restart-vm", "restart"), ("/force-restart-vm", "force_restart"), ("/suspend-vm", "suspend"),
                   ("/resume-vm", "resume"), ("/migrate-vm", "migrate")):
    operation(_path)(_operate(_op))


@operation("/create-vm")
def create_vm(world, body, user):
    return _with_tasks(ops.create(world, user, body))


@operation("/delete-vm")
def delete_vm(world, body, user):
    matched = world.query("Vm", {"where": body["where"]})
    return [{"task_id": task_id, "data": {"id": vm.id}} for task_id, vm in ops.operate(world, user, "delete", matched)]
