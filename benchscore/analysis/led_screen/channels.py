"""Which die each colour input lights, per module (swapped RGB order in a receiving card).

On a full red field a module should light its red dies, which the camera sees mostly in its
red channel (colour filters overlap, but each die stays dominant in its own channel). Per
module, the order is the permutation of the three fields onto the three camera channels with
the largest share of each field's light.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.signals import Signals, module_median

F64 = npt.NDArray[np.float64]
PRIMARIES = ("red", "green", "blue")
IDENTITY = (0, 1, 2)


def responses(sig: Signals, layout: ScreenLayout) -> F64:
    """(modules, field, camera channel): median black-corrected response to each full field."""
    return np.stack([module_median(sig.rgb(f), layout) for f in PRIMARIES], axis=1)


def channel_order(response: F64) -> tuple[int, int, int]:
    """The die (0 red, 1 green, 2 blue) each of the R, G, B inputs lights, from one module's
    (field, channel) response."""
    share = response / np.maximum(response.sum(axis=1, keepdims=True), 1e-12)
    best = max(permutations(range(3)), key=lambda p: sum(share[f, p[f]] for f in range(3)))
    return (best[0], best[1], best[2])


def order_name(order: tuple[int, int, int]) -> str:
    """``RGB`` for the right order; ``GRB``: the R input lights green dies, G red."""
    return "".join("RGB"[d] for d in order)
