"""Simulated time starts now unless pinned, creation stamps always increase, and ids are cuids that order by creation
(issue 11 items 6 and 7)."""

import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from cloudtower_sim.mock_server.domain.clock import parse_time
from cloudtower_sim.mock_server.domain.scenario import ScenarioError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from .support import PINNED_START, Api, make_client

CUID = re.compile(r"^c[0-9a-z]{24}$")


def stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_time_starts_at_the_wall_clock_by_default():
    before = time.time()
    api = Api(make_client(Settings()))
    now = datetime.fromtimestamp(before, timezone.utc)
    assert len(api.ok("get-vms", {"where": {"local_created_at_gte": stamp(now - timedelta(hours=1))}})) == 18
    assert api.ok("get-vms", {"where": {"local_created_at_gt": stamp(now + timedelta(hours=1))}}) == []


def test_a_start_time_pins_it_and_the_setting_wins_over_the_scenario(tmp_path):
    assert Simulator(Settings(start_time=PINNED_START)).world.clock.now() == parse_time(PINNED_START)
    scenario = tmp_path / "pinned.yaml"
    scenario.write_text('start_time: "2025-06-01T00:00:00+08:00"\n')
    assert Simulator(Settings(scenario=str(scenario))).world.clock.now() == parse_time("2025-05-31T16:00:00Z")
    assert Simulator(Settings(scenario=str(scenario), start_time=PINNED_START)).world.clock.now() == parse_time(
        PINNED_START)


@pytest.mark.parametrize("where", ["scenario", "setting"])
def test_a_start_time_without_a_timezone_is_refused(tmp_path, where):
    scenario = tmp_path / "naive.yaml"
    scenario.write_text('start_time: "2026-01-01T08:00:00"\n' if where == "scenario" else "seed: 1\n")
    settings = Settings(scenario=str(scenario), start_time="2026-01-01T08:00:00" if where == "setting" else None)
    with pytest.raises(ScenarioError, match="has no timezone"):
        Simulator(settings)


def test_objects_created_one_after_another_never_share_an_instant():
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    cluster = api.ok("get-clusters")[0]["id"]
    made = api.ok("create-vm", [{"cluster_id": cluster, "name": f"n{i}", "ha": True, "firmware": "BIOS",
                                 "status": "STOPPED", "memory": 1, "memory_unit": "GB", "cpu_cores": 1,
                                 "cpu_sockets": 1, "vm_nics": [], "vm_disks": {}} for i in range(3)])
    batch = api.ok("poweroff-vm", {"where": {"name_starts_with": "web-"}})
    vms = api.ok("get-vms", {"where": {"name_starts_with": "n"}, "orderBy": "local_created_at_ASC"})
    stamps = [v["local_created_at"] for v in vms]
    assert stamps == sorted(set(stamps)), "two VMs created one after another share a creation instant"
    assert [v["name"] for v in vms] == ["n0", "n1", "n2"]
    tasks = api.ok("get-tasks", {"orderBy": "local_created_at_DESC"})
    assert len({t["local_created_at"] for t in tasks}) == len(tasks) == 3 + len(batch)
    assert tasks[0]["id"] == batch[-1]["task_id"]  # the newest first
    assert made[0]["data"]["local_created_at"] < made[-1]["data"]["local_created_at"]


def test_ids_are_cuids_that_order_by_creation():
    api = Api(make_client(Settings(start_time=PINNED_START, task_mode="manual")))
    vms = api.ok("get-vms")  # in creation order
    assert all(CUID.match(v["id"]) for v in vms)
    assert [v["id"] for v in vms] == sorted(v["id"] for v in vms)
    api.ok("poweroff-vm", {"where": {"name": "web-01"}})
    cluster = api.ok("get-clusters")[0]["id"]
    [made] = api.ok("create-vm", [{"cluster_id": cluster, "name": "newest", "ha": True, "firmware": "BIOS",
                                   "status": "STOPPED", "memory": 1, "memory_unit": "GB", "cpu_cores": 1,
                                   "cpu_sockets": 1, "vm_nics": [], "vm_disks": {}}])
    assert api.ok("get-vms", {"orderBy": "id_DESC", "first": 1})[0]["name"] == "newest"
    [newest_task] = api.ok("get-tasks", {"orderBy": "id_DESC", "first": 1})
    assert newest_task["id"] == made["task_id"]


def test_ids_stay_the_same_for_a_scenario_and_seed_whatever_the_start_time():
    ids = lambda start: [v.id for v in Simulator(Settings(start_time=start)).world.vms.values()]  # noqa: E731
    assert ids(PINNED_START) == ids("2030-05-05T05:05:05Z") == ids(None)
    assert ids(PINNED_START) != [v.id for v in Simulator(Settings(seed=7)).world.vms.values()]


@pytest.mark.parametrize("where,count", [
    ({"local_created_at_gte": PINNED_START}, 18),  # the scenario's VMs exist at the start instant
    ({"local_created_at": PINNED_START}, 18),
    ({"local_created_at_gte": "2026-01-01T16:00:00+08:00"}, 18),  # the same instant, another offset
    ({"local_created_at_gte": "2026-01-01T08:00:00.000+00:00"}, 18),
    ({"local_created_at_gt": "2026-01-01T15:59:59.999+08:00"}, 18),
    ({"local_created_at_lt": "2026-01-01T08:00:00.001Z"}, 18),
    ({"local_created_at_gt": PINNED_START}, 0),
    ({"local_created_at_in": ["2026-01-01T16:00:00+08:00"]}, 18),
    ({"local_created_at_not_in": ["2026-01-01T08:00:00Z"]}, 0),
])
def test_datetime_filters_compare_instants(where, count):
    api = Api(make_client())
    assert len(api.ok("get-vms", {"where": where})) == count


@pytest.mark.parametrize("value", ["yesterday", "2026-01-01T08:00:00", "2026-01-01", "", 1767254400])
def test_a_datetime_filter_that_names_no_instant_is_refused(value):
    status, body, _ = Api(make_client())("get-tasks", {"where": {"OR": [{"started_at_gt": value}]}})
    assert status == 400 and "where.OR[0].started_at_gt: expected an ISO 8601 date-time" in body["message"], body


def test_an_instant_before_year_1_in_utc_is_refused_not_a_500(api):
    """0001-01-01T00:01+01:00 is 0000-12-31 in UTC, before the first instant Python holds (found by Schemathesis)."""
    code, body, _ = api("delete-vm", {"where": {"local_created_at_gte": "0001-01-01T00:01:00.0+01:00"}})
    assert code == 400 and "where.local_created_at_gte" in body["message"], body


def test_a_uuid_is_written_as_the_uuid_module_writes_a_uuid4():
    import random
    import uuid

    from cloudtower_sim.mock_server.domain.ids import uuid4_text

    ours, theirs = random.Random(2026), random.Random(2026)
    for _ in range(2000):
        text = uuid4_text(ours)
        assert text == str(uuid.UUID(int=theirs.getrandbits(128), version=4))
        assert uuid.UUID(text).version == 4
