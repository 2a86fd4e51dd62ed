"""LED assemblies with switched channels, PWM dimming and colour, seen through real drivers.

Channel enables come from a simulated MCP23017 driven by its driver; the photodiode waveform
is sampled directly and through an ADS1115; colour is read by a TCS34725 fed by the jig's
LightSpec. Expected colours are computed here from the Planckian locus
(:mod:`benchscore.analysis.colour`) and per-channel illuminances measured one channel at a
time, not from the simulation's own bins.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchscore.analysis.colour import cct_duv_from_xy, planck_uv, uv_to_xy
from benchscore.analysis.flicker import dominant_frequency_hz, flicker_metrics
from benchscore.clock import SimClock
from benchscore.sim.assemblies.led import (
    ALL_CHANNELS,
    PWM,
    LEDAssembly,
    LEDAssemblySpec,
    LEDFault,
    LEDJig,
    Photodiode,
    rgbw_spec,
    tunable_white_spec,
)
from benchscore.sim.chips.ads1x15 import SimADS1115
from benchscore.sim.chips.bh1750 import SimBH1750
from benchscore.sim.chips.mcp23017 import SimMCP23017
from benchscore.sim.chips.tcs34725 import SimTCS34725
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec
from drivers.ads1x15 import ADS1115
from drivers.bh1750 import BH1750
from drivers.mcp23017 import MCP23017
from drivers.tcs34725 import TCS34725, Gain, IntegrationTime


def planck_xy(cct_k: float) -> tuple[float, float]:
    xy = uv_to_xy(planck_uv(cct_k))
    return float(xy[0]), float(xy[1])


def mix_cct(parts: list[tuple[float, tuple[float, float]]]) -> float:
    """CCT of lights (illuminance, (x, y)) added as tristimulus values."""
    big_x = sum(lux * x / y for lux, (x, y) in parts)
    big_y = sum(lux for lux, _ in parts)
    big_z = sum(lux * (1 - x - y) / y for lux, (x, y) in parts)
    total = big_x + big_y + big_z
    cct, _ = cct_duv_from_xy((big_x / total, big_y / total))
    return float(cct)


class GpioJig:
    """A tunable-white jig whose channel MOSFETs hang on GPA0..GPA3 of an MCP23017."""

    def __init__(self, fault: LEDFault = LEDFault.NONE) -> None:
        self.bus = SimI2CBus()
        self.expander = SimMCP23017()
        self.bus.attach(0x20, self.expander)
        self.gpio = MCP23017(self.bus, 0x20)
        self.gpio.set_outputs(0x000F)
        self.jig = LEDJig(
            LEDAssembly(tunable_white_spec(), fault),
            ambient_lx=0.0,
            channel_enable=lambda: self.expander.output_pins() & 0xFF,
        )

    def only(self, line: int | None) -> None:
        self.gpio.write_outputs(0 if line is None else 1 << line)


# --- channels -----------------------------------------------------------------------------


def test_channels_switch_one_at_a_time_through_the_expander() -> None:
    rig = GpioJig()
    rig.only(None)
    assert rig.jig.electrical()[1] == 0.0
    assert rig.jig.illuminance_lx() == 0.0
    assert rig.jig.light().illuminance_lx == 0.0

    rig.only(0)
    warm_lux, cool_lux = rig.jig.channel_illuminance_lx()
    warm_i = rig.jig.electrical()[1]
    assert warm_lux > 1800 and cool_lux == 0.0
    # two strings of (V - 3 x 2.75 V) / 37.5 ohm, V = 12 V - 0.05 ohm x I
    assert warm_i == pytest.approx((2 * 3.75 / 37.5) / (1 + 2 * 0.05 / 37.5), rel=1e-9)
    assert rig.jig.light().cct_k == pytest.approx(3000.0, abs=3.0)

    rig.only(1)
    assert rig.jig.channel_illuminance_lx()[0] == 0.0
    assert rig.jig.light().cct_k == pytest.approx(6500.0, abs=8.0)

    rig.gpio.write_outputs(0b11)
    both_i = rig.jig.electrical()[1]
    assert 0.995 * 2 * warm_i < both_i < 2 * warm_i  # a little more drop in the supply


def test_swapped_channels_light_the_other_channel() -> None:
    rig = GpioJig(LEDFault.SWAPPED_CHANNELS)
    rig.only(0)  # the warm channel's line...
    assert rig.jig.channel_illuminance_lx()[0] == 0.0
    cct = rig.jig.cct_duv()
    assert cct is not None and cct[0] == pytest.approx(6500.0, abs=8.0)  # ...lights the cool one
    rig.gpio.write_outputs(0b11)
    good = GpioJig()
    good.gpio.write_outputs(0b11)
    assert rig.jig.illuminance_lx() == pytest.approx(good.jig.illuminance_lx())


def test_swapped_channels_take_the_other_lines_pwm() -> None:
    jig = LEDJig(LEDAssembly(tunable_white_spec(), LEDFault.SWAPPED_CHANNELS), ambient_lx=0.0)
    full = jig.channel_illuminance_lx()
    jig.set_pwm(0, 0.25)
    warm, cool = jig.channel_illuminance_lx()
    assert warm == pytest.approx(full[0], rel=2e-3)
    assert cool == pytest.approx(0.25 * full[1], rel=2e-3)


def test_single_channel_assembly_ignores_channel_swap_with_all_lines_on() -> None:
    good = LEDJig(LEDAssembly())
    swapped = LEDJig(LEDAssembly(fault=LEDFault.SWAPPED_CHANNELS))
    assert swapped.electrical() == good.electrical()
    assert swapped.channel_enable() == ALL_CHANNELS


def test_open_led_darkens_only_its_channel() -> None:
    good = LEDJig(LEDAssembly(tunable_white_spec()), ambient_lx=0.0).channel_illuminance_lx()
    bad = LEDJig(
        LEDAssembly(tunable_white_spec(), LEDFault.OPEN_LED, fault_string=3), ambient_lx=0.0
    ).channel_illuminance_lx()
    assert bad[0] == pytest.approx(good[0], rel=2e-3)
    assert bad[1] == pytest.approx(good[1] / 2, rel=2e-3)


def test_channels_given_set_the_string_count() -> None:
    spec = tunable_white_spec()
    assert spec.strings == 4
    assert len(LEDAssembly(spec).led_currents_a(12.0)) == 4
    assert LEDAssembly(spec).channel_count == 2
    assert LEDAssembly(LEDAssemblySpec()).channel_count == 1


# --- PWM ----------------------------------------------------------------------------------


def test_pwm_waveform_has_the_set_frequency_and_duty() -> None:
    jig = LEDJig(LEDAssembly(), ambient_lx=3.0)
    on_v = jig.photodiode_v(0.0)
    jig.set_pwm(0, 0.3, 1000.0)
    fs = 200_000.0
    t = np.arange(10_000) / fs + 1.23e-4  # 50 periods, not aligned to an edge
    volts = jig.photodiode_waveform_v(t)
    dark_v = float(Photodiode().volts(3.0))
    assert volts.max() == pytest.approx(on_v)
    assert volts.min() == pytest.approx(dark_v)
    assert dominant_frequency_hz(volts, fs) == pytest.approx(1000.0, rel=1e-3)
    duty = float(np.mean(volts > 0.5 * (on_v + dark_v)))
    assert duty == pytest.approx(0.3, abs=1 / 200)


def test_average_illuminance_is_proportional_to_duty() -> None:
    jig = LEDJig(LEDAssembly(), ambient_lx=3.0)
    full = jig.illuminance_lx() - 3.0
    full_i = jig.electrical()[1]
    for duty in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
        jig.set_pwm(0, duty, 500.0)
        assert jig.illuminance_lx() - 3.0 == pytest.approx(duty * full, rel=1e-9, abs=1e-9)
        assert jig.electrical()[1] == pytest.approx(duty * full_i, rel=1e-9, abs=1e-12)
        # the instantaneous waveform averages to the same over whole periods
        t = (np.arange(20_000) + 0.5) / 100_000.0  # sample instants clear of the edges
        assert jig.illuminance_waveform_lx(t).mean() == pytest.approx(
            jig.illuminance_lx(), rel=2e-3
        )


def test_an_integrating_sensor_reads_the_pwm_average() -> None:
    clock = SimClock()
    bus = SimI2CBus()
    jig = LEDJig(LEDAssembly(), ambient_lx=3.0)
    bus.attach(0x23, SimBH1750(clock, source=jig.illuminance_lx))
    sensor = BH1750(bus, 0x23, clock=clock)
    full = sensor.measure_lx()
    jig.set_pwm(0, 0.25, 1000.0)
    clock.sleep(0.2)
    assert sensor.measure_lx() - 3.0 == pytest.approx(0.25 * (full - 3.0), abs=1.0)


def test_pwm_validates_and_reports() -> None:
    jig = LEDJig(LEDAssembly())
    assert jig.pwm(0) == PWM(1.0)
    with pytest.raises(ValueError, match="duty"):
        jig.set_pwm(0, 1.5)
    with pytest.raises(ValueError, match="frequency"):
        jig.set_pwm(0, 0.5, 0.0)
    jig.set_pwm(1, 0.5, 200.0, phase=0.25)
    assert jig.pwm(1) == PWM(0.5, 200.0, 0.25)
    assert PWM(0.5, 200.0, 0.25).on([0.0, 1.3e-3, 4.0e-3]).tolist() == [True, False, True]
    dimmed = jig.with_supply_voltage(11.0)
    assert dimmed.pwm(1) == PWM(0.5, 200.0, 0.25)
    jig.clear_pwm()
    assert jig.pwm(1) == PWM(1.0)


def test_power_off_leaves_only_ambient_in_the_waveform() -> None:
    on = [False]
    jig = LEDJig(LEDAssembly(), power_on=lambda: on[0], ambient_lx=3.0)
    t = np.linspace(0.0, 0.01, 101)
    assert np.array_equal(jig.illuminance_waveform_lx(t), np.full(101, 3.0))
    assert jig.electrical_at(0.004) == (0.0, 0.0)
    on[0] = True
    assert jig.electrical_at(0.004) == jig.electrical()


# --- flicker --------------------------------------------------------------------------------


def test_strong_flicker_is_a_deep_100_hz_modulation() -> None:
    jig = LEDJig(LEDAssembly(fault=LEDFault.STRONG_FLICKER), ambient_lx=0.0)
    fs = 20_000.0
    lux = jig.illuminance_waveform_lx(np.arange(20_000) / fs)
    result = flicker_metrics(lux, fs)
    d = 0.8
    expected = 100 * (d * math.pi / 2) / (2 * (1 - d) + d * math.pi / 2)  # 75.9 %
    assert result.frequency_hz == pytest.approx(100.0, rel=1e-3)
    assert result.percent_flicker == pytest.approx(expected, abs=0.5)
    assert lux.mean() == pytest.approx(jig.illuminance_lx(), rel=1e-3)
    good = LEDJig(LEDAssembly(), ambient_lx=0.0)
    assert (
        flicker_metrics(good.illuminance_waveform_lx(np.arange(20_000) / fs), fs).percent_flicker
        == 0.0
    )


@pytest.mark.parametrize(
    "fault,min_percent,max_percent",
    [
        (LEDFault.NONE, 0.0, 0.0),
        (LEDFault.STRONG_FLICKER, 60.0, 77.0),
    ],
)
def test_ads1115_capture_of_the_photodiode_sees_flicker(
    fault: LEDFault, min_percent: float, max_percent: float
) -> None:
    clock = SimClock()
    bus = SimI2CBus()
    jig = LEDJig(LEDAssembly(fault=fault), ambient_lx=0.0)
    bus.attach(0x48, SimADS1115(clock, jig.adc_source(0)))
    adc = ADS1115(bus, 0x48, clock=clock)
    volts = adc.capture(860, 860, 0)
    assert volts.mean() == pytest.approx(jig.photodiode.volts(jig.illuminance_lx()), rel=2e-2)
    result = flicker_metrics(volts, 860.0)
    assert min_percent <= result.percent_flicker <= max_percent
    if fault is LEDFault.STRONG_FLICKER:
        assert result.frequency_hz == pytest.approx(100.0, rel=1e-2)
    assert adc.read_voltage_v(1) == 0.0  # only AIN0 carries the photodiode


# --- colour ---------------------------------------------------------------------------------


def test_channel_mix_has_the_cct_of_added_tristimulus_values() -> None:
    rig = GpioJig()
    rig.only(0)
    warm = rig.jig.illuminance_lx()
    rig.only(1)
    cool = rig.jig.illuminance_lx()
    rig.gpio.write_outputs(0b11)
    expected = mix_cct([(warm, planck_xy(3000.0)), (cool, planck_xy(6500.0))])
    cct = rig.jig.cct_duv()
    assert cct is not None
    assert cct[0] == pytest.approx(expected, rel=1e-3)
    assert 4000.0 < cct[0] < 4500.0  # equal illuminance of 3000 K and 6500 K
    assert rig.jig.light().cct_k == pytest.approx(expected, rel=1e-3)

    rig.jig.set_pwm(0, 0.5, 1000.0)  # half the warm light: the mix moves towards cool
    expected = mix_cct([(warm / 2, planck_xy(3000.0)), (cool, planck_xy(6500.0))])
    assert rig.jig.light().cct_k == pytest.approx(expected, rel=1e-3)


def test_ambient_light_is_mixed_in() -> None:
    jig = LEDJig(LEDAssembly(), ambient_lx=500.0, ambient_cct_k=6500.0)
    assembly = jig.illuminance_lx() - 500.0
    expected = mix_cct([(assembly, planck_xy(3000.0)), (500.0, planck_xy(6500.0))])
    assert jig.light().cct_k == pytest.approx(expected, rel=1e-3)
    assert jig.light().illuminance_lx == pytest.approx(assembly + 500.0)


def test_coloured_channels_mix_and_stay_a_valid_lightspec() -> None:
    jig = LEDJig(LEDAssembly(rgbw_spec()), ambient_lx=0.0)
    per_channel = jig.channel_illuminance_lx()
    assert all(lux > 50 for lux in per_channel)
    bins = jig.assembly.channel_bins()
    expected = mix_cct([(lux, b.xy) for lux, b in zip(per_channel, bins, strict=True)])
    cct = jig.cct_duv()
    assert cct is not None and cct[0] == pytest.approx(expected, rel=1e-6)
    red_only = LEDJig(LEDAssembly(rgbw_spec()), ambient_lx=0.0, channel_enable=lambda: 0b0001)
    light = red_only.light()  # far off the locus: CCT clamped into what LightSpec accepts
    assert isinstance(light, LightSpec) and 1000.0 <= light.cct_k <= 25000.0


def test_dark_jig_gives_a_dark_lightspec() -> None:
    jig = LEDJig(LEDAssembly(), power_on=lambda: False, ambient_lx=0.0)
    assert jig.chromaticity() is None
    assert jig.light() == LightSpec(0.0, 4000.0, "led")


@pytest.mark.parametrize(
    "fault,spec,pwm,expected_cct",
    [
        (LEDFault.NONE, LEDAssemblySpec(), None, 3000.0),
        (LEDFault.WRONG_BIN, LEDAssemblySpec(), None, 6500.0),
        (LEDFault.NONE, tunable_white_spec(), None, 4227.0),
        (LEDFault.NONE, tunable_white_spec(), 0.5, 4837.0),
    ],
)
def test_tcs34725_reads_the_assembly_cct(
    fault: LEDFault, spec: LEDAssemblySpec, pwm: float | None, expected_cct: float
) -> None:
    clock = SimClock()
    bus = SimI2CBus()
    jig = LEDJig(LEDAssembly(spec, fault), ambient_lx=3.0)
    if pwm is not None:
        jig.set_pwm(0, pwm, 1000.0)
    bus.attach(0x29, SimTCS34725(clock, source=jig.light))
    sensor = TCS34725(bus, clock=clock, gain=Gain.X1, integration_time=IntegrationTime.MS_50)
    reading = sensor.read()
    truth = jig.cct_duv()
    assert truth is not None and truth[0] == pytest.approx(expected_cct, rel=5e-3)
    assert reading.cct_k == pytest.approx(truth[0], rel=0.03)
    assert reading.illuminance_lx == pytest.approx(jig.illuminance_lx(), rel=0.03)
