"""The hall: the grid of stations, a station's page with its runs, curves and live values, and
the commands a station can be sent."""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from benchscore.protocol import ID_RE

from ...accounts.auth import SESSION_COOKIE, Session, load_session
from ..marks import ConsoleError
from .common import MAX_CURVE_POINTS, NO_STORE, STATION_COMMANDS, ConsoleApp, error_reply, view


def strip_run(run: dict[str, Any] | None, limits: bool) -> dict[str, Any] | None:
    """A run as a role may see it: without limits (and the reasons that quote them)."""
    if run is None or limits:
        return run
    out = dict(run)
    out["reason"] = None
    out["measurements"] = [
        {**m, "limits": None, "reason": None} for m in run.get("measurements", [])
    ]
    return out


def find_station(con: ConsoleApp, sid: str) -> dict[str, Any]:
    if not ID_RE.match(sid):
        raise ConsoleError(f"invalid station id {sid!r}", 400)
    for st in con.stations():
        if st["id"] == sid:
            return st
    raise ConsoleError(f"no station {sid!r}", 404)


@view("hall", page=True)
def station_page(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    sid = request.path_params["station"]
    if not ID_RE.match(sid):
        return PlainTextResponse("no such station", 404)
    return con.frame(
        request,
        s,
        "station",
        "title.station",
        data={"station": sid},
        scripts=("/static/uplot.min.js", "/static/station.js"),
        styles=("/static/uplot.min.css",),
        title_extra=sid,
    )


@view("hall")
def api_hall(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    limits = s.user.can("limits")
    context = con.station_context()
    live = con.ingest.all_live()
    out = []
    for st in con.stations():
        last = strip_run(st.get("last_run"), limits)
        reason = st.get("reason") if limits or st.get("state") == "fault" else None
        out.append(
            {
                "id": st["id"],
                "state": st.get("state"),
                "online": st.get("online"),
                "reason": reason,
                "task": st.get("task"),
                "last_seen": st.get("last_seen"),
                "context": context.get(st["id"]),
                "last_run": last,
                "health": con.health(st),
                "live": live.get(st["id"]),
            }
        )
    return {"now": time.time(), "stations": out}


@view("hall")
def api_station(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    st = find_station(con, request.path_params["station"])
    limits = s.user.can("limits")
    runs = con.store.list_runs(station=st["id"], limit=50)
    curves = {}
    if runs:
        newest = runs[0]["run_id"]
        curves[newest] = con.store.curve_names(st["id"], newest)
    reason = st.get("reason") if limits or st.get("state") == "fault" else None
    if runs:  # the operator prompts of the newest run and their answers (its stored payload)
        full = con.store.get_run(st["id"], runs[0]["run_id"])
        prompts = (full or {}).get("payload", {}).get("prompts")
        runs[0]["prompts"] = prompts if isinstance(prompts, list) else []
    return {
        "now": time.time(),
        "station": {
            k: st.get(k) for k in ("id", "event", "state", "online", "sw", "task", "last_seen")
        }
        | {"reason": reason},
        "health": con.health(st),
        "context": con.station_context().get(st["id"]),
        "live": con.ingest.live_values(st["id"]) or None,
        "history": con.hub.history(st["id"]),
        "runs": [strip_run(r, limits) for r in runs],
        "curves": curves,
        "reply": con.ingest.replies.get(st["id"]),
        "prompt": con.tap.get(st["id"]).get("prompt") if st.get("state") == "running" else None,
        "can": {c: s.user.can(p) for c, p in STATION_COMMANDS.items()},
        "limits_visible": limits,
    }


@view("hall")
def api_curve(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    st = find_station(con, request.path_params["station"])
    run_id = request.query_params.get("run_id", "")
    name = request.query_params.get("name", "")
    if not (0 < len(run_id) <= 64 and 0 < len(name) <= 64):
        raise ConsoleError("run_id and name are required", 400)
    data = con.store.curve(st["id"], run_id, name)
    if not data:
        raise ConsoleError(f"no curve {name!r} in run {run_id!r}", 404)
    n = max(len(v) for v in data.values())
    if n > MAX_CURVE_POINTS:
        step = n / MAX_CURVE_POINTS
        idx = [int(i * step) for i in range(MAX_CURVE_POINTS)]
        data = {k: [v[i] for i in idx if i < len(v)] for k, v in data.items()}
    return {"run_id": run_id, "name": name, "columns": data}


async def api_live(con: ConsoleApp, request: Request) -> Response:
    station = request.query_params.get("station")
    if station is not None and not ID_RE.match(station):
        return error_reply("station: invalid id", 400)
    try:
        max_s = float(request.query_params.get("max_s", "300"))
    except ValueError:
        return error_reply("max_s: a number of seconds", 400)
    max_s = min(3600.0, max(0.05, max_s))
    session = await run_in_threadpool(con.session_of, request)
    if session is None:
        return error_reply("log in first", 401)
    if not session.user.can("hall"):
        return error_reply(f"role {session.user.role} may not do this (hall)", 403)
    cookie = request.cookies.get(SESSION_COOKIE)

    def still_allowed() -> bool:
        again = load_session(con.db, cookie)
        return again is not None and again.user.can("hall")

    return StreamingResponse(
        con.hub.stream(station, max_s, still_allowed),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


@view(None, write=True)
def api_command(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    command = body.get("command")
    if command not in STATION_COMMANDS:
        raise ConsoleError(f"command: one of {sorted(STATION_COMMANDS)}", 400)
    if not s.user.can(STATION_COMMANDS[command]):
        return error_reply(f"role {s.user.role} may not send {command}", 403)
    st = find_station(con, request.path_params["station"])
    args: dict[str, Any] = {"marked": True} if command == "start" else {}
    if command == "answer":  # {"prompt": id, "value": true/false/number}; the judge is named
        value = body.get("value", True)
        if value is not None and not isinstance(value, bool | int | float):
            raise ConsoleError("value: true, false or a number", 400)
        args = {"prompt": str(body.get("prompt", ""))[:64], "value": value}
        args["judge"] = s.user.username
    return {"cmd_id": con.send_command(s.user.username, st, command, args)}
