"""Physics of a lighting installation under test: luminaires in a room, seen by light sensors.

* **Photometry**: each luminaire is a point source aimed along ``aim`` (straight down by
  default) with a rotationally symmetric ``cos^m`` intensity distribution (``m = 1`` is
  Lambertian). Its luminous intensity is ``I(θ) = Φ (m + 1) / (2π) cos^m θ`` cd, so the flux
  ``Φ`` fills the hemisphere it faces. A sensor point with surface normal ``n`` at distance
  ``d`` receives ``E = I(θ) cos(ε) / d²`` (inverse-square and cosine law, ``ε`` the angle of
  incidence). Direct light only: no inter-reflections, no obstructions, plus an optional
  uniform ``ambient_lx`` (daylight, stray light).
* **DALI** (IEC 62386-102): the logarithmic dimming curve
  ``X(n) = 10^((n - 1) / (253/3) - 1) %`` for arc power levels 1..254 (0 = off), fades that are
  linear in arc level (so exponential in light), fade-time codes ``T(N) = 0.5 √(2^N)`` s,
  scenes 0..15 stored per luminaire, addressing by short address, group or broadcast, and a
  per-luminaire response delay (driver latency) before a command starts to act.
* **Occupancy**: a presence sensor switches its target to an occupied level after a detection
  delay, and back to a vacant level once nobody has been seen for the hold time.
* **Colour**: each luminaire has a CCT; the chromaticity at a point is the illuminance-weighted
  mix of the luminaires' Planckian chromaticities (CIE 1931 x, y), for colour-sensor sims.

Time is the clock seam's: commands act at ``clock.monotonic()`` (plus delays); timed events
(occupancy hold expiry) are processed lazily when a query reaches their time.

Modules: :mod:`.dali` (curve, fades, scenes), :mod:`.luminaire`, :mod:`.occupancy`,
:mod:`.colour`, :mod:`.geometry` and :mod:`.room` (all of it on one clock, and what sensors
read).
"""

from benchscore.sim.assemblies.lighting_room.colour import mccamy_cct_k, planckian_xy
from benchscore.sim.assemblies.lighting_room.dali import (
    DALI_MASK,
    DALI_MAX_ARC,
    DALI_MIN_ARC,
    DALI_OFF,
    DALI_SCENES,
    Scene,
    dali_arc_to_fraction,
    dali_fade_time_s,
    dali_fraction_to_arc,
)
from benchscore.sim.assemblies.lighting_room.geometry import Vector, en12464_grid_spacing_m
from benchscore.sim.assemblies.lighting_room.luminaire import Luminaire
from benchscore.sim.assemblies.lighting_room.occupancy import OccupancySensor
from benchscore.sim.assemblies.lighting_room.room import Room

__all__ = [
    "DALI_MASK",
    "DALI_MAX_ARC",
    "DALI_MIN_ARC",
    "DALI_OFF",
    "DALI_SCENES",
    "Luminaire",
    "OccupancySensor",
    "Room",
    "Scene",
    "Vector",
    "dali_arc_to_fraction",
    "dali_fade_time_s",
    "dali_fraction_to_arc",
    "en12464_grid_spacing_m",
    "mccamy_cct_k",
    "planckian_xy",
]
