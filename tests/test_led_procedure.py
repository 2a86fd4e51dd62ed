"""``led_assembly`` on a simulated bench: verdicts per fault, teardown always powers off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.clock import SimClock
from benchscore.measurement import Outcome, RunOutcome
from firmware_py.config import load_station_config
from firmware_py.hardware import StationHardware
from firmware_py.procedures.led_assembly import LEDAssemblyProcedure
from tests.support.stations import write_station_config


@pytest.fixture
def make_bench(tmp_path: Path) -> Iterator[object]:
    opened: list[StationHardware] = []

    def make(fault: str = "none", unplugged: tuple[str, ...] = ()) -> StationHardware:
        cfg = load_station_config(
            write_station_config(tmp_path, f"s{len(opened)}", fault=fault, unplugged=unplugged)
        )
        hw = StationHardware(cfg, SimClock())
        opened.append(hw)
        return hw

    yield make
    for hw in opened:
        hw.close()


def run(hw: StationHardware, live: list[tuple[str, dict[str, float | None]]] | None = None):
    sink = live.append if live is not None else (lambda *_: None)
    bench = hw.open_bench()
    proc = LEDAssemblyProcedure(
        bench, hw.config.task, hw.clock, lambda phase, values: sink((phase, values))
    )
    return proc.run()


def outcomes(result) -> dict[str, Outcome]:
    return {m.name: m.outcome for m in result.measurements}


def test_good_assembly_passes_with_values_near_physics(make_bench) -> None:
    hw = make_bench()
    live: list[tuple[str, dict[str, float | None]]] = []
    result = run(hw, live)
    assert result.outcome is RunOutcome.PASS, result.reason
    values = {m.name: m.value for m in result.measurements}
    assert values["voltage_v"] == pytest.approx(11.985, abs=0.01)
    assert values["current_a"] == pytest.approx(0.2988, abs=0.002)
    assert values["power_w"] == pytest.approx(3.58, abs=0.03)
    assert values["illuminance_lx"] == pytest.approx(2859, rel=0.01)
    assert [phase for phase, _ in live] == ["power_on"] + ["measure"] * 5
    assert not hw.power_relay.value  # powered off after the run


@pytest.mark.parametrize(
    "fault,failing",
    [
        ("open_string", {"current_a", "power_w", "illuminance_lx"}),
        ("shorted_led", {"current_a", "power_w"}),
        ("short_circuit", {"voltage_v", "current_a", "power_w", "illuminance_lx"}),
        ("reversed", {"current_a", "power_w", "illuminance_lx"}),
        ("wrong_bin", {"illuminance_lx"}),
    ],
)
def test_each_fault_fails_the_right_measurements(make_bench, fault: str, failing: set[str]) -> None:
    result = run(make_bench(fault))
    assert result.outcome is RunOutcome.FAIL
    got = {name for name, o in outcomes(result).items() if o is Outcome.FAIL}
    assert got == failing
    for m in result.measurements:
        if m.name in failing:
            assert m.name in result.reason and m.unit in m.reason


def test_relay_is_switched_on_then_off(make_bench) -> None:
    hw = make_bench()
    relay_pin = hw.pin_factory.pin(hw.config.hardware.gpio.power_relay)
    relay_pin.clear_states()
    run(hw)
    assert [s for _, s in relay_pin.states] == [False, True, False]  # off, on, off


def test_sensor_unplugged_mid_run_gives_fault_and_powers_off(make_bench) -> None:
    hw = make_bench()
    bench = hw.open_bench()
    calls = {"n": 0}

    def unplug_after_two(phase: str, values: dict[str, float | None]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            assert hw.sim is not None
            hw.sim.bus.detach(hw.config.hardware.light_sensor.address)

    result = LEDAssemblyProcedure(bench, hw.config.task, hw.clock, unplug_after_two).run()
    assert result.outcome is RunOutcome.FAULT
    assert "BH1750" in result.reason and "0x23" in result.reason
    assert not hw.power_relay.value


def test_missing_sensor_fails_bench_check(make_bench) -> None:
    hw = make_bench(unplugged=("power_monitor",))
    with pytest.raises(OSError, match="INA226 at 0x40"):
        hw.open_bench()


def test_abort_stops_the_run_and_powers_off(make_bench) -> None:
    hw = make_bench()
    bench = hw.open_bench()
    proc = LEDAssemblyProcedure(
        bench, hw.config.task, hw.clock, lambda *a: None, should_stop=lambda: True
    )
    result = proc.run()
    assert result.outcome is RunOutcome.FAULT
    assert result.reason == "aborted"
    assert not hw.power_relay.value
