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
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from benchscore.clock import Clock

Vector = tuple[float, float, float]

DALI_OFF = 0
DALI_MIN_ARC = 1
DALI_MAX_ARC = 254
DALI_MASK = 255
DALI_SCENES = 16
_DALI_STEPS_PER_DECADE = 253.0 / 3.0


# -- DALI curve -----------------------------------------------------------------------------


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


# -- colour ---------------------------------------------------------------------------------


def planckian_xy(cct_k: float) -> tuple[float, float]:
    """CIE 1931 chromaticity of a Planckian radiator at ``cct_k`` (Kim et al. 2002 spline).

    Valid 1667..25000 K (clamped outside).
    """
    t = min(25000.0, max(1667.0, cct_k))
    if t <= 4000.0:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222.0:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000.0:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def mccamy_cct_k(x: float, y: float) -> float:
    """Correlated colour temperature from CIE 1931 x, y by McCamy's cubic (near the locus)."""
    n = (x - 0.3320) / (0.1858 - y)
    return 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33


# -- geometry -------------------------------------------------------------------------------


def _sub(a: Vector, b: Vector) -> Vector:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit(v: Vector) -> Vector:
    length = math.sqrt(_dot(v, v))
    if length == 0:
        raise ValueError("a direction must not be the zero vector")
    return v[0] / length, v[1] / length, v[2] / length


def en12464_grid_spacing_m(longer_side_m: float) -> float:
    """Maximum calculation-grid spacing ``p = 0.2 * 5^log10(d)`` (capped at 10 m), m."""
    return min(10.0, 0.2 * math.pow(5.0, math.log10(longer_side_m)))


# -- luminaire ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Transition:
    """A fade from ``from_arc`` at ``start_s`` to ``to_arc`` over ``fade_s``."""

    start_s: float
    from_arc: float
    to_arc: float
    fade_s: float

    def arc_level(self, t_s: float) -> float:
        if t_s < self.start_s:
            return self.from_arc
        if self.fade_s <= 0 or t_s >= self.start_s + self.fade_s:
            return self.to_arc
        # From off the lamp lights at its minimum level; towards off it fades down to the
        # minimum level and goes out at the end (IEC 62386-102 behaviour).
        low = self.from_arc if self.from_arc > 0 else float(DALI_MIN_ARC)
        high = self.to_arc if self.to_arc > 0 else float(DALI_MIN_ARC)
        return low + (high - low) * (t_s - self.start_s) / self.fade_s


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
    scene_levels: dict[int, int] = field(default_factory=dict)
    _transitions: list[_Transition] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 63:
            raise ValueError(f"DALI short address must be 0..63, got {self.address}")
        if any(not 0 <= g <= 15 for g in self.groups):
            raise ValueError(f"DALI groups must be 0..15, got {sorted(self.groups)}")
        self.aim = _unit(self.aim)
        self._transitions.append(_Transition(-math.inf, self.target_arc, self.target_arc, 0.0))

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
        return dali_arc_to_fraction(self.level_at(t_s)) * self.output_factor

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
        self._transitions.append(_Transition(start_s, self.level_at(start_s), target, fade))
        self.target_arc = target


# -- occupancy ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Scene:
    """A DALI scene: arc level per short address (addresses not listed keep MASK)."""

    number: int
    levels: Mapping[int, int]
    name: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.number < DALI_SCENES:
            raise ValueError(f"DALI scene number must be 0..15, got {self.number}")


# -- room -----------------------------------------------------------------------------------


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
        to_luminaire = _sub(luminaire.position_m, point)
        distance_sq_m2 = _dot(to_luminaire, to_luminaire)
        if distance_sq_m2 == 0:
            raise ValueError(f"sensor point {point} is at luminaire {luminaire.name!r}")
        distance_m = math.sqrt(distance_sq_m2)
        cos_incidence = _dot(normal, to_luminaire) / distance_m
        cos_emission = -_dot(luminaire.aim, to_luminaire) / distance_m
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
            unit_normal = _unit(normal)
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
            unit_normal = _unit(normal)
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
