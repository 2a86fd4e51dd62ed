"""The complete ``led_assembly`` task on a simulated tunable-white module: low-current check
first (a faulty assembly never gets full power), each channel alone, full-on photometry,
dimming, flicker; every modelled fault fails its measurement; a sensor fault gives FAULT."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.measurement import RunOutcome
from benchscore.sim.faults import inject
from firmware_py.hardware import StationHardware
from tests.support.benches import run, station, write_config


@pytest.fixture
def module(tmp_path: Path) -> Iterator[object]:
    counter = iter(range(100))
    opened: list[object] = []

    def make(fault: str = "none", **kw: str) -> StationHardware:
        path = write_config(
            tmp_path,
            f"led{next(counter)}",
            task="led_tunable_white",
            assembly="led_assembly",
            fault=fault,
            simulation='led_module = "tunable_white"\n' + kw.pop("simulation", ""),
            **kw,
        )
        cm = station(path)
        opened.append(cm)
        return cm.__enter__()

    yield make
    for cm in opened:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def test_good_module_passes_every_phase(module) -> None:
    hw = module()
    relay = hw.pin_factory.pin(hw.config.hardware.gpio.power_relay)
    check = hw.pin_factory.pin(hw.config.hardware.gpio.check_relay)
    relay.clear_states()
    check.clear_states()
    r = run(hw)
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    v = r.values()
    assert v["check_voltage_v"] == pytest.approx(8.40, abs=0.05)
    assert v["check_current_a"] == pytest.approx(0.0164, abs=0.001)
    assert v["warm_cct_k"] == pytest.approx(3000, abs=60)
    assert v["cool_cct_k"] == pytest.approx(6500, abs=100)
    assert v["current_a"] == pytest.approx(0.398, abs=0.003)
    assert v["illuminance_lx"] == pytest.approx(3802, rel=0.01)
    assert v["cct_k"] == pytest.approx(4227, abs=80)
    assert v["dimming_error_pct"] < 2.0  # PWM: light follows duty (+3 lx ambient)
    assert v["flicker_percent"] == 0.0 and v["flicker_ieee1789_ratio"] == 0.0
    assert set(r.curves) == {
        "check",
        "channel_warm",
        "channel_cool",
        "samples",
        "dimming",
        "flicker",
        "channel_warm_colour",  # the colour readings, for an appeal's re-analysis
        "channel_cool_colour",
        "samples_colour",
        "ansi_c78377",
        "warm_ansi_c78377",
        "cool_ansi_c78377",
        "diffuser_fitted",  # the operator's answer to the diffuser question
    }
    # ANSI C78.377: each channel and the mix inside its nominal CCT's quadrangle
    assert 0 < v["warm_ansi_c78377_ratio"] < 0.3 and 0 < v["cool_ansi_c78377_ratio"] < 0.7
    assert 0.5 < v["ansi_c78377_ratio"] <= 1.0  # the mix (~4230 K) is near the cool edge
    assert v["flicker_ieee1789_region"] == 0.0  # steady light: no observable effect
    assert len(r.curves["flicker"][0]["illuminance_lx"]) == 3300
    # check feed first, then the jig power; everything off at the end
    assert [bool(s) for _, s in check.states][-2:] == [True, False]
    assert not relay.states[-1][1] and any(s for _, s in relay.states)
    assert not (hw.power_relay.value or hw.check_relay.value or hw.reverse_relay.value)
    assert hw.sim is not None and hw.sim.chips["channel_switch"].output_pins() == 0


@pytest.mark.parametrize(
    "fault,failing",
    [
        ("open_string", {"warm_current_a", "warm_illuminance_lx", "current_a", "cct_k"}),
        ("open_led", {"warm_current_a", "warm_illuminance_lx", "illuminance_lx"}),
        ("shorted_led", {"warm_current_a", "current_a", "power_w"}),
        ("short_circuit", {"check_voltage_v"}),
        ("reversed", {"check_current_a", "check_reverse_current_a"}),
        ("reversed_string", {"check_reverse_current_a"}),
        ("wrong_bin", {"warm_cct_k", "illuminance_lx", "cct_k"}),
        (
            "swapped_channels",
            {"warm_cct_k", "cool_cct_k", "warm_ansi_c78377_ratio", "cool_ansi_c78377_ratio"},
        ),
        (
            "strong_flicker",
            {"flicker_percent", "flicker_ieee1789_ratio", "flicker_ieee1789_region"},
        ),
    ],
)
def test_each_fault_fails_its_measurement(module, fault: str, failing: set[str]) -> None:
    r = run(module(fault))
    assert r.result.outcome is RunOutcome.FAIL
    assert failing <= r.failing(), r.result.reason
    if fault in ("reversed_string", "swapped_channels", "strong_flicker"):
        assert r.failing() == failing
    for name in failing:
        assert name in r.result.reason


@pytest.mark.parametrize("fault", ["short_circuit", "reversed", "reversed_string"])
def test_failed_check_never_applies_full_power(module, fault: str) -> None:
    hw = module(fault)
    relay = hw.pin_factory.pin(hw.config.hardware.gpio.power_relay)
    relay.clear_states()
    r = run(hw)
    assert not any(state for _, state in relay.states)
    assert "full power not applied" in r.result.reason
    assert {m.name for m in r.result.measurements} <= {
        "diffuser_fitted",  # the operator's answer (asked before any power)
        "check_voltage_v",
        "check_current_a",
        "check_reverse_current_a",
    }


def test_short_is_not_called_a_reversed_string(module) -> None:
    r = run(module("short_circuit"))
    assert "short circuit" in r.result.reason and "the short conducts both ways" in r.result.reason
    assert "backwards" not in r.result.reason


def test_colour_sensor_fault_mid_run_gives_fault(module) -> None:
    hw = module()
    assert hw.sim is not None
    address = hw.config.hardware.colour_sensor.address

    def stick(phase: str, values: dict[str, float | None]) -> None:
        if phase == "channel_cool" and not values:
            inject(hw.sim.bus, address, clock=hw.clock).nack_storm(10)

    r = run(hw, on_live=stick)
    assert r.result.outcome is RunOutcome.FAULT
    assert "AS7341" in r.result.reason and "0x39" in r.result.reason
    assert not hw.power_relay.value


def test_photodiode_unplugged_fails_the_bench_check(module) -> None:
    with pytest.raises(OSError, match="ADS1015 at 0x48"):
        module(simulation='unplugged = ["photodiode"]').open_bench()
