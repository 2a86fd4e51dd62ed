"""INA219 driver against the wire-level simulator: exact bytes, datasheet arithmetic, timing."""

from __future__ import annotations

import errno

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.ina219 import SimINA219
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.errors import BusError, DriverError, ReadingOutOfRange
from drivers.ina219 import (
    INA219,
    ADCResolution,
    BusRange,
    Gain,
    Mode,
    calibration_for,
)

ADDR = 0x40


def w(*data: int) -> WireEvent:
    return WireEvent(ADDR, "w", bytes(data))


def r(*data: int) -> WireEvent:
    return WireEvent(ADDR, "r", bytes(data))


class Bench:
    """A bus with one simulated INA219 whose bus voltage and current the test sets."""

    def __init__(self, *, shunt_ohm: float = 0.1) -> None:
        self.clock = SimClock(start_wall_s=0.0)
        self.bus = SimI2CBus(record=True)
        self.volts = 12.0
        self.amps = 1.5
        self.sim = SimINA219(self.clock, lambda: (self.volts, self.amps), shunt_ohm=shunt_ohm)
        self.bus.attach(ADDR, self.sim)
        self.ina = INA219(self.bus, ADDR, clock=self.clock)

    def wire(self) -> list[WireEvent]:
        out = list(self.bus.trace)
        self.bus.trace.clear()
        return out


@pytest.fixture
def bench() -> Bench:
    return Bench()


# -- calibration arithmetic (SBOS448 section 8.5) ------------------------------------------
def test_datasheet_example_100ua_per_bit_gives_cal_4096_and_2mw_per_bit() -> None:
    cal = calibration_for(0.1, 3.2, current_lsb_a=100e-6)
    assert cal.register == 4096
    assert cal.current_lsb_a == pytest.approx(100e-6)
    assert cal.power_lsb_w == pytest.approx(2e-3)
    assert cal.gain is Gain.DIV_8_320MV


def test_default_current_lsb_is_imax_over_2_15_rounded_up_to_1_2_5() -> None:
    cal = calibration_for(0.1, 3.2)  # 3.2 A / 32768 = 97.7 uA -> 100 uA
    assert cal.register == 4096
    small = calibration_for(0.1, 0.4)  # 12.2 uA -> 20 uA; 40 mV -> PGA /1
    assert small.current_lsb_a == pytest.approx(20e-6)
    assert small.register == 20480
    assert small.gain is Gain.DIV_1_40MV


def test_calibration_bit0_is_cleared_and_scaling_uses_the_truncated_value() -> None:
    cal = calibration_for(0.1, 3.2, current_lsb_a=98e-6)  # 4179.59 -> 4179 -> 4178
    assert cal.register == 4178
    assert cal.current_lsb_a == pytest.approx(0.04096 / (4178 * 0.1))


@pytest.mark.parametrize(
    ("shunt", "imax", "lsb", "match"),
    [
        (1.0, 1.0, None, "320 mV"),
        (0.1, 3.2, 50e-6, "overflow"),
        (0.001, 0.01, 4e-7, "does not fit"),
        (0.0, 1.0, None, "positive"),
    ],
)
def test_impossible_calibrations_are_refused(
    shunt: float, imax: float, lsb: float | None, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        calibration_for(shunt, imax, lsb)


# -- exact bytes on the wire ---------------------------------------------------------------
def test_calibrate_sets_pga_then_calibration_register(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 0.4)
    assert bench.wire() == [
        w(0x00),
        r(0x39, 0x9F),  # reset config: 32 V, /8, 12-bit, continuous
        w(0x00, 0x21, 0x9F),  # PG = 00 (/1, 40 mV)
        w(0x05, 0x50, 0x00),  # Cal 20480, MSB first
    ]


def test_configure_writes_one_word_msb_first(bench: Bench) -> None:
    bench.ina.configure(
        bus_range=BusRange.RANGE_16V,
        gain=Gain.DIV_2_80MV,
        bus_adc=ADCResolution.ADCRES_12BIT_1S,
        shunt_adc=ADCResolution.ADCRES_12BIT_32S,
        mode=Mode.SHUNT_BUS_CONTINUOUS,
    )
    assert bench.wire() == [w(0x00, 0x09, 0xEF)]
    assert bench.sim.config == 0x09EF
    assert bench.ina.gain is Gain.DIV_2_80MV
    assert bench.ina.bus_range is BusRange.RANGE_16V
    assert bench.ina.shunt_adc is ADCResolution.ADCRES_12BIT_32S


def test_bus_voltage_register_is_bits_15_to_3_with_cnvr(bench: Bench) -> None:
    bench.clock.advance(0.002)
    assert bench.ina.bus_voltage_v == pytest.approx(12.0)
    # 12 V / 4 mV = 3000 counts; << 3 = 0x5DC0; CNVR (bit 1) set = 0x5DC2
    assert bench.wire() == [w(0x02), r(0x5D, 0xC2)]


def test_readings_follow_the_chip_integer_pipeline(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.clock.advance(0.002)
    bench.wire()
    # shunt 150 mV = 15000 counts; current = 15000 * 4096 / 4096; power = 15000 * 3000 / 5000
    assert bench.ina.shunt_voltage_v == pytest.approx(0.150)
    assert bench.ina.current_a == pytest.approx(1.5)
    assert bench.ina.power_w == pytest.approx(18.0)
    assert bench.wire() == [
        w(0x01),
        r(0x3A, 0x98),
        w(0x05, 0x10, 0x00),  # calibration rewritten before current (chip may have reset)
        w(0x04),
        r(0x3A, 0x98),
        w(0x05, 0x10, 0x00),
        w(0x03),
        r(0x23, 0x28),  # 9000 * 2 mW = 18 W
    ]


def test_negative_current_is_twos_complement(bench: Bench) -> None:
    bench.amps = -0.5
    bench.ina.calibrate(0.1, 3.2)
    bench.clock.advance(0.002)
    assert bench.ina.raw_shunt_voltage == -5000
    assert bench.ina.current_a == pytest.approx(-0.5)
    assert bench.ina.power_w == pytest.approx(6.0)  # power is a magnitude


def test_current_reads_zero_while_calibration_is_zero(bench: Bench) -> None:
    bench.clock.advance(0.002)
    assert bench.ina.raw_shunt_voltage == 15000
    assert bench.ina.raw_current == 0
    assert bench.ina.raw_power == 0
    with pytest.raises(DriverError, match="calibrate"):
        _ = bench.ina.current_a


def test_reset_zeroes_calibration_and_driver_rewrites_it(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.sim.on_write(bytes([0x00, 0x80, 0x00]))  # a transient resets the chip
    assert bench.sim.calibration == 0
    assert bench.sim.config == 0x399F
    bench.clock.advance(0.002)
    assert bench.ina.raw_current == 0
    assert bench.ina.current_a == pytest.approx(1.5)  # Cal written again first


def test_reset_bit_self_clears(bench: Bench) -> None:
    bench.ina.configure(mode=Mode.POWER_DOWN)
    bench.ina.reset()
    assert bench.ina.config == 0x399F
    assert bench.ina.calibration is None


def test_cnvr_sets_after_conversion_time_and_clears_on_power_read(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.ina.configure()  # writing config restarts conversion and clears CNVR
    assert not bench.ina.conversion_ready
    bench.clock.advance(0.001)  # 532 + 532 us not yet elapsed
    assert not bench.ina.conversion_ready
    bench.clock.advance(0.0001)
    assert bench.ina.conversion_ready
    _ = bench.ina.power_w
    assert not bench.ina.conversion_ready


def test_triggered_conversion_waits_on_the_clock(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.ina.configure(
        bus_adc=ADCResolution.ADCRES_12BIT_8S,
        shunt_adc=ADCResolution.ADCRES_12BIT_8S,
        mode=Mode.POWER_DOWN,
    )
    before = bench.sim.conversions
    start = bench.clock.monotonic()
    bench.ina.trigger()
    bench.ina.wait_conversion()
    assert bench.clock.monotonic() - start >= 2 * 4.26e-3
    assert bench.sim.conversions == before + 1
    assert bench.ina.current_a == pytest.approx(1.5)
    bench.amps = 2.0
    bench.clock.advance(1.0)
    assert bench.ina.current_a == pytest.approx(1.5)  # triggered: one conversion only


def test_trigger_rejects_continuous_modes(bench: Bench) -> None:
    with pytest.raises(ValueError, match="triggered"):
        bench.ina.trigger(Mode.SHUNT_BUS_CONTINUOUS)


def test_wait_conversion_times_out_in_power_down(bench: Bench) -> None:
    bench.ina.configure(mode=Mode.POWER_DOWN)
    with pytest.raises(TimeoutError, match="INA219 at 0x40"):
        bench.ina.wait_conversion(timeout_s=0.01)


def test_shunt_clips_at_the_pga_range_and_measure_refuses_it(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 0.4)  # PGA /1: +-40 mV
    bench.amps = 1.0  # 100 mV across 0.1 ohm
    bench.clock.advance(0.002)
    assert bench.ina.raw_shunt_voltage == 4000
    with pytest.raises(ReadingOutOfRange, match="40 mV PGA limit"):
        bench.ina.measure()


def test_measure_returns_si_units(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.clock.advance(0.002)
    reading = bench.ina.measure()
    assert reading.bus_voltage_v == pytest.approx(12.0)
    assert reading.shunt_voltage_v == pytest.approx(0.15)
    assert reading.current_a == pytest.approx(1.5)
    assert reading.power_w == pytest.approx(18.0)


def test_math_overflow_sets_ovf(bench: Bench) -> None:
    bench.ina.calibrate(0.1, 3.2)
    bench.amps = 3.2  # 32000 counts
    bench.ina.raw_calibration = 0xFFFE  # 32000 * 65534 / 4096 does not fit 16 bits
    bench.clock.advance(0.002)
    assert bench.ina.math_overflow


def test_bus_clips_at_16v_range(bench: Bench) -> None:
    bench.volts = 20.0
    bench.ina.configure(bus_range=BusRange.RANGE_16V)
    bench.clock.advance(0.002)
    assert bench.ina.bus_voltage_v == pytest.approx(16.0)


def test_absent_chip_raises_bus_error_naming_device_and_register() -> None:
    bus = SimI2CBus()
    ina = INA219(bus, 0x45)
    with pytest.raises(BusError) as info:
        _ = ina.bus_voltage_v
    assert info.value.errno == errno.EREMOTEIO == 121
    assert "INA219 at 0x45 register 0x02" in str(info.value)


def test_close_powers_down_once(bench: Bench) -> None:
    bench.ina.close()
    bench.ina.close()
    assert bench.wire() == [w(0x00), r(0x39, 0x9F), w(0x00, 0x39, 0x98)]
    assert bench.ina.closed
    assert bench.sim.config & 0x7 == 0


def test_close_of_unplugged_chip_does_not_raise() -> None:
    ina = INA219(SimI2CBus(), ADDR)
    ina.close()
    assert ina.closed


def test_address_outside_ina219_range_is_refused() -> None:
    with pytest.raises(ValueError, match="0x50"):
        INA219(SimI2CBus(), 0x50)
