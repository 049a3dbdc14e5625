"""What keeps mutating contracts safe on a real cluster: they touch only VMs named with the test prefix and the one
maintenance host they were given; they refuse to start when that is not clear; and they put things back."""

from __future__ import annotations

from cloudtower_sim.client import ServerError
from cloudtower_sim.client.polling import Poll
from cloudtower_sim.contracts.target import Target


def host_state(host: dict) -> str:
    """The maintenance state of a host: IN_USE when CloudTower answers no host_state at all."""
    return (host.get("host_state") or {}).get("state") or "IN_USE"


def find_host(client, id_or_name: str) -> dict | None:
    found = client.get_hosts({"id": id_or_name}) or client.get_hosts({"name": id_or_name})
    return found[0] if len(found) == 1 else None


def prepare(target: Target, maintenance_host: str | None) -> str | None:
    """Resolve the maintenance host and check the ground is clear; answer why not, or None."""
    client = target.client()
    if maintenance_host is None:  # the in-process simulator: its first host
        hosts = client.get_hosts(order_by="name_ASC")
        maintenance_host = hosts[0]["id"] if hosts else None
    host = find_host(client, maintenance_host) if maintenance_host else None
    if host is None:
        return f"--maintenance-host {maintenance_host!r} names no single host"
    if host_state(host) != "IN_USE":
        return f"host {host['name']} is {host_state(host)}, not in service: leave it as you found it"
    if host["status"] != "CONNECTED_HEALTHY":
        return f"host {host['name']} is {host['status']}; maintenance contracts need a healthy host"
    target.maintenance_host = host["id"]
    mine = client.get_vms({"name_starts_with": target.prefix})
    if mine:
        names = ", ".join(v["name"] for v in mine[:5])
        return (f"{len(mine)} VM(s) already carry the prefix {target.prefix!r} ({names}); contracts would operate "
                f"and delete them. Delete them or choose another --test-vm-prefix")
    return None


def restore(target: Target) -> list[str]:
    """Delete the prefix VMs and bring the maintenance host back into service; answer what could not be done. It
    runs past the run's deadline, each wait bounded by the task timeout and stall bound (short ones once the target's
    tasks were seen not to finish)."""
    client = target.client(within_deadline=False)
    left = []
    try:
        on = {"name_starts_with": target.prefix, "status_not": "STOPPED"}
        if client.get_vms(on):  # CloudTower deletes only stopped VMs
            client.wait_tasks([a["task_id"] for a in client.poweroff_vm(on) if a.get("task_id")])
        if client.get_vms({"name_starts_with": target.prefix}):
            answers = client.delete_vm({"name_starts_with": target.prefix})
            client.wait_tasks([a["task_id"] for a in answers if a.get("task_id")])
        left += [f"VM {v['name']} ({v['id']}) still exists" for v in
                 client.get_vms({"name_starts_with": target.prefix})]
    except Exception as e:  # noqa: BLE001 (whatever broke, say what is left)
        left.append(f"deleting the {target.prefix}* VMs failed: {e}")
    if target.maintenance_host:
        try:
            left += _host_back(client, target.maintenance_host)
        except Exception as e:  # noqa: BLE001
            left.append(f"bringing host {target.maintenance_host} out of maintenance failed: {e}")
    return left


def _host_back(client, host_id: str) -> list[str]:
    host = find_host(client, host_id)
    if host is None:
        return [f"host {host_id} is gone"]
    if host_state(host) == "ENTERING_MAINTENANCE_MODE":  # let the running enter task end first
        poll = Poll(client, min(client.task_timeout, client.stall_bound() or client.task_timeout), 0.2)
        while host_state(host) == "ENTERING_MAINTENANCE_MODE" and not poll.over():
            poll.sleep()
            host = find_host(client, host_id)
    left = []
    if host_state(host) == "MAINTENANCE_MODE":
        try:
            client.exit_maintenance_mode(host_id, restore="all")
        except ServerError as e:  # an exit precheck answer of another shape, or none: still bring the host back,
            # which needs no precheck, and say that its VMs were not
            client.wait_task(client.start_exit_maintenance_mode(host_id)["task_id"])
            left.append(f"host {host['name']} was brought out of maintenance without its VMs: its exit precheck "
                        f"answer could not be read ({type(e).__name__}: {e})")
        host = find_host(client, host_id)
    if host_state(host) != "IN_USE":
        left.append(f"host {host['name']} is left {host_state(host)}")
    return left
