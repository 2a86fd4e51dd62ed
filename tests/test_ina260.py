"""INA260 driver against the wire-level simulator: ID check, fixed scales, CVRF timing."""

from __future__ import annotations

import errno

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.ina219 import SimINA219
from benchscore.sim.chips.ina260 import SimINA260
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.errors import BusError, DeviceMismatch
from drivers.ina260 import INA260, AveragingCount, ConversionTime, MaskEnable, Mode

ADDR = 0x41


def w(*data: int) -> WireEvent:
    return WireEvent(ADDR, "w", bytes(data))


def r(*data: int) -> WireEvent:
    return WireEvent(ADDR, "r", bytes(data))


class Bench:
    def __init__(self) -> None:
        self.clock = SimClock(start_wall_s=0.0)
        self.bus = SimI2CBus(record=True)
        self.volts = 12.0
        self.amps = 2.5
        self.sim = SimINA260(self.clock, lambda: (self.volts, self.amps))
        self.bus.attach(ADDR, self.sim)
        self.ina = INA260(self.bus, ADDR, clock=self.clock)

    def wire(self) -> list[WireEvent]:
        out = list(self.bus.trace)
        self.bus.trace.clear()
        return out


@pytest.fixture
def bench() -> Bench:
    return Bench()


def test_constructor_checks_manufacturer_and_die_id(bench: Bench) -> None:
    assert bench.wire() == [w(0xFE), r(0x54, 0x49), w(0xFF), r(0x22, 0x70)]
    assert bench.ina.device_id == 0x227
    assert bench.ina.revision == 0


def test_other_chip_at_the_address_is_a_device_mismatch() -> None:
    clock = SimClock()
    bus = SimI2CBus()
    bus.attach(ADDR, SimINA219(clock, lambda: (0.0, 0.0)))  # no ID registers: reads 0
    with pytest.raises(DeviceMismatch, match="INA260 at 0x41: manufacturer 0x0000"):
        INA260(bus, ADDR)


def test_configure_writes_one_word_with_reserved_110(bench: Bench) -> None:
    bench.wire()
    bench.ina.configure(
        averaging=AveragingCount.COUNT_16,
        bus_conversion=ConversionTime.TIME_1_1_MS,
        current_conversion=ConversionTime.TIME_588_US,
        mode=Mode.CURRENT_BUS_CONTINUOUS,
    )
    assert bench.wire() == [w(0x00, 0x65, 0x1F)]
    assert bench.ina.averaging is AveragingCount.COUNT_16
    assert bench.ina.current_conversion is ConversionTime.TIME_588_US
    assert bench.ina.bus_conversion is ConversionTime.TIME_1_1_MS
    assert bench.ina.mode is Mode.CURRENT_BUS_CONTINUOUS


def test_fixed_scales_1_25ma_1_25mv_10mw(bench: Bench) -> None:
    bench.clock.advance(0.0025)
    bench.wire()
    assert bench.ina.current_a == pytest.approx(2.5)  # 2000 counts
    assert bench.ina.bus_voltage_v == pytest.approx(12.0)  # 9600 counts
    assert bench.ina.power_w == pytest.approx(30.0)  # 2000 * 9600 / 6400 = 3000 counts
    assert bench.wire() == [
        w(0x01),
        r(0x07, 0xD0),
        w(0x02),
        r(0x25, 0x80),
        w(0x03),
        r(0x0B, 0xB8),
    ]


def test_negative_current_and_positive_power(bench: Bench) -> None:
    bench.amps = -1.0
    bench.clock.advance(0.0025)
    assert bench.ina.raw_current == -800
    assert bench.ina.current_a == pytest.approx(-1.0)
    assert bench.ina.power_w == pytest.approx(12.0)


def test_measure_reads_everything(bench: Bench) -> None:
    bench.clock.advance(0.0025)
    reading = bench.ina.measure()
    assert (reading.bus_voltage_v, reading.current_a, reading.power_w) == pytest.approx(
        (12.0, 2.5, 30.0)
    )


def test_cvrf_sets_after_avg_times_conversion_and_clears_on_read(bench: Bench) -> None:
    assert not bench.ina.conversion_ready  # 1 x (1.1 + 1.1) ms not elapsed
    bench.clock.advance(0.0021)
    assert not bench.ina.conversion_ready
    bench.clock.advance(0.0002)
    assert bench.ina.conversion_ready
    assert not bench.ina.conversion_ready  # reading Mask/Enable cleared it


def test_triggered_conversion_with_averaging(bench: Bench) -> None:
    bench.ina.configure(averaging=AveragingCount.COUNT_16, mode=Mode.POWER_DOWN)
    bench.amps = 1.0
    start = bench.clock.monotonic()
    bench.ina.trigger()
    bench.ina.wait_conversion()
    assert bench.clock.monotonic() - start >= 16 * 2.2e-3
    assert bench.ina.current_a == pytest.approx(1.0)
    bench.amps = 3.0
    bench.clock.advance(1.0)
    assert bench.ina.current_a == pytest.approx(1.0)


def test_reset_restores_power_on_config(bench: Bench) -> None:
    bench.ina.configure(mode=Mode.POWER_DOWN)
    bench.ina.reset()
    assert bench.ina.config == 0x6127


def test_over_current_alert_sets_aff(bench: Bench) -> None:
    bench.ina.alert_limit = 1600  # 2 A in Current register units
    bench.ina.mask_enable = MaskEnable.OCL | MaskEnable.LEN
    bench.clock.advance(0.0025)
    flags = bench.ina.mask_enable
    assert flags & MaskEnable.AFF
    assert flags & MaskEnable.CVRF


def test_close_powers_down_once(bench: Bench) -> None:
    bench.wire()
    bench.ina.close()
    bench.ina.close()
    assert bench.wire() == [w(0x00), r(0x61, 0x27), w(0x00, 0x61, 0x20)]
    assert bench.sim.config & 0x7 == 0


def test_absent_chip_raises_bus_error_at_id_check() -> None:
    with pytest.raises(BusError) as info:
        INA260(SimI2CBus(), ADDR)
    assert info.value.errno == errno.EREMOTEIO
    assert "INA260 at 0x41 register 0xFE" in str(info.value)
