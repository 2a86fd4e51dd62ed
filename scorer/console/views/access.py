"""Access to the console's endpoints, decided before a handler runs: no session -> 401 (a page:
redirect to ``/login``), the role lacks the permission -> 403, a state-changing request (POST)
without the session's CSRF token in ``X-CSRF-Token``, or from another origin -> 403. Handlers
run in the thread pool (SQLite calls never block the event loop).

Also the rules for other modules' ``/api/*`` routes (:func:`guard_routes`)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...accounts import audit
from ...accounts.auth import AccountError, Session, csrf_ok
from ...competition import CompetitionError
from .. import marks as mk
from .. import report
from ..marks import ConsoleError
from .common import MAX_BODY, ConsoleApp, Endpoint, Handler, error_reply, json_reply, origin_ok


def endpoint(
    con: ConsoleApp,
    permission: str | None,
    *,
    write: bool = False,
    page: bool = False,
    login: bool = True,
) -> Callable[[Handler], Endpoint]:
    """Wrap a handler with the access checks (see the module docstring)."""

    def wrap(fn: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            body: dict[str, Any] = {}
            if write:
                if not origin_ok(request):
                    return error_reply("cross-origin request refused", 403)
                raw = await request.body()
                if len(raw) > MAX_BODY:
                    return error_reply("request too large", 413)
                if raw:
                    try:
                        parsed = json.loads(raw)
                    except ValueError:
                        return error_reply("body: not JSON", 400)
                    if not isinstance(parsed, dict):
                        return error_reply("body: expected a JSON object", 400)
                    body = parsed

            def work() -> Response:
                session = con.session_of(request)
                if login and session is None:
                    if page:
                        target = request.url.path
                        if request.url.query:
                            target += "?" + request.url.query
                        return RedirectResponse(f"/login?next={quote(target)}", 302)
                    return error_reply("log in first", 401)
                if write and (
                    session is None
                    or not csrf_ok(session.csrf, request.headers.get("x-csrf-token"))
                ):
                    return error_reply("csrf: missing or wrong X-CSRF-Token", 403, "csrf")
                if permission is not None and (session is None or not session.user.can(permission)):
                    if page:
                        return con.frame(request, session, "denied", "title.denied", status=403)
                    role = session.user.role if session else "anonymous"
                    return error_reply(
                        f"role {role} may not do this ({permission})", 403, "forbidden"
                    )
                try:
                    result = fn(request, session, body)
                except ConsoleError as exc:
                    return error_reply(str(exc), exc.status, exc.code, exc.params)
                except CompetitionError as exc:
                    return error_reply(str(exc), 404 if ": no " in str(exc) else 400)
                except AccountError as exc:
                    return error_reply(str(exc), 400)
                except report.ReportError as exc:
                    return error_reply(str(exc), 503)
                if isinstance(result, Response):
                    return result
                return json_reply(result)

            return await run_in_threadpool(work)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap


def guard_routes(con: ConsoleApp, routes: list[BaseRoute]) -> list[BaseRoute]:
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
        endpoint = _guard_write(con, route) if methods - {"GET"} else _guard_read(con, route)
        out.append(Route(route.path, endpoint, methods=sorted(methods), name=route.name))
    return out


async def _call(route: Route, request: Request) -> Response:
    fn: Any = route.endpoint
    if inspect.iscoroutinefunction(fn):
        return await fn(request)  # type: ignore[no-any-return]
    return await run_in_threadpool(fn, request)  # type: ignore[no-any-return]


def _guard_read(con: ConsoleApp, route: Route) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        denied = await run_in_threadpool(con.raw_api_denied, request)
        if denied is not None:
            return denied
        return await _call(route, request)

    return endpoint


def _guard_write(con: ConsoleApp, route: Route) -> Endpoint:
    judgement = route.path.startswith("/api/judgements/")
    permission = "marks_enter" if judgement else "control"

    async def endpoint(request: Request) -> Response:
        if not origin_ok(request):
            return error_reply("cross-origin request refused", 403)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None

        def check() -> tuple[Response | None, Session | None, Any]:
            session = con.session_of(request)
            if session is None:
                return error_reply("log in first", 401), None, None
            if not csrf_ok(session.csrf, request.headers.get("x-csrf-token")):
                return error_reply("csrf: missing or wrong X-CSRF-Token", 403), None, None
            if not session.user.can(permission):
                role = session.user.role
                return error_reply(f"role {role} may not do this ({permission})", 403), None, None
            if not isinstance(body, dict):
                return error_reply("the body must be a JSON object", 400), None, None
            params = request.path_params
            if judgement:
                if body.get("judge") != session.user.username:
                    return error_reply("judge: must be the judge logged in", 403), None, None
                try:
                    ev = con.comp.event(params["event"])
                    aspect = mk.aspect_of(con.comp, ev, str(body.get("aspect", "")))
                except Exception as exc:
                    return error_reply(str(exc).strip("'\""), 400), None, None
                if mk.locks(con.db, ev.id).get(aspect.module, False):
                    return (
                        error_reply(f"the marks of module {aspect.module} are locked", 409),
                        None,
                        None,
                    )
                key = (str(body.get("competitor", "")), aspect.id)
                mine = mk.latest_scores(con.comp, ev.id).get(key, {}).get(session.user.username)
                return None, session, None if mine is None else mk.plain(mine["score"])
            return None, session, None

        refused, session, old = await run_in_threadpool(check)
        if refused is not None:
            return refused
        assert session is not None and isinstance(body, dict)
        response = await _call(route, request)
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
                audit.append, con.db, session.user.username, action, subject, old, new, reason
            )
        return response

    return endpoint
