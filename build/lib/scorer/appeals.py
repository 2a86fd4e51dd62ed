"""Appeals: recompute a run's measurements from its stored raw curves with the analysis code of
this scorer, and show what differs: each measurement (stored by the station, recomputed here)
and each mark it feeds under the current marking scheme.

The analysis per procedure lives in :data:`ANALYSES` (procedure -> (curves, task parameters)
-> values), written with :mod:`benchscore.analysis`. Task parameters (a power bank's cut-off
and rated voltage, ...) come from the task files of ``tasks_dir`` (``[task] id`` and
``[parameters]``), over the procedure's defaults. A measurement whose procedure has no entry,
but whose curve has a column of the measurement's own name, is recomputed as that column's
steady-state mean (``column-mean``); anything else is reported as ``no_analysis``, never
guessed.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from benchscore.analysis import AnalysisError, powerbank
from benchscore.analysis.battery import Log
from benchscore.analysis.electrical import steady_state_stats
from benchscore.analysis.environment import illuminance_grid_stats

from .competition import Competition, CompetitionError
from .marking import mark_measurement
from .store import Store

Curves = Mapping[str, Mapping[str, list[float]]]
Params = Mapping[str, float]
Analysis = Callable[[Curves, Params], dict[str, float]]

RELATIVE_TOLERANCE: Final = 1e-5
"""Values within 10 ppm are the ``same``: stations send curve samples rounded to 7 significant
digits, so a value recomputed from the curve differs from the station's (computed from the
unrounded samples) by well under this; the delta is shown either way."""


def _led_assembly(curves: Curves, params: Params) -> dict[str, float]:
    samples = curves["samples"]
    return {
        name: steady_state_stats(samples[name]).mean
        for name in ("voltage_v", "current_a", "power_w", "illuminance_lx")
        if name in samples
    }


def _lighting_environment(curves: Curves, params: Params) -> dict[str, float]:
    """Each scene's grid (curve ``scene_<name>``): ``<name>_mean_lx``, ``_u0``, ``_min_lx``
    (EN 12464-1 statistics, negative readings clipped to zero as the station does)."""
    out: dict[str, float] = {}
    for name, columns in curves.items():
        if not name.startswith("scene_") or "illuminance_lx" not in columns:
            continue
        scene = name[len("scene_") :]
        grid = illuminance_grid_stats([max(0.0, v) for v in columns["illuminance_lx"]])
        out[f"{scene}_mean_lx"] = grid.mean_lx
        out[f"{scene}_u0"] = grid.u0
        out[f"{scene}_min_lx"] = grid.min_lx
    return out


POWER_BANK_DEFAULTS: Final = {
    "rated_output_voltage_v": 5.0,
    "cell_capacity_mah": 5000.0,
    "cell_voltage_v": 3.7,
    "cutoff_v": 4.0,
}


def _power_bank(curves: Curves, params: Params) -> dict[str, float]:
    p = {**POWER_BANK_DEFAULTS, **params}
    d = curves["discharge"]
    # energy delivered at the output down to the cut-off, as the station integrates it
    energy_wh = Log(d["t_s"], d["current_a"], d["voltage_v"]).integrate(cutoff_v=p["cutoff_v"])
    wh = energy_wh.energy_wh
    efficiency = powerbank.conversion_efficiency(wh, p["cell_capacity_mah"], p["cell_voltage_v"])
    return {
        "output_energy_wh": wh,
        "capacity_mah": powerbank.mah_at_voltage(wh, p["rated_output_voltage_v"]),
        "efficiency_pct": 100.0 * efficiency,
    }


ANALYSES: Final[dict[str, Analysis]] = {
    "led_assembly": _led_assembly,
    "lighting_environment": _lighting_environment,
    "power_bank": _power_bank,
}


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > RELATIVE_TOLERANCE * max(abs(a), abs(b), 1e-12)


def task_parameters(tasks_dir: Path | None, task_id: str) -> dict[str, float]:
    """The ``[parameters]`` of the task file in ``tasks_dir`` whose ``[task] id`` is
    ``task_id`` ({} when there is none)."""
    if tasks_dir is None or not tasks_dir.is_dir():
        return {}
    for path in sorted(tasks_dir.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        task = raw.get("task")
        if isinstance(task, dict) and task.get("id") == task_id:
            params = raw.get("parameters", {})
            return {
                k: float(v)
                for k, v in (params.items() if isinstance(params, dict) else ())
                if isinstance(v, int | float) and not isinstance(v, bool)
            }
    return {}


def recompute(
    store: Store, station: str, run_id: str, tasks_dir: Path | None = None
) -> dict[str, Any]:
    """Recompute every measurement of ``run_id`` of ``station`` from its stored curves."""
    run = store.get_run(station, run_id)
    if run is None:
        raise CompetitionError(f"station {station!r} has no run {run_id!r}")
    payload = run["payload"]
    names = {m.get("curve") for m in payload.get("measurements", []) if m.get("curve")}
    curves = {name: store.curve(station, run_id, name) for name in sorted(names)}
    curves = {k: v for k, v in curves.items() if v}
    analysis = ANALYSES.get(run["procedure"])
    computed: dict[str, float] = {}
    error = ""
    if analysis is not None and curves:
        try:
            computed = analysis(curves, task_parameters(tasks_dir, run["task"]))
        except (AnalysisError, KeyError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    rows = []
    for m in payload.get("measurements", []):
        name, stored, curve = m["name"], m.get("value"), m.get("curve")
        row: dict[str, Any] = {
            "name": name,
            "unit": m.get("unit", ""),
            "curve": curve,
            "stored": stored,
            "recomputed": None,
            "delta": None,
            "method": None,
            "status": "",
            "detail": "",
        }
        if not curve or curve not in curves:
            row["status"] = "no_curve"
            row["detail"] = "no raw curve stored for this measurement"
        elif name in computed:
            row["recomputed"], row["method"] = computed[name], run["procedure"]
        elif name in curves[curve] and curves[curve][name]:
            row["recomputed"] = steady_state_stats(curves[curve][name]).mean
            row["method"] = "column-mean"
        else:
            row["status"] = "error" if error else "no_analysis"
            row["detail"] = error or f"no analysis of {name!r} for procedure {run['procedure']}"
        new = row["recomputed"]
        if new is not None and not math.isfinite(new):
            row["recomputed"], row["status"], row["detail"] = None, "error", "not finite"
        elif new is not None:
            if stored is None:
                row["status"] = "differs"
                row["detail"] = "the station stored no value"
            else:
                row["delta"] = new - stored
                row["status"] = "differs" if _differs(new, stored) else "same"
        rows.append(row)
    return {
        "station": station,
        "run_id": run_id,
        "task": run["task"],
        "procedure": run["procedure"],
        "outcome": run["outcome"],
        "marked": run["marked"],
        "curves": {k: len(next(iter(v.values()), [])) for k, v in curves.items()},
        "measurements": rows,
        "differs": any(r["status"] == "differs" for r in rows),
    }


def appeal(
    comp: Competition, event_id: str, station: str, run_id: str, tasks_dir: Path | None = None
) -> dict[str, Any]:
    """:func:`recompute`, plus each mark of the run's module under the current scheme with
    the stored and with the recomputed values, and whether the run is the counted one."""
    report = recompute(comp.store, station, run_id, tasks_dir)
    ev = comp.event(event_id)
    sv = comp.version(ev.scheme_id)
    values = {r["name"]: r for r in report["measurements"]}
    marks = []
    counted = False
    competitor = None
    for module in ev.modules_of_task(report["task"]):
        competitor = ev.stations_of(module.id).get(station)
        if competitor is not None:
            att = comp.evaluate(event_id, [competitor], [module.id]).attempts[
                (module.id, competitor)
            ]
            counted = att.counted_run == run_id
        for a in sv.scheme.aspects_of(module.id):
            if a.type != "M" or a.measurement is None:
                continue
            got = values.get(a.measurement)
            stored = mark_measurement(a, got["stored"] if got else None)
            new_value = got["recomputed"] if got and got["recomputed"] is not None else None
            again = mark_measurement(a, new_value) if new_value is not None else stored
            marks.append(
                {
                    "aspect": a.id,
                    "measurement": a.measurement,
                    "stored_mark": stored.mark,
                    "recomputed_mark": again.mark,
                    "max_mark": a.max_mark,
                    "changes": abs(stored.mark - again.mark) > 1e-9,
                }
            )
    report.update(
        {
            "event": event_id,
            "competitor": competitor,
            "scheme_version": sv.version,
            "counted": counted,
            "marks": marks,
            "marks_change": any(m["changes"] for m in marks),
        }
    )
    return report
