"""Tag Host: the reads, and the five maintenance-mode operations (paths spelled as upstream spells them, and the
result keys too: `shutdownVms` on enter, `shutDownVms` on exit)."""

from ..domain import maintenance
from ..domain.maintenance import Move
from .registry import operation, with_task


EXIT_LISTS = {Move.SHUT_DOWN: "shutDownVms", Move.LIVE_MIGRATED: "liveMigrateVms",
              Move.OFFLINE_MIGRATED: "offlineMigrateVms"}


@operation("/enter-maintenance-mode-precheck", steps=("precheck",))
def enter_precheck(world, body, user):
    return {"task_id": maintenance.precheck(world, user, body["where"]).id}


@operation("/enter-maintance-mode-precheck-result", mutation=False)
def enter_precheck_result(world, body, user):
    result = maintenance.precheck_result(world, body["where"]["task_id"])
    return {"done": result.done, "shutdownVms": [{"vm_uuid": uuid} for uuid in result.shutdown_uuids]}


@operation("/enter-maintance-mode", steps=("shutdown:<vm>", "live_migrate:<vm>", "offline_migrate:<vm>",
                                             "maintenance_mode"))
def enter(world, body, user):
    task, host = maintenance.enter(world, user, body["where"]["host_id"], body["data"].get("shutdown_vms") or [])
    return with_task(task, host)


@operation("/exit-maintance-mode-precheck-result", mutation=False)
def exit_precheck_result(world, body, user):
    out = {key: [] for key in ("offlineMigrateVms", "liveMigrateVms", "shutDownVms")}
    for check in maintenance.exit_precheck_result(world, body["where"]):
        m = check.moved
        out[EXIT_LISTS[m.move]].append({
            "vm_uuid": m.uuid, "vm_name": m.name, "vm_ha": m.ha,
            # lower case and free-form, as the doc page shows them ("stopped", "done")
            "vm_state": (check.status_now or "DELETED").lower(), "state": "done",
            "target_host_name": check.target_host_name,
            "verify": {"changed": check.changed, "reason": check.reason}})
    return out


@operation("/exit-maintance-mode", steps=("exit_maintenance_mode", "migrate_back:<vm>", "poweron:<vm>"))
def exit_(world, body, user):
    data = body["data"]
    task, host = maintenance.exit(world, user, body["where"]["host_id"], data.get("poweron_vms") or [],
                                  data.get("live_migrate_back_vms") or [], data.get("offline_migrate_back_vms") or [])
    return with_task(task, host)
