"""What every console view shares: security headers, limits, JSON replies, the console's
settings, and :func:`view`, which declares a handler with the access it needs."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute

from ...accounts.auth import Session

if TYPE_CHECKING:
    from ...accounts.auth import LoginLimiter
    from ...accounts.db import ConsoleDB
    from ...competition import Competition
    from ...fleet.adoption import Fleet
    from ...ingest import Ingest
    from ...store import Store
    from ..live import LiveHub, StatusTap

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
    "answer": "prompt_answer",  # a judge answers the station's open operator prompt
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
Endpoint = Callable[[Request], Awaitable[Response]]
"""A Starlette endpoint: what a :data:`Handler` becomes behind the access checks."""
"""What :meth:`Console.endpoint` wraps: (request, session, JSON body) -> reply."""
ViewFn = Callable[["ConsoleApp", Request, Session | None, dict[str, Any]], Any]
"""A :data:`Handler` that is also given the console."""


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


@dataclass(frozen=True)
class View:
    """A handler and the access it needs (the arguments of :meth:`Console.endpoint`)."""

    fn: ViewFn
    permission: str | None
    write: bool = False
    page: bool = False
    login: bool = True


def view(
    permission: str | None, *, write: bool = False, page: bool = False, login: bool = True
) -> Callable[[ViewFn], View]:
    """Declare a handler behind ``permission`` (None: any session, or none if not ``login``);
    ``write``: a POST that needs the CSRF token; ``page``: answers with HTML."""

    def declare(fn: ViewFn) -> View:
        return View(fn, permission, write=write, page=page, login=login)

    return declare


def json_reply(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=NO_STORE)


def error_reply(
    message: str, status: int, code: str | None = None, params: dict[str, object] | None = None
) -> JSONResponse:
    """``{"error": English text}``, with ``code`` and ``params`` when the page can say it in the
    reader's language (``error.<code>``)."""
    body: dict[str, object] = {"error": message}
    if code:
        body["code"] = code
        body["params"] = params or {}
    return json_reply(body, status)


def client_is_local(request: Request) -> bool:
    host = request.client.host if request.client else None
    if host is None or host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_ok(request: Request) -> bool:
    """False for a request from another origin than the server's."""
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every client for same-origin requests
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this server (where to go after logging in), else None."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


class ConsoleApp(Protocol):
    """What a view is given: the console (:class:`.console.Console`) as the views see it. The
    views depend on this protocol, not on the class that imports them all (no import cycle)."""

    store: Store
    fleet: Fleet | None
    ingest: Ingest
    comp: Competition
    settings: ConsoleSettings
    db: ConsoleDB
    limiter: LoginLimiter
    hub: LiveHub
    tap: StatusTap

    def session_of(self, request: Request) -> Session | None: ...
    def lang_of(self, request: Request) -> str: ...
    def raw_api_denied(self, request: Request) -> Response | None: ...
    def bind(self, v: View) -> Endpoint: ...
    def guard_routes(self, routes: list[BaseRoute]) -> list[BaseRoute]: ...
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
    ) -> HTMLResponse: ...
    def event(self) -> Any: ...
    def event_or_404(self) -> Any: ...
    def station_context(self) -> dict[str, dict[str, Any]]: ...
    def health(self, station: dict[str, Any]) -> dict[str, Any]: ...
    def calibration(self, station: str | None) -> dict[str, Any]: ...
    def stations(self) -> list[dict[str, Any]]: ...
    def board(self) -> dict[str, Any]: ...
    def board_changed(self) -> None: ...
    def send_command(
        self, actor: str, station: dict[str, Any], command: str, args: dict[str, Any]
    ) -> str: ...
