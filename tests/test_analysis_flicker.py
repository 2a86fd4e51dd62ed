"""Percent flicker, flicker index and IEEE 1789 against analytic waveforms at 20 kSPS."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchscore.analysis import AnalysisError
from benchscore.analysis import flicker as fl
from benchscore.analysis.flicker import Ieee1789Class

FS = 20_000.0
T = np.arange(20_000) / FS  # 1 s


@pytest.mark.parametrize("f_hz", [100.0, 120.0, 97.3, 133.7])
@pytest.mark.parametrize("m", [0.05, 0.3, 1.0])
def test_sine_percent_flicker_and_index_are_analytic(f_hz: float, m: float) -> None:
    for phase in (0.0, 0.7, 2.1):
        signal = 1.0 + m * np.sin(2 * math.pi * f_hz * T + phase)
        r = fl.flicker_metrics(signal, FS)
        assert r.frequency_hz == pytest.approx(f_hz, abs=1e-3)
        assert r.percent_flicker / 100.0 == pytest.approx(m, abs=1e-4)
        assert r.flicker_index == pytest.approx(m / math.pi, abs=1e-4)


@pytest.mark.parametrize("f_hz", [100.0, 120.0, 50.0, 60.0])
def test_square_wave_half_duty_has_flicker_index_one_half(f_hz: float) -> None:
    for phase in (0.0, 0.37):
        signal = (((f_hz * T + phase) % 1.0) < 0.5).astype(float)
        r = fl.flicker_metrics(signal, FS)
        assert r.percent_flicker == pytest.approx(100.0, abs=1e-9)
        assert r.flicker_index == pytest.approx(0.5, abs=1e-4)


def test_square_wave_with_floor() -> None:
    signal = 0.2 + 0.8 * ((np.arange(20_000) % 200) < 100)
    r = fl.flicker_metrics(signal, FS)
    assert r.percent_flicker == pytest.approx(100 * 0.8 / 1.2, abs=1e-9)
    assert r.flicker_index == pytest.approx(0.8 / 2.4, abs=1e-6)  # (L1-L0)/(2(L1+L0))


@settings(max_examples=25, deadline=None)
@given(
    f_hz=st.floats(min_value=40.0, max_value=150.0),
    m=st.floats(min_value=0.01, max_value=1.0),
    phase=st.floats(min_value=0.0, max_value=2 * math.pi),
)
def test_sine_property(f_hz: float, m: float, phase: float) -> None:
    r = fl.flicker_metrics(1.0 + m * np.sin(2 * math.pi * f_hz * T + phase), FS)
    assert r.percent_flicker / 100.0 == pytest.approx(m, abs=1e-4)
    assert r.flicker_index == pytest.approx(m / math.pi, abs=1e-4)


def test_constant_light_does_not_flicker() -> None:
    r = fl.flicker_metrics(np.full(2000, 3.0), FS)
    assert (r.frequency_hz, r.percent_flicker, r.flicker_index) == (0.0, 0.0, 0.0)
    assert r.ieee1789 is Ieee1789Class.NO_OBSERVABLE_EFFECT


def test_known_frequency_skips_the_fft() -> None:
    signal = 1.0 + 0.2 * np.sin(2 * math.pi * 100.0 * T)
    r = fl.flicker_metrics(signal, FS, frequency_hz=100.0)
    assert r.frequency_hz == 100.0 and r.periods == 100


def test_plain_metrics_on_given_samples() -> None:
    one_period = 1.0 + 0.3 * np.sin(2 * math.pi * np.arange(200) / 200)
    assert fl.percent_flicker(one_period) == pytest.approx(30.0, abs=1e-4)
    assert fl.flicker_index(one_period) == pytest.approx(0.3 / math.pi, abs=1e-4)


def test_ieee1789_limits_and_classes() -> None:
    assert fl.ieee1789_low_risk_limit_percent(100.0) == pytest.approx(8.0)
    assert fl.ieee1789_low_risk_limit_percent(120.0) == pytest.approx(9.6)
    assert fl.ieee1789_noel_limit_percent(100.0) == pytest.approx(3.33)
    assert fl.ieee1789_low_risk_limit_percent(60.0) == pytest.approx(1.5)
    assert fl.ieee1789_noel_limit_percent(60.0) == pytest.approx(0.6)
    assert math.isinf(fl.ieee1789_low_risk_limit_percent(2000.0))
    assert math.isinf(fl.ieee1789_noel_limit_percent(3500.0))
    assert fl.ieee1789_class(3.0, 100.0) is Ieee1789Class.NO_OBSERVABLE_EFFECT
    assert fl.ieee1789_class(5.0, 100.0) is Ieee1789Class.LOW_RISK
    assert fl.ieee1789_class(8.0, 100.0) is Ieee1789Class.ABOVE_LOW_RISK
    assert fl.ieee1789_class(50.0, 2000.0) is Ieee1789Class.NO_OBSERVABLE_EFFECT
    assert fl.ieee1789_class(80.0, 2000.0) is Ieee1789Class.LOW_RISK
    assert fl.ieee1789_class(100.0, 4000.0) is Ieee1789Class.NO_OBSERVABLE_EFFECT


def test_bad_inputs() -> None:
    with pytest.raises(AnalysisError, match="mean light level"):
        fl.flicker_metrics(np.sin(2 * math.pi * 100 * T), FS)
    with pytest.raises(AnalysisError, match="less than one"):
        fl.flicker_metrics(1 + 0.1 * np.sin(2 * math.pi * 100 * T[:100]), FS, frequency_hz=100.0)
    with pytest.raises(AnalysisError, match="not finite"):
        fl.flicker_metrics(np.array([1.0, np.nan] * 10), FS)
