"""Settling, steady state, DC operating point, LM-79 stability, response time, ripple, heat."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import electrical as el


def _first_order_step(tau_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 20.0, 20001)
    return t, 5.0 * (1.0 - np.exp(-t / tau_s))


def test_settle_index_and_time() -> None:
    t, y = _first_order_step()
    # Within 1 % of 5 V after t = ln(100) s = 4.605 s.
    ts = el.settling_time_s(t, y, tolerance_fraction=0.01)
    assert ts == pytest.approx(np.log(100.0), abs=2e-3)
    assert el.settle_index(y, tolerance=0.05) == el.settle_index(y, tolerance_fraction=0.01)
    assert el.settle_index(np.array([1.0, 2.0, 3.0, 4.0, 10.0]), tolerance=0.1) is None
    assert el.settle_index(np.full(10, 2.0), tolerance=0.0) == 0
    with pytest.raises(AnalysisError, match="exactly one"):
        el.settle_index(y)


def test_steady_state_stats() -> None:
    s = el.steady_state_stats([9.0, 1.0, 2.0, 3.0], start=1)
    assert (s.mean, s.minimum, s.maximum, s.samples) == (2.0, 1.0, 3.0, 3)
    assert s.peak_to_peak == 2.0 and s.std == pytest.approx(np.std([1.0, 2.0, 3.0]))
    with pytest.raises(AnalysisError, match="outside"):
        el.steady_state_stats([1.0], start=3)


def test_dc_operating_point_waits_for_both_to_settle() -> None:
    t, v = _first_order_step(0.5)
    i = 0.2 * (1.0 - np.exp(-t / 2.0))
    op = el.dc_operating_point(v, i, tolerance_fraction=0.005)
    assert op.settle_index == el.settle_index(i, tolerance_fraction=0.005)
    assert op.voltage_v.mean == pytest.approx(5.0, rel=5e-3)
    assert op.power_w == pytest.approx(1.0, rel=1e-2)
    with pytest.raises(AnalysisError, match="never settles"):
        el.dc_operating_point(np.arange(10.0) + 1, np.ones(10))


def test_lm79_stability() -> None:
    t = np.arange(0.0, 3601.0, 60.0)
    assert el.lm79_stable(t, 1000.0 + 0.001 * t)  # 0.36 % over the last 30 min
    assert not el.lm79_stable(t, 1000.0 + 0.003 * t)  # 0.54 %
    with pytest.raises(AnalysisError, match="shorter"):
        el.lm79_stable(t[:10], np.ones(10))


def test_response_time_10_90() -> None:
    t, y = _first_order_step(1.0)
    # First-order system: t90 - t10 = tau·ln 9.
    assert el.response_time_10_90_s(t, y, final=5.0) == pytest.approx(np.log(9.0), abs=1e-3)
    assert el.response_time_10_90_s(t, 5.0 - y, final=0.0) == pytest.approx(np.log(9.0), abs=1e-3)
    with pytest.raises(AnalysisError, match="no step"):
        el.response_time_10_90_s(t, np.ones_like(t))


def test_ripple_and_temperature_rise() -> None:
    v = 5.0 + 0.05 * np.sin(np.linspace(0, 20, 1000))
    assert el.ripple_peak_to_peak_v(v) == pytest.approx(0.1, abs=1e-3)
    assert el.temperature_rise_k([25.0, 30.0, 41.5, 40.0]) == 16.5
    assert el.temperature_rise_k([25.0, 30.0], reference_c=23.0) == 7.0
