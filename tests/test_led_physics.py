"""The simulated LED assembly obeys its forward-voltage model and its faults."""

from __future__ import annotations

import math

import pytest

from benchscore.sim.assemblies.led import (
    LEDAssembly,
    LEDAssemblySpec,
    LEDFault,
    LEDJig,
    SupplySpec,
    operating_point,
)


def test_string_current_follows_knee_and_dynamic_resistance() -> None:
    spec = LEDAssemblySpec(
        strings=1, leds_per_string=3, vf_knee_v=2.75, r_dynamic_ohm=1.5, series_resistor_ohm=33.0
    )
    led = LEDAssembly(spec)
    assert led.current_a(8.0) == 0.0  # below 3 x 2.75 V: dark
    assert led.current_a(12.0) == pytest.approx((12.0 - 8.25) / (33.0 + 4.5))
    assert led.current_a(-12.0) == 0.0


def test_light_is_lambertian_on_axis() -> None:
    led = LEDAssembly()
    flux = led.flux_lm(12.0)
    assert led.illuminance_lx(12.0) == pytest.approx(flux / math.pi / 0.3**2)
    assert flux == pytest.approx(900.0 * 3 * led.current_a(12.0))


def test_supply_solution_respects_output_resistance_and_current_limit() -> None:
    supply = SupplySpec(voltage_v=12.0, output_resistance_ohm=0.05, current_limit_a=2.0)
    v, i = operating_point(supply, LEDAssembly().current_a)
    assert v + 0.05 * i == pytest.approx(12.0, abs=1e-9)
    v, i = operating_point(supply, LEDAssembly(fault=LEDFault.SHORT_CIRCUIT).current_a)
    assert i == pytest.approx(2.0, rel=1e-6)
    assert v < 1.0


@pytest.mark.parametrize(
    "fault,current_ratio,light_ratio",
    [
        (LEDFault.OPEN_STRING, 2 / 3, 2 / 3),
        (LEDFault.REVERSED, 0.0, 0.0),
        (LEDFault.WRONG_BIN, 1.0, 0.6),
    ],
)
def test_faults_change_current_and_light(
    fault: LEDFault, current_ratio: float, light_ratio: float
) -> None:
    good = LEDJig(LEDAssembly(), ambient_lx=0.0)
    bad = LEDJig(LEDAssembly(fault=fault), ambient_lx=0.0)
    assert bad.electrical()[1] == pytest.approx(good.electrical()[1] * current_ratio, rel=5e-3)
    assert bad.illuminance_lx() == pytest.approx(good.illuminance_lx() * light_ratio, rel=5e-3)


def test_shorted_led_draws_too_much_current() -> None:
    good = LEDJig(LEDAssembly()).electrical()[1]
    bad = LEDJig(LEDAssembly(fault=LEDFault.SHORTED_LED)).electrical()[1]
    assert bad > good * 1.2


def test_jig_power_switch_gates_everything() -> None:
    on = [False]
    jig = LEDJig(LEDAssembly(), power_on=lambda: on[0], ambient_lx=3.0)
    assert jig.electrical() == (0.0, 0.0)
    assert jig.illuminance_lx() == 3.0
    on[0] = True
    assert jig.electrical()[1] > 0.25


# --- numbers the station and its tests rely on, and what the newer faults do ---------------


def test_good_assembly_numbers_are_pinned() -> None:
    jig = LEDJig(LEDAssembly())
    v, i = jig.electrical()
    assert v == pytest.approx(11.98506, abs=1e-5)
    assert i == pytest.approx(0.298805, abs=1e-6)
    assert jig.illuminance_lx() == pytest.approx(2853.375 + 3.0, abs=1e-3)  # assembly + ambient


@pytest.mark.parametrize("fault", [LEDFault.OPEN_LED, LEDFault.REVERSED_STRING])
def test_one_dark_string_costs_a_third(fault: LEDFault) -> None:
    good = LEDJig(LEDAssembly(), ambient_lx=0.0)
    bad = LEDJig(LEDAssembly(fault=fault), ambient_lx=0.0)
    assert bad.electrical()[1] == pytest.approx(good.electrical()[1] * 2 / 3, rel=5e-3)
    assert bad.illuminance_lx() == pytest.approx(good.illuminance_lx() * 2 / 3, rel=5e-3)
    assert LEDAssembly(fault=fault).led_currents_a(12.0)[0] == 0.0


def test_fault_string_selects_the_string_hit() -> None:
    led = LEDAssembly(fault=LEDFault.OPEN_LED, fault_string=2)
    currents = led.led_currents_a(12.0)
    assert currents[2] == 0.0
    assert currents[0] == currents[1] > 0.09
    with pytest.raises(ValueError, match="fault_string"):
        LEDAssembly(fault=LEDFault.OPEN_LED, fault_string=3)


def test_reverse_polarity_check_finds_the_string_in_backwards() -> None:
    """With the supply leads swapped, only a string soldered in backwards conducts."""
    for fault, strings_lit in [
        (LEDFault.NONE, 0),
        (LEDFault.REVERSED_STRING, 1),
        (LEDFault.REVERSED, 3),
    ]:
        jig = LEDJig(LEDAssembly(fault=fault), ambient_lx=0.0).with_supply_voltage(-12.0)
        v, i = jig.electrical()
        one_string = (v + 8.25) / (33.0 + 4.5)  # v is negative
        assert v < 0
        assert i == pytest.approx(strings_lit * one_string, abs=1e-12)
        assert jig.illuminance_lx() == pytest.approx(
            900.0 * 3 * strings_lit * -one_string / math.pi / 0.3**2
        )


def test_negative_set_point_is_the_mirror_image() -> None:
    load = LEDAssembly(fault=LEDFault.REVERSED).current_a
    v, i = operating_point(SupplySpec(voltage_v=-12.0), load)
    good_v, good_i = operating_point(SupplySpec(voltage_v=12.0), LEDAssembly().current_a)
    assert (v, i) == pytest.approx((-good_v, -good_i))


def test_wrong_bin_is_also_the_wrong_colour() -> None:
    good = LEDJig(LEDAssembly(), ambient_lx=0.0).cct_duv()
    bad = LEDJig(LEDAssembly(fault=LEDFault.WRONG_BIN), ambient_lx=0.0).cct_duv()
    assert good is not None and bad is not None
    assert good[0] == pytest.approx(3000.0, abs=2.0)
    assert bad[0] == pytest.approx(6500.0, abs=5.0)
    assert abs(good[1]) < 1e-4 and abs(bad[1]) < 1e-4


def test_strong_flicker_keeps_the_averages() -> None:
    good = LEDJig(LEDAssembly())
    bad = LEDJig(LEDAssembly(fault=LEDFault.STRONG_FLICKER))
    assert bad.electrical() == good.electrical()
    assert bad.illuminance_lx() == good.illuminance_lx()
