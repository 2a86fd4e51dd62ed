"""BH1750 driver against the simulated chip: opcodes and plain 2-byte reads on the wire."""

from __future__ import annotations

import errno
from collections.abc import Sequence

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.bh1750 import SimBH1750
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.bh1750 import BH1750, Mode, mtreg_opcodes
from drivers.errors import BusError, DriverError, ReadingOutOfRange
from drivers.i2c import I2CMsg

ADDR = 0x23


class PlainReadsOnlyBus(SimI2CBus):
    """A simulated bus that fails any SMBus call that would put a command byte before a read."""

    def read_word_data(self, addr: int, register: int) -> int:
        raise AssertionError("read_word_data sends a command byte: the BH1750 takes it as opcode")

    def read_byte_data(self, addr: int, register: int) -> int:
        raise AssertionError("read_byte_data sends a command byte")

    def read_i2c_block_data(self, addr: int, register: int, length: int) -> list[int]:
        raise AssertionError("read_i2c_block_data sends a command byte")

    def write_word_data(self, addr: int, register: int, value: int) -> None:
        raise AssertionError("the BH1750 takes one opcode per write")


class Bench:
    def __init__(self, lux: float = 1000.0, noise_lx: float = 0.0, seed: int = 0) -> None:
        self.clock = SimClock(start_wall_s=0.0)
        self.lux = lux
        self.bus = PlainReadsOnlyBus(record=True)
        self.chip = SimBH1750(self.clock, source=lambda: self.lux, noise_lx=noise_lx, seed=seed)
        self.bus.attach(ADDR, self.chip)

    def driver(self, mode: Mode = Mode.CONTINUOUS_HIGH_RES, mtreg: int = 69) -> BH1750:
        return BH1750(self.bus, ADDR, mode=mode, mtreg=mtreg, clock=self.clock)

    def wire(self) -> list[WireEvent]:
        events = list(self.bus.trace)
        self.bus.trace.clear()
        return events


def ops(*opcodes: int) -> list[WireEvent]:
    return [WireEvent(ADDR, "w", bytes([op])) for op in opcodes]


def read(counts: int) -> WireEvent:
    return WireEvent(ADDR, "r", counts.to_bytes(2, "big"))


def opcodes(events: Sequence[WireEvent]) -> list[int]:
    return [e.data[0] for e in events if e.direction == "w"]


@pytest.fixture
def bench() -> Bench:
    return Bench()


def test_init_sends_power_on_mtreg_and_mode(bench: Bench) -> None:
    bench.driver()
    assert bench.wire() == ops(0x01, 0x42, 0x65, 0x10)
    assert bench.chip.powered and bench.chip.mode == 0x10 and bench.chip.mtreg == 69


def test_mtreg_opcodes() -> None:
    assert mtreg_opcodes(69) == (0x42, 0x65)
    assert mtreg_opcodes(138) == (0x44, 0x6A)
    assert mtreg_opcodes(31) == (0x40, 0x7F)
    assert mtreg_opcodes(254) == (0x47, 0x7E)


@pytest.mark.parametrize("mtreg", [30, 255, 0])
def test_mtreg_out_of_range_is_rejected_before_any_traffic(bench: Bench, mtreg: int) -> None:
    with pytest.raises(ValueError, match="MTreg"):
        bench.driver(mtreg=mtreg)
    assert bench.wire() == []
    light = bench.driver()
    bench.wire()
    with pytest.raises(ValueError, match="MTreg"):
        light.mtreg = mtreg
    assert bench.wire() == [] and light.mtreg == 69


def test_1000_lx_at_mtreg_69(bench: Bench) -> None:
    light = bench.driver()
    bench.wire()
    assert light.measure_lx() == 1000.0
    assert bench.wire() == [read(1200)]  # 0x04B0, MSB first, no command byte before it
    assert bench.clock.monotonic() == pytest.approx(0.180)  # waited the maximum time once
    assert light.raw_counts == 1200


def test_continuous_mode_waits_only_after_a_mode_change(bench: Bench) -> None:
    light = bench.driver()
    light.measure_lx()
    after_first = bench.clock.monotonic()
    light.measure_lx()
    assert bench.clock.monotonic() == after_first  # results keep coming: no further wait
    light.mode = Mode.CONTINUOUS_LOW_RES
    light.measure_lx()
    assert bench.clock.monotonic() == pytest.approx(after_first + 0.024)


def test_high_res_2_doubles_counts_and_halves_the_conversion(bench: Bench) -> None:
    light = bench.driver(mode=Mode.CONTINUOUS_HIGH_RES_2)
    assert opcodes(bench.wire()) == [0x01, 0x42, 0x65, 0x11]
    assert light.measure_lx() == 1000.0
    assert light.raw_counts == 2400


@pytest.mark.parametrize(("mtreg", "counts"), [(138, 2400), (31, 539), (254, 4417)])
def test_mtreg_scales_counts_and_time(mtreg: int, counts: int) -> None:
    bench = Bench()
    light = bench.driver(mtreg=mtreg)
    assert opcodes(bench.wire()) == [0x01, *mtreg_opcodes(mtreg), 0x10]
    assert light.measurement_time_s == pytest.approx(0.180 * mtreg / 69)
    lux = light.measure_lx()
    assert light.raw_counts == counts  # round(1000 x 1.2 x mtreg / 69)
    assert lux == pytest.approx(1000.0, abs=69 / (1.2 * mtreg) / 2)  # within half a count
    assert bench.clock.monotonic() == pytest.approx(0.180 * mtreg / 69)


def test_changing_mtreg_in_continuous_mode_restarts_the_measurement(bench: Bench) -> None:
    light = bench.driver()
    light.measure_lx()
    bench.wire()
    light.mtreg = 138
    assert bench.wire() == ops(0x44, 0x6A, 0x10)
    assert light.measure_lx() == 1000.0
    assert light.raw_counts == 2400


def test_one_time_mode_sends_the_opcode_each_time_and_the_chip_powers_down(
    bench: Bench,
) -> None:
    light = bench.driver(mode=Mode.ONE_TIME_HIGH_RES)
    assert opcodes(bench.wire()) == [0x01, 0x42, 0x65]  # no measurement started yet
    assert light.measure_lx() == 1000.0
    assert bench.wire() == [*ops(0x20), read(1200)]
    assert not bench.chip.powered
    bench.lux = 500.0
    assert light.measure_lx() == 500.0
    assert bench.wire() == [*ops(0x20), read(600)]
    assert not bench.chip.powered
    assert bench.chip.measurements == 2


def test_one_time_low_res_waits_24_ms(bench: Bench) -> None:
    light = bench.driver(mode=Mode.ONE_TIME_LOW_RES)
    start = bench.clock.monotonic()
    assert light.measure_lx() == 1000.0
    assert bench.clock.monotonic() - start == pytest.approx(0.024)


def test_reading_before_the_measurement_time_returns_the_previous_data(bench: Bench) -> None:
    light = bench.driver()
    assert light.raw_counts == 0  # after power-on: nothing measured yet
    bench.clock.advance(0.119)
    assert light.raw_counts == 0
    bench.clock.advance(0.001)  # 120 ms typical
    assert light.raw_counts == 1200
    bench.lux = 500.0
    bench.clock.advance(0.1)
    assert light.raw_counts == 1200  # next result not ready until 240 ms
    bench.clock.advance(0.02)
    assert light.raw_counts == 600
    assert light.illuminance_lx == 500.0


def test_saturation_raises_reading_out_of_range(bench: Bench) -> None:
    bench.lux = 100_000.0  # 120000 counts: beyond 16 bits
    light = bench.driver()
    with pytest.raises(ReadingOutOfRange) as info:
        light.measure_lx()
    assert "BH1750 at 0x23" in str(info.value)
    assert isinstance(info.value, DriverError) and isinstance(info.value, ValueError)
    assert light.raw_counts == 0xFFFF
    light.mtreg = 31  # less sensitive: 100000 x 1.2 x 31 / 69 = 53913 counts
    assert light.measure_lx() == pytest.approx(100_000.0, abs=1.0)


def test_absent_sensor_raises_bus_error_121_naming_the_device(bench: Bench) -> None:
    with pytest.raises(BusError) as info:
        BH1750(bench.bus, 0x5C, clock=bench.clock)
    assert info.value.errno == errno.EREMOTEIO == 121
    assert info.value.device == "BH1750" and info.value.address == 0x5C
    assert info.value.register is None
    assert str(info.value).startswith("BH1750 at 0x5C: ")


def test_unplugged_sensor_read_raises_bus_error(bench: Bench) -> None:
    light = bench.driver()
    bench.bus.nack_addresses.add(ADDR)
    with pytest.raises(BusError) as info:
        light.measure_lx()
    assert info.value.errno == 121
    light.close()  # no exception from an unplugged sensor
    assert light.closed


def test_reads_are_plain_two_byte_reads_without_a_command_byte(bench: Bench) -> None:
    light = bench.driver(mode=Mode.CONTINUOUS_HIGH_RES)
    light.measure_lx()
    bench.wire()
    for _ in range(3):
        light.measure_lx()
    events = bench.wire()
    assert events == [read(1200)] * 3
    assert all(e.direction == "r" and len(e.data) == 2 for e in events)


def test_close_powers_down_once(bench: Bench) -> None:
    with bench.driver() as light:
        bench.wire()
    assert bench.wire() == ops(0x00)
    assert not bench.chip.powered
    light.close()
    assert bench.wire() == []
    with pytest.raises(DriverError, match="closed"):
        light.measure_lx()


def test_reset_clears_the_data_register_and_restarts(bench: Bench) -> None:
    light = bench.driver()
    light.measure_lx()
    bench.wire()
    light.reset()
    assert bench.wire() == ops(0x01, 0x07, 0x10)
    assert light.raw_counts == 0
    assert light.measure_lx() == 1000.0


# -- the simulated chip on its own -----------------------------------------------------------


def test_sim_reset_only_works_when_powered_on(bench: Bench) -> None:
    bench.bus.write_byte(ADDR, 0x20)  # one-time H: powers on, measures, powers down
    bench.clock.advance(0.12)
    assert bench.chip.counts == 1200 and not bench.chip.powered
    bench.bus.write_byte(ADDR, 0x07)  # ignored while powered down
    assert bench.chip.counts == 1200
    bench.bus.write_byte(ADDR, 0x01)
    bench.bus.write_byte(ADDR, 0x07)
    assert bench.chip.counts == 0


def test_sim_ignores_unknown_opcodes_and_power_down_stops_measuring(bench: Bench) -> None:
    bench.bus.write_byte(ADDR, 0x10)
    for opcode in (0x02, 0x12, 0x30, 0x50, 0xFF):
        bench.bus.write_byte(ADDR, opcode)
    assert bench.chip.mode == 0x10 and bench.chip.mtreg == 69
    bench.clock.advance(0.12)
    assert bench.chip.counts == 1200
    bench.bus.write_byte(ADDR, 0x00)
    bench.lux = 10.0
    bench.clock.advance(1.0)
    assert bench.chip.counts == 1200  # powered down: data kept, nothing measured
    assert bench.chip.mode is None


def test_sim_longer_reads_repeat_the_result(bench: Bench) -> None:
    bench.bus.write_byte(ADDR, 0x10)
    bench.clock.advance(0.12)
    msg = I2CMsg.read(ADDR, 3)
    bench.bus.i2c_rdwr(msg)
    assert msg.buf == bytearray([0x04, 0xB0, 0x04])


def test_sim_noise_is_reproducible() -> None:
    def samples(seed: int) -> list[int]:
        bench = Bench(noise_lx=5.0, seed=seed)
        light = bench.driver(mode=Mode.ONE_TIME_HIGH_RES)
        out = []
        for _ in range(10):
            light.measure_lx()
            out.append(light.raw_counts)
        return out

    assert samples(3) == samples(3)
    assert samples(3) != samples(4)
    assert all(abs(c - 1200) < 60 for c in samples(3))
