"""The console in a real browser: headless Chromium (the Debian package) driven by Selenium,
against a real scorer (uvicorn, Mosquitto, the example event) and simulated stations.

Each role logs in and sees only what it may; judges enter marks (with the spread warning);
the chief expert changes a time limit and a station receives it; a live curve updates from a
simulated station; the interface switches to Chinese. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

selenium = pytest.importorskip("selenium")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from benchscore.mqtt import BrokerConfig, close_client, make_client  # noqa: E402
from firmware_py.config import load_station_config  # noqa: E402
from firmware_py.station import Station  # noqa: E402
from scorer.accounts.auth import add_user  # noqa: E402
from scorer.accounts.db import ConsoleDB  # noqa: E402
from scorer.config import HttpConfig, ScorerConfig  # noqa: E402
from scorer.service import ScorerService  # noqa: E402
from tests.browser.chromium import (  # noqa: E402
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    chromium,
    wait,
)
from tests.browser.chromium import log_in as form_log_in  # noqa: E402
from tests.browser.support import EVENT, EVENT_FILE, PASSWORD  # noqa: E402
from tests.support.brokers import Mosquitto  # noqa: E402
from tests.support.stations import write_station_config  # noqa: E402
from tests.support.trust import write_scorer_key  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs the Debian packages chromium and chromium-driver (scripts/setup.sh)",
)

USERS = {
    "admin": "chief",
    "judge": "judge1",
    "technician": "tech",
    "viewer": "viewer",
    "contestant": "c01",
}


class Hall:
    """Mosquitto, the scorer with the example event, two simulated LED stations."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.broker = Mosquitto(workdir).start()
        self.scorer = ScorerService(
            ScorerConfig(
                event="+",
                broker=BrokerConfig(port=self.broker.port),
                storage_path=workdir / "scorer.db",
                scorer_key=write_scorer_key(workdir),
                require_signatures=False,
                http=HttpConfig(port=0),
                event_file=EVENT_FILE,
            )
        ).start()
        assert self.scorer.mqtt is not None and self.scorer.mqtt.wait_connected(10)
        assert self.scorer.store is not None
        db = ConsoleDB(self.scorer.store.db)
        for role, name in USERS.items():
            add_user(
                db,
                name,
                role,
                PASSWORD,
                scrypt_n=2**8,
                contestant="C01" if role == "contestant" else None,
            )
        for extra in ("judge2", "judge3"):
            add_user(db, extra, "judge", PASSWORD, scrypt_n=2**8)
        self.stations: dict[str, Station] = {}
        for sid, fault in (("led01", "none"), ("led02", "open_string")):
            cfg = load_station_config(
                write_station_config(
                    workdir, sid, port=self.broker.port, fault=fault, event=EVENT, clock="real"
                )
            )
            station = Station(cfg)
            station.start()
            assert station.link.wait_connected(10)
            self.stations[sid] = station
        for station in self.stations.values():
            station.run_once()
        self.commands: list[dict[str, Any]] = []
        self._watch_commands()
        self._stop = threading.Event()
        self._runner = threading.Thread(target=self._keep_measuring, daemon=True)

    def _watch_commands(self) -> None:
        """A subscriber that sees the commands the scorer sends to the stations."""
        sub = make_client("browser-test-watcher", BrokerConfig(port=self.broker.port))
        sub.on_message = lambda c, u, m: self.commands.append(json.loads(m.payload))
        sub.connect("127.0.0.1", self.broker.port)
        sub.subscribe(f"benchscore/v1/{EVENT}/+/cmd", qos=1)
        sub.loop_start()
        self._sub = sub

    def _keep_measuring(self) -> None:
        """led01 runs again and again: a live curve that keeps moving."""
        station = self.stations["led01"]
        while not self._stop.is_set():
            try:
                station.run_once(marked=False)
            except Exception:  # the run is a preview source here; the stop may interrupt it
                if self._stop.is_set():
                    return
                raise

    def start_live(self) -> None:
        if not self._runner.is_alive():
            self._runner.start()

    @property
    def url(self) -> str:
        return self.scorer.url.rstrip("/")

    def close(self) -> None:
        self._stop.set()
        if self._runner.is_alive():
            self._runner.join(10)
        close_client(self._sub)
        for station in self.stations.values():
            station.close()
        self.scorer.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def hall() -> Iterator[Hall]:
    workdir = Path(tempfile.mkdtemp(prefix="benchscore-browser-"))
    h = Hall(workdir)
    try:
        yield h
    finally:
        h.close()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium("--window-size=1400,1000") as driver:
        yield driver


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"browser-{name}.png"))


def log_in(driver: WebDriver, hall: Hall, username: str) -> None:
    form_log_in(driver, hall.url, username, PASSWORD)
    wait(lambda: driver.find_elements(By.ID, "logout"), what="the logged-in header")


def nav(driver: WebDriver) -> set[str]:
    return {
        a.get_attribute("data-nav") or ""
        for a in driver.find_elements(By.CSS_SELECTOR, "[data-nav]")
    }


def text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


EXPECTED_NAV = {
    "admin": {
        "nav.hall",
        "nav.judge",
        "nav.control",
        "nav.fleet",
        "nav.audit",
        "nav.users",
        "nav.training",  # every training group (training_group)
    },
    "judge": {"nav.hall", "nav.judge"},
    "technician": {"nav.hall", "nav.fleet"},
    "viewer": {"nav.hall"},
    "contestant": {"nav.me"},
}
FORBIDDEN_PAGE = {
    "admin": "/console/me",
    "judge": "/console/control",
    "technician": "/console/judge",
    "viewer": "/console/fleet",
    "contestant": "/console/hall",
}


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_sees_only_what_it_may(browser: WebDriver, hall: Hall, role: str) -> None:
    log_in(browser, hall, USERS[role])
    assert nav(browser) == EXPECTED_NAV[role] | {"nav.board", "title.verify"}
    if role == "contestant":
        wait(lambda: "hidden until marks are locked" in text(browser), what="hidden limits")
        assert "Anna Ivanova" in text(browser) and "Boris" not in text(browser)
    elif role == "technician":
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, "tr[data-station=led01]"), what="fleet")
        assert "led02" in text(browser)
    else:
        wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, ".card[data-station=led02]"), what="grid"
        )
        card = browser.find_element(By.CSS_SELECTOR, ".card[data-station=led02]").text
        assert "C02" in card and "FAIL" in card.upper()
        if role == "viewer":
            assert "0.27" not in card  # the fail reason quotes the limits: hidden
        else:
            # the reason in words, from the measurement (no raw key, no nested brackets)
            assert "is too low (limits" in card and "current_a" not in card and "))" not in card
    shot(browser, f"home-{role}")
    browser.get(hall.url + FORBIDDEN_PAGE[role])
    wait(lambda: "Your account may not open this page." in text(browser), what="refusal")
    if role in ("viewer", "judge"):
        browser.get(hall.url + "/console/station/led02")
        wait(lambda: browser.find_elements(By.ID, "measurements"), what="measurements")
        heads = browser.find_element(By.ID, "measurements").text
        assert ("Limits" in heads) == (role == "judge")
        shot(browser, f"station-{role}")


def test_anonymous_sees_the_public_board_only(browser: WebDriver, hall: Hall) -> None:
    browser.delete_all_cookies()
    browser.get(hall.url + "/")
    wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#board .brow[data-competitor]"),
        what="the board",
    )
    body = text(browser)
    assert "Anna Ivanova" in body and "0.27" not in body and "current_a" not in body
    assert nav(browser) == {"nav.board", "title.verify"}
    shot(browser, "board-anonymous")
    browser.get(hall.url + "/console/hall")
    wait(lambda: "/login" in browser.current_url, what="the redirect to the login page")


def score(browser: WebDriver, hall: Hall, judge: str, aspect: str, value: int) -> None:
    log_in(browser, hall, judge)
    browser.get(hall.url + "/console/judge?competitor=C01")
    row = f"tr[data-aspect='{aspect}']"
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, row), what="the aspect row")
    browser.find_element(By.CSS_SELECTOR, f"{row} button[data-score='{value}']").click()
    browser.find_element(By.CSS_SELECTOR, f"{row} button.save").click()
    wait(lambda: f"Saved. {aspect}" in text(browser), what="the score saved")


def test_judges_enter_marks_and_see_the_spread(browser: WebDriver, hall: Hall) -> None:
    score(browser, hall, "judge1", "A3.1", 3)
    score(browser, hall, "judge2", "A3.1", 2)
    score(browser, hall, "judge3", "A3.1", 0)
    row = "tr[data-aspect='A3.1']"
    wait(
        lambda: "discuss and score again" in browser.find_element(By.CSS_SELECTOR, row).text,
        what="the spread warning",
    )
    cells = browser.find_element(By.CSS_SELECTOR, row).text
    assert "judge1: 3" in cells and "judge3: 0" in cells
    assert "Scores 3, 2, 0 differ by 3 points (at most 1 allowed)" in cells  # words, no list
    assert "[" not in cells
    shot(browser, "judgement-spread")
    # a change without a reason is refused next to the field, in words
    browser.find_element(By.CSS_SELECTOR, f"{row} button[data-score='2']").click()
    browser.find_element(By.CSS_SELECTOR, f"{row} button.save").click()
    wait(
        lambda: "needs a reason" in browser.find_element(By.CSS_SELECTOR, f"{row} .field-msg").text,
        what="the reason refusal next to the field",
    )
    # judge3 reconsiders, with a reason
    browser.find_element(By.CSS_SELECTOR, f"{row} button[data-score='2']").click()
    browser.find_element(By.CSS_SELECTOR, f"{row} input[name=reason]").send_keys("agreed on 2")
    browser.find_element(By.CSS_SELECTOR, f"{row} button.save").click()
    wait(lambda: "final" in browser.find_element(By.CSS_SELECTOR, row).text, what="final mark")
    shot(browser, "judgement-final")


def test_save_with_nothing_chosen_says_why(browser: WebDriver, hall: Hall) -> None:
    log_in(browser, hall, "judge1")
    browser.get(hall.url + "/console/judge?competitor=C02")
    row = "tr[data-aspect='A3.2']"
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, row), what="the aspect row")
    browser.find_element(By.CSS_SELECTOR, f"{row} button.save").click()
    wait(
        lambda: "Choose a score" in browser.find_element(By.CSS_SELECTOR, f"{row} .field-msg").text,
        what="why nothing was saved",
    )
    shot(browser, "judgement-nothing-chosen")


def enabled(browser: WebDriver, row: str) -> set[str]:
    return {
        b.get_attribute("data-action") or ""
        for b in browser.find_elements(By.CSS_SELECTOR, f"{row} td.buttons button")
        if b.is_enabled()
    }


def test_chief_changes_the_time_limit(browser: WebDriver, hall: Hall) -> None:
    log_in(browser, hall, "chief")
    browser.get(hall.url + "/console/control")
    led = "tr[data-module=led]"
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, led), what="the module table")
    assert enabled(browser, led) == {"control.start", "control.self_check"}  # pending
    button = f"{led} button[data-action='control.start']"
    browser.find_element(By.CSS_SELECTOR, button).click()
    browser.switch_to.alert.dismiss()  # asked first; "no" changes nothing
    time.sleep(0.5)
    assert (
        browser.find_element(By.CSS_SELECTOR, f"{led} td.clock").get_attribute("data-state")
        == "pending"
    )
    browser.find_element(By.CSS_SELECTOR, button).click()
    alert = browser.switch_to.alert
    assert "LED module" in alert.text
    alert.accept()
    wait(
        lambda: (
            browser.find_element(By.CSS_SELECTOR, f"{led} td.clock").get_attribute("data-state")
            == "running"
        ),
        what="the module running",
    )
    wait(
        lambda: (
            enabled(browser, led)
            == {"control.freeze", "control.stop", "control.measure", "control.self_check"}
        ),
        what="the running clock's buttons",
    )
    minutes = browser.find_element(By.CSS_SELECTOR, f"{led} input[name=minutes]")
    assert minutes.get_attribute("value") == "210"
    minutes.clear()
    minutes.send_keys("180")
    browser.find_element(By.CSS_SELECTOR, f"{led} input[name=reason]").send_keys(
        "the 3.5 h module became 3 h"
    )
    browser.find_element(By.CSS_SELECTOR, f"{led} button[data-action='control.apply']").click()
    wait(
        lambda: (
            "3:30:00" not in browser.find_element(By.CSS_SELECTOR, f"{led} td.clock").text
            and not browser.find_element(
                By.CSS_SELECTOR, f"{led} input[name=reason]"
            ).get_attribute("value")
        ),
        what="the new limit shown",
    )
    shown = browser.find_element(By.CSS_SELECTOR, f"{led} td.clock").text
    assert "3:00:00" in shown or "2:59:" in shown, shown
    shot(browser, "control-time-limit")
    clock = hall.scorer.competition.clock(EVENT, "led")  # type: ignore[union-attr]
    assert clock.time_limit_s == 180 * 60
    # the stations were told, over MQTT, and hold the new end
    wait(
        lambda: any(
            c["command"] == "set_time_limit"
            and c["station"] == "led01"
            and abs((c["args"]["end_ts"] or 0) - clock.end_ts) < 1e-3
            for c in hall.commands
        ),
        what="set_time_limit to led01",
    )
    station = hall.stations["led02"]
    wait(
        lambda: (
            station.time_limit_end is not None and abs(station.time_limit_end - clock.end_ts) < 1e-3
        ),
        what="led02 holds the end",
    )
    browser.get(hall.url + "/console/audit")
    wait(lambda: "Chain verified" in text(browser), what="the audit page")
    page = text(browser)
    assert "time limit changed" in page and "the 3.5 h module became 3 h" in page
    assert "time limit: 3:30:00" in page and "time limit: 3:00:00" in page  # what changed
    assert '{"' not in page  # no raw JSON
    shot(browser, "audit")


def test_a_live_curve_updates_from_a_simulated_station(browser: WebDriver, hall: Hall) -> None:
    hall.start_live()
    log_in(browser, hall, "judge1")
    browser.get(hall.url + "/console/station/led01")

    def points() -> int:
        got = browser.find_element(By.ID, "live-curves").get_attribute("data-points")
        return int(got or 0)

    first = wait(points, what="the first live samples")
    wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#live-curves .chart canvas"),
        what="the uPlot canvas",
    )
    later = wait(lambda: points() >= first + 5 and points(), timeout_s=20, what="more samples")
    assert later > first
    names = {
        c.get_attribute("data-series")
        for c in browser.find_elements(By.CSS_SELECTOR, "#live-curves .chart")
    }
    assert {"current_a", "voltage_v"} <= names

    # every chart shown has data and a time axis in seconds from the run's start (read in one
    # go: the page starts the curves again with every run)
    def charts_shown() -> list[Any]:
        return list(
            browser.execute_script(
                "return [...document.querySelectorAll('#live-curves .chart:not([hidden])')]"
                ".map(c => [Number(c.dataset.points), c.innerText])"
            )
        )

    shown = wait(
        lambda: [c for c in charts_shown() if "voltage (V)" in c[1]] and charts_shown(),
        what="charts with data",
    )
    assert all(n >= 2 and "time (s)" in label for n, label in shown), shown
    assert any("voltage (V)" in label for _, label in shown), shown
    # the stored curves: one chart per unit (volts and amps apart), named, never empty
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#curves .chart"), what="stored curves")
    units = [
        (c.get_attribute("data-curve"), c.get_attribute("data-unit"))
        for c in browser.find_elements(By.CSS_SELECTOR, "#curves .chart")
    ]
    assert len(units) == len(set(units)) and all(u is not None for _, u in units)
    assert "current_a" not in browser.find_element(By.ID, "measurements").text  # words
    shot(browser, "station-live-curve")
    # the hall grid's live values move too
    browser.get(hall.url + "/console/hall")
    wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, "[data-live=led01] .value"),
        what="live values in the grid",
    )
    shot(browser, "hall-live")


def test_the_interface_switches_to_chinese_and_back(browser: WebDriver, hall: Hall) -> None:
    log_in(browser, hall, "chief")
    browser.get(hall.url + "/console/hall")
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="the grid")
    Select(browser.find_element(By.ID, "lang-switch")).select_by_value("zh")
    wait(lambda: "设备健康" in text(browser), what="Chinese")
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="the grid in Chinese")
    assert "退出" in text(browser) and "Fleet health" not in text(browser)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    shot(browser, "hall-zh")
    browser.get(hall.url + "/console/judge?competitor=C01")
    wait(
        lambda: "评分" in text(browser) and browser.find_elements(By.CSS_SELECTOR, "tr.aspect"),
        what="judgement page in Chinese",
    )
    shot(browser, "judge-zh")
    Select(browser.find_element(By.ID, "lang-switch")).select_by_value("en")
    wait(lambda: "Fleet health" in text(browser), what="English again")


def test_a_new_account_defaults_to_the_least_privileged_role(
    browser: WebDriver, hall: Hall
) -> None:
    log_in(browser, hall, "chief")
    browser.get(hall.url + "/console/users")
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, "form.add-user select"), what="the form")
    role = Select(browser.find_element(By.CSS_SELECTOR, "form.add-user select[name=role]"))
    assert role.first_selected_option.get_attribute("value") == "viewer"
