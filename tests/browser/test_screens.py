"""The surfaces people watch from afar, in a real browser (the Debian chromium, headless): the
hall screen with 10, 30 and 60 stations at 1920x1080 and with 60 at 3840x2160, and the audience
board in large mode, each in English, Chinese and Arabic.

Asserted on every screenshot: no scrollbar, every tile's text at least 24 px on a 1080-line
screen, right to left for Arabic, no message key shown instead of its text. The screenshots go
to tests/artifacts/ (git-ignored) to be looked at.
"""

from __future__ import annotations

import shutil
import socket
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

from benchscore.protocol import Topics  # noqa: E402
from scorer.accounts.auth import add_user  # noqa: E402
from scorer.competition import Competition  # noqa: E402
from scorer.console.messages import MESSAGES  # noqa: E402
from scorer.ingest import Ingest  # noqa: E402
from scorer.store import Store  # noqa: E402
from scorer.web import create_app  # noqa: E402
from tests.browser.chromium import (  # noqa: E402
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    chromium,
    log_in,
    wait,
)
from tests.browser.support import EVENT, PASSWORD, REPO, enc, live, result, status  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs the Debian packages chromium and chromium-driver (scripts/setup.sh)",
)

NAMES = [
    "Anna Ivanova", "Boris Petrov", "Chen Wei", "Daria Smirnova", "Élodie Laurent",
    "Farid Haddad", "Giulia Rossi", "Hiroshi Tanaka", "Isabel García", "Jonas Müller",
    "Karim Benali", "Li Na", "María José Fernández", "Nguyen Van An", "Olga Kuznetsova",
    "Pedro Alves", "Qiu Ming", "Rania Al-Sayed", "Sofia Lindqvist", "Tomás Novák",
]  # fmt: skip
TEAMS = ["Moscow", "Kazan", "Shanghai", "Lyon", "Madrid", "Cairo", "Dubai", "Osaka"]
LANG_PAGES = ("en", "zh", "ar")
ALL = 60


def write_event(folder: Path, n: int) -> Path:
    """An event like config/event/example.toml with ``n`` competitors on ``n`` LED stations."""
    scheme = REPO / "config" / "event" / "electronics-scheme.toml"
    lines = [
        "[event]",
        f'id = "{EVENT}"',
        'name = "Regional championship 2025: Electronics"',
        f'scheme = "{scheme.as_posix()}"',
        "[modules.led]",
        'name = "LED module"',
        'task = "led-module-a"',
        "time_limit_min = 210",
        "marked_attempts = 2",
        'counted = "best"',
        "[modules.lighting]",
        'name = "Lighting environment"',
        'task = "office-booth"',
        "time_limit_min = 180",
        "[modules.powerbank]",
        'name = "Power bank"',
        'task = "power-bank-5000"',
        "time_limit_min = 240",
    ]
    for i in range(1, n + 1):
        lines += [
            f"[competitors.C{i:02d}]",
            f'name = "{NAMES[(i - 1) % len(NAMES)]}{"" if i <= len(NAMES) else f" {i}"}"',
            f'member = "{TEAMS[i % len(TEAMS)]}"',
        ]
    lines.append("[assignments.led]")
    lines += [f'st{i:02d} = "C{i:02d}"' for i in range(1, n + 1)]
    path = folder / "event.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Screens:
    """A scorer (store, ingest, the web app under uvicorn) with a 60-station event."""

    def __init__(self, folder: Path) -> None:
        import uvicorn

        self.store = Store(folder / "scorer.db")
        self.comp = Competition(self.store)
        self.comp.install_file(write_event(folder, ALL))
        self.comp.send = lambda *cmd: None
        self.ingest = Ingest(self.store, on_result=self.comp.on_result)
        app = create_app(self.store, self.ingest, self.comp)
        add_user(app.state.console.db, "viewer", "viewer", PASSWORD, scrypt_n=2**6)
        self.comp.start_module(EVENT, "led", "chief")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        wait(lambda: self.server.started, what="uvicorn")
        self.fed = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def feed_until(self, n: int) -> None:
        """Stations 1..n: mostly passes, some fails, a few testing, one fault, one offline."""
        for i in range(self.fed + 1, n + 1):
            sid = f"st{i:02d}"
            topics = Topics(EVENT, sid)
            extra: dict[str, Any] = {"reason": None}
            state = "ready"
            if i % 7 == 3:
                state = "running"
            elif i % 23 == 5:
                state, extra = "fault", {"reason": "light sensor bh1750@0x23 not answering"}
            body = status(sid, state, **extra)
            body["health"]["outbox_depth"] = 2  # a small backlog: not an alarm
            body["health"]["bus_errors"] = {}
            if i % 29 == 11:
                body["online"] = False
            self.ingest.handle(topics.status, enc(body))
            if state != "fault":
                current = 0.25 if i % 5 == 2 else 0.30
                self.ingest.handle(topics.record, enc(result(sid, 1, current)))
            if state == "running":
                self.ingest.handle(topics.live, enc(live(sid, i)))
        self.fed = max(self.fed, n)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.store.close()


@pytest.fixture(scope="module")
def screens() -> Iterator[Screens]:
    folder = Path(tempfile.mkdtemp(prefix="benchscore-screens-"))
    s = Screens(folder)
    try:
        yield s
    finally:
        s.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(screens: Screens) -> Iterator[WebDriver]:
    with chromium("--hide-scrollbars=false") as driver:
        log_in(driver, screens.url, "viewer", PASSWORD)
        yield driver


def viewport(driver: WebDriver, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def no_scrollbar(driver: WebDriver) -> bool:
    return bool(
        driver.execute_script(
            "const d = document.documentElement;"
            "return d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth"
            " && document.body.scrollHeight <= innerHeight;"
        )
    )


def keys_shown(driver: WebDriver) -> list[str]:
    text = str(driver.execute_script("return document.body.innerText"))
    return [k for k in MESSAGES if k in text]


ENGLISH = {
    text
    for v in MESSAGES.values()
    for text in ([v] if isinstance(v, str) else list(v))
    if " " in text and "{" not in text and len(text) > 8
}
"""English interface texts that would give away a missing translation."""


def check_language(driver: WebDriver, lang: str) -> None:
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert not keys_shown(driver), keys_shown(driver)
    if lang != "en":
        text = str(driver.execute_script("return document.body.innerText"))
        left = sorted(e for e in ENGLISH if e in text)
        assert not left, (lang, left)


def tile_fonts(driver: WebDriver) -> list[float]:
    """Font sizes (px) of every text on the tiles and in the bar above them."""
    sizes = driver.execute_script(
        "return [...document.querySelectorAll('.tile, .tile *, .sbar *')]"
        ".filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))"
        ".map(e => parseFloat(getComputedStyle(e).fontSize));"
    )
    return [float(s) for s in sizes]


@pytest.mark.parametrize("n", [10, 30, 60])
def test_the_hall_screen_fills_1080p_without_scrolling(
    browser: WebDriver, screens: Screens, n: int
) -> None:
    screens.feed_until(n)
    viewport(browser, 1920, 1080)
    for lang in LANG_PAGES:
        browser.get(f"{screens.url}/console/screen?lang={lang}")
        wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".tile")) == n, what=f"{n} tiles")
        time.sleep(0.3)
        assert no_scrollbar(browser)
        fonts = tile_fonts(browser)
        assert fonts and min(fonts) >= 24, (n, lang, min(fonts))
        check_language(browser, lang)
        totals = {
            e.get_attribute("data-total"): e.find_element(By.CSS_SELECTOR, ".n").text
            for e in browser.find_elements(By.CSS_SELECTOR, "[data-total]")
        }
        assert sum(int(v) for v in totals.values()) == n
        fault = browser.find_elements(By.CSS_SELECTOR, ".tile[data-state=fault]")
        assert len(fault) == sum(1 for i in range(1, n + 1) if i % 23 == 5)
        # a backlog of 2 records is no alarm: only faults wear the alarm colour
        reds = browser.execute_script(
            "return [...document.querySelectorAll('.tile')].filter(t =>"
            " getComputedStyle(t).backgroundColor === 'rgb(69, 10, 10)').length"
        )
        assert reds == len(fault)
        # every tile fits: nothing cut off below its box
        assert browser.execute_script(
            "return [...document.querySelectorAll('.tile')].every(t =>"
            " t.lastElementChild.getBoundingClientRect().bottom"
            " <= t.getBoundingClientRect().bottom + 1)"
        )
        browser.save_screenshot(str(ARTIFACTS / f"screen-hall-{n}-1080p-{lang}.png"))


def test_the_hall_screen_at_4k(browser: WebDriver, screens: Screens) -> None:
    screens.feed_until(ALL)
    viewport(browser, 3840, 2160)
    try:
        for lang in LANG_PAGES:
            browser.get(f"{screens.url}/console/screen?lang={lang}")
            wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".tile")) == ALL, what="tiles")
            time.sleep(0.3)
            assert no_scrollbar(browser)
            assert min(tile_fonts(browser)) >= 48  # 24 px at 1080 lines, doubled
            check_language(browser, lang)
            browser.save_screenshot(str(ARTIFACTS / f"screen-hall-60-4k-{lang}.png"))
    finally:
        viewport(browser, 1920, 1080)


def test_the_audience_board_in_large_mode(browser: WebDriver, screens: Screens) -> None:
    screens.feed_until(ALL)
    viewport(browser, 1920, 1080)
    browser.delete_all_cookies()  # the public: no login
    for lang in LANG_PAGES:
        browser.get(f"{screens.url}/board?large=1&lang={lang}&rotate_s=2")
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".brow[data-competitor]"), what="rows")
        time.sleep(0.3)
        browser.save_screenshot(str(ARTIFACTS / f"screen-board-large-{lang}.png"))
        assert no_scrollbar(browser), browser.execute_script(
            "return [document.documentElement.scrollHeight, innerHeight]"
        )
        check_language(browser, lang)
        board = browser.find_element(By.ID, "board")
        pages = int(board.get_attribute("data-pages") or "0")
        assert pages > 1  # 60 contestants do not fit one screen: the board rotates
        first = browser.find_element(By.CSS_SELECTOR, ".brow[data-competitor]").text
        browser.save_screenshot(str(ARTIFACTS / f"screen-board-large-{lang}.png"))
        wait(
            lambda f=first: browser.find_element(By.ID, "board").get_attribute("data-page") == "2",
            what="the next page",
        )
        assert browser.find_element(By.CSS_SELECTOR, ".brow[data-competitor]").text != first
        row = browser.find_element(By.CSS_SELECTOR, ".brow[data-competitor] .points").text
        assert "/ 30" in row.replace("\u00a0", " ")  # out of the scheme's maximum
        fonts = browser.execute_script(
            "return [...document.querySelectorAll('.brow[data-competitor] .name')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(fonts) >= 36
