"""Accounts: the list of users and adding one (the chief expert's ``users`` permission)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ...accounts import audit
from ...accounts.auth import ROLES, Session, add_user, generate_password, list_users
from .common import ConsoleApp, view


@view("users")
def api_users(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    return {"users": list_users(con.db), "roles": list(ROLES)}


@view("users", write=True)
def api_add_user(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    username = str(body.get("username", ""))
    role = str(body.get("role", ""))
    given = body.get("password")
    password = given if isinstance(given, str) and given else generate_password()
    contestant = body.get("contestant") or None
    user = add_user(
        con.db,
        username,
        role,
        password,
        display_name=str(body.get("display_name") or username),
        contestant=str(contestant) if contestant else None,
    )
    audit.append(
        con.db,
        s.user.username,
        "user.add",
        username,
        None,
        {"role": role, "contestant": user.contestant},
    )
    return {"user": user.public(), "password": None if given else password}
