"""Every refusal and partial failure of the host maintenance workflow and of the VM operations
(simulator-behaviour.md sections 2-5, cloudtower-api.md sections 3 and 9).

A refusal answers an `ErrorBody` (message, status, path; `code: "ResourceLocked"` for a lock) and leaves the world as it
was: the full `get-vms` and `get-hosts` answers are the same before and after, and no task is recorded. A task that
fails changes the world exactly as far as it got.

Expectations come from the default scenario (mock_server/scenarios/default.yaml) and the rules, worked out by hand:
evacuating node-1 (db-01 96 GiB, web-01 16, web-02 16, license-server 4 with a USB dongle, test-01 8 stopped) onto
node-2 (96 GiB free), node-3 (96 free) and node-4 (72 free), largest VM first onto the host with most free memory
(ties by name): db-01 -> node-2, web-01 -> node-3, web-02 -> node-3, license-server must shut down; test-01, stopped,
goes offline to the host with most free memory then, node-4.
"""

from __future__ import annotations

import uuid as uuidlib

import pytest
import yaml

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import TOKEN, Api, make_client

GIB = 2**30
PRECHECK = "enter-maintenance-mode-precheck"
PRECHECK_RESULT = "enter-maintance-mode-precheck-result"
ENTER = "enter-maintance-mode"
EXIT_PRECHECK = "exit-maintance-mode-precheck-result"
EXIT = "exit-maintance-mode"
# what evacuating node-1 of the default scenario does (see the module docstring)
EVACUATION = {"db-01": "node-2", "web-01": "node-3", "web-02": "node-3", "test-01": "node-4"}
HOST_DERIVED = ("vms", "running_vm_num", "stopped_vm_num", "suspended_vm_num", "vm_num", "provisioned_memory_bytes",
                "running_pause_vm_memory_bytes", "used_memory_bytes", "used_cpu_hz", "provisioned_cpu_cores",
                "host_state")


# --- helpers ----------------------------------------------------------------------------------------------------------

def world(api):
    return {"vms": api.ok("get-vms", {}), "hosts": api.ok("get-hosts", {})}


def tasks(api):
    return api.ok("get-tasks", {})


def manual(api):
    api.clock(mode="manual")


def placement(vms):
    return {v["name"]: ((v["host"] or {}).get("name"), v["status"]) for v in vms}


def assert_error(status_code, body, response, op, status, *mentions, code=None):
    assert status_code == status, body
    assert isinstance(body, dict), body
    assert body["status"] == status
    assert body["path"] == f"/v2/api/{op}"
    assert isinstance(body["message"], str) and body["message"].strip()
    for m in mentions:
        assert m.lower() in body["message"].lower(), (m, body["message"])
    if code is None:
        assert body.get("code") != "ResourceLocked", body
    elif code != "any":  # both a wrong state and a lock hold: either answer is right
        assert body.get("code") == code, body
    assert response.headers.get("x-tower-request-id")


def refused(api, op, body, status, *mentions, code=None):
    """`op` is refused with `status`, an ErrorBody mentioning `mentions`, and neither the world nor the task list
    changes."""
    before, n_tasks = world(api), len(tasks(api))
    status_code, data, r = api(op, body)
    assert_error(status_code, data, r, op, status, *mentions, code=code)
    assert world(api) == before, f"{op} {body} was refused but changed the world"
    assert len(tasks(api)) == n_tasks, f"{op} {body} was refused but recorded a task"
    return data


def enter_body(api, host_name, *vm_names):
    return {"where": {"host_id": api.host(host_name)["id"]},
            "data": {"shutdown_vms": [api.vm(n)["local_id"] for n in vm_names]}}


def precheck(api, host_name):
    return api.ok(PRECHECK, {"where": {"name": host_name}})["task_id"]


def enter_maintenance(api, host_name="node-1"):
    """The documented enter flow in instant mode; returns the enter task id."""
    result = api.ok(PRECHECK_RESULT, {"where": {"task_id": precheck(api, host_name)}})
    assert result["done"] is True
    shutdown = [x["vm_uuid"] for x in result["shutdownVms"]]
    out = api.ok(ENTER, {"where": {"host_id": api.host(host_name)["id"]}, "data": {"shutdown_vms": shutdown}})
    assert api.task(out["task_id"])["status"] == "SUCCESSED"
    assert api.host(host_name)["host_state"]["state"] == "MAINTENANCE_MODE"
    return out["task_id"]


def scenario_api(tmp_path, hosts, vms, mode="instant", name="scenario.yaml"):
    data = {"seed": 11, "start_time": "2026-02-01T09:00:00Z",
            "users": [{"username": "root", "password": "pw", "tokens": [TOKEN]}],
            "clusters": [{"name": "c1", "ip": "10.20.0.10", "hosts": hosts, "vms": vms}]}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return Api(make_client(Settings(scenario=str(path), task_mode=mode)))


def nodes(n, status=None, memory=256, os_memory=32):
    out = [{"name": f"node-{i}", "memory_gib": memory, "os_memory_gib": os_memory} for i in range(1, n + 1)]
    for name, s in (status or {}).items():
        next(h for h in out if h["name"] == name)["status"] = s
    return out


SMALL_VMS = [{"name": f"vm-{i}", "host": f"node-{i}", "status": "RUNNING", "memory_gib": 8, "vcpu": 2} for i in (1, 2)]


def assert_precheck_fails(api, host_name, *mentions):
    """The precheck answers a task id; the task FAILS saying why, precheck-result answers 400 with that reason, and the
    world is as it was."""
    before = world(api)
    task_id = precheck(api, host_name)
    t = api.task(task_id)
    assert t["status"] == "FAILED", t
    assert t["error_message"] and t["error_code"]
    for m in mentions:
        assert m.lower() in t["error_message"].lower(), (m, t["error_message"])
    status_code, body, r = api(PRECHECK_RESULT, {"where": {"task_id": task_id}})
    assert_error(status_code, body, r, PRECHECK_RESULT, 400, *mentions)
    assert t["error_message"] in body["message"]
    assert world(api) == before
    return t


def check_world(api, before, changes):
    """The world is `before` with exactly `changes` (VM name -> (host name, status)) applied: moved VMs differ only in
    `host` and `node_ip`; every other VM is unchanged; hosts agree with where the VMs are, and a host whose VMs did not
    change is unchanged but for `host_state`."""
    after = world(api)
    expected = placement(before["vms"])
    expected.update(changes)
    assert placement(after["vms"]) == expected
    ips = {h["name"]: h["management_ip"] for h in after["hosts"]}
    old = {v["name"]: v for v in before["vms"]}
    for v in after["vms"]:
        b = old[v["name"]]
        if v["name"] not in changes:
            assert v == b, v["name"]
            continue
        if v["status"] == b["status"]:  # moved only
            strip = lambda x: {k: y for k, y in x.items() if k not in ("host", "node_ip")}  # noqa: E731
            assert strip(v) == strip(b), v["name"]
        assert v["node_ip"] == (ips[v["host"]["name"]] if v["host"] else "")
    old_hosts = {h["name"]: h for h in before["hosts"]}
    for h in after["hosts"]:
        mine = [v for v in after["vms"] if v["host"] and v["host"]["name"] == h["name"]]
        assert sorted(x["name"] for x in h["vms"]) == sorted(v["name"] for v in mine), h["name"]
        assert h["vm_num"] == len(mine)
        for status in ("running", "stopped", "suspended"):
            assert h[f"{status}_vm_num"] == sum(v["status"] == status.upper() for v in mine), h["name"]
        assert h["running_pause_vm_memory_bytes"] == sum(v["memory"] for v in mine if v["status"] != "STOPPED")
        b = old_hosts[h["name"]]
        rest = lambda x: {k: y for k, y in x.items() if k not in HOST_DERIVED}  # noqa: E731
        assert rest(h) == rest(b), h["name"]
    return after


# --- enter precheck: refused requests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("where", [{"id": "cnosuchhost000000000000000"}, {"name": "node-9"},
                                   {"name": "node-1", "management_ip": "10.10.0.12"}])
def test_precheck_of_an_unknown_host_is_404(api, where):
    refused(api, PRECHECK, {"where": where}, 404)


@pytest.mark.parametrize("where", [{}, {"name_in": ["node-1", "node-2"]}, {"name_starts_with": "node-"},
                                   {"cluster": {"name": "smtx-prod"}}])
def test_precheck_matching_several_hosts_is_400(api, where):
    refused(api, PRECHECK, {"where": where}, 400)


# --- enter precheck: the task fails ----------------------------------------------------------------------------------

def test_precheck_fails_when_the_host_is_already_in_maintenance(api):
    enter_maintenance(api, "node-1")
    assert_precheck_fails(api, "node-1", "node-1")


def test_precheck_fails_when_the_host_is_entering_maintenance(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    assert api.host("node-1")["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE"
    task_id = precheck(api, "node-1")
    before = world(api)
    api.clock(advance=2.5)  # the precheck is done; the enter task has not finished its first step (3.5 s)
    t = api.task(task_id)
    assert t["status"] == "FAILED" and "node-1" in t["error_message"]
    status_code, body, r = api(PRECHECK_RESULT, {"where": {"task_id": task_id}})
    assert_error(status_code, body, r, PRECHECK_RESULT, 400, "node-1")
    assert world(api) == before


def test_precheck_fails_when_another_host_is_in_maintenance(api):
    enter_maintenance(api, "node-1")
    assert_precheck_fails(api, "node-2", "node-1")


def test_precheck_fails_when_another_host_is_entering_maintenance(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    task_id = precheck(api, "node-3")
    before = world(api)
    api.clock(advance=2.5)
    t = api.task(task_id)
    assert t["status"] == "FAILED" and "node-1" in t["error_message"], t
    status_code, body, r = api(PRECHECK_RESULT, {"where": {"task_id": task_id}})
    assert_error(status_code, body, r, PRECHECK_RESULT, 400, "node-1")
    assert world(api) == before


def test_precheck_fails_when_only_one_other_host_would_stay_in_service(tmp_path):
    api = scenario_api(tmp_path, nodes(2), SMALL_VMS)
    assert_precheck_fails(api, "node-1")


def test_precheck_fails_when_the_third_host_is_out_of_service(tmp_path):
    # three hosts, but node-3 is not healthy: only node-2 would stay in service for node-1's VMs
    api = scenario_api(tmp_path, nodes(3, {"node-3": "CONNECTED_ERROR"}), SMALL_VMS)
    assert_precheck_fails(api, "node-1")


def test_precheck_passes_with_exactly_two_other_hosts(tmp_path):
    """The boundary of the rule above: two other healthy hosts are enough."""
    api = scenario_api(tmp_path, nodes(3), SMALL_VMS)
    task_id = precheck(api, "node-1")
    assert api.task(task_id)["status"] == "SUCCESSED"
    assert api.ok(PRECHECK_RESULT, {"where": {"task_id": task_id}}) == {"done": True, "shutdownVms": []}


def test_precheck_fails_with_a_three_host_cluster_when_a_host_is_in_maintenance(tmp_path):
    api = scenario_api(tmp_path, nodes(3), SMALL_VMS)
    enter_maintenance(api, "node-3")
    assert_precheck_fails(api, "node-1", "node-3")


@pytest.mark.parametrize("status", ["CONNECTED_ERROR", "CONNECTED_WARNING", "SESSION_EXPIRED"])
def test_precheck_fails_when_the_host_is_not_healthy(tmp_path, status):
    api = scenario_api(tmp_path, nodes(4, {"node-1": status}), SMALL_VMS)
    assert_precheck_fails(api, "node-1", status)


# --- precheck result -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task_id", ["cnosuchtask000000000000000", ""])
def test_precheck_result_of_an_unknown_task_is_404(api, task_id):
    refused(api, PRECHECK_RESULT, {"where": {"task_id": task_id}}, 404)


def test_precheck_result_of_a_task_that_is_not_a_precheck_is_400(api):
    start = api.ok("start-vm", {"where": {"name": "template-builder"}})[0]["task_id"]
    refused(api, PRECHECK_RESULT, {"where": {"task_id": start}}, 400)
    enter = enter_maintenance(api, "node-1")
    refused(api, PRECHECK_RESULT, {"where": {"task_id": enter}}, 400)


# --- the seed page's errata ------------------------------------------------------------------------------------------

def test_precheck_result_with_where_id_names_where_task_id(api):
    task_id = precheck(api, "node-1")
    refused(api, PRECHECK_RESULT, {"where": {"id": task_id}}, 400, "where.task_id")


@pytest.mark.parametrize("op", [ENTER, EXIT])
def test_enter_and_exit_with_where_id_name_where_host_id(api, op):
    refused(api, op, {"where": {"id": api.host("node-1")["id"]}, "data": {}}, 400, "where.host_id")


def test_enter_with_shutdown_vms_as_objects_names_the_field(api):
    body = {"where": {"host_id": api.host("node-1")["id"]},
            "data": {"shutdown_vms": [{"vm_uuid": api.vm("license-server")["local_id"]}]}}
    refused(api, ENTER, body, 400, "shutdown_vms", "vm_uuid")


# --- enter: refused at once ------------------------------------------------------------------------------------------

def test_enter_an_unknown_host_is_404(api):
    refused(api, ENTER, {"where": {"host_id": "cnosuchhost000000000000000"}, "data": {}}, 404)


def test_enter_a_host_already_in_maintenance_is_400(api):
    enter_maintenance(api, "node-1")
    refused(api, ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, "node-1")


def test_enter_while_another_host_is_in_maintenance_is_400(api):
    enter_maintenance(api, "node-1")
    refused(api, ENTER, enter_body(api, "node-4", "gpu-render-01"), 400, "node-1")


def test_enter_while_another_host_is_entering_is_400(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    refused(api, ENTER, enter_body(api, "node-4", "gpu-render-01"), 400, "node-1")
    refused(api, ENTER, enter_body(api, "node-1", "license-server"), 400, code="any")


def test_enter_with_too_few_hosts_left_is_400(tmp_path):
    api = scenario_api(tmp_path, nodes(2), SMALL_VMS)
    refused(api, ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400)


def test_enter_an_unhealthy_host_is_400(tmp_path):
    api = scenario_api(tmp_path, nodes(4, {"node-1": "CONNECTED_ERROR"}), SMALL_VMS)
    refused(api, ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, "CONNECTED_ERROR")


@pytest.mark.parametrize("other", ["app-01", "template-builder", "random"])
def test_enter_listing_a_vm_not_on_the_host_is_400(api, other):
    stranger = str(uuidlib.UUID(int=12345)) if other == "random" else api.vm(other)["local_id"]
    body = {"where": {"host_id": api.host("node-1")["id"]},
            "data": {"shutdown_vms": [api.vm("license-server")["local_id"], stranger]}}
    refused(api, ENTER, body, 400, stranger)


def test_enter_listing_a_vm_id_instead_of_its_uuid_is_400(api):
    lic = api.vm("license-server")
    refused(api, ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {"shutdown_vms": [lic["id"]]}}, 400)


def test_enter_while_a_vm_on_the_host_is_locked_is_resource_locked(api):
    manual(api)
    api.ok("shutdown-vm", {"where": {"name": "web-01"}})
    refused(api, ENTER, enter_body(api, "node-1", "license-server"), 400, code="ResourceLocked")
    api.clock(advance=3.5)  # the shutdown is over: the lock is gone
    assert api.vm("web-01")["status"] == "STOPPED"
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))


def test_enter_while_a_migration_onto_the_host_runs_is_resource_locked(api):
    manual(api)
    api.ok("migrate-vm", {"where": {"name": "web-03"}, "data": {"host_id": api.host("node-2")["id"]}})
    refused(api, ENTER, {"where": {"host_id": api.host("node-2")["id"]}, "data": {}}, 400, code="ResourceLocked")


# --- enter: the task fails part way ----------------------------------------------------------------------------------

def test_enter_without_the_host_bound_vm_fails_naming_it(api):
    node1 = api.host("node-1")["id"]
    before = world(api)
    out = api.ok(ENTER, {"where": {"host_id": node1}, "data": {"shutdown_vms": []}})
    assert out["data"]["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE"
    t = api.task(out["task_id"])
    assert t["status"] == "FAILED", t
    assert "license-server" in t["error_message"] and t["error_code"]
    assert t["finished_at"]
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    # largest first: db-01, web-01 and web-02 went before license-server's turn; test-01's offline turn never came
    check_world(api, before, {"db-01": ("node-2", "RUNNING"), "web-01": ("node-3", "RUNNING"),
                              "web-02": ("node-3", "RUNNING")})
    # the locks are gone and the host can try again, this time listing the licence server
    after = api.ok(PRECHECK_RESULT, {"where": {"task_id": precheck(api, "node-1")}})
    assert after == {"done": True, "shutdownVms": [{"vm_uuid": api.vm("license-server")["local_id"]}]}
    again = api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    assert api.task(again["task_id"])["status"] == "SUCCESSED"
    assert api.host("node-1")["host_state"]["state"] == "MAINTENANCE_MODE"
    assert {v["name"] for v in api.host("node-1")["vms"]} == {"license-server"}


def test_enter_without_the_host_bound_vm_in_manual_mode(api):
    manual(api)
    before = world(api)
    out = api.ok(ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}})
    # no shutdown step: db-01 (98 s), web-01 (18 s), web-02 (18 s) end at 0.5 + 134; license-server's turn comes
    # then, and its step (2 + 4 s) cannot succeed: the task has failed by 140.5 s at the latest
    api.clock(advance=134.5 - 0.25)
    assert api.task(out["task_id"])["status"] == "EXECUTING"
    assert api.host("node-1")["host_state"]["state"] == "ENTERING_MAINTENANCE_MODE"
    api.clock(advance=0.25)
    assert placement(world(api)["vms"])["web-02"] == ("node-3", "RUNNING")
    api.clock(advance=6)
    t = api.task(out["task_id"])
    assert t["status"] == "FAILED" and "license-server" in t["error_message"]
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    check_world(api, before, {"db-01": ("node-2", "RUNNING"), "web-01": ("node-3", "RUNNING"),
                              "web-02": ("node-3", "RUNNING")})


def test_enter_fails_naming_a_vm_that_fits_nowhere(tmp_path):
    # node-1 holds 224 GiB; node-2 and node-3 take 96 GiB each: vm-a and vm-b go, vm-c (60) fits nowhere after them
    hosts = [{"name": "node-1", "memory_gib": 256, "os_memory_gib": 32},
             {"name": "node-2", "memory_gib": 128, "os_memory_gib": 32},
             {"name": "node-3", "memory_gib": 128, "os_memory_gib": 32}]
    vms = [{"name": "vm-a", "host": "node-1", "status": "RUNNING", "memory_gib": 80, "vcpu": 8},
           {"name": "vm-b", "host": "node-1", "status": "RUNNING", "memory_gib": 80, "vcpu": 8},
           {"name": "vm-c", "host": "node-1", "status": "RUNNING", "memory_gib": 60, "vcpu": 8},
           {"name": "small-01", "host": "node-1", "status": "RUNNING", "memory_gib": 4, "vcpu": 1}]
    api = scenario_api(tmp_path, hosts, vms)
    plan = api.ok(PRECHECK_RESULT, {"where": {"task_id": precheck(api, "node-1")}})
    assert plan == {"done": True, "shutdownVms": [{"vm_uuid": api.vm("vm-c")["local_id"]}]}
    before = world(api)
    out = api.ok(ENTER, enter_body(api, "node-1", "small-01"))  # vm-c is not listed
    t = api.task(out["task_id"])
    assert t["status"] == "FAILED", t
    assert "vm-c" in t["error_message"]
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    check_world(api, before, {"small-01": ("node-1", "STOPPED"), "vm-a": ("node-2", "RUNNING"),
                              "vm-b": ("node-3", "RUNNING")})


# --- exit: refused at once -------------------------------------------------------------------------------------------

def exit_lists(api, host_name="node-1"):
    r = api.ok(EXIT_PRECHECK, {"where": {"name": host_name}})
    return {"poweron_vms": [x["vm_uuid"] for x in r["shutDownVms"]],
            "live_migrate_back_vms": [x["vm_uuid"] for x in r["liveMigrateVms"]],
            "offline_migrate_back_vms": [x["vm_uuid"] for x in r["offlineMigrateVms"]]}


def test_exit_a_host_never_in_maintenance_is_400(api):
    refused(api, EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, "node-1")
    refused(api, EXIT_PRECHECK, {"where": {"name": "node-1"}}, 400, "node-1")


def test_exit_a_host_still_entering_is_400(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    refused(api, EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, code="any")
    refused(api, EXIT_PRECHECK, {"where": {"name": "node-1"}}, 400, "node-1")


def test_exit_a_host_back_in_service_is_400(api):
    enter_maintenance(api, "node-1")
    api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}})
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    refused(api, EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, "node-1")


def test_exit_an_unknown_host_is_404(api):
    refused(api, EXIT, {"where": {"host_id": "cnosuchhost000000000000000"}, "data": {}}, 404)


@pytest.mark.parametrize("key,name", [("poweron_vms", "db-01"), ("poweron_vms", "test-01"),
                                      ("live_migrate_back_vms", "license-server"),
                                      ("live_migrate_back_vms", "test-01"), ("offline_migrate_back_vms", "web-01"),
                                      ("live_migrate_back_vms", "app-01"), ("poweron_vms", "template-builder"),
                                      ("offline_migrate_back_vms", None)])
def test_exit_with_a_uuid_not_in_the_matching_list_is_400(api, key, name):
    enter_maintenance(api, "node-1")
    stranger = api.vm(name)["local_id"] if name else str(uuidlib.UUID(int=99))
    data = exit_lists(api)
    data[key] = data[key] + [stranger]
    refused(api, EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data}, 400, key)
    assert api.host("node-1")["host_state"]["state"] == "MAINTENANCE_MODE"


def test_exit_with_a_deleted_vm_is_400(api):
    enter_maintenance(api, "node-1")
    data = exit_lists(api)
    test01 = api.vm("test-01")["local_id"]
    assert data["offline_migrate_back_vms"] == [test01]
    api.ok("delete-vm", {"where": {"name": "test-01"}})
    assert api.ok("get-vms", {"where": {"name": "test-01"}}) == []
    refused(api, EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data}, 400, "test-01")
    # without the deleted VM the same exit goes through
    data["offline_migrate_back_vms"] = []
    out = api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data})
    assert api.task(out["task_id"])["status"] == "SUCCESSED"


# --- exit precheck: verify -------------------------------------------------------------------------------------------

def infos(api, host_name="node-1"):
    r = api.ok(EXIT_PRECHECK, {"where": {"name": host_name}})
    return {x["vm_name"]: (kind, x) for kind, items in r.items() for x in items}


def test_exit_precheck_reports_the_enter_task_unchanged(api):
    enter_maintenance(api, "node-1")
    got = infos(api)
    assert {n: k for n, (k, _) in got.items()} == {
        "license-server": "shutDownVms", "db-01": "liveMigrateVms", "web-01": "liveMigrateVms",
        "web-02": "liveMigrateVms", "test-01": "offlineMigrateVms"}
    for name, (kind, x) in got.items():
        assert x["verify"]["changed"] is False and not x["verify"]["reason"], x
        assert x["state"] == "done"
        assert x["vm_uuid"] == api.vm(name)["local_id"]
        assert x["target_host_name"] == EVACUATION.get(name)
    assert got["license-server"][1]["vm_state"] == "stopped"
    assert got["db-01"][1]["vm_state"] == "running"
    assert got["test-01"][1]["vm_state"] == "stopped"
    assert got["license-server"][1]["vm_ha"] is False and got["db-01"][1]["vm_ha"] is True


def test_verify_changed_when_a_migrated_vm_was_deleted(api):
    enter_maintenance(api, "node-1")
    api.ok("delete-vm", {"where": {"name": "test-01"}})
    kind, x = infos(api)["test-01"]
    assert kind == "offlineMigrateVms"
    assert x["vm_state"] == "deleted"
    assert x["verify"]["changed"] is True and x["verify"]["reason"]
    assert infos(api)["db-01"][1]["verify"]["changed"] is False


def test_verify_changed_when_a_migrated_vm_moved_again(api):
    enter_maintenance(api, "node-1")
    api.ok("migrate-vm", {"where": {"name": "web-01"}, "data": {"host_id": api.host("node-4")["id"]}})
    assert api.vm("web-01")["host"]["name"] == "node-4"
    kind, x = infos(api)["web-01"]
    assert kind == "liveMigrateVms"
    assert x["target_host_name"] == "node-3"  # where the enter task took it
    assert x["vm_state"] == "running"
    assert x["verify"]["changed"] is True and x["verify"]["reason"]
    assert infos(api)["web-02"][1]["verify"]["changed"] is False


def test_verify_changed_when_a_migrated_vm_changed_power_state(api):
    enter_maintenance(api, "node-1")
    api.ok("shutdown-vm", {"where": {"name": "web-02"}})
    api.ok("start-vm", {"where": {"name": "test-01"}, "data": {"host_id": api.host("node-4")["id"]}})
    got = infos(api)
    assert got["web-02"][1]["vm_state"] == "stopped"
    assert got["web-02"][1]["verify"]["changed"] is True and got["web-02"][1]["verify"]["reason"]
    assert got["test-01"][1]["vm_state"] == "running"
    assert got["test-01"][1]["verify"]["changed"] is True and got["test-01"][1]["verify"]["reason"]
    assert got["db-01"][1]["verify"]["changed"] is False


# --- exit: a VM that no longer fits -----------------------------------------------------------------------------------

def test_exit_leaves_a_vm_that_no_longer_fits_and_names_it(tmp_path):
    # node-1 (224 GiB) runs big-01 (200) and keeps cold-01 (32, stopped). Evacuated: big-01 -> node-2, cold-01
    # offline -> node-3 (most free). cold-01 is then started on node-3, so both together (232) no longer fit node-1.
    hosts = nodes(4)
    vms = [{"name": "big-01", "host": "node-1", "status": "RUNNING", "memory_gib": 200, "vcpu": 16},
           {"name": "cold-01", "host": "node-1", "status": "STOPPED", "memory_gib": 32, "vcpu": 4}]
    api = scenario_api(tmp_path, hosts, vms)
    enter_maintenance(api, "node-1")
    assert placement(world(api)["vms"]) == {"big-01": ("node-2", "RUNNING"), "cold-01": ("node-3", "STOPPED")}
    api.ok("start-vm", {"where": {"name": "cold-01"}, "data": {"host_id": api.host("node-3")["id"]}})
    got = infos(api)
    assert got["big-01"][0] == "liveMigrateVms" and got["big-01"][1]["verify"]["changed"] is False
    assert got["cold-01"][0] == "offlineMigrateVms" and got["cold-01"][1]["verify"]["changed"] is True
    data = exit_lists(api)
    assert data == {"poweron_vms": [], "live_migrate_back_vms": [api.vm("big-01")["local_id"]],
                    "offline_migrate_back_vms": [api.vm("cold-01")["local_id"]]}
    out = api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data})
    t = api.task(out["task_id"])
    assert t["status"] == "SUCCESSED", t
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    where = placement(world(api)["vms"])
    # one of the two came back; the other could not and stays where it was, named in the task's error_message
    back = [n for n in ("big-01", "cold-01") if where[n][0] == "node-1"]
    assert len(back) == 1, where
    left = "cold-01" if back == ["big-01"] else "big-01"
    assert where[left] == ({"big-01": "node-2", "cold-01": "node-3"}[left], "RUNNING")
    assert where[back[0]][1] == "RUNNING"
    assert t["error_message"] and left in t["error_message"] and back[0] not in t["error_message"]


def test_exit_leaves_a_shut_down_vm_off_when_it_no_longer_fits(tmp_path):
    # node-1 (224 GiB): keep-01 (120, a GPU VM) must shut down, run-01 (100) goes live to node-2, cold-01 (64,
    # stopped) offline to node-3 (most free). cold-01 is then started on node-3. The exit migrates run-01 and cold-01
    # back first (164 GiB), then powers on keep-01: 120 more no longer fit, so it stays off.
    hosts = nodes(4)
    vms = [{"name": "keep-01", "host": "node-1", "status": "RUNNING", "memory_gib": 120, "vcpu": 8,
            "gpu_devices": ["NVIDIA A100"]},
           {"name": "run-01", "host": "node-1", "status": "RUNNING", "memory_gib": 100, "vcpu": 8},
           {"name": "cold-01", "host": "node-1", "status": "STOPPED", "memory_gib": 64, "vcpu": 4}]
    api = scenario_api(tmp_path, hosts, vms)
    enter_maintenance(api, "node-1")
    assert placement(world(api)["vms"]) == {"keep-01": ("node-1", "STOPPED"), "run-01": ("node-2", "RUNNING"),
                                            "cold-01": ("node-3", "STOPPED")}
    api.ok("start-vm", {"where": {"name": "cold-01"}, "data": {"host_id": api.host("node-3")["id"]}})
    data = exit_lists(api)
    assert data["poweron_vms"] == [api.vm("keep-01")["local_id"]]
    out = api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": data})
    t = api.task(out["task_id"])
    assert t["status"] == "SUCCESSED", t
    where = placement(world(api)["vms"])
    # 100 + 64 come back (164 of 224); keep-01 (120) no longer fits and stays off on node-1
    assert where == {"keep-01": ("node-1", "STOPPED"), "run-01": ("node-1", "RUNNING"),
                     "cold-01": ("node-1", "RUNNING")}
    assert "keep-01" in t["error_message"]


# --- VM operations: wrong state ---------------------------------------------------------------------------------------

WRONG_STATE = [
    ("start-vm", ["web-01"], "web-01"),
    ("delete-vm", ["web-01"], "web-01"),
    ("resume-vm", ["web-01"], "web-01"),
    ("shutdown-vm", ["test-01"], "test-01"),
    ("poweroff-vm", ["build-01"], "build-01"),
    ("suspend-vm", ["cache-01"], "cache-01"),
    ("restart-vm", ["test-01"], "test-01"),
    ("migrate-vm", ["cache-01"], "cache-01"),
    ("delete-vm", ["cache-01"], "cache-01"),
    # several matched, the one in the wrong state matched last: nothing may be half applied
    ("start-vm", ["test-01", "build-01", "web-03"], "web-03"),
    ("delete-vm", ["test-01", "build-01", "win-desktop-01"], "win-desktop-01"),
    ("resume-vm", ["cache-01", "ci-runner-02", "gpu-render-01"], "gpu-render-01"),
    ("shutdown-vm", ["db-01", "app-01", "cache-01"], "cache-01"),
    ("suspend-vm", ["web-01", "web-02", "app-03", "ci-runner-02"], "ci-runner-02"),
]


@pytest.mark.parametrize("op,names,bad", WRONG_STATE)
def test_vm_operation_in_the_wrong_state_changes_nothing(api, op, names, bad):
    manual(api)
    assert {v["name"] for v in api.ok("get-vms", {"where": {"name_in": names}})} == set(names)
    before, n_tasks = world(api), len(tasks(api))
    refused(api, op, {"where": {"name_in": names}}, 400, bad)
    api.clock(advance=600)  # nothing was queued either
    assert world(api) == before
    assert len(tasks(api)) == n_tasks


# --- VM operations: placement refusals --------------------------------------------------------------------------------

def test_nothing_starts_on_or_migrates_to_a_host_in_maintenance(api):
    enter_maintenance(api, "node-1")
    node1 = api.host("node-1")["id"]
    refused(api, "start-vm", {"where": {"name": "template-builder"}, "data": {"host_id": node1}}, 400, "node-1")
    refused(api, "start-vm", {"where": {"name": "test-01"}, "data": {"host_id": node1}}, 400, "node-1")
    refused(api, "migrate-vm", {"where": {"name": "web-03"}, "data": {"host_id": node1}}, 400, "node-1")
    refused(api, "migrate-vm", {"where": {"name": "build-01"}, "data": {"host_id": node1}}, 400, "node-1")
    refused(api, "migrate-vm", {"where": {"name": "db-01"}, "data": {"host_id": node1}}, 400, "node-1")
    # the licence server can only run on node-1, which is in maintenance
    refused(api, "start-vm", {"where": {"name": "license-server"}}, 400)


def test_nothing_is_created_on_a_host_in_maintenance(api):
    enter_maintenance(api, "node-1")
    cluster = api.ok("get-clusters", {})[0]["id"]
    params = {"cluster_id": cluster, "name": "new-01", "memory": 4, "memory_unit": "GB", "cpu_cores": 2,
              "cpu_sockets": 1, "vcpu": 2, "status": "RUNNING", "firmware": "BIOS", "ha": True, "vm_nics": [],
              "vm_disks": {}, "host_id": api.host("node-1")["id"]}
    refused(api, "create-vm", [params], 400, "node-1")


def test_nothing_starts_on_or_migrates_to_a_host_entering_maintenance(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    node1 = api.host("node-1")["id"]
    refused(api, "start-vm", {"where": {"name": "template-builder"}, "data": {"host_id": node1}}, 400, code="any")
    refused(api, "migrate-vm", {"where": {"name": "web-03"}, "data": {"host_id": node1}}, 400, code="any")


def test_automatic_placement_avoids_a_host_in_maintenance(api):
    enter_maintenance(api, "node-1")
    # node-1 is empty (224 GiB free) but in maintenance; the others: node-2 0 GiB, node-3 64, node-4 72 free
    out = api.ok("start-vm", {"where": {"name": "template-builder"}})
    assert api.vm("template-builder")["host"]["name"] == "node-4"
    assert api.task(out[0]["task_id"])["status"] == "SUCCESSED"


@pytest.mark.parametrize("name", ["gpu-render-01", "license-server"])
def test_a_host_bound_vm_cannot_live_migrate(api, name):
    refused(api, "migrate-vm", {"where": {"name": name}, "data": {"host_id": api.host("node-3")["id"]}}, 400, name)
    refused(api, "migrate-vm", {"where": {"name": name}}, 400, name)


def test_a_host_bound_vm_among_others_refuses_the_whole_migration(api):
    refused(api, "migrate-vm", {"where": {"name_in": ["web-01", "license-server"]},
                                "data": {"host_id": api.host("node-3")["id"]}}, 400, "license-server")


def test_migrate_to_a_host_without_memory_is_400(api):
    # db-01 needs 96 GiB; node-4 has 224 - 152 = 72 GiB free
    refused(api, "migrate-vm", {"where": {"name": "db-01"}, "data": {"host_id": api.host("node-4")["id"]}}, 400)
    # app-01 needs 64 GiB; node-1 has 92 free: fits (the boundary of the refusal above; node-3 runs app-03, which
    # app-01's anti-affinity group keeps it from)
    out = api.ok("migrate-vm", {"where": {"name": "app-01"}, "data": {"host_id": api.host("node-1")["id"]}})
    assert api.task(out[0]["task_id"])["status"] == "SUCCESSED"
    assert api.vm("app-01")["host"]["name"] == "node-1"
    # now node-1 has 28 GiB free, and app-02 needs 32
    refused(api, "migrate-vm", {"where": {"name": "app-02"}, "data": {"host_id": api.host("node-1")["id"]}}, 400)


def failed_for_memory(api, answer) -> dict:
    """A start no host can hold is no 400: its task fails with the scheduler's words, which SmartX's CAPE reads from
    the task (issue 30; pkg/service/errors.go MemoryInsufficientError)."""
    task = api.task(answer["task_id"])
    assert task["status"] == "FAILED" and task["error_code"] == "HostAvailableMemoryFilter", task
    assert "HostAvailableMemoryFilter" in task["error_message"] and "memory" in task["error_message"], task
    return task


def test_start_on_a_host_without_memory_fails_its_task_with_the_schedulers_words(api):
    # fill node-2 to the last GiB: db-01 (96) onto node-2 (96 free)
    api.ok("migrate-vm", {"where": {"name": "db-01"}, "data": {"host_id": api.host("node-2")["id"]}})
    assert api.host("node-2")["running_pause_vm_memory_bytes"] == 224 * GIB
    before = api.host("node-2")
    [answer] = api.ok("start-vm", {"where": {"name": "template-builder"},
                                   "data": {"host_id": api.host("node-2")["id"]}})
    failed_for_memory(api, answer)
    assert api.vm("template-builder")["status"] == "STOPPED" and api.host("node-2") == before


# --- VM operations: locks --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,data", [("suspend-vm", None), ("poweroff-vm", None), ("restart-vm", None),
                                     ("shutdown-vm", None), ("migrate-vm", {"host_id": None})])
def test_a_second_mutation_of_a_vm_held_by_a_task_is_resource_locked(api, op, data):
    manual(api)
    first = api.ok("shutdown-vm", {"where": {"name": "web-01"}})[0]["task_id"]
    body = {"where": {"name": "web-01"}}
    if data is not None:
        body["data"] = {"host_id": api.host("node-4")["id"]}
    refused(api, op, body, 400, code="ResourceLocked")
    api.clock(advance=3.5)
    assert api.task(first)["status"] == "SUCCESSED"
    assert api.vm("web-01")["status"] == "STOPPED"
    api.ok("start-vm", {"where": {"name": "web-01"}})  # the lock went with the task


def test_a_locked_vm_among_several_refuses_them_all(api):
    manual(api)
    api.ok("suspend-vm", {"where": {"name": "web-02"}})
    refused(api, "shutdown-vm", {"where": {"name_in": ["web-01", "web-02", "web-03"]}}, 400, code="ResourceLocked")


def test_vms_held_by_the_enter_task_are_resource_locked(api):
    manual(api)
    api.ok(ENTER, enter_body(api, "node-1", "license-server"))
    api.clock(advance=10)
    refused(api, "migrate-vm", {"where": {"name": "db-01"}, "data": {"host_id": api.host("node-3")["id"]}}, 400,
            code="ResourceLocked")
    refused(api, "shutdown-vm", {"where": {"name": "web-01"}}, 400, code="ResourceLocked")


def test_the_host_held_by_the_exit_task_is_resource_locked(api):
    enter_maintenance(api, "node-1")
    manual(api)
    api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": exit_lists(api)})
    api.clock(advance=5)  # back in service, db-01 still on its way back, web-01 waiting for its turn
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    refused(api, "migrate-vm", {"where": {"name": "web-01"}, "data": {"host_id": api.host("node-4")["id"]}}, 400,
            code="ResourceLocked")
    refused(api, ENTER, {"where": {"host_id": api.host("node-1")["id"]}, "data": {}}, 400, code="ResourceLocked")


@pytest.mark.parametrize("op,name", [("migrate-vm", "web-03"), ("start-vm", "template-builder"),
                                     ("create-vm", None)])
def test_placing_a_vm_on_the_host_held_by_the_exit_task_is_resource_locked(api, op, name):
    """While the exit task works on node-1 (back in service after its first second, VMs still coming back), nothing
    else may be placed on it: the exit task's VMs must still fit when their turn comes."""
    enter_maintenance(api, "node-1")
    manual(api)
    api.ok(EXIT, {"where": {"host_id": api.host("node-1")["id"]}, "data": exit_lists(api)})
    api.clock(advance=5)
    assert api.host("node-1")["host_state"]["state"] == "IN_USE"
    node1 = api.host("node-1")["id"]
    if op == "create-vm":
        body = [{"cluster_id": api.ok("get-clusters", {})[0]["id"], "name": "new-01", "memory": 4, "memory_unit": "GB",
                 "cpu_cores": 2, "cpu_sockets": 1, "vcpu": 2, "status": "RUNNING", "firmware": "BIOS", "ha": True,
                 "vm_nics": [], "vm_disks": {}, "host_id": node1}]
    else:
        body = {"where": {"name": name}, "data": {"host_id": node1}}
    refused(api, op, body, 400, code="ResourceLocked")


# --- VM operations on several VMs: all or nothing ---------------------------------------------------------------------

def test_migrating_two_vms_onto_one_host_moves_both(api):
    # web-01 and web-02 (16 GiB each) onto node-4 (72 GiB free): one request, one task per VM, both succeed
    before = world(api)
    out = api.ok("migrate-vm", {"where": {"name_in": ["web-01", "web-02"]},
                                "data": {"host_id": api.host("node-4")["id"]}})
    assert sorted(x["data"]["name"] for x in out) == ["web-01", "web-02"]
    assert [api.task(x["task_id"])["status"] for x in out] == ["SUCCESSED", "SUCCESSED"]
    check_world(api, before, {"web-01": ("node-4", "RUNNING"), "web-02": ("node-4", "RUNNING")})


def test_migrating_two_vms_automatically_moves_both(api):
    out = api.ok("migrate-vm", {"where": {"name_in": ["web-01", "web-02"]}})
    assert len(out) == 2
    assert [api.task(x["task_id"])["status"] for x in out] == ["SUCCESSED", "SUCCESSED"]
    where = placement(world(api)["vms"])
    assert where["web-01"][0] != "node-1" and where["web-02"][0] != "node-1"
    for h in world(api)["hosts"]:
        assert h["running_pause_vm_memory_bytes"] <= h["allocatable_memory_bytes"], h["name"]


def test_migrating_two_vms_that_together_do_not_fit_changes_nothing(api):
    # app-01 (64) and analytics-01 (48) each fit node-4 (72 GiB free), together they do not
    refused(api, "migrate-vm", {"where": {"name_in": ["app-01", "analytics-01"]},
                                "data": {"host_id": api.host("node-4")["id"]}}, 400)


def test_starting_two_vms_onto_one_host_starts_both(api):
    out = api.ok("start-vm", {"where": {"name_in": ["test-01", "template-builder"]},
                              "data": {"host_id": api.host("node-4")["id"]}})
    assert [api.task(x["task_id"])["status"] for x in out] == ["SUCCESSED", "SUCCESSED"]
    assert placement(api.ok("get-vms", {"where": {"name_in": ["test-01", "template-builder"]}})) == {
        "test-01": ("node-4", "RUNNING"), "template-builder": ("node-4", "RUNNING")}


def test_starting_two_vms_that_together_do_not_fit_changes_nothing(api):
    api.ok("migrate-vm", {"where": {"name": "app-01"}, "data": {"host_id": api.host("node-4")["id"]}})
    assert api.host("node-4")["running_pause_vm_memory_bytes"] == (152 + 64) * GIB  # 8 GiB free
    # test-01 and template-builder (8 GiB each) each fit node-4, together they do not: the first starts, the
    # second's task fails with the scheduler's words
    first, second = api.ok("start-vm", {"where": {"name_in": ["test-01", "template-builder"]},
                                        "data": {"host_id": api.host("node-4")["id"]}})
    assert api.task(first["task_id"])["status"] == "SUCCESSED"
    failed_for_memory(api, second)
    assert {api.vm(n)["status"] for n in ("test-01", "template-builder")} == {"RUNNING", "STOPPED"}
