"""Station configs with the extended hardware map, and the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchscore.configfile import ConfigError
from firmware_py.config import load_station_config, load_station_setup, load_task
from tests.support.benches import REPO, TASKS, write_config


@pytest.mark.parametrize("path", sorted((REPO / "config" / "stations").glob("*.toml")), ids=str)
def test_every_shipped_station_config_loads(path: Path) -> None:
    setup = load_station_setup(path)
    if setup.preassigned is not None:
        config = load_station_config(path)
    else:  # a zero-touch Pi: it must fit the task it is built for
        task = "power_bank" if "power-bank" in path.name else "led_assembly"
        config = setup.assign("st01", "ws2026", load_task(TASKS / f"{task}.toml"))
    procedures = ("led_assembly", "lighting_environment", "power_bank", "led_screen")
    assert config.task.procedure in procedures


@pytest.mark.parametrize("path", sorted(TASKS.glob("*.toml")), ids=str)
def test_every_shipped_task_loads(path: Path) -> None:
    task = load_task(path)
    assert task.limits and all(task.units[name] is not None for name in task.limits)


def test_hardware_map_reads_instruments_zones_and_grid(tmp_path: Path) -> None:
    hw = load_station_setup(REPO / "config" / "stations" / "pi-power-bank.toml").hardware
    assert hw.eload.driver == "dl3021" and hw.eload.port.startswith("/dev/serial/by-id/")
    assert (hw.output_monitor.address, hw.ripple_adc.scale) == (0x41, 0.5)
    lighting = load_station_config(REPO / "config" / "stations" / "sim-lighting.toml").hardware
    assert [z.name for z in lighting.zones] == ["left", "right"]
    assert lighting.light_grid.slot(5) == (2, 0x5C)
    assert lighting.light_grid.position_m(0) == pytest.approx((0.72, 0.6333), abs=1e-3)


@pytest.mark.parametrize(
    "hardware,simulation,match",
    [
        ("[hardware.eload]\ndriver = 'dl9999'", "", r"hardware\.eload\.driver: 'dl9999' is not"),
        ("[hardware.output_monitor]\naddress = 0x90", "", r"output_monitor\.address: 0x90 is not"),
        (
            "[hardware.light_grid]\npoints = [5, 4]\nchannels = [0, 1]",
            "",
            r"light_grid\.points: 20 sensors do not fit 2 channels x 2 addresses",
        ),
        ("[[hardware.zones]]\nname = 'a'\n[[hardware.zones]]\nname = 'a'", "", "unique"),
        ("[hardware.gpio]\ncheck_relay = 27", "", "two functions share a pin"),
        ("", "[simulation.sensor_gain]\nbogus = 1.1", r"sensor_gain\.bogus: unknown sensor"),
        ("", "unplugged = ['grid.99']", r"simulation\.unplugged: unknown name 'grid\.99'"),
        ("", "initial_soc = 1.5", r"simulation\.initial_soc: must be 0\.\.1"),
    ],
)
def test_bad_hardware_map_names_file_and_key(
    tmp_path: Path, hardware: str, simulation: str, match: str
) -> None:
    path = write_config(
        tmp_path,
        "st",
        task="power_bank",
        assembly="power_bank",
        hardware=hardware,
        simulation=simulation,
    )
    with pytest.raises(ConfigError, match=match):
        load_station_config(path)


def test_fault_must_belong_to_the_assembly(tmp_path: Path) -> None:
    path = write_config(tmp_path, "st", task="power_bank", assembly="power_bank", fault="dim")
    with pytest.raises(ConfigError, match=r"simulation\.fault: 'dim' is not one of"):
        load_station_config(path)


def test_power_bank_task_protection_windows_are_checked(tmp_path: Path) -> None:
    text = (TASKS / "power_bank.toml").read_text()
    bad = tmp_path / "t.toml"
    bad.write_text(text.replace("protection_window_s = 5", "protection_window_s = 2"))
    with pytest.raises(ConfigError, match=r"overcurrent_trip_s\.high must be set and below"):
        load_task(bad)
    bad.write_text(text.replace("[limits.efficiency_pct]", "[limits.efficiency_x]"))
    with pytest.raises(ConfigError, match=r"limits missing for \['efficiency_pct'\]"):
        load_task(bad)
