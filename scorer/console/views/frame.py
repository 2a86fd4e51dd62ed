"""The page frame: every console page is this frame around a ``<main>`` that ``console.js``
fills from the JSON endpoints. The frame carries the CSRF token and the language's texts in data
attributes and a JSON block, so no inline script is needed (the Content-Security-Policy forbids
it)."""

from __future__ import annotations

import json
from html import escape
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ...accounts.auth import PERMISSIONS, Session
from ..i18n import LANGS, direction, html_lang, js_catalog, lang_names, t
from .common import NO_STORE, SECURITY_HEADERS

NAV: Final[tuple[tuple[str, str, str | None], ...]] = (
    ("/console/hall", "nav.hall", "hall"),
    ("/console/judge", "nav.judge", "marks_view"),
    ("/console/control", "nav.control", "control"),
    ("/console/fleet", "nav.fleet", "fleet"),
    ("/console/audit", "nav.audit", "audit"),
    ("/console/users", "nav.users", "users"),
    ("/console/me", "nav.me", "own_results"),
    ("/console/training/me", "nav.training", "training_own"),
    ("/console/training", "nav.training", "training_group"),
    ("/board", "nav.board", None),
    ("/verify", "title.verify", None),
)
"""The navigation bar: (link, text key, the permission that shows it; None: everyone)."""


def render_frame(
    request: Request,
    lang: str,
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
    """The frame of ``page`` for ``session`` (None: a visitor) in ``lang``."""
    user = session.user if session else None
    links = "".join(
        f'<a href="{href}" class="{"here" if request.url.path == href else ""}" '
        f'data-nav="{key}">{escape(t(lang, key))}</a>'
        for href, key, perm in NAV
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
        "perms": " ".join(sorted(p for p in PERMISSIONS if user and user.can(p))),
        **(data or {}),
    }
    body_attrs = " ".join(f'data-{k}="{escape(v)}"' for k, v in attrs.items())
    catalog = json.dumps(js_catalog(lang), ensure_ascii=False).replace("<", "\\u003c")
    names = lang_names()
    choices = "".join(
        f'<option value="{code}"{" selected" if code == lang else ""} lang="{html_lang(code)}">'
        f"{escape(names[code])}</option>"
        for code in LANGS
    )
    title = t(lang, title_key) + (f" · {title_extra}" if title_extra else "")
    head_extra = "".join(f'<link rel="stylesheet" href="{s}">' for s in styles)
    tail_scripts = "".join(f'<script src="{s}" defer></script>' for s in scripts)
    html = (
        f'<!doctype html><html lang="{html_lang(lang)}" dir="{direction(lang)}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{escape(title if bare_title else title + " · benchscore")}'
        "</title>"
        f'<link rel="stylesheet" href="/static/console.css">{head_extra}'
        f'<script type="application/json" id="bs-i18n">{catalog}</script>'
        f'<script src="/static/console.js" defer></script>{tail_scripts}</head>'
        f"<body {body_attrs}>"
        f'<header class="top"><a class="brand" href="/">benchscore</a><nav>{links}</nav>'
        f'<span class="spacer"></span>{who}<select id="lang-switch" '
        f'aria-label="{escape(t(lang, "common.language"))}">{choices}</select>'
        "</header>"
        f'<div id="conn" class="conn" hidden>{escape(t(lang, "common.unreachable"))}</div>'
        f'<main id="main"><h1 id="title">{escape(title)}</h1><div id="content">'
        f'<p class="meta">{escape(t(lang, "common.loading"))}</p></div></main>'
        f"<noscript><p>{escape(t(lang, 'common.needs_js'))}</p></noscript></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **NO_STORE})
