"""Task parameters of the screen analysis (``[parameters]`` of a ``led_screen`` task): the
layout and the decision thresholds, with their defaults. Shared by the station's procedure
and the scorer's appeal, so both judge with the same numbers."""

from __future__ import annotations

from collections.abc import Mapping

from benchscore.analysis.led_screen.detect import Thresholds
from benchscore.analysis.led_screen.layout import ScreenLayout

LAYOUT_KEYS = ("width_px", "height_px", "module_w", "module_h")
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
    **{k: getattr(Thresholds(), k) for k in THRESHOLD_KEYS},
}


def layout_from(params: Mapping[str, float]) -> ScreenLayout:
    p = {**DEFAULTS, **params}
    return ScreenLayout(*(int(p[k]) for k in LAYOUT_KEYS))


def thresholds_from(params: Mapping[str, float]) -> Thresholds:
    p = {**DEFAULTS, **params}
    return Thresholds(**{k: float(p[k]) for k in THRESHOLD_KEYS})
