"""The contestant's screen at the station, in headless Chromium at 800x480 (a 7-inch panel).

Screenshots of PASS, FAIL and a prompt in English, Chinese and Arabic go to tests/artifacts/
(``contestant-<state>-<lang>.png``); each asserts the page fits without scrolling, Arabic is
right to left, and no message key (nor, in zh/ar, an English sentence) is shown. Then a real
station runs an LED task that asks "Is the diffuser fitted?": a click on the page answers it,
a second run gets no answer and takes the default when the timeout passes, and both answers
are in the run record as the scorer stores it.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

selenium = pytest.importorskip("selenium")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from benchscore.measurement import Limits, Measurement  # noqa: E402
from benchscore.protocol import parse_topic, validate  # noqa: E402
from firmware_py.config import load_station_config  # noqa: E402
from firmware_py.contestant_screen import ScreenFeed, start_screen  # noqa: E402
from firmware_py.contestant_screen.messages import MESSAGES  # noqa: E402
from firmware_py.operator_io import Prompt, PromptDesk  # noqa: E402
from firmware_py.station import Station  # noqa: E402
from scorer.store import Store  # noqa: E402
from tests.browser.chromium import ARTIFACTS, CHROMEDRIVER, CHROMIUM, chromium, wait  # noqa: E402
from tests.support.stations import LED_TASK, write_station_config  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs the Debian packages chromium and chromium-driver (scripts/setup.sh)",
)

LANGS = ("en", "zh", "ar")
ENGLISH = {t for t in MESSAGES.values() if " " in t and "{" not in t and len(t) > 8}
"""English texts that would give away a missing translation."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium(viewport=(800, 480)) as driver:  # a 7-inch touchscreen
        yield driver


def check_page(driver: WebDriver, lang: str) -> None:
    """Right to left for Arabic only, no key shown, nothing left in English, no scrolling."""
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    text = str(driver.execute_script("return document.body.innerText"))
    keys = [k for k in MESSAGES if k in text]
    assert not keys, (lang, keys)
    assert not re.search(r"\{\w+\}", text), text
    if lang != "en":
        left = sorted(e for e in ENGLISH if e in text)
        assert not left, (lang, left)
    assert driver.execute_script(
        "const d = document.documentElement;"
        "return d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth;"
    ), "the page scrolls at 800x480"


def show(driver: WebDriver, url: str, lang: str, state: str) -> None:
    driver.get(f"{url}?lang={lang}")
    wait(
        lambda: driver.find_element(By.ID, "banner").get_attribute("data-state") == state,
        what=f"the {state} banner",
    )


def failed(name: str, value: float, unit: str, low: float, high: float) -> dict[str, Any]:
    return Measurement.judged(name, value, unit, Limits(low, high)).to_dict()


def test_pass_fail_and_a_prompt_in_three_languages(browser: WebDriver) -> None:
    feed = ScreenFeed("led07", "LED module A")
    desk = PromptDesk()
    server = start_screen(feed, desk, "127.0.0.1", free_port())
    assert server is not None
    try:
        feed.update(state="done", outcome="pass", time_limit_end=time.time() + 1234)
        feed.result({"run_id": "r1", "outcome": "pass", "reason": "", "measurements": []})
        for lang in LANGS:
            show(browser, server.url, lang, "pass")
            check_page(browser, lang)
            browser.save_screenshot(str(ARTIFACTS / f"contestant-pass-{lang}.png"))
        bad = [
            failed("power_w", 4.31, "W", 3.2, 4.0),
            failed("illuminance_lx", 2140.0, "lx", 2400, 3400),
        ]
        feed.result({"run_id": "r2", "outcome": "fail", "reason": "x", "measurements": bad})
        for lang in LANGS:
            show(browser, server.url, lang, "fail")
            check_page(browser, lang)
            items = browser.find_elements(By.CSS_SELECTOR, ".reasons li")
            assert len(items) == 2
            if lang == "zh":
                assert "功率" in items[0].text and "过高" in items[0].text, items[0].text
            browser.save_screenshot(str(ARTIFACTS / f"contestant-fail-{lang}.png"))
        # testing with its phase and progress; a fault (the same screens for every language)
        feed.update(state="running", phase="channel_warm", progress_pct=40.0)
        for lang in ("en", "ar"):
            show(browser, server.url, lang, "running")
            check_page(browser, lang)
            browser.save_screenshot(str(ARTIFACTS / f"contestant-testing-{lang}.png"))
        feed.update(state="fault", code="aborted_jig", reason="aborted: jig opened")
        feed.result({"run_id": "r3", "outcome": "fault", "reason": "aborted: jig opened",
                     "code": "aborted_jig", "params": {}, "measurements": []})  # fmt: skip
        for lang in ("en", "ar"):
            show(browser, server.url, lang, "fault")
            check_page(browser, lang)
            browser.save_screenshot(str(ARTIFACTS / f"contestant-fault-{lang}.png"))
        # a prompt over the running state; a click on the page answers it
        feed.update(state="running", phase="prompt")
        prompt = Prompt(
            "diffuser_fitted-1", "yes_no", "Is the diffuser fitted?", code="diffuser_fitted",
            timeout_s=60, default=True, asked_at=time.time(),
        )  # fmt: skip
        answers: list[dict[str, Any]] = []
        asking = threading.Thread(target=lambda: answers.append(desk.ask(prompt, lambda: False)))
        asking.start()
        wait(lambda: desk.current is not None, what="the prompt open")
        feed.update(prompt={**prompt.to_dict(), "expires_at": desk.expires_at})
        for lang in LANGS:
            show(browser, server.url, lang, "running")
            wait(lambda: browser.find_element(By.ID, "prompt"), what="the prompt panel")
            check_page(browser, lang)
            assert re.search(r"\b(59|60)\b", browser.find_element(By.ID, "countdown").text)
            browser.save_screenshot(str(ARTIFACTS / f"contestant-prompt-{lang}.png"))
        browser.find_element(By.CSS_SELECTOR, "#prompt button.no").click()
        asking.join(10)
        assert answers and answers[0]["value"] is False and answers[0]["by"] == "touchscreen"

        # a number: outside the range the page says so (in the reader's language); the edge
        # value is an answer
        number = Prompt("turns-1", "number", "How many turns?", min=1.0, max=20.0, asked_at=1.0)
        answers.clear()
        asking = threading.Thread(target=lambda: answers.append(desk.ask(number, lambda: False)))
        asking.start()
        wait(lambda: desk.current is number, what="the number prompt open")
        feed.update(prompt={**number.to_dict(), "expires_at": None})
        show(browser, server.url, "ar", "running")
        field = wait(lambda: browser.find_element(By.CSS_SELECTOR, "#prompt input.number"))
        field.send_keys("20.5")
        browser.find_element(By.CSS_SELECTOR, "#prompt button.yes").click()
        note = browser.find_element(By.CSS_SELECTOR, "#prompt .note")
        wait(lambda: "20" in note.text and "أدخل" in note.text, what="the range refusal")
        assert desk.current is number
        field.clear()
        field.send_keys("20")
        browser.find_element(By.CSS_SELECTOR, "#prompt button.yes").click()
        asking.join(10)
        assert answers and answers[0]["value"] == 20.0 and answers[0]["by"] == "touchscreen"
    finally:
        server.stop()


def station_with_screen(tmp_path: Path, timeout_s: float) -> Station:
    task = tmp_path / "led_prompt.toml"
    task.write_text(
        LED_TASK.read_text().replace(
            "[parameters]\n",
            f"[parameters]\nask_diffuser_timeout_s = {timeout_s}\nask_diffuser_default = 1\n",
        )
        + '\n[limits.diffuser_fitted]\nunit = ""\nlow = 1\n'
    )
    path = write_station_config(tmp_path, "led09", port=free_port(), task=task)
    text = path.read_text().replace(
        "[station]\n",
        f'[station]\nstate_dir = "{tmp_path / "state"}"\nscreen = "127.0.0.1:{free_port()}"\n',
    )
    path.write_text(text)
    return Station(load_station_config(path))


def stored(station: Station, record: dict[str, Any], db: Path) -> dict[str, Any]:
    """The record as the scorer stores it (validated on its topic, then read back)."""
    obj = validate(parse_topic(station.link.topics.record), {**record, "boot_id": station.boot_id})
    store = Store(db)
    try:
        assert store.add_records([obj]) == [True]
        run = store.get_run(station.config.station_id, record["run_id"])
        assert run is not None
        payload: dict[str, Any] = run["payload"]
        return payload
    finally:
        store.close()


def test_an_led_run_waits_for_the_touchscreen_then_times_out(
    browser: WebDriver, tmp_path: Path
) -> None:
    station = station_with_screen(tmp_path, timeout_s=30)
    try:
        station.start()
        assert station.screen is not None
        done: list[dict[str, Any]] = []
        runner = threading.Thread(target=lambda: done.append(station.run_once()))
        runner.start()
        browser.get(station.screen.url + "?lang=ar")
        wait(lambda: browser.find_element(By.CSS_SELECTOR, "#prompt button.no"), what="prompt")
        assert station.state.value == "running" and not done  # the run waits for the answer
        assert station.prompts.current is not None
        buzzer = station.hardware.pin_factory.pin(station.config.hardware.gpio.buzzer)
        wait(lambda: any(on for _, on in buzzer.states), what="the attention beep")
        browser.find_element(By.CSS_SELECTOR, "#prompt button.no").click()
        runner.join(30)
        first = stored(station, done[0], tmp_path / "scorer.db")
        (asked,) = first["prompts"]
        assert asked["code"] == "diffuser_fitted" and asked["kind"] == "yes_no"
        assert asked["value"] is False and asked["by"] == "touchscreen"
        assert asked["answered_at"] >= asked["asked_at"]
        assert first["outcome"] == "fail"  # no diffuser: diffuser_fitted 0 < 1
        (fitted,) = [m for m in first["measurements"] if m["name"] == "diffuser_fitted"]
        assert fitted["value"] == 0.0 and fitted["code"] == "too_low"
        wait(lambda: browser.find_element(By.ID, "banner").get_attribute("data-state") == "fail")

        # nobody answers: the default (yes) when the timeout passes, then the run goes on
        station.config.task.parameters["ask_diffuser_timeout_s"] = 0.6
        started = time.monotonic()
        second = station.run_once()
        assert time.monotonic() - started >= 0.6
        (asked,) = stored(station, second, tmp_path / "scorer.db")["prompts"]
        assert asked["value"] is True and asked["by"] == "timeout"
        assert second["outcome"] == "pass", second["reason"]

        # a judge answers (the command the link hands over once it verified the signature)
        station.config.task.parameters["ask_diffuser_timeout_s"] = 30
        runner = threading.Thread(target=lambda: done.append(station.run_once()))
        runner.start()
        wait(lambda: station.prompts.current is not None, what="the third prompt")
        prompt_id = station.prompts.current.id  # type: ignore[union-attr]
        assert station.handle_command("answer", {"prompt": "other-1", "value": True})[0] is False
        assert station.handle_command("answer", {"prompt": prompt_id, "value": "yes"})[0] is False
        ok, _ = station.handle_command(
            "answer", {"prompt": prompt_id, "value": True, "judge": "judge1"}
        )
        assert ok
        runner.join(30)
        (asked,) = stored(station, done[-1], tmp_path / "scorer.db")["prompts"]
        assert asked["by"] == "judge" and asked["judge"] == "judge1" and asked["value"] is True
    finally:
        station.stop()
        station.close()
