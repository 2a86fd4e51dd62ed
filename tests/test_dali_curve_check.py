"""The DALI curve check (IEC 62386-102 logarithmic curve) and its appeal re-analysis."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.dimming import check_dali_curve, dali_level_percent, reanalyse_dali_curve

LEVELS = np.array([170, 187, 204, 220, 237, 254])


def test_the_standard_curve_scores_one_and_zero() -> None:
    light = 7.0 * dali_level_percent(LEVELS) + 3.0
    check = check_dali_curve(LEVELS, light, dark=3.0)
    assert check.slope_ratio == pytest.approx(1.0, abs=1e-12)
    assert check.error_pct == pytest.approx(0.0, abs=1e-9)


def test_a_linear_driver_and_one_wrong_level_are_found() -> None:
    linear = check_dali_curve(LEVELS, 700.0 * LEVELS / 254.0)
    assert linear.slope_ratio < 0.3 and linear.error_pct > 50
    light = 7.0 * dali_level_percent(LEVELS)
    light[2] *= 1.2  # one level 20 % too bright
    check = check_dali_curve(LEVELS, light)
    assert 10 < check.error_pct < 20


def test_no_light_above_dark_is_named() -> None:
    with pytest.raises(AnalysisError, match=r"arc level\(s\) \[170\]"):
        check_dali_curve(LEVELS, [3.0, 5, 6, 7, 8, 9], dark=3.0)
    with pytest.raises(AnalysisError, match="levels 1..254"):
        check_dali_curve([0, 254], [1.0, 2.0])


def test_reanalysis_reproduces_the_station() -> None:
    light = (7.0 * dali_level_percent(LEVELS) * (1 + 0.01 * np.sin(LEVELS)) + 2.5).tolist()
    curve = {
        "arc_level": LEVELS.astype(float).tolist(),
        "actual_level": LEVELS.astype(float).tolist(),
        "illuminance_lx": light,
        "dark_lx": [2.5] * 6,
    }
    station = check_dali_curve(LEVELS, light, 2.5)
    again = reanalyse_dali_curve({"dali_curve": curve}, {})
    assert again == {
        "dali_curve_slope_ratio": station.slope_ratio,
        "dali_curve_error_pct": station.error_pct,
    }


@pytest.mark.parametrize(
    "line,message",
    [
        (
            "dali_curve_low_arc = 0",
            "parameters.dali_curve_low_arc 0 must be a whole number in 1..253",
        ),
        ("dali_curve_steps = 1", "parameters.dali_curve_steps 1 must be"),
        ("dali_query_address = 64", "parameters.dali_query_address 64 must be"),
        ("dali_query_address = 1.5", "parameters.dali_query_address 1.5 must be"),
    ],
)
def test_bad_dali_parameters_are_one_plain_error(tmp_path, line: str, message: str) -> None:
    from pathlib import Path

    from firmware_py.config.task import load_task
    from firmware_py.procedures.base import TaskInvalid

    source = Path(__file__).parents[1] / "config" / "tasks" / "lighting_environment.toml"
    key = line.split(" = ")[0]
    lines = [ln for ln in source.read_text().splitlines() if not ln.startswith(key + " ")]
    text = "\n".join(lines).replace("[parameters]\n", f"[parameters]\n{line}\n")
    task = tmp_path / "bad.toml"
    task.write_text(text)
    with pytest.raises(TaskInvalid) as info:
        load_task(task)
    assert message in str(info.value) and str(info.value).startswith("bad.toml: ")
