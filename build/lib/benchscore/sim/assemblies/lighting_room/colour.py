"""Chromaticity of the luminaires' light: the Planckian locus and McCamy's CCT.

Closed-form approximations (Kim et al. 2002, McCamy 1992), computed here rather than with
:mod:`benchscore.analysis.colour` so the simulated room does not depend on the analysis code
its readings are checked with.
"""

from __future__ import annotations


def planckian_xy(cct_k: float) -> tuple[float, float]:
    """CIE 1931 chromaticity of a Planckian radiator at ``cct_k`` (Kim et al. 2002 spline).

    Valid 1667..25000 K (clamped outside).
    """
    t = min(25000.0, max(1667.0, cct_k))
    if t <= 4000.0:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222.0:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000.0:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def mccamy_cct_k(x: float, y: float) -> float:
    """Correlated colour temperature from CIE 1931 x, y by McCamy's cubic (near the locus)."""
    n = (x - 0.3320) / (0.1858 - y)
    return 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33
