"""The judges' hall page and the scorer's JSON API (Starlette).

``GET /`` is a self-contained page (its script and style come from this server only) that
polls ``/api/hall`` every second. The API is read-only:

=====================  ==========================================================
``/api/hall``          stations, each with its last run and latest live sample
``/api/stations``      stations with their last run
``/api/runs``          runs, newest first (``?station=`` and ``?limit=`` optional)
``/api/rejections``    rejected payloads: counts by reason and the most recent ones
``/api/health``        ``{"ok": true, "accepted": n, "rejected": n, ...}``
=====================  ==========================================================

Endpoints are plain functions: Starlette runs them in its thread pool, so the store's
blocking SQLite calls never stall the event loop.
"""

from __future__ import annotations

import time
from functools import cache
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from benchscore.protocol import ID_RE

from .ingest import Ingest
from .store import Store

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_NO_CACHE = {"Cache-Control": "no-store"}
_STATIC = {
    "hall.js": "text/javascript; charset=utf-8",
    "hall.css": "text/css; charset=utf-8",
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


def create_app(store: Store, ingest: Ingest) -> Starlette:
    """The web app over ``store`` (runs, stations, rejections) and ``ingest`` (live, counts)."""

    def hall_page(request: Request) -> Response:
        return HTMLResponse(_static("hall.html"), headers={**_SECURITY_HEADERS, **_NO_CACHE})

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = _STATIC.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(_static(name), media_type=media_type, headers=_SECURITY_HEADERS)

    def api_runs(request: Request) -> Response:
        station = request.query_params.get("station")
        if station is not None and not ID_RE.match(station):
            return _json({"error": f"station: invalid id {station!r}"}, 400)
        try:
            limit = _limit(request, 200)
        except _BadRequest as exc:
            return _json({"error": str(exc)}, 400)
        return _json(store.list_runs(station=station, limit=limit))

    def api_stations(request: Request) -> Response:
        return _json(store.stations())

    def api_hall(request: Request) -> Response:
        stations = store.stations()
        live = ingest.all_live()
        known = {s["id"] for s in stations}
        for sid, sample in live.items():
            if sid not in known:  # seen live only (its retained status not received yet)
                stations.append(
                    {
                        "id": sid,
                        "event": sample["event"],
                        "state": None,
                        "online": None,
                        "boot_id": sample["boot_id"],
                        "sw": None,
                        "task": None,
                        "reason": None,
                        "status_ts": None,
                        "last_seen": sample["received_at"],
                        "last_run": None,
                    }
                )
        stations.sort(key=lambda s: str(s["id"]))
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

    return Starlette(
        routes=[
            Route("/", hall_page),
            Route("/static/{name}", static),
            Route("/api/hall", api_hall),
            Route("/api/stations", api_stations),
            Route("/api/runs", api_runs),
            Route("/api/rejections", api_rejections),
            Route("/api/health", api_health),
        ]
    )
