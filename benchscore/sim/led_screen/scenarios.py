"""Named faults of a simulated screen (the station config's ``[simulation] fault``), and the
photometric truth a reference meter would read.

Each scenario is a list of :class:`Finding` placed deterministically from ``seed`` away from
the corner markers (a real dead corner module is handled, but a scenario should test one
thing at a time).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout

PRIMARIES_XYZ = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
"""CIE XYZ (columns: red, green, blue die) per unit die output; a white LED has Y = 1."""
PEAK_WHITE_CD_M2 = 600.0
"""Luminance of the full white field of a screen without faults (cd/m^2)."""


class ScreenFault(StrEnum):
    NONE = "none"
    DEAD_PIXELS = "dead_pixels"
    STUCK_PIXELS = "stuck_pixels"
    DIM_PIXELS = "dim_pixels"
    DEAD_MODULE = "dead_module"
    DEAD_CARD = "dead_card"
    """The receiving card of the top-right 2 x 2 modules is dark."""
    DIM_MODULE = "dim_module"
    DEAD_ROW = "dead_row"
    SWAPPED_CHANNELS = "swapped_channels"
    MISPLACED_MODULE = "misplaced_module"
    ROTATED_MODULE = "rotated_module"
    MIXED = "mixed"
    """A badly installed screen: pixels, a dead module, a row out, a swapped and a
    misplaced module."""


def _inner_module(layout: ScreenLayout, n: int) -> int:
    """The ``n``-th module that is not at a corner of the screen."""
    corners = {0, layout.modules_x - 1, layout.modules - layout.modules_x, layout.modules - 1}
    inner = [k for k in range(layout.modules) if k not in corners]
    return inner[n % len(inner)]


def random_pixels(
    layout: ScreenLayout,
    n: int,
    rng: np.random.Generator,
    avoid: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[Finding]:
    """``n`` dead, stuck and dim dies at least 3 LEDs apart, outside modules ``avoid``."""
    kinds = (Kind.DEAD_PIXEL, Kind.STUCK_PIXEL, Kind.DIM_PIXEL)
    colours = ("r", "g", "b", "rgb")
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []
    while len(out) < n:
        x, y = int(rng.integers(0, layout.width)), int(rng.integers(0, layout.height))
        if layout.module_of(x, y) in avoid or any(
            abs(x - a) < 3 and abs(y - b) < 3 for a, b in taken
        ):
            continue
        taken.append((x, y))
        k = len(out)
        out.append(Finding(kinds[k % 3], x=x, y=y, colours=colours[k % 4]))
    return out


def faults_for(name: str, layout: ScreenLayout, seed: int = 0) -> list[Finding]:
    """The findings scenario ``name`` injects."""
    fault = ScreenFault(name)
    rng = np.random.default_rng(seed + 1000)
    mod = _inner_module(layout, 0)
    other = _inner_module(layout, 3)
    if fault is ScreenFault.NONE:
        return []
    if fault in (ScreenFault.DEAD_PIXELS, ScreenFault.STUCK_PIXELS, ScreenFault.DIM_PIXELS):
        kind = {
            ScreenFault.DEAD_PIXELS: Kind.DEAD_PIXEL,
            ScreenFault.STUCK_PIXELS: Kind.STUCK_PIXEL,
            ScreenFault.DIM_PIXELS: Kind.DIM_PIXEL,
        }[fault]
        return [
            Finding(kind, x=f.x, y=f.y, colours=f.colours) for f in random_pixels(layout, 6, rng)
        ]
    if fault is ScreenFault.DEAD_MODULE:
        return [Finding(Kind.DEAD_MODULE, module=mod)]
    if fault is ScreenFault.DEAD_CARD:
        return [Finding(Kind.DEAD_CARD, module=layout.modules_x - 2, detail="2x2")]
    if fault is ScreenFault.DIM_MODULE:
        return [Finding(Kind.DIM_MODULE, module=mod, detail="0.55")]
    rows, cols = layout.module_slices(other)
    row = Finding(
        Kind.ROW_OUT,
        x=cols.start,
        x2=cols.stop - 1,
        y=rows.start + 5,
        y2=rows.start + 5,
        colours="rgb",
    )
    if fault is ScreenFault.DEAD_ROW:
        return [row]
    if fault is ScreenFault.SWAPPED_CHANNELS:
        return [Finding(Kind.SWAPPED_CHANNELS, module=mod, detail="GRB")]
    if fault is ScreenFault.MISPLACED_MODULE:
        return [
            Finding(Kind.MISPLACED_MODULE, module=mod, detail=str(other)),
            Finding(Kind.MISPLACED_MODULE, module=other, detail=str(mod)),
        ]
    if fault is ScreenFault.ROTATED_MODULE:
        return [Finding(Kind.ROTATED_MODULE, module=mod, detail="rotated 180")]
    third = _inner_module(layout, 5)
    fourth = _inner_module(layout, 7)
    out = [
        Finding(Kind.DEAD_MODULE, module=mod),
        row,
        Finding(Kind.SWAPPED_CHANNELS, module=third, detail="GRB"),
        Finding(Kind.MISPLACED_MODULE, module=fourth, detail=str(third)),
        Finding(Kind.MISPLACED_MODULE, module=third, detail=str(fourth)),
    ]
    rows_out = {row.y - 1, row.y, row.y + 1}
    for f in random_pixels(layout, 12, rng, avoid={mod}):
        if f.y not in rows_out:
            out.append(f)
    return out


def field_xyz(
    emission: npt.NDArray[np.float32], region: tuple[slice, slice]
) -> tuple[float, float, float]:
    """What a reference meter aimed at ``region`` reads: mean CIE XYZ in cd/m^2."""
    mean = emission[region].reshape(-1, 3).mean(axis=0)
    xyz = np.asarray(PRIMARIES_XYZ) @ mean * PEAK_WHITE_CD_M2
    return float(xyz[0]), float(xyz[1]), float(xyz[2])
