"""Operator prompts (PromptDesk) and reason codes on the wire: who may answer what, the
timeout's default, the buttons, and the protocol's checks of the new optional fields."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchscore.measurement import Limits, Measurement
from benchscore.protocol import PayloadError, TopicParts, validate
from firmware_py.operator_io import Prompt, PromptDesk


def ask_in_thread(desk: PromptDesk, prompt: Prompt) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(desk.ask(prompt, lambda: False)))
    thread.start()
    deadline = time.monotonic() + 5
    while desk.current is None and time.monotonic() < deadline:
        time.sleep(0.005)
    return thread, out


def test_a_number_answer_must_fit_the_range_edges_included() -> None:
    desk = PromptDesk()
    prompt = Prompt("n-1", "number", "Resistor value?", min=10.0, max=20.0)
    thread, out = ask_in_thread(desk, prompt)
    assert desk.answer("n-1", 9.999, "touchscreen") == (False, "the answer must be within 10..20")
    assert not desk.answer("n-1", True, "touchscreen")[0]  # a boolean is not a number
    assert not desk.answer("n-2", 15, "touchscreen")[0]  # not the open prompt
    assert desk.answer("n-1", 20, "judge", judge="judge1") == (True, "answered")  # = max
    thread.join(5)
    assert out[0]["value"] == 20.0 and out[0]["by"] == "judge" and out[0]["judge"] == "judge1"
    assert desk.current is None and not desk.answer("n-1", 15, "touchscreen")[0]


def test_no_answer_takes_the_default_when_the_timeout_passes() -> None:
    desk = PromptDesk()
    start = time.monotonic()
    entry = desk.ask(
        Prompt("q-1", "yes_no", "Fitted?", timeout_s=0.2, default=False), lambda: False
    )
    assert time.monotonic() - start >= 0.2
    assert entry["value"] is False and entry["by"] == "timeout"


def test_start_is_yes_abort_is_no_and_abort_at_an_instruction_is_not_an_answer() -> None:
    desk = PromptDesk()
    thread, out = ask_in_thread(desk, Prompt("q-1", "yes_no", "Green?"))
    assert desk.press("abort")
    thread.join(5)
    assert out[0]["value"] is False and out[0]["by"] == "button"
    thread, out = ask_in_thread(desk, Prompt("i-1", "instruction", "Fit the lens."))
    assert not desk.press("abort")  # the station aborts the run instead
    assert desk.press("start")
    thread.join(5)
    assert out[0]["value"] is True
    assert not desk.press("start")  # nothing open: START starts a run as always


def test_an_abort_while_waiting_is_recorded_as_aborted() -> None:
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    entry = PromptDesk().ask(Prompt("q-1", "yes_no", "Green?"), stop.is_set)
    assert entry["by"] == "aborted" and entry["value"] is None


def test_limit_reasons_carry_codes_at_the_band_edges() -> None:
    band = Limits(3.2, 4.0)
    assert Measurement.judged("power_w", 4.0, "W", band).code == ""  # = high: a pass
    high = Measurement.judged("power_w", 4.0001, "W", band)
    assert high.code == "too_high" and high.params["range"] == "3.2 – 4"
    low = Measurement.judged("power_w", 3.1999, "W", Limits(low=3.2))
    assert low.code == "too_low" and low.params["range"] == "≥ 3.2"
    assert Measurement.judged("power_w", None, "W", band).to_dict()["code"] == "no_value"
    assert "code" not in Measurement.judged("power_w", 3.5, "W", band).to_dict()


def result(**extra: Any) -> dict[str, Any]:
    return {
        "schema": 2, "type": "record", "event": "e", "station": "s1", "boot_id": "b",
        "seq": 1, "run_id": "b-1", "kind": "result", "task": "t", "procedure": "p",
        "started_at": 1.0, "ended_at": 2.0, "outcome": "fault", "reason": "x",
        "measurements": [], **extra,
    }  # fmt: skip


TOPIC = TopicParts("e", "s1", "record")
ANSWERED = {
    "id": "q-1", "kind": "yes_no", "text": "Fitted?", "asked_at": 1.0, "default": True,
    "timeout_s": 8, "value": False, "by": "touchscreen", "answered_at": 1.5,
}  # fmt: skip


def test_the_protocol_takes_codes_and_prompts_and_refuses_bad_ones() -> None:
    validate(TOPIC, result(code="aborted_button", params={"n": 1}, prompts=[ANSWERED]))
    bad: list[dict[str, Any]] = [
        result(code="Aborted!"),
        result(params={"x": [1]}),
        result(params={f"p{i}": 1 for i in range(17)}),
        result(prompts=[{**ANSWERED, "by": "someone"}]),
        result(prompts=[{**ANSWERED, "value": "yes"}]),
        result(prompts=[{k: v for k, v in ANSWERED.items() if k != "answered_at"}]),
        result(prompts=[ANSWERED] * 33),
    ]
    for obj in bad:
        with pytest.raises(PayloadError):
            validate(TOPIC, obj)


def test_a_bad_screen_address_is_one_plain_line(tmp_path: Path) -> None:
    from benchscore.configfile import ConfigError
    from firmware_py.config.station import load_station_setup
    from tests.support.stations import write_station_config

    path = write_station_config(tmp_path, "st1")
    path.write_text(path.read_text().replace("[station]\n", '[station]\nscreen = "localhost"\n'))
    with pytest.raises(ConfigError, match=r"screen.*expected host:port"):
        load_station_setup(path)
    path.write_text(path.read_text().replace('"localhost"', '"127.0.0.1:8090"'))
    assert load_station_setup(path).screen == ("127.0.0.1", 8090)


def test_a_busy_screen_port_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    from firmware_py.contestant_screen import ScreenFeed, start_screen

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert start_screen(ScreenFeed("s", "t"), PromptDesk(), "127.0.0.1", port) is None
    assert "contestant screen off" in caplog.text


def test_a_failing_screen_listener_never_stops_the_question() -> None:
    def broken() -> None:
        raise RuntimeError("screen gone")

    desk = PromptDesk(on_change=broken)
    entry = desk.ask(Prompt("q-1", "yes_no", "Green?", timeout_s=0.05, default=True), lambda: False)
    assert entry["by"] == "timeout" and entry["value"] is True
