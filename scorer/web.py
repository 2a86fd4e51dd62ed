"""The scorer's web app (Starlette): the judges' console and the raw JSON API.

The console (:mod:`scorer.console`: accounts, roles, the hall, stations with live curves,
judgement entry, chief-expert controls, fleet health, audit log, reports, the public board)
is described in ``docs/CONSOLE.md``. ``GET /`` sends a visitor to the public board, or a
logged-in user to their role's first page.

The raw API is read-only:

=====================  ==========================================================
``/api/hall``          stations, each with its last run and latest live sample
``/api/stations``      stations with their last run
``/api/runs``          runs, newest first (``?station=`` and ``?limit=`` optional)
``/api/rejections``    rejected payloads: counts by reason and the most recent ones
``/api/health``        ``{"ok": true, "accepted": n, "rejected": n, ...}``
=====================  ==========================================================

``/api/health`` is public. The others carry limits and raw values, so they answer clients on
this machine (scripts, the demo, tests) and logged-in staff with the ``raw_api`` permission
(chief expert, judge, technician); anyone else gets 401/403. Endpoints are plain functions:
Starlette runs them in its thread pool, so blocking SQLite calls never stall the event loop.
"""

from __future__ import annotations

import time
from functools import cache
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from benchscore.protocol import ID_RE

from .competition import Competition
from .console.views import SECURITY_HEADERS as _SECURITY_HEADERS
from .console.views import Console, ConsoleSettings
from .fleet.adoption import Fleet
from .ingest import Ingest, with_live_only
from .store import Store

_NO_CACHE = {"Cache-Control": "no-store"}
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_STATIC = {
    "hall.js": _JS,
    "console.js": _JS,
    "station.js": _JS,
    "fleet.js": _JS,
    "uplot.min.js": _JS,
    "hall.css": _CSS,
    "console.css": _CSS,
    "report.css": _CSS,
    "training.css": _CSS,
    "verify.js": _JS,
    "training.js": _JS,
    "uplot.min.css": _CSS,
    "uplot.LICENSE.txt": "text/plain; charset=utf-8",
}
MAX_LIMIT = 1000


@cache
def _static(name: str) -> str:
    return (files("scorer") / "static" / name).read_text(encoding="utf-8")


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"limit: expected an integer, got {raw!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise _BadRequest(f"limit: {value} is outside 1..{MAX_LIMIT}")
    return value


class _BadRequest(Exception):
    pass


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers=_NO_CACHE)


def create_app(
    store: Store,
    ingest: Ingest,
    competition: Competition | None = None,
    *,
    console: ConsoleSettings | None = None,
    fleet: Fleet | None = None,
) -> Starlette:
    """The web app over ``store`` (runs, stations, rejections) and ``ingest`` (live, counts);
    with ``competition`` also the marks API (:mod:`scorer.api_marks`), behind the console's
    access rules. ``app.state.console`` is the :class:`~scorer.console.views.Console`; it sends
    station commands through ``competition.send`` (the service sets it to the MQTT link).
    """
    con = Console(store, ingest, competition, console, fleet)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = _STATIC.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(_static(name), media_type=media_type, headers=_SECURITY_HEADERS)

    def api_runs(request: Request) -> Response:
        if (denied := con.raw_api_denied(request)) is not None:
            return denied
        station = request.query_params.get("station")
        if station is not None and not ID_RE.match(station):
            return _json({"error": f"station: invalid id {station!r}"}, 400)
        try:
            limit = _limit(request, 200)
        except _BadRequest as exc:
            return _json({"error": str(exc)}, 400)
        return _json(store.list_runs(station=station, limit=limit))

    def api_stations(request: Request) -> Response:
        if (denied := con.raw_api_denied(request)) is not None:
            return denied
        return _json(store.stations())

    def api_hall(request: Request) -> Response:
        if (denied := con.raw_api_denied(request)) is not None:
            return denied
        stored = store.stations()
        live = ingest.all_live()
        stations = with_live_only(stored, live)  # and those seen live only
        for s in stations:
            s["live"] = live.get(s["id"])
        return _json(
            {
                "now": time.time(),
                "stations": stations,
                "counts": ingest.stats(),
                "rejections": store.rejection_counts(),
            }
        )

    def api_rejections(request: Request) -> Response:
        if (denied := con.raw_api_denied(request)) is not None:
            return denied
        try:
            limit = _limit(request, 100)
        except _BadRequest as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"counts": store.rejection_counts(), "recent": store.rejections(limit)})

    def api_health(request: Request) -> Response:
        stats = ingest.stats()
        return _json(
            {
                "ok": not store.closed,
                "accepted": stats["accepted"],
                "duplicates": stats["duplicates"],
                "rejected": sum(stats["rejected"].values()),
                "rejected_by_reason": stats["rejected"],
            }
        )

    extra: list[BaseRoute] = []
    if competition is not None:
        from . import api_marks

        extra = con.guard_routes(list(api_marks.routes(competition)))
    app = Starlette(
        routes=[
            Route("/static/{name}", static),
            Route("/api/hall", api_hall),
            Route("/api/stations", api_stations),
            Route("/api/runs", api_runs),
            Route("/api/rejections", api_rejections),
            Route("/api/health", api_health),
            *con.routes(),
            *extra,
        ]
    )
    app.state.console = con
    return app
