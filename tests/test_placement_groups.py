"""VM placement groups (domain/placement_groups.py): the calls SmartX's CAPE makes, the rules in start, migrate and
maintenance, and the refusals."""

from __future__ import annotations

import pytest

from cloudtower_sim.mock_server.domain.simulator import Settings

from .support import PINNED_START, Api, make_client
from .support import snapshot

GIB = 1024**3


def ids(api, kind, *names):
    return [o["id"] for o in api.ok(f"get-{kind}", {"where": {"name_in": list(names)}, "orderBy": "name_ASC"})]


def host_of(api, name):
    [vm] = api.ok("get-vms", {"where": {"name": name}})
    return vm["host"]["name"] if vm["host"] else None


def small_vms(api, *names, status="STOPPED", settled=True):
    cluster = api.ok("get-clusters")[0]["id"]
    made = api.ok("create-vm", [{"cluster_id": cluster, "name": n, "memory": 2 * GIB, "cpu_cores": 1,
                                 "cpu_sockets": 1, "ha": True, "firmware": "BIOS", "status": status, "vm_nics": [],
                                 "vm_disks": {}} for n in names])
    assert not settled or all(api.task(m["task_id"])["status"] == "SUCCESSED" for m in made)
    return [m["data"]["id"] for m in made]


def group(api, name, vms, **rules):
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.ok("create-vm-placement-group", [{"name": name, "cluster_id": cluster, "enabled": True,
                                                   "vms": {"name_in": vms}, **rules}])
    assert api.task(made["task_id"])["status"] == "SUCCESSED", api.task(made["task_id"])
    return made["data"]


def test_capes_calls_create_find_fill_and_delete_a_group():
    """cluster-api-provider-elf pkg/service/vm.go: CreateVMPlacementGroup, GetVMPlacementGroup,
    AddVMsToPlacementGroup (the whole membership, with the group's settings echoed), DeleteVMPlacementGroupByID."""
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    advance = lambda: api.client.post("/_sim/clock", json={"advance": 5})  # noqa: E731
    small_vms(api, "cp-1", "cp-2", settled=False)
    advance()
    cluster = api.ok("get-clusters")[0]["id"]
    cape = {"name": "cape-managed-cp", "cluster_id": cluster, "enabled": True,
            "description": "This is VM placement group created by CAPE, don't delete it!",
            "vm_host_must_enabled": False, "vm_host_prefer_enabled": False, "vm_vm_policy_enabled": True,
            "vm_vm_policy": "MUST_DIFFERENT"}
    [made] = api.ok("create-vm-placement-group", [cape])
    assert made["data"]["entityAsyncStatus"] == "CREATING"
    advance()
    assert api.task(made["task_id"])["status"] == "SUCCESSED"
    [pg] = api.ok("get-vm-placement-groups", {"where": {"name": "cape-managed-cp"}})
    assert (pg["entityAsyncStatus"], pg["vms"], pg["vm_vm_policy"]) == (None, [], "MUST_DIFFERENT")

    for members in (["cp-1"], ["cp-1", "cp-2"]):  # CAPE adds one VM at a time, sending the set so far
        echoed = {k: pg[k] for k in ("enabled", "description", "vm_host_must_enabled", "vm_host_must_policy",
                                     "vm_host_prefer_enabled", "vm_host_prefer_policy", "vm_vm_policy_enabled",
                                     "vm_vm_policy")}
        [edit] = api.ok("update-vm-placement-group", {"where": {"id": pg["id"]}, "data": {
            **echoed, "vms": {"id_in": ids(api, "vms", *members)}}})
        assert api.ok("get-vm-placement-groups", {"where": {"id": pg["id"]}})[0]["entityAsyncStatus"] == "UPDATING"
        advance()
        assert api.task(edit["task_id"])["status"] == "SUCCESSED"
    [pg] = api.ok("get-vm-placement-groups", {"where": {"id": pg["id"]}})
    assert sorted(v["name"] for v in pg["vms"]) == ["cp-1", "cp-2"]
    assert [g["name"] for g in api.ok("get-vms", {"where": {"name": "cp-2"}})[0]["vm_placement_group"]] == [
        "cape-managed-cp"]

    [twin] = api.ok("create-vm-placement-group", [{**cape, "vm_vm_policy": "PREFER_DIFFERENT"}])
    advance()
    failed = api.task(twin["task_id"])
    assert failed["status"] == "FAILED" and "PLACEMENT_GROUP_DUPLICATE_NAME" in failed["error_message"], failed
    assert len(api.ok("get-vm-placement-groups", {"where": {"name": "cape-managed-cp"}})) == 1

    [gone] = api.ok("delete-vm-placement-group", {"where": {"id": pg["id"]}})
    assert gone["data"] == {"id": pg["id"]}
    assert api.ok("get-vm-placement-groups", {"where": {"id": pg["id"]}})[0]["entityAsyncStatus"] == "DELETING"
    advance()
    assert api.ok("get-vm-placement-groups", {"where": {"id": pg["id"]}}) == []
    assert api.ok("get-vms", {"where": {"name": "cp-1"}})[0]["vm_placement_group"] == []


def test_must_different_spreads_a_batch_start_and_fails_the_one_left_with_the_schedulers_filter(api):
    small_vms(api, "cp-1", "cp-2", "cp-3", "cp-4", "cp-5")
    group(api, "cp", ["cp-1", "cp-2", "cp-3", "cp-4", "cp-5"], vm_vm_policy_enabled=True,
          vm_vm_policy="MUST_DIFFERENT")
    started = api.ok("start-vm", {"where": {"name_in": ["cp-1", "cp-2", "cp-3", "cp-4"]}})
    assert all(api.task(t["task_id"])["status"] == "SUCCESSED" for t in started)
    assert sorted(host_of(api, f"cp-{i}") for i in range(1, 5)) == ["node-1", "node-2", "node-3", "node-4"]
    [fifth] = api.ok("start-vm", {"where": {"name": "cp-5"}})  # four hosts, four members running: no place
    failed = api.task(fifth["task_id"])
    assert failed["status"] == "FAILED" and "PlacementGroupMustFilter" in failed["error_message"], failed
    assert api.ok("get-vms", {"where": {"name": "cp-5"}})[0]["status"] == "STOPPED"
    [moved] = api.ok("migrate-vm", {"where": {"name": "cp-1"}, "data": {"host_id": ids(api, "hosts", host_of(
        api, "cp-2"))[0]}})
    assert "PlacementGroupMustFilter" in api.task(moved["task_id"])["error_message"]


def test_must_same_keeps_members_together_and_a_disabled_group_binds_nothing(api):
    small_vms(api, "pair-1", "pair-2")
    pg = group(api, "pair", ["pair-1", "pair-2"], vm_vm_policy_enabled=True, vm_vm_policy="MUST_SAME")
    [first] = api.ok("start-vm", {"where": {"name": "pair-1"}, "data": {"host_id": ids(api, "hosts", "node-4")[0]}})
    assert api.task(first["task_id"])["status"] == "SUCCESSED"
    [second] = api.ok("start-vm", {"where": {"name": "pair-2"}})  # node-3 has most memory free; the rule wins
    assert api.task(second["task_id"])["status"] == "SUCCESSED" and host_of(api, "pair-2") == "node-4"
    [off] = api.ok("update-vm-placement-group", {"where": {"id": pg["id"]}, "data": {"enabled": False}})
    assert api.task(off["task_id"])["status"] == "SUCCESSED"
    [apart] = api.ok("migrate-vm", {"where": {"name": "pair-2"}, "data": {"host_id": ids(api, "hosts", "node-1")[0]}})
    assert api.task(apart["task_id"])["status"] == "SUCCESSED" and host_of(api, "pair-2") == "node-1"


@pytest.mark.parametrize("policy,where", [(True, ["node-4"]), (False, ["node-1", "node-2", "node-3"])])
def test_a_vm_host_must_rule_chooses_the_host(api, policy, where):
    small_vms(api, "pinned")
    group(api, "pin", ["pinned"], vm_host_must_enabled=True, vm_host_must_policy=policy,
          must_hosts={"name_in": ["node-4"]})
    [started] = api.ok("start-vm", {"where": {"name": "pinned"}})
    assert api.task(started["task_id"])["status"] == "SUCCESSED" and host_of(api, "pinned") in where
    away = "node-1" if policy else "node-4"  # where the rule forbids
    [moved] = api.ok("migrate-vm", {"where": {"name": "pinned"}, "data": {"host_id": ids(api, "hosts", away)[0]}})
    failed = api.task(moved["task_id"])
    assert failed["status"] == "FAILED", failed
    assert f"must {'' if policy else 'not '}run on node-4, not {away}" in failed["error_message"], failed


def test_prefer_rules_order_the_hosts_but_never_refuse(api):
    small_vms(api, "spread-1", "spread-2", "spread-3", "spread-4", "spread-5")
    group(api, "spread", [f"spread-{i}" for i in range(1, 6)], vm_vm_policy_enabled=True,
          vm_vm_policy="PREFER_DIFFERENT", vm_host_prefer_enabled=True, prefer_hosts={"name_in": ["node-4"]})
    [one] = api.ok("start-vm", {"where": {"name": "spread-1"}})
    assert api.task(one["task_id"])["status"] == "SUCCESSED" and host_of(api, "spread-1") == "node-4"  # the least free
    started = api.ok("start-vm", {"where": {"name_in": [f"spread-{i}" for i in range(2, 6)]}})
    assert all(api.task(t["task_id"])["status"] == "SUCCESSED" for t in started)
    hosts = [host_of(api, f"spread-{i}") for i in range(1, 6)]
    assert set(hosts) == {"node-1", "node-2", "node-3", "node-4"}, hosts  # apart where it can be, then doubled


def test_the_default_anti_affinity_group_reroutes_node_2s_evacuation(api):
    [pg] = api.ok("get-vm-placement-groups")
    assert (pg["name"], pg["vm_vm_policy"], sorted(v["name"] for v in pg["vms"])) == (
        "app-anti-affinity", "MUST_DIFFERENT", ["app-01", "app-03"])
    node_2 = ids(api, "hosts", "node-2")[0]
    check = api.ok("enter-maintenance-mode-precheck", {"where": {"id": node_2}})
    assert api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": check["task_id"]}}) == {
        "done": True, "shutdownVms": []}
    entered = api.ok("enter-maintance-mode", {"where": {"host_id": node_2}, "data": {"shutdown_vms": []}})
    assert api.task(entered["task_id"])["status"] == "SUCCESSED"
    # node-3 had the most memory free, but runs app-03
    assert (host_of(api, "app-01"), host_of(api, "app-03")) == ("node-1", "node-3")


def test_a_host_whose_vm_has_nowhere_to_go_by_its_group_fails_the_precheck_with_the_reason(api):
    pg = group(api, "one-per-host", ["web-01", "app-02", "web-03", "monitor-01"], vm_vm_policy_enabled=True,
               vm_vm_policy="MUST_DIFFERENT")
    node_3 = ids(api, "hosts", "node-3")[0]
    check = api.ok("enter-maintenance-mode-precheck", {"where": {"id": node_3}})
    status, answer, _ = api("enter-maintance-mode-precheck-result", {"where": {"task_id": check["task_id"]}})
    assert status == 400 and "web-03 has nowhere to go" in answer["message"], answer
    assert "PlacementGroupMustFilter" in answer["message"] and "one-per-host" in answer["message"]
    assert api.task(check["task_id"])["status"] == "FAILED"
    api.ok("update-vm-placement-group", {"where": {"id": pg["id"]}, "data": {"vm_vm_policy_enabled": False}})
    again = api.ok("enter-maintenance-mode-precheck", {"where": {"id": node_3}})
    assert api.ok("enter-maintance-mode-precheck-result", {"where": {"task_id": again["task_id"]}})["done"]


def test_what_a_group_cannot_be_is_refused_and_changes_nothing(api):
    cluster = api.ok("get-clusters")[0]["id"]
    base = {"name": "g", "cluster_id": cluster, "enabled": True}
    before = snapshot(api.client)
    for body, status, words in (
            ({**base, "cluster_id": "nope"}, 404, "[0].cluster_id: no Cluster"),
            ({**base, "name": " "}, 400, "[0].name: expected a non-empty name"),
            ({**base, "vm_vm_policy_enabled": True}, 400, "[0].vm_vm_policy: vm_vm_policy_enabled is true"),
            ({**base, "vm_host_must_enabled": True}, 400, "[0].must_hosts"),
            ({**base, "vm_host_prefer_enabled": True, "prefer_hosts": {"name": "nope"}}, 400, "[0].prefer_hosts")):
        code, answer, _ = api("create-vm-placement-group", [body])
        assert (code, words in answer["message"]) == (status, True), (body, answer)
    code, answer, _ = api("update-vm-placement-group", {"where": {}, "data": {"name": " "}})
    assert code == 400 and "data.name" in answer["message"], answer
    assert snapshot(api.client) == before


def test_the_official_sdk_drives_a_group(served):
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import ClusterApi, VmPlacementGroupApi
    from cloudtower.utils import login, wait_task

    client = ApiClient(Configuration(host=served(start_time=PINNED_START).base_url))
    try:
        login(client, "root", "HC!r0cks")
        groups = VmPlacementGroupApi(client)
        cluster = ClusterApi(client).get_clusters({})[0].id
        [made] = groups.create_vm_placement_group([{"name": "sdk-pg", "cluster_id": cluster, "enabled": True,
                                                    "vm_vm_policy_enabled": True, "vm_vm_policy": "PREFER_SAME",
                                                    "vms": {"name_in": ["web-01", "web-02"]}}])
        wait_task(made.task_id, client)
        [pg] = groups.get_vm_placement_groups({"where": {"name": "sdk-pg"}})
        assert pg.vm_vm_policy == "PREFER_SAME" and sorted(v.name for v in pg.vms) == ["web-01", "web-02"]
        assert groups.get_vm_placement_groups_connection({}).aggregate.count == 2
        wait_task(groups.delete_vm_placement_group({"where": {"id": pg.id}})[0].task_id, client)
        assert groups.get_vm_placement_groups({"where": {"name": "sdk-pg"}}) == []
    finally:
        client.rest_client.pool_manager.clear()
        client.close()


def test_create_vm_puts_a_batch_into_a_group_and_places_it_by_the_rules(api):
    pg = group(api, "k8s-cp", [], vm_vm_policy_enabled=True, vm_vm_policy="MUST_DIFFERENT")
    cluster = api.ok("get-clusters")[0]["id"]
    made = api.ok("create-vm", [{"cluster_id": cluster, "name": f"cp-{i}", "memory": 2 * GIB, "cpu_cores": 1,
                                 "cpu_sockets": 1, "ha": True, "firmware": "BIOS", "status": "RUNNING",
                                 "vm_nics": [], "vm_disks": {}, "vm_placement_group": {"id": pg["id"]}}
                                for i in range(1, 4)])
    assert [api.task(m["task_id"])["status"] for m in made] == ["SUCCESSED"] * 3
    assert len({host_of(api, f"cp-{i}") for i in range(1, 4)}) == 3  # planned apart within the one request
    [read] = api.ok("get-vm-placement-groups", {"where": {"id": pg["id"]}})
    assert sorted(v["name"] for v in read["vms"]) == ["cp-1", "cp-2", "cp-3"]
    status, answer, _ = api("create-vm", [{"cluster_id": cluster, "name": "cp-9", "memory": 2 * GIB,
                                           "cpu_cores": 1, "cpu_sockets": 1, "ha": True, "firmware": "BIOS",
                                           "status": "STOPPED", "vm_nics": [], "vm_disks": {},
                                           "vm_placement_group": {"name": "nope"}}])
    assert status == 400 and answer["message"].startswith("[0].vm_placement_group: matches 0"), answer


def test_a_vm_may_be_in_several_groups_and_the_stricter_rule_wins(api):
    """Upstream's Vm.vm_placement_group is a list (issue 30, item 6): app-01 and app-03 of app-anti-affinity
    (MUST_DIFFERENT) also join a MUST_SAME group; no host satisfies both, so a start fails with the scheduler's
    words."""
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.ok("create-vm-placement-group", [{"name": "together", "cluster_id": cluster, "enabled": True,
                                                   "vm_vm_policy_enabled": True, "vm_vm_policy": "MUST_SAME",
                                                   "vms": {"name_in": ["app-01", "app-03"]}}])
    api.done([made])
    assert sorted(g["name"] for g in api.vm("app-03")["vm_placement_group"]) == ["app-anti-affinity", "together"]
    api.done(api.ok("poweroff-vm", {"where": {"name": "app-03"}}))
    [started] = api.ok("start-vm", {"where": {"name": "app-03"}})
    task = api.task(started["task_id"])
    assert task["status"] == "FAILED" and "PlacementGroupMustFilter" in task["error_message"], task
    assert api.vm("app-03")["status"] == "STOPPED"
    api.done(api.ok("update-vm-placement-group", {"where": {"name": "together"}, "data": {"enabled": False}}))
    api.done(api.ok("start-vm", {"where": {"name": "app-03"}}))  # the MUST_DIFFERENT rule alone: another host
    assert api.vm("app-03")["host"]["id"] != api.vm("app-01")["host"]["id"]
