"""``benchscore calibrate`` refuses implausible calibrations, removes one, and says plainly
when nothing is stored or a sensor name is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchscore.app.cli import main
from benchscore.configfile import ConfigError
from firmware_py.calibration import CalibrationStore
from firmware_py.config import load_station_config
from tests.support.benches import write_config

LUX = 2859.0  # what the simulated LED assembly puts on the light sensor (gain 1)


def led_station(tmp_path: Path, extra: str = "") -> Path:
    path = write_config(tmp_path, "st", task="led_assembly", assembly="led_assembly", noise=False)
    path.write_text(path.read_text() + extra)
    return path


def calibrate(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["calibrate", "--config", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(path: Path) -> list[str]:
    return [c.id for c in CalibrationStore(load_station_config(path).calibration_path).all()]


@pytest.mark.parametrize("reference", ["0", "-5"])
def test_a_reference_of_zero_or_below_is_refused_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reference: str
) -> None:
    path = led_station(tmp_path)
    code, _, err = calibrate(path, capsys, "sensor", "light_sensor", f"--reference={reference}")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--reference" in err and "not above 0" in err and "--force" in err
    assert stored(path) == []


def test_a_typo_gain_is_refused_and_force_stores_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = led_station(tmp_path)
    typo = f"{10.04 * LUX:.0f}"  # the reference's digits typed with one too many
    code, _, err = calibrate(path, capsys, "sensor", "light_sensor", "--reference", typo)
    assert code == 2 and "gain 10.0" in err and "outside the plausible 0.5..2" in err
    assert stored(path) == []
    code, out, _ = calibrate(
        path, capsys, "sensor", "light_sensor", "--reference", typo, "--force", "--samples", "2"
    )
    assert code == 0 and "gain 10.0" in out and len(stored(path)) == 1
    # a plausible one needs no force
    code, _, _ = calibrate(path, capsys, "sensor", "light_sensor", "--reference", "3000")
    assert code == 0 and len(stored(path)) == 2


def test_the_station_file_and_the_flag_set_the_plausible_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = led_station(tmp_path, "[calibration]\ngain_range = [0.95, 1.05]\n")
    assert load_station_config(path).calibration.gain_range == (0.95, 1.05)
    ref = f"{1.15 * LUX:.0f}"
    code, _, err = calibrate(path, capsys, "sensor", "light_sensor", "--reference", ref)
    assert code == 2 and "0.95..1.05" in err and "[calibration] gain_range" in err
    code, _, _ = calibrate(
        path, capsys, "sensor", "light_sensor", "--reference", ref, "--gain-range", "0.5", "2"
    )
    assert code == 0
    code, _, err = calibrate(
        path, capsys, "sensor", "light_sensor", "--reference", ref, "--gain-range", "2", "1"
    )
    assert code == 2 and "--gain-range" in err
    path.write_text(path.read_text().replace("[0.95, 1.05]", "[1.5, 0.5]"))
    with pytest.raises(ConfigError, match=r"calibration\.gain_range: expected \[low, high\]"):
        load_station_config(path)


def test_remove_deletes_one_and_the_previous_applies_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = led_station(tmp_path)
    assert calibrate(path, capsys, "sensor", "light_sensor", "--reference", "3000")[0] == 0
    assert calibrate(path, capsys, "sensor", "light_sensor", "--reference", "2900")[0] == 0
    first, second = stored(path)
    code, out, _ = calibrate(path, capsys, "remove", second)
    assert code == 0 and f"removed {second}" in out and f"active now: {first}" in out
    assert stored(path) == [first]
    code, _, err = calibrate(path, capsys, "remove", second)
    assert code == 2 and f"unknown id {second!r}" in err and f"did you mean {first!r}" in err
    assert calibrate(path, capsys, "remove", first)[0] == 0
    code, _, err = calibrate(path, capsys, "remove", first)
    assert code == 2 and "none is stored" in err


def test_list_says_when_nothing_is_stored_and_suggests_sensor_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = led_station(tmp_path)
    code, out, _ = calibrate(path, capsys, "list")
    assert code == 0 and "no calibration is stored in" in out
    code, out, _ = calibrate(path, capsys, "list", "light_sensor")
    assert code == 0 and "no calibration of light_sensor is stored" in out
    code, _, err = calibrate(path, capsys, "list", "light_sensr")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "unknown sensor 'light_sensr'" in err and "did you mean 'light_sensor'" in err
    assert "power_monitor" in err and "channel_switch" not in err
    code, _, err = calibrate(path, capsys, "sensor", "lite_sensor", "--reference", "1")
    assert code == 2 and "did you mean 'light_sensor'" in err


def test_a_failing_self_test_exits_non_zero_as_a_real_process(tmp_path: Path) -> None:
    """What a script checking 50 stations sees: exit status 1 and the FAIL line."""
    path = led_station(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "benchscore", "calibrate", "--config", str(path), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    assert run("golden").returncode == 0
    ok = run("self-test")
    assert ok.returncode == 0 and "self-test PASS" in ok.stdout
    path.write_text(path.read_text() + "[simulation.sensor_gain]\nlight_sensor = 1.1\n")
    failed = run("self-test")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "self-test FAIL" in failed.stdout and "FAIL illuminance_lx" in failed.stdout


def test_an_unreadable_calibration_store_faults_runs_but_never_stops_the_station(
    tmp_path: Path,
) -> None:
    from firmware_py.station import Station
    from tests.support.brokers import free_port
    from tests.support.stations import write_station_config

    cfg = load_station_config(write_station_config(tmp_path, "stx", port=free_port()))
    cfg.calibration_path.parent.mkdir(parents=True)
    cfg.calibration_path.write_text("{not json")
    st = Station(cfg)
    try:
        st.start()  # publishing its status reads the store: it must not raise
        record = st.run_once()
        assert record["outcome"] == "fault" and "calibration.json" in record["reason"]
        cfg.calibration_path.unlink()
        assert st.run_once()["outcome"] == "pass"
    finally:
        st.close()
