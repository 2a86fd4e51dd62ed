"""SimI2CBus: smbus2-shaped calls become the wire transactions the Linux SMBus emulation makes."""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from benchscore.sim.i2c import SimI2CBus, SimI2CDevice, WireEvent
from drivers.i2c import I2CMsg

ADDR = 0x50


class RegisterFile(SimI2CDevice):
    """A 256-byte register file: first written byte sets the pointer, which auto-increments."""

    def __init__(self) -> None:
        self.mem = bytearray(256)
        self.pointer = 0
        self.stops = 0
        self.writes: list[bytes] = []

    def on_write(self, data: bytes) -> None:
        self.writes.append(data)
        if not data:
            return
        self.pointer = data[0]
        for byte in data[1:]:
            self.mem[self.pointer] = byte
            self.pointer = (self.pointer + 1) & 0xFF

    def on_read(self, length: int) -> bytes:
        out = bytearray()
        for _ in range(length):
            out.append(self.mem[self.pointer])
            self.pointer = (self.pointer + 1) & 0xFF
        return bytes(out)

    def on_stop(self) -> None:
        self.stops += 1


@pytest.fixture
def bus() -> SimI2CBus:
    return SimI2CBus(record=True)


@pytest.fixture
def chip(bus: SimI2CBus) -> RegisterFile:
    chip = RegisterFile()
    bus.attach(ADDR, chip)
    return chip


def test_read_word_data_first_wire_byte_is_the_low_byte(bus: SimI2CBus, chip: RegisterFile) -> None:
    chip.mem[0x10:0x12] = bytes([0x34, 0x12])
    assert bus.read_word_data(ADDR, 0x10) == 0x1234
    assert list(bus.trace) == [
        WireEvent(ADDR, "w", bytes([0x10])),
        WireEvent(ADDR, "r", bytes([0x34, 0x12])),
    ]
    assert chip.stops == 1  # one combined transaction: repeated start, one STOP


def test_write_word_data_sends_register_then_low_then_high(
    bus: SimI2CBus, chip: RegisterFile
) -> None:
    bus.write_word_data(ADDR, 0x20, 0xABCD)
    assert list(bus.trace) == [WireEvent(ADDR, "w", bytes([0x20, 0xCD, 0xAB]))]
    assert chip.mem[0x20:0x22] == bytes([0xCD, 0xAB])


def test_byte_calls(bus: SimI2CBus, chip: RegisterFile) -> None:
    bus.write_byte_data(ADDR, 0x05, 0x1A5)  # masked to a byte
    assert chip.mem[0x05] == 0xA5
    assert bus.read_byte_data(ADDR, 0x05) == 0xA5
    bus.write_byte(ADDR, 0x05)  # pointer only
    assert bus.read_byte(ADDR) == 0xA5
    assert [str(e) for e in bus.trace] == [
        "w 0x50 [05 a5]",
        "w 0x50 [05]",
        "r 0x50 [a5]",
        "w 0x50 [05]",
        "r 0x50 [a5]",
    ]
    assert chip.stops == 4


def test_block_read_and_write_in_wire_order(bus: SimI2CBus, chip: RegisterFile) -> None:
    bus.write_i2c_block_data(ADDR, 0x40, [1, 2, 3, 4])
    assert bus.read_i2c_block_data(ADDR, 0x40, 4) == [1, 2, 3, 4]
    assert list(bus.trace) == [
        WireEvent(ADDR, "w", bytes([0x40, 1, 2, 3, 4])),
        WireEvent(ADDR, "w", bytes([0x40])),
        WireEvent(ADDR, "r", bytes([1, 2, 3, 4])),
    ]


def test_block_of_32_bytes_is_the_limit(bus: SimI2CBus, chip: RegisterFile) -> None:
    data = list(range(32))
    bus.write_i2c_block_data(ADDR, 0x00, data)
    assert bus.read_i2c_block_data(ADDR, 0x00, 32) == data
    transactions = bus.transactions
    with pytest.raises(ValueError, match="32"):
        bus.read_i2c_block_data(ADDR, 0x00, 33)
    with pytest.raises(ValueError, match="32"):
        bus.write_i2c_block_data(ADDR, 0x00, list(range(33)))
    with pytest.raises(ValueError):
        bus.read_i2c_block_data(ADDR, 0x00, 0)
    assert bus.transactions == transactions  # rejected before touching the wire


def test_absent_address_nacks_with_errno_121(bus: SimI2CBus, chip: RegisterFile) -> None:
    with pytest.raises(OSError) as info:
        bus.read_word_data(0x51, 0x00)
    assert info.value.errno == errno.EREMOTEIO == 121
    assert "0x51" in str(info.value)
    assert list(bus.trace) == []


def test_nack_addresses_inject_an_unplugged_sensor(bus: SimI2CBus, chip: RegisterFile) -> None:
    bus.nack_addresses.add(ADDR)
    for call in (
        lambda: bus.write_byte(ADDR, 0),
        lambda: bus.read_byte_data(ADDR, 0),
        lambda: bus.i2c_rdwr(I2CMsg.read(ADDR, 2)),
    ):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == 121
    assert chip.writes == []
    bus.nack_addresses.clear()
    assert bus.read_byte_data(ADDR, 0) == 0


def test_detach_makes_the_address_nack(bus: SimI2CBus, chip: RegisterFile) -> None:
    bus.detach(ADDR)
    with pytest.raises(OSError) as info:
        bus.read_byte(ADDR)
    assert info.value.errno == 121


def test_i2c_rdwr_is_one_transaction_with_a_repeated_start(
    bus: SimI2CBus, chip: RegisterFile
) -> None:
    chip.mem[0x80:0x83] = bytes([9, 8, 7])
    write = I2CMsg.write(ADDR, [0x80])
    read = I2CMsg.read(ADDR, 3)
    bus.i2c_rdwr(write, read)
    assert bytes(read) == bytes([9, 8, 7])
    assert list(bus.trace) == [
        WireEvent(ADDR, "w", bytes([0x80])),
        WireEvent(ADDR, "r", bytes([9, 8, 7])),
    ]
    assert chip.stops == 1
    assert bus.transactions == 1


def test_plain_read_has_no_register_byte(bus: SimI2CBus, chip: RegisterFile) -> None:
    chip.mem[0:2] = bytes([0xBE, 0xEF])
    msg = I2CMsg.read(ADDR, 2)
    bus.i2c_rdwr(msg)
    assert msg.buf == bytearray([0xBE, 0xEF])
    assert list(bus.trace) == [WireEvent(ADDR, "r", bytes([0xBE, 0xEF]))]
    assert chip.writes == []


def test_i2c_rdwr_takes_real_smbus2_messages(bus: SimI2CBus, chip: RegisterFile) -> None:
    bus.i2c_rdwr(i2c_msg.write(ADDR, [0x40, 0xDE, 0xAD, 0xBE]))
    write, read = i2c_msg.write(ADDR, [0x41]), i2c_msg.read(ADDR, 2)
    bus.i2c_rdwr(write, read)
    assert bytes(read) == bytes([0xAD, 0xBE])  # filled in place, as the kernel fills the buffer
    assert bytes(chip.mem[0x40:0x43]) == bytes([0xDE, 0xAD, 0xBE])
    assert list(bus.trace) == [
        WireEvent(ADDR, "w", bytes([0x40, 0xDE, 0xAD, 0xBE])),
        WireEvent(ADDR, "w", bytes([0x41])),
        WireEvent(ADDR, "r", bytes([0xAD, 0xBE])),
    ]
    assert chip.stops == 2
    assert bus.transactions == 2


def test_smbus2_and_own_messages_mix_in_one_transaction(bus: SimI2CBus, chip: RegisterFile) -> None:
    chip.mem[0x10:0x13] = bytes([1, 2, 3])
    ours, theirs = I2CMsg.read(ADDR, 1), i2c_msg.read(ADDR, 2)
    bus.i2c_rdwr(i2c_msg.write(ADDR, [0x10]), ours, theirs)
    assert (bytes(ours), bytes(theirs)) == (b"\x01", b"\x02\x03")
    assert chip.stops == 1


def test_smbus2_message_to_an_absent_address_is_a_nack(bus: SimI2CBus) -> None:
    with pytest.raises(OSError) as info:
        bus.i2c_rdwr(i2c_msg.read(0x33, 1))
    assert info.value.errno == errno.EREMOTEIO


def test_i2c_rdwr_refuses_what_is_not_a_message(bus: SimI2CBus, chip: RegisterFile) -> None:
    with pytest.raises(TypeError, match="not bytes"):
        bus.i2c_rdwr(b"\x10")
    assert chip.stops == 0


def test_trace_is_empty_unless_recording(chip: RegisterFile) -> None:
    quiet = SimI2CBus()
    quiet.attach(ADDR, chip)
    quiet.write_byte(ADDR, 1)
    assert list(quiet.trace) == []
    assert quiet.transactions == 1


def test_attach_rejects_reserved_and_duplicate_addresses(
    bus: SimI2CBus, chip: RegisterFile
) -> None:
    with pytest.raises(ValueError, match="0x78"):
        bus.attach(0x78, RegisterFile())
    with pytest.raises(ValueError, match="already"):
        bus.attach(ADDR, RegisterFile())


def test_closed_bus_raises_ebadf_and_close_is_idempotent(
    bus: SimI2CBus, chip: RegisterFile
) -> None:
    with bus:
        pass
    assert bus.closed
    bus.close()
    with pytest.raises(OSError) as info:
        bus.read_byte(ADDR)
    assert info.value.errno == errno.EBADF
