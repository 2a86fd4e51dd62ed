"""LED screens: failed-pixel (out-of-control) rate and brightness uniformity (SJ/T 11281).

- A pixel fails if it is blind (dark in a full red, green, blue or white field) or stuck on
  (lit in a full black field); a pixel with any failed die counts as failed (SJ/T 11141-2017,
  measured per SJ/T 11281-2017). Rate = failed / total, for the whole screen and as the worst
  100 × 100 region. Industry practice accepts <= 3e-4.
- Brightness uniformity over an N-point grid: Lmin/Lmax, and 1 - max|Li - L̄|/L̄.

Inputs are per-pixel luminance maps (any linear unit), one per full field, already registered
to the screen's pixel grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError

BoolArray = npt.NDArray[np.bool_]


def _image(name: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise AnalysisError(f"{name}: expected a non-empty 2-D pixel map, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise AnalysisError(f"{name}: contains a value that is not finite")
    return a


def failed_pixels(
    lit_fields: Sequence[npt.ArrayLike],
    black_field: npt.ArrayLike | None,
    *,
    on_threshold: float,
    off_threshold: float,
) -> BoolArray:
    """Return the map of failed pixels from full-field captures.

    ``lit_fields`` are the full red, green, blue (and white) fields: a pixel below
    ``on_threshold`` in any of them is blind. In ``black_field`` a pixel above
    ``off_threshold`` is stuck on.
    """
    if not lit_fields:
        raise AnalysisError("lit_fields: give at least one full-field capture")
    maps = [_image(f"lit_fields[{k}]", f) for k, f in enumerate(lit_fields)]
    shape = maps[0].shape
    failed = np.zeros(shape, dtype=bool)
    for k, m in enumerate(maps):
        if m.shape != shape:
            raise AnalysisError(f"lit_fields[{k}]: shape {m.shape} differs from {shape}")
        failed |= m < on_threshold
    if black_field is not None:
        black = _image("black_field", black_field)
        if black.shape != shape:
            raise AnalysisError(f"black_field: shape {black.shape} differs from {shape}")
        failed |= black > off_threshold
    return failed


def failed_pixel_rate(failed: npt.ArrayLike) -> float:
    """Return failed pixels / total pixels of a boolean failure map (SJ/T 11141)."""
    f = np.asarray(failed, dtype=bool)
    if f.size == 0:
        raise AnalysisError("failed: the map is empty")
    return float(f.mean())


def regional_failed_pixel_rate(failed: npt.ArrayLike, *, region: int = 100) -> float:
    """Return the worst failed-pixel rate over every ``region`` × ``region`` window (sliding).

    A screen smaller than the region in a dimension uses its whole extent there.
    """
    f = np.asarray(failed, dtype=bool)
    if f.ndim != 2 or f.size == 0:
        raise AnalysisError(f"failed: expected a non-empty 2-D map, got shape {f.shape}")
    if region < 1:
        raise AnalysisError("region must be at least 1 pixel")
    rh, rw = min(region, f.shape[0]), min(region, f.shape[1])
    sat = np.zeros((f.shape[0] + 1, f.shape[1] + 1), dtype=np.int64)
    sat[1:, 1:] = f.astype(np.int64).cumsum(axis=0).cumsum(axis=1)
    counts = sat[rh:, rw:] - sat[:-rh, rw:] - sat[rh:, :-rw] + sat[:-rh, :-rw]
    return float(counts.max()) / float(rh * rw)


@dataclass(frozen=True)
class Uniformity:
    """Brightness uniformity of a grid of luminance readings (fractions, 1.0 = uniform)."""

    min_over_max: float
    one_minus_max_deviation: float
    mean: float
    points: int


def brightness_uniformity(luminance: npt.ArrayLike) -> Uniformity:
    """Return Lmin/Lmax and 1 - max|Li - L̄|/L̄ of grid luminance readings (SJ/T 11281)."""
    lum = np.asarray(luminance, dtype=np.float64).ravel()
    if lum.size == 0 or not np.isfinite(lum).all():
        raise AnalysisError("luminance: needs finite readings")
    mean, low, high = float(lum.mean()), float(lum.min()), float(lum.max())
    if high <= 0 or mean <= 0:
        raise AnalysisError("luminance: the screen is dark")
    return Uniformity(
        min_over_max=low / high,
        one_minus_max_deviation=1.0 - float(np.max(np.abs(lum - mean))) / mean,
        mean=mean,
        points=int(lum.size),
    )
