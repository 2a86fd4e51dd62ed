"""A simulated LED screen: what its LEDs emit for a frame the sending card sends.

Each LED has three dies (red, green, blue) with a log-normal gain spread (``spread``, the
bin-to-bin spread vendors quote up to +-20 %; a few percent after calibration). Faults are
:class:`~benchscore.analysis.led_screen.findings.Finding` objects, the same ones the analysis
reports, so :attr:`SimScreen.truth` is exactly what a perfect analysis must find. The chain:
receiving-card mapping (a misplaced or turned module shows another block of the frame),
RGB order (swapped channels), die gains (dead, dim, rows and columns out, dead or dim
modules), stuck dies (always lit).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.findings import COLOURS, Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.patterns import Frame

F32 = npt.NDArray[np.float32]

DIM_PIXEL_GAIN = 0.35
"""Relative output of an injected dim die (unless the finding's ``detail`` gives one)."""
DIM_MODULE_GAIN = 0.55
STUCK_LEVEL = 1.0
TURNS = {
    "rotated 180": lambda b: b[::-1, ::-1],
    "mirrored left-right": lambda b: b[:, ::-1],
    "mirrored top-bottom": lambda b: b[::-1, :],
}
"""How a module can be mounted wrong (a rectangular module cannot turn by 90 degrees)."""


def _dies(colours: str) -> list[int]:
    letters = [c[0] for c in COLOURS]
    return [letters.index(c) for c in colours] if colours else [0, 1, 2]


class SimScreen:
    """LED screen of ``layout`` with injected ``faults`` (its :attr:`truth`)."""

    def __init__(
        self,
        layout: ScreenLayout,
        faults: Iterable[Finding] = (),
        *,
        spread: float = 0.04,
        seed: int = 0,
    ) -> None:
        self.layout = layout
        self.truth: tuple[Finding, ...] = tuple(sorted(set(faults)))
        rng = np.random.default_rng(seed)
        h, w = layout.height, layout.width
        self.gain: F32 = np.exp(rng.normal(0.0, spread, (h, w, 3))).astype(np.float32)
        self.stuck: F32 = np.zeros((h, w, 3), dtype=np.float32)
        self.source = list(range(layout.modules))
        """Module whose block of the frame each module position shows."""
        self.turn: dict[int, str] = {}
        self.order: dict[int, tuple[int, int, int]] = {}
        """Per module: which die each of the R, G, B inputs drives."""
        for f in self.truth:
            self._inject(f)

    def _inject(self, f: Finding) -> None:
        lay, g = self.layout, self.gain
        if f.kind is Kind.DEAD_PIXEL:
            g[f.y, f.x, _dies(f.colours)] = 0.0
        elif f.kind is Kind.DIM_PIXEL:
            g[f.y, f.x, _dies(f.colours)] *= float(f.detail or DIM_PIXEL_GAIN)
        elif f.kind is Kind.STUCK_PIXEL:
            self.stuck[f.y, f.x, _dies(f.colours)] = STUCK_LEVEL
        elif f.kind is Kind.DEAD_MODULE:
            rows, cols = lay.module_slices(f.module)
            g[rows, cols] = 0.0
        elif f.kind is Kind.DEAD_CARD:
            cw, ch = (int(v) for v in f.detail.split("x"))
            mx, my = lay.module_xy(f.module)
            for dy in range(ch):
                for dx in range(cw):
                    rows, cols = lay.module_slices(lay.module_index(mx + dx, my + dy))
                    g[rows, cols] = 0.0
        elif f.kind is Kind.DIM_MODULE:
            rows, cols = lay.module_slices(f.module)
            g[rows, cols] *= float(f.detail or DIM_MODULE_GAIN)
        elif f.kind is Kind.ROW_OUT:
            for d in _dies(f.colours):
                g[f.y, f.x : f.x2 + 1, d] = 0.0
        elif f.kind is Kind.COLUMN_OUT:
            for d in _dies(f.colours):
                g[f.y : f.y2 + 1, f.x, d] = 0.0
        elif f.kind is Kind.SWAPPED_CHANNELS:
            letters = "RGB"
            self.order[f.module] = tuple(letters.index(c) for c in f.detail.upper())  # type: ignore[assignment]
        elif f.kind is Kind.MISPLACED_MODULE:
            self.source[f.module] = int(f.detail)
        elif f.kind is Kind.ROTATED_MODULE:
            if f.detail not in TURNS:
                raise ValueError(f"rotated_module: detail one of {sorted(TURNS)}")
            self.turn[f.module] = f.detail

    def emission(self, frame: Frame) -> F32:
        """Relative output of every die (height, width, 3) when the screen is sent ``frame``."""
        lay = self.layout
        shown = frame.astype(np.float32, copy=True)
        for k in range(lay.modules):
            src, turn = self.source[k], self.turn.get(k)
            if src == k and turn is None:
                continue
            rows, cols = lay.module_slices(src)
            block = frame[rows, cols]
            if turn is not None:
                block = TURNS[turn](block)
            rows, cols = lay.module_slices(k)
            shown[rows, cols] = block
        for k, order in self.order.items():
            rows, cols = lay.module_slices(k)
            block = shown[rows, cols].copy()
            out = np.zeros_like(block)
            for inp, die in enumerate(order):
                out[..., die] += block[..., inp]
            shown[rows, cols] = out
        return np.asarray(np.maximum(shown * self.gain, self.stuck), dtype=np.float32)
