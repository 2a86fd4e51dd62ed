"""The technicians' fleet page (every station's health and software version, stations waiting
for adoption, adopt / revoke / replace) and the audit log with its export."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from benchscore import __version__

from ...accounts import audit
from ...accounts.auth import Session
from ..marks import ConsoleError
from .common import NO_STORE, ConsoleApp, view


@view("fleet")
def api_fleet(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    rows = []
    for st in con.stations():
        h = con.health(st)
        rows.append(
            {
                "id": st["id"],
                "state": st.get("state"),
                "sw": st.get("sw"),
                "sw_current": st.get("sw") == __version__,
                "task": st.get("task"),
                "last_seen": st.get("last_seen"),
                **h,
            }
        )
    pending = [] if con.fleet is None else [vars(p) for p in con.fleet.pending()]
    return {
        "now": time.time(),
        "scorer_sw": __version__,
        "pending": pending,
        "stations": rows,
        "summary": {
            "total": len(rows),
            "online": sum(1 for r in rows if r["online"]),
            "bus_errors": sum(1 for r in rows if r["bus_errors"]),
            "backlog": sum(1 for r in rows if r["outbox_depth"]),
            "unsynced": sum(1 for r in rows if r["clock_synced"] is False),
        },
    }


def _fleet_action(con: ConsoleApp, s: Session | None, action: str, subject: str, work: Any) -> Any:
    """Run an adoption action and write its audit entry; a refusal is a 400 with the reason."""
    from scorer.fleet.adoption import FleetError

    assert s is not None
    if con.fleet is None:
        raise ConsoleError("this scorer does not adopt stations", 409)
    try:
        result = work(con.fleet)
    except (FleetError, ValueError) as exc:
        raise ConsoleError(str(exc), 400) from None
    audit.append(con.db, s.user.username, action, subject, None, result)
    return result


@view("fleet", write=True)
def api_adopt(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    code, station = str(body.get("code", "")), str(body.get("station", ""))
    task = str(body.get("task", ""))
    event = str(body.get("event") or con.event_or_404().id)
    return _fleet_action(
        con,
        s,
        "station.adopt",
        station,
        lambda f: f.adopt(code, station, event=event, task=task, actor=s.user.username),
    )


@view("fleet", write=True)
def api_revoke(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    station = str(body.get("station", ""))

    def work(f: Any) -> Any:
        f.revoke(station, actor=s.user.username)
        return {"station": station, "revoked": True}

    return _fleet_action(con, s, "station.revoke", station, work)


@view("fleet", write=True)
def api_replace(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    station, code = str(body.get("station", "")), str(body.get("code", ""))
    return _fleet_action(
        con,
        s,
        "station.replace",
        station,
        lambda f: f.replace(station, code, actor=s.user.username),
    )


@view("audit")
def api_audit(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    return {
        "verify": audit.verify(con.db),
        "entries": audit.entries(con.db, limit=500)[::-1],
    }


@view("audit")
def api_audit_export(
    con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]
) -> Any:
    text = "".join(audit.export_lines(con.db))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Response(
        text,
        media_type="application/x-ndjson",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"',
        },
    )
