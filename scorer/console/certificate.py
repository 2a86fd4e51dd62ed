"""The printable certificate: an A4 page made from the signed credential itself (who, which
standard and version, marks per criterion, where and when, benches and calibrations) with a QR
code that points to the credential (``<centre>/credentials/<uuid>``, served by the scorer) and
the SHA-256 of the credential file, printed to PDF by headless Chromium like the evidence
report. The credential file, not the paper, is what verifies: the page says how.
"""

from __future__ import annotations

import hashlib
from html import escape
from importlib.resources import files
from typing import Any

import segno

from . import report


def credential_url(centre_url: str, credential_id: str) -> str:
    """Where the scorer serves the credential (the QR code's content)."""
    return f"{centre_url.rstrip('/')}/credentials/{credential_id.removeprefix('urn:uuid:')}"


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as inline SVG (error correction M)."""
    return str(segno.make(text, error="m").svg_inline(scale=3, border=2))


def certificate_html(credential: dict[str, Any], body: bytes, centre_url: str) -> str:
    """The certificate page of ``credential`` (``body``: the credential file's bytes)."""
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
        status = f" · {escape(r['status'])}" if r.get("status") else ""
        rows.append(
            f"<tr><td>{escape(d.get('name', ''))}</td><td class='num'>{escape(r['value'])} / "
            f"{escape(d.get('valueMax', ''))}{status}</td></tr>"
        )
    evidence = "".join(
        f"<li>{escape(e.get('name', ''))}: {escape(e.get('description', ''))}</li>"
        for e in credential.get("evidence", [])
    )
    url = credential_url(centre_url, credential["id"])
    digest = hashlib.sha256(body).hexdigest()
    css = (files("scorer") / "static" / "report.css").read_text(encoding="utf-8")
    issuer = credential["issuer"]
    passed = any(r.get("status") == "Completed" for r in sub.get("result", []))
    verdict = "has passed" if passed else "was assessed in (not passed)"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(credential['name'])}</title><style>{css}"
        ".qr{float:right;margin-left:6mm;text-align:center;font-size:8pt}"
        ".holder{font-size:20pt;font-weight:700;margin:4mm 0}</style></head><body>"
        f'<div class="qr">{qr_svg(url)}<br>scan: the credential file</div>'
        f"<h1>{escape(issuer.get('name', ''))}</h1><p class='meta'>certifies that</p>"
        f"<p class='holder'>{escape(names[0] if names else '')}</p>"
        f"<p>{verdict} <strong>{escape(ach['name'])}</strong> (standard "
        f"{escape(ach.get('humanCode', ''))}, version {escape(ach.get('version', ''))}).</p>"
        f"<p>{escape(ach['criteria'].get('narrative', ''))}</p>"
        f"<h2>Marks</h2><table>{''.join(rows)}</table>"
        f"<h2>Evidence</h2><ul>{evidence}</ul>"
        f"<h2>Verification</h2><p class='meta'>Credential {escape(credential['id'])}, issued "
        f"{escape(credential['validFrom'])} by {escape(issuer['id'])}.<br>"
        f"File SHA-256 {digest}.<br>Check the file offline with <code>benchscore verify "
        f"FILE</code>, or upload it at {escape(centre_url.rstrip('/'))}/verify.</p>"
        "</body></html>"
    )


def certificate_pdf(
    credential: dict[str, Any], body: bytes, centre_url: str, chromium: str | None = None
) -> bytes:
    """The certificate as PDF (headless Chromium)."""
    return report.to_pdf(certificate_html(credential, body, centre_url), chromium)
