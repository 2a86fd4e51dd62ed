"""The route table: every page and endpoint of the console, in one place. The access each needs
is declared with the handler (:func:`~.common.view`); the JavaScript pages are declared here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...accounts.auth import Session
from . import (
    accounts,
    board,
    certificates,
    control,
    evidence,
    fleet,
    hall,
    judging,
    login,
    reports,
    training,
)
from .common import ConsoleApp, Endpoint, View, view

RawHandler = Callable[["ConsoleApp", Request], Awaitable[Response]]
"""An endpoint that checks access itself (login, the live stream) and is given the console."""


def simple_page(permission: str, page: str, title_key: str, **kw: Any) -> View:
    """A page that is only the frame (``console.js`` fills it), behind ``permission``."""

    def handler(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
        return con.frame(request, s, page, title_key, **kw)

    handler.__name__ = f"page_{page}"
    return view(permission, page=True)(handler)


def route_table(con: ConsoleApp) -> list[Route]:
    """The console's routes, each handler bound to ``con``."""
    ep = con.bind

    def raw(fn: RawHandler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await fn(con, request)

        endpoint.__name__ = fn.__name__
        return endpoint

    def page(permission: str, name: str, title_key: str, **kw: Any) -> Endpoint:
        return ep(simple_page(permission, name, title_key, **kw))

    hall_page = page(
        "hall", "hall", "title.hall", scripts=("/static/hall.js",), styles=("/static/hall.css",)
    )
    screen_page = page(
        "hall",
        "screen",
        "title.screen",
        scripts=("/static/hall.js",),
        styles=("/static/hall.css",),
    )
    return [
        # pages
        Route("/", ep(login.landing)),
        Route("/login", raw(login.login_page_ep)),
        Route("/board", ep(board.board_page)),
        Route("/console", hall_page),
        Route("/console/hall", hall_page),
        Route("/console/screen", screen_page),
        Route("/console/station/{station}", ep(hall.station_page)),
        Route("/console/judge", page("marks_view", "judge", "title.judge")),
        Route("/console/control", page("control", "control", "title.control")),
        Route(
            "/console/fleet",
            page("fleet", "fleet", "title.fleet", scripts=("/static/fleet.js",)),
        ),
        Route("/console/audit", page("audit", "audit", "title.audit")),
        Route("/console/users", page("users", "users", "title.users")),
        Route("/console/me", page("own_results", "me", "title.me")),
        Route("/verify", raw(certificates.verify_page)),
        Route("/verify/check", raw(certificates.api_verify), methods=["POST"]),
        Route("/credentials/status/1", raw(certificates.api_status_list)),
        Route("/credentials/{cid}", raw(certificates.api_credential)),
        Route("/console/training/me", ep(training.trainee_page)),
        Route("/console/training", ep(training.trainer_home)),
        Route("/console/training/group/{group}", ep(training.group_page)),
        Route(
            "/console/api/training/group/{group}/limits",
            ep(training.api_limits),
            methods=["POST"],
        ),
        Route("/console/report/{contestant}.pdf", ep(reports.report_pdf)),
        Route("/console/report/{contestant}", ep(reports.report_html)),
        # logging in, the board
        Route("/console/api/login", raw(login.api_login), methods=["POST"]),
        Route("/console/api/logout", ep(login.api_logout), methods=["POST"]),
        Route("/console/api/me", ep(login.api_me)),
        Route("/console/api/board", ep(board.api_board)),
        # the hall and its stations
        Route("/console/api/hall", ep(hall.api_hall)),
        Route("/console/api/live", raw(hall.api_live)),
        Route("/console/api/station/{station}", ep(hall.api_station)),
        Route("/console/api/station/{station}/curve", ep(hall.api_curve)),
        Route("/console/api/station/{station}/image", ep(evidence.api_image)),
        Route("/console/api/station/{station}/command", ep(hall.api_command), methods=["POST"]),
        # judging
        Route("/console/api/marks", ep(judging.api_marks)),
        Route("/console/api/marks/{competitor}", ep(judging.api_mark_sheet)),
        Route("/console/api/judgements", ep(judging.api_judgement), methods=["POST"]),
        Route("/console/api/overrides", ep(judging.api_override), methods=["POST"]),
        # the chief expert
        Route("/console/api/competition", ep(control.api_competition)),
        Route(
            "/console/api/competition/{module}/{action}",
            ep(control.api_competition_action),
            methods=["POST"],
        ),
        # fleet, audit
        Route("/console/api/fleet", ep(fleet.api_fleet)),
        Route("/console/api/fleet/adopt", ep(fleet.api_adopt), methods=["POST"]),
        Route("/console/api/fleet/revoke", ep(fleet.api_revoke), methods=["POST"]),
        Route("/console/api/fleet/replace", ep(fleet.api_replace), methods=["POST"]),
        Route("/console/api/audit", ep(fleet.api_audit)),
        Route("/console/api/audit/export", ep(fleet.api_audit_export)),
        # a contestant
        Route("/console/api/results/me", ep(board.api_my_results)),
        # accounts
        Route("/console/api/users", ep(accounts.api_users), methods=["GET"]),
        Route("/console/api/users", ep(accounts.api_add_user), methods=["POST"]),
    ]
