"""The README's picture of the live page, docs/live-page.png: node-1 of the default world half evacuated, taken in
the headless Chromium the tests drive (tests/browser.py). Run from the repository: `.venv/bin/python
scripts/live_page_screenshot.py` (scripts/test makes .venv and, as root, installs Chromium)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from cloudtower_sim.client import CloudTowerClient  # noqa: E402
from cloudtower_sim.client.workflow import wait_precheck  # noqa: E402
from cloudtower_sim.mock_server.api import create_app  # noqa: E402
from cloudtower_sim.mock_server.domain.simulator import Settings  # noqa: E402
from cloudtower_sim.mock_server.server import InThread  # noqa: E402
from tests.browser import chromium  # noqa: E402

PICTURE = ROOT / "docs" / "live-page.png"


def main() -> None:
    served = InThread(create_app(Settings(task_mode="realtime", speed=10, start_time="2026-01-01T08:00:00Z")))
    browser = chromium(1400, 1050)
    try:
        browser.get(served.root + "/_sim/")
        tower = CloudTowerClient(served.base_url)
        tower.login("root", "HC!r0cks")
        node1 = tower.get_hosts({"name": "node-1"})[0]["id"]
        precheck = wait_precheck(tower, tower.enter_maintenance_mode_precheck({"id": node1}), 10)
        tower.start_enter_maintenance_mode(node1, precheck.shutdown_vms)

        def halfway(driver):  # db-01 has landed elsewhere; web-01 and web-02 are still to go
            host = driver.find_element(By.CSS_SELECTOR, '.host[data-name="node-1"]').text
            return "ENTERING_MAINTENANCE_MODE" in host and "db-01" not in host and "web-01" in host
        def login_shown(driver):  # its body, the password masked
            rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#requests tbody tr") if "/login" in r.text]
            if rows:
                rows[0].click()
            return "***" in driver.find_element(By.ID, "request-body").text

        redrawn = (StaleElementReferenceException,)  # the page redraws each second
        WebDriverWait(browser, 5, ignored_exceptions=redrawn).until(login_shown)
        WebDriverWait(browser, 30, poll_frequency=0.1, ignored_exceptions=redrawn).until(halfway)
        PICTURE.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(PICTURE))
        print(f"written: {PICTURE.relative_to(ROOT)}")
    finally:
        browser.quit()
        served.close()


if __name__ == "__main__":
    main()
