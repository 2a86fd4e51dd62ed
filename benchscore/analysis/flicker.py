"""Temporal light modulation: dominant frequency, percent flicker, flicker index, IEEE 1789.

- Percent flicker (modulation depth) = 100·(Lmax - Lmin)/(Lmax + Lmin) (IES RP-16, CIE ILV
  17-39). It is computed in every whole period and averaged. A sampled peak misses the true one
  by up to (π f/fs)²/2 of the amplitude, so a strict, smooth local extremum (second difference
  under 5 % of the record's peak-to-peak) is refined by a parabola through it and its
  neighbours; flat tops and edges (square waves) are left as sampled.
- Flicker index = area above the mean / total area over one window of whole periods
  (IEC 60050 IEV 845-22-094, IES). The window is n·P samples long, P = fs/f, with the last
  sample weighted by its fraction, so the period count is exact even when P is not an integer.
- Dominant frequency: Hann-windowed FFT of the record less its mean, the peak bin refined by the
  Hann two-bin ratio estimator (Grandke, IEEE Trans. Instrum. Meas. 32(2):350-355, 1983).
- IEEE 1789-2015 recommended practices (Fig. 18): low risk (RP1) Mod% < 0.025·f below 90 Hz,
  < 0.08·f from 90 to 1250 Hz, no limit above; no observable effect (RP2) Mod% < 0.01·f below
  90 Hz, < 0.0333·f from 90 to 3000 Hz, no limit above.

Records should be >= 1 s at >= 20 kSPS from a photodiode front end (CA JA10.5): integrating
lux sensors (BH1750, TSL2591, VEML7700) cannot see flicker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, FloatArray, as_1d

_SMOOTH_PEAK_FRACTION: Final = 0.05


class Ieee1789Class(StrEnum):
    """IEEE 1789-2015 region of a (frequency, percent flicker) point."""

    NO_OBSERVABLE_EFFECT = "no_observable_effect"
    LOW_RISK = "low_risk"
    ABOVE_LOW_RISK = "above_low_risk"


@dataclass(frozen=True)
class FlickerResult:
    """Flicker metrics of one record; percentages in %, frequency in Hz."""

    frequency_hz: float
    percent_flicker: float
    percent_flicker_min: float
    percent_flicker_max: float
    flicker_index: float
    periods: int
    mean_level: float
    ieee1789: Ieee1789Class


def ieee1789_low_risk_limit_percent(frequency_hz: float) -> float:
    """Return the IEEE 1789-2015 low-risk (RP1) Mod% limit at ``frequency_hz`` (inf: none)."""
    if frequency_hz < 90.0:
        return 0.025 * frequency_hz
    if frequency_hz <= 1250.0:
        return 0.08 * frequency_hz
    return math.inf


def ieee1789_noel_limit_percent(frequency_hz: float) -> float:
    """Return the IEEE 1789-2015 no-observable-effect (RP2) Mod% limit (inf: none)."""
    if frequency_hz < 90.0:
        return 0.01 * frequency_hz
    if frequency_hz <= 3000.0:
        return 0.0333 * frequency_hz
    return math.inf


def ieee1789_class(percent_flicker: float, frequency_hz: float) -> Ieee1789Class:
    """Return the IEEE 1789-2015 region of ``percent_flicker`` (%) at ``frequency_hz``.

    Unmodulated light (0 %) is of no observable effect at any frequency.
    """
    if percent_flicker < 0 or frequency_hz < 0:
        raise AnalysisError("percent_flicker and frequency_hz must not be negative")
    if percent_flicker == 0 or percent_flicker < ieee1789_noel_limit_percent(frequency_hz):
        return Ieee1789Class.NO_OBSERVABLE_EFFECT
    if percent_flicker < ieee1789_low_risk_limit_percent(frequency_hz):
        return Ieee1789Class.LOW_RISK
    return Ieee1789Class.ABOVE_LOW_RISK


def dominant_frequency_hz(
    signal: npt.ArrayLike,
    sample_rate_hz: float,
    *,
    min_frequency_hz: float = 0.0,
    max_frequency_hz: float | None = None,
) -> float:
    """Return the frequency (Hz) of the strongest spectral line of ``signal`` above DC.

    Hann window, FFT, and the two-bin ratio interpolation of Grandke (1983) around the peak.
    Returns 0.0 for a constant signal.
    """
    y = as_1d("signal", signal, min_size=8)
    if sample_rate_hz <= 0:
        raise AnalysisError("sample_rate_hz must be positive")
    n = y.size
    spectrum = np.abs(np.fft.rfft((y - y.mean()) * np.hanning(n)))
    bin_hz = sample_rate_hz / n
    # The Hann window leaks DC into bin 1: start at bin 2 (>= 2 periods in the record).
    first = max(2, math.ceil(min_frequency_hz / bin_hz))
    last = spectrum.size - 1
    if max_frequency_hz is not None:
        last = min(last, math.floor(max_frequency_hz / bin_hz))
    if last - first < 1:
        raise AnalysisError("frequency range holds fewer than two FFT bins")
    band = spectrum[first : last + 1]
    if not band.any() or band.max() <= 1e-12 * max(float(np.abs(y).max()), 1e-300) * n:
        return 0.0
    k = first + int(np.argmax(band))
    delta = 0.0
    if 0 < k < spectrum.size - 1:
        # Hann-window two-bin estimator (Grandke 1983): exact for one tone, |X[k±1]|/|X[k]| =
        # (1 ± δ)/(2 ∓ δ) for a tone δ bins off k towards the larger neighbour.
        right = spectrum[k + 1] >= spectrum[k - 1]
        ratio = float((spectrum[k + 1] if right else spectrum[k - 1]) / spectrum[k])
        delta = (2.0 * ratio - 1.0) / (ratio + 1.0)
        delta = min(max(delta, 0.0), 1.0) * (1.0 if right else -1.0)
    return (k + delta) * bin_hz


def _refined_extremes(y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-sample values with smooth strict local maxima (minima) raised (lowered) to the vertex."""
    hi = y.copy()
    lo = y.copy()
    if y.size < 3:
        return hi, lo
    prev, mid, nxt = y[:-2], y[1:-1], y[2:]
    limit = _SMOOTH_PEAK_FRACTION * float(y.max() - y.min())
    curv = 2.0 * mid - prev - nxt
    peak = (mid > prev) & (mid > nxt) & (curv <= limit)
    trough = (mid < prev) & (mid < nxt) & (-curv <= limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = (prev - nxt) ** 2 / (8.0 * np.abs(curv))
    hi[1:-1] = np.where(peak, mid + shift, mid)
    lo[1:-1] = np.where(trough, mid - shift, mid)
    return hi, lo


def percent_flicker(signal: npt.ArrayLike) -> float:
    """Return 100·(max - min)/(max + min) in % over the samples given (IES percent flicker)."""
    y = as_1d("signal", signal)
    hi, lo = _refined_extremes(y)
    top, bottom = float(hi.max()), float(lo.min())
    if top + bottom <= 0:
        raise AnalysisError("signal: percent flicker needs a positive light level")
    return 100.0 * (top - bottom) / (top + bottom)


def flicker_index(signal: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Return the flicker index over the samples given, assumed to span whole periods.

    FI = Σ w·max(L - L̄, 0) / Σ w·L with L̄ = Σ w·L / Σ w (IEC 60050 845-22-094); ``weights`` are
    the fraction of each sample's interval inside the window (all 1 by default).
    """
    y = as_1d("signal", signal)
    w = np.ones_like(y) if weights is None else as_1d("weights", weights)
    if w.shape != y.shape:
        raise AnalysisError("weights and signal differ in length")
    total = float(np.dot(w, y))
    if total <= 0:
        raise AnalysisError("signal: flicker index needs a positive light level")
    mean = total / float(w.sum())
    above = float(np.dot(w, np.maximum(y - mean, 0.0)))
    return above / total


def flicker_metrics(
    signal: npt.ArrayLike,
    sample_rate_hz: float,
    *,
    frequency_hz: float | None = None,
    min_frequency_hz: float = 0.0,
) -> FlickerResult:
    """Return frequency, percent flicker and flicker index over whole periods, and the IEEE class.

    ``signal`` is light level (any linear unit, dark offset removed) sampled at
    ``sample_rate_hz``; ``frequency_hz`` skips the FFT when the modulation frequency is known.
    Percent flicker is the mean over every whole period (min and max reported too); the flicker
    index is over the longest window of whole periods in the record.
    """
    y = as_1d("signal", signal, min_size=8)
    if sample_rate_hz <= 0:
        raise AnalysisError("sample_rate_hz must be positive")
    mean_level = float(y.mean())
    if mean_level <= 1e-9 * float(np.abs(y).max()):
        raise AnalysisError("signal: mean light level must be positive (remove the dark offset)")
    f = (
        dominant_frequency_hz(y, sample_rate_hz, min_frequency_hz=min_frequency_hz)
        if frequency_hz is None
        else float(frequency_hz)
    )
    if f <= 0:
        return FlickerResult(
            0.0, 0.0, 0.0, 0.0, 0.0, 0, mean_level, Ieee1789Class.NO_OBSERVABLE_EFFECT
        )
    period = sample_rate_hz / f
    periods = math.floor(y.size / period)
    if periods < 1:
        raise AnalysisError(
            f"signal: {y.size} samples at {sample_rate_hz} Hz hold less than one {f:.3g} Hz period"
        )
    # Percent flicker per whole period: sample cells [round(j·P), round((j+1)·P)).
    hi, lo = _refined_extremes(y)
    edges = np.round(np.arange(periods + 1) * period).astype(np.intp)
    edges = np.minimum(edges, y.size)
    starts = edges[:-1]
    tops = np.maximum.reduceat(hi, starts)
    bottoms = np.minimum.reduceat(lo, starts)
    # reduceat runs the last window to the end of the record: recompute it on its own cells.
    tops[-1] = hi[starts[-1] : edges[-1]].max()
    bottoms[-1] = lo[starts[-1] : edges[-1]].min()
    if ((tops + bottoms) <= 0).any():
        raise AnalysisError("signal: a period has max + min <= 0; light must be positive")
    mods = 100.0 * (tops - bottoms) / (tops + bottoms)
    # Flicker index on [0, n·P) in sample cells, the last cell weighted by its fraction.
    span = periods * period
    whole = math.floor(span)
    frac = span - whole
    count = whole + (1 if frac > 1e-9 and whole < y.size else 0)
    weights = np.ones(count)
    if count > whole:
        weights[-1] = frac
    fi = flicker_index(y[:count], weights)
    pf = float(mods.mean())
    return FlickerResult(
        frequency_hz=f,
        percent_flicker=pf,
        percent_flicker_min=float(mods.min()),
        percent_flicker_max=float(mods.max()),
        flicker_index=fi,
        periods=periods,
        mean_level=mean_level,
        ieee1789=ieee1789_class(pf, f),
    )


IEEE1789_REGION_CODES: Final = {
    Ieee1789Class.NO_OBSERVABLE_EFFECT: 0.0,
    Ieee1789Class.LOW_RISK: 1.0,
    Ieee1789Class.ABOVE_LOW_RISK: 2.0,
}
"""Numeric code of each IEEE 1789 region, as ``flicker_ieee1789_region`` records it."""

FLICKER_MIN_FREQUENCY_HZ: Final = 20.0
"""Lowest modulation frequency the led_assembly flicker phase looks for, Hz."""


def reanalyse_flicker(
    curves: dict[str, dict[str, list[float]]], params: dict[str, float]
) -> dict[str, float]:
    """Appeal re-analysis of led_assembly's flicker measurements from the ``flicker`` curve.

    The curve holds ``t_s`` (sample times k/rate, s) and ``illuminance_lx``; returns
    ``flicker_percent`` (%), ``flicker_index``, ``flicker_ieee1789_ratio`` (percent flicker
    over the low-risk limit) and ``flicker_ieee1789_region`` (0/1/2). ``params`` is unused.
    """
    columns = curves["flicker"]
    t = as_1d("t_s", columns["t_s"], min_size=8)
    light = as_1d("illuminance_lx", columns["illuminance_lx"], min_size=8)
    rate = round((t.size - 1) / float(t[-1] - t[0]))
    metrics = flicker_metrics(light, float(rate), min_frequency_hz=FLICKER_MIN_FREQUENCY_HZ)
    f = metrics.frequency_hz
    ratio = metrics.percent_flicker / ieee1789_low_risk_limit_percent(f) if f > 0 else 0.0
    return {
        "flicker_percent": metrics.percent_flicker,
        "flicker_index": metrics.flicker_index,
        "flicker_ieee1789_ratio": ratio,
        "flicker_ieee1789_region": IEEE1789_REGION_CODES[metrics.ieee1789],
    }
