"""Appeals: recompute a run's measurements from its stored raw curves with the analysis code of
this scorer, and show what differs: each measurement (stored by the station, recomputed here)
and each mark it feeds under the current marking scheme.

The re-analysis is the procedure plugin's own (``reanalyse`` of its
:class:`~benchscore.plugins.ProcedurePlugin`, found through the entry-point group
``benchscore.procedures``); it gets the run's curves, the task's parameters (the task file of
``tasks_dir`` whose ``[task] id`` matches, over the plugin's defaults), the task file itself and
the stored measurements. Each measurement row says how it came out:

- ``same``: recomputed within :data:`RELATIVE_TOLERANCE` of the stored value;
- ``within_u``: differs by more, but by no more than the measurement's expanded uncertainty
  ``u`` (k = 2) when the record carries one;
- ``differs``: beyond both (or the station stored no value and the re-analysis finds one);
- ``no_value``: the station measured nothing (a fail with a reason) and neither does the
  re-analysis;
- ``no_curve``, ``not_reanalysed``, ``no_analysis``, ``error``: not recomputed, and ``detail``
  says why (the curve is not stored; the plugin's reason; the plugin does not produce it; the
  re-analysis failed). Nothing is guessed.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from benchscore.plugins import AppealInput, Reanalysis, registry

from .competition import Competition, CompetitionError
from .marking import mark_measurement
from .store import Store

RELATIVE_TOLERANCE: Final = 1e-5
"""Values within 10 ppm are the ``same``: stations send curve samples rounded to 7 significant
digits, so a value recomputed from the curve differs from the station's (computed from the
unrounded samples) by well under this; the delta is shown either way."""
ABSOLUTE_TOLERANCE: Final = 1e-9
"""Values this close are the ``same`` whatever their size (a Duv or a share near zero)."""


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(RELATIVE_TOLERANCE * max(abs(a), abs(b)), ABSOLUTE_TOLERANCE)


def _task_file(tasks_dir: Path | None, task_id: str) -> dict[str, Any]:
    """The parsed task file in ``tasks_dir`` whose ``[task] id`` is ``task_id`` ({} if none)."""
    if tasks_dir is None or not tasks_dir.is_dir():
        return {}
    for path in sorted(tasks_dir.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        task = raw.get("task")
        if isinstance(task, dict) and task.get("id") == task_id:
            return raw
    return {}


def task_parameters(tasks_dir: Path | None, task_id: str) -> dict[str, float]:
    """The ``[parameters]`` of the task file in ``tasks_dir`` whose ``[task] id`` is
    ``task_id`` ({} when there is none)."""
    return _parameters(_task_file(tasks_dir, task_id))


def _parameters(task: Mapping[str, Any]) -> dict[str, float]:
    params = task.get("parameters", {})
    return {
        k: float(v)
        for k, v in (params.items() if isinstance(params, dict) else ())
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _reanalyse(
    procedure: str,
    curves: Mapping[str, Mapping[str, list[float]]],
    task: dict[str, Any],
    measurements: dict[str, dict[str, Any]],
    params: dict[str, float],
) -> tuple[Reanalysis, str]:
    """The plugin's re-analysis, or (nothing, why) if it is not installed or raised."""
    try:
        plugin = registry.get(procedure)
    except registry.UnknownProcedure as exc:
        return Reanalysis(), f"{exc} (on this scorer)"
    inp = AppealInput(curves, {**plugin.parameters, **params}, task, measurements)
    try:
        return plugin.reanalyse(inp), ""
    except Exception as exc:  # noqa: BLE001 - a plugin's bug must not hide the other rows
        return Reanalysis(), f"the {procedure} re-analysis failed: {type(exc).__name__}: {exc}"


def _row(
    m: Mapping[str, Any], result: Reanalysis, error: str, stored_curves: set[str], procedure: str
) -> dict[str, Any]:
    name, stored, curve = m["name"], m.get("value"), m.get("curve")
    u = m.get("u")
    row: dict[str, Any] = {
        "name": name,
        "unit": m.get("unit", ""),
        "curve": curve,
        "stored": stored,
        "u": u,
        "recomputed": None,
        "delta": None,
        "method": None,
        "status": "",
        "detail": "",
    }
    new = result.values.get(name)
    if new is not None and not math.isfinite(new):
        row["status"], row["detail"] = "error", "the re-analysis gave a value that is not finite"
        return row
    if new is None:
        if error:
            row["status"], row["detail"] = "error", error
        elif stored is None and name in result.unavailable:
            row["status"] = "no_value"
            row["detail"] = f"the station measured nothing ({m.get('reason') or 'no reason'})"
        elif not curve or curve not in stored_curves:
            row["status"], row["detail"] = "no_curve", "no raw curve stored for this measurement"
        elif name in result.unavailable:
            row["status"], row["detail"] = "not_reanalysed", result.unavailable[name]
        else:
            row["status"] = "no_analysis"
            row["detail"] = f"the {procedure} re-analysis does not produce {name!r}"
        return row
    row["recomputed"], row["method"] = new, procedure
    if stored is None:
        row["status"], row["detail"] = "differs", "the station stored no value"
        return row
    row["delta"] = new - stored
    if _same(new, stored):
        row["status"] = "same"
    elif isinstance(u, int | float) and abs(new - stored) <= u:
        row["status"] = "within_u"
    else:
        row["status"] = "differs"
    return row


def recompute(
    store: Store, station: str, run_id: str, tasks_dir: Path | None = None
) -> dict[str, Any]:
    """Recompute every measurement of ``run_id`` of ``station`` from its stored curves with
    the procedure plugin's re-analysis; rows say which could not be recomputed and why."""
    run = store.get_run(station, run_id)
    if run is None:
        raise CompetitionError(f"station {station!r} has no run {run_id!r}")
    payload = run["payload"]
    procedure = run["procedure"]
    measurements = {m["name"]: dict(m) for m in payload.get("measurements", [])}
    names = {str(m["curve"]) for m in measurements.values() if m.get("curve")}
    try:
        whole_run = registry.get(procedure).whole_run
    except registry.UnknownProcedure:
        whole_run = False
    if whole_run:
        names |= {n for n in store.curve_names(station, run_id) if not n.startswith("image_")}
    curves = {name: store.curve(station, run_id, name) for name in sorted(names)}
    curves = {k: v for k, v in curves.items() if v}
    task = _task_file(tasks_dir, run["task"])
    result, error = _reanalyse(procedure, curves, task, measurements, _parameters(task))
    rows = [_row(m, result, error, set(curves), procedure) for m in measurements.values()]
    return {
        "station": station,
        "run_id": run_id,
        "task": run["task"],
        "procedure": procedure,
        "outcome": run["outcome"],
        "marked": run["marked"],
        "curves": {k: len(next(iter(v.values()), [])) for k, v in curves.items()},
        "measurements": rows,
        "differs": any(r["status"] == "differs" for r in rows),
        "not_reanalysed": [
            {"name": r["name"], "status": r["status"], "why": r["detail"]}
            for r in rows
            if r["recomputed"] is None and r["status"] != "no_value"
        ],
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
