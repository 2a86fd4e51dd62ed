"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, one profile
per browser, screenshots under ``tests/artifacts/``; and the console's login form."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("selenium")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from scorer.console.report import CHROMIUM_FLAGS  # noqa: E402

CHROMIUM = os.environ.get("BENCHSCORE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BENCHSCORE_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HAVE_CHROMIUM = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
BASE_FLAGS = tuple(f for f in CHROMIUM_FLAGS if f != "--no-pdf-header-footer")
"""The flags the evidence reports' Chromium runs with (scorer/console/report.py)."""


def wait(predicate: Callable[[], Any], timeout_s: float = 15.0, what: str = "") -> Any:
    """Poll ``predicate`` (every 0.1 s) until it returns something true; return that."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except WebDriverException:
            last = None
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@contextmanager
def chromium(*flags: str, viewport: tuple[int, int] | None = None) -> Iterator[WebDriver]:
    """A headless Chromium with :data:`BASE_FLAGS` plus ``flags``; ``viewport`` (CSS px)
    emulates a display of exactly that size (a 7-inch 800x480 panel, a 4K wall screen)."""
    profile = tempfile.mkdtemp(prefix="benchscore-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*BASE_FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    if viewport is not None:
        width, height = viewport
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def log_in(driver: WebDriver, url: str, username: str, password: str) -> None:
    """Log in through the console's form at ``url``/login (cookies cleared first)."""
    driver.delete_all_cookies()
    driver.get(url + "/login")
    wait(lambda: driver.find_element(By.ID, "username"), what="the login form")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait(lambda: "/login" not in driver.current_url, what=f"{username} logged in")
