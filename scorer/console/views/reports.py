"""Evidence reports of a competitor: HTML, and PDF through headless Chromium."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ...accounts.auth import Session
from .. import report
from ..marks import ConsoleError
from .common import NO_STORE, SECURITY_HEADERS, ConsoleApp, view


def report_html_of(con: ConsoleApp, request: Request, inline_css: bool) -> str:
    ev = con.event_or_404()
    competitor = request.path_params["contestant"]
    try:
        ev.competitor(competitor)
    except Exception:
        raise ConsoleError(f"no competitor {competitor!r}", 404) from None
    stations = ev.stations_of_competitor(competitor)
    return report.build(
        con.comp,
        con.db,
        con.store,
        ev,
        competitor,
        con.lang_of(request),
        calibration={st: con.calibration(st) for st in stations},
        inline_css=inline_css,
    )


@view("report", page=True)
def report_html(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    html = report_html_of(con, request, inline_css=False)
    return HTMLResponse(html, headers={**SECURITY_HEADERS, **NO_STORE})


@view("report", page=True)
def report_pdf(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    html = report_html_of(con, request, inline_css=True)
    pdf = report.to_pdf(html, con.settings.chromium)
    name = request.path_params["contestant"]
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": f'inline; filename="evidence-{name}.pdf"',
        },
    )
