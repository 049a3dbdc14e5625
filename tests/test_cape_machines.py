"""Kubernetes machines as SmartX's Cluster API provider (CAPE) makes them (issue 30): its requests, exactly as it sends
them (../shared/reference/cape.md), answered as a real tower answers them."""

from __future__ import annotations

import re

import pytest

from .support import TOKEN, Api, capes_params, make_client

BYPASS = {"x-bypass-whitelist": "true"}  # on every request CAPE sends


@pytest.fixture
def cape():
    api = Api(make_client())
    template = api.one("content-library-vm-templates", {"name": "k8s-node-template"})
    cluster, vlan = api.one("clusters", {"name": "smtx-prod"}), api.one("vlans", {"name": "vlan-100"})
    return api, template, cluster, vlan


def create(api, params) -> tuple[int, object]:
    r = api.client.post("/v2/api/create-vm-from-content-library-template", json=[params],
                        headers={"Authorization": TOKEN, **BYPASS})
    return r.status_code, r.get_json()


# --- item 3: unset means unset ---------------------------------------------------------------------------------------

def test_an_unpinned_mac_is_made_and_each_nic_gets_its_own(cape):
    api, template, cluster, vlan = cape
    nic = {"model": "VIRTIO", "enabled": True, "mirror": False, "connect_vlan_id": vlan["id"], "mac_address": ""}
    status, answer = create(api, capes_params(template, cluster, "sks-mac", vlan, vm_nics=[nic, dict(nic)]))
    assert status == 200, answer
    api.done(answer)
    macs = [n["mac_address"] for n in api.ok("get-vm-nics", {"where": {"vm": {"name": "sks-mac"}},
                                                               "orderBy": "order_ASC"})]
    assert len(macs) == 2 and len(set(macs)) == 2 and all(re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", m) for m in macs)


def test_a_nic_edit_leaves_an_empty_mac_as_it_was_and_names_its_own_fields(cape):
    api, *_ = cape
    [nic] = api.ok("get-vm-nics", {"where": {"vm": {"name": "test-01"}}})
    where = {"where": {"name": "test-01"}}
    api.done(api.ok("update-vm-nic", {**where, "data": {"nic_index": 0, "mac_address": "", "enabled": True}}))
    assert api.one("vm-nics", {"id": nic["id"]})["mac_address"] == nic["mac_address"]
    status, data, _ = api("update-vm-nic", {**where, "data": {"nic_index": 0, "mac_address": "52:54"}})
    assert status == 400 and data["message"].startswith("data.mac_address:"), data
    status, data, _ = api("update-vm-nic", {**where, "data": {"nic_index": 0, "connect_vlan_id": "no-such-vlan"}})
    assert status == 404 and data["message"].startswith("data.connect_vlan_id:") and "vm_nics" not in data["message"]


def test_an_owner_names_a_user_and_an_unknown_one_is_refused_naming_it(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, capes_params(template, cluster, "sks-owned", vlan,
                                              owner={"search_for": "username", "value": "root"}))
    assert status == 200, answer
    before = len(api.ok("get-vms"))
    status, answer = create(api, capes_params(template, cluster, "sks-orphan", vlan,
                                              owner={"search_for": "username", "value": "nobody"}))
    assert status == 404 and "owner" in answer["message"] and "nobody" in answer["message"], answer
    assert len(api.ok("get-vms")) == before


def test_auto_schedule_and_no_gpus_are_what_they_say(cape):
    api, template, cluster, vlan = cape
    status, answer = create(api, capes_params(template, cluster, "sks-auto", vlan, status="RUNNING"))
    assert status == 200, answer
    api.done(answer)
    vm = api.vm("sks-auto")
    assert vm["status"] == "RUNNING" and vm["host"] is not None and vm["gpu_devices"] == []
