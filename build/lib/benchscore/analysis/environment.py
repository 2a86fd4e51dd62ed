"""Lighting environment: illuminance grid statistics and the grid-size rule (EN 12464-1).

- Average illuminance Ē = mean of the grid readings; uniformity U0 = Emin/Ē; diversity
  Ud = Emin/Emax (informative) (EN 12464-1:2021; CIE ILV "uniformity of illuminance").
- Grid spacing p = 0.2·5^(log10 d) m, d the longer side of the area in metres, p <= 10 m; the
  number of points along d is the nearest whole number to d/p (at least 1), and the spacing
  that gives is used for the other side (EN 12464-1:2021, as quoted by Fagerhult's guide to
  the number of calculation points). This reproduces the worked examples 1 m -> 5,
  2 m -> 6, 5 m -> 8, 10 m -> 10 (rounding d/p up would give 7 points for 2 m).
  Cells should be near-square (side ratio 0.5 to 2).
- Commissioning against a maintained value: Ē >= Ēm / MF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError

GRID_SPACING_CAP_M = 10.0


@dataclass(frozen=True)
class GridStats:
    """Illuminance grid statistics in lux, with U0 and Ud as fractions."""

    mean_lx: float
    min_lx: float
    max_lx: float
    u0: float
    ud: float
    points: int


def illuminance_grid_stats(illuminance_lx: npt.ArrayLike) -> GridStats:
    """Return Ē, Emin, Emax, U0 = Emin/Ē and Ud = Emin/Emax of grid readings in lux.

    ``illuminance_lx`` is any array of grid readings (1-D or the 2-D grid); NaN is refused.
    """
    e = np.asarray(illuminance_lx, dtype=np.float64).ravel()
    if e.size == 0:
        raise AnalysisError("illuminance_lx: the grid is empty")
    if not np.isfinite(e).all():
        raise AnalysisError("illuminance_lx: a reading is missing or not finite")
    if (e < 0).any():
        raise AnalysisError("illuminance_lx: a reading is negative")
    mean, low, high = float(e.mean()), float(e.min()), float(e.max())
    if mean <= 0:
        raise AnalysisError("illuminance_lx: every reading is zero")
    return GridStats(mean, low, high, low / mean, low / high, int(e.size))


def grid_spacing_m(longer_side_m: float) -> float:
    """Return the maximum grid spacing p = 0.2·5^(log10 d) m, capped at 10 m (EN 12464-1)."""
    if longer_side_m <= 0:
        raise AnalysisError("longer_side_m must be positive")
    spacing = 0.2 * 5.0 ** math.log10(longer_side_m)
    return float(min(spacing, GRID_SPACING_CAP_M))


def grid_points(length_m: float, width_m: float) -> tuple[int, int]:
    """Return the minimum grid points (along the longer side, along the shorter side).

    Along the longer side d: the nearest whole number to d/p (half rounds up); the spacing
    d/n that gives then sets the count on the shorter side the same way (EN 12464-1).
    """
    if length_m <= 0 or width_m <= 0:
        raise AnalysisError("length_m and width_m must be positive")
    d, w = max(length_m, width_m), min(length_m, width_m)
    n_long = max(1, math.floor(d / grid_spacing_m(d) + 0.5))
    n_short = max(1, math.floor(w / (d / n_long) + 0.5))
    return n_long, n_short


@dataclass(frozen=True)
class GridCheck:
    """Whether a measured grid meets the EN 12464-1 grid-size rule."""

    required_long: int
    required_short: int
    cell_aspect_ratio: float
    enough_points: bool
    near_square: bool

    @property
    def ok(self) -> bool:
        """Enough points and near-square cells."""
        return self.enough_points and self.near_square


def check_grid(length_m: float, width_m: float, points_long: int, points_short: int) -> GridCheck:
    """Check a grid of ``points_long`` × ``points_short`` over a length × width area.

    Cells are length/points by width/points (points at cell centres); near-square means the
    cell side ratio is within 0.5..2 (EN 12464-1).
    """
    if points_long < 1 or points_short < 1:
        raise AnalysisError("a grid needs at least one point on each side")
    need_long, need_short = grid_points(length_m, width_m)
    d, w = max(length_m, width_m), min(length_m, width_m)
    ratio = (d / points_long) / (w / points_short)
    return GridCheck(
        required_long=need_long,
        required_short=need_short,
        cell_aspect_ratio=ratio,
        enough_points=points_long >= need_long and points_short >= need_short,
        near_square=0.5 <= ratio <= 2.0,
    )


def meets_maintained_illuminance(
    mean_lx: float, maintained_lx: float, *, maintenance_factor: float = 1.0
) -> bool:
    """Return whether Ē >= Ēm / MF at commissioning (EN 12464-1 maintained illuminance)."""
    if not 0 < maintenance_factor <= 1:
        raise AnalysisError("maintenance_factor must be in (0, 1]")
    return mean_lx >= maintained_lx / maintenance_factor
