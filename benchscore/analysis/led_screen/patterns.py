"""The test patterns the station shows on the screen, as frames of drive levels.

A frame is a float32 array (height, width, 3) of R, G, B drive levels 0..1, one entry per LED
of the :class:`~.layout.ScreenLayout`; the pattern output puts it on the HDMI output pixel
for pixel, the simulator lights its LEDs with it, and the analysis knows what each shows:

- full fields: ``black``, ``white``, ``red``, ``green``, ``blue``, ``grey_<percent>``;
- ``registration``: a 3 x 3 LED block lit at each corner and single LEDs on a lattice every
  :data:`DOT_STEP` LEDs (registration finds the screen in the photo from these);
- ``grid``: every module's outline (for the operator);
- ``sweep_<b>``: the module-by-module sweep, binary coded: module ``k`` lights its top-left
  quadrant in frame ``b`` when bit ``b`` of ``k + 1`` is set, so :func:`sweep_frames` frames
  tell every module's position and orientation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.layout import ScreenLayout

Frame = npt.NDArray[np.float32]

FIELDS: dict[str, tuple[float, float, float]] = {
    "black": (0.0, 0.0, 0.0),
    "white": (1.0, 1.0, 1.0),
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
}
MARKER = 3
"""Side of a corner marker block, in LEDs."""
DOT_STEP = 8
"""Spacing of the registration lattice, in LEDs (dots at ``DOT_STEP // 2 + k * DOT_STEP``)."""


def field(layout: ScreenLayout, rgb: tuple[float, float, float]) -> Frame:
    frame = np.empty((layout.height, layout.width, 3), dtype=np.float32)
    frame[:] = np.asarray(rgb, dtype=np.float32)
    return frame


def marker_centres(layout: ScreenLayout) -> npt.NDArray[np.float64]:
    """Centres of the corner markers in LED coordinates: TL, TR, BR, BL."""
    a, w, h = MARKER / 2, layout.width, layout.height
    return np.array([[a, a], [w - a, a], [w - a, h - a], [a, h - a]], dtype=np.float64)


def dot_positions(layout: ScreenLayout) -> npt.NDArray[np.int64]:
    """(x, y) of every lattice dot of the registration pattern (clear of the markers)."""
    xs = np.arange(DOT_STEP // 2, layout.width, DOT_STEP)
    ys = np.arange(DOT_STEP // 2, layout.height, DOT_STEP)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    near = np.zeros(len(pts), dtype=bool)
    for cx, cy in marker_centres(layout):
        near |= (np.abs(pts[:, 0] + 0.5 - cx) < MARKER) & (np.abs(pts[:, 1] + 0.5 - cy) < MARKER)
    return pts[~near].astype(np.int64)


def registration(layout: ScreenLayout) -> Frame:
    frame = field(layout, (0.0, 0.0, 0.0))
    m, w, h = MARKER, layout.width, layout.height
    for ys, xs in (
        (slice(0, m), slice(0, m)),
        (slice(0, m), slice(w - m, w)),
        (slice(h - m, h), slice(w - m, w)),
        (slice(h - m, h), slice(0, m)),
    ):
        frame[ys, xs] = 1.0
    pts = dot_positions(layout)
    frame[pts[:, 1], pts[:, 0]] = 1.0
    return frame


def grid(layout: ScreenLayout) -> Frame:
    frame = field(layout, (0.0, 0.0, 0.0))
    frame[:: layout.module_h] = 1.0
    frame[layout.module_h - 1 :: layout.module_h] = 1.0
    frame[:, :: layout.module_w] = 1.0
    frame[:, layout.module_w - 1 :: layout.module_w] = 1.0
    return frame


def sweep_bits(layout: ScreenLayout) -> int:
    """Frames of the binary-coded sweep (enough bits for ``modules + 1``)."""
    return max(1, int(layout.modules).bit_length())


def sweep(layout: ScreenLayout, bit: int) -> Frame:
    frame = field(layout, (0.0, 0.0, 0.0))
    qh, qw = layout.module_h // 2, layout.module_w // 2
    for k in range(layout.modules):
        if (k + 1) >> bit & 1:
            rows, cols = layout.module_slices(k)
            frame[rows.start : rows.start + qh, cols.start : cols.start + qw] = 1.0
    return frame


def sweep_frames(layout: ScreenLayout) -> list[str]:
    return [f"sweep_{b}" for b in range(sweep_bits(layout))]


def pattern(layout: ScreenLayout, name: str) -> Frame:
    """The frame called ``name`` (see the module docstring); AnalysisError if unknown."""
    if name in FIELDS:
        return field(layout, FIELDS[name])
    if name == "registration":
        return registration(layout)
    if name == "grid":
        return grid(layout)
    if name.startswith("grey_") and name[5:].isdigit() and int(name[5:]) <= 100:
        level = int(name[5:]) / 100.0
        return field(layout, (level, level, level))
    if name.startswith("sweep_") and name[6:].isdigit():
        bit = int(name[6:])
        if bit < sweep_bits(layout):
            return sweep(layout, bit)
    raise AnalysisError(f"unknown test pattern {name!r}")


def analysis_patterns(layout: ScreenLayout) -> list[str]:
    """Every pattern the analysis needs, in the order the station shows them."""
    return ["registration", "black", "red", "green", "blue", "white", *sweep_frames(layout)]
