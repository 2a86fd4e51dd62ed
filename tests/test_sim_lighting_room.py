"""Lighting room physics: photometry, DALI curve and fades, scenes, occupancy, colour."""

from __future__ import annotations

import math

import pytest

from benchscore.clock import SimClock
from benchscore.sim.assemblies.lighting_room import (
    DALI_MASK,
    Luminaire,
    OccupancySensor,
    Room,
    Scene,
    dali_arc_to_fraction,
    dali_fade_time_s,
    dali_fraction_to_arc,
    en12464_grid_spacing_m,
    mccamy_cct_k,
    planckian_xy,
)


def single(
    clock: SimClock, exponent: float = 1.0, level: int = 254, delay_s: float = 0.0
) -> tuple[Room, Luminaire]:
    room = Room(clock, 4.0, 4.0, 3.0)
    lum = room.add_luminaire(
        Luminaire(
            "L1",
            (2.0, 2.0, 3.0),
            flux_lm=3000.0,
            address=0,
            distribution_exponent=exponent,
            target_arc=level,
            response_delay_s=delay_s,
        )
    )
    return room, lum


# -- DALI curve -----------------------------------------------------------------------------


def test_dali_curve_spot_values() -> None:
    assert dali_arc_to_fraction(254) == pytest.approx(1.0)
    assert dali_arc_to_fraction(1) == pytest.approx(0.001)
    assert dali_arc_to_fraction(85) == pytest.approx(0.01, rel=0.01)
    assert dali_arc_to_fraction(0) == 0.0
    for arc, percent in ((86, 1.02), (144, 4.96), (170, 10.09), (229, 50.5)):
        assert 100 * dali_arc_to_fraction(arc) == pytest.approx(percent, abs=0.01 * percent)
    with pytest.raises(ValueError):
        dali_arc_to_fraction(DALI_MASK)


def test_dali_curve_is_logarithmic_and_invertible() -> None:
    for arc in range(1, 254):
        slope = math.log10(dali_arc_to_fraction(arc + 1) / dali_arc_to_fraction(arc))
        assert slope == pytest.approx(3 / 253)
    assert all(dali_fraction_to_arc(dali_arc_to_fraction(n)) == n for n in range(0, 255))
    assert dali_fraction_to_arc(2.0) == 254
    assert dali_fraction_to_arc(1e-6) == 1


def test_dali_fade_times() -> None:
    assert dali_fade_time_s(0) == 0.0
    assert dali_fade_time_s(1) == pytest.approx(0.707, abs=0.001)
    assert dali_fade_time_s(4) == pytest.approx(2.0)
    assert dali_fade_time_s(15) == pytest.approx(90.5, abs=0.05)
    with pytest.raises(ValueError):
        dali_fade_time_s(16)


# -- photometry -----------------------------------------------------------------------------


@pytest.mark.parametrize("exponent", [1.0, 2.5])
@pytest.mark.parametrize("point", [(2.0, 2.0, 0.8), (3.0, 1.5, 0.8), (0.1, 3.9, 0.0)])
def test_illuminance_is_intensity_over_distance_squared_times_cosine(
    exponent: float, point: tuple[float, float, float]
) -> None:
    room, lum = single(SimClock(), exponent)
    dx, dy, dz = (point[0] - 2.0, point[1] - 2.0, point[2] - 3.0)
    distance_m = math.sqrt(dx * dx + dy * dy + dz * dz)
    cos_theta = -dz / distance_m  # emission angle from nadir = incidence angle on the floor
    intensity_cd = 3000.0 * (exponent + 1) / (2 * math.pi) * cos_theta**exponent
    expected_lx = intensity_cd / distance_m**2 * cos_theta
    assert room.illuminance_lx(point) == pytest.approx(expected_lx, rel=1e-12)
    assert lum.intensity_cd(math.acos(cos_theta), 0.0) == pytest.approx(intensity_cd)


def test_lambertian_flux_is_conserved_over_the_hemisphere() -> None:
    _room, lum = single(SimClock())
    n = 2000
    d_theta = (math.pi / 2) / n
    flux_lm = (
        sum(
            lum.intensity_cd((k + 0.5) * d_theta, 0.0) * 2 * math.pi * math.sin((k + 0.5) * d_theta)
            for k in range(n)
        )
        * d_theta
    )
    assert flux_lm == pytest.approx(3000.0, rel=1e-5)


def test_tilted_sensor_back_facing_and_ambient() -> None:
    clock = SimClock()
    room, _lum = single(clock)
    point = (3.0, 2.0, 0.8)
    up_lx = room.illuminance_lx(point)
    # a sensor facing straight at the luminaire sees cos(incidence) = 1
    to_lum = (-1.0, 0.0, 2.2)
    facing_lx = room.illuminance_lx(point, normal=to_lum)
    assert facing_lx == pytest.approx(up_lx / (2.2 / math.hypot(1.0, 2.2)))
    assert room.illuminance_lx(point, normal=(0.0, 0.0, -1.0)) == 0.0
    assert room.illuminance_lx((2.0, 2.0, 3.5)) == 0.0  # above the luminaire
    room.ambient_lx = 40.0
    assert room.illuminance_lx(point) == pytest.approx(up_lx + 40.0)


def test_two_luminaires_add_and_dimming_follows_the_curve() -> None:
    clock = SimClock()
    room = Room(clock, 6.0, 3.0)
    a = room.add_luminaire(Luminaire("A", (1.5, 1.5, 3.0), 2000.0, 1, target_arc=254))
    room.add_luminaire(Luminaire("B", (4.5, 1.5, 3.0), 2000.0, 2, target_arc=254))
    point = (2.0, 1.0, 0.8)
    both_lx = room.illuminance_lx(point)
    room.off(address=2)
    clock.advance(1.0)
    only_a_lx = room.illuminance_lx(point)
    assert 0 < only_a_lx < both_lx
    room.direct_arc_power(170, address=1)
    clock.advance(1.0)
    assert room.illuminance_lx(point) == pytest.approx(only_a_lx * dali_arc_to_fraction(170))
    a.output_factor = 0.8  # maintenance factor: dirty diffuser
    assert room.illuminance_lx(point) == pytest.approx(0.8 * only_a_lx * dali_arc_to_fraction(170))


def test_en12464_grid_and_uniformity() -> None:
    assert en12464_grid_spacing_m(10.0) == pytest.approx(1.0)
    assert en12464_grid_spacing_m(5.0) == pytest.approx(0.6, abs=0.02)
    clock = SimClock()
    room = Room(clock, 10.0, 5.0)
    for i, x in enumerate((2.5, 7.5)):
        room.add_luminaire(Luminaire(f"L{i}", (x, 2.5, 3.0), 4000.0, i, target_arc=254))
    points = room.grid_points()
    assert len(points) == 10 * 5
    assert all(p[2] == pytest.approx(0.8) for p in points)
    assert points[0][:2] == pytest.approx((0.5, 0.5))
    average_lx, minimum_lx, u0 = room.uniformity(points)
    assert 0 < minimum_lx < average_lx
    assert u0 == pytest.approx(minimum_lx / average_lx)
    inner = room.grid_points(wall_band_m=0.5)
    assert all(0.5 < x < 9.5 and 0.5 < y < 4.5 for x, y, _z in inner)
    assert len(room.grid_points(spacing_m=0.5)) == 20 * 10


# -- time: response delay, fades, scenes ----------------------------------------------------


def test_response_delay_then_fade_linear_in_arc_level() -> None:
    clock = SimClock()
    room, lum = single(clock, level=0, delay_s=0.2)
    lum.fade_time_s = dali_fade_time_s(4)  # 2 s
    point = (2.0, 2.0, 0.8)
    full_lx = 3000.0 * 2 / (2 * math.pi) / 2.2**2
    room.direct_arc_power(254)
    t0 = clock.monotonic()
    assert room.illuminance_lx(point, t0 + 0.19) == 0.0  # driver latency
    assert room.arc_level(0, t0 + 0.2) == pytest.approx(1.0)  # lights at the minimum level
    assert room.arc_level(0, t0 + 1.2) == pytest.approx((1 + 254) / 2)
    assert room.illuminance_lx(point, t0 + 1.2) == pytest.approx(
        full_lx * dali_arc_to_fraction(127.5)
    )
    clock.advance(2.2)
    assert room.illuminance_lx(point) == pytest.approx(full_lx)
    # fading to off goes down to the minimum level, then out
    room.direct_arc_power(0)
    t1 = clock.monotonic()
    assert room.arc_level(0, t1 + 0.2 + 1.99) == pytest.approx(254 - 253 * 1.99 / 2)
    assert room.arc_level(0, t1 + 2.2) == 0.0
    # a command mid-fade continues from where the level is when it takes effect
    clock.advance(1.0)
    room.direct_arc_power(254)
    from_level = 254 - 253 * 1.0 / 2  # the off fade is 1 s in when the new command acts
    assert room.arc_level(0, t1 + 1.2) == pytest.approx(from_level)
    assert room.arc_level(0, t1 + 2.2) == pytest.approx((from_level + 254) / 2)
    assert room.arc_level(0, t1 + 3.2) == 254


def test_scenes_by_group_and_mask() -> None:
    clock = SimClock()
    room = Room(clock, 4.0, 4.0)
    for address in range(3):
        room.add_luminaire(
            Luminaire(
                f"L{address}",
                (1.0 + address, 2.0, 3.0),
                1000.0,
                address,
                groups=frozenset({0} if address < 2 else {1}),
                target_arc=100,
                response_delay_s=0.0,
            )
        )
    room.add_scene(Scene(3, {0: 254, 1: DALI_MASK, 2: 50}, name="presentation"))
    room.go_to_scene(3, group=0)
    clock.advance(0.1)
    assert [room.arc_level(a) for a in range(3)] == [254, 100, 100]
    room.go_to_scene(3)
    clock.advance(0.1)
    assert [room.arc_level(a) for a in range(3)] == [254, 100, 50]
    with pytest.raises(ValueError):
        Scene(16, {})
    with pytest.raises(ValueError):
        room.add_luminaire(Luminaire("dup", (0.0, 0.0, 3.0), 1.0, 0))


# -- occupancy ------------------------------------------------------------------------------


def test_occupancy_switches_on_and_off_after_the_hold_time() -> None:
    clock = SimClock()
    room, _lum = single(clock, level=0, delay_s=0.1)
    room.add_occupancy_sensor(
        OccupancySensor("pir", occupied_arc=254, hold_time_s=60.0, detection_delay_s=0.5)
    )
    point = (2.0, 2.0, 0.8)
    room.set_occupied("pir", True)
    t0 = clock.monotonic()
    assert room.illuminance_lx(point, t0 + 0.59) == 0.0
    clock.advance(0.6)
    assert room.illuminance_lx(point) > 0
    clock.advance(100.0)
    assert room.arc_level(0) == 254  # still occupied
    room.set_occupied("pir", False)
    t1 = clock.monotonic()
    clock.advance(59.0)
    assert room.arc_level(0) == 254  # holding
    room.set_occupied("pir", True)  # someone comes back: the hold is cancelled
    clock.advance(0.6)
    room.set_occupied("pir", False)
    t2 = clock.monotonic()
    clock.advance(59.0)
    assert room.arc_level(0) == 254
    assert t2 + 59.0 > t1 + 60.0  # the first hold would have expired by now
    clock.advance(1.0 + 0.1)
    assert room.arc_level(0) == 0
    assert room.illuminance_lx(point) == 0.0


def test_motion_pulses_retrigger_the_hold() -> None:
    clock = SimClock()
    room, _lum = single(clock, level=0, delay_s=0.0)
    room.add_occupancy_sensor(OccupancySensor("pir", hold_time_s=30.0, detection_delay_s=0.0))
    room.motion("pir")
    clock.advance(20.0)
    room.motion("pir")
    clock.advance(20.0)
    assert room.arc_level(0) == 254
    clock.advance(10.5)
    assert room.arc_level(0) == 0


# -- colour ---------------------------------------------------------------------------------


def test_cct_of_single_and_mixed_luminaires() -> None:
    for cct_k in (2700.0, 3000.0, 4000.0, 5000.0, 6500.0):
        assert mccamy_cct_k(*planckian_xy(cct_k)) == pytest.approx(cct_k, rel=0.01)
    clock = SimClock()
    room = Room(clock, 4.0, 2.0)
    room.add_luminaire(Luminaire("warm", (1.0, 1.0, 3.0), 2000.0, 0, cct_k=2700.0, target_arc=254))
    room.add_luminaire(Luminaire("cool", (3.0, 1.0, 3.0), 2000.0, 1, cct_k=6500.0, target_arc=254))
    under_warm = room.cct_k((1.0, 1.0, 0.8))
    middle = room.cct_k((2.0, 1.0, 0.8))
    under_cool = room.cct_k((3.0, 1.0, 0.8))
    assert under_warm is not None and middle is not None and under_cool is not None
    assert 2700.0 < under_warm < middle < under_cool < 6500.0
    lux, cct = room.light_at((1.0, 1.0, 0.8))
    assert lux == pytest.approx(room.illuminance_lx((1.0, 1.0, 0.8)))
    assert cct == pytest.approx(under_warm)
    source = room.lux_source((2.0, 1.0, 0.8))
    lit_lx = source()
    room.off()
    clock.advance(1.0)
    assert room.chromaticity_xy((2.0, 1.0, 0.8)) is None
    assert room.light_at((2.0, 1.0, 0.8)) == (0.0, None)
    assert lit_lx > 0 and source() == 0.0
