"""Task parameters of the screen analysis (``[parameters]`` of a ``led_screen`` task): the
layout and the decision thresholds, with their defaults. Shared by the station's procedure
and the scorer's appeal, so both judge with the same numbers."""

from __future__ import annotations

from collections.abc import Mapping

from benchscore.analysis.led_screen.detect import Thresholds
from benchscore.analysis.led_screen.layout import ScreenLayout

LAYOUT_KEYS = ("width_px", "height_px", "module_w", "module_h")
CARD_KEYS = ("card_modules_x", "card_modules_y")
"""Modules across and down one receiving card drives (0: card regions not judged)."""
THRESHOLD_KEYS = (
    "dead_fraction",
    "dim_fraction",
    "stuck_fraction",
    "dead_module_fraction",
    "dim_module_fraction",
    "line_fraction",
)
DEFAULTS: dict[str, float] = {
    "width_px": 128,
    "height_px": 64,
    "module_w": 32,
    "module_h": 16,
    "card_modules_x": 0,
    "card_modules_y": 0,
    **{k: getattr(Thresholds(), k) for k in THRESHOLD_KEYS},
}


def layout_from(params: Mapping[str, float]) -> ScreenLayout:
    p = {**DEFAULTS, **params}
    return ScreenLayout(*(int(p[k]) for k in LAYOUT_KEYS))


def card_from(params: Mapping[str, float]) -> tuple[int, int]:
    p = {**DEFAULTS, **params}
    return int(p[CARD_KEYS[0]]), int(p[CARD_KEYS[1]])


def thresholds_from(params: Mapping[str, float]) -> Thresholds:
    p = {**DEFAULTS, **params}
    return Thresholds(**{k: float(p[k]) for k in THRESHOLD_KEYS})
