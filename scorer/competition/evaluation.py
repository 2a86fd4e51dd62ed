"""Marks from the stored runs and judgements under one scheme version, and storing them with a
log of every change (old, new, why)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..db import Tx
from ..marking import (
    Aspect,
    AspectMark,
    Scheme,
    mark_entered,
    mark_judgement,
    mark_measurement,
)
from ..store import Store
from .attempts import Attempts, RunValues, choose_counted, count_attempts, run_values, value_of
from .base import read_clocks
from .model import EventDef


@dataclass
class Evaluation:
    """Marks of an event's competitors under one scheme version, and how runs counted."""

    marks: dict[tuple[str, str], tuple[AspectMark, int | None]]
    """(competitor, aspect) -> (mark, run pk or None)."""
    attempts: dict[tuple[str, str], Attempts]
    """(module, competitor) -> attempts."""


def evaluate(
    tx: Tx,
    ev: EventDef,
    scheme: Scheme,
    competitors: Iterable[str] | None,
    modules: Iterable[str] | None,
    values: RunValues | None = None,
) -> Evaluation:
    """The marks of ``competitors`` (default: all) in ``modules`` (default: all) under
    ``scheme``, from what ``tx`` reads; ``values`` replaces stored measurement values."""
    comps = [c.id for c in ev.competitors]
    if competitors is not None:
        wanted = set(competitors)
        comps = [c for c in comps if c in wanted]
    mods = [m for m in ev.modules if modules is None or m.id in set(modules)]
    clocks = {c.module: c for c in read_clocks(tx, ev.id)}
    scores = judge_scores(tx, ev.id, comps)
    out = Evaluation({}, {})
    for module in mods:
        aspects = scheme.aspects_of(module.id)
        assign = ev.stations_of(module.id)
        by_comp: dict[str, list[dict[str, Any]]] = {c: [] for c in comps}
        stations = [s for s, c in assign.items() if c in by_comp]
        for run in Store.runs_of_task_in(tx, ev.id, module.task, stations):
            by_comp[assign[run["station"]]].append(run)
        for comp in comps:
            runs = sorted(by_comp[comp], key=lambda r: (r["started_at"], r["id"]))
            att = count_attempts(module, comp, ev.station_of(module.id, comp), runs, clocks)
            counted = choose_counted(module, aspects, att, runs, values)
            att.counted_run = counted["run_id"] if counted else None
            att.counted_pk = counted["id"] if counted else None
            out.attempts[(module.id, comp)] = att
            measured = run_values(counted, values)
            for aspect in aspects:
                mark = mark_aspect(aspect, att, counted, measured, scores.get((comp, aspect.id)))
                out.marks[(comp, aspect.id)] = (mark, counted["id"] if counted else None)
    return out


def mark_aspect(
    aspect: Aspect,
    att: Attempts,
    counted: dict[str, Any] | None,
    measured: dict[str, float | None],
    scores: dict[str, float] | None,
) -> AspectMark:
    """One aspect's mark: from the judges' ``scores``, the entered mark, or the counted run."""
    if aspect.type == "J":
        return mark_judgement(aspect, list((scores or {}).values()))
    if aspect.entered:
        latest = list((scores or {}).values())
        return mark_entered(aspect, latest[-1] if latest else None)
    if att.station is None:
        return AspectMark(aspect.id, 0.0, aspect.max_mark, "no_station", "no station assigned")
    if counted is None:
        return mark_measurement(aspect, None, has_run=False)
    u = next(
        (m.get("u") for m in counted.get("measurements", ()) if m["name"] == aspect.measurement),
        None,
    )
    mark = mark_measurement(aspect, value_of(measured, aspect.measurement), u=u)
    n = att.attempts.index(counted["run_id"]) + 1
    return dataclasses.replace(
        mark,
        detail=f"{mark.detail}; run {counted['run_id']} (attempt {n} of {len(att.attempts)})",
    )


def judge_scores(
    tx: Tx, event_id: str, comps: list[str]
) -> dict[tuple[str, str], dict[str, float]]:
    """(competitor, aspect) -> judge -> latest score, in the order judges entered them."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    if not comps:
        return out
    rows = tx.all(
        "SELECT competitor, aspect, judge, score FROM judgements WHERE event = ? "
        f"AND competitor IN {tx.in_list(len(comps))} ORDER BY id",
        [event_id, *comps],
    )
    for r in rows:
        judges = out.setdefault((r["competitor"], r["aspect"]), {})
        judges.pop(r["judge"], None)  # a re-score moves the judge to the end
        judges[r["judge"]] = float(r["score"])
    return out


def store_marks(tx: Tx, event_id: str, version_pk: int, result: Evaluation, reason: str) -> int:
    """Store the marks of ``result`` that changed under scheme version ``version_pk``; log each
    changed mark with ``reason``. Returns how many marks changed."""
    if not result.marks:
        return 0
    comps = sorted({c for c, _ in result.marks})
    old = {
        (r["competitor"], r["aspect"]): r
        for r in tx.all(
            "SELECT competitor, aspect, mark, status, detail FROM marks "
            "WHERE scheme_version = ? AND event = ? "
            f"AND competitor IN {tx.in_list(len(comps))}",
            [version_pk, event_id, *comps],
        )
    }
    now = time.time()
    changed = 0
    for (comp, aspect_id), (mark, run_pk) in sorted(result.marks.items()):
        prev = old.get((comp, aspect_id))
        if (
            prev is not None
            and abs(prev["mark"] - mark.mark) < 1e-9
            and prev["status"] == mark.status
            and prev["detail"] == mark.detail
        ):
            continue
        tx.execute(
            "INSERT INTO marks AS m (scheme_version, event, competitor, aspect, mark, "
            "max_mark, status, detail, run, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scheme_version, event, competitor, aspect) DO UPDATE SET "
            "mark = excluded.mark, max_mark = excluded.max_mark, status = excluded.status, "
            "detail = excluded.detail, run = excluded.run, computed_at = excluded.computed_at",
            (
                version_pk,
                event_id,
                comp,
                aspect_id,
                mark.mark,
                mark.max_mark,
                mark.status,
                mark.detail,
                run_pk,
                now,
            ),
        )
        if prev is None or abs(prev["mark"] - mark.mark) >= 1e-9:
            tx.execute(
                "INSERT INTO mark_changes (scheme_version, event, competitor, aspect, "
                "old_mark, new_mark, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    version_pk,
                    event_id,
                    comp,
                    aspect_id,
                    None if prev is None else prev["mark"],
                    mark.mark,
                    reason[:500],
                    now,
                ),
            )
            changed += 1
    return changed
