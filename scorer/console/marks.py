"""What the console adds to the marking engine (:class:`scorer.competition.Competition`):
the people's decisions, each recorded in the audit log with who, when, old, new and why.

* judgement entry: a judge enters *their own* score (0-3) of a judgement aspect, or a mark of
  an aspect a judge measures by hand; changing an entered score needs a reason;
* overrides: the chief expert replaces an aspect's mark with a reason (or removes it);
* locks: the chief expert locks a module's marks; nothing of a locked module can be entered,
  changed or overridden, and a contestant sees their limits and marks only once it is locked;
* the module clock (start, freeze, resume, stop, time limit) through the engine, audited;
* views of the marks for the judges, the public board and the contestant.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Final

from ..accounts import audit
from ..accounts.db import ConsoleDB
from ..competition import Competition, CompetitionError, EventDef, ModuleClock
from ..marking import Aspect

GENERIC_DESCRIPTORS: Final = ("judge.desc0", "judge.desc1", "judge.desc2", "judge.desc3")
"""Score levels of a judgement aspect whose scheme gives no descriptors of its own."""


def plain(x: float) -> float:
    """2.0 as 2 (an int is a float to the type checker), so the audit log reads naturally."""
    f = float(x)
    return int(f) if f.is_integer() else f


class ConsoleError(ValueError):
    """A request the competition's state does not allow; ``status`` is the HTTP answer.
    ``code`` and ``params`` let the page say it in the reader's language (``error.<code>`` in
    the catalogues); the message is the English text."""

    def __init__(
        self, message: str, status: int = 409, code: str | None = None, **params: object
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.params = params


def current_event(comp: Competition, wanted: str | None = None) -> str | None:
    """The event the console shows: ``wanted`` if loaded, else the first loaded one."""
    events = comp.events()
    if wanted is not None and wanted in events:
        return wanted
    return events[0] if events else None


def event_or_error(comp: Competition, wanted: str | None = None) -> EventDef:
    ev_id = current_event(comp, wanted)
    if ev_id is None:
        raise ConsoleError(
            "no event is loaded (scorer config: [competition] event_file)", 404, "no_event"
        )
    return comp.event(ev_id)


def scheme_aspects(comp: Competition, ev: EventDef) -> list[Aspect]:
    return list(comp.version(ev.scheme_id).scheme.aspects)


def aspect_of(comp: Competition, ev: EventDef, aspect_id: str) -> Aspect:
    for a in scheme_aspects(comp, ev):
        if a.id == aspect_id:
            return a
    raise ConsoleError(f"no aspect {aspect_id!r}", 404)


def descriptors(aspect: Aspect) -> list[str] | None:
    """The scheme's own score descriptors of a judgement aspect, if it has them."""
    got = getattr(aspect, "descriptors", None)
    if isinstance(got, list | tuple) and len(got) == 4:
        return [str(d) for d in got]
    return None


# -- locks ----------------------------------------------------------------------------------
def locks(db: ConsoleDB, event: str) -> dict[str, bool]:
    rows = db.all("SELECT module, locked FROM console_locks WHERE event = ?", (event,))
    return {r["module"]: bool(r["locked"]) for r in rows}


def set_lock(
    db: ConsoleDB, actor: str, ev: EventDef, module: str, locked: bool, reason: str
) -> dict[str, Any]:
    ev.module(module)
    if not locked and not reason.strip():
        raise ConsoleError("unlocking marks needs a reason", 400, "unlock_reason")
    with db.tx() as tx:
        row = tx.one(
            "SELECT locked FROM console_locks WHERE event = ? AND module = ?", (ev.id, module)
        )
        old = bool(row["locked"]) if row else False
        if old == locked:
            raise ConsoleError(
                f"module {module} is {'locked' if locked else 'open'} already",
                code="already_locked" if locked else "already_open",
                module=module,
            )
        tx.execute(
            "INSERT INTO console_locks (event, module, locked, changed_by, changed_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event, module) DO UPDATE SET "
            "locked = excluded.locked, changed_by = excluded.changed_by, "
            "changed_at = excluded.changed_at",
            (ev.id, module, int(locked), actor, time.time()),
        )
        audit.append(
            db,
            actor,
            "marks.lock" if locked else "marks.unlock",
            f"{ev.id}/{module}",
            {"locked": old},
            {"locked": locked},
            reason.strip(),
            conn=tx,
        )
    return {"module": module, "locked": locked}


def _check_open(db: ConsoleDB, event: str, module: str) -> None:
    if locks(db, event).get(module, False):
        raise ConsoleError(f"the marks of module {module} are locked", code="locked", module=module)


# -- judgement entry ------------------------------------------------------------------------
def latest_scores(comp: Competition, event: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(competitor, aspect) -> judge -> their latest entry (score, note, entered_at)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for j in comp.judgements(event):  # oldest first: later entries replace earlier ones
        out.setdefault((j["competitor"], j["aspect"]), {})[j["judge"]] = {
            "score": j["score"],
            "note": j["note"],
            "entered_at": j["entered_at"],
        }
    return out


def enter_score(
    comp: Competition,
    db: ConsoleDB,
    actor: str,
    ev: EventDef,
    competitor: str,
    aspect_id: str,
    score: float,
    reason: str = "",
) -> dict[str, Any]:
    """``actor`` (a judge) enters their score of ``aspect_id`` for ``competitor``."""
    ev.competitor(competitor)
    aspect = aspect_of(comp, ev, aspect_id)
    if aspect.type == "M" and not aspect.entered:
        raise ConsoleError(f"{aspect_id} is measured by the stations, not entered", 400)
    _check_open(db, ev.id, aspect.module)
    mine = latest_scores(comp, ev.id).get((competitor, aspect_id), {}).get(actor)
    old = None if mine is None else plain(mine["score"])
    score = plain(score)
    if old is not None and float(old) == float(score):
        return {"changed": False, "score": score}
    if old is not None and not reason.strip():
        raise ConsoleError("changing an entered score needs a reason", 400, "change_reason")
    try:
        scored = comp.check_score(ev.id, competitor, aspect_id, actor, score)
    except CompetitionError as exc:
        raise ConsoleError(str(exc), 400) from None
    with db.tx() as tx:  # the score and its audit entry are one transaction
        comp.record_score(ev.id, competitor, scored, actor, score, reason.strip(), tx=tx)
        audit.append(
            db,
            actor,
            "judgement.enter" if old is None else "judgement.change",
            f"{ev.id}/{competitor}/{aspect_id}",
            old,
            score,
            reason.strip(),
            conn=tx,
        )
    marks = comp.remark_after_score(ev.id, competitor, scored, actor)
    mark = next((m for m in marks if m.aspect == aspect_id), None)
    return {
        "changed": True,
        "score": score,
        "mark": None if mark is None else mark.mark,
        "status": None if mark is None else mark.status,
        "scores": [] if mark is None else list(mark.scores),
    }


# -- overrides ------------------------------------------------------------------------------
def overrides(comp: Competition, event: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The engine's overrides of ``event`` (:meth:`Competition.overrides`)."""
    return comp.overrides(event)


def set_override(
    comp: Competition,
    db: ConsoleDB,
    actor: str,
    ev: EventDef,
    competitor: str,
    aspect_id: str,
    mark: float | None,
    reason: str,
) -> dict[str, Any]:
    """Replace an aspect's mark (``None`` removes the override); a reason is required.
    The override is the engine's (so totals and exports follow it); the audit entry is
    written in the same transaction."""
    ev.competitor(competitor)
    aspect = aspect_of(comp, ev, aspect_id)
    if not reason.strip():
        raise ConsoleError("an override needs a reason", 400, "override_reason")
    if mark is not None and not 0 <= mark <= aspect.max_mark:
        raise ConsoleError(
            f"mark: 0..{aspect.max_mark:g} for {aspect_id}", 400, "mark_range", max=aspect.max_mark
        )
    _check_open(db, ev.id, aspect.module)
    mark = None if mark is None else plain(mark)
    with db.tx() as tx:
        try:
            if mark is None:
                prev = comp.remove_override(
                    ev.id, competitor, aspect_id, reason.strip(), actor, tx=tx
                )
            else:
                prev = comp.set_override(
                    ev.id, competitor, aspect_id, mark, reason.strip(), actor, tx=tx
                )
        except CompetitionError as exc:
            raise ConsoleError(str(exc), 400) from None
        old = None if prev is None else plain(prev)
        audit.append(
            db,
            actor,
            "mark.override" if mark is not None else "mark.override_removed",
            f"{ev.id}/{competitor}/{aspect_id}",
            old,
            mark,
            reason.strip(),
            conn=tx,
        )
    return {"mark": mark}


# -- marks as the console shows them ----------------------------------------------------------
def mark_rows(
    comp: Competition, db: ConsoleDB, ev: EventDef, competitors: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The engine's marks (overrides applied there) with the judges' scores and locks."""
    wanted = None if competitors is None else set(competitors)
    lk = locks(db, ev.id)
    scores = latest_scores(comp, ev.id)
    by_id = {a.id: a for a in scheme_aspects(comp, ev)}
    out = []
    for row in comp.marks(ev.id):
        if wanted is not None and row["competitor"] not in wanted:
            continue
        key = (row["competitor"], row["aspect"])
        aspect = by_id.get(row["aspect"])
        judged = scores.get(key, {})
        r = dict(row)
        r["judges"] = [{"judge": j, **v} for j, v in sorted(judged.items())]
        r["entered"] = bool(aspect is not None and (aspect.type == "J" or aspect.entered))
        r["descriptors"] = descriptors(aspect) if aspect is not None else None
        r["max_spread"] = aspect.max_spread if aspect is not None else 1
        r["locked"] = lk.get(row["module"], False)
        out.append(r)
    return out


def totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = out.setdefault(
            r["competitor"],
            {"total": 0.0, "max": 0.0, "done": 0, "count": 0, "name": r["competitor_name"]},
        )
        t["total"] = round(t["total"] + r["mark"], 2)
        t["max"] = round(t["max"] + r["max_mark"], 2)
        t["count"] += 1
        if r["status"] in ("ok", "override", "no_value"):
            t["done"] += 1
    return out


COUNTED_STATUSES: Final = frozenset({"ok", "override", "no_value"})
"""Marks that count before the lock (provisional): agreed judgements, measured values (a run
without a valid value earns its zero), overrides. Not: ``spread`` (the judges discuss it),
``pending``, ``unmarked``, ``no_run`` (not scored yet, which is not a zero)."""


def public_standing(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the public may see of one competitor's marks: the marks that count.

    A locked module's marks are final. Before the lock a mark counts as provisional only when it
    is settled (:data:`COUNTED_STATUSES`); a judgement the judges are discussing (``spread``)
    and an aspect nobody has scored yet count in neither total, so a score entered into a
    discussion never moves a public total."""
    final = provisional = 0.0
    max_all = 0.0
    scored = discussing = 0
    has_provisional = False
    for r in rows:
        max_all += r["max_mark"]
        if r["locked"]:
            final += r["mark"]
            scored += 1
        elif r["status"] == "spread":
            discussing += 1
        elif r["status"] in COUNTED_STATUSES:
            provisional += r["mark"]
            has_provisional = True
            scored += 1
    return {
        "final": plain(round(final, 2)),
        "total": plain(round(final + provisional, 2)),
        "provisional": has_provisional,
        "max": plain(round(max_all, 2)),
        "scored": scored,
        "count": len(rows),
        "discussing": discussing,
        "progress": scored / len(rows) if rows else 0.0,
    }


def board(comp: Competition, db: ConsoleDB, wanted_event: str | None) -> dict[str, Any]:
    """Ranks and progress for the public: the marks that count (:func:`public_standing`), no
    limits, no measured values, no judges' scores."""
    ev_id = current_event(comp, wanted_event)
    if ev_id is None:
        return {"event": None, "rows": []}
    ev = comp.event(ev_id)
    by_competitor: dict[str, list[dict[str, Any]]] = {}
    for r in mark_rows(comp, db, ev):
        by_competitor.setdefault(r["competitor"], []).append(r)
    rows = []
    for c in ev.competitors:
        rows.append(
            {
                "competitor": c.id,
                "name": c.name,
                "member": c.member,
                **public_standing(by_competitor.get(c.id, [])),
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    rank, last = 0, None
    for i, r in enumerate(rows, start=1):
        if r["total"] != last:
            rank, last = i, r["total"]
        r["rank"] = rank
    lk = locks(db, ev.id)
    return {
        "event": {"id": ev.id, "name": ev.name},
        "modules": [{"name": m.name, "locked": lk.get(m.id, False)} for m in ev.modules],
        "rows": rows,
    }


# -- stations, modules and clocks ---------------------------------------------------------------
def module_for_station(
    ev: EventDef, clocks: dict[str, ModuleClock], station: str
) -> tuple[str | None, str | None]:
    """(module, competitor) a station serves now: a running or frozen module first, then the
    one started last, then the first module that assigns it."""
    mods = [m for m in ev.modules if station in ev.stations_of(m.id)]
    if not mods:
        return None, None

    def rank(m: Any) -> tuple[int, float]:
        c = clocks.get(m.id)
        live = c is not None and c.state in ("running", "frozen")
        return (1 if live else 0, (c.started_at or 0.0) if c else 0.0)

    pick = max(mods, key=rank)
    return pick.id, ev.stations_of(pick.id)[station]


def clock_dict(c: ModuleClock, now: float) -> dict[str, Any]:
    d = c.to_dict(now)
    return d


def clock_action(
    comp: Competition,
    db: ConsoleDB,
    actor: str,
    ev: EventDef,
    module: str,
    action: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """start, freeze, resume, stop, time_limit (``minutes``), measure, self_check; audited."""
    ev.module(module)
    reason = str(body.get("reason") or "").strip()
    before = comp.clock(ev.id, module)
    old = {"state": before.state, "time_limit_s": before.time_limit_s, "end_ts": before.end_ts}
    sent: dict[str, str] = {}
    warning = None
    try:
        if action == "time_limit":
            minutes = body.get("minutes")
            if isinstance(minutes, bool) or not isinstance(minutes, int | float):
                raise ConsoleError('time_limit needs {"minutes": number}', 400)
            if not reason:
                raise ConsoleError("a time limit change needs a reason", 400, "time_limit_reason")
            after = comp.set_time_limit(ev.id, module, float(minutes), actor)
        elif action == "start":
            after = comp.start_module(ev.id, module, actor)
        elif action == "freeze":
            after = comp.freeze(ev.id, module, actor)
        elif action == "resume":
            after = comp.resume(ev.id, module, actor)
        elif action == "stop":
            after = comp.stop_module(ev.id, module, actor)
        elif action in ("measure", "self_check"):
            sent = comp.measure(ev.id, module, marked=action == "measure")
            after = before
        else:
            raise ConsoleError(f"unknown action {action!r}", 404)
    except CompetitionError as exc:
        # the clock may have changed before telling the stations failed (no MQTT link)
        after = comp.clock(ev.id, module)
        if (after.state, after.time_limit_s, after.end_ts) == (
            before.state,
            before.time_limit_s,
            before.end_ts,
        ):
            raise ConsoleError(str(exc)) from None
        warning = str(exc)
    new = {"state": after.state, "time_limit_s": after.time_limit_s, "end_ts": after.end_ts}
    if sent:
        new = {"sent": sorted(sent)}
    audit.append(db, actor, f"module.{action}", f"{ev.id}/{module}", old, new, reason)
    return {
        "clock": clock_dict(comp.clock(ev.id, module), time.time()),
        "sent": sent,
        "warning": warning,
    }
