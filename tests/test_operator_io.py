"""What the contestant meets at the station: jig presence, START and ABORT, tower light and
buzzer patterns, the display, and the marked-attempts limit (kept across restarts)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.clock import SimClock
from firmware_py.config import load_station_config
from firmware_py.operator_io import message
from firmware_py.state import StationState
from firmware_py.station import Station
from tests.support.brokers import free_port
from tests.support.stations import write_station_config


def make(
    tmp_path: Path, name: str = "op01", extra: str = "", clock: SimClock | None = None
) -> Station:
    text = f'max_marked_attempts = 2\ndisplay_file = "{tmp_path / name / "display.txt"}"\n'
    path = write_station_config(tmp_path, name, port=free_port())
    path.write_text(path.read_text().replace("[broker]", text + extra + "[broker]", 1))
    return Station(load_station_config(path), clock=clock or SimClock())


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    st = make(tmp_path)
    st.start()
    yield st
    st.close()


def pin(st: Station, name: str):  # noqa: ANN201 - a gpiozero MockPin
    return st.hardware.pin_factory.pin(getattr(st.config.hardware.gpio, name))


def display(st: Station) -> list[str]:
    assert st.config.display_file is not None
    return st.config.display_file.read_text().splitlines()


def test_open_jig_refuses_start_and_says_why(station: Station) -> None:
    station.hardware.set_jig(False)
    assert station.refusal(marked=True).startswith("no assembly in the jig")
    ok, detail = station.handle_command("start", {})
    assert not ok and "jig" in detail
    station.hardware.set_jig(True)
    assert station.refusal(marked=True) == ""


def test_jig_opened_mid_run_aborts_with_that_reason_and_powers_off(station: Station) -> None:
    calls = {"n": 0}
    original = station.link.publish_live

    def open_on_third_sample(values: dict[str, object]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            station.hardware.set_jig(False)
        original(values)

    station.link.publish_live = open_on_third_sample  # type: ignore[method-assign]
    record = station.run_once()
    assert record["outcome"] == "fault"
    assert record["reason"] == "aborted: jig opened during the run"
    assert not station.hardware.power_relay.value
    assert station.marked_attempts == 0  # a run the bench could not finish costs no attempt


def test_abort_button_mid_run(station: Station) -> None:
    original = station.link.publish_live
    pressed = threading.Event()

    def press_on_first_measure(values: dict[str, object]) -> None:
        if values.get("phase") == "measure" and not pressed.is_set():
            pressed.set()
            station.hardware.press_abort(0.0)
        original(values)

    station.link.publish_live = press_on_first_measure  # type: ignore[method-assign]
    record = station.run_once()
    assert record["reason"] == "aborted: ABORT pressed"
    assert station.state is StationState.FAULT


def test_lights_buzzer_and_display_follow_the_verdict(station: Station) -> None:
    green, red, buzzer = (
        pin(station, "light_green"),
        pin(station, "light_red"),
        pin(station, "buzzer"),
    )
    assert green.state and not red.state
    # this station's broker is unreachable: the operator sees results are kept
    assert display(station) == ["READY - press START", "offline, results kept"]
    buzzer.clear_states()
    record = station.run_once()
    assert record["outcome"] == "pass"
    assert green.state and not red.state
    assert display(station)[0] == "PASS"
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(buzzer.states) < 3:
        time.sleep(0.02)
    assert [s for _, s in buzzer.states][:3] == [False, True, False]  # one short beep

    station.hardware.sim.bus.nack_addresses.add(0x40)  # type: ignore[union-attr]
    buzzer.clear_states()
    record = station.run_once()
    assert record["outcome"] == "fault"
    assert display(station) == ["BENCH FAULT - call a technician", record["reason"][:40]]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(buzzer.states) < 3:
        time.sleep(0.02)
    on_s = buzzer.states[2].timestamp  # a MockPin state's timestamp: time since the change before
    assert on_s >= 0.9  # one long tone


def test_ready_with_the_jig_open_blinks_green(station: Station) -> None:
    green = pin(station, "light_green")
    station.hardware.set_jig(False)
    green.clear_states()
    time.sleep(2.3)
    assert len(green.states) >= 3  # slow blink: about one change a second


def test_marked_attempts_limit_survives_a_restart(tmp_path: Path) -> None:
    st = make(tmp_path, "op02")
    st.start()
    try:
        assert st.run_once(marked=True)["outcome"] == "pass"
        assert st.run_once(marked=False)["outcome"] == "pass"  # self-check: free
        assert st.marked_attempts == 1
    finally:
        st.close()
    again = make(tmp_path, "op02")
    again.start()
    try:
        assert again.marked_attempts == 1
        assert again.refusal(marked=True) == ""
        again.run_once(marked=True)
        assert (
            again.refusal(marked=True) == "all 2 marked attempts used: only self-check runs remain"
        )
        assert again.refusal(marked=False) == ""
        ok, detail = again.handle_command("start", {"marked": True})
        assert not ok and "marked attempts" in detail
        assert again.handle_command("self_check", {})[0]
    finally:
        again.close()


def test_messages() -> None:
    assert message(StationState.DONE, "", "pass") == ("PASS", "all measurements within limits")
    assert message(StationState.RUNNING, "run 3", None) == ("TESTING - do not touch", "run 3")
