"""The contestant screen's HTTP server: Starlette on uvicorn, in a daemon thread of its own.

Routes: ``/`` the page (texts of the reader's language embedded), ``/view`` the station's
view as JSON (the page polls it twice a second), ``/answer`` (POST, JSON ``{"prompt": id,
"value": ...}`` with the page's token in ``X-Screen-Token``) answers the open prompt as
``touchscreen``, ``/static/*`` the script and style. Nothing here reaches the hardware: it
reads the :class:`~firmware_py.contestant_screen.ScreenFeed` and calls
:meth:`~firmware_py.operator_io.PromptDesk.answer`.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import secrets
import socket
import threading
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from firmware_py.operator_io import PromptDesk

from .feed import ScreenFeed
from .i18n import HTML_LANG, LANGS, autonyms, catalog, direction, pick_lang

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
LANG_COOKIE = "bs_lang"
MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="static/screen.css">
<script type="application/json" id="cfg">{cfg}</script>
<script src="static/screen.js" defer></script>
</head>
<body>
<header><span id="who"></span><span id="clock" class="clock"></span></header>
<main id="main"><section id="banner" class="banner state-idle"></section></main>
<footer><span id="conn"></span><nav id="langs"></nav></footer>
</body>
</html>
"""


def build_app(feed: ScreenFeed, desk: PromptDesk, token: str) -> Starlette:
    """The page's application (a fresh ``token`` per start: another site cannot answer)."""

    async def page(request: Request) -> Response:
        lang = pick_lang(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )
        texts = catalog(lang)
        cfg = {"lang": lang, "texts": texts, "token": token, "langs": autonyms()}
        body = PAGE.format(
            lang=HTML_LANG.get(lang, lang),
            dir=direction(lang),
            title=html.escape(texts["screen.title"].replace("{station}", "")),
            cfg=json.dumps(cfg, ensure_ascii=False).replace("</", "<\\/"),
        )
        response = HTMLResponse(body, headers={**NO_STORE, "Content-Security-Policy": CSP})
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
        return response

    async def view(request: Request) -> Response:
        return JSONResponse(feed.snapshot(), headers=NO_STORE)

    async def answer(request: Request) -> Response:
        if request.headers.get("x-screen-token") != token:
            return JSONResponse({"ok": False, "detail": "reload the page"}, 403)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return JSONResponse({"ok": False, "detail": "request too large"}, 413)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return JSONResponse({"ok": False, "detail": 'expected {"prompt": id, "value"}'}, 400)
        ok, detail = desk.answer(body["prompt"], body.get("value"), "touchscreen")
        return JSONResponse({"ok": ok, "detail": detail}, 200 if ok else 409)

    return Starlette(
        routes=[
            Route("/", page),
            Route("/view", view),
            Route("/answer", answer, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


class ScreenServer:
    """uvicorn serving :func:`build_app` on a socket bound before the thread starts (a busy
    port is an OSError for the caller, not a dead thread)."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket, thread: threading.Thread):
        self._server, self._sock, self._thread = server, sock, thread
        host, port = sock.getsockname()[:2]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    @classmethod
    def start(cls, feed: ScreenFeed, desk: PromptDesk, host: str, port: int) -> ScreenServer:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.listen(16)
        app = build_app(feed, desk, secrets.token_urlsafe(16))
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=5
        )
        server = uvicorn.Server(config)

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except Exception:  # the page is optional: the station carries on without it
                log.exception("contestant screen stopped")

        thread = threading.Thread(target=run, name="contestant-screen", daemon=True)
        thread.start()
        made = cls(server, sock, thread)
        log.info("contestant screen at %s", made.url)
        return made

    def stop(self, timeout_s: float = 3.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self._sock.close()
