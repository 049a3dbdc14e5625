"""CloudTowerClient against the simulator: every method, over both transports (in-process WSGI and a real loopback
port), checked against the world as get-vms reports it afterwards; the typed errors; retries of reads only."""

from __future__ import annotations

import json

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from cloudtower_sim.client import (BadRequest, CloudTowerClient, CloudTowerError, ConnectionFailed, NotFound,
                                   NotSimulated, ResourceLocked, ServerError, Unauthorized, WSGIAdapter, wsgi_session)
from cloudtower_sim.client import wire
from cloudtower_sim.client.types import EnterMaintenanceModeResult, ExitMaintenanceModeResult, MaintenanceModeVmInfo
from cloudtower_sim.mock_server.api import create_app
from cloudtower_sim.mock_server.domain.simulator import Settings
from cloudtower_sim.mock_server.schema.spec import Spec

from .support import TOKEN

GIB = 1024**3
HOSTS = ["node-1", "node-2", "node-3", "node-4"]
NODE1_VMS = ["db-01", "license-server", "test-01", "web-01", "web-02"]


class Sleeps(list):
    """A `sleep` that records the seconds it was asked for and never sleeps."""

    def __call__(self, seconds):
        self.append(seconds)


# --- the two transports ---------------------------------------------------------------------------------------------
@pytest.fixture(params=["wsgi", "http"])
def connect(request, served):
    """connect(token=TOKEN, username=None, password=None, **settings) -> a CloudTowerClient on a fresh simulator,
    in-process (wsgi) or over a real loopback port (http). `client.sleeps` records retry sleeps."""
    sessions = []

    def make(token=TOKEN, username=None, password=None, **settings):
        if request.param == "wsgi":
            session, base = wsgi_session(create_app(Settings(**settings))), "http://sim/v2/api"
        else:
            session, base = requests.Session(), served(**settings).base_url
        sessions.append(session)
        sleeps = Sleeps()
        c = CloudTowerClient(base, token=token, username=username, password=password, session=session,
                             sleep=sleeps, timeout=10)
        c.sleeps = sleeps
        return c

    make.transport = request.param
    yield make
    for s in sessions:
        s.close()


@pytest.fixture
def c(connect):
    return connect()


def control(c: CloudTowerClient, path: str, body: dict) -> dict:
    """POST to the simulator's control API through the client's own session."""
    root = c.base_url[: -len("/v2/api")]
    r = c.session.post(f"{root}/_sim/{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def world(c: CloudTowerClient) -> dict:
    """{vm name: (status, host name or None)} as get-vms reports it."""
    return {v["name"]: (v["status"], (v.get("host") or {}).get("name")) for v in c.get_vms()}


def host_ids(c: CloudTowerClient) -> dict:
    return {h["name"]: h["id"] for h in c.get_hosts()}


def vm_by_name(c: CloudTowerClient, name: str) -> dict:
    found = c.get_vms({"name": name})
    assert len(found) == 1, (name, found)
    return found[0]


def most_free_host(c: CloudTowerClient, exclude=()) -> str:
    """The host automatic placement should pick: most free memory, ties by name (simulator-behaviour.md §4)."""
    hosts = [h for h in c.get_hosts() if h["name"] not in exclude]
    best = min(hosts, key=lambda h: (-(h["allocatable_memory_bytes"] - h["running_pause_vm_memory_bytes"]),
                                     h["name"]))
    return best["name"]


def record_request_ids(c: CloudTowerClient) -> list:
    """Every x-tower-request-id the session receives from now on, in order."""
    seen = []
    c.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.headers.get("x-tower-request-id")))
    return seen


# --- login and version ----------------------------------------------------------------------------------------------
def test_login_with_username_and_password(connect):
    c = connect(token=None, username="root", password="HC!r0cks")
    assert isinstance(c.token, str) and c.token and c.token != TOKEN
    assert len(c.get_vms()) == 18
    again = c.login("root", "HC!r0cks")
    assert again == c.token and again


def test_login_with_the_scenario_token(connect):
    c = connect(token=TOKEN)
    assert c.token == TOKEN
    assert c.count_vms() == 18


def test_login_with_a_wrong_password_is_bad_request(connect):
    with pytest.raises(BadRequest) as e:
        connect(token=None, username="root", password="wrong")
    assert e.value.status == 400 and e.value.path == "/v2/api/login"


def test_no_token_is_unauthorized(connect):
    c = connect(token=None)
    with pytest.raises(Unauthorized) as e:
        c.get_vms()
    assert e.value.status == 401


def test_get_version_needs_no_token(connect):
    c = connect(token=None)
    assert c.get_version() == "4.6.0"


# --- reads ----------------------------------------------------------------------------------------------------------
def test_clusters(c):
    clusters = c.get_clusters()
    assert [x["name"] for x in clusters] == ["smtx-prod"]
    assert clusters[0]["host_num"] == 4 and clusters[0]["vm_num"] == 18
    assert c.count_clusters() == 1
    assert c.get_clusters(where={"name": "nope"}) == [] and c.count_clusters(where={"name": "nope"}) == 0
    assert c.get_clusters(where={"id": clusters[0]["id"]})[0]["name"] == "smtx-prod"


def test_hosts_where_order_and_paging(c):
    assert [h["name"] for h in c.get_hosts(order_by="name_ASC")] == HOSTS
    assert [h["name"] for h in c.get_hosts(order_by="name_DESC")] == HOSTS[::-1]
    assert [h["name"] for h in c.get_hosts(order_by="name_ASC", first=2, skip=1)] == ["node-2", "node-3"]
    assert [h["name"] for h in c.get_hosts(order_by="name_ASC", last=1)] == ["node-4"]
    ordered = c.get_hosts(order_by="name_ASC")
    assert [h["name"] for h in c.get_hosts(order_by="name_ASC", after=ordered[1]["id"])] == ["node-3", "node-4"]
    assert [h["name"] for h in c.get_hosts(order_by="name_ASC", before=ordered[2]["id"])] == ["node-1", "node-2"]
    assert c.count_hosts() == 4
    assert c.count_hosts(where={"name_in": ["node-1", "node-3", "nope"]}) == 2
    assert c.count_hosts(where={"total_cpu_cores": 48}) == 1
    node1 = c.get_hosts(where={"name": "node-1"})[0]
    assert sorted(v["name"] for v in node1["vms"]) == NODE1_VMS
    assert node1["running_vm_num"] == 4


def test_vms_where_order_and_paging(c):
    on_node1 = c.get_vms(where={"host": {"name": "node-1"}})
    assert sorted(v["name"] for v in on_node1) == NODE1_VMS
    assert c.count_vms(where={"host": {"name": "node-1"}}) == 5
    assert c.count_vms(where={"status": "RUNNING"}) == 13
    assert c.count_vms(where={"status": "SUSPENDED"}) == 2
    assert c.count_vms(where={"status_in": ["STOPPED", "SUSPENDED"]}) == 5
    by_memory = c.get_vms(order_by="memory_DESC")
    assert by_memory[0]["name"] == "db-01" and len(by_memory) == 18
    assert [v["memory"] for v in by_memory] == sorted((v["memory"] for v in by_memory), reverse=True)
    assert [v["name"] for v in c.get_vms(order_by="memory_DESC", first=1)] == ["db-01"]
    assert [v["memory"] for v in c.get_vms(order_by="memory_ASC", first=3)] == [4 * GIB, 8 * GIB, 8 * GIB]
    full = c.get_vms(order_by="name_ASC")
    names = [v["name"] for v in full]
    assert names == sorted(names) and len(names) == 18
    assert [v["name"] for v in c.get_vms(order_by="name_ASC", after=full[4]["id"], first=3)] == names[5:8]
    assert [v["name"] for v in c.get_vms(order_by="name_ASC", last=2)] == names[-2:]
    assert [v["name"] for v in c.get_vms(order_by="name_ASC", skip=16)] == names[16:]
    assert c.count_vms(where={"name_starts_with": "web-"}) == 3
    # walking the whole list page by page with the `after` cursor gives every VM once, in order
    walked, cursor = [], None
    while True:
        page = c.get_vms(order_by="name_ASC", first=5, after=cursor)
        if not page:
            break
        walked += [v["name"] for v in page]
        cursor = page[-1]["id"]
    assert walked == names


QUERIES = [dict(), "where", dict(order_by="id_DESC", first=2), dict(order_by="id_ASC", skip=1),
           dict(order_by="id_ASC", last=1), dict(where={"id_in": []})]
WHERE = {"clusters": ("name", "smtx"), "hosts": ("name", "-1"), "vms": ("name", "-0"), "tasks": ("description", "web")}


@pytest.mark.parametrize("kind", ["clusters", "hosts", "vms", "tasks"])
@pytest.mark.parametrize("query", QUERIES, ids=["all", "where", "first", "skip", "last", "none"])
def test_count_agrees_with_the_list(c, kind, query):
    c.shutdown_vm({"name_in": ["web-01", "web-02", "web-03"]})  # three tasks to read
    c.suspend_vm({"name": "app-02"})
    by_where = query == "where"
    field, part = WHERE[kind]
    if by_where:
        query = dict(where={f"{field}_contains": part})
    listed = getattr(c, f"get_{kind}")(**query)
    assert getattr(c, f"count_{kind}")(**query) == len(listed)
    if by_where:
        everything = getattr(c, f"get_{kind}")()
        assert [x["id"] for x in listed] == [x["id"] for x in everything if part in x[field]]
        assert 0 < len(listed) < len(everything) or kind == "clusters"
    if "first" in query:
        everything = getattr(c, f"get_{kind}")(order_by="id_DESC")
        assert [x["id"] for x in listed] == [x["id"] for x in everything][:2]
    if query.get("where") == {"id_in": []}:
        assert listed == []


def test_tasks_reads(c):
    assert c.count_tasks() == 0 and c.get_tasks() == []
    first = c.shutdown_vm({"name": "web-01"})[0]["task_id"]
    second = c.suspend_vm({"name": "app-02"})[0]["task_id"]
    assert c.count_tasks() == 2
    assert {t["id"] for t in c.get_tasks()} == {first, second}
    assert c.count_tasks(where={"status": "SUCCESSED"}) == 2
    web01 = vm_by_name(c, "web-01")
    assert [t["id"] for t in c.get_tasks(where={"resource_id": web01["id"]})] == [first]
    assert [t["id"] for t in c.get_tasks(where={"description_contains": "app-02"})] == [second]
    assert len(c.get_tasks(first=1)) == 1 and c.count_tasks(where={"status": "FAILED"}) == 0
    task = c.get_task(first)
    assert task["id"] == first and task["status"] == "SUCCESSED" and task["description"] == "Shut down VM web-01"
    assert c.get_task("no-such-task") is None


# --- VM operations, checked against the whole world afterwards ------------------------------------------------------
OPERATIONS = [
    # (method, vm, host name for data.host_id, expected (status, host) of the VM afterwards; host "auto": placement)
    ("start_vm", "test-01", None, ("RUNNING", "node-1")),  # starts where it last ran
    ("start_vm", "template-builder", "node-3", ("RUNNING", "node-3")),
    ("start_vm", "template-builder", None, ("RUNNING", "auto")),
    ("shutdown_vm", "web-01", None, ("STOPPED", "node-1")),
    ("poweroff_vm", "web-03", None, ("STOPPED", "node-3")),
    ("poweroff_vm", "cache-01", None, ("STOPPED", "node-2")),  # suspended: forced off
    ("restart_vm", "app-03", None, ("RUNNING", "node-3")),
    ("force_restart_vm", "monitor-01", None, ("RUNNING", "node-4")),
    ("suspend_vm", "app-02", None, ("SUSPENDED", "node-2")),
    ("resume_vm", "ci-runner-02", None, ("RUNNING", "node-4")),
    ("migrate_vm", "web-01", "node-3", ("RUNNING", "node-3")),
    ("migrate_vm", "web-01", None, ("RUNNING", "auto")),
    ("migrate_vm", "test-01", "node-4", ("STOPPED", "node-4")),  # offline
    ("migrate_vm", "build-01", None, ("STOPPED", "auto")),
]


@pytest.mark.parametrize("method,vm,to,expected", OPERATIONS,
                         ids=[f"{m}-{v}-{t or 'auto'}" for m, v, t, _ in OPERATIONS])
def test_vm_operation(c, method, vm, to, expected):
    before = world(c)
    status, host = expected
    if host == "auto":
        current = before[vm][1]
        host = most_free_host(c, exclude=(current,) if method == "migrate_vm" else ())
    kwargs = {"host_id": host_ids(c)[to]} if to else {}
    answer = getattr(c, method)({"name": vm}, **kwargs)
    assert len(answer) == 1 and answer[0]["data"]["name"] == vm and answer[0]["task_id"]
    task = c.wait_task(answer[0]["task_id"])
    assert task["status"] == "SUCCESSED" and task["resource_id"] == answer[0]["data"]["id"]
    after = world(c)
    assert after == {**before, vm: (status, host)}


def test_vm_operation_on_several_vms(c):
    before = world(c)
    answer = c.shutdown_vm({"name_in": ["web-01", "web-02", "web-03"]})
    assert sorted(a["data"]["name"] for a in answer) == ["web-01", "web-02", "web-03"]
    assert len({a["task_id"] for a in answer}) == 3
    done = c.wait_tasks([a["task_id"] for a in answer])
    assert all(t["status"] == "SUCCESSED" for t in done.values())
    assert world(c) == {**before, "web-01": ("STOPPED", "node-1"), "web-02": ("STOPPED", "node-1"),
                        "web-03": ("STOPPED", "node-3")}


def test_vm_operation_refused_for_one_changes_nothing(c):
    before = world(c)
    with pytest.raises(BadRequest) as e:
        c.shutdown_vm({"name_in": ["web-01", "test-01"]})  # test-01 is STOPPED
    assert type(e.value) is BadRequest and "test-01" in e.value.message
    assert world(c) == before and c.count_tasks() == 0


def test_create_vm(c):
    before = world(c)
    cluster = c.get_clusters()[0]["id"]
    common = {"cluster_id": cluster, "cpu_cores": 2, "cpu_sockets": 1, "ha": True, "firmware": "BIOS",
              "vm_nics": [], "vm_disks": {}}
    answer = c.create_vm({**common, "name": "new-running", "memory": 4, "memory_unit": "GB", "status": "RUNNING",
                          "host_id": host_ids(c)["node-3"]},
                         {**common, "name": "new-stopped", "memory": 2 * GIB, "status": "STOPPED"})
    assert [a["data"]["name"] for a in answer] == ["new-running", "new-stopped"]
    c.wait_tasks([a["task_id"] for a in answer])
    assert world(c) == {**before, "new-running": ("RUNNING", "node-3"), "new-stopped": ("STOPPED", None)}
    assert vm_by_name(c, "new-running")["memory"] == 4 * GIB
    assert vm_by_name(c, "new-stopped")["vcpu"] == 2
    assert c.count_vms() == 20


def test_delete_vm(c):
    before = world(c)
    answer = c.delete_vm({"name": "build-01"})
    assert len(answer) == 1 and answer[0]["task_id"]
    c.wait_task(answer[0]["task_id"])
    expected = dict(before)
    del expected["build-01"]
    assert world(c) == expected
    assert c.count_vms() == 17 and c.get_vms({"name": "build-01"}) == []
    answer = c.delete_vm({"name": "test-01"}, include_snapshots=True)
    c.wait_task(answer[0]["task_id"])
    assert "test-01" not in world(c) and c.count_vms() == 16


def test_delete_vm_answers_the_deleted_vms_id(c):
    vm = vm_by_name(c, "build-01")
    answer = c.delete_vm({"name": "build-01"})
    assert answer[0]["data"]["id"] == vm["id"]


def test_delete_running_vm_is_refused(c):
    before = world(c)
    with pytest.raises(BadRequest) as e:
        c.delete_vm({"name": "web-01"})
    assert e.value.status == 400 and "web-01" in e.value.message
    assert world(c) == before


# --- maintenance mode, step by step ---------------------------------------------------------------------------------
def test_maintenance_step_by_step(c):
    before = world(c)
    ids = host_ids(c)
    node1 = ids["node-1"]
    uuids = {v["name"]: v["local_id"] for v in c.get_vms()}

    task_id = c.enter_maintenance_mode_precheck({"id": node1})
    assert isinstance(task_id, str) and task_id
    result = c.enter_maintenance_mode_precheck_result(task_id)
    assert isinstance(result, EnterMaintenanceModeResult)
    assert result.done is True and result.shutdown_vms == [uuids["license-server"]]

    answer = c.start_enter_maintenance_mode(node1, result.shutdown_vms)
    assert answer["data"]["id"] == node1 and answer["data"]["name"] == "node-1"
    assert answer["data"]["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE"
    task = c.wait_task(answer["task_id"])
    assert task["status"] == "SUCCESSED"
    host = c.get_hosts({"id": node1})[0]
    assert host["host_state"]["state"] == "MAINTENANCE_MODE"
    assert host["host_state"]["maintenance_job_id"] == answer["task_id"]
    during = world(c)
    assert c.count_vms(where={"host": {"id": node1}, "status_not": "STOPPED"}) == 0
    assert during["license-server"] == ("STOPPED", "node-1")

    exit_result = c.exit_maintenance_mode_precheck_result({"id": node1})
    assert isinstance(exit_result, ExitMaintenanceModeResult)
    assert all(isinstance(i, MaintenanceModeVmInfo) for g in (exit_result.shut_down_vms, exit_result.live_migrate_vms,
                                                               exit_result.offline_migrate_vms) for i in g)
    assert [v.vm_name for v in exit_result.shut_down_vms] == ["license-server"]
    assert exit_result.shut_down_vms[0].target_host_name is None
    assert exit_result.shut_down_vms[0].vm_uuid == uuids["license-server"]
    live = {v.vm_name: v for v in exit_result.live_migrate_vms}
    offline = {v.vm_name: v for v in exit_result.offline_migrate_vms}
    assert set(live) == {"db-01", "web-01", "web-02"} and set(offline) == {"test-01"}
    for info in [*live.values(), *offline.values()]:
        status, where = during[info.vm_name]
        assert info.target_host_name == where and where != "node-1"
        assert info.vm_state == status.lower() and info.state == "done"
        assert info.changed is False and info.vm_uuid == uuids[info.vm_name]

    answer = c.start_exit_maintenance_mode(node1, [v.vm_uuid for v in exit_result.shut_down_vms],
                                           [v.vm_uuid for v in exit_result.live_migrate_vms],
                                           [v.vm_uuid for v in exit_result.offline_migrate_vms])
    assert answer["data"]["id"] == node1
    task = c.wait_task(answer["task_id"])
    assert task["status"] == "SUCCESSED" and not task["error_message"]
    assert c.get_hosts({"id": node1})[0]["host_state"]["state"] == "IN_USE"
    assert world(c) == before


def test_a_host_in_maintenance_takes_no_vms(c):
    node1 = host_ids(c)["node-1"]
    c.enter_maintenance_mode(node1)
    before = world(c)
    cluster = c.get_clusters()[0]["id"]
    refused = [
        lambda: c.start_vm({"name": "template-builder"}, host_id=node1),
        lambda: c.migrate_vm({"name": "app-02"}, host_id=node1),
        lambda: c.migrate_vm({"name": "build-01"}, host_id=node1),
        lambda: c.start_vm({"name": "license-server"}),  # bound to node-1 by its dongle
        lambda: c.create_vm({"cluster_id": cluster, "name": "x", "memory": 1, "memory_unit": "GB", "cpu_cores": 1,
                             "cpu_sockets": 1, "ha": True, "firmware": "BIOS", "status": "RUNNING",
                             "vm_nics": [], "vm_disks": {}, "host_id": node1}),
    ]
    for call in refused:
        with pytest.raises(BadRequest) as e:
            call()
        assert type(e.value) is BadRequest and e.value.status == 400
    assert world(c) == before
    # automatic placement avoids it
    c.wait_task(c.start_vm({"name": "template-builder"})[0]["task_id"])
    assert world(c)["template-builder"][1] not in ("node-1", None)


def test_precheck_result_while_running_in_manual_mode(connect):
    c = connect(task_mode="manual")
    task_id = c.enter_maintenance_mode_precheck({"name": "node-1"})
    assert c.enter_maintenance_mode_precheck_result(task_id) == EnterMaintenanceModeResult(False, [])
    control(c, "clock", {"advance": 2.6})  # queue 0.5 s + precheck 2 s
    result = c.enter_maintenance_mode_precheck_result(task_id)
    assert result.done is True and result.shutdown_vms == [vm_by_name(c, "license-server")["local_id"]]


def test_precheck_result_of_a_task_that_is_no_precheck(c):
    task_id = c.shutdown_vm({"name": "web-01"})[0]["task_id"]
    with pytest.raises(BadRequest) as e:
        c.enter_maintenance_mode_precheck_result(task_id)
    assert e.value.status == 400 and e.value.path == "/v2/api/enter-maintance-mode-precheck-result"


def test_an_answer_of_another_shape_is_a_server_error_naming_what_is_missing(c, monkeypatch):
    """A changed API or a proxy in the way: the tower's error, said as one, not a KeyError of the client."""
    monkeypatch.setattr(c, "call", lambda path, body=None, **kw: {"shutdownVms": [], "liveMigrateVms": [],
                                                                    "offlineMigrateVms": []})
    with pytest.raises(ServerError, match="exit-maintance-mode-precheck-result .*KeyError: 'shutDownVms'") as e:
        c.exit_maintenance_mode_precheck_result({"name": "node-1"})
    assert e.value.body == {"shutdownVms": [], "liveMigrateVms": [], "offlineMigrateVms": []}
    monkeypatch.setattr(c, "call", lambda path, body=None, **kw: {"done": True, "shutdownVms": None})
    with pytest.raises(ServerError, match="enter-maintance-mode-precheck-result .*TypeError"):
        c.enter_maintenance_mode_precheck_result("task-1")
    monkeypatch.setattr(c, "call", lambda path, body=None, **kw: {"data": {}})
    with pytest.raises(ServerError, match="login .*KeyError: 'token'"):
        c.login("root", "HC!r0cks")
    monkeypatch.setattr(c, "call", lambda path, body=None, **kw: {"aggregate": None})
    with pytest.raises(ServerError, match="get-vms-connection .*TypeError"):
        c.count_vms()


def test_exit_precheck_of_a_host_in_service_is_bad_request(c):
    with pytest.raises(BadRequest) as e:
        c.exit_maintenance_mode_precheck_result({"name": "node-2"})
    assert "node-2" in e.value.message


def test_enter_with_a_uuid_not_on_the_host_is_bad_request(c):
    before = world(c)
    with pytest.raises(BadRequest) as e:
        c.start_enter_maintenance_mode(host_ids(c)["node-1"], [vm_by_name(c, "app-01")["local_id"]])
    assert e.value.status == 400 and "shutdown_vms" in e.value.message
    assert world(c) == before
    assert c.get_hosts({"name": "node-1"})[0]["host_state"] is None


# --- errors: type, status, message, path, request id ----------------------------------------------------------------
ERRORS = [
    # (what, call, exception type, status, path)
    ("wrong-state", lambda c: c.start_vm({"name": "web-01"}), BadRequest, 400, "/v2/api/start-vm"),
    ("unknown-host-enter", lambda c: c.start_enter_maintenance_mode("nope"), NotFound, 404,
     "/v2/api/enter-maintance-mode"),
    ("unknown-host-exit", lambda c: c.start_exit_maintenance_mode("nope"), NotFound, 404,
     "/v2/api/exit-maintance-mode"),
    ("unknown-host-precheck", lambda c: c.enter_maintenance_mode_precheck({"name": "nope"}), NotFound, 404,
     "/v2/api/enter-maintenance-mode-precheck"),
    ("unknown-host-exit-precheck", lambda c: c.exit_maintenance_mode_precheck_result({"name": "nope"}), NotFound,
     404, "/v2/api/exit-maintance-mode-precheck-result"),
    ("unknown-precheck-task", lambda c: c.enter_maintenance_mode_precheck_result("nope"), NotFound, 404,
     "/v2/api/enter-maintance-mode-precheck-result"),
    ("migrate-to-unknown-host", lambda c: c.migrate_vm({"name": "web-01"}, host_id="nope"), NotFound, 404,
     "/v2/api/migrate-vm"),
    ("not-simulated", lambda c: c.call("/get-users", {}), NotSimulated, 501, "/v2/api/get-users"),
    ("no-such-path", lambda c: c.call("/get-nothing-at-all", {}), NotFound, 404, "/v2/api/get-nothing-at-all"),
]


@pytest.mark.parametrize("what,call,cls,status,path", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_answers(c, what, call, cls, status, path):
    request_ids = record_request_ids(c)
    with pytest.raises(CloudTowerError) as e:
        call(c)
    err = e.value
    assert type(err) is cls
    assert err.status == status and err.path == path
    assert isinstance(err.message, str) and err.message
    assert err.request_id and err.request_id == request_ids[-1]
    assert err.operation == path[len("/v2/api"):]
    assert err.request_id in str(err) and path in str(err)
    if what in ("unknown-host-enter", "unknown-host-exit", "unknown-precheck-task", "migrate-to-unknown-host"):
        assert "nope" in err.message  # the id that names nothing


def test_workflow_on_an_unknown_host_is_not_found(c):
    with pytest.raises(NotFound):
        c.enter_maintenance_mode("nope")
    with pytest.raises(NotFound):
        c.exit_maintenance_mode("nope")


def test_workflow_enter_on_a_second_host_is_refused(c):
    c.enter_maintenance_mode(host_ids(c)["node-1"])
    before = world(c)
    with pytest.raises(CloudTowerError) as e:
        c.enter_maintenance_mode(host_ids(c)["node-2"])
    assert "node-1" in e.value.message and "one host" in e.value.message
    assert world(c) == before
    assert c.get_hosts({"name": "node-2"})[0]["host_state"] is None


def test_not_simulated_is_a_server_error_naming_the_operation(c):
    with pytest.raises(ServerError) as e:
        c.call("/get-users", {})
    assert isinstance(e.value, NotSimulated) and "GetUsers" in e.value.message


def test_wrong_state_names_the_vm_and_its_state(c):
    with pytest.raises(BadRequest) as e:
        c.start_vm({"name": "web-01"})
    assert type(e.value) is BadRequest and e.value.code is None
    assert "web-01" in e.value.message and "RUNNING" in e.value.message


def test_bad_token_is_unauthorized_with_request_id(connect):
    c = connect(token="not-a-token")
    request_ids = record_request_ids(c)
    with pytest.raises(Unauthorized) as e:
        c.get_vms()
    assert e.value.status == 401 and e.value.path == "/v2/api/get-vms"
    assert e.value.message and e.value.request_id == request_ids[-1]
    assert c.get_version() == "4.6.0"  # no token needed


def test_request_id_matches_a_raw_call(c):
    """The same failing call made raw answers the same kind of ErrorBody with its own x-tower-request-id."""
    raw = c.session.post(c.base_url + "/start-vm", json={"where": {"name": "web-01"}},
                         headers={"Authorization": TOKEN}, timeout=10)
    assert raw.status_code == 400 and raw.headers["x-tower-request-id"]
    with pytest.raises(BadRequest) as e:
        c.start_vm({"name": "web-01"})
    assert e.value.body == {**raw.json()}
    assert e.value.request_id != raw.headers["x-tower-request-id"]  # one id per request


def test_resource_locked_in_manual_mode(connect):
    c = connect(task_mode="manual")
    request_ids = record_request_ids(c)
    task_id = c.shutdown_vm({"name": "web-01"})[0]["task_id"]
    with pytest.raises(ResourceLocked) as e:
        c.poweroff_vm({"name": "web-01"})
    err = e.value
    assert isinstance(err, BadRequest) and err.code == "ResourceLocked" and err.status == 400
    assert err.path == "/v2/api/poweroff-vm" and err.request_id == request_ids[-1]
    assert task_id in err.message and "web-01" in err.message
    with pytest.raises(ResourceLocked):
        c.migrate_vm({"name": "web-01"}, host_id=host_ids(c)["node-3"])
    assert world(c)["web-01"] == ("RUNNING", "node-1")
    control(c, "clock", {"advance": 3.5})
    assert c.get_task(task_id)["status"] == "SUCCESSED"
    assert world(c)["web-01"] == ("STOPPED", "node-1")
    with pytest.raises(BadRequest) as e:  # unlocked now: refused for its state, not the lock
        c.poweroff_vm({"name": "web-01"})
    assert type(e.value) is BadRequest and e.value.code is None


def test_vms_of_a_host_entering_maintenance_are_locked(connect):
    c = connect(task_mode="manual")
    node1 = host_ids(c)["node-1"]
    answer = c.start_enter_maintenance_mode(node1, [vm_by_name(c, "license-server")["local_id"]])
    for call in (lambda: c.shutdown_vm({"name": "web-01"}), lambda: c.start_vm({"name": "test-01"}),
                 lambda: c.delete_vm({"name": "test-01"})):
        with pytest.raises(ResourceLocked) as e:
            call()
        assert answer["task_id"] in e.value.message
    with pytest.raises(BadRequest) as e:  # another host: refused for the one-at-a-time rule, not a lock
        c.start_enter_maintenance_mode(host_ids(c)["node-2"])
    assert type(e.value) is BadRequest and "node-1" in e.value.message
    assert world(c)["web-01"] == ("RUNNING", "node-1")


def test_reset_through_the_control_api(c):
    c.shutdown_vm({"name": "web-01"})
    assert world(c)["web-01"][0] == "STOPPED"
    control(c, "reset", {})
    assert world(c)["web-01"][0] == "RUNNING" and c.count_tasks() == 0


# --- connection failures and retries --------------------------------------------------------------------------------
CLOSED = "http://127.0.0.1:9/v2/api"


def test_connection_failed_names_the_url():
    sleeps = Sleeps()
    c = CloudTowerClient(CLOSED, token=TOKEN, sleep=sleeps, timeout=5)
    with pytest.raises(ConnectionFailed) as e:
        c.get_vms()
    err = e.value
    assert CLOSED + "/get-vms" in str(err) and err.url == CLOSED + "/get-vms"
    assert isinstance(err.cause, requests.ConnectionError) and isinstance(err, CloudTowerError)
    assert err.status is None and err.request_id is None
    assert sleeps == [0.1, 0.2]  # a read is retried read_retries (2) times
    sleeps.clear()
    with pytest.raises(ConnectionFailed) as e:
        c.shutdown_vm({"name": "web-01"})
    assert e.value.url == CLOSED + "/shutdown-vm" and sleeps == []  # a mutation is not


class Flaky(BaseAdapter):
    """Fails the first `failures` requests (a connection error, or an answer with `status`), then hands the rest
    to `inner`; records every request's path."""

    def __init__(self, inner, failures=1, status=None):
        super().__init__()
        self.inner, self.failures, self.status, self.calls = inner, failures, status, []

    def send(self, request, **kwargs):
        self.calls.append(request.path_url)
        if len(self.calls) > self.failures:
            return self.inner.send(request, **kwargs)
        if self.status is None:
            raise requests.ConnectionError("connection reset by the fake adapter")
        response = requests.Response()
        response.status_code, response.reason = self.status, "Failing"
        response.headers = CaseInsensitiveDict({"content-type": "application/json",
                                                "x-tower-request-id": f"fake-{len(self.calls)}"})
        response._content = json.dumps({"message": "the fake adapter fails", "status": self.status,
                                        "path": request.path_url}).encode()
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self):
        pass


def flaky_client(failures=1, status=None, **kw):
    session = requests.Session()
    adapter = Flaky(WSGIAdapter(create_app(Settings())), failures, status)
    session.mount("http://", adapter)
    sleeps = Sleeps()
    c = CloudTowerClient("http://sim/v2/api", token=TOKEN, session=session, sleep=sleeps, **kw)
    return c, adapter, sleeps


@pytest.mark.parametrize("status", [None, 502, 503, 504], ids=["connection-error", "502", "503", "504"])
def test_reads_are_retried(status):
    c, adapter, sleeps = flaky_client(failures=1, status=status)
    assert len(c.get_vms()) == 18
    assert adapter.calls == ["/v2/api/get-vms"] * 2 and sleeps == [0.1]


def test_reads_are_retried_with_growing_sleeps():
    c, adapter, sleeps = flaky_client(failures=2, status=503)
    assert c.count_vms() == 18
    assert adapter.calls == ["/v2/api/get-vms-connection"] * 3 and sleeps == [0.1, 0.2]


@pytest.mark.parametrize("status,cls", [(None, ConnectionFailed), (503, ServerError)], ids=["connection", "503"])
def test_reads_give_up_after_read_retries(status, cls):
    c, adapter, sleeps = flaky_client(failures=10, status=status)
    with pytest.raises(cls) as e:
        c.get_hosts()
    assert len(adapter.calls) == 3 and sleeps == [0.1, 0.2]
    if status:
        assert e.value.status == 503 and e.value.request_id == "fake-3"
    c, adapter, sleeps = flaky_client(failures=10, status=status, read_retries=0)
    with pytest.raises(cls):
        c.get_hosts()
    assert len(adapter.calls) == 1 and sleeps == []


def test_a_500_read_is_not_retried():
    c, adapter, sleeps = flaky_client(failures=1, status=500)
    with pytest.raises(ServerError) as e:
        c.get_vms()
    assert e.value.status == 500 and len(adapter.calls) == 1 and sleeps == []


@pytest.mark.parametrize("status,cls", [(None, ConnectionFailed), (503, ServerError), (502, ServerError)],
                         ids=["connection", "503", "502"])
def test_mutations_are_not_retried(status, cls):
    c, adapter, sleeps = flaky_client(failures=1, status=status)
    with pytest.raises(cls) as e:
        c.shutdown_vm({"name": "web-01"})
    assert adapter.calls == ["/v2/api/shutdown-vm"] and sleeps == []
    if status:
        assert type(e.value) is ServerError and e.value.status == status and e.value.request_id == "fake-1"
    else:
        assert e.value.url == "http://sim/v2/api/shutdown-vm"
    # the simulator never saw the mutation
    assert world(c)["web-01"] == ("RUNNING", "node-1") and c.count_tasks() == 0


class Canned(BaseAdapter):
    """Answers every request with one canned response."""

    def __init__(self, status, content_type, content):
        super().__init__()
        self.status, self.content_type, self.content = status, content_type, content

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = self.status
        response.headers = CaseInsensitiveDict({"content-type": self.content_type, "x-tower-request-id": "canned"})
        response._content = self.content.encode()
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self):
        pass


def canned_client(status, content_type, content):
    session = requests.Session()
    session.mount("http://", Canned(status, content_type, content))
    return CloudTowerClient("http://proxy/v2/api", token=TOKEN, session=session, sleep=Sleeps())


def test_a_non_json_success_is_a_server_error():
    c = canned_client(200, "text/html", "<html>login portal</html>")
    with pytest.raises(ServerError) as e:
        c.get_clusters()
    assert "login portal" in e.value.message and e.value.status == 200 and e.value.request_id == "canned"
    assert e.value.path.endswith("/get-clusters")


def test_a_non_json_error_keeps_its_status_and_text():
    c = canned_client(404, "text/html", "<html>not here</html>")
    with pytest.raises(NotFound) as e:
        c.shutdown_vm({"name": "web-01"})
    assert e.value.status == 404 and "not here" in e.value.message and e.value.request_id == "canned"
    # an answer that is no ErrorBody (a proxy's page) must still say which call failed
    assert e.value.path is not None and e.value.path.endswith("/shutdown-vm"), e.value.path
    c = canned_client(403, "application/json", '{"message": "forbidden here", "status": 403, "path": "/x"}')
    with pytest.raises(CloudTowerError) as e:
        c.get_vms()
    assert type(e.value).__name__ == "Forbidden" and e.value.message == "forbidden here" and e.value.path == "/x"


def test_login_is_not_retried():
    c, adapter, sleeps = flaky_client(failures=1)
    with pytest.raises(ConnectionFailed):
        c.login("root", "HC!r0cks")
    assert adapter.calls == ["/v2/api/login"] and sleeps == []


# --- TLS verification -----------------------------------------------------------------------------------------------
def test_verify():
    assert CloudTowerClient("https://tower.example/v2/api").session.verify is True
    assert CloudTowerClient("https://tower.example/v2/api", verify=False).session.verify is False
    session = requests.Session()
    assert CloudTowerClient("https://tower.example/v2/api", session=session, verify=False).session is session
    assert session.verify is False


def test_base_url_trailing_slash(c):
    other = CloudTowerClient(c.base_url + "/", token=TOKEN, session=c.session)
    assert other.base_url == c.base_url and other.count_hosts() == 4


def test_the_clients_read_paths_are_the_extracts():
    """client/reads.json (the client imports nothing of the simulator) is what `cloudtower-sim extract` makes of the
    newest extract: every read the simulator serves, under upstream's paths."""
    assert wire.READS_FILE.read_text() == wire.reads_text(Spec.load().reads.values()), (
        "client/reads.json is stale: run cloudtower-sim extract")
    assert wire.READS["vm_snapshots"] == ("/get-vm-snapshots", "/get-vm-snapshots-connection")
    assert wire.READS["vdses"] == ("/get-vdses", "/get-vdses-connection")
