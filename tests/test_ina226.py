"""INA226 driver against the simulated chip on the simulated bus: exact wire bytes and values."""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchscore.clock import SimClock
from benchscore.sim.chips.ina226 import SimINA226
from benchscore.sim.i2c import SimI2CBus, SimI2CDevice, WireEvent
from drivers.errors import BusError, DeviceMismatch, DriverError
from drivers.ina226 import (
    INA226,
    AveragingCount,
    ConversionTime,
    ConversionTimeout,
    INA226Reading,
    Mode,
)

ADDR = 0x40


@dataclass
class Physics:
    """What the shunt and bus see."""

    bus_v: float = 12.0
    current_a: float = 0.5

    def __call__(self) -> tuple[float, float]:
        return self.bus_v, self.current_a


def w(*data: int) -> WireEvent:
    return WireEvent(ADDR, "w", bytes(data))


def r(*data: int) -> WireEvent:
    return WireEvent(ADDR, "r", bytes(data))


class Bench:
    def __init__(
        self,
        shunt_ohm: float = 0.1,
        sim_type: type[SimINA226] = SimINA226,
        noise_v: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.clock = SimClock(start_wall_s=0.0)
        self.physics = Physics()
        self.bus = SimI2CBus(record=True)
        self.chip = sim_type(
            self.clock, shunt_ohm=shunt_ohm, source=self.physics, noise_v=noise_v, seed=seed
        )
        self.bus.attach(ADDR, self.chip)

    def driver(self, **kwargs: object) -> INA226:
        args: dict[str, object] = {
            "shunt_ohm": 0.1,
            "max_current_a": 0.8,
            "current_lsb_a": 1e-4,
            "clock": self.clock,
        }
        args.update(kwargs)
        return INA226(self.bus, ADDR, **args)  # type: ignore[arg-type]

    def wire(self) -> list[WireEvent]:
        events = list(self.bus.trace)
        self.bus.trace.clear()
        return events


@pytest.fixture
def bench() -> Bench:
    return Bench()


@pytest.fixture
def ina(bench: Bench) -> INA226:
    ina = bench.driver()
    bench.wire()
    return ina


# -- construction and calibration ------------------------------------------------------------


def test_construction_checks_ids_then_writes_cal_512(bench: Bench) -> None:
    ina = bench.driver()  # 0.1 ohm at 0.1 mA/bit: CAL 512 (SBOS547 check value)
    assert bench.wire() == [
        w(0xFE),
        r(0x54, 0x49),
        w(0xFF),
        r(0x22, 0x60),
        w(0x05, 0x02, 0x00),
    ]
    assert bench.chip.register(0x05) == 512
    assert ina.current_lsb_a == 1e-4
    assert ina.raw_calibration == 512


def test_calibrate_datasheet_example_2_mohm_1_ma(ina: INA226, bench: Bench) -> None:
    assert ina.calibrate(0.002, max_current_a=15.0, current_lsb_a=0.001) == 0x0A00
    assert bench.wire() == [w(0x05, 0x0A, 0x00)]
    assert bench.chip.register(0x05) == 0x0A00
    assert ina.current_lsb_a == 0.001


def test_calibrate_default_lsb_is_max_current_over_32768(ina: INA226, bench: Bench) -> None:
    cal = ina.calibrate(0.02, max_current_a=3.0)
    assert ina.current_lsb_a == 3.0 / 32768
    assert cal == math.trunc(0.00512 / (3.0 / 32768 * 0.02)) == 2796
    assert bench.wire() == [w(0x05, 0x0A, 0xEC)]


@pytest.mark.parametrize(
    ("shunt_ohm", "max_current_a", "lsb", "match"),
    [
        (0.0001, 0.001, 1e-8, "15 bits"),  # CAL 5_120_000
        (0.1, 0.5, 1.0, "15 bits"),  # CAL 0
        (0.1, 0.8, 1e-5, "LSB"),  # 32768 x 10 uA < 0.8 A
        (0.1, 1.0, None, "81.92 mV"),  # 100 mV across the shunt
        (0.0, 1.0, None, "positive"),
        (0.1, -1.0, None, "positive"),
    ],
)
def test_calibrate_rejects_impossible_settings_without_writing(
    ina: INA226, bench: Bench, shunt_ohm: float, max_current_a: float, lsb: float | None, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        ina.calibrate(shunt_ohm, max_current_a, lsb)
    assert bench.wire() == []
    assert bench.chip.register(0x05) == 512


def test_wrong_ids_raise_device_mismatch_naming_address_and_ids(bench: Bench) -> None:
    class OtherChip(SimI2CDevice):
        def on_write(self, data: bytes) -> None:
            pass

        def on_read(self, length: int) -> bytes:
            return bytes([0x12, 0x34] * length)[:length]

    bench.bus.attach(0x41, OtherChip())
    with pytest.raises(DeviceMismatch) as info:
        INA226(bench.bus, 0x41, shunt_ohm=0.1, max_current_a=0.8, clock=bench.clock)
    message = str(info.value)
    assert "INA226 at 0x41" in message
    assert "0x1234" in message and "0x5449" in message and "0x2260" in message
    assert all(e.direction == "r" or e.data[0] in (0xFE, 0xFF) for e in bench.wire())


def test_check_id_false_skips_the_id_reads(bench: Bench) -> None:
    bench.driver(check_id=False)
    assert bench.wire() == [w(0x05, 0x02, 0x00)]


def test_absent_chip_raises_bus_error_121(bench: Bench) -> None:
    bench.bus.detach(ADDR)
    with pytest.raises(BusError) as info:
        bench.driver()
    assert info.value.errno == errno.EREMOTEIO
    assert "INA226 at 0x40 register 0xFE" in str(info.value)


def test_unplugged_sensor_names_device_address_and_register(ina: INA226, bench: Bench) -> None:
    bench.bus.nack_addresses.add(ADDR)
    with pytest.raises(BusError) as info:
        _ = ina.current_a
    assert info.value.errno == 121
    assert (info.value.device, info.value.address, info.value.register) == ("INA226", ADDR, 0x04)
    assert str(info.value).startswith("INA226 at 0x40 register 0x04: ")
    ina.close()  # closing an unplugged sensor does not raise
    assert ina.closed


# -- configuration -------------------------------------------------------------------------


def test_configure_writes_one_word_msb_first(ina: INA226, bench: Bench) -> None:
    word = ina.configure(
        avg=AveragingCount.COUNT_16,
        bus_conversion=ConversionTime.TIME_1_1_MS,
        shunt_conversion=ConversionTime.TIME_1_1_MS,
        mode=Mode.SHUNT_BUS_TRIGGERED,
    )
    assert word == 0x4523  # 0100 010 100 100 011
    assert bench.wire() == [w(0x00, 0x45, 0x23)]
    assert bench.chip.register(0x00) == 0x4523
    assert ina.averaging is AveragingCount.COUNT_16
    assert ina.mode is Mode.SHUNT_BUS_TRIGGERED


def test_configure_partial_keeps_other_fields(ina: INA226, bench: Bench) -> None:
    ina.configure(avg=AveragingCount.COUNT_1024)  # from the POR value 0x4127
    assert bench.wire() == [w(0x00), r(0x41, 0x27), w(0x00, 0x4F, 0x27)]
    assert ina.bus_conversion_time is ConversionTime.TIME_1_1_MS
    assert ina.shunt_conversion_time is ConversionTime.TIME_1_1_MS
    assert ina.mode is Mode.SHUNT_BUS_CONTINUOUS
    with pytest.raises(ValueError):
        ina.configure(mode=4)  # not a Mode: 4 is the undocumented power-down alias


def test_enum_helpers() -> None:
    assert [a.samples for a in AveragingCount] == [1, 4, 16, 64, 128, 256, 512, 1024]
    assert ConversionTime.TIME_140_US.seconds == 140e-6
    assert ConversionTime.TIME_8_244_MS.seconds == 8.244e-3
    assert Mode.BUS_TRIGGERED.is_triggered and not Mode.BUS_TRIGGERED.is_continuous
    assert Mode.SHUNT_CONTINUOUS.is_continuous and not Mode.POWER_DOWN.is_triggered


def test_conversion_time_from_config(ina: INA226) -> None:
    assert ina.conversion_time_s == pytest.approx(2.2e-3)  # POR: 1.1 ms + 1.1 ms, AVG 1
    ina.configure(
        avg=AveragingCount.COUNT_16,
        bus_conversion=ConversionTime.TIME_140_US,
        shunt_conversion=ConversionTime.TIME_8_244_MS,
        mode=Mode.SHUNT_BUS_CONTINUOUS,
    )
    assert ina.conversion_time_s == pytest.approx(16 * (140e-6 + 8.244e-3))


def test_reset_sets_rst_then_recalibrates(ina: INA226, bench: Bench) -> None:
    ina.configure(avg=7, bus_conversion=0, shunt_conversion=0, mode=Mode.POWER_DOWN)
    bench.wire()
    ina.reset()
    assert bench.wire() == [w(0x00, 0x80, 0x00), w(0x05, 0x02, 0x00)]
    assert bench.chip.register(0x00) == 0x4127
    assert bench.chip.register(0x05) == 512


# -- values ---------------------------------------------------------------------------------


def test_bus_voltage_read_is_pointer_then_msb_lsb(ina: INA226, bench: Bench) -> None:
    bench.clock.advance(0.01)
    assert ina.bus_voltage_v == 12.0
    assert bench.wire() == [w(0x02), r(0x25, 0x80)]  # 12 V / 1.25 mV = 9600 = 0x2580


def test_values_follow_the_integer_pipeline(ina: INA226, bench: Bench) -> None:
    bench.clock.advance(0.01)
    assert ina.raw_shunt_voltage == 20000  # 0.5 A x 0.1 ohm / 2.5 uV
    assert ina.shunt_voltage_v == pytest.approx(0.05)
    assert ina.raw_current == 5000  # 20000 x 512 / 2048
    assert ina.current_a == pytest.approx(0.5)
    assert ina.raw_power == 2400  # 5000 x 9600 / 20000
    assert ina.power_w == pytest.approx(6.0)  # 25 x 0.1 mA per bit


def test_negative_current_is_signed(ina: INA226, bench: Bench) -> None:
    bench.physics.current_a = -0.25
    bench.clock.advance(0.01)
    bench.wire()
    assert ina.current_a == pytest.approx(-0.25)
    assert bench.wire() == [w(0x04), r(0xF6, 0x3C)]  # -2500
    assert ina.shunt_voltage_v == pytest.approx(-0.025)
    assert ina.power_w == pytest.approx(0.25 * 12.0)  # the power register is a magnitude


@settings(max_examples=60, deadline=None)
@given(
    bus_v=st.floats(0.0, 36.0),
    current_a=st.floats(-0.8, 0.8),
)
def test_si_values_match_physics_within_quantisation(bus_v: float, current_a: float) -> None:
    bench = Bench()
    ina = bench.driver()
    bench.physics.bus_v, bench.physics.current_a = bus_v, current_a
    bench.clock.advance(0.01)
    reading = ina.read()
    assert reading.bus_voltage_v == pytest.approx(bus_v, abs=1.25e-3 / 2 + 1e-12)
    assert reading.shunt_voltage_v == pytest.approx(current_a * 0.1, abs=2.5e-6 / 2 + 1e-12)
    # shunt rounding (1/8 LSB at CAL 512) plus truncation of the current math (1 LSB)
    assert reading.current_a == pytest.approx(current_a, abs=1.2e-4)
    assert reading.power_w == pytest.approx(abs(current_a) * bus_v, abs=1e-2)


# -- read(): continuous, triggered, power-down ------------------------------------------------


def test_continuous_read_only_reads(ina: INA226, bench: Bench) -> None:
    bench.clock.advance(0.01)
    reading = ina.read()
    assert isinstance(reading, INA226Reading)
    assert (reading.bus_voltage_v, reading.current_a, reading.power_w) == (12.0, 0.5, 6.0)
    assert reading.shunt_voltage_v == pytest.approx(0.05)
    events = bench.wire()
    assert [e for e in events if e.direction == "w" and len(e.data) > 1] == []  # no trigger
    assert [e.data for e in events if e.direction == "w"] == [
        b"\x00",
        b"\x02",
        b"\x01",
        b"\x04",
        b"\x03",
    ]
    assert bench.clock.monotonic() == 0.01  # no waiting


def test_triggered_read_triggers_waits_and_polls(ina: INA226, bench: Bench) -> None:
    ina.configure(avg=1, bus_conversion=4, shunt_conversion=4, mode=Mode.SHUNT_BUS_TRIGGERED)
    bench.physics.current_a = 0.3
    bench.wire()
    start = bench.clock.monotonic()
    reading = ina.read()
    elapsed = bench.clock.monotonic() - start
    assert elapsed >= 4 * 2.2e-3  # slept the conversion time on the simulated clock
    assert elapsed < 2 * 4 * 2.2e-3
    assert reading.current_a == pytest.approx(0.3)
    events = bench.wire()
    assert events[:3] == [w(0x00), r(0x43, 0x23), w(0x00, 0x43, 0x23)]  # read, then trigger
    assert w(0x06) in events  # CVRF polled
    assert bench.chip.conversions == 1


def test_triggered_results_update_once_per_trigger(ina: INA226, bench: Bench) -> None:
    ina.configure(avg=0, bus_conversion=0, shunt_conversion=0, mode=Mode.SHUNT_BUS_TRIGGERED)
    assert ina.read().current_a == pytest.approx(0.5)
    bench.physics.current_a = 0.1
    bench.clock.advance(1.0)
    assert ina.current_a == pytest.approx(0.5)  # no trigger, no new result
    assert ina.read().current_a == pytest.approx(0.1)
    assert bench.chip.conversions == 2


def test_read_from_power_down_takes_one_triggered_reading(ina: INA226, bench: Bench) -> None:
    ina.configure(avg=0, bus_conversion=0, shunt_conversion=0, mode=Mode.POWER_DOWN)
    reading = ina.read()
    assert reading.bus_voltage_v == 12.0 and reading.current_a == pytest.approx(0.5)
    assert ina.mode is Mode.SHUNT_BUS_TRIGGERED


def test_read_times_out_when_the_chip_never_converts(bench: Bench) -> None:
    class StuckINA226(SimINA226):
        def conversion_period_s(self) -> float:
            return math.inf

    stuck = Bench(sim_type=StuckINA226)
    ina = stuck.driver()
    ina.configure(avg=0, bus_conversion=0, shunt_conversion=0, mode=Mode.SHUNT_TRIGGERED)
    with pytest.raises(ConversionTimeout) as info:
        ina.read()
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, DriverError)
    assert "INA226 at 0x40" in str(info.value)
    assert stuck.clock.monotonic() < 0.1  # gave up after a bounded wait


def test_conversion_ready_sets_after_conversion_time_and_clears_on_read(
    ina: INA226, bench: Bench
) -> None:
    ina.configure(avg=0, bus_conversion=4, shunt_conversion=4, mode=Mode.SHUNT_BUS_CONTINUOUS)
    bench.clock.advance(2.0e-3)
    assert not ina.conversion_ready
    bench.clock.advance(0.3e-3)
    assert ina.conversion_ready
    assert not ina.conversion_ready  # reading Mask/Enable cleared CVRF


def test_close_powers_down_once(ina: INA226, bench: Bench) -> None:
    ina.close()
    assert bench.wire() == [w(0x00), r(0x41, 0x27), w(0x00, 0x41, 0x20)]
    assert bench.chip.register(0x00) & 0b111 == 0
    ina.close()
    assert bench.wire() == []
    with pytest.raises(DriverError, match="closed"):
        ina.read()


def test_context_manager_closes(bench: Bench) -> None:
    with bench.driver() as ina:
        pass
    assert ina.closed
    assert bench.chip.register(0x00) & 0b111 == 0


# -- byte order: a driver that forgets the SMBus word swap fails against the sim --------------


class NoSwapINA226(INA226):
    """A broken driver: treats the SMBus word as if it were MSB first."""

    def read_u16(self, register: int) -> int:
        return self.bus.read_word_data(self.address, register)

    def write_u16(self, register: int, value: int) -> None:
        self.bus.write_word_data(self.address, register, value)


def test_driver_without_word_swap_fails_id_check(bench: Bench) -> None:
    with pytest.raises(DeviceMismatch, match="0x4954"):
        NoSwapINA226(bench.bus, ADDR, shunt_ohm=0.1, max_current_a=0.8, clock=bench.clock)


def test_driver_without_word_swap_writes_and_reads_wrong_values(bench: Bench) -> None:
    ina = NoSwapINA226(
        bench.bus, ADDR, shunt_ohm=0.1, max_current_a=0.8, current_lsb_a=1e-4, check_id=False
    )
    assert bench.wire() == [w(0x05, 0x00, 0x02)]  # CAL 512 sent LSB first
    assert bench.chip.register(0x05) == 0x0002
    bench.clock.advance(0.01)
    assert ina.raw_bus_voltage == 0x8025  # chip holds 0x2580 (12 V)
    assert ina.bus_voltage_v == pytest.approx(41.00625)
    # the chip computes Current with CAL 2: trunc(20000 x 2 / 2048) = 19 = 0x0013, read as 0x1300
    assert ina.raw_current == 0x1300  # a correct driver reads 5000


# -- the simulated chip on its own -----------------------------------------------------------


def test_sim_current_and_power_read_zero_until_calibrated(bench: Bench) -> None:
    bench.clock.advance(0.01)
    assert bench.bus.read_i2c_block_data(ADDR, 0x01, 2) == [0x4E, 0x20]  # 20000
    assert bench.bus.read_i2c_block_data(ADDR, 0x04, 2) == [0, 0]
    assert bench.bus.read_i2c_block_data(ADDR, 0x03, 2) == [0, 0]
    bench.bus.write_i2c_block_data(ADDR, 0x05, [0x02, 0x00])
    bench.clock.advance(0.01)
    assert bench.bus.read_i2c_block_data(ADDR, 0x04, 2) == [0x13, 0x88]  # 5000


def test_sim_reads_repeat_the_register_and_ignore_read_only_writes(bench: Bench) -> None:
    assert bench.bus.read_i2c_block_data(ADDR, 0xFE, 5) == [0x54, 0x49, 0x54, 0x49, 0x54]
    bench.bus.write_i2c_block_data(ADDR, 0xFF, [0x12, 0x34])
    bench.bus.write_i2c_block_data(ADDR, 0x02, [0x12, 0x34])
    assert bench.bus.read_i2c_block_data(ADDR, 0xFF, 2) == [0x22, 0x60]
    assert bench.chip.register(0x02) == 0
    assert bench.chip.pointer == 0xFF


def test_sim_rst_resets_every_register(bench: Bench) -> None:
    bench.bus.write_i2c_block_data(ADDR, 0x05, [0x7F, 0xFF])
    bench.bus.write_i2c_block_data(ADDR, 0x07, [0x12, 0x34])
    bench.bus.write_i2c_block_data(ADDR, 0x00, [0x0F, 0xFF])
    assert bench.chip.register(0x00) == 0x4FFF  # bits 14:12 read 100b
    bench.clock.advance(0.01)
    bench.bus.write_i2c_block_data(ADDR, 0x00, [0x80, 0x00])
    assert [bench.chip.register(p) for p in range(8)] == [0x4127, 0, 0, 0, 0, 0, 0, 0]


def test_sim_clips_shunt_and_flags_math_overflow() -> None:
    bench = Bench(shunt_ohm=0.002)
    ina = bench.driver(shunt_ohm=0.002, max_current_a=15.0, current_lsb_a=0.001)  # CAL 2560
    bench.physics.current_a = 10.0
    bench.clock.advance(0.01)
    assert not ina.math_overflow
    bench.physics.current_a = 100.0  # 200 mV: beyond the 81.92 mV input range
    bench.clock.advance(0.01)
    assert ina.raw_shunt_voltage == 0x7FFF
    bench.physics.current_a = -100.0
    bench.clock.advance(0.01)
    assert ina.raw_shunt_voltage == -0x8000
    assert ina.math_overflow  # -32768 x 2560 / 2048 does not fit the Current register
    assert ina.raw_current == -0x8000


def test_sim_keeps_last_values_in_power_down(ina: INA226, bench: Bench) -> None:
    bench.clock.advance(0.01)
    ina.configure(avg=0, bus_conversion=0, shunt_conversion=0, mode=Mode.POWER_DOWN)
    bench.physics.bus_v = 5.0
    bench.clock.advance(1.0)
    assert ina.bus_voltage_v == 12.0


def test_sim_noise_is_reproducible_and_averaging_reduces_it() -> None:
    def spread(avg: int, seed: int) -> tuple[list[int], float]:
        bench = Bench(noise_v=50e-6, seed=seed)
        ina = bench.driver()
        ina.configure(avg=avg, bus_conversion=0, shunt_conversion=0, mode=Mode.SHUNT_TRIGGERED)
        raws = []
        for _ in range(40):
            ina.read()
            raws.append(ina.raw_shunt_voltage)
        mean = sum(raws) / len(raws)
        return raws, max(abs(x - mean) for x in raws)

    assert spread(0, 1)[0] == spread(0, 1)[0]
    assert spread(0, 1)[0] != spread(0, 2)[0]
    assert spread(AveragingCount.COUNT_1024, 1)[1] < spread(0, 1)[1] / 4
