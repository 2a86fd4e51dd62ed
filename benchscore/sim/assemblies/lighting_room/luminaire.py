"""A DALI luminaire: where it hangs, how it spreads its light, and the level it is at."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from benchscore.sim.assemblies.lighting_room.colour import planckian_xy
from benchscore.sim.assemblies.lighting_room.dali import (
    DALI_MASK,
    DALI_MAX_ARC,
    DALI_MIN_ARC,
    DALI_OFF,
    ArcFade,
    dali_arc_to_fraction,
)
from benchscore.sim.assemblies.lighting_room.geometry import Vector, unit


@dataclass
class Luminaire:
    """A DALI luminaire at ``position_m`` giving ``flux_lm`` at arc level 254.

    ``distribution_exponent`` is ``m`` of the ``cos^m`` intensity distribution (1 =
    Lambertian, higher = narrower). ``scene_levels`` maps scene number to arc level (255 =
    MASK, the luminaire ignores that scene). ``output_factor`` scales the flux (maintenance,
    ageing, a dirty diffuser). ``target_arc`` is the level at power-up, then the level last
    commanded (the actual level follows it after the response delay and fade).
    """

    name: str
    position_m: Vector
    flux_lm: float
    address: int
    groups: frozenset[int] = frozenset()
    distribution_exponent: float = 1.0
    aim: Vector = (0.0, 0.0, -1.0)
    cct_k: float = 4000.0
    fade_time_s: float = 0.0
    response_delay_s: float = 0.05
    output_factor: float = 1.0
    min_arc: int = DALI_MIN_ARC
    max_arc: int = DALI_MAX_ARC
    target_arc: int = DALI_OFF
    linear_dimming: bool = False
    """The driver's linear dimming curve (light = n/254, IEC 62386-207 option) instead of the
    standard logarithmic one: a commissioning fault the DALI curve check finds."""
    scene_levels: dict[int, int] = field(default_factory=dict)
    _transitions: list[ArcFade] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 63:
            raise ValueError(f"DALI short address must be 0..63, got {self.address}")
        if any(not 0 <= g <= 15 for g in self.groups):
            raise ValueError(f"DALI groups must be 0..15, got {sorted(self.groups)}")
        self.aim = unit(self.aim)
        self._transitions.append(ArcFade(-math.inf, self.target_arc, self.target_arc, 0.0))

    @property
    def peak_intensity_cd_per_lm(self) -> float:
        """Intensity along the aim per lumen of flux, cd/lm."""
        return (self.distribution_exponent + 1.0) / (2.0 * math.pi)

    def candela_per_lm(self, angle_rad: float) -> float:
        """Intensity per lumen at ``angle_rad`` from the aim, cd/lm (0 behind the luminaire)."""
        cosine = math.cos(angle_rad)
        if cosine <= 0:
            return 0.0
        return self.peak_intensity_cd_per_lm * math.pow(cosine, self.distribution_exponent)

    def level_at(self, t_s: float) -> float:
        """Arc power level at ``t_s`` (fractional while fading)."""
        for transition in reversed(self._transitions):
            if transition.start_s <= t_s:
                return transition.arc_level(t_s)
        return self._transitions[0].from_arc

    def output_fraction(self, t_s: float) -> float:
        """Light output at ``t_s`` as a fraction of ``flux_lm`` (DALI curve, output factor)."""
        level = self.level_at(t_s)
        if self.linear_dimming:
            return max(0.0, level) / DALI_MAX_ARC * self.output_factor
        return dali_arc_to_fraction(level) * self.output_factor

    def flux_at_lm(self, t_s: float) -> float:
        """Luminous flux at ``t_s``, lm."""
        return self.flux_lm * self.output_fraction(t_s)

    def intensity_cd(self, angle_rad: float, t_s: float) -> float:
        """Luminous intensity at ``angle_rad`` from the aim at ``t_s``, cd."""
        return self.flux_at_lm(t_s) * self.candela_per_lm(angle_rad)

    def chromaticity_xy(self) -> tuple[float, float]:
        """CIE 1931 chromaticity of the light (Planckian at ``cct_k``)."""
        return planckian_xy(self.cct_k)

    def command_arc(self, arc_level: int, issued_s: float, fade_s: float | None = None) -> None:
        """Go to ``arc_level`` (clamped to min..max, 0 = off) after the response delay.

        ``fade_s`` None uses the luminaire's fade time. 255 (MASK) changes nothing.
        """
        if arc_level == DALI_MASK:
            return
        if not 0 <= arc_level <= DALI_MAX_ARC:
            raise ValueError(f"arc level must be 0..254 or 255 (MASK), got {arc_level}")
        target = 0 if arc_level == 0 else min(self.max_arc, max(self.min_arc, arc_level))
        start_s = issued_s + self.response_delay_s
        fade = self.fade_time_s if fade_s is None else fade_s
        self._transitions = [t for t in self._transitions if t.start_s < start_s][-7:]
        self._transitions.append(ArcFade(start_s, self.level_at(start_s), target, fade))
        self.target_arc = target
