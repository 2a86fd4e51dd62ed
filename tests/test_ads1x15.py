"""ADS1115/ADS1015 drivers against the wire-level simulator: config bytes, scaling, capture."""

from __future__ import annotations

import errno
import math

import numpy as np
import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.ads1x15 import SimADS1x15, SimADS1015, SimADS1115
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.ads1x15 import ADS1015, ADS1115, PGA, ADS1x15, ConversionTimeout, Mode, Mux
from drivers.errors import BusError, ReadingOutOfRange

ADDR = 0x48


def w(*data: int) -> WireEvent:
    return WireEvent(ADDR, "w", bytes(data))


def r(*data: int) -> WireEvent:
    return WireEvent(ADDR, "r", bytes(data))


class Inputs:
    """AIN0..AIN3 as constants or functions of time, set by the test."""

    def __init__(self) -> None:
        self.volts = [0.0, 0.0, 0.0, 0.0]
        self.waveform: dict[int, object] = {}

    def __call__(self, channel: int, t: float) -> float:
        fn = self.waveform.get(channel)
        if callable(fn):
            return float(fn(t))
        return self.volts[channel]


def make(
    chip: type[ADS1x15], sim_cls: type[SimADS1x15], *, rate_factor: float = 1.0, **kw: object
) -> tuple[ADS1x15, SimADS1x15, SimI2CBus, SimClock, Inputs]:
    clock = SimClock(start_wall_s=0.0)
    bus = SimI2CBus(record=True)
    inputs = Inputs()
    sim = sim_cls(clock, inputs, rate_factor=rate_factor)
    bus.attach(ADDR, sim)
    adc = chip(bus, ADDR, clock=clock, **kw)  # type: ignore[arg-type]
    return adc, sim, bus, clock, inputs


def test_ads1115_single_shot_exact_bytes() -> None:
    adc, _, bus, clock, inputs = make(ADS1115, SimADS1115)
    inputs.volts[0] = 1.0
    assert adc.read_voltage_v(0) == pytest.approx(1.0)
    assert list(bus.trace) == [
        w(0x01, 0xC5, 0x83),  # OS=1, AIN0/GND, +-2.048 V, single-shot, 128 SPS, comp off
        w(0x01),
        r(0xC5, 0x83),  # OS=1 again: conversion done
        w(0x00),
        r(0x3E, 0x80),  # 16000 counts x 62.5 uV = 1.000 V
    ]
    assert clock.monotonic() == pytest.approx(1 / 128)


def test_ads1115_lsb_is_62_5_uv_at_2_048v() -> None:
    adc, _, _, _, inputs = make(ADS1115, SimADS1115)
    assert adc.lsb_v == pytest.approx(62.5e-6)
    inputs.volts[1] = 3 * 62.5e-6
    assert adc.read_raw(Mux.SINGLE_1) == 3


@pytest.mark.parametrize(
    ("gain", "full_scale"),
    [
        (PGA.FSR_6_144V, 6.144),
        (PGA.FSR_4_096V, 4.096),
        (PGA.FSR_2_048V, 2.048),
        (PGA.FSR_1_024V, 1.024),
        (PGA.FSR_0_512V, 0.512),
        (PGA.FSR_0_256V, 0.256),
    ],
)
def test_pga_full_scales(gain: PGA, full_scale: float) -> None:
    adc, sim, bus, _, inputs = make(ADS1115, SimADS1115, gain=gain)
    assert adc.full_scale_v == full_scale
    assert adc.lsb_v == pytest.approx(full_scale / 32768)
    inputs.volts[2] = 0.9 * full_scale
    assert adc.read_voltage_v(2) == pytest.approx(0.9 * full_scale, abs=adc.lsb_v / 2)
    assert bus.trace[0].data == bytes([0x01, 0xE1 | (gain << 1), 0x83])


def test_ads1015_is_12_bit_left_aligned() -> None:
    adc, _, bus, _, inputs = make(ADS1015, SimADS1015)
    inputs.volts[3] = 1.234
    assert adc.lsb_v == pytest.approx(1e-3)
    assert adc.read_voltage_v(3) == pytest.approx(1.234)
    assert bus.trace[0] == w(0x01, 0xF5, 0x83)  # AIN3, 1600 SPS default (code 4)
    assert bus.trace[-1] == r(0x4D, 0x20)  # 1234 << 4


def test_ads1015_negative_differential() -> None:
    adc, _, bus, _, inputs = make(ADS1015, SimADS1015, data_rate_sps=3300)
    inputs.volts[0], inputs.volts[1] = 0.5, 1.0
    assert adc.read_differential_v(Mux.DIFF_0_1) == pytest.approx(-0.5)
    assert bus.trace[0] == w(0x01, 0x85, 0xC3)  # 3300 SPS = code 6
    assert bus.trace[-1] == r(0xE0, 0xC0)  # -500 << 4 = 0xE0C0


def test_ads1115_negative_differential_is_twos_complement() -> None:
    adc, _, bus, _, inputs = make(ADS1115, SimADS1115)
    inputs.volts[2], inputs.volts[3] = 0.25, 0.75
    assert adc.read_differential_v(Mux.DIFF_2_3) == pytest.approx(-0.5)
    assert bus.trace[0] == w(0x01, 0xB5, 0x83)
    assert bus.trace[-1] == r(0xE0, 0xC0)  # -8000


def test_single_shot_polls_os_when_the_oscillator_is_slow() -> None:
    adc, _, bus, clock, inputs = make(ADS1115, SimADS1115, rate_factor=0.9, data_rate_sps=860)
    inputs.volts[0] = 0.5
    assert adc.read_voltage_v(0) == pytest.approx(0.5)
    reads = [e.data for e in bus.trace if e.direction == "r"]
    assert reads[0] == bytes([0x45, 0xE3])  # still converting: OS=0
    assert bytes([0xC5, 0xE3]) in reads  # then idle
    assert clock.monotonic() >= 1 / (860 * 0.9)


def test_conversion_that_never_ends_times_out() -> None:
    adc, _, _, _, _ = make(ADS1115, SimADS1115, rate_factor=0.1)
    with pytest.raises(ConversionTimeout, match="ADS1115 at 0x48"):
        adc.read_voltage_v(0)


def test_saturation_at_full_scale_is_refused_unless_allowed() -> None:
    adc, _, bus, _, inputs = make(ADS1115, SimADS1115)
    inputs.volts[0] = 3.0
    with pytest.raises(ReadingOutOfRange, match="2.048 V full scale"):
        adc.read_voltage_v(0)
    assert bus.trace[-1] == r(0x7F, 0xFF)
    assert adc.read_voltage_v(0, allow_saturation=True) == pytest.approx(32767 * 62.5e-6)
    inputs.volts[0] = -3.0  # below GND on a single-ended input cannot pass the ESD limit,
    with pytest.raises(ReadingOutOfRange):  # but the code saturates all the same
        adc.read_voltage_v(0)
    assert bus.trace[-1] == r(0x80, 0x00)


def test_data_rate_must_be_one_the_chip_has() -> None:
    adc, _, _, _, _ = make(ADS1115, SimADS1115)
    with pytest.raises(ValueError, match="100 SPS"):
        adc.data_rate_sps = 100
    adc.data_rate_sps = 860
    assert adc.config_word(Mux.SINGLE_0, mode=Mode.SINGLE_SHOT, start=True) == 0xC5E3


def test_sim_config_resets_to_0x8583() -> None:
    _, sim, _, _, _ = make(ADS1115, SimADS1115)
    assert sim.register(1) == 0x8583
    assert sim.register(2) == 0x8000
    assert sim.register(3) == 0x7FFF


def dominant_frequency(samples: np.ndarray, rate: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples - samples.mean()))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_capture_ripple_frequency_matches_source() -> None:
    adc, sim, bus, _, inputs = make(ADS1115, SimADS1115)
    inputs.waveform[2] = lambda t: 1.0 + 0.2 * math.sin(2 * math.pi * 50.0 * t)
    samples = adc.capture(430, rate_sps=860, channel=2)
    assert samples.shape == (430,)
    assert samples.dtype == np.float64
    assert dominant_frequency(samples, 860) == pytest.approx(50.0, abs=860 / 430)
    assert samples.mean() == pytest.approx(1.0, abs=0.01)
    assert (samples.max() - samples.min()) / 2 == pytest.approx(0.2, rel=0.02)
    assert sim.conversions == 430  # one fresh conversion per sample, none read twice
    trace = list(bus.trace)
    assert trace[0] == w(0x01, 0x64, 0xE3)  # continuous, AIN2, +-2.048 V, 860 SPS
    assert trace[1] == w(0x00)  # pointer to conversion once
    assert all(e.direction == "r" and len(e.data) == 2 for e in trace[2:-1])
    assert trace[-1] == w(0x01, 0x65, 0xE3)  # back to single-shot: powers down


def test_capture_photodiode_flicker_on_ads1015() -> None:
    adc, _, _, clock, inputs = make(ADS1015, SimADS1015, gain=PGA.FSR_4_096V)
    inputs.waveform[0] = lambda t: 2.0 + 0.5 * math.copysign(1, math.sin(2 * math.pi * 120 * t))
    samples = adc.capture(660, rate_sps=3300)
    assert dominant_frequency(samples, 3300) == pytest.approx(120.0, abs=3300 / 660)
    assert set(np.round(samples, 3)) == {1.5, 2.5}  # 2 mV LSB, square wave levels
    assert clock.monotonic() == pytest.approx(660.5 / 3300, rel=1e-9)  # last read


def test_capture_rejects_a_clipped_waveform() -> None:
    adc, sim, bus, _, inputs = make(ADS1115, SimADS1115, gain=PGA.FSR_0_256V)
    inputs.waveform[0] = lambda t: 0.2 + 0.1 * math.sin(2 * math.pi * 10 * t)
    with pytest.raises(ReadingOutOfRange, match="samples at the"):
        adc.capture(64, rate_sps=475)
    assert sim.config & 0x0100  # left in single-shot all the same
    assert len(adc.capture(64, rate_sps=475, allow_saturation=True)) == 64


def test_capture_rate_must_exist() -> None:
    adc, _, _, _, _ = make(ADS1015, SimADS1015)
    with pytest.raises(ValueError, match="860 SPS"):
        adc.capture(10, rate_sps=860)


def test_close_leaves_chip_in_single_shot_power_down() -> None:
    adc, sim, bus, _, _ = make(ADS1115, SimADS1115)
    adc.close()
    adc.close()
    assert list(bus.trace) == [w(0x01, 0x05, 0x83)]
    assert not sim.busy


def test_absent_adc_raises_bus_error_naming_register() -> None:
    adc = ADS1115(SimI2CBus(), 0x49, clock=SimClock())
    with pytest.raises(BusError) as info:
        adc.read_voltage_v(0)
    assert info.value.errno == errno.EREMOTEIO
    assert "ADS1115 at 0x49 register 0x01" in str(info.value)
