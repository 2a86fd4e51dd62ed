"""What a contestant's wiring or commissioning of a lighting installation can get wrong: the
faults the simulated booth (:mod:`firmware_py.simulation`) builds in."""

from __future__ import annotations

from enum import StrEnum


class LightingFault(StrEnum):
    """Faults of a simulated lighting installation (what a contestant's wiring or
    commissioning can get wrong)."""

    NONE = "none"
    DEAD_LUMINAIRE = "dead_luminaire"
    """One of the two luminaires does not light (driver not wired)."""
    DIM = "dim"
    """Luminaires of too low a flux (60 %): the task area misses 500 lx."""
    WRONG_CCT = "wrong_cct"
    """The right-hand luminaire is 6500 K instead of 4000 K."""
    SLOW_RESPONSE = "slow_response"
    """Fade time 4 s and a 0.3 s driver delay: scenes take seconds to arrive."""
    OCCUPANCY_DEAD = "occupancy_dead"
    """The presence sensor is not connected: presence never switches the light on."""
    SHORT_HOLD = "short_hold"
    """The presence sensor's hold time is 5 s instead of 20 s."""
    WRONG_SCENE = "wrong_scene"
    """Scene 1 (meeting, 300 lx) was stored at full output."""
    LINEAR_DIMMING = "linear_dimming"
    """The luminaires' drivers are set to the linear dimming curve, not DALI's logarithmic one."""
