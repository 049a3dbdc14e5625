"""Cursors as Prisma pages with them (issue 11 item 5): a cursor is a place in the whole ordered collection, so it need
not match the `where`; a cursor that names no object is refused, saying why."""

import pytest

from .support import Api, make_client


def test_paging_through_running_vms_while_stopping_them_visits_each_once():
    api = Api(make_client())
    running = [v["id"] for v in api.ok("get-vms", {"where": {"status": "RUNNING"}})]
    assert len(running) > 6
    seen, after = [], None
    while True:
        body = {"where": {"status": "RUNNING"}, "first": 3, **({"after": after} if after else {})}
        page = api.ok("get-vms", body)
        if not page:
            break
        for vm in page:
            api.ok("poweroff-vm", {"where": {"id": vm["id"]}})  # instant mode: STOPPED by the next request
        seen += [vm["id"] for vm in page]
        after = page[-1]["id"]  # now STOPPED: outside the where, still a place to page from
    assert seen == running


@pytest.mark.parametrize("order", [None, "name_ASC", "memory_DESC"])
def test_a_cursor_outside_the_where_pages_from_its_place(order):
    api = Api(make_client())
    everything = api.ok("get-vms", {"orderBy": order} if order else {})
    stopped = next(i for i, v in enumerate(everything) if v["status"] == "STOPPED" and 0 < i < len(everything) - 1)
    cursor = everything[stopped]["id"]
    query = {"where": {"status": "RUNNING"}, **({"orderBy": order} if order else {})}
    after = api.ok("get-vms", {**query, "after": cursor})
    before = api.ok("get-vms", {**query, "before": cursor})
    assert [v["id"] for v in after] == [v["id"] for v in everything[stopped + 1:] if v["status"] == "RUNNING"]
    assert [v["id"] for v in before] == [v["id"] for v in everything[:stopped] if v["status"] == "RUNNING"]


@pytest.mark.parametrize("key", ["after", "before"])
def test_a_cursor_that_names_no_object_is_refused(key):
    status, body, _ = Api(make_client())("get-vms", {key: "c-no-such-vm"})
    assert status == 400 and f"{key}: no Vm has id 'c-no-such-vm'" in body["message"], body
