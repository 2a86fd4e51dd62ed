"""The stored marks as the console, the exports and the board read them: per competitor and
aspect with the chief expert's overrides applied, totals, the change log, and what is still
open per module."""

from __future__ import annotations

from typing import Any

from ..accounts import audit
from ..accounts.db import ConsoleDB
from ..marking import round_mark
from .overrides import Overrides, override_detail, read_overrides


class MarkSheets(Overrides):
    """Reading the stored marks (a part of ``Competition``)."""

    def audit_head(self) -> audit.AuditHead:
        """The console audit chain's head now (rows, hash): every export and sheet carries it."""
        return audit.head(ConsoleDB(self.db))

    def marks(self, event_id: str, version: int | None = None) -> list[dict[str, Any]]:
        """Stored marks of a scheme version (the latest by default), one row per competitor
        and aspect, in scheme order, with the aspect's place in the scheme.

        An override (:mod:`.overrides`) replaces the mark: ``status`` is ``override``,
        ``detail`` says who and why, ``override`` holds it (else ``None``) and ``computed``
        is always the computed mark."""
        ev = self.event(event_id)
        sv = self.version(ev.scheme_id, version)
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT competitor, aspect, mark, max_mark, status, detail, run, computed_at "
                "FROM marks WHERE scheme_version = ? AND event = ?",
                (sv.pk, event_id),
            )
            overrides = read_overrides(tx, event_id)
        stored = {(r["competitor"], r["aspect"]): r for r in rows}
        out = []
        for comp in ev.competitors:
            for a in sv.scheme.aspects:
                r = stored.get((comp.id, a.id))
                mark = r["mark"] if r else 0.0
                status = r["status"] if r else "unmarked"
                detail = r["detail"] if r else ""
                ov = overrides.get((comp.id, a.id))
                row: dict[str, Any] = {
                    "event": event_id,
                    "scheme": sv.scheme.id,
                    "scheme_version": sv.version,
                    "competitor": comp.id,
                    "competitor_name": comp.name,
                    "member": comp.member,
                    "criterion": a.criterion,
                    "sub_criterion": a.sub_criterion,
                    "aspect": a.id,
                    "type": a.type,
                    "description": a.description,
                    "module": a.module,
                    "day": a.day,
                    "standard": a.standard,
                    "max_mark": a.max_mark,
                    "mark": mark,
                    "status": status,
                    "detail": detail,
                    "computed": mark,
                    "override": ov,
                }
                if ov is not None:
                    row["mark"] = float(ov["mark"])
                    row["status"] = "override"
                    row["detail"] = override_detail(ov, mark, status)
                out.append(row)
        return out

    def totals(self, event_id: str, version: int | None = None) -> dict[str, dict[str, Any]]:
        """Per competitor: total, per criterion and per module marks (latest version)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.marks(event_id, version):
            t = out.setdefault(
                row["competitor"],
                {"total": 0.0, "max": 0.0, "criteria": {}, "modules": {}, "open": 0},
            )
            t["total"] = round_mark(t["total"] + row["mark"])
            t["max"] = round_mark(t["max"] + row["max_mark"])
            c = t["criteria"].setdefault(row["criterion"], 0.0)
            t["criteria"][row["criterion"]] = round_mark(c + row["mark"])
            m = t["modules"].setdefault(row["module"], 0.0)
            t["modules"][row["module"]] = round_mark(m + row["mark"])
            if row["status"] in ("pending", "spread", "unmarked"):
                t["open"] += 1
        return out

    def mark_changes(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT c.scheme_version, v.version, c.competitor, c.aspect, c.old_mark, "
                "c.new_mark, c.reason, c.at FROM mark_changes c "
                "JOIN scheme_versions v ON v.id = c.scheme_version WHERE c.event = ? "
                "ORDER BY c.id",
                (event_id,),
            )

    def completion(self, event_id: str) -> list[dict[str, Any]]:
        """Per module and competitor: runs used, the counted run, and what is still open."""
        ev = self.event(event_id)
        result = self.evaluate(event_id)
        scheme = self.version(ev.scheme_id).scheme
        overridden = set(self.overrides(event_id))
        out = []
        for module in ev.modules:
            aspects = scheme.aspects_of(module.id)
            for comp in ev.competitors:
                att = result.attempts[(module.id, comp.id)]
                marks = [result.marks[(comp.id, a.id)][0] for a in aspects]
                measured = [
                    m
                    for a, m in zip(aspects, marks, strict=True)
                    if a.type == "M" and not a.entered
                ]
                judged = [
                    (a, m)
                    for a, m in zip(aspects, marks, strict=True)
                    if a.type == "J" or a.entered
                ]
                done_judged = sum(
                    m.status == "ok" or (comp.id, a.id) in overridden for a, m in judged
                )
                out.append(
                    {
                        "module": module.id,
                        "competitor": comp.id,
                        "station": att.station,
                        "self_checks": att.self_checks,
                        "self_checks_over": (
                            module.self_checks is not None and att.self_checks > module.self_checks
                        ),
                        "marked_runs": att.marked,
                        "attempts_used": len(att.attempts),
                        "attempts_left": max(0, module.marked_attempts - len(att.attempts)),
                        "excess_runs": att.excess,
                        "counted_run": att.counted_run,
                        "measured": bool(measured) and att.counted_run is not None,
                        "judged": f"{done_judged}/{len(judged)}",
                        "complete": (not measured or att.counted_run is not None)
                        and done_judged == len(judged),
                    }
                )
        return out
