"""``lighting_environment`` on a simulated booth: scenes, EN 12464-1 grid, CCT per zone,
response and occupancy timing; each modelled fault fails its measurement; a sensor fault
mid-run gives FAULT."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from benchscore.configfile import ConfigError
from benchscore.measurement import RunOutcome
from benchscore.sim.faults import inject
from firmware_py.config import load_station_config
from firmware_py.config.task import load_task
from firmware_py.hardware import StationHardware
from tests.support.benches import run, station, write_config


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[object]:
    counter = iter(range(100))
    opened: list[object] = []

    def make(fault: str = "none", **kw: str) -> StationHardware:
        path = write_config(
            tmp_path,
            f"lx{next(counter)}",
            task="lighting_environment",
            assembly="lighting_environment",
            fault=fault,
            **kw,
        )
        cm = station(path)
        opened.append(cm)
        return cm.__enter__()

    yield make
    for cm in opened:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def test_good_installation_passes_with_en12464_values(booth) -> None:
    hw = booth()
    r = run(hw)
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    v = r.values()
    assert v["work_mean_lx"] == pytest.approx(707, rel=0.02)
    assert v["work_u0"] == pytest.approx(0.85, abs=0.02)
    assert v["meeting_mean_lx"] == pytest.approx(305, rel=0.03)
    assert v["work_left_cct_k"] == pytest.approx(4000, abs=60)
    assert v["work_right_cct_k"] == pytest.approx(4000, abs=60)
    assert 0.6 < v["response_time_s"] < 0.9  # 50 ms driver delay + 0.7 s DALI fade
    assert 0.9 < v["occupancy_on_s"] < 1.5
    assert v["occupancy_off_s"] == pytest.approx(20.3, abs=0.5)  # the 20 s hold time
    grid = r.curves["scene_work"][0]
    assert len(grid["illuminance_lx"]) == 15 and set(grid) == {"x_m", "y_m", "illuminance_lx"}
    assert {m.curve for m in r.result.measurements if m.name.endswith("_mean_lx")} == {
        "scene_work",
        "scene_meeting",
    }
    assert r.curves["response"][0]["t_s"][0] > 0.1  # from the press, not from the capture
    # DALI curve through python-dali and the simulated HAT: the luminaires follow IEC 62386-102
    assert v["dali_curve_slope_ratio"] == pytest.approx(1.0, abs=0.02)
    assert v["dali_curve_error_pct"] < 2.0
    dali = r.curves["dali_curve"][0]
    assert dali["arc_level"] == [170.0, 187.0, 204.0, 220.0, 237.0, 254.0]
    assert dali["actual_level"] == dali["arc_level"]  # QUERY ACTUAL LEVEL answered each
    frames = hw.sim.instruments["dali"].simulator.frames if hw.sim else []
    # OFF (broadcast, command), QUERY ACTUAL LEVEL of short address 0, DAPC 170 (broadcast)
    assert [f.raw for f in frames[:3]] == [0xFF00, 0x01A0, 0xFEAA]
    # the teardown recalled the off scene and released the presence simulator
    assert hw.sim is not None
    hw.clock.sleep(2.0)  # the off scene's fade
    assert all(hw.sim.room.arc_level(a) == 0 for a in (0, 1))
    assert not hw.sim.room.occupancy_sensors["desk"].occupied


def test_dali_curve_through_a_tridonic_usb(booth) -> None:
    hw = booth(hardware='[hardware.dali]\ndriver = "tridonic"\nport = "/dev/hidraw0"')
    r = run(hw)
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    v = r.values()
    assert v["dali_curve_slope_ratio"] == pytest.approx(1.0, abs=0.02)
    assert hw.sim is not None
    assert type(hw.sim.instruments["dali"].simulator).__name__ == "SimTridonicUsb"
    assert hw.sim.instruments["dali"].simulator.frames[0].raw == 0xFF00  # OFF, broadcast


AS7341_ZONES = "\n".join(
    f'[[hardware.zones]]\nname = "{name}"\nchip = "as7341"\naddress = 0x39\nchannel = {ch}\n'
    f"gain = 4\nposition_m = [{x}, 0.9]"
    for name, ch, x in (("left", 0, 0.9), ("right", 1, 1.5))
)


@pytest.mark.parametrize("fault", ["none", "wrong_cct"])
def test_zones_judged_by_the_ansi_quadrangle(booth, tmp_path: Path, fault: str) -> None:
    task = tmp_path / "lighting_ansi.toml"
    source = Path(__file__).parents[1] / "config" / "tasks" / "lighting_environment.toml"
    task.write_text(
        source.read_text().replace("[parameters]\n", "[parameters]\nansi_nominal_cct = 4000\n")
    )
    hw = booth(fault, hardware=AS7341_ZONES)
    hw.config = replace(hw.config, task=load_task(task))
    r = run(hw)
    v = r.values()
    if fault == "none":
        assert r.result.outcome is RunOutcome.PASS, r.result.reason
        assert 0 < v["work_left_ansi_c78377_ratio"] < 0.5
        assert set(r.curves) >= {"work_left_ansi_c78377", "meeting_right_ansi_c78377"}
    else:  # the right-hand luminaire is 6500 K: its zone leaves the 4000 K quadrangle
        assert v["work_right_ansi_c78377_ratio"] > 1.0
        assert "work_right_ansi_c78377_ratio" in r.failing()
        assert "ANSI C78.377 4000 K quadrangle" in r.result.reason


@pytest.mark.parametrize(
    "fault,failing",
    [
        ("dead_luminaire", {"work_mean_lx", "work_u0"}),
        ("dim", {"work_mean_lx"}),
        ("wrong_cct", {"work_right_cct_k"}),
        ("slow_response", {"response_time_s", "occupancy_on_s"}),  # the fade delays both
        ("occupancy_dead", {"occupancy_on_s", "occupancy_off_s"}),
        ("short_hold", {"occupancy_off_s"}),
        ("wrong_scene", {"meeting_mean_lx"}),
        # the meeting scene (arc 223) is 88 % of full on the linear curve, not 35 %
        ("linear_dimming", {"dali_curve_slope_ratio", "dali_curve_error_pct", "meeting_mean_lx"}),
    ],
)
def test_each_fault_fails_its_measurement(booth, fault: str, failing: set[str]) -> None:
    r = run(booth(fault))
    assert r.result.outcome is RunOutcome.FAIL
    assert failing <= r.failing(), r.result.reason
    if fault in ("slow_response", "short_hold", "wrong_scene", "occupancy_dead", "linear_dimming"):
        assert r.failing() == failing  # nothing else is affected
    for name in failing:
        assert name in r.result.reason


def test_dead_presence_sensor_is_explained(booth) -> None:
    r = run(booth("occupancy_dead"))
    assert "no light 10 s after presence" in r.result.reason
    off = next(m for m in r.result.measurements if m.name == "occupancy_off_s")
    assert off.value is None and off.outcome.value == "fail"


def test_grid_sensor_fault_mid_run_gives_fault(booth) -> None:
    hw = booth()
    assert hw.sim is not None
    mux = hw.sim.bus.devices[hw.config.hardware.mux.address]
    channel, address = hw.config.hardware.light_grid.slot(7)

    def nack_grid_7(phase: str, values: dict[str, float | None]) -> None:
        if phase == "scene_meeting":
            inject(mux.downstream[channel], address, clock=hw.clock).nack_storm(60)

    r = run(hw, on_live=nack_grid_7)
    assert r.result.outcome is RunOutcome.FAULT
    assert "grid.7" in r.result.reason and "BH1750" in r.result.reason
    hw.clock.sleep(2.0)
    assert all(hw.sim.room.arc_level(a) == 0 for a in (0, 1))


def test_missing_devices_fail_the_bench_check(booth) -> None:
    with pytest.raises(OSError, match=r"grid\.4 \(mux channel 2\)"):
        booth(simulation='unplugged = ["grid.4"]').open_bench()
    with pytest.raises(OSError, match="MCP23017 at 0x21"):
        booth(simulation='unplugged = ["panel"]').open_bench()


def test_grid_must_meet_the_en12464_grid_rule(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "st",
        task="lighting_environment",
        assembly="lighting_environment",
        hardware="[hardware.light_grid]\npoints = [3, 2]",
    )
    with pytest.raises(ConfigError, match=r"hardware\.light_grid: 3 x 2 points .* EN 12464-1"):
        load_station_config(path)


def test_assembly_must_match_the_task(tmp_path: Path) -> None:
    path = write_config(tmp_path, "st", task="lighting_environment", assembly="power_bank")
    with pytest.raises(ConfigError, match="simulation.assembly: the simulated bench holds"):
        load_station_config(path)


def test_golden_installation_self_test(booth) -> None:
    from firmware_py.calibration import self_test, store_golden

    hw = booth(simulation="golden = true")
    golden = store_golden(hw)
    assert golden.values["work_mean_lx"] == pytest.approx(707, rel=0.02)
    report = self_test(hw)
    assert report.ok, report.lines()
    assert hw.sim is not None
    hw.sim.room.luminaire(1).output_factor = 0.9  # a luminaire ages by 10 %
    report = self_test(hw)
    assert not report.ok
    assert any(not c.ok and c.name == "work_mean_lx" for c in report.checks)
