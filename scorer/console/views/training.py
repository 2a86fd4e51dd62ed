"""The training pages: a trainee's progress (``/console/training/me``), a trainer's groups
(``/console/training``, ``/console/training/group/{group}``) and the trainer's time limit and
target (``POST /console/api/training/group/{group}/limits``). Pages are drawn on the server
(:mod:`scorer.console.training_pages`) inside the console's frame."""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ...accounts.auth import Session
from ...training import store as tr
from .. import training_pages as pages
from ..marks import ConsoleError
from .common import ConsoleApp, view


def _framed(con: ConsoleApp, request: Request, s: Session | None, title_key: str, body: str) -> Any:
    frame = con.frame(
        request,
        s,
        "training",
        title_key,
        styles=("/static/training.css",),
        scripts=("/static/training.js",),
    )
    html = bytes(frame.body).decode("utf-8")
    start = html.index('<div id="content">') + len('<div id="content">')
    end = html.index("</div></main>", start)
    out = html[:start] + body + html[end:]
    headers = {k: v for k, v in frame.headers.items() if k.lower() != "content-length"}
    return HTMLResponse(out, status_code=frame.status_code, headers=headers)


def _group_for(con: ConsoleApp, s: Session | None, group_id: str) -> tr.Group:
    assert s is not None
    try:
        g = tr.group(con.store.db, group_id)
    except tr.TrainingError:
        raise ConsoleError(f"no training group {group_id!r}", 404) from None
    if s.user.role != "admin" and g.trainer != s.user.username:
        raise ConsoleError(f"group {group_id} is another trainer's", 403)
    return g


@view("training_own", page=True)
def trainee_page(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    lang = con.lang_of(request)
    try:
        who = tr.trainee(con.store.db, s.user.username)
    except tr.TrainingError:
        raise ConsoleError("your account is not a trainee of any group", 404) from None
    g = tr.group(con.store.db, who["group_id"])
    content = pages.trainee_html(lang, who, g, tr.attempts_of(con.store.db, who["username"]))
    return _framed(con, request, s, "title.training_me", content)


@view("training_group", page=True)
def trainer_home(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    assert s is not None
    items = "".join(
        f'<li><a href="/console/training/group/{escape(g.id)}">{escape(g.name)}</a></li>'
        for g in tr.groups_of_trainer(con.store.db, s.user.username)
    )
    return _framed(con, request, s, "title.training_group", f'<ul id="groups">{items}</ul>')


@view("training_group", page=True)
def group_page(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    g = _group_for(con, s, request.path_params["group"])
    lang = con.lang_of(request)
    people = [
        (m, tr.attempts_of(con.store.db, m["username"])) for m in tr.members(con.store.db, g.id)
    ]
    content = f"<h2><bdi>{escape(g.name)}</bdi></h2>" + pages.group_html(lang, g, people)
    return _framed(con, request, s, "title.training_group", content)


def _seconds(body: dict[str, Any], key: str) -> float | None:
    v = body.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConsoleError(f"{key}: a number of seconds or null, not {v!r}", 400)
    return float(v)


@view("training_group", write=True)
def api_limits(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    g = _group_for(con, s, request.path_params["group"])
    try:
        g = tr.set_limits(
            con.store.db, g.id, _seconds(body, "time_limit_s"), _seconds(body, "target_s")
        )
    except tr.TrainingError as exc:
        raise ConsoleError(str(exc), 400) from None
    return {"group": g.id, "time_limit_s": g.time_limit_s, "target_s": g.target_s}
