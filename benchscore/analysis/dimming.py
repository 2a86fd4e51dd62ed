"""DALI dimming: the IEC 62386-102 logarithmic curve, its fit to measured light, monotonicity.

- Arc power level n = 1..254 gives X(n) = 10^((n - 1)/(253/3) - 1) % of full light
  (IEC 62386-102, standard logarithmic dimming curve): 0.100 % at n = 1, 100 % at n = 254,
  each step ×1.0277. n = 0 is off; 255 is MASK (no change).
- Fade time T(N) = 0.5·√(2^N) s for N = 1..15 (IEC 62386-102).
- Test: log light at >= 5 arc levels, fit log10(E) against n by least squares; the slope should
  be 3/253 = 0.011858 decades per level, and light must rise with every level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, FloatArray, as_1d, same_length

DALI_MIN_LEVEL: Final = 1
DALI_MAX_LEVEL: Final = 254
DALI_SLOPE_DECADES_PER_LEVEL: Final = 3.0 / 253.0
"""Slope of log10(light) per arc power level on the IEC 62386-102 logarithmic curve."""


def dali_level_percent(arc_level: npt.ArrayLike) -> FloatArray:
    """Return light output in % of full for arc power levels 1..254 (IEC 62386-102).

    X(n) = 10^((n - 1)/(253/3) - 1); level 0 (off) gives 0 %.
    """
    n = np.asarray(arc_level, dtype=np.float64)
    if ((n < 0) | (n > DALI_MAX_LEVEL)).any():
        raise AnalysisError("arc_level must be within 0..254 (255 is MASK, not a level)")
    percent: FloatArray = np.where(n >= 1, 10.0 ** ((n - 1.0) * 3.0 / 253.0 - 1.0), 0.0)
    return percent


def dali_level_from_percent(percent: npt.ArrayLike) -> FloatArray:
    """Return the (fractional) arc level for a light output in %: n = 1 + (253/3)(log10 X + 1)."""
    x = np.asarray(percent, dtype=np.float64)
    if (x <= 0).any():
        raise AnalysisError("percent must be positive (0 % is level 0, off)")
    level: FloatArray = 1.0 + 253.0 / 3.0 * (np.log10(x) + 1.0)
    return level


def dali_fade_time_s(fade_time: npt.ArrayLike) -> FloatArray:
    """Return the DALI fade time in seconds for FADE TIME N = 1..15: 0.5·√(2^N) (0 = none)."""
    n = np.asarray(fade_time, dtype=np.float64)
    if ((n < 0) | (n > 15)).any():
        raise AnalysisError("fade_time must be within 0..15")
    seconds: FloatArray = np.where(n >= 1, 0.5 * np.sqrt(2.0**n), 0.0)
    return seconds


@dataclass(frozen=True)
class DimmingFit:
    """Least-squares fit of log10(light) = intercept + slope·n over the measured levels."""

    slope_decades_per_level: float
    intercept_decades: float
    slope_ratio: float
    """Fitted slope over the IEC 62386-102 slope 3/253 (1.0 is a perfect curve)."""
    rms_residual_decades: float
    max_residual_percent: float
    """Largest |measured/fitted - 1| in %."""
    monotonic: bool
    levels: int


def is_monotonic(
    arc_level: npt.ArrayLike, light: npt.ArrayLike, *, tolerance_fraction: float = 0.0
) -> bool:
    """Return whether light rises with arc level (sorted by level), each step by more than
    ``-tolerance_fraction`` of the lower reading (0: strictly non-decreasing)."""
    n = as_1d("arc_level", arc_level)
    e = as_1d("light", light)
    same_length(arc_level=n, light=e)
    order = np.argsort(n, kind="stable")
    e_sorted = e[order]
    return bool((np.diff(e_sorted) >= -tolerance_fraction * np.abs(e_sorted[:-1])).all())


def fit_dali_curve(arc_level: npt.ArrayLike, light: npt.ArrayLike) -> DimmingFit:
    """Fit measured light (lux or any linear unit) at DALI arc levels to the log curve.

    Needs >= 2 distinct levels (>= 5 recommended) with positive light. The slope of
    log10(light) against n should be 3/253 decades per level (IEC 62386-102).
    """
    n = as_1d("arc_level", arc_level, min_size=2)
    e = as_1d("light", light, min_size=2)
    same_length(arc_level=n, light=e)
    if (e <= 0).any():
        raise AnalysisError("light: every reading must be positive for a log fit")
    if np.unique(n).size < 2:
        raise AnalysisError("arc_level: needs at least two distinct levels")
    log_e = np.log10(e)
    a = np.stack([np.ones_like(n), n], axis=1)
    (intercept, slope), *_ = np.linalg.lstsq(a, log_e, rcond=None)
    residual = log_e - (intercept + slope * n)
    return DimmingFit(
        slope_decades_per_level=float(slope),
        intercept_decades=float(intercept),
        slope_ratio=float(slope / DALI_SLOPE_DECADES_PER_LEVEL),
        rms_residual_decades=float(np.sqrt(np.mean(residual**2))),
        max_residual_percent=float(np.max(np.abs(10.0**residual - 1.0)) * 100.0),
        monotonic=is_monotonic(n, e),
        levels=int(n.size),
    )


@dataclass(frozen=True)
class DaliCurveCheck:
    """Measured light at commanded arc levels against the IEC 62386-102 curve."""

    slope_ratio: float
    """Fitted slope of log10(light) per level over 3/253 (1.0: the standard's curve)."""
    error_pct: float
    """Largest |E(n)/(k·X(n)) - 1| in %, k scaling the standard's curve X(n) to the readings
    (least squares in log10): how far the light strays from the curve's shape."""
    fit: DimmingFit


def check_dali_curve(
    arc_level: npt.ArrayLike, light: npt.ArrayLike, dark: float = 0.0
) -> DaliCurveCheck:
    """Check light (any linear unit, ``dark`` subtracted) at DALI ``arc_level``s 1..254
    against the logarithmic curve; needs >= 2 distinct levels with light above ``dark``."""
    n = as_1d("arc_level", arc_level, min_size=2)
    e = as_1d("light", light, min_size=2) - float(dark)
    same_length(arc_level=n, light=e)
    if (n < DALI_MIN_LEVEL).any():
        raise AnalysisError("arc_level: the curve is checked at levels 1..254 (0 is off)")
    if (e <= 0).any():
        low = [int(v) for v in n[e <= 0]]
        raise AnalysisError(f"light: none above the dark reading at arc level(s) {low}")
    fit = fit_dali_curve(n, e)
    # the standard's curve scaled to the readings (least squares in log10), then the worst ratio
    log_ratio = np.log10(e) - np.log10(dali_level_percent(n))
    error = float(np.max(np.abs(10.0 ** (log_ratio - log_ratio.mean()) - 1.0)) * 100.0)
    return DaliCurveCheck(fit.slope_ratio, error, fit)


def reanalyse_dali_curve(
    curves: dict[str, dict[str, list[float]]], params: dict[str, float]
) -> dict[str, float]:
    """Appeal re-analysis of lighting_environment's ``dali_curve_slope_ratio`` and
    ``dali_curve_error_pct`` from the ``dali_curve`` curve (``arc_level``,
    ``illuminance_lx``, ``dark_lx``); ``params`` is unused."""
    columns = curves["dali_curve"]
    check = check_dali_curve(
        columns["arc_level"], columns["illuminance_lx"], float(columns["dark_lx"][0])
    )
    return {"dali_curve_slope_ratio": check.slope_ratio, "dali_curve_error_pct": check.error_pct}
