"""Fault injection and the request journal (mock_server/api/faults.py): over HTTP (/_sim/faults, /_sim/requests),
in-process, served, and through the cloudtower_sim fixture."""

from __future__ import annotations

import time

import pytest
import requests

from cloudtower_sim.client import CloudTowerClient, ConnectionFailed, TaskFailed, wsgi_session
from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, TOKEN, Api, make_client


def fault(client, **spec):
    r = client.post("/_sim/faults", json=spec)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def test_a_status_fault_answers_its_error_body_as_many_times_as_asked(api):
    fault_id = fault(api.client, path="/get-vms", status=503, times=2, message="tower restarting")
    assert api.client.get("/_sim/faults").get_json() == [
        {"id": fault_id, "path": "/get-vms", "where": None, "left": 2, "applied": 0, "status": 503,
         "message": "tower restarting"}]
    for _ in range(2):
        code, body, _ = api("get-vms", {})
        assert (code, body["message"], body["status"]) == (503, "tower restarting", 503)
    assert api("get-hosts", {})[0] == 200  # another operation: untouched
    assert api("get-vms", {})[0] == 200  # spent: gone
    assert api.client.get("/_sim/faults").get_json() == []


def test_a_fault_with_where_takes_only_the_requests_it_names(api):
    fault(api.client, path="/shutdown-vm", where={"name": "web-01"}, status=400, code="ResourceLocked",
          message="VM web-01 is locked by task x")
    code, body, _ = api("shutdown-vm", {"where": {"name": "web-02"}})
    assert code == 200
    code, body, _ = api("shutdown-vm", {"where": {"name": "web-01"}})
    assert (code, body["code"]) == (400, "ResourceLocked")
    assert api.ok("get-vms", {"where": {"name": "web-01"}})[0]["status"] == "RUNNING"  # refused: nothing changed


def test_a_task_fault_fails_the_next_task_at_its_step_and_the_client_raises_it():
    client = make_client(Settings(start_time=PINNED_START))
    tower = CloudTowerClient("http://sim/v2/api", token=TOKEN, session=wsgi_session(client.application))
    fault(client, path="/shutdown-vm", task={"error_code": "EVM_SHUTDOWN_TIMEOUT", "error_message": "guest hung"})
    [answer] = tower.shutdown_vm({"name": "web-01"})
    with pytest.raises(TaskFailed) as failed:
        tower.wait_task(answer["task_id"])
    assert (failed.value.code, "guest hung" in str(failed.value)) == ("EVM_SHUTDOWN_TIMEOUT", True)
    assert tower.get_vms({"name": "web-01"})[0]["status"] == "RUNNING"  # failed at its first step: nothing changed
    [again] = tower.shutdown_vm({"name": "web-01"})  # the fault is spent
    assert tower.wait_task(again["task_id"])["status"] == "SUCCESSED"


def test_a_task_fault_at_a_later_step_leaves_what_the_earlier_steps_did(api):
    """create-vm's steps: create, a volume each, finish. Failing at finish leaves the VM and its volume made."""
    fault(api.client, path="/create-vm", task={"error_code": "E", "error_message": "no", "step": "finish"})
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.ok("create-vm", [{
        "name": "f-1", "cluster_id": cluster, "status": "RUNNING", "firmware": "BIOS", "ha": False, "memory": 1,
        "memory_unit": "GB", "cpu_cores": 1, "cpu_sockets": 1, "vm_nics": [], "vm_disks": {"mount_new_create_disks": [
            {"boot": 0, "bus": "VIRTIO", "vm_volume": {"name": "f-1-sys", "size": 1, "size_unit": "GB",
                                                       "elf_storage_policy": "REPLICA_2_THIN_PROVISION"}}]}}])
    [task] = api.ok("get-tasks", {"where": {"id": made["task_id"]}})
    assert (task["status"], task["error_code"]) == ("FAILED", "E")
    [vm] = api.ok("get-vms", {"where": {"name": "f-1"}})
    assert vm["status"] == "STOPPED" and vm["entityAsyncStatus"] is None  # never powered on
    assert [v["name"] for v in api.ok("get-vm-volumes", {"where": {"name": "f-1-sys"}})] == ["f-1-sys"]


def test_a_task_fault_waits_for_a_task_that_has_its_step(api):
    """A step a task of the world decides (one per VM an evacuation moves): an enter of node-1 shuts license-server
    down, so a fault on `live_migrate:license-server` is not this task's and stays set for a later one; an enter of
    node-2 live-migrates app-01, and `live_migrate:app-01` fails it there, the steps before done."""
    def enter(host: str):
        host_id = api.host(host)["id"]
        check = api.ok("enter-maintenance-mode-precheck", {"where": {"id": host_id}})
        result = api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": check["task_id"]}})
        entered = api.ok("enter-maintance-mode", {"where": {"host_id": host_id}, "data": {
            "shutdown_vms": [v["vm_uuid"] for v in result["shutdownVms"]]}})  # (sic: upstream camelCase)
        return api.ok("get-tasks", {"where": {"id": entered["task_id"]}})[0]

    elsewhere = fault(api.client, path="/enter-maintance-mode", task={"error_code": "E", "step":
                                                                      "live_migrate:license-server"})
    task = enter("node-1")
    assert task["status"] == "SUCCESSED" and "shutdown:license-server" in [s["key"] for s in task["steps"]]
    assert [(f["id"], f["left"]) for f in api.client.get("/_sim/faults").get_json()] == [(elsewhere, 1)]
    assert "fault" not in api.client.get("/_sim/requests?path=/enter-maintance-mode").get_json()[-1]
    api.client.delete("/_sim/faults")
    api.ok("exit-maintance-mode-precheck-result", {"where": {"id": api.host("node-1")["id"]}})
    api.ok("exit-maintance-mode", {"where": {"host_id": api.host("node-1")["id"]}, "data": {}})  # one at a time
    fault(api.client, path="/enter-maintance-mode", task={"error_code": "E", "error_message": "no", "step":
                                                          "live_migrate:app-01"})
    task = enter("node-2")
    keys = [s["key"] for s in task["steps"]]
    assert (task["status"], task["error_code"]) == ("FAILED", "E"), keys
    assert [s["key"] for s in task["steps"] if s["finished"]] == keys[:keys.index("live_migrate:app-01")]
    assert api.client.get("/_sim/faults").get_json() == []


def test_a_delay_holds_the_answer_then_answers_as_usual(api):
    fault(api.client, path="/get-version", delay_ms=200)
    started = time.monotonic()
    assert api.client.get("/v2/api/get-version").status_code == 200
    assert time.monotonic() - started >= 0.2  # a lower bound only: a loaded machine is slower, never faster


def test_a_dropped_connection_gets_no_answer_served_or_in_process(served):
    server = served(start_time=PINNED_START)
    requests.post(server.root + "/_sim/faults", json={"path": "/get-vms", "drop": True, "times": 2}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        requests.post(server.base_url + "/get-vms", json={}, headers={"Authorization": TOKEN}, timeout=10)
    tower = CloudTowerClient(server.base_url, token=TOKEN, read_retries=0)  # a read is retried on a drop otherwise
    with pytest.raises(ConnectionFailed):
        tower.get_vms()
    assert len(tower.get_vms()) == 18


def test_the_journal_records_what_was_sent_masked_and_the_tasks_it_started():
    client = make_client(Settings(start_time=PINNED_START, journal_size=3))
    api = Api(client)
    client.post("/v2/api/login", json={"username": "root", "password": "HC!r0cks"})
    [stopped] = api.ok("shutdown-vm", {"where": {"name": "web-01"}})
    api("get-vms", {"where": {"nmae": "x"}})
    journal = client.get("/_sim/requests").get_json()
    assert [(e["path"], e["status"]) for e in journal] == [("/login", 200), ("/shutdown-vm", 200), ("/get-vms", 400)]
    assert journal[0]["body"] == {"username": "root", "password": "***"}
    assert (journal[1]["body"], journal[1]["task_ids"]) == ({"where": {"name": "web-01"}}, [stopped["task_id"]])
    assert client.get("/_sim/requests?path=/get-vms&status=400").get_json() == journal[2:]
    assert client.get("/_sim/requests?method=GET").get_json() == []
    api("get-hosts", {})  # a ring of 3: the oldest goes
    assert [e["path"] for e in client.get("/_sim/requests").get_json()] == ["/shutdown-vm", "/get-vms", "/get-hosts"]
    assert client.delete("/_sim/requests").status_code == 200 and client.get("/_sim/requests").get_json() == []


def test_a_fault_applied_is_journalled_and_faults_are_removed_one_or_all(api):
    first = fault(api.client, path="/get-vms", status=500)
    second = fault(api.client, path="/get-hosts", status=502)
    third = fault(api.client, path="/get-tasks", status=504)
    api("get-vms", {})
    [entry] = api.client.get("/_sim/requests?path=/get-vms").get_json()
    assert (entry["status"], entry["fault"]) == (500, first)
    assert api.client.delete(f"/_sim/faults/{second}").status_code == 200
    assert [f["id"] for f in api.client.get("/_sim/faults").get_json()] == [third]
    r = api.client.delete(f"/_sim/faults/{second}")
    assert (r.status_code, "no fault" in r.get_json()["message"]) == (404, True)
    api.client.delete("/_sim/faults")
    assert api.client.get("/_sim/faults").get_json() == [] and api("get-tasks", {})[0] == 200


@pytest.mark.parametrize("spec, field", [
    ({"status": 503}, "path"), ({"path": "get-vms", "status": 503}, "path"),
    ({"path": "/get-vms"}, "exactly one effect"), ({"path": "/get-vms", "status": 503, "drop": True}, "exactly one"),
    ({"path": "/get-vms", "status": 200}, "status"), ({"path": "/get-vms", "delay_ms": -1}, "delay_ms"),
    ({"path": "/get-vms", "drop": 1}, "drop"), ({"path": "/get-vms", "task": "boom"}, "task"),
    ({"path": "/get-vms", "status": 503, "times": 0}, "times"), ({"path": "/get-vms", "drop": True, "nope": 1}, "nope"),
    ({"path": "/get-vms", "drop": True, "message": "x"}, "message"), ([], "body")])
def test_a_bad_fault_is_refused_naming_the_field(api, spec, field):
    r = api.client.post("/_sim/faults", json=spec)
    assert r.status_code == 400 and field in r.get_json()["message"], r.get_json()
    assert api.client.get("/_sim/faults").get_json() == []


def test_the_fixture_injects_faults_and_reads_the_journal(cloudtower_sim):
    cloudtower_sim.fault("/get-vms", status=503)
    assert [f["path"] for f in cloudtower_sim.faults()] == ["/get-vms"]
    r = requests.post(cloudtower_sim.url + "/get-vms", json={"where": {"name": "db-01"}},
                      headers={"Authorization": cloudtower_sim.token}, timeout=30)
    assert r.status_code == 503
    [entry] = cloudtower_sim.requests(path="/get-vms")
    assert (entry["status"], entry["body"]) == (503, {"where": {"name": "db-01"}})


def test_the_fixture_starts_each_test_without_faults_or_journal(cloudtower_sim):
    assert cloudtower_sim.faults() == [] and cloudtower_sim.requests() == []


def test_an_unmovable_fault_makes_the_precheck_list_the_vm_and_an_enter_moving_it_fail(api):
    [app] = api.ok("get-vms", {"where": {"name": "app-01"}})
    host = app["host"]["id"]
    fault(api.client, path="/enter-maintenance-mode-precheck", unmovable={"vm": "app-01", "reason": "vhost busy"})
    check = api.ok("enter-maintenance-mode-precheck", {"where": {"id": host}})
    result = api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": check["task_id"]}})
    assert app["local_id"] in [v["vm_uuid"] for v in result["shutdownVms"]]  # sic: upstream camelCase
    entered = api.ok("enter-maintance-mode", {"where": {"host_id": host}, "data": {"shutdown_vms": []}})
    [task] = api.ok("get-tasks", {"where": {"id": entered["task_id"]}})
    assert (task["status"], task["error_code"]) == ("FAILED", "MAINTENANCE_VM_UNMOVABLE")
    assert "vhost busy" in task["error_message"]


def test_the_journal_keeps_a_multipart_body_whose_field_has_no_name(client):
    """A form field without a name is keyed None: masking its secrets answered a 500 (found by the contract suite's
    generated invalid uploads)."""
    body = (b'--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nx\r\n--b--\r\n')
    r = client.post("/v2/api/upload-elf-image", data=body, content_type="multipart/form-data; boundary=b",
                    headers={"Authorization": TOKEN})
    assert r.status_code == 400, r.get_data(as_text=True)
    assert client.get("/_sim/requests").get_json()[-1]["status"] == 400


@pytest.mark.parametrize("spec, words", [
    ({"path": "/no-such-op", "status": 503}, "no operation of this path is simulated"),
    ({"path": "/get-cluster-storage-info", "status": 503}, "no operation of this path is simulated"),  # 501s first
    ({"path": "/api/noSuchField", "status": 503}, "no GraphQL root field 'noSuchField'"),
    ({"path": "/get-vms", "task": {"error_code": "X"}}, "/get-vms starts no task"),
    ({"path": "/api/vms", "task": {"error_code": "X"}}, "/api/vms starts no task"),
    ({"path": "/start-vm", "task": {"step": "nope"}}, "its steps are 0 start"),
    ({"path": "/start-vm", "task": {"step": 99}}, "past the last step of a /start-vm task: its steps are 0 start"),
    ({"path": "/restart-vm", "task": {"step": 2}}, "its steps are 0 stop, 1 start"),
    ({"path": "/enter-maintance-mode", "task": {"step": "live_migrate:"}}, "live_migrate:<vm>"),
    ({"path": "/start-vm", "task": {"step": -1}}, "a step's number from 0"),
])
def test_a_fault_that_can_never_fire_is_refused_saying_why_and_what_would_fire(api, spec, words):
    """Issue 35: each of these was answered with an id, then never applied, and a test that set it passed without
    the failure it meant to cause."""
    r = api.client.post("/_sim/faults", json=spec)
    assert r.status_code == 400 and words in r.get_json()["message"], r.get_json()
    assert api.client.get("/_sim/faults").get_json() == []


@pytest.mark.parametrize("spec", [
    {"path": "/enter-maintance-mode", "task": {"step": "live_migrate:web-01"}},  # a name the world decides
    {"path": "/enter-maintance-mode", "task": {"step": 7}},  # one step per VM moved: the world decides how many
    {"path": "/create-vm", "task": {"step": "finish"}}, {"path": "/api/updateVm", "task": {"step": "update"}},
    {"path": "/api/updateVm", "status": 503}, {"path": "/get-version", "delay_ms": 1}])
def test_a_fault_that_can_fire_is_taken(api, spec):
    assert api.client.post("/_sim/faults", json=spec).status_code == 200


def test_each_task_an_operation_starts_has_the_steps_it_declares():
    """The registry's `steps` (what a task fault is checked against) held to the tasks the mutation walk starts:
    every operation that started a task declares steps, each of its tasks' keys matches one of them, and one that
    started none declares none. (Every test's tasks are held to them too: support.held_to_upstream.)"""
    from cloudtower_sim.mock_server.api.registry import simulated

    from .support import undeclared_steps, walk_body, walk_ids, walk_steps, walk_task

    client = make_client(Settings(task_mode="instant"))
    api = Api(client)
    served, last = simulated(), None
    for op, body in walk_steps(walk_ids(api)):
        status, data, _ = api(op[1:], walk_body(api, body, last))
        assert status == 200, (op, data)
        last = walk_task(data, last)
        tasks = [t["task_id"] for t in (data if isinstance(data, list) else [data])
                 if isinstance(t, dict) and t.get("task_id")]
        declared = served[op].steps
        assert (declared is not None) == bool(tasks), (op, declared)
        for task_id in tasks:
            keys = [s["key"] for s in api.ok("get-tasks", {"where": {"id": task_id}})[0]["steps"]]
            assert undeclared_steps(declared, keys) == [], (op, keys, declared)
