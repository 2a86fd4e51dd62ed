"""Dead, stuck and dim dies, dead or dim modules, rows and columns out.

Every die is judged against its own module's median on its own colour field (so the
camera's vignetting and a module's own brightness step do not matter; a module-wide step is
judged at the module level):

- a module is dead below ``dead_module_fraction`` of the screen's median module level on the
  white field, dim below ``dim_module_fraction``;
- a die is dead below ``dead_fraction`` of its module's median, dim below ``dim_fraction``;
- a die is stuck when the black field shows more than ``stuck_fraction`` of its full light
  (the black field's excess light split into the three dies' camera responses);
- a row (column) of a module is out when ``line_fraction`` of its dies of one colour are
  dead; neighbouring modules' segments of the same row join into one finding.

The die colour of a field follows the module's channel order (:mod:`.channels`): on a module
whose R input lights the green dies, a dark LED on the red field is a dead green die.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.channels import PRIMARIES
from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.signals import F64, Signals, expand, module_median

B = npt.NDArray[np.bool_]
LETTERS = "rgb"


@dataclass(frozen=True)
class Thresholds:
    """Decision levels, as fractions (see the module docstring)."""

    dead_fraction: float = 0.3
    dim_fraction: float = 0.7
    stuck_fraction: float = 0.25
    dead_module_fraction: float = 0.15
    dim_module_fraction: float = 0.75
    line_fraction: float = 0.75


@dataclass
class DieMaps:
    """Per die (height, width, 3: red, green, blue dies): dead, dim, stuck."""

    dead: B
    dim: B
    stuck: B


def module_state(white_median: F64, th: Thresholds) -> tuple[list[Finding], set[int], float]:
    """Dead and dim module findings, the dead modules, and the screen's module level."""
    lit = white_median[white_median > 0]
    ref = float(np.median(lit)) if lit.size else 0.0
    findings: list[Finding] = []
    dead: set[int] = set()
    for k, level in enumerate(white_median):
        if ref <= 0 or level < th.dead_module_fraction * ref:
            dead.add(k)
            findings.append(Finding(Kind.DEAD_MODULE, module=k))
        elif level < th.dim_module_fraction * ref:
            findings.append(Finding(Kind.DIM_MODULE, module=k, detail=f"{level / ref:.0%}"))
    return findings, dead, ref


def card_regions(
    findings: list[Finding], layout: ScreenLayout, card: tuple[int, int]
) -> list[Finding]:
    """Join the dead modules of a receiving card's whole region (``card`` = modules across,
    down; (0, 0): not judged) into one dead-card finding."""
    cw, ch = card
    if cw < 1 or ch < 1 or layout.modules_x % cw or layout.modules_y % ch:
        return findings
    dead = {f.module for f in findings if f.kind is Kind.DEAD_MODULE}
    out = [f for f in findings if f.kind is not Kind.DEAD_MODULE]
    for cy in range(0, layout.modules_y, ch):
        for cx in range(0, layout.modules_x, cw):
            region = {
                layout.module_index(mx, my)
                for mx in range(cx, cx + cw)
                for my in range(cy, cy + ch)
            }
            if region <= dead and len(region) > 1:
                first = layout.module_index(cx, cy)
                out.append(Finding(Kind.DEAD_CARD, module=first, detail=f"{cw}x{ch}"))
                dead -= region
    out += [Finding(Kind.DEAD_MODULE, module=k) for k in sorted(dead)]
    return out


def die_maps(
    sig: Signals,
    layout: ScreenLayout,
    orders: list[tuple[int, int, int]],
    response: F64,
    dead_modules: set[int],
    th: Thresholds,
) -> DieMaps:
    h, w = layout.height, layout.width
    dead = np.zeros((h, w, 3), dtype=bool)
    dim = np.zeros((h, w, 3), dtype=bool)
    die_of = expand(np.asarray(orders, dtype=np.int64), layout)  # (h, w, field) -> die
    for f, name in enumerate(PRIMARIES):
        level = sig.level(name)
        med = expand(module_median(level, layout), layout)
        rel = level / np.maximum(med, 1e-12)
        is_dead, is_dim = (
            rel < th.dead_fraction,
            (rel >= th.dead_fraction) & (rel < th.dim_fraction),
        )
        for d in range(3):
            here = die_of[..., f] == d
            dead[..., d] |= is_dead & here
            dim[..., d] |= is_dim & here
    # stuck: black-field excess = sum over dies of a_d * (the die's full-field response)
    excess = sig.rgb("black")
    amounts = np.zeros((h, w, 3))
    for k in range(layout.modules):
        if k in dead_modules:
            continue
        rows, cols = layout.module_slices(k)
        die_resp = np.empty((3, 3))
        for f, d in enumerate(orders[k]):
            die_resp[d] = response[k, f]
        try:
            inv = np.linalg.inv(die_resp)
        except np.linalg.LinAlgError:
            continue
        amounts[rows, cols] = excess[rows, cols] @ inv
    stuck = amounts > th.stuck_fraction
    out = np.zeros((h, w), dtype=bool)
    for k in dead_modules:
        rows, cols = layout.module_slices(k)
        out[rows, cols] = True
    for m in (dead, dim, stuck):
        m[out] = False
    return DieMaps(dead, dim, stuck)


def _segments(hits: dict[tuple[int, int], str], span: int) -> list[tuple[int, int, int, str]]:
    """Join (line, module position along it) -> colours into (line, start, end, colours)."""
    out: list[tuple[int, int, int, str]] = []
    for (line, pos), colours in sorted(hits.items()):
        if out and out[-1][0] == line and out[-1][2] == pos * span - 1 and out[-1][3] == colours:
            out[-1] = (line, out[-1][1], (pos + 1) * span - 1, colours)
        else:
            out.append((line, pos * span, (pos + 1) * span - 1, colours))
    return out


def lines_out(dies: DieMaps, layout: ScreenLayout, th: Thresholds) -> list[Finding]:
    """Rows and columns out; clears their dies from ``dies.dead`` (no pixel findings)."""
    lay = layout
    rows: dict[tuple[int, int], str] = {}
    cols: dict[tuple[int, int], str] = {}
    d = dies.dead
    # fraction dead per (row, module column) and (column, module row), per die
    row_frac = d.reshape(lay.height, lay.modules_x, lay.module_w, 3).mean(axis=2)
    col_frac = d.reshape(lay.modules_y, lay.module_h, lay.width, 3).mean(axis=1)
    for y, mx in zip(*np.nonzero((row_frac >= th.line_fraction).any(axis=2)), strict=True):
        rows[(int(y), int(mx))] = "".join(
            LETTERS[c] for c in range(3) if row_frac[y, mx, c] >= th.line_fraction
        )
    for my, x in zip(*np.nonzero((col_frac >= th.line_fraction).any(axis=2)), strict=True):
        cols[(int(x), int(my))] = "".join(
            LETTERS[c] for c in range(3) if col_frac[my, x, c] >= th.line_fraction
        )
    findings = []
    for y, x0, x1, colours in _segments(rows, lay.module_w):
        findings.append(Finding(Kind.ROW_OUT, x=x0, y=y, x2=x1, y2=y, colours=colours))
    for x, y0, y1, colours in _segments(cols, lay.module_h):
        findings.append(Finding(Kind.COLUMN_OUT, x=x, y=y0, x2=x, y2=y1, colours=colours))
    for f in findings:
        for c, letter in enumerate(LETTERS):
            if letter in f.colours:
                d[f.y : f.y2 + 1, f.x : f.x2 + 1, c] = False
                dies.dim[f.y : f.y2 + 1, f.x : f.x2 + 1, c] = False
    return findings


def pixel_findings(dies: DieMaps) -> list[Finding]:
    out = []
    for kind, m in (
        (Kind.DEAD_PIXEL, dies.dead),
        (Kind.DIM_PIXEL, dies.dim),
        (Kind.STUCK_PIXEL, dies.stuck),
    ):
        ys, xs = np.nonzero(m.any(axis=2))
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            colours = "".join(LETTERS[c] for c in range(3) if m[y, x, c])
            out.append(Finding(kind, x=x, y=y, colours=colours))
    return out
