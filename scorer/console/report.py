"""The evidence report of one contestant: HTML with SVG plots, and PDF through headless Chromium.

Contents: the contestant and station, the marks (every aspect, the judges' scores, overrides
with their reasons), every run with its measurements and limits, each run's curves (a line chart
per quantity; a dimming curve as output against level; an illuminance grid as a heat map), the
calibration ids the station reported, and the audit chain's head when the report was made.

The PDF is the same HTML with its style inline, printed by ``chromium --headless
--print-to-pdf`` (the Debian package; no browser is downloaded).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import time
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from benchscore import image_curve

from ..accounts import audit
from ..accounts.db import ConsoleDB
from ..competition import Competition, EventDef
from ..store import Store
from . import marks as mk
from .i18n import direction, html_lang, num, quantity, t, when
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


def plot_curve(
    lang: str,
    name: str,
    data: dict[str, list[float]],
    limits: dict[str, dict[str, Any]] | None = None,
) -> str:
    """SVG for one curve, chosen by its columns: a heat map for a grid (x, y, value), else
    line charts against the first column, one chart per unit (a voltage and a current never
    share an axis), time from the run's start, each quantity named in ``lang``, the limits of a
    measurement of the same name as a band. A curve without numbers says so instead."""
    cols = [
        c for c in data if any(isinstance(v, int | float) and math.isfinite(v) for v in data[c])
    ]
    if len(cols) < 2:
        return f"<p class='meta'>{escape(name)}: {t(lang, 'station.no_data')}</p>"
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
    xs = list(data[x])
    xl, xu = _label(x)
    if x in ("t_s", "t", "time_s") and xs:
        x_title = t(lang, "report.time")
        xs = [v - xs[0] for v in xs]  # seconds from the run's start
    else:
        x_title = f"{quantity(lang, x)} ({xu})" if xu else quantity(lang, x)
    title = name
    if "dimming" in name.lower() or xl.lower() in ("level", "duty"):
        title = f"{t(lang, 'report.dimming')} · {name}"
    elif "charge" in name.lower():
        title = f"{t(lang, 'report.charge')} · {name}"
    by_unit: dict[str, list[str]] = {}
    for c in cols[1:]:
        by_unit.setdefault(_label(c)[1], []).append(c)
    charts = []
    for unit, group in list(by_unit.items())[:4]:
        series = [(quantity(lang, c), data[c]) for c in group]
        y_title = ", ".join(s[0] for s in series) + (f" ({unit})" if unit else "")
        bands = [(lim.get("low"), lim.get("high")) for c in group if (lim := (limits or {}).get(c))]
        charts.append(line_chart(f"{title} · {y_title}", xs, series, x_title, y_title, bands=bands))
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


MAX_MARKED_SHOWN: Final = 12
"""Marked attempts printed in full (newest); the report's size never depends on practice."""
PRACTICE_ROWS: Final = 8
"""Practice runs listed one by one (the newest); the rest are only counted."""


def _time(lang: str, ts: float | None) -> str:
    return "—" if ts is None else when(lang, ts)


def _summary(
    lang: str,
    rows: list[dict[str, Any]],
    marked: list[tuple[str, dict[str, Any]]],
    calibrations: list[tuple[str, str, str]],
    module_names: dict[str, str],
) -> list[str]:
    """The first page: marks per module, the marked attempts, the calibrations they used."""
    by_module: dict[str, list[float]] = {}
    for r in rows:
        m = by_module.setdefault(r["module"], [0.0, 0.0])
        m[0] += r["mark"]
        m[1] += r["max_mark"]
    out = [
        f"<section class='summary'><h2>{t(lang, 'report.summary')}</h2><table><tr>"
        f"<th>{t(lang, 'common.module')}</th><th>{t(lang, 'common.mark')}</th>"
        f"<th>{t(lang, 'common.max')}</th></tr>"
    ]
    for module, (mark, top) in by_module.items():
        out.append(
            f"<tr><td>{escape(module_names.get(module, module))}</td>"
            f"<td class='num'>{num(lang, round(mark, 2))}</td>"
            f"<td class='num'>{num(lang, round(top, 2))}</td></tr>"
        )
    total = sum(v[0] for v in by_module.values())
    top = sum(v[1] for v in by_module.values())
    out.append(
        f"<tr class='total'><td>{t(lang, 'common.total')}</td>"
        f"<td class='num'>{num(lang, round(total, 2))}</td>"
        f"<td class='num'>{num(lang, round(top, 2))}</td></tr></table>"
    )
    out.append(
        f"<h3>{t(lang, 'report.marked_attempts')}</h3><table><tr>"
        f"<th>{t(lang, 'common.station')}</th><th>{t(lang, 'meas.run')}</th>"
        f"<th>{t(lang, 'common.when')}</th><th>{t(lang, 'common.outcome')}</th></tr>"
    )
    for station, run in marked:
        out.append(
            f"<tr><td>{escape(station)}</td><td>{escape(run['run_id'])} · "
            f"{escape(run['task'])}</td><td>{_time(lang, run['ended_at'])}</td>"
            f"<td class='outcome {escape(run['outcome'])}'>"
            f"{escape(t(lang, 'outcome.' + run['outcome']))}</td></tr>"
        )
    if not marked:
        out.append(f"<tr><td colspan='4' class='meta'>{t(lang, 'report.no_marked')}</td></tr>")
    out.append(f"</table><h3>{t(lang, 'report.calibration')}</h3>")
    if calibrations:
        out.append("<table>")
        for where, k, v in calibrations:
            out.append(f"<tr><td>{escape(where)}</td><td>{escape(k)}</td><td>{escape(v)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p class='meta'>—</p>")
    out.append("</section>")
    return out


def _practice(lang: str, practice: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Practice runs as one table: counts per station and outcome, the newest few listed."""
    out = [f"<section class='practice'><h2>{t(lang, 'report.practice')}</h2>"]
    if not practice:
        return [*out, "<p class='meta'>—</p></section>"]
    counts: dict[str, dict[str, int]] = {}
    for station, run in practice:
        c = counts.setdefault(station, {})
        c[run["outcome"]] = c.get(run["outcome"], 0) + 1
    outcomes = ("pass", "marginal", "fail", "fault", "error")
    out.append(f"<table><tr><th>{t(lang, 'common.station')}</th>")
    out += [f"<th>{t(lang, 'outcome.' + o)}</th>" for o in outcomes]
    out.append(f"<th>{t(lang, 'common.total')}</th></tr>")
    for station, c in sorted(counts.items()):
        out.append(f"<tr><td>{escape(station)}</td>")
        out += [f"<td class='num'>{num(lang, c.get(o, 0))}</td>" for o in outcomes]
        out.append(f"<td class='num'>{num(lang, sum(c.values()))}</td></tr>")
    out.append("</table>")
    shown = practice[:PRACTICE_ROWS]
    out.append(
        f"<p class='meta'>{t(lang, 'report.practice_newest', shown=len(shown), n=len(practice))}"
        f"</p><table><tr><th>{t(lang, 'common.station')}</th><th>{t(lang, 'meas.run')}</th>"
        f"<th>{t(lang, 'common.when')}</th><th>{t(lang, 'common.outcome')}</th></tr>"
    )
    for station, run in shown:
        out.append(
            f"<tr><td>{escape(station)}</td><td>{escape(run['run_id'])}</td>"
            f"<td>{_time(lang, run['ended_at'])}</td><td class='outcome "
            f"{escape(run['outcome'])}'>{escape(t(lang, 'outcome.' + run['outcome']))}</td></tr>"
        )
    out.append("</table></section>")
    return out


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
    """The report of ``competitor`` as a complete HTML document: a summary page (marks, the
    marked attempts, the calibrations they used), the marks in detail, the evidence of each
    marked attempt (measurements, limits, curves), then the practice runs as one table."""
    who = ev.competitor(competitor)
    stations = ev.stations_of_competitor(competitor)
    rows = mk.mark_rows(comp, db, ev, [competitor])
    tot = mk.totals(rows).get(competitor, {"total": 0.0, "max": 0.0})
    chain = audit.head(db)
    title = f"{t(lang, 'title.report')} · {who.name} ({who.id})"
    if inline_css:
        css = (files("scorer") / "static" / "report.css").read_text(encoding="utf-8")
        style = f"<style>{css}</style>"
        script = ""
    else:
        style = '<link rel="stylesheet" href="/static/report.css">'
        catalog = json.dumps(
            {k: t(lang, k) for k in ("report.pdf_wait", "report.pdf_failed")}, ensure_ascii=False
        ).replace("<", "\\u003c")
        script = (
            f'<script type="application/json" id="bs-i18n">{catalog}</script>'
            '<script src="/static/console.js" defer></script>'
        )
    runs = [(st, run) for st in stations for run in store.list_runs(station=st, limit=100000)]
    runs.sort(key=lambda sr: -float(sr[1]["ended_at"] or 0))
    marked = [(st, r) for st, r in runs if r.get("marked", True)][:MAX_MARKED_SHOWN]
    practice = [(st, r) for st, r in runs if not r.get("marked", True)]
    cal_rows = [
        (st, str(k), str(v))
        for st, cal in sorted((calibration or {}).items())
        for k, v in sorted(cal.items())
    ]
    for st, run in marked:
        cal_rows += [
            (f"{st} · {run['run_id']}", "", cid) for cid in run_calibrations(store, st, run)
        ]
    out = [
        f'<!doctype html><html lang="{html_lang(lang)}" dir="{direction(lang)}"><head>'
        f'<meta charset="utf-8"><title>{escape(title)}</title>{style}{script}</head>'
        f'<body data-page="report" data-lang="{lang}">',
        f"<header><h1>{escape(title)}</h1><p class='meta'>{escape(ev.name)} · "
        f"{t(lang, 'report.station')}: {escape(', '.join(stations) or '—')} · "
        f"{t(lang, 'report.generated')}: {when(lang, time.time())}</p></header>",
    ]
    if not inline_css:
        out.append(
            f'<p class="noprint"><a id="pdf-link" href="/console/report/{escape(competitor)}.pdf'
            f'?lang={lang}">{t(lang, "report.pdf")}</a> <span id="pdf-progress" role="status">'
            "</span></p>"
        )
    out += _summary(lang, rows, marked, cal_rows, {m.id: m.name for m in ev.modules})
    # marks in detail
    out.append(
        f"<section class='marks'><h2>{t(lang, 'report.marks')}</h2><table><tr>"
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
    out.append(f"<section class='evidence'><h2>{t(lang, 'report.evidence')}</h2>")
    for station, run in marked:
        out.append(_run_html(store, lang, station, run))
    if not marked:
        out.append(f"<p class='meta'>{t(lang, 'report.no_marked')}</p>")
    out.append("</section>")
    out += _practice(lang, practice)
    out.append(
        f"<footer><p>{t(lang, 'report.audit')}: <code>{chain.hash}</code> "
        f"({chain.rows})</p></footer></body></html>"
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
    ended = _time(lang, run["ended_at"])
    kind = "" if run.get("marked", True) else f" · {t(lang, 'report.self_check')}"
    out = [
        f"<div class='run'><h3>{escape(station)} · {escape(run['run_id'])} · "
        f"{escape(run['task'])} · {ended}{kind} · <span class='outcome {escape(run['outcome'])}'>"
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
        limits = {m["name"]: m["limits"] for m in run["measurements"] if m.get("limits")}
        images = sorted((n for n in names if n.startswith(image_curve.PREFIX)), reverse=True)
        for name in images + [n for n in names if n not in images]:
            if name.startswith("ledmap_") or name == "camera_matrix":
                continue  # an LED screen's raw maps: data for an appeal, not a chart
            data = store.curve(station, run["run_id"], name)
            if name.startswith(image_curve.PREFIX):
                out.append(_image_html(name, data))
                continue
            if len(next(iter(data.values()), [])) <= 1:
                continue  # one reading kept for an appeal (its value is in the table above)
            out.append(plot_curve(lang, name, data, limits))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _image_html(name: str, data: dict[str, list[float]]) -> str:
    """An evidence picture embedded in the report (a data: URL, so the PDF holds it)."""
    raw = image_curve.from_columns(data)
    kind = None if raw is None else image_curve.media_type(raw)
    if raw is None or kind is None:
        return ""
    src = f"data:{kind};base64,{base64.b64encode(raw).decode()}"
    return (
        f"<figure class='evidence'><img src='{src}' alt='{escape(name)}' style='max-width:100%'>"
        f"<figcaption>{escape(name)}</figcaption></figure>"
    )


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
