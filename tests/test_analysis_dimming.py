"""DALI IEC 62386-102 logarithmic curve: spot values, inverse, fade times, fit, monotonicity."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import dimming as dm


@pytest.mark.parametrize(
    ("level", "percent"),
    [(1, 0.100), (86, 1.02), (144, 4.96), (170, 10.09), (229, 50.5), (254, 100.0)],
)
def test_spot_values(level: int, percent: float) -> None:
    assert float(dm.dali_level_percent(level)) == pytest.approx(percent, rel=5e-3)


def test_inverse_step_ratio_and_off() -> None:
    levels = np.arange(1, 255)
    np.testing.assert_allclose(dm.dali_level_from_percent(dm.dali_level_percent(levels)), levels)
    ratio = dm.dali_level_percent(101) / dm.dali_level_percent(100)
    assert float(ratio) == pytest.approx(1.0277, abs=1e-4)
    assert float(dm.dali_level_percent(0)) == 0.0
    with pytest.raises(AnalysisError, match="MASK"):
        dm.dali_level_percent(255)


def test_fade_times() -> None:
    assert float(dm.dali_fade_time_s(1)) == pytest.approx(0.707, abs=1e-3)
    assert float(dm.dali_fade_time_s(15)) == pytest.approx(90.5, abs=0.05)
    assert float(dm.dali_fade_time_s(0)) == 0.0


def test_fit_of_an_ideal_and_a_linear_driver() -> None:
    levels = np.array([1, 50, 100, 150, 200, 254])
    lux = 800.0 * dm.dali_level_percent(levels) / 100.0
    fit = dm.fit_dali_curve(levels, lux)
    assert fit.slope_ratio == pytest.approx(1.0, abs=1e-9)
    assert fit.rms_residual_decades < 1e-9 and fit.monotonic and fit.levels == 6
    linear = dm.fit_dali_curve(levels, 800.0 * levels / 254.0)  # a driver dimming linearly
    assert linear.slope_ratio < 0.7 and linear.max_residual_percent > 50


def test_monotonicity() -> None:
    assert dm.is_monotonic([10, 1, 5], [30.0, 1.0, 20.0])
    assert not dm.is_monotonic([1, 5, 10], [1.0, 20.0, 19.0])
    assert dm.is_monotonic([1, 5, 10], [1.0, 20.0, 19.9], tolerance_fraction=0.01)
    with pytest.raises(AnalysisError, match="positive"):
        dm.fit_dali_curve([1, 2], [0.0, 1.0])
