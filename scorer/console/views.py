"""The console's pages and JSON endpoints, each behind one permission of :data:`PERMISSIONS`.

Every handler is declared with :meth:`Console.endpoint`, which decides access before the handler
runs: no session -> 401 (a page: redirect to ``/login``), the role lacks the permission -> 403,
a state-changing request (POST) without the session's CSRF token in ``X-CSRF-Token``, or from
another origin -> 403. Handlers run in the thread pool (SQLite calls never block the event loop);
only the live stream is async.

Pages are one frame (``_frame``) around a ``<main>`` that ``console.js`` fills from the JSON
endpoints; the frame carries the CSRF token and the language's texts in data attributes and a
JSON block, so no inline script is needed (the Content-Security-Policy forbids it).
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Route

from benchscore.protocol import ID_RE

from ..competition import Competition, CompetitionError
from ..ingest import Ingest
from ..store import Store
from . import audit, report
from . import marks as mk
from .auth import (
    HOME,
    LOGIN_CSRF_COOKIE,
    ROLES,
    SESSION_COOKIE,
    SESSION_TTL_S,
    AccountError,
    LoginLimiter,
    Session,
    add_user,
    authenticate,
    close_session,
    csrf_ok,
    generate_password,
    list_users,
    load_session,
    open_session,
)
from .db import ConsoleDB
from .i18n import CATALOG, LANG_COOKIE, pick_lang, t
from .live import LiveHub, StatusTap
from .marks import ConsoleError

log = logging.getLogger(__name__)

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
NO_STORE: Final = {"Cache-Control": "no-store"}
MAX_BODY: Final = 64 * 1024
MAX_CURVE_POINTS: Final = 4000
STATION_COMMANDS: Final = {
    "start": "control",
    "abort": "control",
    "self_check": "maintain",
    "rebirth": "maintain",
}
COMPETITION_ACTIONS: Final = (
    "start",
    "freeze",
    "resume",
    "stop",
    "time_limit",
    "measure",
    "self_check",
    "lock",
    "unlock",
)
_LOCAL_HOSTS: Final = {"testclient", "localhost"}
"""Client hosts that are this machine besides loopback addresses (``testclient`` is
Starlette's in-process test client)."""

Handler = Callable[[Request, Session | None, dict[str, Any]], Any]


@dataclass(frozen=True)
class ConsoleSettings:
    """How the console runs; the defaults suit a hall on a closed network."""

    event: str | None = None
    """The event the console shows; default: the first one loaded."""
    secure_cookies: bool = False
    """Mark cookies Secure (serve the console over HTTPS, e.g. behind a TLS proxy)."""
    local_raw_api: bool = True
    """Let clients on this machine read ``/api/*`` without logging in (scripts, the demo)."""
    chromium: str | None = None
    """Chromium for PDF reports; default: ``chromium`` on PATH."""
    live_tick_s: float = 0.025


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=NO_STORE)


def _error(message: str, status: int) -> JSONResponse:
    return _json({"error": message}, status)


def client_is_local(request: Request) -> bool:
    host = request.client.host if request.client else None
    if host is None or host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


class Console:
    """Accounts, sessions, live data, judgement entry, audit and reports over one scorer."""

    def __init__(
        self,
        store: Store,
        ingest: Ingest,
        competition: Competition | None = None,
        settings: ConsoleSettings | None = None,
    ) -> None:
        self.store = store
        self.ingest = ingest
        self.comp = competition if competition is not None else Competition(store)
        self.settings = settings or ConsoleSettings()
        self.db = ConsoleDB(store.db)
        self.limiter = LoginLimiter()
        self.hub = LiveHub(ingest, self.settings.live_tick_s)
        self.tap = StatusTap()
        self.tap.install(ingest)
        self._cmd_seq = 0
        self._board_cache: tuple[float, dict[str, Any]] | None = None
        self._board_lock = threading.Lock()

    def close(self) -> None:
        """Nothing to release: the console's tables live in the store's database."""

    # -- sessions and access -----------------------------------------------------------------
    def session_of(self, request: Request) -> Session | None:
        cached = request.scope.get("bs_session", False)
        if cached is not False:
            return cached  # type: ignore[no-any-return]
        session = load_session(self.db, request.cookies.get(SESSION_COOKIE))
        request.scope["bs_session"] = session
        return session

    def lang_of(self, request: Request) -> str:
        return pick_lang(request.cookies.get(LANG_COOKIE), request.query_params.get("lang"))

    def raw_api_denied(self, request: Request) -> Response | None:
        """None if ``request`` may read the raw ``/api/*`` JSON, else the refusal."""
        if self.settings.local_raw_api and client_is_local(request):
            return None
        session = self.session_of(request)
        if session is None:
            return _error("log in to read this", 401)
        if not session.user.can("raw_api"):
            return _error(f"role {session.user.role} may not read the raw API", 403)
        return None

    def _origin_ok(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None:  # not sent by every client for same-origin requests
            return True
        host = request.headers.get("host", "")
        return origin in (f"http://{host}", f"https://{host}")

    def endpoint(
        self,
        permission: str | None,
        *,
        write: bool = False,
        page: bool = False,
        login: bool = True,
    ) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
        """Wrap a handler with the access checks (see the module docstring)."""

        def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                body: dict[str, Any] = {}
                if write:
                    if not self._origin_ok(request):
                        return _error("cross-origin request refused", 403)
                    raw = await request.body()
                    if len(raw) > MAX_BODY:
                        return _error("request too large", 413)
                    if raw:
                        try:
                            parsed = json.loads(raw)
                        except ValueError:
                            return _error("body: not JSON", 400)
                        if not isinstance(parsed, dict):
                            return _error("body: expected a JSON object", 400)
                        body = parsed

                def work() -> Response:
                    session = self.session_of(request)
                    if login and session is None:
                        if page:
                            target = request.url.path
                            if request.url.query:
                                target += "?" + request.url.query
                            from urllib.parse import quote

                            return RedirectResponse(f"/login?next={quote(target)}", 302)
                        return _error("log in first", 401)
                    if write and (
                        session is None
                        or not csrf_ok(session.csrf, request.headers.get("x-csrf-token"))
                    ):
                        return _error("csrf: missing or wrong X-CSRF-Token", 403)
                    if permission is not None and (
                        session is None or not session.user.can(permission)
                    ):
                        if page:
                            return self._denied_page(request, session)
                        role = session.user.role if session else "anonymous"
                        return _error(f"role {role} may not do this ({permission})", 403)
                    try:
                        result = fn(request, session, body)
                    except ConsoleError as exc:
                        return _error(str(exc), exc.status)
                    except CompetitionError as exc:
                        return _error(str(exc), 404 if ": no " in str(exc) else 400)
                    except AccountError as exc:
                        return _error(str(exc), 400)
                    except report.ReportError as exc:
                        return _error(str(exc), 503)
                    if isinstance(result, Response):
                        return result
                    return _json(result)

                return await run_in_threadpool(work)

            endpoint.__name__ = fn.__name__
            return endpoint

        return wrap

    # -- other modules' routes ----------------------------------------------------------------
    def guard_routes(self, routes: list[BaseRoute]) -> list[BaseRoute]:
        """Put another module's ``/api/*`` routes behind the console's access rules.

        Reads follow the raw API's rule (clients on this machine, or staff with ``raw_api``).
        Writes need a session, the CSRF token and a permission: a judgement ``marks_enter``
        (and the judge named must be the one logged in, on an open module); anything else
        ``control``. Each write that succeeds is written to the audit log.
        """
        out: list[BaseRoute] = []
        for route in routes:
            if not isinstance(route, Route):
                out.append(route)
                continue
            methods = set(route.methods or {"GET"}) - {"HEAD"}
            endpoint = self._guard_write(route) if methods - {"GET"} else self._guard_read(route)
            out.append(Route(route.path, endpoint, methods=sorted(methods), name=route.name))
        return out

    @staticmethod
    async def _call(route: Route, request: Request) -> Response:
        fn: Any = route.endpoint
        if inspect.iscoroutinefunction(fn):
            return await fn(request)  # type: ignore[no-any-return]
        return await run_in_threadpool(fn, request)  # type: ignore[no-any-return]

    def _guard_read(self, route: Route) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            denied = await run_in_threadpool(self.raw_api_denied, request)
            if denied is not None:
                return denied
            return await self._call(route, request)

        return endpoint

    def _guard_write(self, route: Route) -> Callable[[Request], Awaitable[Response]]:
        judgement = route.path.startswith("/api/judgements/")
        permission = "marks_enter" if judgement else "control"

        async def endpoint(request: Request) -> Response:
            if not self._origin_ok(request):
                return _error("cross-origin request refused", 403)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None

            def check() -> tuple[Response | None, Session | None, Any]:
                session = self.session_of(request)
                if session is None:
                    return _error("log in first", 401), None, None
                if not csrf_ok(session.csrf, request.headers.get("x-csrf-token")):
                    return _error("csrf: missing or wrong X-CSRF-Token", 403), None, None
                if not session.user.can(permission):
                    role = session.user.role
                    return _error(f"role {role} may not do this ({permission})", 403), None, None
                if not isinstance(body, dict):
                    return _error("the body must be a JSON object", 400), None, None
                params = request.path_params
                if judgement:
                    if body.get("judge") != session.user.username:
                        return _error("judge: must be the judge logged in", 403), None, None
                    try:
                        ev = self.comp.event(params["event"])
                        aspect = mk.aspect_of(self.comp, ev, str(body.get("aspect", "")))
                    except Exception as exc:
                        return _error(str(exc).strip("'\""), 400), None, None
                    if mk.locks(self.db, ev.id).get(aspect.module, False):
                        return (
                            _error(f"the marks of module {aspect.module} are locked", 409),
                            None,
                            None,
                        )
                    key = (str(body.get("competitor", "")), aspect.id)
                    mine = (
                        mk.latest_scores(self.comp, ev.id).get(key, {}).get(session.user.username)
                    )
                    return None, session, None if mine is None else mk.plain(mine["score"])
                return None, session, None

            refused, session, old = await run_in_threadpool(check)
            if refused is not None:
                return refused
            assert session is not None and isinstance(body, dict)
            response = await self._call(route, request)
            if 200 <= response.status_code < 300:
                p = request.path_params
                if judgement:
                    action = "judgement.enter" if old is None else "judgement.change"
                    subject = f"{p['event']}/{body.get('competitor')}/{body.get('aspect')}"
                    new: Any = body.get("score")
                    reason = str(body.get("note") or "")
                else:
                    action, subject, old = "api." + request.url.path, request.url.path, None
                    new, reason = body, str(body.get("reason") or "")
                await run_in_threadpool(
                    audit.append, self.db, session.user.username, action, subject, old, new, reason
                )
            return response

        return endpoint

    # -- page frames ---------------------------------------------------------------------------
    def frame(
        self,
        request: Request,
        session: Session | None,
        page: str,
        title_key: str,
        *,
        data: dict[str, str] | None = None,
        scripts: tuple[str, ...] = (),
        styles: tuple[str, ...] = (),
        title_extra: str = "",
        status: int = 200,
        csrf: str | None = None,
        bare_title: bool = False,
    ) -> HTMLResponse:
        lang = self.lang_of(request)
        user = session.user if session else None
        nav: list[tuple[str, str, str | None]] = [
            ("/console/hall", "nav.hall", "hall"),
            ("/console/judge", "nav.judge", "marks_view"),
            ("/console/control", "nav.control", "control"),
            ("/console/fleet", "nav.fleet", "fleet"),
            ("/console/audit", "nav.audit", "audit"),
            ("/console/users", "nav.users", "users"),
            ("/console/me", "nav.me", "own_results"),
            ("/board", "nav.board", None),
        ]
        links = "".join(
            f'<a href="{href}" class="{"here" if request.url.path == href else ""}" '
            f'data-nav="{key}">{escape(t(lang, key))}</a>'
            for href, key, perm in nav
            if perm is None or (user is not None and user.can(perm))
        )
        if user is not None:
            who = (
                f'<span class="who" id="who">{escape(user.display_name)} · '
                f"{escape(t(lang, 'role.' + user.role))}</span>"
                f'<button type="button" id="logout">{escape(t(lang, "nav.logout"))}</button>'
            )
        else:
            who = f'<a href="/login" id="login-link">{escape(t(lang, "nav.login"))}</a>'
        attrs = {
            "page": page,
            "lang": lang,
            "csrf": csrf if csrf is not None else (session.csrf if session else ""),
            "user": user.username if user else "",
            "role": user.role if user else "",
            "perms": " ".join(sorted(p for p in _all_perms() if user and user.can(p))),
            **(data or {}),
        }
        body_attrs = " ".join(f'data-{k}="{escape(v)}"' for k, v in attrs.items())
        catalog = json.dumps(CATALOG[lang], ensure_ascii=False).replace("<", "\\u003c")
        title = t(lang, title_key) + (f" · {title_extra}" if title_extra else "")
        head_extra = "".join(f'<link rel="stylesheet" href="{s}">' for s in styles)
        tail_scripts = "".join(f'<script src="{s}" defer></script>' for s in scripts)
        html = (
            f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{escape(title if bare_title else title + " · benchscore")}'
            "</title>"
            f'<link rel="stylesheet" href="/static/console.css">{head_extra}'
            f'<script type="application/json" id="bs-i18n">{catalog}</script>'
            f'<script src="/static/console.js" defer></script>{tail_scripts}</head>'
            f"<body {body_attrs}>"
            f'<header class="top"><a class="brand" href="/">benchscore</a><nav>{links}</nav>'
            f'<span class="spacer"></span>{who}<button type="button" id="lang-switch" '
            f'data-to="{"en" if lang == "zh" else "zh"}">{escape(t(lang, "lang.switch"))}</button>'
            "</header>"
            f'<div id="conn" class="conn" hidden>{escape(t(lang, "common.unreachable"))}</div>'
            f'<main id="main"><h1 id="title">{escape(title)}</h1><div id="content">'
            f'<p class="meta">{escape(t(lang, "common.loading"))}</p></div></main>'
            "<noscript><p>JavaScript is needed for this page.</p></noscript></body></html>"
        )
        return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **NO_STORE})

    def _denied_page(self, request: Request, session: Session | None) -> HTMLResponse:
        resp = self.frame(request, session, "denied", "title.denied", status=403)
        return resp

    # -- helpers -----------------------------------------------------------------------------------
    def event(self) -> Any:
        """The event shown (an :class:`~scorer.competition.EventDef`), or None."""
        ev_id = mk.current_event(self.comp, self.settings.event)
        return None if ev_id is None else self.comp.event(ev_id)

    def station_context(self) -> dict[str, dict[str, Any]]:
        """station -> {module, competitor, name, clock} for the event shown."""
        ev = self.event()
        if ev is None:
            return {}
        now = time.time()
        clocks = {c.module: c for c in self.comp.clocks(ev.id)}
        names = {c.id: c.name for c in ev.competitors}
        out: dict[str, dict[str, Any]] = {}
        stations = {st for m in ev.modules for st in ev.stations_of(m.id)}
        for st in stations:
            module, competitor = mk.module_for_station(ev, clocks, st)
            if module is None:
                continue
            clock = clocks.get(module) or self.comp.clock(ev.id, module)
            out[st] = {
                "event": ev.id,
                "module": module,
                "competitor": competitor,
                "name": names.get(competitor or "", competitor),
                "clock": mk.clock_dict(clock, now),
            }
        return out

    @staticmethod
    def _strip_run(run: dict[str, Any] | None, limits: bool) -> dict[str, Any] | None:
        """A run as a role may see it: without limits (and the reasons that quote them)."""
        if run is None or limits:
            return run
        out = dict(run)
        out["reason"] = None
        out["measurements"] = [
            {**m, "limits": None, "reason": None} for m in run.get("measurements", [])
        ]
        return out

    def _health(self, station: dict[str, Any]) -> dict[str, Any]:
        tap = self.tap.get(station["id"])
        health = station.get("health") or tap.get("health") or {}
        clock = health.get("clock") or {}
        bus = health.get("bus_errors") or {}
        return {
            "online": station.get("online"),
            "clock_synced": clock.get("synced"),
            "clock_offset_s": clock.get("offset_s"),
            "bus_errors": sum(v for v in bus.values() if isinstance(v, int)),
            "bus_errors_by_device": bus,
            "outbox_depth": health.get("outbox_depth"),
            "outbox_full": health.get("outbox_full"),
            "cpu_temp_c": health.get("cpu_temp_c"),
            "uptime_s": health.get("uptime_s"),
            "runs": health.get("runs"),
            "calibration": self._calibration(station["id"]),
            "time_limit_end": station.get("time_limit_end") or tap.get("time_limit_end"),
        }

    def _calibration(self, station: str | None) -> dict[str, Any]:
        """Calibration ids a station reports (status ``calibration``, or in its health)."""
        if not station:
            return {}
        tap = self.tap.get(station)
        cal = tap.get("calibration")
        if not isinstance(cal, dict):
            health = tap.get("health") or {}
            cal = health.get("calibration") if isinstance(health, dict) else None
        return dict(cal) if isinstance(cal, dict) else {}

    def _stations(self) -> list[dict[str, Any]]:
        """Stations the store knows, plus those seen only live so far."""
        stations = self.store.stations()
        known = {s["id"] for s in stations}
        for sid, sample in self.ingest.all_live().items():
            if sid not in known:
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
        return stations

    def board(self) -> dict[str, Any]:
        with self._board_lock:
            now = time.monotonic()
            if self._board_cache is not None and now - self._board_cache[0] < 2.0:
                return self._board_cache[1]
            data = mk.board(self.comp, self.db, self.settings.event)
            self._board_cache = (now, data)
            return data

    def _send(self, actor: str, station: dict[str, Any], command: str, args: dict[str, Any]) -> str:
        send = self.comp.send
        if send is None:
            raise ConsoleError("the scorer has no MQTT link to send commands on", 503)
        self._cmd_seq += 1
        cmd_id = f"{command}-{int(time.time())}-{self._cmd_seq}-{secrets.token_hex(2)}"
        send(station["event"], station["id"], cmd_id, command, args)
        audit.append(
            self.db,
            actor,
            "station.command",
            station["id"],
            None,
            {"command": command, "args": args, "cmd_id": cmd_id},
        )
        return cmd_id

    # -- routes ------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:  # noqa: C901 - one place lists every endpoint
        ep = self.endpoint

        # ---- public: login, board, landing
        @ep(None, login=False, page=True)
        def landing(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            if s is not None:
                return RedirectResponse(HOME[s.user.role], 302)
            # a visitor: the public board, under the hall's own name
            return self.frame(request, s, "board", "title.landing", bare_title=True)

        def login_page(request: Request) -> Response:
            token = secrets.token_urlsafe(24)
            session = self.session_of(request)
            nxt = _safe_next(request.query_params.get("next")) or ""
            resp = self.frame(
                request, session, "login", "title.login", data={"next": nxt}, csrf=token
            )
            resp.set_cookie(
                LOGIN_CSRF_COOKIE,
                token,
                max_age=3600,
                httponly=True,
                samesite="strict",
                secure=self.settings.secure_cookies,
                path="/",
            )
            return resp

        async def login_page_ep(request: Request) -> Response:
            return await run_in_threadpool(login_page, request)

        async def api_login(request: Request) -> Response:
            if not self._origin_ok(request):
                return _error("cross-origin request refused", 403)
            if not csrf_ok(
                request.cookies.get(LOGIN_CSRF_COOKIE), request.headers.get("x-csrf-token")
            ):
                return _error("csrf: missing or wrong X-CSRF-Token", 403)
            raw = await request.body()
            try:
                body = json.loads(raw) if len(raw) <= MAX_BODY else None
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return _error("body: expected {username, password}", 400)
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str):
                return _error("body: expected {username, password}", 400)
            address = request.client.host if request.client else "?"
            wait = self.limiter.check(address, username)
            if wait > 0:
                return JSONResponse(
                    {"error": "too many failed logins", "retry_after_s": round(wait)},
                    status_code=429,
                    headers={**NO_STORE, "Retry-After": str(max(1, round(wait)))},
                )
            user = await run_in_threadpool(authenticate, self.db, username[:64], password[:256])
            if user is None:
                self.limiter.failed(address, username)
                return _error("wrong user name or password", 401)
            self.limiter.succeeded(username)
            token, session = await run_in_threadpool(open_session, self.db, user)
            nxt = _safe_next(body.get("next")) if isinstance(body.get("next"), str) else None
            resp = _json({"ok": True, "user": user.public(), "home": nxt or HOME[user.role]})
            resp.set_cookie(
                SESSION_COOKIE,
                token,
                max_age=int(SESSION_TTL_S),
                httponly=True,
                samesite="strict",
                secure=self.settings.secure_cookies,
                path="/",
            )
            resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
            return resp

        @ep(None, write=True)
        def api_logout(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            close_session(self.db, s)
            resp = _json({"ok": True})
            resp.delete_cookie(SESSION_COOKIE, path="/")
            return resp

        @ep(None)
        def api_me(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            return {"user": s.user.public(), "home": HOME[s.user.role]}

        @ep(None, login=False, page=True)
        def board_page(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            return self.frame(request, s, "board", "title.board")

        @ep(None, login=False)
        def api_board(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            return {"now": time.time(), **self.board()}

        # ---- staff pages
        def simple_page(permission: str, page: str, title_key: str, **kw: Any) -> Any:
            @ep(permission, page=True)
            def handler(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
                return self.frame(request, s, page, title_key, **kw)

            handler.__name__ = f"page_{page}"
            return handler

        @ep("hall", page=True)
        def station_page(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            sid = request.path_params["station"]
            if not ID_RE.match(sid):
                return PlainTextResponse("no such station", 404)
            return self.frame(
                request,
                s,
                "station",
                "title.station",
                data={"station": sid},
                scripts=("/static/uplot.min.js", "/static/station.js"),
                styles=("/static/uplot.min.css",),
                title_extra=sid,
            )

        # ---- hall and stations
        @ep("hall")
        def api_hall(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            limits = s.user.can("limits")
            context = self.station_context()
            live = self.ingest.all_live()
            out = []
            for st in self._stations():
                last = self._strip_run(st.get("last_run"), limits)
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
                        "health": self._health(st),
                        "live": live.get(st["id"]),
                    }
                )
            return {"now": time.time(), "stations": out}

        def find_station(sid: str) -> dict[str, Any]:
            if not ID_RE.match(sid):
                raise ConsoleError(f"invalid station id {sid!r}", 400)
            for st in self._stations():
                if st["id"] == sid:
                    return st
            raise ConsoleError(f"no station {sid!r}", 404)

        @ep("hall")
        def api_station(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            st = find_station(request.path_params["station"])
            limits = s.user.can("limits")
            runs = self.store.list_runs(station=st["id"], limit=50)
            curves = {}
            if runs:
                newest = runs[0]["run_id"]
                curves[newest] = self.store.curve_names(st["id"], newest)
            reason = st.get("reason") if limits or st.get("state") == "fault" else None
            return {
                "now": time.time(),
                "station": {
                    k: st.get(k)
                    for k in ("id", "event", "state", "online", "sw", "task", "last_seen")
                }
                | {"reason": reason},
                "health": self._health(st),
                "context": self.station_context().get(st["id"]),
                "live": self.ingest.live_values(st["id"]) or None,
                "history": self.hub.history(st["id"]),
                "runs": [self._strip_run(r, limits) for r in runs],
                "curves": curves,
                "reply": self.ingest.replies.get(st["id"]),
                "can": {c: s.user.can(p) for c, p in STATION_COMMANDS.items()},
                "limits_visible": limits,
            }

        @ep("hall")
        def api_curve(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            st = find_station(request.path_params["station"])
            run_id = request.query_params.get("run_id", "")
            name = request.query_params.get("name", "")
            if not (0 < len(run_id) <= 64 and 0 < len(name) <= 64):
                raise ConsoleError("run_id and name are required", 400)
            data = self.store.curve(st["id"], run_id, name)
            if not data:
                raise ConsoleError(f"no curve {name!r} in run {run_id!r}", 404)
            n = max(len(v) for v in data.values())
            if n > MAX_CURVE_POINTS:
                step = n / MAX_CURVE_POINTS
                idx = [int(i * step) for i in range(MAX_CURVE_POINTS)]
                data = {k: [v[i] for i in idx if i < len(v)] for k, v in data.items()}
            return {"run_id": run_id, "name": name, "columns": data}

        async def api_live(request: Request) -> Response:
            station = request.query_params.get("station")
            if station is not None and not ID_RE.match(station):
                return _error("station: invalid id", 400)
            try:
                max_s = float(request.query_params.get("max_s", "300"))
            except ValueError:
                return _error("max_s: a number of seconds", 400)
            max_s = min(3600.0, max(0.05, max_s))
            session = await run_in_threadpool(self.session_of, request)
            if session is None:
                return _error("log in first", 401)
            if not session.user.can("hall"):
                return _error(f"role {session.user.role} may not do this (hall)", 403)
            cookie = request.cookies.get(SESSION_COOKIE)

            def still_allowed() -> bool:
                again = load_session(self.db, cookie)
                return again is not None and again.user.can("hall")

            return StreamingResponse(
                self.hub.stream(station, max_s, still_allowed),
                media_type="text/event-stream",
                headers={**NO_STORE, "X-Accel-Buffering": "no"},
            )

        @ep(None, write=True)
        def api_command(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            command = body.get("command")
            if command not in STATION_COMMANDS:
                raise ConsoleError(f"command: one of {sorted(STATION_COMMANDS)}", 400)
            if not s.user.can(STATION_COMMANDS[command]):
                return _error(f"role {s.user.role} may not send {command}", 403)
            st = find_station(request.path_params["station"])
            args: dict[str, Any] = {"marked": True} if command == "start" else {}
            return {"cmd_id": self._send(s.user.username, st, command, args)}

        # ---- marks
        def event_or_404() -> Any:
            return mk.event_or_error(self.comp, self.settings.event)

        @ep("marks_view")
        def api_marks(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            ev = event_or_404()
            lk = mk.locks(self.db, ev.id)
            now = time.time()
            return {
                "event": {"id": ev.id, "name": ev.name},
                "competitors": [
                    {"id": c.id, "name": c.name, "member": c.member} for c in ev.competitors
                ],
                "modules": [
                    {
                        "id": m.id,
                        "name": m.name,
                        "locked": lk.get(m.id, False),
                        "clock": mk.clock_dict(self.comp.clock(ev.id, m.id), now),
                    }
                    for m in ev.modules
                ],
            }

        @ep("marks_view")
        def api_mark_sheet(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            ev = event_or_404()
            competitor = request.path_params["competitor"]
            ev.competitor(competitor)
            rows = mk.mark_rows(self.comp, self.db, ev, [competitor])
            tot = mk.totals(rows).get(competitor, {"total": 0.0, "max": 0.0})
            return {
                "event": ev.id,
                "competitor": competitor,
                "rows": rows,
                "total": tot["total"],
                "max": tot["max"],
                "me": s.user.username,
                "can_enter": s.user.can("marks_enter"),
                "can_override": s.user.can("marks_override"),
            }

        @ep("marks_enter", write=True)
        def api_judgement(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            score = body.get("score")
            if isinstance(score, bool) or not isinstance(score, int | float):
                raise ConsoleError("score: a number (0-3 for a judgement)", 400)
            result = mk.enter_score(
                self.comp,
                self.db,
                s.user.username,
                event_or_404(),
                str(body.get("competitor", "")),
                str(body.get("aspect", "")),
                score,
                str(body.get("reason") or ""),
            )
            self._board_cache = None
            return result

        @ep("marks_override", write=True)
        def api_override(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            mark = body.get("mark")
            if mark is not None and (isinstance(mark, bool) or not isinstance(mark, int | float)):
                raise ConsoleError("mark: a number, or null to remove the override", 400)
            result = mk.set_override(
                self.comp,
                self.db,
                s.user.username,
                event_or_404(),
                str(body.get("competitor", "")),
                str(body.get("aspect", "")),
                None if mark is None else float(mark),
                str(body.get("reason") or ""),
            )
            self._board_cache = None
            return result

        # ---- chief expert
        @ep("control")
        def api_competition(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            ev = event_or_404()
            lk = mk.locks(self.db, ev.id)
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
                        "clock": mk.clock_dict(self.comp.clock(ev.id, m.id), now),
                    }
                    for m in ev.modules
                ],
                "competitors": [{"id": c.id, "name": c.name} for c in ev.competitors],
                "audit_head": audit.head(self.db),
                "mqtt": self.comp.send is not None,
            }

        @ep("control", write=True)
        def api_competition_action(
            request: Request, s: Session | None, body: dict[str, Any]
        ) -> Any:
            assert s is not None
            ev = event_or_404()
            module = request.path_params["module"]
            action = request.path_params["action"]
            if action not in COMPETITION_ACTIONS:
                raise ConsoleError(f"action: one of {', '.join(COMPETITION_ACTIONS)}", 404)
            self._board_cache = None
            if action in ("lock", "unlock"):
                return mk.set_lock(
                    self.db,
                    s.user.username,
                    ev,
                    module,
                    action == "lock",
                    str(body.get("reason") or ""),
                )
            return mk.clock_action(self.comp, self.db, s.user.username, ev, module, action, body)

        # ---- fleet
        @ep("fleet")
        def api_fleet(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            rows = []
            for st in self._stations():
                h = self._health(st)
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

        # ---- audit
        @ep("audit")
        def api_audit(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            return {
                "verify": audit.verify(self.db),
                "entries": audit.entries(self.db, limit=500)[::-1],
            }

        @ep("audit")
        def api_audit_export(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            text = "".join(audit.export_lines(self.db))
            stamp = time.strftime("%Y%m%d-%H%M%S")
            return Response(
                text,
                media_type="application/x-ndjson",
                headers={
                    **NO_STORE,
                    "Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"',
                },
            )

        # ---- reports
        def report_html_of(request: Request, inline_css: bool) -> str:
            ev = event_or_404()
            competitor = request.path_params["contestant"]
            try:
                ev.competitor(competitor)
            except Exception:
                raise ConsoleError(f"no competitor {competitor!r}", 404) from None
            stations = sorted(
                {
                    st
                    for m in ev.modules
                    for st, c in ev.stations_of(m.id).items()
                    if c == competitor
                }
            )
            return report.build(
                self.comp,
                self.db,
                self.store,
                ev,
                competitor,
                self.lang_of(request),
                calibration={st: self._calibration(st) for st in stations},
                inline_css=inline_css,
            )

        @ep("report", page=True)
        def report_html(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            html = report_html_of(request, inline_css=False)
            return HTMLResponse(html, headers={**SECURITY_HEADERS, **NO_STORE})

        @ep("report", page=True)
        def report_pdf(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            html = report_html_of(request, inline_css=True)
            pdf = report.to_pdf(html, self.settings.chromium)
            name = request.path_params["contestant"]
            return Response(
                pdf,
                media_type="application/pdf",
                headers={
                    **NO_STORE,
                    "Content-Disposition": f'inline; filename="evidence-{name}.pdf"',
                },
            )

        # ---- contestant
        @ep("own_results")
        def api_my_results(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None and s.user.contestant is not None
            ev = event_or_404()
            me = s.user.contestant
            try:
                who = ev.competitor(me)
            except Exception:
                raise ConsoleError("your competitor entry is not in the event", 404) from None
            lk = mk.locks(self.db, ev.id)
            task_locked: dict[str, bool] = {}
            for m in ev.modules:
                task_locked[m.task] = task_locked.get(m.task, True) and lk.get(m.id, False)
            stations = sorted(
                {st for m in ev.modules for st, c in ev.stations_of(m.id).items() if c == me}
            )
            runs = []
            for st in stations:
                for r in self.store.list_runs(station=st, limit=50):
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
            rows = [r for r in mk.mark_rows(self.comp, self.db, ev, [me]) if r["locked"]]
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
            context = self.station_context()
            clock = next((context[st]["clock"] for st in stations if st in context), None)
            return {
                "competitor": {"id": who.id, "name": who.name, "member": who.member},
                "clock": clock,
                "runs": runs,
                "marks": marks,
                "total": round(sum(m["mark"] for m in marks), 2) if marks else None,
            }

        # ---- accounts
        @ep("users")
        def api_users(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            return {"users": list_users(self.db), "roles": list(ROLES)}

        @ep("users", write=True)
        def api_add_user(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            assert s is not None
            username = str(body.get("username", ""))
            role = str(body.get("role", ""))
            given = body.get("password")
            password = given if isinstance(given, str) and given else generate_password()
            contestant = body.get("contestant") or None
            user = add_user(
                self.db,
                username,
                role,
                password,
                display_name=str(body.get("display_name") or username),
                contestant=str(contestant) if contestant else None,
            )
            audit.append(
                self.db,
                s.user.username,
                "user.add",
                username,
                None,
                {"role": role, "contestant": user.contestant},
            )
            return {"user": user.public(), "password": None if given else password}

        return [
            Route("/", landing),
            Route("/login", login_page_ep),
            Route("/board", board_page),
            Route(
                "/console",
                simple_page(
                    "hall",
                    "hall",
                    "title.hall",
                    scripts=("/static/hall.js",),
                    styles=("/static/hall.css",),
                ),
            ),
            Route(
                "/console/hall",
                simple_page(
                    "hall",
                    "hall",
                    "title.hall",
                    scripts=("/static/hall.js",),
                    styles=("/static/hall.css",),
                ),
            ),
            Route("/console/station/{station}", station_page),
            Route("/console/judge", simple_page("marks_view", "judge", "title.judge")),
            Route("/console/control", simple_page("control", "control", "title.control")),
            Route("/console/fleet", simple_page("fleet", "fleet", "title.fleet")),
            Route("/console/audit", simple_page("audit", "audit", "title.audit")),
            Route("/console/users", simple_page("users", "users", "title.users")),
            Route("/console/me", simple_page("own_results", "me", "title.me")),
            Route("/console/report/{contestant}.pdf", report_pdf),
            Route("/console/report/{contestant}", report_html),
            Route("/console/api/login", api_login, methods=["POST"]),
            Route("/console/api/logout", api_logout, methods=["POST"]),
            Route("/console/api/me", api_me),
            Route("/console/api/board", api_board),
            Route("/console/api/hall", api_hall),
            Route("/console/api/live", api_live),
            Route("/console/api/station/{station}", api_station),
            Route("/console/api/station/{station}/curve", api_curve),
            Route("/console/api/station/{station}/command", api_command, methods=["POST"]),
            Route("/console/api/marks", api_marks),
            Route("/console/api/marks/{competitor}", api_mark_sheet),
            Route("/console/api/judgements", api_judgement, methods=["POST"]),
            Route("/console/api/overrides", api_override, methods=["POST"]),
            Route("/console/api/competition", api_competition),
            Route(
                "/console/api/competition/{module}/{action}",
                api_competition_action,
                methods=["POST"],
            ),
            Route("/console/api/fleet", api_fleet),
            Route("/console/api/audit", api_audit),
            Route("/console/api/audit/export", api_audit_export),
            Route("/console/api/results/me", api_my_results),
            Route("/console/api/users", api_users, methods=["GET"]),
            Route("/console/api/users", api_add_user, methods=["POST"]),
        ]


def _all_perms() -> list[str]:
    from .auth import PERMISSIONS

    return list(PERMISSIONS)
