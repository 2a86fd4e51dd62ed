"""One contract for every I2CBus implementation (after python-can's back2back tests).

Each backend subclasses :class:`I2CBusContract` and says how to open a bus and where its
register-file scratch device sits. The register file is RAM-like: a write's first byte sets
the pointer, further bytes are stored at it with auto-increment, reads continue from it.

Backends here: the simulated bus, a TCA9548A channel over the simulated bus, and a real
``/dev/i2c-N`` through smbus2 when this machine has one. The real bus runs the NACK, block
limit and close checks on its own; the register-file checks also need a RAM-like device named
by ``BENCHSCORE_I2C_SCRATCH=<bus>:<hex addr>`` (e.g. ``1:0x50`` for a target running a
register-file sketch; an EEPROM will not do: page writes and write-cycle delays differ).
``BENCHSCORE_I2C_ABSENT`` overrides the address assumed empty (default 0x5A).
"""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Callable, Iterator

import pytest

from benchscore.sim.chips.tca9548a import SimTCA9548A
from benchscore.sim.i2c import SimI2CBus, SimI2CDevice
from drivers.i2c import I2CBus, I2CMsg, SMBus2Bus
from drivers.tca9548a import TCA9548A


class RegisterFile(SimI2CDevice):
    """256 bytes of RAM behind an auto-incrementing pointer."""

    def __init__(self) -> None:
        self.mem = bytearray(256)
        self.pointer = 0

    def on_write(self, data: bytes) -> None:
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


SCRATCH = 0x50


class I2CBusContract:
    """The behaviour every I2CBus must show. Subclasses provide :meth:`open_bus`."""

    absent = 0x5A
    scratch: int | None = SCRATCH
    skip_scratch_reason = ""

    def open_bus(self) -> I2CBus:
        raise NotImplementedError

    @pytest.fixture
    def bus(self) -> Iterator[I2CBus]:
        bus = self.open_bus()
        try:
            yield bus
        finally:
            bus.close()

    @pytest.fixture
    def dev(self) -> int:
        if self.scratch is None:
            pytest.skip(self.skip_scratch_reason)
        return self.scratch

    # -- register file semantics -------------------------------------------------------
    def test_byte_data_round_trip(self, bus: I2CBus, dev: int) -> None:
        bus.write_byte_data(dev, 0x20, 0xA5)
        bus.write_byte_data(dev, 0x21, 0x5A)
        assert bus.read_byte_data(dev, 0x20) == 0xA5
        assert bus.read_byte_data(dev, 0x21) == 0x5A

    def test_write_byte_sets_pointer_and_read_byte_reads_there(self, bus: I2CBus, dev: int) -> None:
        bus.write_byte_data(dev, 0x30, 0x77)
        bus.write_byte(dev, 0x30)
        assert bus.read_byte(dev) == 0x77

    def test_word_is_sent_low_byte_first(self, bus: I2CBus, dev: int) -> None:
        bus.write_word_data(dev, 0x10, 0xBEEF)
        assert bus.read_byte_data(dev, 0x10) == 0xEF
        assert bus.read_byte_data(dev, 0x11) == 0xBE
        assert bus.read_word_data(dev, 0x10) == 0xBEEF
        bus.write_byte_data(dev, 0x12, 0x34)
        bus.write_byte_data(dev, 0x13, 0x12)
        assert bus.read_word_data(dev, 0x12) == 0x1234  # first wire byte is the low byte

    def test_block_round_trip_of_32_bytes(self, bus: I2CBus, dev: int) -> None:
        data = list(range(100, 132))
        bus.write_i2c_block_data(dev, 0x40, data)
        assert bus.read_i2c_block_data(dev, 0x40, 32) == data
        assert bus.read_i2c_block_data(dev, 0x48, 4) == data[8:12]

    def test_i2c_rdwr_combined_transaction_has_no_32_byte_limit(
        self, bus: I2CBus, dev: int
    ) -> None:
        payload = bytes(range(40))
        bus.i2c_rdwr(I2CMsg.write(dev, bytes([0x80]) + payload))
        read = I2CMsg.read(dev, 40)
        bus.i2c_rdwr(I2CMsg.write(dev, [0x80]), read)
        assert bytes(read) == payload
        assert read.buf == bytearray(payload)

    def test_i2c_rdwr_bare_read_continues_from_pointer(self, bus: I2CBus, dev: int) -> None:
        bus.write_i2c_block_data(dev, 0x90, [1, 2, 3, 4])
        bus.write_byte(dev, 0x92)
        read = I2CMsg.read(dev, 2)
        bus.i2c_rdwr(read)
        assert list(read.buf) == [3, 4]

    # -- limits and errors -------------------------------------------------------------
    def test_block_over_32_bytes_is_value_error(self, bus: I2CBus) -> None:
        target = self.scratch if self.scratch is not None else self.absent
        with pytest.raises(ValueError):
            bus.read_i2c_block_data(target, 0x00, 33)
        with pytest.raises(ValueError):
            bus.write_i2c_block_data(target, 0x00, [0] * 33)

    @pytest.mark.parametrize(
        "call",
        [
            lambda b, a: b.write_byte(a, 0),
            lambda b, a: b.read_byte(a),
            lambda b, a: b.write_byte_data(a, 0, 0),
            lambda b, a: b.read_byte_data(a, 0),
            lambda b, a: b.write_word_data(a, 0, 0),
            lambda b, a: b.read_word_data(a, 0),
            lambda b, a: b.read_i2c_block_data(a, 0, 4),
            lambda b, a: b.write_i2c_block_data(a, 0, [1, 2]),
            lambda b, a: b.i2c_rdwr(I2CMsg.write(a, [0]), I2CMsg.read(a, 2)),
        ],
        ids=[
            "write_byte",
            "read_byte",
            "write_byte_data",
            "read_byte_data",
            "write_word_data",
            "read_word_data",
            "read_i2c_block_data",
            "write_i2c_block_data",
            "i2c_rdwr",
        ],
    )
    def test_absent_address_is_nack_errno_121(
        self, bus: I2CBus, call: Callable[[I2CBus, int], object]
    ) -> None:
        with pytest.raises(OSError) as info:
            call(bus, self.absent)
        assert info.value.errno == errno.EREMOTEIO == 121

    def test_close_is_idempotent_and_context_manager_closes(self) -> None:
        bus = self.open_bus()
        assert not bus.closed
        bus.close()
        bus.close()
        assert bus.closed
        with self.open_bus() as again:
            assert not again.closed
        assert again.closed

    def test_bus_has_a_reentrant_lock(self, bus: I2CBus) -> None:
        with bus.lock, bus.lock:
            pass


class TestSimI2CBus(I2CBusContract):
    def open_bus(self) -> I2CBus:
        bus = SimI2CBus()
        bus.attach(SCRATCH, RegisterFile())
        return bus


class TestTCA9548AChannel(I2CBusContract):
    """A channel of a switch must be indistinguishable from a plain bus."""

    def open_bus(self) -> I2CBus:
        parent = SimI2CBus()
        sim_mux = SimTCA9548A(parent, 0x70)
        sim_mux.attach(5, SCRATCH, RegisterFile())
        sim_mux.attach(2, self.absent, RegisterFile())  # same address, other channel
        return TCA9548A(parent, 0x70).channel(5)


def _real_bus() -> tuple[str | None, int | None, str]:
    nodes = sorted(glob.glob("/dev/i2c-*"))
    if not nodes:
        return None, None, "no /dev/i2c-* on this machine (load i2c-dev on a Pi to run this)"
    spec = os.environ.get("BENCHSCORE_I2C_SCRATCH", "")
    if not spec:
        return nodes[0], None, "set BENCHSCORE_I2C_SCRATCH=<bus>:<addr> of a RAM-like device"
    bus_no, _, addr = spec.partition(":")
    return f"/dev/i2c-{int(bus_no)}", int(addr, 16), ""


_REAL_NODE, _REAL_SCRATCH, _REAL_REASON = _real_bus()


@pytest.mark.skipif(_REAL_NODE is None, reason=_REAL_REASON)
class TestSMBus2Bus(I2CBusContract):
    scratch = _REAL_SCRATCH
    skip_scratch_reason = _REAL_REASON
    absent = int(os.environ.get("BENCHSCORE_I2C_ABSENT", "0x5A"), 16)

    def open_bus(self) -> I2CBus:
        assert _REAL_NODE is not None
        return SMBus2Bus(_REAL_NODE)
