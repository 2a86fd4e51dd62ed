"""DALI (IEC 62386-102) as the simulated luminaires obey it: the dimming curve, fades, scenes.

The logarithmic dimming curve ``X(n) = 10^((n - 1) / (253/3) - 1) %`` for arc power levels
1..254 (0 = off), fades that are linear in arc level (so exponential in light), fade-time codes
``T(N) = 0.5 √(2^N)`` s, and scenes 0..15 stored per luminaire.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

DALI_OFF = 0
DALI_MIN_ARC = 1
DALI_MAX_ARC = 254
DALI_MASK = 255
DALI_SCENES = 16
_DALI_STEPS_PER_DECADE = 253.0 / 3.0


def dali_arc_to_fraction(arc_level: float) -> float:
    """Light output fraction (0..1) at DALI arc power level ``arc_level`` (0 = off).

    Non-integer levels (mid-fade) follow the same curve. 1 gives 0.1 %, 254 gives 100 %.
    """
    if arc_level <= 0:
        return 0.0
    if arc_level > DALI_MAX_ARC:
        raise ValueError(f"arc level {arc_level} is above {DALI_MAX_ARC} (255 is MASK)")
    arc = max(float(DALI_MIN_ARC), arc_level)
    return math.pow(10.0, (arc - 1.0) / _DALI_STEPS_PER_DECADE - 1.0) / 100.0


def dali_fraction_to_arc(fraction: float) -> int:
    """Nearest DALI arc power level for a light output fraction (0..1); 0 for off."""
    if fraction <= 0:
        return DALI_OFF
    arc = 1.0 + _DALI_STEPS_PER_DECADE * (math.log10(fraction * 100.0) + 1.0)
    return int(min(DALI_MAX_ARC, max(DALI_MIN_ARC, round(arc))))


def dali_fade_time_s(fade_code: int) -> float:
    """Fade time for DALI fade-time code ``fade_code`` (0 = no fade, 1..15), s."""
    if not 0 <= fade_code <= 15:
        raise ValueError(f"fade-time code must be 0..15, got {fade_code}")
    return 0.0 if fade_code == 0 else 0.5 * math.sqrt(math.pow(2.0, fade_code))


@dataclass(frozen=True)
class ArcFade:
    """A fade from ``from_arc`` at ``start_s`` to ``to_arc`` over ``fade_s`` (s)."""

    start_s: float
    from_arc: float
    to_arc: float
    fade_s: float

    def arc_level(self, t_s: float) -> float:
        """Arc level at ``t_s`` (fractional while fading)."""
        if t_s < self.start_s:
            return self.from_arc
        if self.fade_s <= 0 or t_s >= self.start_s + self.fade_s:
            return self.to_arc
        # From off the lamp lights at its minimum level; towards off it fades down to the
        # minimum level and goes out at the end (IEC 62386-102 behaviour).
        low = self.from_arc if self.from_arc > 0 else float(DALI_MIN_ARC)
        high = self.to_arc if self.to_arc > 0 else float(DALI_MIN_ARC)
        return low + (high - low) * (t_s - self.start_s) / self.fade_s


@dataclass(frozen=True)
class Scene:
    """A DALI scene: arc level per short address (addresses not listed keep MASK)."""

    number: int
    levels: Mapping[int, int]
    name: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.number < DALI_SCENES:
            raise ValueError(f"DALI scene number must be 0..15, got {self.number}")
