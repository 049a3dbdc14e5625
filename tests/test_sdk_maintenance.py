"""The seed page's maintenance-mode workflow, end to end, through the official Python SDK (cloudtower-sdk), unchanged,
with its client-side validation left on, against the simulator served on a real loopback port in `realtime` mode at a
high speed factor. Also the seed page's erratum on the precheck-result `where` shape, as seen through the SDK."""

from __future__ import annotations

import threading
import time

import pytest
from cloudtower import ApiClient, Configuration
from cloudtower.api import HostApi, TaskApi, VmApi
from cloudtower.exceptions import ApiException
from cloudtower.utils import login, wait_task

from cloudtower_sim.mock_server.schema.spec import VERSIONS

from .support import per_version

SPEED = 50  # simulated seconds per wall second: the whole workflow takes a few seconds of wall time
REQUEST_TIMEOUT = 10  # seconds, for each HTTP request the test makes itself
WORKFLOW_TIMEOUT = 60  # wall seconds for any polling loop or wait_task call


def bounded(fn, *args, timeout=WORKFLOW_TIMEOUT, **kwargs):
    """Run fn(*args, **kwargs) in a daemon thread; fail the test if it has not returned within `timeout` seconds.
    (login and wait_task make requests the test cannot give a timeout to.)"""
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not return within {timeout} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def poll(fn, until, timeout=WORKFLOW_TIMEOUT, interval=0.01, what="condition"):
    """Call fn() until until(result); return every result seen, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        seen.append(value)
        if until(value):
            return seen
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last value: {value!r}")
        time.sleep(interval)


@pytest.fixture(params=per_version(VERSIONS))  # each a realtime round trip of seconds
def sdk(served, request):
    """The SDK logged in to a simulator answering as each served CloudTower API version."""
    s = served(task_mode="realtime", speed=SPEED, api_version=request.param)
    client = ApiClient(Configuration(host=s.base_url))
    assert client.configuration.client_side_validation  # the default, left on
    bounded(login, client, "root", "HC!r0cks", timeout=REQUEST_TIMEOUT)
    assert client.configuration.api_key.get("Authorization")
    yield client
    client.close()


def host_named(hosts: HostApi, name: str):
    [host] = hosts.get_hosts({"where": {"name": name}}, _request_timeout=REQUEST_TIMEOUT)
    return host


def vm_placement(vms: VmApi) -> dict:
    """name -> (host id or None, status) for every VM."""
    return {v.name: (v.host.id if v.host else None, v.status)
            for v in vms.get_vms({}, _request_timeout=REQUEST_TIMEOUT)}


def test_enter_and_exit_maintenance_mode_through_the_sdk(sdk):
    hosts, tasks, vms = HostApi(sdk), TaskApi(sdk), VmApi(sdk)
    node1 = host_named(hosts, "node-1")
    host_id = node1.id
    all_vms = vms.get_vms({}, _request_timeout=REQUEST_TIMEOUT)
    by_name = {v.name: v for v in all_vms}
    before = vm_placement(vms)
    assert len(before) == 18
    assert node1.host_state is None or node1.host_state.state == "IN_USE"
    license_server = by_name["license-server"]
    assert license_server.host.id == host_id and license_server.usb_devices  # host-bound: a USB pass-through

    # 1. Enter precheck (the real method name is enter_maintenance_mode_pre_check), by HostWhereInput.
    precheck = hosts.enter_maintenance_mode_pre_check({"where": {"id": host_id}}, _request_timeout=REQUEST_TIMEOUT)
    assert isinstance(precheck.task_id, str) and precheck.task_id

    # 2. Poll the precheck result by where.task_id until done; at least one poll sees the precheck still running.
    results = poll(lambda: hosts.enter_maintenance_mode_precheck_result(
                       {"where": {"task_id": precheck.task_id}}, _request_timeout=REQUEST_TIMEOUT),
                   until=lambda r: r.done is True, what="the enter precheck to be done")
    assert any(r.done is False for r in results), "no poll saw the precheck running (done == False)"
    for r in results:
        if r.done is False:
            assert r.shutdown_vms == []
    shutdown_uuids = [item.vm_uuid for item in results[-1].shutdown_vms]
    # node-2 and node-3 have room for every other running VM of node-1; only the host-bound licence server must stop.
    assert shutdown_uuids == [license_server.local_id]

    # 3. Enter maintenance mode with the vm_uuids from the precheck (where.host_id, data.shutdown_vms).
    entering = hosts.enter_maintenance_mode({"where": {"host_id": host_id}, "data": {"shutdown_vms": shutdown_uuids}},
                                            _request_timeout=REQUEST_TIMEOUT)
    assert entering.data.id == host_id
    assert entering.data.host_state is not None
    assert entering.data.host_state.state == "ENTERING_MAINTENANCE_MODE"
    enter_task_id = entering.task_id
    assert isinstance(enter_task_id, str) and enter_task_id

    # 4. The task is seen EXECUTING before it ends, then wait_task sees it SUCCESSED.
    statuses = [t.status for t in poll(
        lambda: tasks.get_tasks({"where": {"id": enter_task_id}}, _request_timeout=REQUEST_TIMEOUT)[0],
        until=lambda t: t.status in ("EXECUTING", "SUCCESSED", "FAILED"),
        what="the enter task to start")]
    assert statuses[-1] == "EXECUTING", f"the enter task was never seen EXECUTING before its end: {statuses}"
    assert set(statuses) <= {"PENDING", "EXECUTING"}
    mid = host_named(hosts, "node-1")
    assert mid.host_state.state == "ENTERING_MAINTENANCE_MODE"
    bounded(wait_task, enter_task_id, sdk, interval=0.2, timeout=WORKFLOW_TIMEOUT - 5)
    [enter_task] = tasks.get_tasks({"where": {"id": enter_task_id}}, _request_timeout=REQUEST_TIMEOUT)
    assert enter_task.status == "SUCCESSED" and enter_task.progress == 1.0

    # 5. The host is in maintenance and runs no VM.
    in_maintenance = host_named(hosts, "node-1")
    assert in_maintenance.host_state.state == "MAINTENANCE_MODE"
    assert in_maintenance.host_state.maintenance_job_id == enter_task_id
    assert in_maintenance.running_vm_num == 0 and in_maintenance.suspended_vm_num == 0
    on_host = vms.get_vms({"where": {"host": {"id": host_id}}}, _request_timeout=REQUEST_TIMEOUT)
    assert [v.name for v in on_host if v.status in ("RUNNING", "SUSPENDED")] == []
    during = vm_placement(vms)
    assert during["license-server"][1] == "STOPPED"
    for name in ("db-01", "web-01", "web-02"):
        assert during[name][0] not in (None, host_id) and during[name][1] == "RUNNING", (name, during[name])
    assert during["test-01"][0] not in (None, host_id) and during["test-01"][1] == "STOPPED"

    # 6. Exit precheck result, by HostWhereInput (no task), and the mapping the doc gives.
    exit_check = hosts.exit_maintenance_mode_precheck_result({"where": {"id": host_id}},
                                                             _request_timeout=REQUEST_TIMEOUT)
    poweron = [i.vm_uuid for i in exit_check.shut_down_vms]
    live_back = [i.vm_uuid for i in exit_check.live_migrate_vms]
    offline_back = [i.vm_uuid for i in exit_check.offline_migrate_vms]
    assert poweron == [license_server.local_id]
    assert sorted(live_back) == sorted(by_name[n].local_id for n in ("db-01", "web-01", "web-02"))
    assert offline_back == [by_name["test-01"].local_id]
    for item in exit_check.shut_down_vms + exit_check.live_migrate_vms + exit_check.offline_migrate_vms:
        assert item.state == "done"
        assert item.verify is not None and item.verify.changed is False
    assert exit_check.shut_down_vms[0].target_host_name is None
    assert exit_check.shut_down_vms[0].vm_state == "stopped"

    exiting = hosts.exit_maintenance_mode({"where": {"host_id": host_id},
                                           "data": {"poweron_vms": poweron,
                                                    "live_migrate_back_vms": live_back,
                                                    "offline_migrate_back_vms": offline_back}},
                                          _request_timeout=REQUEST_TIMEOUT)
    assert exiting.data.id == host_id
    exit_task_id = exiting.task_id
    assert isinstance(exit_task_id, str) and exit_task_id and exit_task_id != enter_task_id
    bounded(wait_task, exit_task_id, sdk, interval=0.2, timeout=WORKFLOW_TIMEOUT - 5)
    [exit_task] = tasks.get_tasks({"where": {"id": exit_task_id}}, _request_timeout=REQUEST_TIMEOUT)
    assert exit_task.status == "SUCCESSED"
    assert not exit_task.error_message  # every VM fitted back

    # 7. Back in service; every VM on the host it started on, in the power state it had.
    after_host = host_named(hosts, "node-1")
    assert after_host.host_state is not None and after_host.host_state.state == "IN_USE"
    after = vm_placement(vms)
    assert after == before


def test_seed_page_erratum_precheck_result_where_id_is_400_naming_task_id(sdk):
    hosts = HostApi(sdk)
    host_id = host_named(hosts, "node-1").id
    precheck = hosts.enter_maintenance_mode_pre_check({"where": {"id": host_id}}, _request_timeout=REQUEST_TIMEOUT)
    task_id = precheck.task_id
    assert task_id

    # The seed page sends {"where": {"id": task_id}}; the spec (and the SDK's model) require where.task_id.
    with pytest.raises(ApiException) as e:
        hosts.enter_maintenance_mode_precheck_result({"where": {"id": task_id}}, _request_timeout=REQUEST_TIMEOUT)
    assert e.value.status == 400
    body = e.value.body.decode() if isinstance(e.value.body, bytes) else str(e.value.body)
    assert "task_id" in body

    # The spec's shape still works for the same task.
    result = hosts.enter_maintenance_mode_precheck_result({"where": {"task_id": task_id}},
                                                          _request_timeout=REQUEST_TIMEOUT)
    assert result.done in (True, False)
