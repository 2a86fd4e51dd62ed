"""MCP23017 driver against the wire-level simulator: BANK=0 map, auto-increment, pins."""

from __future__ import annotations

import errno

import pytest

from benchscore.sim.chips.mcp23017 import SimMCP23017
from benchscore.sim.i2c import SimI2CBus, WireEvent
from drivers.errors import BusError
from drivers.mcp23017 import MCP23017, Direction

ADDR = 0x20


def w(*data: int) -> WireEvent:
    return WireEvent(ADDR, "w", bytes(data))


def r(*data: int) -> WireEvent:
    return WireEvent(ADDR, "r", bytes(data))


class Bench:
    def __init__(self) -> None:
        self.bus = SimI2CBus(record=True)
        self.sim = SimMCP23017()
        self.bus.attach(ADDR, self.sim)
        self.gpio = MCP23017(self.bus, ADDR)

    def wire(self) -> list[WireEvent]:
        out = list(self.bus.trace)
        self.bus.trace.clear()
        return out


@pytest.fixture
def bench() -> Bench:
    return Bench()


def test_set_outputs_writes_latch_then_direction_a_then_b(bench: Bench) -> None:
    bench.gpio.set_outputs(0x00FF, initial=0x0005)
    assert bench.wire() == [
        w(0x14, 0x05, 0x00),  # OLATA, OLATB (auto-increment)
        w(0x00, 0x00, 0xFF),  # IODIRA = outputs, IODIRB = inputs
    ]
    assert bench.sim.output_enable() == 0x00FF
    assert bench.sim.output_pins() == 0x0005


def test_write_pin_is_read_modify_write_of_one_olat(bench: Bench) -> None:
    bench.gpio.set_outputs(0xFFFF, initial=0x0005)
    bench.wire()
    bench.gpio.write_pin(3, True)
    bench.gpio.write_pin(10, True)
    bench.gpio.write_pin(3, True)  # already high: no write
    assert bench.wire() == [
        w(0x14),
        r(0x05),
        w(0x14, 0x0D),
        w(0x15),
        r(0x00),
        w(0x15, 0x04),
        w(0x14),
        r(0x0D),
    ]
    assert bench.sim.output_pins() == 0x040D


def test_channel_switching_one_relay_at_a_time(bench: Bench) -> None:
    bench.gpio.set_outputs(0x00FF)
    seen = []
    for channel in range(8):
        bench.gpio.write_outputs(1 << channel)
        seen.append(bench.sim.output_pins())
    assert seen == [1 << n for n in range(8)]
    assert bench.wire()[-1] == w(0x14, 0x80, 0x00)


def test_word_read_of_gpio_is_a_then_b(bench: Bench) -> None:
    bench.sim.drive_inputs(0xA55A)
    bench.wire()
    assert bench.gpio.read_inputs() == 0xA55A
    assert bench.wire() == [w(0x12), r(0x5A, 0xA5)]


def test_input_with_pull_up_and_ipol(bench: Bench) -> None:
    bench.gpio.set_direction(4, Direction.INPUT, pull_up=True)
    assert bench.gpio.read_pin(4) is True  # nobody drives it: the pull-up wins
    bench.sim.drive_inputs(0, mask=1 << 4)
    assert bench.gpio.read_pin(4) is False
    bench.gpio.ipol = 1 << 4
    assert bench.gpio.read_pin(4) is True
    bench.sim.release_inputs(1 << 4)
    assert bench.gpio.read_pin(4) is False  # pulled high, inverted


def test_direction_changes_only_the_named_pin(bench: Bench) -> None:
    bench.gpio.set_direction(9, Direction.OUTPUT)
    assert bench.gpio.direction(9) is Direction.OUTPUT
    assert bench.gpio.direction(8) is Direction.INPUT
    assert bench.sim.output_enable() == 0x0200
    assert bench.wire() == [w(0x01), r(0xFF), w(0x01, 0xFD), w(0x01), r(0xFD), w(0x01), r(0xFD)]


def test_gpa7_and_gpb7_are_output_only(bench: Bench) -> None:
    for pin in (7, 15):
        with pytest.raises(ValueError, match="output-only"):
            bench.gpio.set_direction(pin, Direction.INPUT)
    bench.gpio.set_direction(7, Direction.OUTPUT)
    bench.gpio.write_pin(7, True)
    assert bench.sim.output_pins() == 0x0080


def test_sequential_block_read_walks_the_bank0_map(bench: Bench) -> None:
    regs = bench.bus.read_i2c_block_data(ADDR, 0x00, 22)
    assert regs[0:2] == [0xFF, 0xFF]  # IODIRA, IODIRB
    assert regs[2:] == [0x00] * 20
    bench.bus.write_i2c_block_data(ADDR, 0x12, [0x11, 0x22, 0x33, 0x44])  # GPIO A/B, OLAT A/B
    assert bench.sim.regs[10] == [0x33, 0x44]  # OLAT holds the last pair written


def test_pointer_wraps_after_olatb(bench: Bench) -> None:
    assert bench.bus.read_i2c_block_data(ADDR, 0x15, 2) == [0x00, 0xFF]  # OLATB, IODIRA


def test_seqop_disables_auto_increment_in_the_sim(bench: Bench) -> None:
    bench.bus.write_byte_data(ADDR, 0x0A, 0x20)  # SEQOP=1 (behind the driver's back)
    assert bench.bus.read_i2c_block_data(ADDR, 0x00, 3) == [0xFF, 0xFF, 0xFF]  # A, B, A
    with pytest.raises(ValueError, match="BANK=0"):
        bench.gpio.iocon = 0x20


def test_bank1_map_in_the_sim(bench: Bench) -> None:
    bench.bus.write_byte_data(ADDR, 0x0A, 0x80)  # BANK=1
    assert bench.bus.read_byte_data(ADDR, 0x10) == 0xFF  # IODIRB now at 0x10
    assert bench.bus.read_byte_data(ADDR, 0x05) == 0x80  # IOCON at 0x05


def test_interrupt_on_change_captures_and_clears(bench: Bench) -> None:
    bench.sim.drive_inputs(0x0000)
    bench.gpio.gpinten = 0x0003
    bench.sim.drive_inputs(0x0002)
    assert bench.sim.interrupt_pending(0)
    assert bench.gpio.intf == 0x0002
    assert bench.gpio.intcap == 0x0002  # reading INTCAPA clears port A's interrupt
    assert not bench.sim.interrupt_pending(0)


def test_close_returns_all_pins_to_inputs_once(bench: Bench) -> None:
    bench.gpio.set_outputs(0xFFFF)
    bench.wire()
    bench.gpio.close()
    bench.gpio.close()
    assert bench.wire() == [w(0x00, 0xFF, 0xFF)]
    assert bench.sim.output_enable() == 0


def test_pin_numbers_are_checked(bench: Bench) -> None:
    with pytest.raises(ValueError, match="0..15"):
        bench.gpio.write_pin(16, True)


def test_absent_expander_raises_bus_error() -> None:
    gpio = MCP23017(SimI2CBus(), 0x27)
    with pytest.raises(BusError) as info:
        gpio.read_pin(0)
    assert info.value.errno == errno.EREMOTEIO
    assert "MCP23017 at 0x27 register 0x12" in str(info.value)
