"""Tag Host: the reads, and the five maintenance-mode operations (paths spelled as upstream spells them)."""

from ..domain import maintenance
from .registry import operation, reads

reads("Host")


@operation("/enter-maintenance-mode-precheck")
def enter_precheck(world, body, user):
    return {"task_id": maintenance.precheck(world, user, body["where"]).id}


@operation("/enter-maintance-mode-precheck-result", mutation=False)
def enter_precheck_result(world, body, user):
    return maintenance.precheck_result(world, body["where"]["task_id"])


@operation("/enter-maintance-mode")
def enter(world, body, user):
    task_id, host = maintenance.enter(world, user, body["where"]["host_id"], body["data"].get("shutdown_vms") or [])
    return {"task_id": task_id, "data": host}


@operation("/exit-maintance-mode-precheck-result", mutation=False)
def exit_precheck_result(world, body, user):
    return maintenance.exit_precheck_result(world, body["where"])


@operation("/exit-maintance-mode")
def exit_(world, body, user):
    task_id, host = maintenance.exit(world, user, body["where"]["host_id"], body["data"])
    return {"task_id": task_id, "data": host}
