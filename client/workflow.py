"""The seed page's maintenance workflow as one call each way, built on the step-by-step methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import wire
from .errors import NotFound, TaskStalled, TaskTimeout
from .polling import Poll
from .types import MaintenanceReport

if TYPE_CHECKING:
    from .core import CloudTowerClient


def _host(client: "CloudTowerClient", host_id: str) -> dict:
    hosts = client.get_hosts({"id": host_id})
    if not hosts:
        raise NotFound(f"no Host with id {host_id!r}", 404)
    return hosts[0]


def wait_precheck(client, task_id: str, timeout: float, poll_interval=None):
    """Poll the precheck result until done, for at most `timeout` seconds, or until its task has not changed for the
    client's stall bound (the task is read once a stall bound: the result says nothing of progress)."""
    poll = Poll(client, timeout, poll_interval)
    while True:
        result = client.enter_maintenance_mode_precheck_result(task_id)
        if result.done:
            poll.ended(task_id)
            return result
        if poll.due():
            task = client.get_task(task_id)
            poll.saw(((task or {}).get("status"), (task or {}).get("progress")))
        poll.wait(task_id, lambda: client.get_task(task_id))


def _moved(client, host_id: str, report: MaintenanceReport) -> None:
    """Fill the report from the exit precheck: CloudTower's own record of what the enter task did."""
    result = client.exit_maintenance_mode_precheck_result({"id": host_id})
    report.shut_down = [v.vm_name for v in result.shut_down_vms]
    report.live_migrated = {v.vm_name: v.target_host_name for v in result.live_migrate_vms}
    report.offline_migrated = {v.vm_name: v.target_host_name for v in result.offline_migrate_vms}


def enter(client, host_id: str, shutdown_vms, timeout: float, poll_interval) -> MaintenanceReport:
    """`timeout` bounds the whole call: the precheck wait and the task wait share it."""
    whole = Poll(client, timeout)
    host = _host(client, host_id)
    if shutdown_vms == "from-precheck":
        task_id = client.enter_maintenance_mode_precheck({"id": host_id})
        shutdown_vms = wait_precheck(client, task_id, timeout, poll_interval).shutdown_vms
    elif isinstance(shutdown_vms, str):
        raise ValueError('shutdown_vms is "from-precheck" or a list of vm_uuid strings')
    answer = client.start_enter_maintenance_mode(host_id, list(shutdown_vms))
    left = max(0.0, timeout - whole.elapsed())
    try:
        task = client.wait_task(answer["task_id"], left, poll_interval)
    except TaskStalled:
        raise
    except TaskTimeout as e:
        raise TaskTimeout(e.task_id, whole.elapsed(), e.last) from None
    report = MaintenanceReport(host_id, host["name"], task)
    _moved(client, host_id, report)
    return report


def exit(client, host_id: str, restore, timeout: float, poll_interval) -> MaintenanceReport:
    host = _host(client, host_id)
    result = client.exit_maintenance_mode_precheck_result({"id": host_id})
    if restore in ("all", "unchanged"):
        keep = (lambda v: v.vm_state != "deleted") if restore == "all" else (lambda v: v.changed is False)
        chosen = {wire.EXIT_INPUT[ours]: [v.vm_uuid for v in getattr(result, ours) if keep(v)]
                  for ours in wire.EXIT_INPUT}
    elif isinstance(restore, dict):
        unknown = set(restore) - set(wire.EXIT_INPUT.values())
        if unknown:
            raise ValueError(f"restore takes {', '.join(wire.EXIT_INPUT.values())}, not {', '.join(sorted(unknown))}")
        chosen = {k: list(restore.get(k, ())) for k in wire.EXIT_INPUT.values()}
    else:
        raise ValueError('restore is "all", "unchanged" or a dict of vm_uuid lists')
    answer = client.start_exit_maintenance_mode(host_id, chosen["poweron_vms"], chosen["live_migrate_back_vms"],
                                                chosen["offline_migrate_back_vms"])
    task = client.wait_task(answer["task_id"], timeout, poll_interval)
    report = MaintenanceReport(host_id, host["name"], task)
    names = {v.vm_uuid: v.vm_name for group in (result.shut_down_vms, result.live_migrate_vms,
                                                result.offline_migrate_vms) for v in group}
    asked = [u for uuids in chosen.values() for u in uuids]
    now = {v["local_id"]: v for v in client.get_vms({"local_id_in": asked})} if asked else {}
    for uuid in asked:
        vm = now.get(uuid)
        back = vm is not None and (vm.get("host") or {}).get("id") == host_id
        if uuid in chosen["poweron_vms"]:
            if back and vm["status"] == "RUNNING":
                report.powered_on.append(vm["name"])
                continue
        elif back:
            target = report.live_migrated if uuid in chosen["live_migrate_back_vms"] else report.offline_migrated
            target[vm["name"]] = host["name"]
            continue
        report.not_restored.append(names.get(uuid, uuid))
    return report
