"""Logging in and out: the landing page, the login page, and who is logged in."""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ...accounts.auth import (
    HOME,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL_S,
    Session,
    authenticate,
    close_session,
    csrf_ok,
    open_session,
)
from .common import (
    MAX_BODY,
    NO_STORE,
    ConsoleApp,
    error_reply,
    json_reply,
    origin_ok,
    safe_next,
    view,
)


@view(None, login=False, page=True)
def landing(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    if s is not None:
        return RedirectResponse(HOME[s.user.role], 302)
    # a visitor: the public board, under the hall's own name
    return con.frame(request, s, "board", "title.landing", bare_title=True)


def login_page(con: ConsoleApp, request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    session = con.session_of(request)
    nxt = safe_next(request.query_params.get("next")) or ""
    resp = con.frame(request, session, "login", "title.login", data={"next": nxt}, csrf=token)
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=con.settings.secure_cookies,
        path="/",
    )
    return resp


async def login_page_ep(con: ConsoleApp, request: Request) -> Response:
    return await run_in_threadpool(login_page, con, request)


async def api_login(con: ConsoleApp, request: Request) -> Response:
    if not origin_ok(request):
        return error_reply("cross-origin request refused", 403)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), request.headers.get("x-csrf-token")):
        return error_reply("csrf: missing or wrong X-CSRF-Token", 403)
    raw = await request.body()
    try:
        body = json.loads(raw) if len(raw) <= MAX_BODY else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return error_reply("body: expected {username, password}", 400)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error_reply("body: expected {username, password}", 400)
    name = username[:64]  # longer names exist nowhere; the limiter keeps at most this much
    # the TCP peer, or what a proxy in [http] trusted_proxies put in X-Forwarded-For
    address = request.client.host if request.client else "?"
    wait = con.limiter.check(address, name)
    if wait > 0:
        return _too_soon(wait)
    user = await run_in_threadpool(authenticate, con.db, name, password[:256])
    if user is None:
        con.limiter.failed(address, name)
        return error_reply("wrong user name or password", 401)
    con.limiter.succeeded(name)
    token, session = await run_in_threadpool(open_session, con.db, user)
    nxt = safe_next(body.get("next")) if isinstance(body.get("next"), str) else None
    resp = json_reply({"ok": True, "user": user.public(), "home": nxt or HOME[user.role]})
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL_S),
        httponly=True,
        samesite="strict",
        secure=con.settings.secure_cookies,
        path="/",
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return resp


def _too_soon(wait_s: float) -> Response:
    """429 with the whole seconds to wait (at least 1) in ``Retry-After`` and the body."""
    seconds = max(1, math.ceil(wait_s))
    return JSONResponse(
        {"error": "too many failed logins: try again later", "retry_after_s": seconds},
        status_code=429,
        headers={**NO_STORE, "Retry-After": str(seconds)},
    )


@view(None, write=True)
def api_logout(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    close_session(con.db, s)
    resp = json_reply({"ok": True})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@view(None)
def api_me(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    return {"user": s.user.public(), "home": HOME[s.user.role]}
