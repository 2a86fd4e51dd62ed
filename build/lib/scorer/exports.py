"""Exports of the marks: CSV and JSON per aspect, a CIS-style mark sheet per competitor,
standardisation to the WorldSkills scale, and a recruiter's skill record of one contestant.

The WorldSkills scale: CIS standardises each skill's results so that the median competitor is
at 700 points and the others typically fall between 600 and 800. CIS's exact statistics are
not published; :func:`standardise` maps a raw total ``x`` to
``700 + points_per_sd * (x - median) / sd`` (``sd`` the population standard deviation of the
totals, 100 points per standard deviation by default), which puts the median at 700 and about
two thirds of a normal field within 600..800. With fewer than two distinct totals everyone is
at 700.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from typing import Any, Final

from .competition import Competition
from .marking import MARK_DECIMALS

MARK_COLUMNS: Final = (
    "event",
    "scheme",
    "scheme_version",
    "competitor",
    "competitor_name",
    "member",
    "criterion",
    "sub_criterion",
    "aspect",
    "type",
    "description",
    "module",
    "day",
    "standard",
    "max_mark",
    "mark",
    "status",
    "detail",
)
WS_MEDIAN: Final = 700.0
WS_POINTS_PER_SD: Final = 100.0


def marks_csv(comp: Competition, event_id: str, version: int | None = None) -> str:
    """Every competitor's mark for every aspect, one CSV row each."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MARK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in comp.marks(event_id, version):
        writer.writerow({k: row[k] for k in MARK_COLUMNS})
    return out.getvalue()


def marks_json(comp: Competition, event_id: str, version: int | None = None) -> dict[str, Any]:
    """Marks per competitor and aspect, with totals, as one JSON document."""
    rows = comp.marks(event_id, version)
    totals = comp.totals(event_id, version)
    ev = comp.event(event_id)
    sv = comp.version(ev.scheme_id, version)
    competitors = []
    for c in ev.competitors:
        t = totals.get(c.id, {"total": 0.0, "max": sv.scheme.max_total, "criteria": {}})
        competitors.append(
            {
                "id": c.id,
                "name": c.name,
                "member": c.member,
                "total": t["total"],
                "criteria": t["criteria"],
                "aspects": [
                    {
                        k: r[k]
                        for k in (
                            "aspect",
                            "criterion",
                            "sub_criterion",
                            "type",
                            "max_mark",
                            "mark",
                            "status",
                            "detail",
                        )
                    }
                    for r in rows
                    if r["competitor"] == c.id
                ],
            }
        )
    return {
        "event": event_id,
        "event_name": ev.name,
        "scheme": sv.scheme.id,
        "scheme_version": sv.version,
        "scheme_digest": sv.digest,
        "max_total": sv.scheme.max_total,
        "exported_at": time.time(),
        "competitors": competitors,
    }


def mark_sheet(
    comp: Competition, event_id: str, competitor: str, version: int | None = None
) -> str:
    """A CIS-style mark sheet for one competitor: one row per aspect (sub-criterion, aspect,
    type M/J, description, the judges' scores or the measured value, max and awarded mark, WSSS
    section, day), a subtotal per sub-criterion and the total."""
    ev = comp.event(event_id)
    person = ev.competitor(competitor)
    sv = comp.version(ev.scheme_id, version)
    rows = {r["aspect"]: r for r in comp.marks(event_id, version) if r["competitor"] == competitor}
    evaluation = comp.evaluate(event_id, [competitor], version=sv)
    judges = {a.id: list(evaluation.marks[(competitor, a.id)][0].scores) for a in sv.scheme.aspects}
    values = {a.id: evaluation.marks[(competitor, a.id)][0].value for a in sv.scheme.aspects}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Mark sheet", ev.name, f"scheme {sv.scheme.id} v{sv.version}"])
    w.writerow(["Competitor", person.id, person.name, person.member])
    w.writerow([])
    w.writerow(
        [
            "Sub Criterion ID",
            "Sub Criterion",
            "Aspect ID",
            "Aspect Type M = Meas J = Judg",
            "Aspect Description",
            "Judge Score 1",
            "Judge Score 2",
            "Judge Score 3",
            "Measured",
            "Max Mark",
            "Awarded Mark",
            "Status",
            "WSSS Section",
            "Day of Marking",
        ]
    )
    subs = {s.id: s for s in sv.scheme.sub_criteria}
    total = 0.0
    for sub in sv.scheme.sub_criteria:
        subtotal = 0.0
        sub_max = 0.0
        for a in (x for x in sv.scheme.aspects if x.sub_criterion == sub.id):
            r = rows[a.id]
            given: list[str | float] = list(judges[a.id]) if a.type == "J" else []
            scores = (given + ["", "", ""])[:3]
            value = values[a.id]
            w.writerow(
                [
                    sub.id,
                    subs[sub.id].name,
                    a.id,
                    a.type,
                    a.description,
                    *(_num(s) for s in scores),
                    "" if value is None or a.type == "J" else f"{value:g}",
                    _num(a.max_mark),
                    _num(r["mark"]),
                    r["status"],
                    a.standard,
                    a.day,
                ]
            )
            subtotal += r["mark"]
            sub_max += a.max_mark
        total += subtotal
        w.writerow(_sum_row(sub.id, f"Subtotal {sub.name}", sub_max, subtotal))
    w.writerow(_sum_row("", "Total", sv.scheme.max_total, total))
    return out.getvalue()


def _sum_row(sub_id: str, label: str, max_mark: float, mark: float) -> list[str]:
    """A subtotal or total line of the mark sheet: the sums under Max Mark and Awarded Mark."""
    return [sub_id, label, *[""] * 7, _num(max_mark), _num(mark), "", "", ""]


def _num(x: Any) -> str:
    if isinstance(x, str):
        return x
    return f"{round(float(x), MARK_DECIMALS):g}"


def standardise(
    totals: dict[str, float],
    median_at: float = WS_MEDIAN,
    points_per_sd: float = WS_POINTS_PER_SD,
) -> dict[str, float]:
    """Raw totals -> WorldSkills-scale scores (the median at ``median_at``), 0 decimals."""
    if not totals:
        return {}
    values = list(totals.values())
    median = statistics.median(values)
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    if sd < 1e-12:
        return {k: round(median_at) * 1.0 for k in totals}
    return {
        k: float(round(median_at + points_per_sd * (v - median) / sd)) for k, v in totals.items()
    }


def standardised(
    comp: Competition, event_id: str, version: int | None = None
) -> list[dict[str, Any]]:
    """Competitors ranked by raw total, each with the WorldSkills-scale score."""
    totals = comp.totals(event_id, version)
    raw = {c: t["total"] for c, t in totals.items()}
    ws = standardise(raw)
    ev = comp.event(event_id)
    names = {c.id: c for c in ev.competitors}
    ranked = sorted(raw, key=lambda c: (-raw[c], c))
    out = []
    for c in ranked:
        rank = 1 + sum(1 for other in raw.values() if other > raw[c] + 1e-9)
        out.append(
            {
                "competitor": c,
                "name": names[c].name,
                "member": names[c].member,
                "raw": raw[c],
                "max": totals[c]["max"],
                "ws_score": ws[c],
                "rank": rank,
            }
        )
    return out


def skill_record(
    comp: Competition, event_id: str, competitor: str, version: int | None = None
) -> dict[str, Any]:
    """A contestant's skill record for a recruiter: the event, each criterion and module as
    marks and a share of the maximum, the WorldSkills-scale score and rank, and what was
    measured on the counted runs. No tolerance bands and no judges' names."""
    ev = comp.event(event_id)
    person = ev.competitor(competitor)
    sv = comp.version(ev.scheme_id, version)
    rows = [r for r in comp.marks(event_id, version) if r["competitor"] == competitor]
    ranking = {r["competitor"]: r for r in standardised(comp, event_id, version)}
    evaluation = comp.evaluate(event_id, [competitor], version=sv)
    criteria = []
    for c in sv.scheme.criteria:
        mine = [r for r in rows if r["criterion"] == c.id]
        got = sum(r["mark"] for r in mine)
        top = sum(r["max_mark"] for r in mine)
        criteria.append(
            {
                "criterion": c.id,
                "name": c.name,
                "marks": round(got, MARK_DECIMALS),
                "max": round(top, MARK_DECIMALS),
                "percent": round(100.0 * got / top, 1) if top else 0.0,
            }
        )
    modules = []
    for m in ev.modules:
        att = evaluation.attempts.get((m.id, competitor))
        measured = []
        if att is not None and att.counted_run is not None and att.station is not None:
            run = comp.store.get_run(att.station, att.counted_run)
            if run is not None:
                bound = {a.measurement for a in sv.scheme.aspects_of(m.id) if a.measurement}
                measured = [
                    {"name": x["name"], "value": x["value"], "unit": x["unit"]}
                    for x in run["measurements"]
                    if x["name"] in bound
                ]
        mine = [r for r in rows if r["module"] == m.id]
        modules.append(
            {
                "module": m.id,
                "name": m.name,
                "day": m.day,
                "marks": round(sum(r["mark"] for r in mine), MARK_DECIMALS),
                "max": round(sum(r["max_mark"] for r in mine), MARK_DECIMALS),
                "attempts_used": len(att.attempts) if att else 0,
                "measured": measured,
            }
        )
    mine_rank = ranking.get(competitor, {})
    return {
        "kind": "benchscore skill record",
        "event": event_id,
        "event_name": ev.name,
        "competitor": {"id": person.id, "name": person.name, "member": person.member},
        "scheme": {"id": sv.scheme.id, "version": sv.version, "digest": sv.digest},
        "total": round(sum(r["mark"] for r in rows), MARK_DECIMALS),
        "max_total": sv.scheme.max_total,
        "ws_score": mine_rank.get("ws_score"),
        "rank": mine_rank.get("rank"),
        "of": len(ev.competitors),
        "criteria": criteria,
        "modules": modules,
        "issued_at": time.time(),
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, allow_nan=False) + "\n"
