"""Illuminance and tristimulus values from colour sensors (TCS34725 DN40, AS7341 matrix).

- TCS34725 RGBC, the DN40 method (ams/TAOS Design Note 40, as in Adafruit_TCS34725
  ``calculateColorTemperature_dn40``): IR = (R+G+B-C)/2, R' = R-IR (G', B' likewise),
  CPL = ATIME_ms·AGAIN/(GA·310), lux = (0.136 R' + 1.0 G' - 0.444 B')/CPL and
  CCT = 3810·B'/R' + 1391 K. Good for lux and CCT trends; calibrate per LED type.
- AS7341 (and any N-channel spectral sensor): basic counts = raw/(gain·integration time), then
  XYZ = M·counts with a 3×N calibration matrix fitted by least squares against a reference
  spectroradiometer (ams AN000633 "Spectral Sensor Calibration Methods", matrix calibration).
  Scaled so that Y is illuminance in lux, the matrix gives lux and chromaticity together.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, FloatArray

DN40_DEVICE_FACTOR: Final = 310.0
DN40_R_COEF: Final = 0.136
DN40_G_COEF: Final = 1.0
DN40_B_COEF: Final = -0.444
DN40_CT_COEF_K: Final = 3810.0
DN40_CT_OFFSET_K: Final = 1391.0


class Dn40Result(NamedTuple):
    """Lux and CCT from one or many TCS34725 readings (DN40); arrays follow the input shape."""

    illuminance_lx: FloatArray
    cct_k: FloatArray
    ir_counts: FloatArray


def tcs34725_dn40(
    red: npt.ArrayLike,
    green: npt.ArrayLike,
    blue: npt.ArrayLike,
    clear: npt.ArrayLike,
    *,
    integration_time_ms: float,
    gain: float,
    glass_attenuation: float = 1.0,
) -> Dn40Result:
    """Return illuminance (lx) and CCT (K) from TCS34725 RGBC counts by ams DN40.

    ``integration_time_ms`` is ATIME in ms, ``gain`` AGAIN (1, 4, 16 or 60) and
    ``glass_attenuation`` GA (1 for open air). CCT is NaN where R' <= 0 (no red signal).
    """
    r, g, b, c = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (red, green, blue, clear))
    )
    if integration_time_ms <= 0 or gain <= 0 or glass_attenuation <= 0:
        raise AnalysisError("integration_time_ms, gain and glass_attenuation must be positive")
    ir = np.where(r + g + b > c, (r + g + b - c) / 2.0, 0.0)
    r1, g1, b1 = r - ir, g - ir, b - ir
    cpl = integration_time_ms * gain / (glass_attenuation * DN40_DEVICE_FACTOR)
    lux = (DN40_R_COEF * r1 + DN40_G_COEF * g1 + DN40_B_COEF * b1) / cpl
    with np.errstate(divide="ignore", invalid="ignore"):
        cct = np.where(r1 > 0, DN40_CT_COEF_K * b1 / r1 + DN40_CT_OFFSET_K, np.nan)
    return Dn40Result(np.asarray(lux), np.asarray(cct), np.asarray(ir))


def basic_counts(
    raw_counts: npt.ArrayLike, *, gain: float, integration_time_ms: float
) -> FloatArray:
    """Return raw ADC counts normalised to gain 1 and 1 ms (ams AS7341 "basic counts")."""
    if gain <= 0 or integration_time_ms <= 0:
        raise AnalysisError("gain and integration_time_ms must be positive")
    counts: FloatArray = np.asarray(raw_counts, dtype=np.float64) / (gain * integration_time_ms)
    return counts


def fit_calibration_matrix(counts: npt.ArrayLike, xyz_reference: npt.ArrayLike) -> FloatArray:
    """Return the 3×N matrix M minimising ||counts·Mᵀ - XYZ|| (ams AN000633, least squares).

    ``counts`` has shape (M, N): M calibration sources, N channels (basic counts);
    ``xyz_reference`` (M, 3) are the reference tristimulus values (Y in lux for a lux-scaled
    matrix). Needs M >= N sources with independent spectra.
    """
    a = np.asarray(counts, dtype=np.float64)
    y = np.asarray(xyz_reference, dtype=np.float64)
    if a.ndim != 2 or y.ndim != 2 or y.shape != (a.shape[0], 3):
        raise AnalysisError(
            f"counts must be (M, N) and xyz_reference (M, 3); got {a.shape} and {y.shape}"
        )
    if a.shape[0] < a.shape[1]:
        raise AnalysisError(f"need at least {a.shape[1]} calibration sources, got {a.shape[0]}")
    solution, _residuals, rank, _sv = np.linalg.lstsq(a, y, rcond=None)
    if rank < a.shape[1]:
        raise AnalysisError(f"calibration sources are not independent (rank {rank} < {a.shape[1]})")
    matrix: FloatArray = np.asarray(solution.T, dtype=np.float64)
    return matrix


def xyz_from_channels(counts: npt.ArrayLike, matrix: npt.ArrayLike) -> FloatArray:
    """Return tristimulus XYZ, shape (..., 3), from channel counts (..., N) and a 3×N matrix."""
    c = np.asarray(counts, dtype=np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != 3 or c.shape[-1:] != (m.shape[1],):
        raise AnalysisError(f"counts (..., N) and matrix (3, N) disagree: {c.shape} vs {m.shape}")
    xyz: FloatArray = c @ m.T
    return xyz


def illuminance_lx(xyz: npt.ArrayLike) -> FloatArray:
    """Return illuminance in lux: the Y of lux-scaled tristimulus values (CIE 015:2018)."""
    a = np.asarray(xyz, dtype=np.float64)
    if a.shape[-1:] != (3,):
        raise AnalysisError(f"xyz: expected shape (..., 3), got {a.shape}")
    y: FloatArray = a[..., 1]
    return y
