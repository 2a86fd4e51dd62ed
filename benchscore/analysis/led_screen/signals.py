"""Per-LED signals from the sampled maps: black level removed, per module statistics.

A *map* is the sampled photo of one pattern, (height, width, 3) camera R, G, B in fractions
of full scale (:func:`~.sample.sample_leds`). The dark level is each module's median on the
black field (not each LED's own: a stuck die must not cancel itself out).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.layout import ScreenLayout

F64 = npt.NDArray[np.float64]
Maps = Mapping[str, F64]


def need(maps: Maps, layout: ScreenLayout, *names: str) -> None:
    for name in names:
        if name not in maps:
            raise AnalysisError(f"no photo of the {name} pattern")
        if np.shape(maps[name]) != (layout.height, layout.width, 3):
            raise AnalysisError(
                f"{name}: map of shape {np.shape(maps[name])}, expected "
                f"{(layout.height, layout.width, 3)}"
            )
        if not np.isfinite(maps[name]).all():
            raise AnalysisError(f"{name}: the map holds a value that is not finite")


def per_module(values: F64, layout: ScreenLayout) -> F64:
    """(modules_y, module_h, modules_x, module_w, ...) view of a (height, width, ...) array."""
    shape = (layout.modules_y, layout.module_h, layout.modules_x, layout.module_w)
    return values.reshape(shape + values.shape[2:])


def module_leds(values: F64, layout: ScreenLayout) -> F64:
    """(modules, leds of a module, ...) row-major view of a (height, width, ...) array."""
    blocks = per_module(values, layout)
    blocks = np.swapaxes(blocks, 1, 2)  # (my, mx, mh, mw, ...)
    return blocks.reshape((layout.modules, layout.module_h * layout.module_w) + values.shape[2:])


def module_median(values: F64, layout: ScreenLayout) -> F64:
    """Median of each module: (modules, ...) row-major."""
    return np.median(module_leds(values, layout), axis=1)  # type: ignore[no-any-return]


def expand(per_mod: F64, layout: ScreenLayout) -> F64:
    """A per-module value (modules, ...) spread back over the LEDs (height, width, ...)."""
    grid = per_mod.reshape((layout.modules_y, layout.modules_x) + per_mod.shape[1:])
    return np.repeat(np.repeat(grid, layout.module_h, axis=0), layout.module_w, axis=1)  # type: ignore[no-any-return]


class Signals:
    """Black-corrected maps: ``rgb(name)`` per camera channel, ``level(name)`` summed."""

    def __init__(self, maps: Maps, layout: ScreenLayout) -> None:
        need(maps, layout, "black")
        self.maps = maps
        self.layout = layout
        self.dark = expand(module_median(np.asarray(maps["black"], float), layout), layout)

    def rgb(self, name: str) -> F64:
        need(self.maps, self.layout, name)
        return np.asarray(self.maps[name], float) - self.dark  # type: ignore[no-any-return]

    def level(self, name: str) -> F64:
        return self.rgb(name).sum(axis=2)  # type: ignore[no-any-return]
