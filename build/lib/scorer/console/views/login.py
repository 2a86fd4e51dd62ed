"""Logging in and out: the landing page, the login page, and who is logged in."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..auth import (
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
from .common import MAX_BODY, NO_STORE, error_reply, json_reply, origin_ok, safe_next, view

if TYPE_CHECKING:
    from .console import Console


@view(None, login=False, page=True)
def landing(con: Console, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    if s is not None:
        return RedirectResponse(HOME[s.user.role], 302)
    # a visitor: the public board, under the hall's own name
    return con.frame(request, s, "board", "title.landing", bare_title=True)


def login_page(con: Console, request: Request) -> Response:
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


async def login_page_ep(con: Console, request: Request) -> Response:
    return await run_in_threadpool(login_page, con, request)


async def api_login(con: Console, request: Request) -> Response:
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
    address = request.client.host if request.client else "?"
    wait = con.limiter.check(address, username)
    if wait > 0:
        return JSONResponse(
            {"error": "too many failed logins", "retry_after_s": round(wait)},
            status_code=429,
            headers={**NO_STORE, "Retry-After": str(max(1, round(wait)))},
        )
    user = await run_in_threadpool(authenticate, con.db, username[:64], password[:256])
    if user is None:
        con.limiter.failed(address, username)
        return error_reply("wrong user name or password", 401)
    con.limiter.succeeded(username)
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


@view(None, write=True)
def api_logout(con: Console, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    close_session(con.db, s)
    resp = json_reply({"ok": True})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@view(None)
def api_me(con: Console, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    return {"user": s.user.public(), "home": HOME[s.user.role]}
