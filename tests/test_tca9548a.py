"""TCA9548A: drivers behind a channel work unchanged; other channels' chips are unreachable."""

from __future__ import annotations

import errno
import math

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.ads1x15 import SimADS1115
from benchscore.sim.chips.ina219 import SimINA219
from benchscore.sim.chips.tca9548a import SimTCA9548A
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.ads1x15 import ADS1115
from drivers.errors import BusError
from drivers.ina219 import INA219
from drivers.tca9548a import PCA9546A, TCA9548A

MUX = 0x70
INA = 0x40


class Bench:
    """Two INA219s at the same address 0x40 on channels 0 and 3 of one switch."""

    def __init__(self) -> None:
        self.clock = SimClock(start_wall_s=0.0)
        self.bus = SimI2CBus(record=True)
        self.sim_mux = SimTCA9548A(self.bus, MUX)
        self.left = SimINA219(self.clock, lambda: (5.0, 0.25))
        self.right = SimINA219(self.clock, lambda: (12.0, 1.5))
        self.sim_mux.attach(0, INA, self.left)
        self.sim_mux.attach(3, INA, self.right)
        self.mux = TCA9548A(self.bus, MUX)
        self.clock.advance(0.01)

    def wire(self) -> list[WireEvent]:
        out = list(self.bus.trace)
        self.bus.trace.clear()
        return out


@pytest.fixture
def bench() -> Bench:
    return Bench()


def test_each_transaction_is_preceded_by_the_control_byte(bench: Bench) -> None:
    ina = INA219(bench.mux.channel(3), INA)
    assert ina.bus_voltage_v == pytest.approx(12.0)
    assert bench.wire() == [
        WireEvent(MUX, "w", bytes([0x08])),  # 1 << 3
        WireEvent(INA, "w", bytes([0x02])),
        WireEvent(INA, "r", bytes([0x5D, 0xC2])),
    ]


def test_same_address_on_two_channels_reads_each_chip(bench: Bench) -> None:
    left = INA219(bench.mux.channel(0), INA)
    right = INA219(bench.mux.channel(3), INA)
    left.calibrate(0.1, 3.2)
    right.calibrate(0.1, 3.2)
    assert left.current_a == pytest.approx(0.25)
    assert right.current_a == pytest.approx(1.5)
    assert left.bus_voltage_v == pytest.approx(5.0)
    assert right.bus_voltage_v == pytest.approx(12.0)
    assert bench.left.calibration == bench.right.calibration == 4096


def test_chip_is_unreachable_when_another_channel_is_selected(bench: Bench) -> None:
    bench.mux.select(1)
    with pytest.raises(OSError) as info:
        bench.bus.read_word_data(INA, 0x02)  # straight on the parent bus: nobody answers
    assert info.value.errno == errno.EREMOTEIO
    ina = INA219(bench.mux.channel(5), INA)  # channel 5 is empty
    with pytest.raises(BusError) as bus_info:
        _ = ina.bus_voltage_v
    assert bus_info.value.errno == 121
    assert "INA219 at 0x40 register 0x02" in str(bus_info.value)


def test_selected_mask_reads_back_and_disable_all(bench: Bench) -> None:
    bench.mux.select_mask(0x81)
    assert bench.mux.selected_mask == 0x81
    bench.mux.disable_all()
    assert bench.sim_mux.control == 0x00
    assert bench.wire() == [
        WireEvent(MUX, "w", bytes([0x81])),
        WireEvent(MUX, "r", bytes([0x81])),
        WireEvent(MUX, "w", bytes([0x00])),
    ]


def test_sim_keeps_the_last_of_several_control_bytes(bench: Bench) -> None:
    bench.bus.write_byte_data(MUX, 0x01, 0x04)  # two bytes: 0x01 then 0x04
    assert bench.sim_mux.selected_channels() == [2]


def test_two_channels_at_once_read_as_wired_and(bench: Bench) -> None:
    bench.mux.select_mask(0x09)
    bench.bus.write_byte(INA, 0x00)  # both chips' pointers to Config
    bench.left.config = 0x0F0F
    bench.right.config = 0x3CF0
    assert bench.bus.read_i2c_block_data(INA, 0x00, 2) == [0x0C, 0x00]


def test_downstream_trace_records_what_reached_each_channel(bench: Bench) -> None:
    ina = INA219(bench.mux.channel(0), INA)
    _ = ina.raw_bus_register
    assert list(bench.sim_mux.downstream[0].trace) == [
        WireEvent(INA, "w", bytes([0x02])),
        WireEvent(INA, "r", bytes([0x27, 0x12])),  # 5 V = 1250 << 3, CNVR
    ]
    assert list(bench.sim_mux.downstream[3].trace) == []


def test_adc_capture_works_unchanged_behind_a_channel() -> None:
    clock = SimClock()
    bus = SimI2CBus()
    sim_mux = SimTCA9548A(bus, 0x71)
    sim_mux.attach(6, 0x48, SimADS1115(clock, lambda ch, t: 1 + 0.1 * math.sin(100 * t)))
    adc = ADS1115(TCA9548A(bus, 0x71).channel(6), 0x48, clock=clock)
    samples = adc.capture(50, rate_sps=475)
    assert samples.min() > 0.89 and samples.max() < 1.11


def test_channel_bus_shares_the_parent_lock(bench: Bench) -> None:
    assert bench.mux.channel(2).lock is bench.bus.lock
    assert bench.mux.channel(2) is bench.mux.channel(2)


def test_downstream_address_cannot_be_the_switch(bench: Bench) -> None:
    with pytest.raises(ValueError, match="switch"):
        bench.mux.channel(0).read_byte(MUX)
    with pytest.raises(ValueError, match="switch"):
        bench.sim_mux.attach(0, MUX, SimINA219(bench.clock, lambda: (0.0, 0.0)))


def test_missing_switch_is_a_nack_naming_it() -> None:
    ina = INA219(TCA9548A(SimI2CBus(), 0x72).channel(0), INA)
    with pytest.raises(BusError) as info:
        _ = ina.bus_voltage_v
    assert info.value.errno == 121
    assert "0x72" in str(info.value)


def test_close_disconnects_all_once_and_closes_channels(bench: Bench) -> None:
    channel = bench.mux.channel(3)
    bench.mux.select(3)
    bench.wire()
    bench.mux.close()
    bench.mux.close()
    assert bench.wire() == [WireEvent(MUX, "w", bytes([0x00]))]
    assert channel.closed
    with pytest.raises(OSError) as info:
        channel.read_byte_data(INA, 0x00)
    assert info.value.errno == errno.EBADF


def test_channel_numbers_are_checked() -> None:
    bus = SimI2CBus()
    with pytest.raises(ValueError, match="0..7"):
        TCA9548A(bus).channel(8)
    with pytest.raises(ValueError, match="0..3"):
        PCA9546A(bus).channel(4)
    with pytest.raises(ValueError, match="0x68"):
        TCA9548A(bus, 0x68)
