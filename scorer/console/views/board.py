"""The public board (ranks and progress, no login) and a contestant's own results."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from ...accounts.auth import Session
from .. import marks as mk
from ..marks import ConsoleError
from .common import ConsoleApp, view


@view(None, login=False, page=True)
def board_page(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    return con.frame(request, s, "board", "title.board")


@view(None, login=False)
def api_board(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    return {"now": time.time(), **con.board()}


@view("own_results")
def api_my_results(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    assert s is not None and s.user.contestant is not None
    ev = con.event_or_404()
    me = s.user.contestant
    try:
        who = ev.competitor(me)
    except Exception:
        raise ConsoleError("your competitor entry is not in the event", 404) from None
    lk = mk.locks(con.db, ev.id)
    task_locked: dict[str, bool] = {}
    for m in ev.modules:
        task_locked[m.task] = task_locked.get(m.task, True) and lk.get(m.id, False)
    stations = ev.stations_of_competitor(me)
    runs = []
    for st in stations:
        for r in con.store.list_runs(station=st, limit=50):
            shown = task_locked.get(r["task"], False)
            runs.append(
                {
                    "station": st,
                    "run_id": r["run_id"],
                    "task": r["task"],
                    "ended_at": r["ended_at"],
                    "outcome": r["outcome"],
                    "marked": r.get("marked", True),
                    "measurements": [
                        {
                            "name": m["name"],
                            "value": m["value"],
                            "unit": m["unit"],
                            "outcome": m["outcome"],
                            "limits": m["limits"] if shown else None,
                        }
                        for m in r["measurements"]
                    ],
                }
            )
    runs.sort(key=lambda r: -float(r["ended_at"]))
    rows = [r for r in mk.mark_rows(con.comp, con.db, ev, [me]) if r["locked"]]
    marks = [
        {
            "aspect": r["aspect"],
            "module": r["module"],
            "type": r["type"],
            "description": r["description"],
            "max_mark": r["max_mark"],
            "mark": r["mark"],
        }
        for r in rows
    ]
    context = con.station_context()
    clock = next((context[st]["clock"] for st in stations if st in context), None)
    return {
        "competitor": {"id": who.id, "name": who.name, "member": who.member},
        "clock": clock,
        "runs": runs,
        "marks": marks,
        "total": round(sum(m["mark"] for m in marks), 2) if marks else None,
    }
