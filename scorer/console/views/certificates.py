"""The public certificate pages: ``/verify`` (anyone uploads a credential or skill record and
sees whether it is valid: the same checks as ``benchscore verify``, pinned to this centre's key
and its current revocations) and ``/credentials/status/1`` (the centre's signed Bitstring
Status List, the ``statusListCredential`` every certificate names)."""

from __future__ import annotations

import json
import time
from html import escape
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..i18n import t
from .common import NO_STORE, ConsoleApp, error_reply, origin_ok

if TYPE_CHECKING:
    from ...credentials.centre import Centre

MAX_UPLOAD = 512 * 1024
"""A skill record of many credentials stays far below this (one credential: ~4 KB)."""


def _centre(request: Request) -> Centre | None:
    return getattr(request.app.state, "centre", None)


def current_status_list(con: ConsoleApp, centre: Centre) -> dict[str, Any]:
    """The status list as of now, signed by the centre."""
    # imported here: a scorer without the 'credentials' extra still serves everything else
    from ...credentials.status import status_list_credential
    from ...training.assessment import revoked_indexes

    return status_list_credential(centre, revoked_indexes(con.store.db), time.time())


async def verify_page(con: ConsoleApp, request: Request) -> Response:
    session = con.session_of(request)
    lang = con.lang_of(request)
    frame = con.frame(
        request,
        session,
        "verify",
        "title.verify",
        scripts=("/static/verify.js",),
        styles=("/static/training.css",),
    )
    html = bytes(frame.body).decode("utf-8")
    form = (
        f'<p class="meta">{escape(t(lang, "ver.intro"))}</p>'
        f'<p><label for="credential-file">{escape(t(lang, "ver.file"))}</label> '
        '<input type="file" id="credential-file" accept=".json,application/json"></p>'
        '<div id="verdict" aria-live="polite"></div>'
    )
    start = html.index('<div id="content">') + len('<div id="content">')
    end = html.index("</div></main>", start)
    headers = {k: v for k, v in frame.headers.items() if k.lower() != "content-length"}
    return HTMLResponse(html[:start] + form + html[end:], headers=headers)


async def api_verify(con: ConsoleApp, request: Request) -> Response:
    """POST the file's JSON: ``{valid: true, credentials: [...]}`` or ``{valid: false, code,
    reason}`` (``code``: the kind of failure, named in the reader's language; ``reason``: the
    verifier's English line, shown beneath it)."""
    if not origin_ok(request):
        return error_reply("cross-origin request refused", 403)
    raw = await request.body()
    if len(raw) > MAX_UPLOAD:
        return error_reply(f"file larger than {MAX_UPLOAD // 1024} KB", 413)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return JSONResponse(
            {"valid": False, "code": "malformed", "reason": "the file is not JSON"},
            headers=NO_STORE,
        )
    centre = _centre(request)

    def work() -> dict[str, Any]:
        if centre is None:
            return {
                "valid": False,
                "code": "no_centre",
                "reason": "this scorer issues no certificates",
            }
        from benchscore.vc.verify import VerificationFailed, verify_document

        try:
            results = verify_document(
                doc,
                pinned=centre.identity.public.raw,
                status_list=current_status_list(con, centre),
            )
        except VerificationFailed as exc:
            return {"valid": False, "code": exc.code, "reason": str(exc)}
        return {
            "valid": True,
            "credentials": [
                {
                    "id": r.id,
                    "issuer": r.issuer_name or r.issuer,
                    "holder": r.subject,
                    "standard": r.achievement,
                    "issued": r.valid_from,
                    "status": r.status,
                    "status_code": r.revocation.code,
                    "status_date": r.revocation.date,
                    "results": r.results,
                }
                for r in results
            ],
        }

    return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)


async def api_credential(con: ConsoleApp, request: Request) -> Response:
    """A stored credential by its uuid (what the certificate's QR code points to)."""
    cid = "urn:uuid:" + request.path_params["cid"]

    def work() -> str | None:
        with con.store.db.read() as tx:
            row = tx.one("SELECT body FROM credentials WHERE id = ?", (cid,))
        return None if row is None else str(row["body"])

    body = await run_in_threadpool(work)
    if body is None:
        return error_reply("no such credential", 404)
    return Response(body, media_type="application/json", headers=NO_STORE)


async def api_status_list(con: ConsoleApp, request: Request) -> Response:
    centre = _centre(request)
    if centre is None:
        return error_reply("this scorer issues no certificates", 404)
    doc = await run_in_threadpool(current_status_list, con, centre)
    return JSONResponse(doc, headers={"Cache-Control": "max-age=300"})
