"""Input checks shared by the analysis modules: arrays in, clear errors out."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""A float64 numpy array; every analysis function takes and returns these."""


class AnalysisError(ValueError):
    """Inputs an analysis cannot use; the message names the offending argument."""


def as_1d(name: str, values: npt.ArrayLike, *, min_size: int = 1) -> FloatArray:
    """Return ``values`` as a finite 1-D float64 array, or raise naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name}: not numeric ({exc})") from None
    if array.ndim != 1:
        raise AnalysisError(f"{name}: expected a 1-D array, got shape {array.shape}")
    if array.size < min_size:
        raise AnalysisError(f"{name}: needs at least {min_size} samples, got {array.size}")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise AnalysisError(f"{name}: sample {bad} is not finite ({array[bad]})")
    return array


def same_length(**arrays: FloatArray) -> int:
    """Return the common length of ``arrays``, or raise naming the ones that differ."""
    lengths = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise AnalysisError(f"arrays differ in length: {lengths}")
    return int(next(iter(lengths.values())))


def require_non_decreasing(name: str, t: FloatArray) -> None:
    """Raise unless time ``t`` never goes backwards (equal stamps at step boundaries are fine)."""
    if t.size > 1:
        steps = np.diff(t)
        if (steps < 0).any():
            bad = int(np.flatnonzero(steps < 0)[0]) + 1
            raise AnalysisError(
                f"{name}: time goes backwards at sample {bad} ({t[bad - 1]} -> {t[bad]})"
            )
