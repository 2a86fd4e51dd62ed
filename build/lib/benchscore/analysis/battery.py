"""Battery and power-bank logs: step segmentation, capacity, energy, CC-CV, DCIR, dQ/dV.

Conventions: time in seconds, current in amperes, voltage in volts. Current is signed; by
default charge is positive and discharge negative (Maccor, Arbin, BEEP); pass
``discharge_negative=False`` for an electronic-load log where the discharge current is positive.
Capacities and energies are reported as positive magnitudes.

- Coulomb counting (trapezoid rule; capacity as in IEC 61960-3): Q = Σ ½(I_k + I_k-1)·Δt/3600 Ah,
  E = Σ ½(V_k·I_k + V_k-1·I_k-1)·Δt/3600 Wh. A segment integrates only between its own samples.
- Discharge end: the first sample at or below the cut-off voltage; the crossing time is
  interpolated linearly between it and the sample before, and the integral stops there.
- Segmentation: runs of rest (|I| < rest current), charge and discharge; a step-index column,
  when the log has one, splits runs further.
- CC to CV (CC-CV charge): the transition is the first sample with V >= V_cv - 10 mV after
  which I falls monotonically for N samples; termination is I <= I_term (C/20 to C/10).
- DCIR from a load step (IEC 61960-3 two-step method): R = ΔV/ΔI with V just before the
  step and at a fixed delay after it (10 ms ohmic, 1 s or 10 s DC).
- dQ/dV (incremental capacity) on one CC segment: Q resampled on a uniform voltage grid
  (1-5 mV) and differentiated; an optional moving average smooths Q first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import (
    AnalysisError,
    FloatArray,
    as_1d,
    require_non_decreasing,
    same_length,
)

SECONDS_PER_HOUR = 3600.0


class StepKind(StrEnum):
    """What the cell was doing during a segment."""

    REST = "rest"
    CHARGE = "charge"
    DISCHARGE = "discharge"


@dataclass(frozen=True)
class Segment:
    """Samples ``start`` to ``stop - 1`` of one rest, charge or discharge run."""

    kind: StepKind
    start: int
    stop: int

    @property
    def samples(self) -> int:
        """Number of samples in the segment."""
        return self.stop - self.start


@dataclass(frozen=True)
class Integral:
    """Charge and energy moved in one segment (positive magnitudes) and how it ended."""

    capacity_ah: float
    energy_wh: float
    start_time_s: float
    end_time_s: float
    start_voltage_v: float
    end_voltage_v: float
    mean_current_a: float
    """Charge over time: the time-weighted mean current, signed as in the log."""
    mean_voltage_v: float
    """Energy over charge (Wh/Ah): the charge-weighted mean voltage."""
    cutoff_reached: bool
    samples: int

    @property
    def duration_s(self) -> float:
        """Integrated time in seconds."""
        return self.end_time_s - self.start_time_s


def default_rest_current_a(current_a: FloatArray) -> float:
    """Return the rest threshold: 1 mA or 0.1 % of the largest |current|, whichever is larger."""
    return max(1e-3, 1e-3 * float(np.abs(current_a).max(initial=0.0)))


def segment_steps(
    current_a: npt.ArrayLike,
    *,
    rest_current_a: float | None = None,
    step_index: npt.ArrayLike | None = None,
    discharge_negative: bool = True,
    min_samples: int = 2,
    merge_glitches: bool = True,
) -> list[Segment]:
    """Split a log into rest, charge and discharge runs of at least ``min_samples`` samples.

    A sample rests when |I| < ``rest_current_a`` (default :func:`default_rest_current_a`).
    With ``merge_glitches`` a single sample of another kind between two samples of the same
    kind (a logged zero inside a charge, as in Arbin logs) takes their kind, so the run is
    integrated through it. ``step_index`` (the cycler's step column) splits runs wherever it
    changes.
    """
    i = as_1d("current_a", current_a)
    eps = default_rest_current_a(i) if rest_current_a is None else float(rest_current_a)
    if eps < 0:
        raise AnalysisError("rest_current_a must not be negative")
    sign = 1 if discharge_negative else -1
    code = np.zeros(i.size, dtype=np.int8)
    code[i * sign >= eps] = 1
    code[i * sign <= -eps] = -1
    if merge_glitches and code.size > 2:
        glitch = (code[1:-1] != code[:-2]) & (code[:-2] == code[2:])
        code[1:-1][glitch] = code[:-2][glitch]
    change = code[1:] != code[:-1]
    if step_index is not None:
        steps = as_1d("step_index", step_index)
        same_length(current_a=i, step_index=steps)
        change |= steps[1:] != steps[:-1]
    bounds = np.concatenate(([0], np.flatnonzero(change) + 1, [i.size]))
    kinds = {1: StepKind.CHARGE, -1: StepKind.DISCHARGE, 0: StepKind.REST}
    segments = []
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if stop - start >= min_samples:
            segments.append(Segment(kinds[int(code[start])], start, stop))
    return segments


class Log:
    """A time, current, voltage log checked once, with cumulative trapezoid integrals.

    Build it once and ask for many segments: each integral is then O(1) (plus a binary search
    for the cut-off), which keeps a 1M-sample log well inside a few tens of milliseconds.
    """

    def __init__(
        self, time_s: npt.ArrayLike, current_a: npt.ArrayLike, voltage_v: npt.ArrayLike
    ) -> None:
        self.time_s = as_1d("time_s", time_s, min_size=2)
        self.current_a = as_1d("current_a", current_a, min_size=2)
        self.voltage_v = as_1d("voltage_v", voltage_v, min_size=2)
        same_length(time_s=self.time_s, current_a=self.current_a, voltage_v=self.voltage_v)
        require_non_decreasing("time_s", self.time_s)
        dt = np.diff(self.time_s)
        power = self.voltage_v * self.current_a
        # Twice the cumulative trapezoid integrals (the ½ is applied on use), in A·s and W·s.
        self._q2 = np.zeros(self.time_s.size)
        np.cumsum((self.current_a[1:] + self.current_a[:-1]) * dt, out=self._q2[1:])
        self._e2 = np.zeros(self._q2.size)
        np.cumsum((power[1:] + power[:-1]) * dt, out=self._e2[1:])

    @property
    def samples(self) -> int:
        """Number of samples in the log."""
        return int(self.time_s.size)

    def cumulative_capacity_ah(self) -> FloatArray:
        """Return signed charge since the first sample, Ah, trapezoid rule."""
        q: FloatArray = self._q2 / (2.0 * SECONDS_PER_HOUR)
        return q

    def integrate(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        cutoff_v: float | None = None,
        cutoff_below: bool = True,
    ) -> Integral:
        """Integrate samples ``start`` to ``stop - 1``, ending at an interpolated cut-off.

        With ``cutoff_v`` the integral ends where V first reaches it (at or below it when
        ``cutoff_below``, at or above it otherwise), the crossing time interpolated linearly.
        """
        stop = self.samples if stop is None else stop
        if not 0 <= start < stop <= self.samples:
            raise AnalysisError(f"segment [{start}, {stop}) is outside the log of {self.samples}")
        t, i, v = self.time_s, self.current_a, self.voltage_v
        end = stop - 1
        end_t, end_i, end_v = float(t[end]), float(i[end]), float(v[end])
        reached = False
        if cutoff_v is not None:
            window = v[start:stop]
            hits = np.flatnonzero(window <= cutoff_v if cutoff_below else window >= cutoff_v)
            if hits.size:
                reached = True
                j = start + int(hits[0])
                if j == start:
                    end, end_t, end_i, end_v = j, float(t[j]), float(i[j]), float(v[j])
                else:
                    frac = float((v[j - 1] - cutoff_v) / (v[j - 1] - v[j]))
                    end = j - 1
                    end_t = float(t[j - 1] + frac * (t[j] - t[j - 1]))
                    end_i = float(i[j - 1] + frac * (i[j] - i[j - 1]))
                    end_v = float(cutoff_v)
        # Whole intervals start..end from the cumulative sums, then the partial one to the end.
        tail_dt = end_t - float(t[end])
        q = 0.5 * (self._q2[end] - self._q2[start] + (i[end] + end_i) * tail_dt)
        e = 0.5 * (self._e2[end] - self._e2[start] + (v[end] * i[end] + end_v * end_i) * tail_dt)
        duration = end_t - float(t[start])
        return Integral(
            capacity_ah=abs(float(q)) / SECONDS_PER_HOUR,
            energy_wh=abs(float(e)) / SECONDS_PER_HOUR,
            start_time_s=float(t[start]),
            end_time_s=end_t,
            start_voltage_v=float(v[start]),
            end_voltage_v=end_v,
            mean_current_a=float(q) / duration if duration > 0 else float(i[start]),
            mean_voltage_v=float(e / q) if q != 0 else float(v[start]),
            cutoff_reached=reached,
            samples=end - start + 1,
        )

    def cc_cv(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        cv_voltage_v: float | None = None,
        voltage_tolerance_v: float = 0.010,
        falling_samples: int = 3,
        termination_current_a: float | None = None,
    ) -> CcCvResult:
        """Split charge samples ``start`` to ``stop - 1`` into CC and CV (indices from ``start``).

        The CV voltage defaults to the median voltage of the last five samples (a CC-CV
        charge ends in CV; CC at high current may overshoot it through the cell's resistance).
        The transition is the first sample from which V stays within ``voltage_tolerance_v``
        of it and |I| falls over the next ``falling_samples`` samples, never rising by more
        than 0.1 % of the largest |I| (noise). Without such a sample the segment is all CC.
        """
        stop = self.samples if stop is None else stop
        if not 0 <= start < stop <= self.samples:
            raise AnalysisError(f"segment [{start}, {stop}) is outside the log of {self.samples}")
        n = falling_samples
        if n < 1:
            raise AnalysisError("falling_samples must be at least 1")
        i = np.abs(self.current_a[start:stop])
        v = self.voltage_v[start:stop]
        size = i.size
        v_cv = float(np.median(v[-5:])) if cv_voltage_v is None else float(cv_voltage_v)
        transition: int | None = None
        if size > n:
            near = np.abs(v - v_cv) <= voltage_tolerance_v
            slack = 1e-3 * float(i.max())
            no_rise = np.diff(i) <= slack
            m = size - n  # windows k..k+n for k < m
            ok = near[:m] & (i[n:] < i[:m] - slack)
            for j in range(1, n + 1):
                ok &= near[j : j + m] & no_rise[j - 1 : j - 1 + m]
            hits = np.flatnonzero(ok)
            transition = int(hits[0]) if hits.size else None
        whole = self.integrate(start, stop).capacity_ah
        if transition is None:
            cc_q, cv_q = whole, 0.0
        else:
            cc_q = self.integrate(start, start + transition + 1).capacity_ah
            cv_q = whole - cc_q
        cc_end = size if transition is None else transition + 1
        end_current = float(i[-1])
        return CcCvResult(
            cv_voltage_v=v_cv if transition is not None or cv_voltage_v is not None else None,
            cc_current_a=float(np.median(i[:cc_end])),
            transition_index=transition,
            transition_time_s=None
            if transition is None
            else float(self.time_s[start + transition]),
            cc_capacity_ah=cc_q,
            cv_capacity_ah=cv_q,
            end_current_a=end_current,
            terminated_by_current=(
                None if termination_current_a is None else end_current <= termination_current_a
            ),
        )


@dataclass(frozen=True)
class SegmentResult:
    """One segment of a log: its integral (discharges end at the cut-off when given) and, for
    a charge, its CC-CV split."""

    segment: Segment
    integral: Integral
    cc_cv: CcCvResult | None = None


def analyze_log(
    time_s: npt.ArrayLike,
    current_a: npt.ArrayLike,
    voltage_v: npt.ArrayLike,
    *,
    cutoff_v: float | None = None,
    rest_current_a: float | None = None,
    step_index: npt.ArrayLike | None = None,
    discharge_negative: bool = True,
) -> list[SegmentResult]:
    """Segment a whole log, integrate every charge and discharge, split charges into CC-CV.

    Discharge segments stop at ``cutoff_v`` (interpolated crossing) when it is given. See
    :func:`segment_steps` for the segmentation arguments.
    """
    log = Log(time_s, current_a, voltage_v)
    sign = 1.0 if discharge_negative else -1.0
    segments = segment_steps(
        log.current_a * sign,
        rest_current_a=rest_current_a,
        step_index=step_index,
    )
    results = []
    for seg in segments:
        if seg.kind is StepKind.REST:
            continue
        if seg.kind is StepKind.DISCHARGE:
            integral = log.integrate(seg.start, seg.stop, cutoff_v=cutoff_v)
            results.append(SegmentResult(seg, integral))
        else:
            integral = log.integrate(seg.start, seg.stop)
            results.append(SegmentResult(seg, integral, log.cc_cv(seg.start, seg.stop)))
    return results


def capacity_ah(
    time_s: npt.ArrayLike,
    current_a: npt.ArrayLike,
    voltage_v: npt.ArrayLike,
    *,
    cutoff_v: float | None = None,
) -> Integral:
    """Integrate a whole single-step discharge log to an optional cut-off (see :class:`Log`)."""
    return Log(time_s, current_a, voltage_v).integrate(cutoff_v=cutoff_v)


@dataclass(frozen=True)
class CcCvResult:
    """How a CC-CV charge split: charge in each phase (Ah), the transition and the end.

    ``cv_voltage_v`` is None when no CV phase was found and none was given.
    """

    cv_voltage_v: float | None
    cc_current_a: float
    transition_index: int | None
    transition_time_s: float | None
    cc_capacity_ah: float
    cv_capacity_ah: float
    end_current_a: float
    terminated_by_current: bool | None

    @property
    def cv_share(self) -> float:
        """Fraction of the charge put in during CV."""
        total = self.cc_capacity_ah + self.cv_capacity_ah
        return self.cv_capacity_ah / total if total > 0 else 0.0


def cc_cv_split(
    time_s: npt.ArrayLike,
    current_a: npt.ArrayLike,
    voltage_v: npt.ArrayLike,
    *,
    cv_voltage_v: float | None = None,
    voltage_tolerance_v: float = 0.010,
    falling_samples: int = 3,
    termination_current_a: float | None = None,
) -> CcCvResult:
    """Return the CC and CV parts of one charge segment (current of either sign).

    See :meth:`Log.cc_cv`, which this applies to the whole of the arrays given.
    """
    log = Log(time_s, current_a, voltage_v)
    return log.cc_cv(
        cv_voltage_v=cv_voltage_v,
        voltage_tolerance_v=voltage_tolerance_v,
        falling_samples=falling_samples,
        termination_current_a=termination_current_a,
    )


@dataclass(frozen=True)
class DcirResult:
    """DC internal resistance from one load step."""

    resistance_ohm: float
    step_time_s: float
    voltage_before_v: float
    voltage_after_v: float
    current_before_a: float
    current_after_a: float


def dcir_ohm(
    time_s: npt.ArrayLike,
    voltage_v: npt.ArrayLike,
    current_a: npt.ArrayLike,
    *,
    delay_s: float = 1.0,
    step_index: int | None = None,
    discharge_negative: bool = True,
) -> DcirResult:
    """Return R = ΔV/ΔI across a load step (IEC 61960-3 two-step method; R > 0 for a real cell).

    The step is at ``step_index`` (the first sample at the new current) or, by default, at
    the largest |ΔI| between neighbouring samples. V and I before are the sample just before
    the step; after, they are interpolated at ``delay_s`` seconds after that sample's time.
    """
    log = Log(time_s, current_a, voltage_v)
    t, i, v = log.time_s, log.current_a, log.voltage_v
    k = int(np.argmax(np.abs(np.diff(i)))) + 1 if step_index is None else int(step_index)
    if not 1 <= k < log.samples:
        raise AnalysisError(f"step_index {k} must be within 1..{log.samples - 1}")
    t_after = float(t[k - 1]) + delay_s
    if t_after > t[-1]:
        raise AnalysisError(f"the log ends {t[-1] - t[k - 1]:.3g} s after the step, before delay_s")
    v_after = float(np.interp(t_after, t[k:], v[k:]))
    i_after = float(np.interp(t_after, t[k:], i[k:]))
    di = i_after - float(i[k - 1])
    if di == 0:
        raise AnalysisError("current_a: no current step at the chosen sample")
    # V = OCV + R·I with charge current positive; flip for logs with discharge positive.
    r = (v_after - float(v[k - 1])) / di * (1.0 if discharge_negative else -1.0)
    return DcirResult(r, float(t[k - 1]), float(v[k - 1]), v_after, float(i[k - 1]), i_after)


def dqdv(
    voltage_v: npt.ArrayLike,
    capacity_ah: npt.ArrayLike,
    *,
    step_v: float = 0.002,
    smooth_points: int = 1,
) -> tuple[FloatArray, FloatArray]:
    """Return (voltage grid in V, dQ/dV in Ah/V) of one CC segment.

    Q is resampled on a uniform grid of ``step_v`` (1-5 mV) over the monotonic envelope of V
    (running maximum on charge, running minimum on discharge), smoothed by a centred moving
    average of ``smooth_points`` grid points, then differentiated (central differences).
    dQ/dV is positive on both charge and discharge.
    """
    v = as_1d("voltage_v", voltage_v, min_size=3)
    q = as_1d("capacity_ah", capacity_ah, min_size=3)
    same_length(voltage_v=v, capacity_ah=q)
    if step_v <= 0 or smooth_points < 1:
        raise AnalysisError("step_v must be positive and smooth_points >= 1")
    rising = v[-1] >= v[0]
    env = np.maximum.accumulate(v) if rising else -np.minimum.accumulate(v)
    keep = np.concatenate(([True], np.diff(env) > 0))
    xp, fp = env[keep], q[keep]
    if xp.size < 3:
        raise AnalysisError("voltage_v: the segment does not move in voltage")
    grid = np.arange(xp[0], xp[-1], step_v)
    if grid.size < 3:
        raise AnalysisError(f"voltage_v: range {xp[-1] - xp[0]:.4g} V is under 3 grid steps")
    qg = np.interp(grid, xp, fp)
    if smooth_points > 1:
        kernel = np.ones(smooth_points) / smooth_points
        padded = np.pad(qg, smooth_points // 2, mode="edge")
        qg = np.convolve(padded, kernel, mode="valid")[: grid.size]
    slope = np.abs(np.gradient(qg, step_v))
    return (grid if rising else -grid), slope


def coulombic_efficiency(discharge_capacity_ah: float, charge_capacity_ah: float) -> float:
    """Return Q_discharge / Q_charge (IEC 61960-3 usage); 1.0 is lossless."""
    if charge_capacity_ah <= 0:
        raise AnalysisError("charge_capacity_ah must be positive")
    return discharge_capacity_ah / charge_capacity_ah


def state_of_health(measured_capacity_ah: float, rated_capacity_ah: float) -> float:
    """Return SOH = C_measured / C_rated (end of life commonly at 0.8)."""
    if rated_capacity_ah <= 0:
        raise AnalysisError("rated_capacity_ah must be positive")
    return measured_capacity_ah / rated_capacity_ah
