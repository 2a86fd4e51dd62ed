"""PWM dimming of the jig's enable lines, and the enable masks it produces over time.

Each enable line is PWM-gated (:class:`PWM`: duty 0..1, frequency in Hz). An integrating
sensor sees the time average over the PWM states (:func:`weighted_masks`, the lines' phases
taken as independent); a fast one sees the mask at each instant (:func:`masks_at`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.sim.light import FloatArray


@dataclass(frozen=True)
class PWM:
    """PWM on one enable line: on for the first ``duty`` (0..1) of every period of
    ``frequency_hz`` (Hz); ``phase`` (0..1, fraction of a period) shifts the rising edge to
    ``t = −phase / frequency_hz`` (mod the period). Time is the jig's clock time in seconds."""

    duty: float
    frequency_hz: float = 1000.0
    phase: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.duty <= 1.0:
            raise ValueError(f"PWM duty {self.duty} outside 0..1")
        if self.frequency_hz <= 0:
            raise ValueError(f"PWM frequency {self.frequency_hz} Hz must be positive")

    def on(self, t_s: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether the line is on at each time ``t_s`` (s)."""
        t = np.asarray(t_s, dtype=np.float64)
        if self.duty >= 1.0:
            return np.ones(t.shape, dtype=np.bool_)
        if self.duty <= 0.0:
            return np.zeros(t.shape, dtype=np.bool_)
        frac = np.mod(t * self.frequency_hz + self.phase, 1.0)
        on: npt.NDArray[np.bool_] = frac < self.duty
        return on


STEADY_ON: Final = PWM(1.0)
"""A line nobody dims: on all the time."""

PWMLookup = Callable[[int], PWM]
"""The PWM on an enable line (the jig's :meth:`~benchscore.sim.assemblies.led.LEDJig.pwm`)."""


def weighted_masks(pwm: PWMLookup, enable: int, lines: int) -> list[tuple[float, int]]:
    """(probability, enable mask) of every PWM state of lines ``0..lines-1`` switched on in
    ``enable``; one state when nothing is dimmed."""
    fixed = 0
    dimmed: list[tuple[int, float]] = []
    for line in range(lines):
        if not (enable >> line) & 1:
            continue
        duty = pwm(line).duty
        if duty >= 1.0:
            fixed |= 1 << line
        elif duty > 0.0:
            dimmed.append((line, duty))
    states: list[tuple[float, int]] = []
    for bits in itertools.product((False, True), repeat=len(dimmed)):
        p, mask = 1.0, fixed
        for (line, duty), on in zip(dimmed, bits, strict=True):
            p *= duty if on else 1.0 - duty
            mask |= (1 << line) if on else 0
        states.append((p, mask))
    return states


def masks_at(pwm: PWMLookup, t: FloatArray, enable: int, lines: int) -> npt.NDArray[np.int64]:
    """The enable mask of lines ``0..lines-1`` switched on in ``enable`` at each time ``t``."""
    masks = np.zeros(t.shape, dtype=np.int64)
    for line in range(lines):
        if (enable >> line) & 1:
            masks |= pwm(line).on(t).astype(np.int64) << line
    return masks
