"""What the live page (`GET /_sim/`, api/live.py) shows of the world, in one compact read: each cluster with its
hosts' states, memory and VM counts; the VMs of the hosts the page has open, a page at a time; the tasks running and
the most recent. A closed host is counts only, so a poll each second of a world of 10,000 VMs stays small."""

from __future__ import annotations

from .model import Cluster, Host, Task, Vm
from .world import World

VMS_PER_PAGE = 50
TASKS_SHOWN = 20  # running tasks shown, and as many finished ones


def overview(world: World, opened: dict[str, int]) -> dict:
    """The world as the page shows it. `opened` is what the page has open, each with the page of its VMs it shows
    (from 0): a host by its id, and a cluster's VMs on no host by the cluster's id."""
    return {"clusters": [_cluster(c, opened) for c in world.clusters.values()],
            "vm_num": len(world.vms), "tasks": _tasks(world)}


def _cluster(cluster: Cluster, opened: dict[str, int]) -> dict:
    nowhere = [v for v in cluster.vms if v.host is None]  # stopped VMs no host keeps
    return {"id": cluster.id, "name": cluster.name, "vm_num": cluster.vm_num,
            "hosts": [_host(h, opened) for h in cluster.hosts],
            "unplaced": _vms(cluster.id, nowhere, opened)}


def _host(host: Host, opened: dict[str, int]) -> dict:
    return {"id": host.id, "name": host.name, "status": host.status, "state": host.maintenance_state,
            "total_memory_bytes": host.total_memory_bytes, "used_memory_bytes": int(host.used_memory_bytes),
            "free_memory_bytes": host.free_memory_bytes, **_vms(host.id, host.vms, opened)}


def _vms(key: str, vms: list[Vm], opened: dict[str, int]) -> dict:
    """How many VMs by status, and when `key` is open, one page of them by name."""
    counts = {}
    for vm in vms:
        counts[vm.status] = counts.get(vm.status, 0) + 1
    shown = {"vm_num": len(vms), "vm_counts": counts}
    if key not in opened:
        return shown
    pages = max(1, -(-len(vms) // VMS_PER_PAGE))
    page = min(max(opened[key], 0), pages - 1)
    ordered = sorted(vms, key=lambda v: v.name)[page * VMS_PER_PAGE:(page + 1) * VMS_PER_PAGE]
    return {**shown, "page": page, "pages": pages, "vms": [_vm(v) for v in ordered]}


def _vm(vm: Vm) -> dict:
    return {"id": vm.id, "name": vm.name, "status": vm.status, "memory": vm.memory, "vcpu": vm.vcpu,
            "ips": vm.ips}


def _tasks(world: World) -> dict:
    """The newest running tasks and the newest finished ones (world.tasks keeps creation order)."""
    running, finished = [], []
    for task in reversed(world.tasks.values()):
        kept = finished if task.done else running
        if len(kept) < TASKS_SHOWN:
            kept.append(_task(task))
        if len(running) == len(finished) == TASKS_SHOWN:
            break
    return {"running": running, "recent": finished}


def _task(task: Task) -> dict:
    step = next((s["key"] for s in task.steps if not s["finished"]), None)
    return {"id": task.id, "description": task.description, "status": task.status, "progress": task.progress,
            "step": None if task.done else step, "error_code": task.error_code, "error_message": task.error_message,
            "created": task.local_created_at, "finished": task.finished_at}
