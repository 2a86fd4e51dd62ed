"""IEEE 1789-2015 recommended-practice regions at their edges, and the flicker re-analysis."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchscore.analysis.flicker import (
    Ieee1789Class,
    ieee1789_class,
    ieee1789_low_risk_limit_percent,
    ieee1789_noel_limit_percent,
    reanalyse_flicker,
)

NOEL, LOW, ABOVE = (
    Ieee1789Class.NO_OBSERVABLE_EFFECT,
    Ieee1789Class.LOW_RISK,
    Ieee1789Class.ABOVE_LOW_RISK,
)
EPS = 1e-9


@pytest.mark.parametrize(
    "f_hz,noel_pct,low_risk_pct",
    [
        (10.0, 0.1, 0.25),  # below 90 Hz: 0.01 f and 0.025 f
        (50.0, 0.5, 1.25),
        (89.9, 0.899, 2.2475),
        (90.0, 2.997, 7.2),  # from 90 Hz: 0.0333 f and 0.08 f
        (100.0, 3.33, 8.0),
        (120.0, 3.996, 9.6),
        (1250.0, 41.625, 100.0),  # last frequency with a low-risk limit
        (3000.0, 99.9, math.inf),  # last frequency with a no-observable-effect limit
    ],
)
def test_limits_and_both_sides_of_each_boundary(
    f_hz: float, noel_pct: float, low_risk_pct: float
) -> None:
    assert ieee1789_noel_limit_percent(f_hz) == pytest.approx(noel_pct, rel=1e-12)
    assert ieee1789_low_risk_limit_percent(f_hz) == pytest.approx(low_risk_pct, rel=1e-12)
    noel = ieee1789_noel_limit_percent(f_hz)
    assert ieee1789_class(noel * (1 - EPS), f_hz) is NOEL
    assert ieee1789_class(noel, f_hz) is LOW  # the standard's limits are strict: "< 0.0333 f"
    if math.isfinite(low_risk_pct):
        low = ieee1789_low_risk_limit_percent(f_hz)
        assert ieee1789_class(low * (1 - EPS), f_hz) is LOW
        assert ieee1789_class(low, f_hz) is ABOVE
    else:
        assert ieee1789_class(100.0, f_hz) is LOW


def test_exempt_frequencies() -> None:
    assert ieee1789_low_risk_limit_percent(1250.0 + 1e-6) == math.inf
    assert ieee1789_class(100.0, 1251.0) is LOW
    assert ieee1789_noel_limit_percent(3000.0 + 1e-6) == math.inf
    assert ieee1789_class(100.0, 3001.0) is NOEL
    assert ieee1789_class(0.0, 5.0) is NOEL


def test_flicker_reanalysis_reproduces_the_region() -> None:
    rate = 3300
    t = np.arange(rate) / rate
    light = 1000.0 * (1 + 0.05 * np.sin(2 * np.pi * 100.0 * t))  # 5 % at 100 Hz: low risk
    values = reanalyse_flicker(
        {"flicker": {"t_s": t.tolist(), "illuminance_lx": light.tolist()}}, {}
    )
    assert values["flicker_percent"] == pytest.approx(5.0, abs=0.05)
    assert values["flicker_ieee1789_region"] == 1.0
    assert values["flicker_ieee1789_ratio"] == pytest.approx(5.0 / 8.0, abs=0.01)
