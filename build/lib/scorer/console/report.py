"""The evidence report of one contestant: HTML with SVG plots, and PDF through headless Chromium.

Contents: the contestant and station, the marks (every aspect, the judges' scores, overrides
with their reasons), every run with its measurements and limits, each run's curves (a line chart
per quantity; a dimming curve as output against level; an illuminance grid as a heat map), the
calibration ids the station reported, and the audit chain's head when the report was made.

The PDF is the same HTML with its style inline, printed by ``chromium --headless
--print-to-pdf`` (the Debian package; no browser is downloaded).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from ..competition import Competition, EventDef
from ..store import Store
from . import audit
from . import marks as mk
from .db import ConsoleDB
from .i18n import t
from .svgplot import heat_map, line_chart

log = logging.getLogger(__name__)

CHROMIUM_CANDIDATES: Final = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)
_UNITS: Final = {
    "_v": "V",
    "_a": "A",
    "_w": "W",
    "_lx": "lx",
    "_c": "°C",
    "_s": "s",
    "_wh": "Wh",
    "_mah": "mAh",
    "_pct": "%",
    "_m": "m",
}


class ReportError(RuntimeError):
    pass


def chromium_binary() -> str | None:
    env = os.environ.get("BENCHSCORE_CHROMIUM")
    if env:
        return env
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return next((c for c in CHROMIUM_CANDIDATES if os.access(c, os.X_OK)), None)


def _label(column: str) -> tuple[str, str]:
    for suffix, unit in _UNITS.items():
        if column.lower().endswith(suffix):
            return column[: -len(suffix)], unit
    return column, ""


def plot_curve(lang: str, name: str, data: dict[str, list[float]]) -> str:
    """SVG for one curve, chosen by its columns."""
    cols = list(data)
    if not cols:
        return ""
    lower = {c.lower(): c for c in cols}
    xk = next((lower[k] for k in ("x_m", "x") if k in lower), None)
    yk = next((lower[k] for k in ("y_m", "y") if k in lower), None)
    if xk and yk:
        vk = next((c for c in cols if c not in (xk, yk)), None)
        if vk is not None:
            _, unit = _label(vk)
            return heat_map(
                f"{t(lang, 'report.heat_map')} · {name}", data[xk], data[yk], data[vk], unit
            )
    x = cols[0]
    xl, xu = _label(x)
    x_title = t(lang, "report.time") if x == "t_s" else f"{xl} ({xu})" if xu else xl
    title = name
    if "dimming" in name.lower() or xl.lower() in ("level", "duty"):
        title = f"{t(lang, 'report.dimming')} · {name}"
    elif "charge" in name.lower():
        title = f"{t(lang, 'report.charge')} · {name}"
    # one chart per unit, so a voltage and a current do not share an axis
    by_unit: dict[str, list[tuple[str, list[float]]]] = {}
    for c in cols[1:]:
        label, unit = _label(c)
        by_unit.setdefault(unit, []).append((label, data[c]))
    charts = []
    for unit, series in list(by_unit.items())[:4]:
        y_title = ", ".join(s[0] for s in series) + (f" ({unit})" if unit else "")
        charts.append(line_chart(f"{title} · {y_title}", data[x], series, x_title, y_title))
    return "".join(charts)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    return escape(str(v))


def _limits(lim: dict[str, float]) -> str:
    lo, hi = lim.get("low"), lim.get("high")
    if lo is None and hi is None:
        return "—"
    if hi is None:
        return f"≥ {_fmt(lo)}"
    if lo is None:
        return f"≤ {_fmt(hi)}"
    return f"{_fmt(lo)} … {_fmt(hi)}"


def build(
    comp: Competition,
    db: ConsoleDB,
    store: Store,
    ev: EventDef,
    competitor: str,
    lang: str,
    *,
    calibration: dict[str, dict[str, Any]] | None = None,
    inline_css: bool = False,
) -> str:
    """The report of ``competitor`` as a complete HTML document."""
    who = ev.competitor(competitor)
    stations = ev.stations_of_competitor(competitor)
    rows = mk.mark_rows(comp, db, ev, [competitor])
    tot = mk.totals(rows).get(competitor, {"total": 0.0, "max": 0.0})
    chain = audit.head(db)
    title = f"{t(lang, 'title.report')} · {who.name} ({who.id})"
    if inline_css:
        css = (files("scorer") / "static" / "report.css").read_text(encoding="utf-8")
        style = f"<style>{css}</style>"
    else:
        style = '<link rel="stylesheet" href="/static/report.css">'
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime())
    out = [
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{escape(title)}</title>{style}</head><body>',
        f"<header><h1>{escape(title)}</h1><p class='meta'>{escape(ev.name)} · "
        f"{t(lang, 'report.station')}: {escape(', '.join(stations) or '—')} · "
        f"{t(lang, 'report.generated')}: {stamp}</p></header>",
    ]
    if not inline_css:
        out.append(
            f'<p class="noprint"><a id="pdf-link" href="/console/report/{escape(competitor)}.pdf'
            f'?lang={lang}">{t(lang, "report.pdf")}</a></p>'
        )
    # marks
    out.append(
        f"<section><h2>{t(lang, 'report.marks')}</h2><table><tr>"
        f"<th>{t(lang, 'common.module')}</th><th>{t(lang, 'judge.aspect')}</th>"
        f"<th>{t(lang, 'report.detail')}</th><th>{t(lang, 'common.mark')}</th>"
        f"<th>{t(lang, 'common.max')}</th></tr>"
    )
    for r in rows:
        detail = escape(r["detail"] or "")
        if r["judges"]:
            scores = ", ".join(f"{escape(j['judge'])}: {j['score']:g}" for j in r["judges"])
            detail = f"{t(lang, 'report.scores')}: {scores}<br>{detail}"
        if r["status"] == "spread":
            detail += f" <span class='warn'>⚠ {t(lang, 'judge.spread')}</span>"
        if r["override"]:
            ov = r["override"]
            detail += (
                f"<div class='override'>{escape(t(lang, 'judge.overridden', reason=ov['reason']))}"
                f" — {escape(ov['entered_by'])} ({_fmt(r['computed'])} → {_fmt(ov['mark'])})</div>"
            )
        out.append(
            f"<tr><td>{escape(r['module'])}</td><td>{escape(r['aspect'])} "
            f"{escape(r['description'])}</td><td>{detail}</td>"
            f"<td class='num'>{_fmt(r['mark'])}</td><td class='num'>{_fmt(r['max_mark'])}</td></tr>"
        )
    out.append(
        f"<tr class='total'><td colspan='3'>{t(lang, 'common.total')}</td>"
        f"<td class='num'>{_fmt(tot['total'])}</td><td class='num'>{_fmt(tot['max'])}"
        "</td></tr></table></section>"
    )
    # calibration: the ids each run applied (result records), and what stations report
    runs = [(st, run) for st in stations for run in store.list_runs(station=st, limit=200)]
    applied: dict[str, list[str]] = {}
    for st, run in runs:
        applied[f"{st} · {run['run_id']}"] = run_calibrations(store, st, run)
    out.append(f"<section><h2>{t(lang, 'report.calibration')}</h2>")
    cal_rows = [
        (st, str(k), str(v))
        for st, cal in sorted((calibration or {}).items())
        for k, v in sorted(cal.items())
    ]
    cal_rows += [(where, "", cid) for where, ids in applied.items() for cid in ids]
    if cal_rows:
        out.append("<table>")
        for where, k, v in cal_rows:
            out.append(f"<tr><td>{escape(where)}</td><td>{escape(k)}</td><td>{escape(v)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p class='meta'>—</p>")
    out.append("</section>")
    # runs
    out.append(f"<section><h2>{t(lang, 'report.runs')}</h2>")
    for station, run in runs:
        out.append(_run_html(store, lang, station, run))
    out.append("</section>")
    out.append(
        f"<footer><p>{t(lang, 'report.audit')}: <code>{chain['hash']}</code> "
        f"({chain['count']})</p></footer></body></html>"
    )
    return "".join(out)


def run_calibrations(store: Store, station: str, run: dict[str, Any]) -> list[str]:
    """The calibration ids a run's result record names (``calibrations``)."""
    ids = run.get("calibrations")
    if ids is None:
        full = store.get_run(station, run["run_id"])
        ids = (full or {}).get("payload", {}).get("calibrations")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _run_html(store: Store, lang: str, station: str, run: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["ended_at"]))
    kind = "" if run.get("marked", True) else f" · {t(lang, 'report.self_check')}"
    out = [
        f"<div class='run'><h3>{escape(station)} · {escape(run['run_id'])} · "
        f"{escape(run['task'])} · {when}{kind} · <span class='outcome {escape(run['outcome'])}'>"
        f"{escape(t(lang, 'outcome.' + run['outcome']))}</span></h3>"
    ]
    if run["reason"]:
        out.append(f"<p class='meta'>{escape(run['reason'])}</p>")
    out.append(
        f"<table><tr><th>{t(lang, 'meas.name')}</th><th>{t(lang, 'meas.value')}</th>"
        f"<th>{t(lang, 'meas.unit')}</th><th>{t(lang, 'meas.limits')}</th>"
        f"<th>{t(lang, 'common.outcome')}</th></tr>"
    )
    for m in run["measurements"]:
        out.append(
            f"<tr><td>{escape(m['name'])}</td><td class='num'>{_fmt(m['value'])}</td>"
            f"<td>{escape(m['unit'])}</td><td>{_limits(m['limits'])}</td>"
            f"<td class='outcome {escape(m['outcome'])}'>"
            f"{escape(t(lang, 'outcome.' + m['outcome']))}</td></tr>"
        )
    out.append("</table>")
    names = store.curve_names(station, run["run_id"])
    if names:
        out.append(f"<h4>{t(lang, 'report.curves')}</h4><div class='plots'>")
        for name in names:
            out.append(plot_curve(lang, name, store.curve(station, run["run_id"], name)))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def to_pdf(html: str, chromium: str | None = None, timeout_s: float = 90.0) -> bytes:
    """Print ``html`` (a self-contained document) to PDF with headless Chromium."""
    binary = chromium or chromium_binary()
    if binary is None:
        raise ReportError("PDF needs Chromium (Debian package 'chromium'); it is not installed")
    with tempfile.TemporaryDirectory(prefix="benchscore-report-") as tmp:
        src = Path(tmp) / "report.html"
        dst = Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        argv = [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={dst}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(
                f"Chromium did not print the report within {timeout_s:.0f} s"
            ) from exc
        if not dst.exists() or dst.stat().st_size == 0:
            tail = proc.stderr.decode(errors="replace")[-500:]
            raise ReportError(f"Chromium printed no PDF (exit {proc.returncode}): {tail}")
        return dst.read_bytes()
