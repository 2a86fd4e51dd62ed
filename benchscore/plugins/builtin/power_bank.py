"""``power_bank``: declaration and appeal re-analysis (station side:
:mod:`firmware_py.procedures.power_bank`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from benchscore.analysis import battery, powerbank
from benchscore.analysis.electrical import ripple_peak_to_peak_v, temperature_rise_k
from benchscore.configfile import Table
from benchscore.plugins.builtin.common import single
from benchscore.plugins.contract import (
    AppealInput,
    Curves,
    CurveSpec,
    MeasurementSpec,
    Params,
    ProcedurePlugin,
    Reanalysis,
    Role,
)
from benchscore.schedule import parse_schedule
from benchscore.schedule.cycles import cycle_values

Columns = Mapping[str, list[float]]

PARAMETERS: dict[str, float] = {
    "rated_output_voltage_v": 5.0,
    "rated_output_current_a": 2.0,
    "rated_capacity_mah": 3000.0,
    "cell_capacity_mah": 5000.0,
    "cell_voltage_v": 3.7,
    "supply_voltage_v": 5.0,
    "supply_current_a": 2.5,
    "charge": 1.0,
    "charge_interval_s": 10.0,
    "charge_timeout_s": 6 * 3600.0,
    "charge_end_current_a": 0.1,
    "rest_s": 60.0,
    "overcurrent_a": 3.0,
    "short_a": 5.0,
    "protection_window_s": 5.0,
    "protection_poll_s": 0.05,
    "recovery_load_a": 0.1,
    "recovery_window_s": 10.0,
    "no_load_settle_s": 2.0,
    "discharge_interval_s": 10.0,
    "discharge_timeout_s": 5 * 3600.0,
    "cutoff_v": 4.0,
    "energy_window_wh": 0.0,
    "ripple_every_s": 600.0,
    "ripple_samples": 330.0,
    "safety_temperature_c": 65.0,
}


NEEDS: dict[str, tuple[str, ...]] = {
    "load_regulation_pct": ("discharge", "no_load"),
    "temperature_rise_k": ("start", "discharge"),
}
"""Curves a measurement needs beyond its own (to say which one is missing)."""


def charge(cols: Columns, p: Params) -> dict[str, float]:
    """CC current, CV share, termination current and energy of the ``charge`` curve; the
    termination is the first of two samples in a row under ``charge_end_current_a``."""
    t = np.asarray(cols["t_s"], dtype=float)
    i = np.asarray(cols["current_a"], dtype=float)
    v = np.asarray(cols["voltage_v"], dtype=float)
    below = i < p["charge_end_current_a"]
    pairs = np.flatnonzero(below[:-1] & below[1:])
    end = int(pairs[0]) if pairs.size else None
    stop = len(t) if end is None else end
    out: dict[str, float] = {}
    if stop >= 5 and float(i[:stop].max()) >= p["charge_end_current_a"]:
        split = battery.cc_cv_split(
            t[:stop],
            i[:stop],
            v[:stop],
            cv_voltage_v=p["supply_voltage_v"],
            voltage_tolerance_v=0.25,
        )
        if split.transition_index is None or split.transition_index >= 3:
            out["charge_cc_current_a"] = split.cc_current_a
        out["charge_cv_share"] = split.cv_share
        if end is not None and end > 0:
            out["charge_termination_current_a"] = float(i[end - 1])
    if len(t) >= 2:
        out["charge_energy_wh"] = battery.Log(t, i, v).integrate(0, max(2, stop)).energy_wh
    return out


def trip(cols: Columns, test: str, p: Params) -> dict[str, float]:
    """``<test>_trip_s`` and ``<test>_recovery_s`` from the ``<test>`` curve: its rows at the
    test load (``load_a``), then at the recovery load."""
    current = p[f"{test}_a"]
    t, v, i = cols["t_s"], cols["voltage_v"], cols["current_a"]
    load = cols["load_a"]
    rows = [k for k, a in enumerate(load) if math.isclose(a, current, rel_tol=1e-6)]
    rec = [k for k in range(len(load)) if k not in set(rows)]
    out: dict[str, float] = {}
    peak = 0.0
    tripped = None
    for k in rows:
        elapsed = t[k] - t[rows[0]]
        peak = max(peak, i[k])
        if elapsed > 0 and i[k] < 0.1 * min(current, max(peak, 0.1)):
            tripped = elapsed
            break
    if not (test == "overcurrent" and peak < 0.5 * current):
        out[f"{test}_trip_s"] = p["protection_window_s"] if tripped is None else tripped
    target = 0.95 * p["rated_output_voltage_v"]
    hit = [t[k] - t[rec[0]] for k in rec if v[k] >= target]
    out[f"{test}_recovery_s"] = hit[0] if hit else p["recovery_window_s"]
    return out


def discharge(curves: Curves, p: Params) -> dict[str, float]:
    """Energy (to ``cutoff_v``), capacity, efficiency, output voltage range and load
    regulation (with the ``no_load`` voltage) of the ``discharge`` curve."""
    d = curves["discharge"]
    t = np.asarray(d["t_s"], dtype=float)
    v = np.asarray(d["voltage_v"], dtype=float)
    i = np.asarray(d["current_a"], dtype=float)
    rated_v, rated_a = p["rated_output_voltage_v"], p["rated_output_current_a"]
    wh = battery.Log(t, i, v).integrate(cutoff_v=p["cutoff_v"]).energy_wh if len(t) >= 2 else 0.0
    efficiency = powerbank.conversion_efficiency(wh, p["cell_capacity_mah"], p["cell_voltage_v"])
    out = {
        "window_energy_wh": wh,
        "output_energy_wh": wh,
        "capacity_mah": powerbank.mah_at_voltage(wh, rated_v),
        "efficiency_pct": 100.0 * efficiency,
    }
    loaded = (i >= 0.9 * rated_a) & (v >= p["cutoff_v"])
    if loaded.any():
        reg = powerbank.output_regulation(v[loaded], rated_v=rated_v)
        out["output_voltage_min_v"], out["output_voltage_max_v"] = reg.min_v, reg.max_v
        if "no_load" in curves:
            full_load_v = float(np.median(v[loaded][: max(1, min(6, int(loaded.sum())))]))
            no_load_v = single(curves["no_load"], "voltage_v")
            out["load_regulation_pct"] = powerbank.load_regulation_percent(no_load_v, full_load_v)
    return out


def ripple(cols: Columns, p: Params) -> float:
    """The largest peak-to-peak of the captures (``ripple_samples`` rows each)."""
    n = max(8, int(p["ripple_samples"]))
    values = cols["ripple_v"]
    if len(values) < n or len(values) % n:
        raise ValueError(f"{len(values)} ripple samples are not whole captures of {n}")
    return max(ripple_peak_to_peak_v(values[k : k + n]) for k in range(0, len(values), n))


def temperature_rise(curves: Curves) -> float:
    """Case temperature rise over the run: the first reading (``start``), then every sample
    of ``charge`` and ``discharge``."""
    temps = [single(curves["start"], "temperature_c")]
    for name in ("charge", "discharge"):
        temps += list(curves.get(name, {}).get("temperature_c", []))
    return temperature_rise_k(np.array(temps))


CYCLE_LIFE = (
    "cycles_completed",
    "capacity_first_mah",
    "capacity_retention_pct",
    "capacity_fade_pct_per_cycle",
    "energy_efficiency_pct",
)


def read_task(root: Table) -> dict[str, Any]:
    """``[schedule]``: a cycler schedule (a cycle-life test) instead of the GB/T sequence; its
    steps may also be ``protection`` (the GB/T over-current and short-circuit tests)."""
    if not root.has("schedule"):
        return {}
    return {"schedule": parse_schedule(root.table("schedule"), extra_kinds=("protection",))}


def _schedule_of(task: Mapping[str, Any]) -> tuple[float, int]:
    """(reference voltage, reference cycle) of the raw task file's ``[schedule]``."""
    raw = task.get("schedule") or {}
    loops = [
        st
        for st in raw.get("steps", [])
        if st.get("kind") == "loop" and st.get("advance_cycle", True)
    ]
    ref_cycle = int(loops[0].get("ref_cycle", 1)) if loops else 1
    return float(raw.get("reference_voltage_v", 0.0)), ref_cycle


def cycle_life(curves: Curves, task: Mapping[str, Any]) -> dict[str, float]:
    """The cycle-life values from the raw ``schedule`` curve; temperature rise from the first
    reading (``start``) and the schedule's samples."""
    reference_v, ref_cycle = _schedule_of(task)
    values = cycle_values(curves["schedule"], reference_voltage_v=reference_v, ref_cycle=ref_cycle)
    out = {k: v for k, v in values.items() if v is not None}
    temps = [single(curves["start"], "temperature_c"), *curves["schedule"]["temperature_c"]]
    out["temperature_rise_k"] = temperature_rise_k(np.array(temps))
    return out


def reanalyse(inp: AppealInput) -> Reanalysis:
    """Every power-bank measurement again from the stored curves (a cycle-life run: from its
    raw ``schedule`` curve)."""
    out = Reanalysis()
    curves, p = inp.curves, inp.parameters
    computed: dict[str, float] = {}
    groups: dict[str, Callable[[], dict[str, float]]] = {
        "charge": lambda: charge(curves["charge"], p),
        "overcurrent": lambda: trip(curves["overcurrent"], "overcurrent", p),
        "short": lambda: trip(curves["short"], "short", p),
        "discharge": lambda: discharge(curves, p),
        "ripple": lambda: {"ripple_pp_v": ripple(curves["ripple"], p)},
        "temperature": lambda: {"temperature_rise_k": temperature_rise(curves)},
    }
    failed: dict[str, str] = {}
    for group, compute in groups.items():
        try:
            computed.update(compute())
        except KeyError as exc:
            failed[group] = f"curve or column {exc} not stored"
        except (ValueError, ArithmeticError, IndexError) as exc:
            failed[group] = f"{type(exc).__name__}: {exc}"
    if "schedule" in curves:  # a cycle-life run: its own values, and its temperature rise
        try:
            computed.update(cycle_life(curves, inp.task))
        except KeyError as exc:
            failed["schedule"] = f"curve or column {exc} not stored"
    for name in inp.measurements:
        if name in computed:
            out.values[name] = computed[name]
            continue
        group = next((g for g in groups if name.startswith(g)), "discharge")
        if name in CYCLE_LIFE:
            group = "schedule"
        elif name == "ripple_pp_v":
            group = "ripple"
        elif name == "temperature_rise_k":
            group = "temperature"
        needs = [c for c in NEEDS.get(name, ()) if c not in curves]
        if needs:
            out.unavailable[name] = f"curve {needs[0]!r} not stored (a station before 2026-12?)"
        else:
            out.unavailable[name] = failed.get(group, "the stored curves do not give it")
    return out


PLUGIN = ProcedurePlugin(
    name="power_bank",
    title="Power bank: charge, protections, discharge (GB/T 35590-2017), or a cycler schedule "
    "(cycle life)",
    procedure="firmware_py.procedures.power_bank:PowerBankProcedure",
    reanalyse=reanalyse,
    roles=(
        Role("eload", "ElectronicLoad"),
        Role("supply", "Supply"),
        Role("input_monitor", "PowerMonitor"),
        Role("output_monitor", "PowerMonitor"),
        Role("ripple", "WaveformCapture"),
        Role("thermometer", "Thermometer"),
    ),
    curves=(
        CurveSpec("start", ("temperature_c",), "one row: the case before anything runs"),
        CurveSpec("charge", ("t_s", "voltage_v", "current_a", "temperature_c")),
        CurveSpec("overcurrent", ("t_s", "voltage_v", "current_a", "load_a")),
        CurveSpec("short", ("t_s", "voltage_v", "current_a", "load_a")),
        CurveSpec("no_load", ("voltage_v",), "one row: the output with the load off"),
        CurveSpec("discharge", ("t_s", "voltage_v", "current_a", "temperature_c")),
        CurveSpec("ripple", ("t_s", "ripple_v"), "captures of ripple_samples rows"),
        CurveSpec(
            "schedule",
            ("t_s", "cycle", "step", "side", "voltage_v", "current_a", "temperature_c"),
            "a [schedule] task's raw rows",
        ),
        CurveSpec(
            "cycles",
            ("cycle", "capacity_mah", "retention_pct", "energy_efficiency_pct"),
            "one row per cycle",
        ),
    ),
    measurements=(
        MeasurementSpec("charge_cc_current_a", "A", "charge"),
        MeasurementSpec("charge_cv_share", "", "charge"),
        MeasurementSpec("charge_termination_current_a", "A", "charge"),
        MeasurementSpec("charge_energy_wh", "Wh", "charge"),
        MeasurementSpec("overcurrent_trip_s", "s", "overcurrent"),
        MeasurementSpec("overcurrent_recovery_s", "s", "overcurrent"),
        MeasurementSpec("short_trip_s", "s", "short"),
        MeasurementSpec("short_recovery_s", "s", "short"),
        MeasurementSpec("window_energy_wh", "Wh", "discharge"),
        MeasurementSpec("output_energy_wh", "Wh", "discharge"),
        MeasurementSpec("capacity_mah", "mAh", "discharge"),
        MeasurementSpec("efficiency_pct", "%", "discharge"),
        MeasurementSpec("output_voltage_min_v", "V", "discharge"),
        MeasurementSpec("output_voltage_max_v", "V", "discharge"),
        MeasurementSpec("load_regulation_pct", "%", "discharge"),
        MeasurementSpec("ripple_pp_v", "V", "ripple"),
        MeasurementSpec("temperature_rise_k", "K", "discharge"),
        MeasurementSpec("cycles_completed", "cycles", "cycles"),
        MeasurementSpec("capacity_first_mah", "mAh", "cycles"),
        MeasurementSpec("capacity_retention_pct", "%", "cycles"),
        MeasurementSpec("capacity_fade_pct_per_cycle", "%/cycle", "cycles"),
        MeasurementSpec("energy_efficiency_pct", "%", "cycles"),
    ),
    parameters=PARAMETERS,
    task_schema=read_task,
    task_tables=("schedule",),
    whole_run=True,
)
