"""HTML of the training pages: a trainee's progress and a trainer's group (with the trainer's form
for the time limit and the target), SVG charts drawn on the server by :mod:`scorer.console.svgplot`
(the report's chart code).

Attempts are listed in the order they were made, each with its time and the measurements that
failed; charts: time to complete against the group's target and time limit, the first-pass
rate over attempts, and the measurements that fail most. Numbers and measured values are
isolated left-to-right (``<bdi dir="ltr">``) so they read right in Arabic pages too.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..training.progress import Progress, failing_measurements, progress, within_limit
from ..training.store import Group
from .i18n import num, quantity, t, when
from .svgplot import PALETTE, line_chart

CHART_W = 520
CHART_H = 230


def _ltr(text: str) -> str:
    return f'<bdi dir="ltr">{escape(text)}</bdi>'


def _secs(lang: str, v: float | None) -> str:
    return _ltr(f"{num(lang, v)} s") if v is not None else "—"


def bar_chart(title: str, rows: list[tuple[str, int]], width: int = 680) -> str:
    """Horizontal bars: label -> count (the most failed measurements)."""
    height = 40 + 26 * max(1, len(rows))
    top = max((n for _, n in rows), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="8" y="18" font-size="13" font-weight="600" fill="#111827">{escape(title)}'
        "</text>",
    ]
    if not rows:
        parts.append('<text x="8" y="48" fill="#6b7280">—</text>')
    for i, (label, n) in enumerate(rows):
        y = 32 + i * 26
        w = (width - 260) * n / top
        parts.append(
            f'<text x="8" y="{y + 14}" font-size="12" fill="#111827">{escape(label)}</text>'
            f'<rect x="200" y="{y}" width="{w:.1f}" height="18" fill="{PALETTE[1]}"/>'
            f'<text x="{206 + w:.1f}" y="{y + 14}" font-size="12" fill="#111827">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _time_chart(
    lang: str,
    series: list[tuple[str, list[int], list[float]]],
    group: Group,
    width: int = CHART_W,
) -> str:
    xs = sorted({x for _, n, _ in series for x in n}) or [1]
    lines: list[tuple[str, list[float]]] = []
    for name, n, times in series:
        by = dict(zip(n, times, strict=True))
        lines.append((name, [by.get(x, float("nan")) for x in xs]))
    if group.time_limit_s is not None:
        lines.append((t(lang, "tr.limit"), [group.time_limit_s] * len(xs)))
    if group.target_s is not None:
        lines.append((t(lang, "tr.target"), [group.target_s] * len(xs)))
    return line_chart(
        t(lang, "tr.chart_time"),
        [float(x) for x in xs],
        lines,
        t(lang, "tr.attempt"),
        t(lang, "tr.seconds"),
        width=width,
        height=CHART_H,
    )


def _summary(lang: str, p: Progress, group: Group) -> str:
    rate = _ltr(f"{num(lang, 100 * p.first_pass_rate[-1], 3)} %") if p.n else "—"
    target = _secs(lang, group.target_s)
    if p.beat_target is not None:
        key = "tr.beaten" if p.beat_target else "tr.not_beaten"
        target += (
            f'<br><small class="{"ok" if p.beat_target else "warn"}" id="beaten">'
            f"{escape(t(lang, key))}</small>"
        )
    items = [
        (t(lang, "tr.attempts"), _ltr(str(len(p.n)))),
        (t(lang, "tr.chart_rate"), rate),
        (t(lang, "tr.best"), _secs(lang, p.best_s)),
        (t(lang, "tr.target"), target),
        (t(lang, "tr.limit"), _secs(lang, group.time_limit_s)),
    ]
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{v}</dd></div>" for k, v in items)
    return f'<dl class="tiles" id="summary">{cells}</dl>'


def trainee_html(
    lang: str, who: dict[str, Any], group: Group, attempts: list[dict[str, Any]]
) -> str:
    """The trainee's page content: summary, charts, the attempts in order."""
    p = progress(attempts, group)
    head = (
        f"<p>{escape(t(lang, 'tr.trainee'))}: <bdi>{escape(who['name'])}</bdi> · "
        f"{escape(t(lang, 'tr.task'))}: {_ltr(group.task)}</p>"
    )
    if not attempts:
        return head + f'<p class="meta">{escape(t(lang, "tr.no_attempts"))}</p>'
    charts = (
        _time_chart(lang, [(who["name"], p.n, p.times_s)], group)
        + line_chart(
            t(lang, "tr.chart_rate"),
            [float(x) for x in p.n],
            [(t(lang, "tr.chart_rate"), [100 * r for r in p.first_pass_rate])],
            t(lang, "tr.attempt"),
            t(lang, "tr.percent"),
        )
        + bar_chart(t(lang, "tr.chart_fail"), [(quantity(lang, name), n) for name, n in p.failing])
    )
    rows = []
    for a in attempts:
        failed = [quantity(lang, n) for n in failing_measurements(a)]
        late = "" if within_limit(a, group) else f" <em>{escape(t(lang, 'tr.over_limit'))}</em>"
        outcome = a["outcome"]
        rows.append(
            f'<tr class="attempt" data-n="{a["n"]}"><td>{_ltr(str(a["n"]))}</td>'
            f"<td>{escape(when(lang, a['started_at']))}</td>"
            f'<td class="time">{_secs(lang, a["time_taken_s"])}{late}</td>'
            f'<td class="outcome {escape(outcome)}">{escape(t(lang, "outcome." + outcome))}</td>'
            f'<td class="failing">{escape(", ".join(failed)) or "—"}</td>'
            f"<td>{_ltr(a['fault'])}</td></tr>"
        )
    table = (
        f'<table id="attempts"><thead><tr><th>{escape(t(lang, "tr.attempt"))}</th><th></th>'
        f"<th>{escape(t(lang, 'tr.time'))}</th><th>{escape(t(lang, 'common.outcome'))}</th>"
        f"<th>{escape(t(lang, 'tr.failing'))}</th><th>{escape(t(lang, 'tr.fault'))}</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return head + _summary(lang, p, group) + table + f'<div class="charts">{charts}</div>'


def _limits_form(lang: str, group: Group) -> str:
    """The trainer's form for the time limit and the target (``training.js`` posts it)."""

    def field(name: str, key: str, value: float | None) -> str:
        shown = "" if value is None else f"{value:g}"
        return (
            f'<label>{escape(t(lang, key))} (<bdi dir="ltr">s</bdi>) <input type="number" '
            f'name="{name}" min="1" step="1" value="{shown}"></label> '
        )

    return (
        f'<form id="limits" data-group="{escape(group.id)}">'
        + field("time_limit_s", "tr.limit", group.time_limit_s)
        + field("target_s", "tr.target", group.target_s)
        + f'<button type="submit">{escape(t(lang, "common.save"))}</button> '
        '<span id="limits-msg" role="status"></span></form>'
    )


def group_html(
    lang: str, group: Group, people: list[tuple[dict[str, Any], list[dict[str, Any]]]]
) -> str:
    """The trainer's page content: the group's times compared, one row per trainee."""
    series = []
    rows = []
    for who, attempts in people:
        p = progress(attempts, group)
        series.append((who["name"], p.n, p.times_s))
        failed = ", ".join(f"{quantity(lang, name)} ×{n}" for name, n in p.failing[:3])
        rate = f"{num(lang, 100 * p.first_pass_rate[-1], 3)} %" if p.n else "—"
        times = " · ".join(f"{num(lang, x)}" for x in p.times_s)
        rows.append(
            f'<tr class="trainee" data-user="{escape(who["username"])}">'
            f"<td><bdi>{escape(who['name'])}</bdi></td><td>{_ltr(str(len(attempts)))}</td>"
            f'<td class="times">{_ltr(times + " s") if times else "—"}</td>'
            f"<td>{_ltr(rate)}</td><td>{_secs(lang, p.best_s)}</td>"
            f'<td class="failing">{escape(failed) or "—"}</td></tr>'
        )
    limits = (
        f"<p>{escape(t(lang, 'tr.task'))}: {_ltr(group.task)} · {escape(t(lang, 'tr.target'))}: "
        f"{_secs(lang, group.target_s)} · {escape(t(lang, 'tr.limit'))}: "
        f"{_secs(lang, group.time_limit_s)}</p>"
    )
    table = (
        f'<table id="group"><thead><tr><th>{escape(t(lang, "tr.trainee"))}</th>'
        f"<th>{escape(t(lang, 'tr.attempts'))}</th><th>{escape(t(lang, 'tr.time'))}</th>"
        f"<th>{escape(t(lang, 'tr.chart_rate'))}</th><th>{escape(t(lang, 'tr.best'))}</th>"
        f"<th>{escape(t(lang, 'tr.chart_fail'))}</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )
    chart = _time_chart(lang, series, group, width=2 * CHART_W)
    return limits + _limits_form(lang, group) + table + f'<div class="charts">{chart}</div>'
