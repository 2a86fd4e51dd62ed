"""Judging: the mark sheets, judges' scores, and the chief expert's overrides."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from ...accounts.auth import Session
from .. import marks as mk
from ..marks import ConsoleError
from .common import ConsoleApp, view


@view("marks_view")
def api_marks(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    ev = con.event_or_404()
    lk = mk.locks(con.db, ev.id)
    now = time.time()
    return {
        "event": {"id": ev.id, "name": ev.name},
        "competitors": [{"id": c.id, "name": c.name, "member": c.member} for c in ev.competitors],
        "modules": [
            {
                "id": m.id,
                "name": m.name,
                "locked": lk.get(m.id, False),
                "clock": mk.clock_dict(con.comp.clock(ev.id, m.id), now),
            }
            for m in ev.modules
        ],
    }


@view("marks_view")
def api_mark_sheet(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    assert s is not None
    ev = con.event_or_404()
    competitor = request.path_params["competitor"]
    ev.competitor(competitor)
    rows = mk.mark_rows(con.comp, con.db, ev, [competitor])
    tot = mk.totals(rows).get(competitor, {"total": 0.0, "max": 0.0})
    return {
        "event": ev.id,
        "competitor": competitor,
        "rows": rows,
        "modules": {m.id: m.name for m in ev.modules},
        "total": tot["total"],
        "max": tot["max"],
        "me": s.user.username,
        "can_enter": s.user.can("marks_enter"),
        "can_override": s.user.can("marks_override"),
    }


@view("marks_enter", write=True)
def api_judgement(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    assert s is not None
    score = body.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ConsoleError("score: a number (0-3 for a judgement)", 400)
    result = mk.enter_score(
        con.comp,
        con.db,
        s.user.username,
        con.event_or_404(),
        str(body.get("competitor", "")),
        str(body.get("aspect", "")),
        score,
        str(body.get("reason") or ""),
    )
    con.board_changed()
    return result


@view("marks_override", write=True)
def api_override(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    mark = body.get("mark")
    if mark is not None and (isinstance(mark, bool) or not isinstance(mark, int | float)):
        raise ConsoleError("mark: a number, or null to remove the override", 400)
    result = mk.set_override(
        con.comp,
        con.db,
        s.user.username,
        con.event_or_404(),
        str(body.get("competitor", "")),
        str(body.get("aspect", "")),
        None if mark is None else float(mark),
        str(body.get("reason") or ""),
    )
    con.board_changed()
    return result
