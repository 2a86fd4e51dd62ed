"""The room: luminaires, scenes and presence sensors on one clock, and what sensors read.

Time is the clock seam's: commands act at ``clock.monotonic()`` (plus delays); timed events
(occupancy hold expiry) are processed lazily when a query reaches their time.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Callable, Iterable, Sequence

from benchscore.clock import Clock
from benchscore.sim.assemblies.lighting_room.colour import mccamy_cct_k
from benchscore.sim.assemblies.lighting_room.dali import (
    DALI_MASK,
    DALI_MAX_ARC,
    DALI_MIN_ARC,
    DALI_OFF,
    DALI_SCENES,
    Scene,
)
from benchscore.sim.assemblies.lighting_room.geometry import (
    Vector,
    dot,
    en12464_grid_spacing_m,
    sub,
    unit,
)
from benchscore.sim.assemblies.lighting_room.luminaire import Luminaire
from benchscore.sim.assemblies.lighting_room.occupancy import OccupancySensor


class Room:
    """A rectangular room ``width_m`` (x) by ``length_m`` (y), floor at z = 0.

    Sensor points default to the work plane at ``work_plane_height_m`` with their normal up.
    """

    def __init__(
        self,
        clock: Clock,
        width_m: float,
        length_m: float,
        height_m: float = 3.0,
        *,
        work_plane_height_m: float = 0.8,
        ambient_lx: float = 0.0,
        luminaires: Iterable[Luminaire] = (),
    ) -> None:
        self.clock = clock
        self.width_m = width_m
        self.length_m = length_m
        self.height_m = height_m
        self.work_plane_height_m = work_plane_height_m
        self.ambient_lx = ambient_lx
        self.luminaires: list[Luminaire] = []
        self.occupancy_sensors: dict[str, OccupancySensor] = {}
        self._lock = threading.RLock()
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._t_s = clock.monotonic()
        for luminaire in luminaires:
            self.add_luminaire(luminaire)

    # -- set-up -----------------------------------------------------------------------------

    def add_luminaire(self, luminaire: Luminaire) -> Luminaire:
        """Install ``luminaire``; short addresses must be unique."""
        with self._lock:
            if any(existing.address == luminaire.address for existing in self.luminaires):
                raise ValueError(f"DALI short address {luminaire.address} is already in use")
            self.luminaires.append(luminaire)
            return luminaire

    def luminaire(self, address: int) -> Luminaire:
        """The luminaire at DALI short ``address``."""
        for luminaire in self.luminaires:
            if luminaire.address == address:
                return luminaire
        raise KeyError(f"no luminaire at DALI short address {address}")

    def add_scene(self, scene: Scene) -> None:
        """Store ``scene`` in the luminaires it lists (as DALI STORE THE DTR AS SCENE does)."""
        with self._lock:
            for address, level in scene.levels.items():
                self.luminaire(address).scene_levels[scene.number] = level

    def add_occupancy_sensor(self, sensor: OccupancySensor) -> OccupancySensor:
        """Install a presence sensor."""
        with self._lock:
            self.occupancy_sensors[sensor.name] = sensor
            return sensor

    def work_plane_point(self, x_m: float, y_m: float) -> Vector:
        """The point at (``x_m``, ``y_m``) on the work plane."""
        return x_m, y_m, self.work_plane_height_m

    def grid_points(self, spacing_m: float | None = None, wall_band_m: float = 0.0) -> list[Vector]:
        """Calculation/measurement grid on the work plane, row by row (EN 12464-1).

        Without ``spacing_m`` the spacing is ``0.2 * 5^log10(d)`` for the longer side ``d``
        of the area left after excluding ``wall_band_m`` along the walls; points sit at the
        centres of near-square cells.
        """
        area_w_m = self.width_m - 2.0 * wall_band_m
        area_l_m = self.length_m - 2.0 * wall_band_m
        if area_w_m <= 0 or area_l_m <= 0:
            raise ValueError("the wall band leaves no area")
        pitch_m = spacing_m or en12464_grid_spacing_m(max(area_w_m, area_l_m))
        n_x = max(1, math.ceil(area_w_m / pitch_m - 1e-9))
        n_y = max(1, math.ceil(area_l_m / pitch_m - 1e-9))
        return [
            self.work_plane_point(
                wall_band_m + (i + 0.5) * area_w_m / n_x, wall_band_m + (j + 0.5) * area_l_m / n_y
            )
            for j in range(n_y)
            for i in range(n_x)
        ]

    # -- time -------------------------------------------------------------------------------

    def _now_s(self) -> float:
        return self.clock.monotonic()

    def advance_to(self, t_s: float | None = None) -> None:
        """Run the timed events (occupancy hold expiry, detections) due up to ``t_s``."""
        target_s = self._now_s() if t_s is None else t_s
        with self._lock:
            while self._events and self._events[0][0] <= target_s:
                event_s, _seq, action = heapq.heappop(self._events)
                self._t_s = max(self._t_s, event_s)
                action()
            self._t_s = max(self._t_s, target_s)

    def _schedule(self, at_s: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (at_s, next(self._sequence), action))

    # -- DALI commands ----------------------------------------------------------------------

    def targets(self, address: int | None = None, group: int | None = None) -> list[Luminaire]:
        """Luminaires a DALI command reaches: a short address, a group, or all (broadcast)."""
        if address is not None and group is not None:
            raise ValueError("address a command to a short address or a group, not both")
        if address is not None:
            return [lum for lum in self.luminaires if lum.address == address]
        if group is not None:
            return [lum for lum in self.luminaires if group in lum.groups]
        return list(self.luminaires)

    def direct_arc_power(
        self,
        arc_level: int,
        *,
        address: int | None = None,
        group: int | None = None,
        fade_s: float | None = None,
    ) -> None:
        """DALI DAPC: fade to ``arc_level`` (0 = off, 255 = MASK) with each fade time."""
        self._command(arc_level, address, group, fade_s, self._now_s())

    def off(self, *, address: int | None = None, group: int | None = None) -> None:
        """DALI OFF: out at once (no fade), after the response delay."""
        self._command(DALI_OFF, address, group, 0.0, self._now_s())

    def recall_max(self, *, address: int | None = None, group: int | None = None) -> None:
        """DALI RECALL MAX LEVEL: straight to the maximum level, no fade."""
        self._command(DALI_MAX_ARC, address, group, 0.0, self._now_s())

    def recall_min(self, *, address: int | None = None, group: int | None = None) -> None:
        """DALI RECALL MIN LEVEL: straight to the minimum level, no fade."""
        self._command(DALI_MIN_ARC, address, group, 0.0, self._now_s())

    def go_to_scene(
        self, scene: int, *, address: int | None = None, group: int | None = None
    ) -> None:
        """DALI GO TO SCENE: each target fades to its stored level (MASK = no change)."""
        if not 0 <= scene < DALI_SCENES:
            raise ValueError(f"DALI scene number must be 0..15, got {scene}")
        issued_s = self._now_s()
        with self._lock:
            self.advance_to(issued_s)
            for luminaire in self.targets(address, group):
                level = luminaire.scene_levels.get(scene, DALI_MASK)
                luminaire.command_arc(level, issued_s)

    def _command(
        self,
        arc_level: int,
        address: int | None,
        group: int | None,
        fade_s: float | None,
        issued_s: float,
    ) -> None:
        with self._lock:
            self.advance_to(issued_s)
            for luminaire in self.targets(address, group):
                luminaire.command_arc(arc_level, issued_s, fade_s)

    # -- occupancy --------------------------------------------------------------------------

    def set_occupied(self, sensor_name: str, occupied: bool) -> None:
        """Someone enters (True) or the last person leaves (False) ``sensor_name``'s area."""
        now_s = self._now_s()
        with self._lock:
            self.advance_to(now_s)
            sensor = self.occupancy_sensors[sensor_name]
            if occupied == sensor.occupied:
                return
            sensor.occupied = occupied
            if occupied:
                self._detect(sensor, now_s)
            else:
                self._start_hold(sensor, now_s)

    def motion(self, sensor_name: str) -> None:
        """A single detection (someone passes): on, then off after the hold time."""
        now_s = self._now_s()
        with self._lock:
            self.advance_to(now_s)
            sensor = self.occupancy_sensors[sensor_name]
            self._detect(sensor, now_s)
            if not sensor.occupied:
                self._start_hold(sensor, now_s)

    def _detect(self, sensor: OccupancySensor, now_s: float) -> None:
        sensor._generation += 1
        detected_s = now_s + sensor.detection_delay_s

        def switch_on() -> None:
            for luminaire in self.targets(sensor.address, sensor.group):
                if luminaire.target_arc != sensor.occupied_arc:
                    luminaire.command_arc(sensor.occupied_arc, detected_s)

        self._schedule(detected_s, switch_on)

    def _start_hold(self, sensor: OccupancySensor, now_s: float) -> None:
        sensor._generation += 1
        generation = sensor._generation
        expiry_s = now_s + sensor.hold_time_s

        def switch_off() -> None:
            if sensor._generation != generation or sensor.occupied:
                return
            for luminaire in self.targets(sensor.address, sensor.group):
                luminaire.command_arc(sensor.vacant_arc, expiry_s)

        self._schedule(expiry_s, switch_off)

    # -- what sensors read ------------------------------------------------------------------

    def _illuminance_from_lx(
        self, luminaire: Luminaire, point: Vector, normal: Vector, t_s: float
    ) -> float:
        to_luminaire = sub(luminaire.position_m, point)
        distance_sq_m2 = dot(to_luminaire, to_luminaire)
        if distance_sq_m2 == 0:
            raise ValueError(f"sensor point {point} is at luminaire {luminaire.name!r}")
        distance_m = math.sqrt(distance_sq_m2)
        cos_incidence = dot(normal, to_luminaire) / distance_m
        cos_emission = -dot(luminaire.aim, to_luminaire) / distance_m
        if cos_incidence <= 0 or cos_emission <= 0:
            return 0.0
        intensity_cd = (
            luminaire.flux_at_lm(t_s)
            * luminaire.peak_intensity_cd_per_lm
            * math.pow(cos_emission, luminaire.distribution_exponent)
        )
        return intensity_cd * cos_incidence / distance_sq_m2

    def _resolve(self, t_s: float | None) -> float:
        when_s = self._now_s() if t_s is None else t_s
        self.advance_to(when_s)
        return when_s

    def illuminance_lx(
        self, point: Vector, t_s: float | None = None, normal: Vector = (0.0, 0.0, 1.0)
    ) -> float:
        """Illuminance at ``point`` on a surface facing ``normal`` at ``t_s`` (default now), lx."""
        with self._lock:
            when_s = self._resolve(t_s)
            unit_normal = unit(normal)
            direct_lx = sum(
                self._illuminance_from_lx(lum, point, unit_normal, when_s)
                for lum in self.luminaires
            )
            return direct_lx + self.ambient_lx

    def illuminance_grid_lx(
        self, points: Sequence[Vector], t_s: float | None = None
    ) -> list[float]:
        """Illuminance at each of ``points`` (horizontal, facing up), lx."""
        with self._lock:
            when_s = self._resolve(t_s)
            return [self.illuminance_lx(point, when_s) for point in points]

    def uniformity(
        self, points: Sequence[Vector], t_s: float | None = None
    ) -> tuple[float, float, float]:
        """``(average_lx, minimum_lx, U0 = Emin / Eavg)`` over ``points`` (EN 12464-1)."""
        values_lx = self.illuminance_grid_lx(points, t_s)
        average_lx = sum(values_lx) / len(values_lx)
        minimum_lx = min(values_lx)
        return average_lx, minimum_lx, (minimum_lx / average_lx if average_lx > 0 else 0.0)

    def chromaticity_xy(
        self, point: Vector, t_s: float | None = None, normal: Vector = (0.0, 0.0, 1.0)
    ) -> tuple[float, float] | None:
        """CIE 1931 chromaticity of the light reaching ``point`` (None in the dark).

        The tristimulus values of each luminaire's contribution (Y = its illuminance) are
        summed; ``ambient_lx`` is taken as neutral (equal-energy white) light.
        """
        with self._lock:
            when_s = self._resolve(t_s)
            unit_normal = unit(normal)
            total_x = total_y = total_z = 0.0
            contributions = [
                (self._illuminance_from_lx(lum, point, unit_normal, when_s), lum.chromaticity_xy())
                for lum in self.luminaires
            ]
            contributions.append((self.ambient_lx, (1.0 / 3.0, 1.0 / 3.0)))
            for big_y, (x, y) in contributions:
                if big_y <= 0:
                    continue
                total_x += x / y * big_y
                total_y += big_y
                total_z += (1.0 - x - y) / y * big_y
            total = total_x + total_y + total_z
            if total <= 0:
                return None
            return total_x / total, total_y / total

    def cct_k(
        self, point: Vector, t_s: float | None = None, normal: Vector = (0.0, 0.0, 1.0)
    ) -> float | None:
        """Correlated colour temperature of the light at ``point`` (McCamy), K; None if dark."""
        xy = self.chromaticity_xy(point, t_s, normal)
        return None if xy is None else mccamy_cct_k(*xy)

    def light_at(
        self, point: Vector, t_s: float | None = None, normal: Vector = (0.0, 0.0, 1.0)
    ) -> tuple[float, float | None]:
        """``(illuminance_lx, cct_k)`` at ``point`` (CCT None in the dark), for colour sensors."""
        with self._lock:
            when_s = self._resolve(t_s)
            return self.illuminance_lx(point, when_s, normal), self.cct_k(point, when_s, normal)

    def lux_source(self, point: Vector, normal: Vector = (0.0, 0.0, 1.0)) -> Callable[[], float]:
        """A ``source()`` for a light-sensor chip sim at ``point``: illuminance now, lx.

        For a colour sensor wanting a ``LightSpec``, wrap :meth:`light_at` instead, e.g.
        ``lambda: LightSpec(lx, cct or 4000.0)`` after ``lx, cct = room.light_at(point)``.
        """

        def source() -> float:
            return self.illuminance_lx(point, normal=normal)

        return source

    def arc_level(self, address: int, t_s: float | None = None) -> float:
        """Actual arc level of the luminaire at ``address`` (DALI QUERY ACTUAL LEVEL)."""
        with self._lock:
            return self.luminaire(address).level_at(self._resolve(t_s))
