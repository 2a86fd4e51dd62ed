"""Presence sensors that switch DALI luminaires (the timing lives in the room)."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchscore.sim.assemblies.lighting_room.dali import DALI_MAX_ARC, DALI_OFF


@dataclass
class OccupancySensor:
    """A presence sensor switching a DALI target (``group``/``address``; both None = all).

    On detection the target goes to ``occupied_arc`` after ``detection_delay_s``; when the
    area has been vacant for ``hold_time_s`` it goes to ``vacant_arc`` (0 = off).
    """

    name: str
    group: int | None = None
    address: int | None = None
    occupied_arc: int = DALI_MAX_ARC
    vacant_arc: int = DALI_OFF
    hold_time_s: float = 300.0
    detection_delay_s: float = 0.5
    occupied: bool = False
    _generation: int = field(default=0, init=False, repr=False)
