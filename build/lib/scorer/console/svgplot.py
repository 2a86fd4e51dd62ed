"""Small SVG plots for the evidence report: line charts and a heat map, no dependencies.

The report is printed to PDF by headless Chromium, so its plots are vector SVG written here on
the server (no script runs in the report). Presentation attributes only (no ``style=``), so the
console's Content-Security-Policy allows them inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Final

PALETTE: Final = ("#1d4ed8", "#b91c1c", "#15803d", "#b45309", "#7e22ce", "#0e7490")
MAX_POINTS: Final = 1500


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo..hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def fmt(v: float) -> str:
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{v:.2e}"
    return f"{v:.4g}"


def _decimate(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    n = min(len(xs), len(ys))
    if n <= MAX_POINTS:
        return list(xs[:n]), list(ys[:n])
    step = n / MAX_POINTS
    idx = sorted({int(i * step) for i in range(MAX_POINTS)} | {n - 1})
    return [xs[i] for i in idx], [ys[i] for i in idx]


def line_chart(
    title: str,
    x: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    x_label: str,
    y_label: str,
    width: int = 680,
    height: int = 240,
) -> str:
    """An SVG line chart of one or more series against ``x``."""
    left, right, top, bottom = 64, 16, 28, 40
    pw, ph = width - left - right, height - top - bottom
    pts = [_decimate(x, ys) for _, ys in series]
    all_x = [v for xs, _ in pts for v in xs if math.isfinite(v)]
    all_y = [v for _, ys in pts for v in ys if math.isfinite(v)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600" fill="#111827">'
        f"{escape(title)}</text>",
    ]
    if not all_x or not all_y:
        parts.append(f'<text x="{left}" y="{top + ph / 2}" fill="#6b7280">—</text></svg>')
        return "".join(parts)
    x0, x1 = min(all_x), max(all_x)
    y0, y1 = min(all_y), max(all_y)
    if y1 == y0:
        y0, y1 = y0 - (abs(y0) * 0.05 or 1), y1 + (abs(y1) * 0.05 or 1)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    parts.append(
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#d1d5db"/>'
    )
    for t in nice_ticks(y0, y1):
        if y0 <= t <= y1:
            yy = sy(t)
            parts.append(
                f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" '
                f'stroke="#eef0f3"/><text x="{left - 6}" y="{yy + 4:.1f}" font-size="10" '
                f'text-anchor="end" fill="#374151">{fmt(t)}</text>'
            )
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            xx = sx(t)
            parts.append(
                f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{top + ph}" stroke="#eef0f3"/>'
                f'<text x="{xx:.1f}" y="{top + ph + 14}" font-size="10" text-anchor="middle" '
                f'fill="#374151">{fmt(t)}</text>'
            )
    parts.append(
        f'<text x="{left + pw / 2}" y="{height - 6}" font-size="11" text-anchor="middle" '
        f'fill="#374151">{escape(x_label)}</text>'
        f'<text x="14" y="{top + ph / 2}" font-size="11" text-anchor="middle" fill="#374151" '
        f'transform="rotate(-90 14 {top + ph / 2})">{escape(y_label)}</text>'
    )
    for i, ((label, _), (xs, ys)) in enumerate(zip(series, pts, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(
            f"{sx(a):.1f},{sy(b):.1f}"
            for a, b in zip(xs, ys, strict=True)
            if math.isfinite(a) and math.isfinite(b)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{path}"/>'
        )
        lx = left + 8 + i * 150
        parts.append(
            f'<rect x="{lx}" y="{top + 6}" width="10" height="3" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{top + 11}" font-size="10" fill="#111827">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(f: float) -> str:
    """Dark blue -> teal -> yellow for 0..1 (a perceptual-ish ramp)."""
    stops = (
        (0.0, (30, 27, 75)),
        (0.35, (29, 78, 216)),
        (0.7, (20, 184, 166)),
        (1.0, (250, 204, 21)),
    )
    f = min(1.0, max(0.0, f))
    for (f0, c0), (f1, c1) in zip(stops, stops[1:], strict=False):
        if f <= f1:
            k = (f - f0) / (f1 - f0)
            r, g, b = (round(a + (bb - a) * k) for a, bb in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#facc15"


def heat_map(
    title: str,
    xs: Sequence[float],
    ys: Sequence[float],
    values: Sequence[float],
    unit: str,
    width: int = 420,
) -> str:
    """A grid of measured points (x, y, value) as coloured cells with their values."""
    gx = sorted(set(xs))
    gy = sorted(set(ys))
    if not gx or not gy or not values:
        return line_chart(title, [], [], "", "")
    left, top, legend_h = 40, 28, 36
    cell = max(18.0, min(60.0, (width - left - 10) / len(gx)))
    w = left + cell * len(gx) + 10
    h = top + cell * len(gy) + 18 + legend_h
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (hi - lo) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600" fill="#111827">'
        f"{escape(title)}</text>",
    ]
    for x, y, v in zip(xs, ys, values, strict=False):
        i, j = gx.index(x), len(gy) - 1 - gy.index(y)
        f = (v - lo) / span
        cx, cy = left + i * cell, top + j * cell
        ink = "#111827" if f > 0.6 else "#ffffff"
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
            f'fill="{_heat_colour(f)}" stroke="#ffffff" stroke-width="1"/>'
        )
        if cell >= 30:
            parts.append(
                f'<text x="{cx + cell / 2:.1f}" y="{cy + cell / 2 + 3:.1f}" font-size="9" '
                f'text-anchor="middle" fill="{ink}">{fmt(v)}</text>'
            )
    for i, x in enumerate(gx):
        parts.append(
            f'<text x="{left + (i + 0.5) * cell:.1f}" y="{top + cell * len(gy) + 12:.1f}" '
            f'font-size="9" text-anchor="middle" fill="#374151">{fmt(x)}</text>'
        )
    for j, y in enumerate(reversed(gy)):
        parts.append(
            f'<text x="{left - 4}" y="{top + (j + 0.5) * cell + 3:.1f}" font-size="9" '
            f'text-anchor="end" fill="#374151">{fmt(y)}</text>'
        )
    ly = top + cell * len(gy) + 22
    steps = 24
    bar_w = (w - left - 10) / steps
    for k in range(steps):
        parts.append(
            f'<rect x="{left + k * bar_w:.1f}" y="{ly:.1f}" width="{bar_w + 0.5:.1f}" height="8" '
            f'fill="{_heat_colour(k / (steps - 1))}"/>'
        )
    parts.append(
        f'<text x="{left}" y="{ly + 20:.1f}" font-size="10" fill="#374151">{fmt(lo)} {escape(unit)}'
        f'</text><text x="{w - 10:.1f}" y="{ly + 20:.1f}" font-size="10" text-anchor="end" '
        f'fill="#374151">{fmt(hi)} {escape(unit)}</text></svg>'
    )
    return "".join(parts)
