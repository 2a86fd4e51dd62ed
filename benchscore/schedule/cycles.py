"""Cycle-life report: charge and discharge per cycle, capacity retention, fade, state of health.

Conventions (see the cycler reference in docs/ARCHITECTURE.md): a cycle is one pass of the
loop body that advances the cycle count; its capacity is the charge it discharged (mAh), or
its discharged energy over ``reference_voltage_v`` for a power bank (GB/T 35590 capacity at
the rated output voltage); retention is a cycle's capacity over the reference cycle's; state
of health is the last cycle's retention; fade is the least-squares slope of retention (%) per
cycle from the reference cycle on, sign turned so that loss is positive; the cycle life is
the first cycle whose retention is below the end-of-life fraction (80 %).

:func:`integrate_rows` recomputes the per-cycle sums from the raw ``schedule`` curve with the
same trapezoid rule the station used, so an appeal reproduces every number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

END_OF_LIFE = 0.80


@dataclass
class CycleRecord:
    """Sums over one cycle (charge side in, discharge side out)."""

    cycle: int
    charge_ah: float = 0.0
    charge_wh: float = 0.0
    discharge_ah: float = 0.0
    discharge_wh: float = 0.0

    def add(self, side: int, ah: float, wh: float) -> None:
        """Add one step's charge (Ah) and energy (Wh): side +1 charge, -1 discharge."""
        if side > 0:
            self.charge_ah += ah
            self.charge_wh += wh
        elif side < 0:
            self.discharge_ah += ah
            self.discharge_wh += wh


@dataclass(frozen=True)
class CycleReport:
    """Capacity per cycle and what follows from it."""

    cycles: tuple[int, ...]
    capacity_mah: tuple[float, ...]
    retention: tuple[float, ...]
    """Capacity over the reference cycle's (fraction)."""
    energy_efficiency: tuple[float | None, ...]
    """Discharged over charged energy per cycle (None without a charge)."""
    ref_cycle: int
    fade_pct_per_cycle: float | None
    soh_pct: float | None
    cycle_life: int | None
    """First cycle below the end-of-life retention (None: not reached)."""

    @property
    def first_capacity_mah(self) -> float | None:
        return self.capacity_mah[0] if self.capacity_mah else None

    def columns(self) -> dict[str, list[float]]:
        """The ``cycles`` curve: one row per cycle."""
        return {
            "cycle": [float(c) for c in self.cycles],
            "capacity_mah": list(self.capacity_mah),
            "retention_pct": [100.0 * r for r in self.retention],
            "energy_efficiency_pct": [
                float("nan") if e is None else 100.0 * e for e in self.energy_efficiency
            ],
        }


def capacity_mah(record: CycleRecord, reference_voltage_v: float) -> float:
    """A cycle's capacity: discharged mAh, or Wh over ``reference_voltage_v`` in mAh."""
    if reference_voltage_v > 0:
        return 1000.0 * record.discharge_wh / reference_voltage_v
    return 1000.0 * record.discharge_ah


def cycle_report(
    records: Sequence[CycleRecord],
    *,
    reference_voltage_v: float = 0.0,
    ref_cycle: int = 1,
    end_of_life: float = END_OF_LIFE,
) -> CycleReport:
    """Report over complete cycles (records with a discharge), in cycle order."""
    done = [r for r in sorted(records, key=lambda r: r.cycle) if r.discharge_ah > 0]
    cycles = tuple(r.cycle for r in done)
    caps = tuple(capacity_mah(r, reference_voltage_v) for r in done)
    ref = next((c for n, c in zip(cycles, caps, strict=True) if n >= ref_cycle), None)
    retention = tuple((c / ref) if ref else float("nan") for c in caps)
    efficiency = tuple((r.discharge_wh / r.charge_wh) if r.charge_wh > 0 else None for r in done)
    after = [(n, q) for n, q in zip(cycles, retention, strict=True) if n >= ref_cycle]
    fade: float | None = None
    if len(after) >= 2:
        x = np.array([n for n, _ in after], dtype=float)
        y = np.array([100.0 * q for _, q in after])
        fade = -float(np.polyfit(x, y, 1)[0])
    life = next((n for n, q in after if q < end_of_life), None)
    return CycleReport(
        cycles=cycles,
        capacity_mah=caps,
        retention=retention,
        energy_efficiency=efficiency,
        ref_cycle=ref_cycle,
        fade_pct_per_cycle=fade,
        soh_pct=100.0 * retention[-1] if retention and ref else None,
        cycle_life=life,
    )


def trapezoid(t0: float, t1: float, y0: float, y1: float) -> float:
    """Area under a straight line between two samples (unit of y times hours)."""
    return 0.5 * (y0 + y1) * (t1 - t0) / 3600.0


def integrate_rows(
    t_s: Sequence[float],
    cycle: Sequence[float],
    step: Sequence[float],
    side: Sequence[float],
    voltage_v: Sequence[float],
    current_a: Sequence[float],
) -> list[CycleRecord]:
    """Per-cycle sums from the raw rows of a schedule: trapezoids between consecutive rows of
    the same step visit (same step index and cycle, in a run of rows)."""
    records: dict[int, CycleRecord] = {}
    for k in range(1, len(t_s)):
        if step[k] != step[k - 1] or cycle[k] != cycle[k - 1] or t_s[k] <= t_s[k - 1]:
            continue
        n = int(cycle[k])
        rec = records.setdefault(n, CycleRecord(n))
        ah = trapezoid(t_s[k - 1], t_s[k], abs(current_a[k - 1]), abs(current_a[k]))
        wh = trapezoid(
            t_s[k - 1],
            t_s[k],
            abs(voltage_v[k - 1] * current_a[k - 1]),
            abs(voltage_v[k] * current_a[k]),
        )
        rec.add(int(side[k]), ah, wh)
    return [records[n] for n in sorted(records)]


def cycle_values(
    rows: Mapping[str, Sequence[float]], *, reference_voltage_v: float = 0.0, ref_cycle: int = 1
) -> dict[str, float | None]:
    """The cycle-life measurements recomputed from a run's raw ``schedule`` curve (columns
    ``t_s``, ``cycle``, ``step``, ``side``, ``voltage_v``, ``current_a``): what an appeal
    re-analyses."""
    records = integrate_rows(
        rows["t_s"], rows["cycle"], rows["step"], rows["side"], rows["voltage_v"], rows["current_a"]
    )
    report = cycle_report(records, reference_voltage_v=reference_voltage_v, ref_cycle=ref_cycle)
    efficiencies = [e for e in report.energy_efficiency if e is not None]
    return {
        "cycles_completed": float(len(report.cycles)),
        "capacity_first_mah": report.first_capacity_mah,
        "capacity_retention_pct": report.soh_pct,
        "capacity_fade_pct_per_cycle": report.fade_pct_per_cycle,
        "energy_efficiency_pct": 100.0 * float(np.mean(efficiencies)) if efficiencies else None,
    }
