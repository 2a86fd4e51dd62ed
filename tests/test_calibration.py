"""Calibration: the fit, the store, corrections applied in the SI values and named in every
result, the ``benchscore calibrate`` CLI, ten stations agreeing after calibration, and the
golden-assembly self-test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from benchscore.app.cli import main
from benchscore.measurement import RunOutcome
from firmware_py.calibration import (
    CalibrationError,
    CalibrationStore,
    calibrate_sensor,
    fit,
    make_calibration,
)
from tests.support.benches import run, station, write_config


def test_fit_gain_offset_and_uncertainty() -> None:
    gain, offset, u = fit([100.0, 100.0, 100.0], [112.0, 112.0, 112.0])
    assert (gain, offset) == (pytest.approx(1.12), 0.0) and u == 0.0
    gain, offset, u = fit([24.5, 24.5], [25.0, 25.0], method="offset")
    assert (gain, offset) == (1.0, pytest.approx(0.5))
    gain, offset, _ = fit([1.0, 2.0, 3.0], [12.0, 22.0, 32.0], method="linear")
    assert (gain, offset) == (pytest.approx(10.0), pytest.approx(2.0))
    # reference uncertainty 1 % and 1 % scatter of 4 readings: U = 2 sqrt(1 + 0.25) %
    readings = np.array([99.0, 101.0, 99.0, 101.0])
    _, _, u = fit(readings, [100.0] * 4, reference_uncertainty=0.01)
    assert u == pytest.approx(2 * np.hypot(0.01, np.std(readings, ddof=1) / 2 / 100), rel=1e-6)
    with pytest.raises(CalibrationError, match="read zero"):
        fit([0.0], [10.0])
    with pytest.raises(CalibrationError, match="two distinct points"):
        fit([1.0, 1.0], [2.0, 2.0], method="linear")


def test_store_keeps_history_and_the_latest_is_active(tmp_path: Path) -> None:
    store = CalibrationStore(tmp_path / "cal.json")
    assert store.active("light_sensor", "illuminance_lx") is None
    for day, ref in ((1, 110.0), (2, 90.0)):
        store.add(
            make_calibration(
                station="st01",
                sensor="light_sensor",
                quantity="illuminance_lx",
                readings=[100.0],
                references=[ref],
                reference="Konica T-10A SN 1",
                reference_uncertainty=0.02,
                date=datetime(2026, 3, day, tzinfo=UTC),
            )
        )
    active = store.active("light_sensor", "illuminance_lx")
    assert active is not None and active.gain == pytest.approx(0.9)
    assert active.id == "st01.light_sensor.illuminance_lx.20260302T000000Z"
    data = json.loads((tmp_path / "cal.json").read_text())
    assert len(data["calibrations"]) == 2
    record = data["calibrations"][1]
    for key in ("gain", "offset", "date", "reference", "uncertainty", "reference_value"):
        assert key in record
    assert record["uncertainty"] == pytest.approx(0.04)
    assert (
        CalibrationStore(tmp_path / "cal.json").active("light_sensor", "illuminance_lx") == active
    )


def led_station(tmp_path: Path, name: str, gain: float, current_gain: float = 1.0) -> Path:
    return write_config(
        tmp_path,
        name,
        task="led_assembly",
        assembly="led_assembly",
        simulation=(
            f"[simulation.sensor_gain]\nlight_sensor = {gain}\npower_monitor = {current_gain}"
        ),
    )


def test_ten_stations_agree_within_one_percent_after_calibration(tmp_path: Path) -> None:
    gains = np.linspace(0.8, 1.2, 10)
    before: list[float] = []
    after: list[float] = []
    current: list[float] = []
    ids: list[list[str]] = []
    for k, gain in enumerate(gains):
        path = led_station(tmp_path, f"st{k:02d}", float(gain), float(gains[::-1][k]))
        with station(path) as hw:
            before.append(run(hw).values()["illuminance_lx"] or 0.0)
            calibrate_sensor(hw, "light_sensor", reference_value=None, samples=5)
            calibrate_sensor(hw, "power_monitor", "current_a", reference_value=None, samples=5)
            r = run(hw)
            assert r.result.outcome is RunOutcome.PASS, r.result.reason
            after.append(r.values()["illuminance_lx"] or 0.0)
            current.append(r.values()["current_a"] or 0.0)
            ids.append(r.result.calibrations)

    def spread(values: list[float]) -> float:
        return (max(values) - min(values)) / float(np.mean(values))

    assert spread(before) > 0.35  # +-20 % gain: the stations disagree
    assert spread(after) < 0.01, after
    assert spread(current) < 0.01, current
    for k, names in enumerate(ids):  # every result names the calibrations it used
        assert sorted(n.split(".")[1:3] for n in names) == [
            ["light_sensor", "illuminance_lx"],
            ["power_monitor", "current_a"],
        ]
        assert all(n.startswith(f"st{k:02d}.") for n in names)


def test_calibration_applies_to_a_running_bench_from_the_next_reading(tmp_path: Path) -> None:
    with station(led_station(tmp_path, "st", 1.15)) as hw:
        bench = hw.open_bench()
        assert run(hw, bench=bench).values()["illuminance_lx"] == pytest.approx(
            1.15 * 2859, rel=0.01
        )
        calibrate_sensor(hw, "light_sensor", reference_value=None, samples=3)
        bench = hw.open_bench()
        r = run(hw, bench=bench)
        assert r.values()["illuminance_lx"] == pytest.approx(2859, rel=0.005)
        assert len(r.result.calibrations) == 1


def cli(*args: str) -> int:
    return main(["calibrate", *args])


def test_cli_sensor_list_golden_and_self_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = led_station(tmp_path, "st", 0.9)
    assert cli("--config", str(path), "sensor", "light_sensor", "--reference-sim") == 0
    assert (
        cli(
            "--config",
            str(path),
            "sensor",
            "power_monitor",
            "--quantity",
            "current_a",
            "--reference",
            "0.2988",
            "--reference-name",
            "Fluke 87V SN 1",
            "--reference-uncertainty",
            "0.005",
            "--samples",
            "3",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "stored st.light_sensor.illuminance_lx." in out and "gain 1.11" in out
    assert cli("--config", str(path), "list") == 0
    out = capsys.readouterr().out
    assert "Fluke 87V SN 1" in out and "U(k=2) 1.0" in out
    assert cli("--config", str(path), "self-test") == 1  # no golden values yet
    assert "no golden values" in capsys.readouterr().err
    assert cli("--config", str(path), "golden") == 0
    assert "illuminance_lx" in capsys.readouterr().out
    assert cli("--config", str(path), "self-test") == 0
    assert "self-test PASS" in capsys.readouterr().out
    # the light sensor drifts by 8 % after its calibration: the self-test catches it
    path.write_text(path.read_text().replace("light_sensor = 0.9", "light_sensor = 0.972"))
    assert cli("--config", str(path), "self-test") == 1
    out = capsys.readouterr().out
    assert "self-test FAIL" in out and "FAIL illuminance_lx" in out


def test_golden_refuses_a_failing_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        tmp_path, "st", task="led_assembly", assembly="led_assembly", fault="wrong_bin"
    )
    assert cli("--config", str(path), "golden") == 1
    assert "did not pass" in capsys.readouterr().err
    path.write_text(path.read_text() + "golden = true\n")
    assert cli("--config", str(path), "golden") == 0  # the golden assembly is on the bench


def test_unknown_sensor_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = led_station(tmp_path, "st", 1.0)
    assert cli("--config", str(path), "sensor", "grid.3", "--reference", "500") == 2
    assert "grid.3" in capsys.readouterr().err


def test_every_record_names_the_calibration_it_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from firmware_py.config import load_station_config
    from firmware_py.station import Station

    path = led_station(tmp_path, "stc", 0.9)
    assert cli("--config", str(path), "sensor", "light_sensor", "--reference-sim") == 0
    cal_id = capsys.readouterr().out.split("stored ")[1].split()[0].rstrip(":")
    assert cal_id.startswith("stc.light_sensor.illuminance_lx.")
    st = Station(load_station_config(path))  # its broker is not there: records wait
    try:
        st.start()
        record = st.run_once()
        assert record["outcome"] == "pass"
        assert record["calibrations"] == [cal_id]
        assert st.link._status["calibrations"] == [cal_id]  # the status names it too
    finally:
        st.close()
