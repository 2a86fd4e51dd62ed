"""The printable certificate: an A4 page made from the signed credential itself (who, which
standard and version, marks per criterion, where and when, benches and calibrations) with a QR
code that points to the credential (``<centre>/credentials/<uuid>``, served by the scorer) and
the SHA-256 of the credential file, printed to PDF by headless Chromium like the evidence
report. The credential file, not the paper, is what verifies: the page says how.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from html import escape
from importlib.resources import files
from typing import Any

import segno

from . import report
from .i18n import direction, html_lang, t, when
from .messages import MESSAGES


def credential_url(centre_url: str, credential_id: str) -> str:
    """Where the scorer serves the credential (the QR code's content)."""
    return f"{centre_url.rstrip('/')}/credentials/{credential_id.removeprefix('urn:uuid:')}"


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as inline SVG (error correction M)."""
    return str(segno.make(text, error="m").svg_inline(scale=3, border=2))


def certificate_html(
    credential: dict[str, Any], body: bytes, centre_url: str, lang: str = "en"
) -> str:
    """The certificate page of ``credential`` (``body``: the credential file's bytes), its
    words in ``lang``; what the credential states (names, the standard, criteria) as stated."""
    sub = credential["credentialSubject"]
    ach = sub["achievement"]
    names = [
        str(i["identityHash"])
        for i in sub.get("identifier", [])
        if i.get("identityType") == "name" and i.get("hashed") is False
    ]
    described = {d["id"]: d for d in ach.get("resultDescription", [])}
    rows = []
    for r in sub.get("result", []):
        d = described.get(r.get("resultDescription"), {})
        status = ""
        if r.get("status"):
            key = f"cert.result.{r['status']}"
            status = f" · {escape(t(lang, key) if key in MESSAGES else r['status'])}"
        rows.append(
            f"<tr><td dir='auto'>{escape(d.get('name', ''))}</td><td class='num'><bdi dir='ltr'>"
            f"{escape(r['value'])} / {escape(d.get('valueMax', ''))}</bdi>{status}</td></tr>"
        )
    evidence = "".join(
        f"<li><bdi>{escape(e.get('name', ''))}: {escape(e.get('description', ''))}</bdi></li>"
        for e in credential.get("evidence", [])
    )
    url = credential_url(centre_url, credential["id"])
    digest = hashlib.sha256(body).hexdigest()
    css = (files("scorer") / "static" / "report.css").read_text(encoding="utf-8")
    issuer = credential["issuer"]
    passed = any(r.get("status") == "Completed" for r in sub.get("result", []))
    verdict = t(
        lang,
        "cert.passed" if passed else "cert.not_passed",
        achievement=f"<strong>{escape(ach['name'])}</strong>",
        code=_ltr(ach.get("humanCode", "")),
        version=_ltr(ach.get("version", "")),
    )
    issued = t(
        lang,
        "cert.issued",
        id=_ltr(credential["id"]),
        when=escape(_issued(lang, credential["validFrom"])),
        issuer=_ltr(issuer["id"]),
    )
    check = t(
        lang,
        "cert.check",
        command="<code dir='ltr'>benchscore verify FILE</code>",
        url=_ltr(centre_url.rstrip("/") + "/verify"),
    )
    return (
        f'<!doctype html><html lang="{html_lang(lang)}" dir="{direction(lang)}"><head>'
        f"<meta charset='utf-8'><title>{escape(credential['name'])}</title><style>{css}"
        ".qr{float:inline-end;margin-inline-start:6mm;text-align:center;font-size:8pt}"
        ".holder{font-size:20pt;font-weight:700;margin:4mm 0}</style></head><body>"
        f'<div class="qr">{qr_svg(url)}<br>{escape(t(lang, "cert.scan"))}</div>'
        f"<h1>{escape(issuer.get('name', ''))}</h1>"
        f"<p class='meta'>{escape(t(lang, 'cert.certifies'))}</p>"
        f"<p class='holder'><bdi>{escape(names[0] if names else '')}</bdi></p>"
        f"<p>{verdict}</p>"
        f"<p dir='auto'>{escape(ach['criteria'].get('narrative', ''))}</p>"
        f"<h2>{escape(t(lang, 'cert.marks'))}</h2><table>{''.join(rows)}</table>"
        f"<h2>{escape(t(lang, 'cert.evidence'))}</h2><ul>{evidence}</ul>"
        f"<h2>{escape(t(lang, 'cert.verification'))}</h2><p class='meta'>{issued}<br>"
        f"{t(lang, 'cert.digest', digest=_ltr(digest))}<br>{check}</p>"
        "</body></html>"
    )


def _ltr(text: str) -> str:
    """An id, code or address kept left to right inside a sentence of any direction."""
    return f"<bdi dir='ltr'>{escape(text)}</bdi>"


def _issued(lang: str, stamp: str) -> str:
    """The credential's ``validFrom`` as the reader writes a date and time (as given if not
    a date-time)."""
    try:
        return when(lang, dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return stamp


def certificate_pdf(
    credential: dict[str, Any],
    body: bytes,
    centre_url: str,
    chromium: str | None = None,
    lang: str = "en",
) -> bytes:
    """The certificate as PDF in ``lang`` (headless Chromium)."""
    return report.to_pdf(certificate_html(credential, body, centre_url, lang), chromium)
