"""Station and task configs: good files load, bad ones give errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchscore.configfile import ConfigError
from firmware_py.config import load_station_config, load_station_setup, load_task
from firmware_py.main import run_station
from tests.support.stations import LED_TASK, REPO, write_station_config


def test_shipped_example_configs_load() -> None:
    sim = load_station_config(REPO / "config" / "stations" / "sim-station.toml")
    assert sim.station_id == "st01" and sim.hardware.backend == "sim"
    assert sim.task.procedure == "led_assembly"
    assert sim.task.limits["current_a"].marginal_high == 0.32
    assert sim.task.units["illuminance_lx"] == "lx"
    pi = load_station_setup(REPO / "config" / "stations" / "pi-station.toml")
    assert pi.hardware.backend == "hw" and pi.hardware.gpio.power_relay == 27
    assert pi.preassigned is None  # a Pi gets its id, event and task at adoption
    task = load_task(REPO / "config" / "tasks" / "led_assembly.toml")
    adopted = pi.assign("st07", "ws2026", task)
    assert adopted.station_id == "st07" and adopted.task.procedure == "led_assembly"


@pytest.mark.parametrize(
    "extra,match",
    [
        (
            "[hardware.power_monitor]\nshunt_ohm = 'abc'\n",
            r"st\.toml: hardware\.power_monitor\.shunt_ohm: expected a number, got 'abc'",
        ),
        ("[hardware.gpio]\nstart_button = 27\n", r"hardware\.gpio: two functions share a pin"),
        (
            "[hardware.light_sensor]\nchip = 'tsl9999'\n",
            r"hardware\.light_sensor\.chip: 'tsl9999' is not one of",
        ),
        ("[bogus]\nx = 1\n", r"st\.toml: unknown key\(s\) \['bogus'\]"),
    ],
)
def test_bad_station_config_names_file_and_key(tmp_path: Path, extra: str, match: str) -> None:
    path = write_station_config(tmp_path, "st", extra=extra)
    with pytest.raises(ConfigError, match=match):
        load_station_config(path)


def test_bad_station_id_and_fault(tmp_path: Path) -> None:
    path = write_station_config(tmp_path, "st")
    path.write_text(path.read_text().replace('id = "st"', 'id = "st 01/x"'))
    with pytest.raises(ConfigError, match=r"station\.id: station id 'st 01/x' must be"):
        load_station_config(path)
    path = write_station_config(tmp_path, "st", fault="melted")
    with pytest.raises(ConfigError, match=r"simulation\.fault: 'melted' is not one of"):
        load_station_config(path)


def test_missing_file_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_station_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[station\nid=")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_station_config(bad)


def write_task(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "task.toml"
    text = LED_TASK.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    "old,new,match",
    [
        ("low = 0.27", "low = 0.4", r"limits\.current_a: low 0\.4 is above high 0\.33"),
        (
            "marginal_low = 0.28",
            "marginal_low = 0.2",
            r"limits\.current_a: marginal_low 0\.2 is below low 0\.27",
        ),
        ("low = 0.27", "low = 'x'", r"limits\.current_a\.low: expected a number"),
        (
            'procedure = "led_assembly"',
            'procedure = "bake"',
            r"task\.procedure: procedure 'bake' is not installed; installed: led_assembly",
        ),
        ("samples = 5", "samplez = 5", r"task\.toml: unknown parameter\(s\) \['samplez'\]"),
        ("[limits.power_w]", "[limits.power_x]", r"limits missing for \['power_w'\]"),
    ],
)
def test_bad_task_names_file_and_key(tmp_path: Path, old: str, new: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_task(write_task(tmp_path, old, new))


def test_station_command_exits_2_on_bad_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_station_config(tmp_path, "st", fault="melted")
    assert run_station(str(path)) == 2
    assert "simulation.fault" in caplog.text
