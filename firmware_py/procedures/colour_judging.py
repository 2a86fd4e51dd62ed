"""Judging a measured chromaticity by ANSI C78.377, shared by the procedures that measure
colour (led_assembly per channel and mix, lighting_environment per zone)."""

from __future__ import annotations

from benchscore.analysis.colour import ansi_c78377_ratio
from benchscore.measurement import Limits, Measurement, Outcome

ANSI_LIMITS = Limits(high=1.0)
"""Default limits of ``*ansi_c78377_ratio``: inside the quadrangle or on its edge."""


def judge_ansi_c78377(
    name: str,
    xy: tuple[float, float],
    nominal_cct_k: int,
    duv_tolerance: float,
    limits: Limits = ANSI_LIMITS,
    curve: str = "",
) -> Measurement:
    """Judge chromaticity ``xy`` against the ANSI C78.377 quadrangle of ``nominal_cct_k``.

    The value is the quadrangle ratio (0 at the class centre, exactly 1 on an edge, > 1
    outside), judged by ``limits`` (default: high = 1, the standard's rule).
    """
    ratio = ansi_c78377_ratio(xy, nominal_cct_k, duv_tolerance)
    reason = (
        f"{name} {ratio:.3g}: x {xy[0]:.4f}, y {xy[1]:.4f} is outside the ANSI C78.377 "
        f"{nominal_cct_k} K quadrangle (Duv tolerance {duv_tolerance:g})"
        if limits.judge(ratio) is Outcome.FAIL
        else ""
    )
    return Measurement.judged(name, ratio, "", limits, reason=reason, curve=curve)


def no_chromaticity(name: str, limits: Limits = ANSI_LIMITS) -> Measurement:
    """``name`` failed: the sensor gave no (x, y) (no light, or a CCT-only sensor)."""
    return Measurement(
        name,
        None,
        "",
        limits,
        Outcome.FAIL,
        f"{name}: no chromaticity (no light, or a colour sensor that gives CCT only)",
    )


def ansi_curve(
    xy: tuple[float, float],
    cct_k: float | None,
    duv: float | None,
    nominal_cct_k: int,
    duv_tolerance: float,
) -> dict[str, list[float]]:
    """The one-row raw curve ``<prefix>ansi_c78377`` its appeal re-analysis reads."""
    return {
        "x": [xy[0]],
        "y": [xy[1]],
        "cct_k": [-1.0 if cct_k is None else cct_k],
        "duv": [0.0 if duv is None else duv],
        "nominal_cct_k": [float(nominal_cct_k)],
        "duv_tolerance": [duv_tolerance],
    }
