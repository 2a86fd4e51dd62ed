"""Electrical and thermal statistics: settling, steady state, response time, ripple, heating.

- Settle detection: the first sample after which the signal stays within a tolerance band
  around its final value (the median of the last 10 % of the record): settling as in
  IEEE Std 181-2011 (transitions, pulses and related waveforms).
- Steady-state statistics (mean, standard deviation, extremes, peak-to-peak) from the settle
  index on; DC power as the mean of V·I (IES LM-79-19, electrical quantities of DC products).
- LM-79 stability: three readings 15 min apart varying by less than 0.5 % (IES LM-79-19).
- Response time 10-90 %: time between the linearly interpolated 10 % and 90 % crossings of the
  step from the initial to the final level (IEEE Std 181-2011 transition duration).
- Ripple and noise: peak-to-peak of the output voltage (GB/T 35590-2017: <= 200 mV).
- Temperature rise: maximum temperature less the starting (or ambient) temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, as_1d, require_non_decreasing, same_length


@dataclass(frozen=True)
class SteadyStats:
    """Statistics of a signal at steady state, in the signal's unit."""

    mean: float
    std: float
    minimum: float
    maximum: float
    samples: int

    @property
    def peak_to_peak(self) -> float:
        """Maximum less minimum."""
        return self.maximum - self.minimum


def final_value(values: npt.ArrayLike, *, tail_fraction: float = 0.1) -> float:
    """Return the median of the last ``tail_fraction`` of the record (at least one sample)."""
    y = as_1d("values", values)
    if not 0 < tail_fraction <= 1:
        raise AnalysisError("tail_fraction must be in (0, 1]")
    tail = max(1, int(round(y.size * tail_fraction)))
    return float(np.median(y[-tail:]))


def settle_index(
    values: npt.ArrayLike,
    *,
    tolerance: float | None = None,
    tolerance_fraction: float | None = None,
    tail_fraction: float = 0.1,
) -> int | None:
    """Return the first index from which every sample stays within the band, or None.

    The band is ± ``tolerance`` (signal units) or ± ``tolerance_fraction`` of |final value|
    around :func:`final_value`. None means the record has not settled before the tail that
    defines the final value (the last ``tail_fraction`` of it).
    """
    y = as_1d("values", values)
    final = final_value(y, tail_fraction=tail_fraction)
    if (tolerance is None) == (tolerance_fraction is None):
        raise AnalysisError("give exactly one of tolerance or tolerance_fraction")
    band = tolerance if tolerance is not None else abs(final) * float(tolerance_fraction or 0.0)
    if band < 0:
        raise AnalysisError("tolerance must not be negative")
    outside = np.flatnonzero(np.abs(y - final) > band)
    if outside.size == 0:
        return 0
    last = int(outside[-1])
    tail = max(1, int(round(y.size * tail_fraction)))
    return None if last + 1 >= y.size - tail else last + 1


def settling_time_s(
    time_s: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    tolerance: float | None = None,
    tolerance_fraction: float | None = None,
) -> float | None:
    """Return seconds from the first sample to the settle index, or None if never settled."""
    t = as_1d("time_s", time_s)
    y = as_1d("values", values)
    same_length(time_s=t, values=y)
    k = settle_index(y, tolerance=tolerance, tolerance_fraction=tolerance_fraction)
    return None if k is None else float(t[k] - t[0])


def steady_state_stats(values: npt.ArrayLike, *, start: int = 0) -> SteadyStats:
    """Return mean, standard deviation (population), min and max of ``values[start:]``."""
    y = as_1d("values", values)
    if not 0 <= start < y.size:
        raise AnalysisError(f"start {start} is outside the record of {y.size} samples")
    part = y[start:]
    return SteadyStats(
        mean=float(part.mean()),
        std=float(part.std()),
        minimum=float(part.min()),
        maximum=float(part.max()),
        samples=int(part.size),
    )


@dataclass(frozen=True)
class DcOperatingPoint:
    """Steady-state DC voltage (V), current (A) and power (W) of a device under test."""

    voltage_v: SteadyStats
    current_a: SteadyStats
    power_w: float
    settle_index: int


def dc_operating_point(
    voltage_v: npt.ArrayLike,
    current_a: npt.ArrayLike,
    *,
    tolerance_fraction: float = 0.005,
) -> DcOperatingPoint:
    """Return steady-state V, I and P = mean(V·I) after both have settled (IES LM-79-19).

    Settling uses ± ``tolerance_fraction`` of each final value. Raises if either never settles.
    """
    v = as_1d("voltage_v", voltage_v)
    i = as_1d("current_a", current_a)
    same_length(voltage_v=v, current_a=i)
    kv = settle_index(v, tolerance_fraction=tolerance_fraction)
    ki = settle_index(i, tolerance_fraction=tolerance_fraction)
    if kv is None or ki is None:
        which = "voltage_v" if kv is None else "current_a"
        raise AnalysisError(f"{which}: never settles within {tolerance_fraction:.3%}")
    k = max(kv, ki)
    return DcOperatingPoint(
        voltage_v=steady_state_stats(v, start=k),
        current_a=steady_state_stats(i, start=k),
        power_w=float(np.mean(v[k:] * i[k:])),
        settle_index=k,
    )


def lm79_stable(
    time_s: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    interval_s: float = 900.0,
    readings: int = 3,
    max_variation_fraction: float = 0.005,
) -> bool:
    """Return whether the last ``readings`` readings ``interval_s`` apart vary < 0.5 %.

    IES LM-79-19 stabilisation: light output and power read 3 times at 15 min intervals vary
    by less than 0.5 %; variation is (max - min)/mean of the readings, each interpolated at
    t_end, t_end - 15 min, ... Raises if the record is shorter than the readings need.
    """
    t = as_1d("time_s", time_s)
    y = as_1d("values", values)
    same_length(time_s=t, values=y)
    require_non_decreasing("time_s", t)
    at = t[-1] - interval_s * np.arange(readings)
    if at[-1] < t[0]:
        raise AnalysisError(
            f"time_s: record of {t[-1] - t[0]:.0f} s is shorter than {readings} readings "
            f"{interval_s:.0f} s apart"
        )
    r = np.interp(at, t, y)
    mean = float(r.mean())
    if mean == 0:
        raise AnalysisError("values: mean reading is zero")
    return bool(float(r.max() - r.min()) / abs(mean) < max_variation_fraction)


def _first_crossing(t: np.ndarray, y: np.ndarray, level: float) -> float | None:
    """Interpolated time of the first upward crossing of ``level`` by rising ``y``."""
    above = np.flatnonzero(y >= level)
    if above.size == 0:
        return None
    k = int(above[0])
    if k == 0:
        return float(t[0])
    frac = (level - y[k - 1]) / (y[k] - y[k - 1])
    return float(t[k - 1] + frac * (t[k] - t[k - 1]))


def response_time_10_90_s(
    time_s: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    initial: float | None = None,
    final: float | None = None,
) -> float:
    """Return the 10 %-90 % transition time in seconds of a step (rising or falling).

    ``initial`` defaults to the first sample and ``final`` to :func:`final_value`. Crossing
    times are interpolated linearly between samples.
    """
    t = as_1d("time_s", time_s, min_size=2)
    y = as_1d("values", values, min_size=2)
    same_length(time_s=t, values=y)
    require_non_decreasing("time_s", t)
    y0 = float(y[0]) if initial is None else initial
    y1 = final_value(y) if final is None else final
    if y1 == y0:
        raise AnalysisError("values: initial and final levels are equal: no step")
    norm = (y - y0) / (y1 - y0)
    t10 = _first_crossing(t, norm, 0.1)
    t90 = _first_crossing(t, norm, 0.9)
    if t10 is None or t90 is None:
        raise AnalysisError("values: the step never reaches 90 % of its final level")
    return t90 - t10


def ripple_peak_to_peak_v(voltage_v: npt.ArrayLike) -> float:
    """Return ripple and noise peak-to-peak in volts (GB/T 35590-2017 limit: 200 mV).

    Capture at the rated load with a 20 MHz bandwidth limit, then this is max - min.
    """
    v = as_1d("voltage_v", voltage_v)
    return float(v.max() - v.min())


def temperature_rise_k(temperature_c: npt.ArrayLike, *, reference_c: float | None = None) -> float:
    """Return the maximum temperature less ``reference_c`` (default: the first sample), in K."""
    temp = as_1d("temperature_c", temperature_c)
    ref = float(temp[0]) if reference_c is None else reference_c
    return float(temp.max()) - ref
