"""The chief expert's controls: the modules with their clocks and locks, and the actions on
them (start, freeze, resume, stop, time limit, synchronized start, self-check, lock, unlock)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from ...accounts import audit
from ...accounts.auth import Session
from .. import marks as mk
from ..marks import ConsoleError
from .common import COMPETITION_ACTIONS, ConsoleApp, view


@view("control")
def api_competition(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    ev = con.event_or_404()
    lk = mk.locks(con.db, ev.id)
    now = time.time()
    return {
        "now": now,
        "event": {"id": ev.id, "name": ev.name},
        "modules": [
            {
                "id": m.id,
                "name": m.name,
                "task": m.task,
                "locked": lk.get(m.id, False),
                "stations": sorted(ev.stations_of(m.id)),
                "clock": mk.clock_dict(con.comp.clock(ev.id, m.id), now),
            }
            for m in ev.modules
        ],
        "competitors": [{"id": c.id, "name": c.name} for c in ev.competitors],
        "audit_head": audit.head(con.db).as_dict(),
        "mqtt": con.comp.send is not None,
    }


@view("control", write=True)
def api_competition_action(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    assert s is not None
    ev = con.event_or_404()
    module = request.path_params["module"]
    action = request.path_params["action"]
    if action not in COMPETITION_ACTIONS:
        raise ConsoleError(f"action: one of {', '.join(COMPETITION_ACTIONS)}", 404)
    con.board_changed()
    if action in ("lock", "unlock"):
        return mk.set_lock(
            con.db,
            s.user.username,
            ev,
            module,
            action == "lock",
            str(body.get("reason") or ""),
        )
    return mk.clock_action(con.comp, con.db, s.user.username, ev, module, action, body)
