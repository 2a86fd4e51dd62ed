"""Luminance and colour uniformity across modules, in the camera's calibrated colour space.

Each module's median white-field camera signal (black removed) goes through the camera's
colour matrix (camera R, G, B -> CIE XYZ, from its calibration against a reference meter) to
luminance Y and CIE 1976 u'v'. Luminance uniformity is ``1 - max|Yi - Ymean| / Ymean`` over
the live modules (SJ/T 11281 style, in percent); colour uniformity is the largest distance
in u'v' of a module from the screen's mean colour. Without a calibration the matrix is the
identity: luminance uniformity is then in camera units (still a valid ratio), colour is not
measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.screen import brightness_uniformity

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ColourMatrix:
    """A camera's colour calibration: XYZ (Y in cd/m^2) = ``matrix`` @ camera RGB (fractions
    of full scale at the calibration's exposure)."""

    matrix: tuple[tuple[float, float, float], ...]
    id: str = ""

    def array(self) -> F64:
        m = np.asarray(self.matrix, dtype=np.float64)
        if m.shape != (3, 3) or not np.isfinite(m).all():
            raise AnalysisError("colour matrix: expected 3 x 3 finite numbers")
        return m


@dataclass(frozen=True)
class UniformityResult:
    luminance_pct: float
    """100 * (1 - max|Yi - Ymean| / Ymean) over the live modules."""
    min_over_max: float
    mean_luminance: float
    """Mean module Y (cd/m^2 with a calibration, camera units without)."""
    colour_duv: float | None
    """Largest u'v' distance of a module from the mean; None without a calibration."""
    module_luminance: tuple[float, ...]


def uv_prime(xyz: F64) -> F64:
    """CIE 1976 u', v' of XYZ rows."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    d = np.maximum(x + 15 * y + 3 * z, 1e-12)
    return np.stack([4 * x / d, 9 * y / d], axis=-1)  # type: ignore[no-any-return]


def uniformity(
    white_rgb: F64, live: list[int], calibration: ColourMatrix | None
) -> UniformityResult:
    """From per-module white-field camera RGB (modules, 3) of the ``live`` modules."""
    if not live:
        raise AnalysisError("uniformity: no module lights")
    m = calibration.array() if calibration else np.eye(3)
    xyz = white_rgb[live] @ m.T
    lum = xyz[:, 1] if calibration else white_rgb[live].sum(axis=1)
    u = brightness_uniformity(lum)
    duv = None
    if calibration is not None:
        uv = uv_prime(xyz)
        duv = float(np.max(np.hypot(*(uv - uv.mean(axis=0)).T)))
    return UniformityResult(
        luminance_pct=100.0 * u.one_minus_max_deviation,
        min_over_max=u.min_over_max,
        mean_luminance=u.mean,
        colour_duv=duv,
        module_luminance=tuple(float(v) for v in lum),
    )
