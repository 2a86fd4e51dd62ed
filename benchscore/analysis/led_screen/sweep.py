"""Where each module's content comes out: decoding the binary-coded module sweep.

In frame ``b`` module ``k`` lights its top-left quadrant when bit ``b`` of ``k + 1`` is set
(:func:`~.patterns.sweep`). At each module position the lit frames spell the number of the
module whose content it shows, and the quadrant they light tells how it is mounted: top-left
as it should be, bottom-right turned by 180 degrees, top-right or bottom-left mirrored.
"""

from __future__ import annotations

import numpy as np

from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.patterns import sweep_frames
from benchscore.analysis.led_screen.signals import F64, Signals

QUADRANT_TURNS = ("", "mirrored left-right", "rotated 180", "mirrored top-bottom")
"""Quadrant lit (TL, TR, BR, BL) -> how the module is mounted."""
LIT = 0.5
"""A quadrant is lit above this fraction of the module's white-field level."""


def _quadrant_means(level: F64, layout: ScreenLayout, k: int) -> list[float]:
    rows, cols = layout.module_slices(k)
    block = level[rows, cols]
    qh, qw = layout.module_h // 2, layout.module_w // 2
    return [
        float(np.median(block[:qh, :qw])),
        float(np.median(block[:qh, qw:])),
        float(np.median(block[qh:, qw:])),
        float(np.median(block[qh:, :qw])),
    ]


def decode_sweep(
    sig: Signals, layout: ScreenLayout, white_median: F64, skip: set[int]
) -> tuple[list[Finding], dict[int, int]]:
    """Findings for misplaced and turned modules, and the module each position shows
    (positions in ``skip``, dead modules, are left out)."""
    levels = [sig.level(name) for name in sweep_frames(layout)]
    findings: list[Finding] = []
    shows: dict[int, int] = {}
    for k in range(layout.modules):
        if k in skip or white_median[k] <= 0:
            continue
        code, votes = 0, [0, 0, 0, 0]
        for b, level in enumerate(levels):
            q = np.asarray(_quadrant_means(level, layout, k)) / white_median[k]
            if q.max() > LIT:
                code |= 1 << b
                votes[int(np.argmax(q))] += 1
        if code == 0:
            continue
        src = code - 1
        shows[k] = src
        if src != k:
            findings.append(Finding(Kind.MISPLACED_MODULE, module=k, detail=str(src)))
        turn = QUADRANT_TURNS[int(np.argmax(votes))]
        if turn:
            findings.append(Finding(Kind.ROTATED_MODULE, module=k, detail=turn))
    return findings, shows
