"""Debian's headless Chromium, driven through Selenium and chromium-driver: the live page's tests
(test_live_page.py) and scripts/screenshot. The browser and its driver are given by path, so Selenium Manager never
looks for either on the network."""

from __future__ import annotations

import shutil

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

HOW = "apt-get install chromium chromium-driver (scripts/test does so as root)"


def chromium(width: int = 1400, height: int = 1000) -> webdriver.Chrome:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        raise RuntimeError(f"Debian's chromium and chromium-driver are needed: {HOW}")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    # no sandbox: CI runs as root, where Chromium's refuses to start; no /dev/shm: a container's is small
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(driver))
