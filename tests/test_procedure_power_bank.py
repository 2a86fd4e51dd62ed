"""``power_bank`` on a simulated bench: a two-hour GB/T 35590 run in seconds, every modelled
fault failing its measurement, bench faults giving FAULT, the teardown powering off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.measurement import RunOutcome
from benchscore.sim.faults import inject
from firmware_py.hardware import StationHardware
from tests.support.benches import run, station, write_config
from tests.support.emulation import wall_s


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[object]:
    counter = iter(range(100))

    def make(fault: str = "none", task: str = "power_bank", **kw: str) -> StationHardware:
        path = write_config(
            tmp_path, f"pb{next(counter)}", task=task, assembly="power_bank", fault=fault, **kw
        )
        cm = station(path)
        hw = cm.__enter__()
        opened.append(cm)
        return hw

    opened: list[object] = []
    yield make
    for cm in opened:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def instruments_off(hw: StationHardware) -> bool:
    assert hw.sim is not None
    eload = hw.sim.instruments["eload"].simulator.load
    supply = hw.sim.instruments["supply"].simulator.supply
    return not eload.input_on and not supply.output_on


def test_full_run_passes_in_seconds_with_curves_progress_and_teardown(bank) -> None:
    hw = bank()
    started = time.perf_counter()
    r = run(hw)
    wall = time.perf_counter() - started
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    assert r.sim_seconds >= 2 * 3600  # charge + discharge: well over two simulated hours
    # a loose sanity bound only: bench/bench_procedures.py measures the real figure (<= 10 s)
    assert wall <= wall_s(60.0), f"{wall:.1f} s of wall time for {r.sim_seconds / 3600:.1f} h"
    values = r.values()
    assert values["capacity_mah"] == pytest.approx(3160, rel=0.02)
    assert values["efficiency_pct"] == pytest.approx(85.4, abs=1.0)
    assert 1.7 < values["charge_cc_current_a"] < 1.9  # 2 A into the cell, at the 5 V input
    assert values["overcurrent_trip_s"] == pytest.approx(1.0, abs=0.06)  # the 1 s OCP delay
    assert values["short_trip_s"] <= 0.1
    assert values["ripple_pp_v"] == pytest.approx(0.04, abs=0.01)
    # every measurement carries limits, an outcome, the curve it came from and its U (k = 2)
    for m in r.result.measurements:
        assert m.curve in r.curves, m.name
        assert m.limits.low is not None or m.limits.high is not None
        assert m.u is not None and m.u >= 0, m.name
    u = {m.name: m.u for m in r.result.measurements}
    # INA226 datasheet limits (0.1 % + 7.5 mV, 0.1 % + 10 uV / shunt), rectangular, k = 2
    assert u["capacity_mah"] == pytest.approx(0.00336 * values["capacity_mah"], rel=0.02)
    # long phases stream chunks and report progress with an ETA
    assert len(r.curves["discharge"]) >= 2  # streamed while the phase ran
    assert sum(len(c["t_s"]) for c in r.curves["charge"]) > 400
    chunks = [c for cs in r.curves.values() for c in cs]
    assert all(len(col) <= 1000 for c in chunks for col in c.values())
    discharge = [v for p, v in r.live if p == "discharge" and "progress_pct" in v]
    assert len(discharge) > 50 and discharge[-1]["progress_pct"] == 100.0
    assert any(v.get("eta_s") for v in discharge)
    assert instruments_off(hw)


def test_shortened_variant_stops_after_the_energy_window(bank) -> None:
    hw = bank(task="power_bank_short")
    r = run(hw)
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    values = r.values()
    assert "capacity_mah" not in values and "charge_cc_current_a" not in values
    assert values["window_energy_wh"] == pytest.approx(3.0, abs=0.2)
    assert r.sim_seconds < 1800


@pytest.mark.parametrize(
    "fault,failing",
    [
        ("weak_cell", {"capacity_mah", "efficiency_pct"}),
        ("no_short_protection", {"overcurrent_trip_s", "short_trip_s"}),
        ("poor_regulation", {"output_voltage_min_v"}),
        ("high_ripple", {"ripple_pp_v"}),
        ("overheating", {"temperature_rise_k"}),
    ],
)
def test_each_fault_fails_its_measurement_with_a_reason(
    bank, fault: str, failing: set[str]
) -> None:
    hw = bank(fault)
    r = run(hw)
    assert r.result.outcome is RunOutcome.FAIL
    assert failing <= r.failing(), r.result.reason
    for m in r.result.measurements:
        if m.name in failing:
            assert m.reason.startswith(m.name) and m.reason in r.result.reason
    assert "ripple_pp_v" in r.failing() or fault != "high_ripple"
    assert instruments_off(hw)


def test_missing_protection_is_named_in_the_reason(bank) -> None:
    r = run(bank("no_short_protection"))
    assert "no short-circuit protection" in r.result.reason
    assert "no over-current protection" in r.result.reason


def test_power_monitor_fault_mid_discharge_gives_fault_never_pass(bank) -> None:
    hw = bank(task="power_bank_short")
    assert hw.sim is not None
    address = hw.config.hardware.output_monitor.address

    def storm(phase: str, values: dict[str, float | None]) -> None:
        if phase == "discharge" and values.get("energy_wh", 0) and values["energy_wh"] > 1:
            inject(hw.sim.bus, address, clock=hw.clock).nack_storm(3600)

    r = run(hw, on_live=storm)
    assert r.result.outcome is RunOutcome.FAULT
    assert "INA226" in r.result.reason and f"0x{address:02X}" in r.result.reason
    assert instruments_off(hw)


def test_electronic_load_that_stops_answering_gives_fault(bank) -> None:
    hw = bank(task="power_bank_short")
    assert hw.sim is not None
    pty = hw.sim.instruments["eload"]

    def silence(phase: str, values: dict[str, float | None]) -> None:
        if phase == "short":
            pty.fault = "timeout"

    r = run(hw, on_live=silence)
    assert r.result.outcome is RunOutcome.FAULT
    assert "DL3021" in r.result.reason and "no complete reply" in r.result.reason
    assert not hw.sim.instruments["supply"].simulator.supply.output_on  # the rest went off


def test_unplugged_thermometer_and_instrument_fail_the_bench_check(bank) -> None:
    with pytest.raises(OSError, match="DS18B20 28-0000000000b1"):
        bank(simulation='unplugged = ["thermometer"]').open_bench()
    with pytest.raises(OSError, match="Rigol DL3021 on /nonexistent"):
        bank(simulation='unplugged = ["eload"]').open_bench()


def test_abort_powers_off(bank) -> None:
    hw = bank(task="power_bank_short")
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 200

    r = run(hw, should_stop=stop)
    assert r.result.outcome is RunOutcome.FAULT and r.result.reason == "aborted"
    assert instruments_off(hw)


def test_other_instruments_and_monitors_of_the_hardware_map(bank) -> None:
    hw = bank(
        task="power_bank_short",
        hardware="\n".join(
            [
                "[hardware.eload]",
                'driver = "it8500"',
                'port = "/dev/ttyUSB1"',
                "[hardware.supply]",
                'driver = "rd6006"',
                'port = "/dev/ttyUSB2"',
                "[hardware.output_monitor]",
                'chip = "ina219"',
                "address = 0x44",
                "shunt_ohm = 0.05",
                "max_current_a = 6.0",
                "[hardware.input_monitor]",
                'chip = "ina260"',
                "address = 0x45",
            ]
        ),
    )
    assert hw.sim is not None
    assert type(hw.sim.instruments["eload"].simulator).__name__ == "IT8500Simulator"
    r = run(hw)
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    assert r.values()["window_energy_wh"] == pytest.approx(3.0, abs=0.2)


def test_overheating_bank_is_stopped_at_the_safety_temperature(bank) -> None:
    hw = bank("overheating")
    r = run(hw)
    assert "stopped at the 65 °C safety limit" in r.result.reason
    assert max(c for chunk in r.curves["discharge"] for c in chunk["temperature_c"]) < 66.0
    assert hw.sim is not None and hw.sim.bank.trip_reason is None  # the station stopped first
