"""The live page of the world, `GET /_sim/` (issue 35): its compact read in-process (what it shows, paged; that it
leaves the journal alone; that it goes with the control API), then the page itself in Debian's headless Chromium
(tests/browser.py) against `cloudtower-sim serve` in realtime, as a user watches it: the default world, a maintenance
evacuation, a reset, and names and bodies that must stay text and masked."""

from __future__ import annotations

import json
import time

import pytest

from cloudtower_sim.mock_server.domain.overview import VMS_PER_PAGE, overview
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

from .support import TOKEN, Api, Process, make_client, pinned

HOSTS = {"node-1": ["db-01", "license-server", "test-01", "web-01", "web-02"],
         "node-2": ["app-01", "app-02", "build-01", "cache-01"], "node-3": ["analytics-01", "app-03", "web-03"],
         "node-4": ["ci-runner-01", "ci-runner-02", "gpu-render-01", "monitor-01", "win-desktop-01"]}
XSS = "<img src=x onerror=alert(1)>"


def _world(client, **args) -> dict:
    r = client.get("/_sim/page/world", query_string=args)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _hosts(shown: dict) -> dict:
    return {h["name"]: h for c in shown["clusters"] for h in c["hosts"]}


# --- the compact read, in-process --------------------------------------------------------------------------------
def test_the_page_and_its_files_are_served_with_the_control_api_only():
    client = make_client()
    page = client.get("/_sim/")
    assert page.status_code == 200 and page.mimetype == "text/html" and b'src="static/page.js"' in page.data
    assert page.headers["Content-Security-Policy"] == "default-src 'self'"
    assert client.get("/_sim/static/page.js").status_code == client.get("/_sim/static/page.css").status_code == 200
    off = make_client(pinned(control=False))
    for path in ("/_sim/", "/_sim/page/world", "/_sim/static/page.js"):
        assert off.get(path).status_code == 404, path


def test_the_default_world_reads_as_its_hosts_and_their_vms():
    client = make_client()
    closed = _hosts(_world(client))
    assert list(closed) == list(HOSTS) and all("vms" not in h for h in closed.values())
    assert closed["node-1"]["vm_counts"] == {"RUNNING": 4, "STOPPED": 1} and closed["node-1"]["state"] == "IN_USE"
    node1 = closed["node-1"]  # its OS's 32 GiB and its running VMs' 132 GiB are used, of 256
    assert (node1["used_memory_bytes"], node1["free_memory_bytes"]) == (164 * 2**30, 92 * 2**30)
    shown = _world(client, open=",".join(f"{h['id']}:0" for h in closed.values()))
    assert {n: [v["name"] for v in h["vms"]] for n, h in _hosts(shown).items()} == HOSTS
    db = next(v for v in _hosts(shown)["node-1"]["vms"] if v["name"] == "db-01")
    assert (db["status"], db["memory"], db["ips"]) == ("RUNNING", 96 * 2**30, "192.168.10.2")
    [cluster] = shown["clusters"]
    assert cluster["unplaced"] == {"vm_num": 1, "vm_counts": {"STOPPED": 1}}  # template-builder: on no host
    assert _world(client, open=f"{cluster['id']}:0")["clusters"][0]["unplaced"]["vms"][0]["name"] == "template-builder"
    assert client.get("/_sim/page/world?open=x:first").status_code == 400


def test_a_world_of_10000_vms_is_read_a_host_and_a_page_at_a_time(tmp_path):
    scenario = tmp_path / "large.yaml"
    scenario.write_text("seed: 1\ngenerate: {clusters: 2, hosts_per_cluster: 5, vms_per_host: 1000}\n")
    sim = Simulator(Settings(scenario=str(scenario)))
    with sim.session(read=True) as world:
        assert len(world.vms) == 10_000
        closed = overview(world, {})
        assert len(json.dumps(closed)) < 10_000  # counts only: a poll each second stays small
        host = world.clusters[closed["clusters"][1]["id"]].hosts[2]
        names = sorted(v.name for v in host.vms)
        third = _hosts(overview(world, {host.id: 2}))[host.name]
        last = _hosts(overview(world, {host.id: 999}))[host.name]  # past the last page: the last
    assert (third["page"], third["pages"], third["vm_num"]) == (2, 1000 // VMS_PER_PAGE, 1000)
    assert [v["name"] for v in third["vms"]] == names[2 * VMS_PER_PAGE:3 * VMS_PER_PAGE]
    assert [v["name"] for v in last["vms"]] == names[-VMS_PER_PAGE:]
    assert sum("vms" in h for h in _hosts(overview(world, {host.id: 2})).values()) == 1


def test_tasks_show_running_and_recent_with_their_errors():
    client = make_client(pinned(task_mode="manual"))
    api = Api(client)
    client.post("/_sim/faults", json={"path": "/start-vm", "task": {"error_code": "E_BOOM", "error_message": "boom"}})
    api.ok("start-vm", {"where": {"name": "test-01"}})
    client.post("/_sim/clock", json={"advance": 4})  # its one step has failed
    api.ok("start-vm", {"where": {"name": "build-01"}})
    client.post("/_sim/clock", json={"advance": 1})  # out of the queue, starting
    shown = _world(client)["tasks"]
    [running], [failed] = shown["running"], shown["recent"]
    assert (running["description"], running["status"], running["step"]) == ("Start VM build-01", "EXECUTING", "start")
    assert (failed["status"], failed["error_code"], failed["error_message"]) == ("FAILED", "E_BOOM", "boom")


def test_the_journal_reads_a_page_newest_first_filtered_and_masked_and_is_not_filled_by_the_page():
    client = make_client()
    api = Api(client)
    api("login", {"username": "root", "password": "HC!r0cks"})
    for _ in range(60):
        api("get-hosts", {})
    api("get-vms", {"where": "not a where"})
    for _ in range(5):
        _world(client)  # the page's own reads
    everything = _world(client)["requests"]
    assert everything["total"] == 62 and everything["per_page"] == 50  # only the API's requests are recorded
    newest = everything["entries"]
    assert [e["path"] for e in newest[:2]] == ["/get-vms", "/get-hosts"] and "body" not in newest[0]
    older = _world(client, requests_page=1)["requests"]["entries"]
    assert [e["path"] for e in older] == ["/get-hosts"] * 11 + ["/login"]
    assert _world(client, requests_path="log")["requests"]["total"] == 1
    assert [e["path"] for e in _world(client, requests_status="400")["requests"]["entries"]] == ["/get-vms"]
    login = older[-1]["request_id"]
    body = client.get(f"/_sim/page/requests/{login}").get_json()["body"]
    assert body == {"username": "root", "password": "***"}
    assert client.get("/_sim/page/requests/no-such-request").status_code == 404
    assert len(client.get("/_sim/requests").get_json()) == 62


# --- the page in a browser ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served():
    """`serve` in realtime, twenty times faster: node-1's evacuation takes about 7 s."""
    process = Process("--task-mode", "realtime", "--speed", "20")
    assert f"live page: {process.root}/_sim/" in process.banner
    yield process
    process.kill()


@pytest.fixture(scope="module")
def browser():
    from .browser import chromium

    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def page(served, browser):
    """The page open on a world just reset; the tower's API as `tower`."""
    from cloudtower_sim.client import CloudTowerClient

    assert _sim(served, "POST", "/reset").status_code == 200
    _sim(served, "DELETE", "/requests")
    browser.get(served.root + "/_sim/")
    page = Page(browser, CloudTowerClient(served.base_url, token=TOKEN))
    page.shows(lambda: page.vms("node-1") == HOSTS["node-1"])
    return page


def _sim(served, method: str, path: str, body=None):
    import requests

    return requests.request(method, served.root + "/_sim" + path, json=body, timeout=10)


class Page:
    """The page as a user reads it: what each host shows, waited for since the page redraws each second."""

    def __init__(self, driver, tower):
        self.driver, self.tower = driver, tower

    def host(self, name: str):
        from selenium.webdriver.common.by import By

        found = self.driver.find_elements(By.CSS_SELECTOR, f'.host[data-name="{name}"]')
        return found[0] if found else None

    def vms(self, host: str) -> list[str]:
        from selenium.webdriver.common.by import By

        shown = self.host(host)
        return [] if shown is None else [r.find_element(By.TAG_NAME, "td").text
                                         for r in shown.find_elements(By.CSS_SELECTOR, "tr.vm")]

    def state(self, host: str) -> str | None:
        from selenium.webdriver.common.by import By

        shown = self.host(host)
        return None if shown is None else shown.find_element(By.CSS_SELECTOR, ".state").text

    def shows(self, seen, timeout: float = 10.0):
        """Wait until `seen()` holds on the page (a redraw may replace an element while it is read)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        def holds(_):
            try:
                return seen()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(holds)


@pytest.mark.slow  # Chromium, and the simulator in a process of its own
def test_the_page_shows_every_host_and_its_vms_and_leaves_the_journal_alone(page, served):
    for host, vms in HOSTS.items():
        page.shows(lambda: page.vms(host) == vms and page.state(host) == "IN_USE")
    page.shows(lambda: "template-builder" in page.vms("on no host"))
    page.tower.get_hosts()
    time.sleep(2)  # two polls more
    assert [e["path"] for e in _sim(served, "GET", "/requests").json()] == ["/get-hosts"]


@pytest.mark.slow
def test_the_page_shows_an_evacuation_as_it_happens(page):
    """node-1's VMs leave one task step at a time while its state goes ENTERING_MAINTENANCE_MODE, then
    MAINTENANCE_MODE; each lands on another host, as the API says."""
    from selenium.webdriver.common.by import By

    from cloudtower_sim.client.workflow import wait_precheck

    tower = page.tower
    node1 = tower.get_hosts({"name": "node-1"})[0]["id"]
    precheck = wait_precheck(tower, tower.enter_maintenance_mode_precheck({"id": node1}), 10)
    tower.start_enter_maintenance_mode(node1, precheck.shutdown_vms)
    started = time.monotonic()
    page.shows(lambda: page.state("node-1") == "ENTERING_MAINTENANCE_MODE", timeout=3)
    page.shows(lambda: "Enter maintenance mode on host node-1" in page.driver.find_element(By.ID, "tasks").text)
    page.shows(lambda: len(page.vms("node-1")) < len(HOSTS["node-1"]) - 1  # the first VM has gone, others leaving
               and page.state("node-1") == "ENTERING_MAINTENANCE_MODE")
    page.shows(lambda: page.state("node-1") == "MAINTENANCE_MODE", timeout=15)
    assert time.monotonic() - started < 15
    placed = {v["name"]: v["host"]["name"] for v in tower.get_vms() if v["host"]}
    moved = ["db-01", "test-01", "web-01", "web-02"]
    assert all(placed[vm] != "node-1" for vm in moved)
    for vm in moved:
        page.shows(lambda: vm in page.vms(placed[vm]), timeout=3)
    assert page.vms("node-1") == ["license-server"]  # shut down: it stays, bound by its USB dongle


@pytest.mark.slow
def test_reset_on_the_page_brings_the_world_back(page):
    from selenium.webdriver.common.by import By

    page.tower.delete_vm({"name": "test-01"})
    page.shows(lambda: "test-01" not in page.vms("node-1"))
    page.driver.find_element(By.ID, "reset").click()
    page.shows(lambda: page.vms("node-1") == HOSTS["node-1"], timeout=5)


@pytest.mark.slow
def test_names_are_text_and_secrets_stay_masked(page):
    """A VM named as an HTML tag is shown as its name, no script runs, and a login's password is never shown."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    page.tower.call("/update-vm-basic-info", {"where": {"name": "web-01"}, "data": {"name": XSS}})
    page.shows(lambda: XSS in page.vms("node-1"))
    assert page.driver.find_elements(By.CSS_SELECTOR, "main img") == []
    with pytest.raises(NoAlertPresentException):
        page.driver.switch_to.alert.text
    page.tower.login("root", "HC!r0cks")
    login = page.shows(lambda: [r for r in page.driver.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
                                if "/login" in r.text])
    login[0].click()
    page.shows(lambda: '"password": "***"' in page.driver.find_element(By.ID, "request-body").text)
    assert "HC!r0cks" not in page.driver.find_element(By.TAG_NAME, "body").text


@pytest.mark.slow
def test_the_fault_form_adds_a_fault_and_shows_why_one_that_could_never_fire_is_refused(page, served):
    """Issue 35: the form sends POST /_sim/faults; a fault that could never fire is refused there, and the page says
    why instead of listing a fault that would silently never apply."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def add(path: str, effect: str, value: str):
        for field, text in (("fault-path", path), ("fault-value", value)):
            page.driver.find_element(By.ID, field).clear()
            page.driver.find_element(By.ID, field).send_keys(text)
        Select(page.driver.find_element(By.ID, "fault-effect")).select_by_visible_text(effect)
        page.driver.find_element(By.CSS_SELECTOR, "#fault-add button").click()

    add("/start-vm", "task", '{"error_message": "boom", "step": 99}')
    page.shows(lambda: "past the last step of a /start-vm task" in page.driver.find_element(By.ID, "message").text)
    add("/get-vms", "status", "503")
    page.shows(lambda: "/get-vms" in page.driver.find_element(By.ID, "faults").text)
    assert [f["path"] for f in _sim(served, "GET", "/faults").json()] == ["/get-vms"]
