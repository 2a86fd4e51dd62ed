"""The technicians' fleet page (every station's health) and the audit log with its export."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .. import audit
from ..auth import Session
from .common import NO_STORE, view

if TYPE_CHECKING:
    from .console import Console


@view("fleet")
def api_fleet(con: Console, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    rows = []
    for st in con.stations():
        h = con.health(st)
        rows.append(
            {
                "id": st["id"],
                "state": st.get("state"),
                "sw": st.get("sw"),
                "task": st.get("task"),
                "last_seen": st.get("last_seen"),
                **h,
            }
        )
    return {
        "now": time.time(),
        "stations": rows,
        "summary": {
            "total": len(rows),
            "online": sum(1 for r in rows if r["online"]),
            "bus_errors": sum(1 for r in rows if r["bus_errors"]),
            "backlog": sum(1 for r in rows if r["outbox_depth"]),
            "unsynced": sum(1 for r in rows if r["clock_synced"] is False),
        },
    }


@view("audit")
def api_audit(con: Console, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    return {
        "verify": audit.verify(con.db),
        "entries": audit.entries(con.db, limit=500)[::-1],
    }


@view("audit")
def api_audit_export(
    con: Console, request: Request, s: Session | None, body: dict[str, Any]
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
