"""The :class:`Console`: accounts, sessions, live data, judgement entry, audit and reports over
one scorer. Its pages and endpoints are in the modules of this package by page group; the
route table (:mod:`.routes`) lists them all."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ...accounts import audit
from ...accounts.auth import SESSION_COOKIE, LoginLimiter, Session, load_session
from ...accounts.db import ConsoleDB
from ...competition import Competition
from ...fleet.adoption import Fleet
from ...ingest import Ingest, with_live_only
from ...store import Store
from .. import marks as mk
from ..i18n import LANG_COOKIE, pick_lang
from ..live import LiveHub, StatusTap
from ..marks import ConsoleError
from . import access
from .common import ConsoleSettings, Endpoint, Handler, View, client_is_local, error_reply
from .frame import render_frame
from .routes import route_table


class Console:
    """Accounts, sessions, live data, judgement entry, audit and reports over one scorer."""

    def __init__(
        self,
        store: Store,
        ingest: Ingest,
        competition: Competition | None = None,
        settings: ConsoleSettings | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        self.store = store
        self.fleet = fleet
        """Adoption (None: this scorer adopts no stations)."""
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
        return pick_lang(
            request.cookies.get(LANG_COOKIE),
            request.query_params.get("lang"),
            request.headers.get("accept-language"),
        )

    def raw_api_denied(self, request: Request) -> Response | None:
        """None if ``request`` may read the raw ``/api/*`` JSON, else the refusal."""
        if self.settings.local_raw_api and client_is_local(request):
            return None
        session = self.session_of(request)
        if session is None:
            return error_reply("log in to read this", 401)
        if not session.user.can("raw_api"):
            return error_reply(f"role {session.user.role} may not read the raw API", 403)
        return None

    def endpoint(
        self,
        permission: str | None,
        *,
        write: bool = False,
        page: bool = False,
        login: bool = True,
    ) -> Callable[[Handler], Endpoint]:
        """Wrap a handler with the access checks (see :mod:`.access`)."""
        return access.endpoint(self, permission, write=write, page=page, login=login)

    def bind(self, v: View) -> Endpoint:
        """The endpoint of a handler declared with :func:`~.common.view`."""

        def handler(request: Request, s: Session | None, body: dict[str, Any]) -> Any:
            return v.fn(self, request, s, body)

        handler.__name__ = v.fn.__name__
        return self.endpoint(v.permission, write=v.write, page=v.page, login=v.login)(handler)

    def guard_routes(self, routes: list[BaseRoute]) -> list[BaseRoute]:
        """Put another module's ``/api/*`` routes behind the console's access rules (see
        :func:`.access.guard_routes`)."""
        return access.guard_routes(self, routes)

    def routes(self) -> list[Route]:
        """Every page and endpoint of the console (the table is :func:`.routes.route_table`)."""
        return route_table(self)

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
        return render_frame(
            request,
            self.lang_of(request),
            session,
            page,
            title_key,
            data=data,
            scripts=scripts,
            styles=styles,
            title_extra=title_extra,
            status=status,
            csrf=csrf,
            bare_title=bare_title,
        )

    # -- what the views share ------------------------------------------------------------------
    def event(self) -> Any:
        """The event shown (an :class:`~scorer.competition.EventDef`), or None."""
        ev_id = mk.current_event(self.comp, self.settings.event)
        return None if ev_id is None else self.comp.event(ev_id)

    def event_or_404(self) -> Any:
        """The event shown; a 404 :class:`ConsoleError` if none is loaded."""
        return mk.event_or_error(self.comp, self.settings.event)

    def station_context(self) -> dict[str, dict[str, Any]]:
        """station -> {module, competitor, name, clock} for the event shown."""
        ev = self.event()
        if ev is None:
            return {}
        now = time.time()
        clocks = {c.module: c for c in self.comp.clocks(ev.id)}
        names = {c.id: c.name for c in ev.competitors}
        members = {c.id: c.member for c in ev.competitors}
        module_names = {m.id: m.name for m in ev.modules}
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
                "member": members.get(competitor or ""),
                "module_name": module_names.get(module, module),
                "clock": mk.clock_dict(clock, now),
            }
        return out

    def health(self, station: dict[str, Any]) -> dict[str, Any]:
        """What the hall and the fleet page show of a station's health."""
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
            "calibration": self.calibration(station["id"]),
            "time_limit_end": station.get("time_limit_end") or tap.get("time_limit_end"),
        }

    def calibration(self, station: str | None) -> dict[str, Any]:
        """Calibration ids a station reports (status ``calibration``, or in its health)."""
        if not station:
            return {}
        tap = self.tap.get(station)
        cal = tap.get("calibration")
        if not isinstance(cal, dict):
            health = tap.get("health") or {}
            cal = health.get("calibration") if isinstance(health, dict) else None
        return dict(cal) if isinstance(cal, dict) else {}

    def stations(self) -> list[dict[str, Any]]:
        """Stations the store knows, plus those seen only live so far."""
        return with_live_only(self.store.stations(), self.ingest.all_live())

    def board(self) -> dict[str, Any]:
        with self._board_lock:
            now = time.monotonic()
            if self._board_cache is not None and now - self._board_cache[0] < 2.0:
                return self._board_cache[1]
            data = mk.board(self.comp, self.db, self.settings.event)
            self._board_cache = (now, data)
            return data

    def board_changed(self) -> None:
        """Marks changed: the next board request computes the board again."""
        self._board_cache = None

    def send_command(
        self, actor: str, station: dict[str, Any], command: str, args: dict[str, Any]
    ) -> str:
        """Send ``command`` to ``station`` on ``actor``'s behalf (audited); returns its cmd_id."""
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
