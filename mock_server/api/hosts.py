"""Tag Host: the reads, and the five maintenance-mode operations (paths spelled as upstream spells them)."""

from flask import Blueprint

from ..domain import maintenance
from .reads import register_reads
from .wire import operation

bp = Blueprint("hosts", __name__)
register_reads(bp, "Host")


@operation(bp, "/enter-maintenance-mode-precheck")
def enter_precheck(world, body, user):
    return {"task_id": maintenance.precheck(world, user, body["where"]).id}


@operation(bp, "/enter-maintance-mode-precheck-result")
def enter_precheck_result(world, body, user):
    return maintenance.precheck_result(world, body["where"]["task_id"])


@operation(bp, "/enter-maintance-mode")
def enter(world, body, user):
    task_id, host = maintenance.enter(world, user, body["where"]["host_id"], body["data"].get("shutdown_vms") or [])
    return {"task_id": task_id, "data": host}


@operation(bp, "/exit-maintance-mode-precheck-result")
def exit_precheck_result(world, body, user):
    return maintenance.exit_precheck_result(world, body["where"])


@operation(bp, "/exit-maintance-mode")
def exit_(world, body, user):
    task_id, host = maintenance.exit(world, user, body["where"]["host_id"], body["data"])
    return {"task_id": task_id, "data": host}
