"""The console's pages and JSON endpoints, each behind one permission of :data:`PERMISSIONS`.

Every handler is declared with the permission it needs (:func:`.common.view`, or
:meth:`Console.endpoint`), which decides access before the handler runs: no session -> 401 (a
page: redirect to ``/login``), the role lacks the permission -> 403, a state-changing request
(POST) without the session's CSRF token in ``X-CSRF-Token``, or from another origin -> 403.
Handlers run in the thread pool (SQLite calls never block the event loop); only the live stream
is async.

Pages are one frame (:mod:`.frame`) around a ``<main>`` that ``console.js`` fills from the JSON
endpoints; the frame carries the CSRF token and the language's texts in data attributes and a
JSON block, so no inline script is needed (the Content-Security-Policy forbids it).

The modules: :mod:`.common` (headers, limits, settings, :func:`~.common.view`), :mod:`.access`
(the access checks), :mod:`.frame`, :mod:`.console` (:class:`Console`), the page groups
:mod:`.login`, :mod:`.hall`, :mod:`.judging`, :mod:`.control`, :mod:`.fleet` (and the audit
log), :mod:`.reports`, :mod:`.board` (and a contestant's results), :mod:`.accounts`, and
:mod:`.routes`, the route table.
"""

from __future__ import annotations

from .common import (
    COMPETITION_ACTIONS,
    CSP,
    MAX_BODY,
    MAX_CURVE_POINTS,
    NO_STORE,
    SECURITY_HEADERS,
    STATION_COMMANDS,
    ConsoleSettings,
    Handler,
    client_is_local,
)
from .console import Console

__all__ = [
    "COMPETITION_ACTIONS",
    "CSP",
    "MAX_BODY",
    "MAX_CURVE_POINTS",
    "NO_STORE",
    "SECURITY_HEADERS",
    "STATION_COMMANDS",
    "Console",
    "ConsoleSettings",
    "Handler",
    "client_is_local",
]
