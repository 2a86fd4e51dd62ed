"""A simulated I2C bus: smbus2-shaped calls become wire transactions to simulated chips.

Each call is decomposed exactly as the Linux SMBus emulation puts it on the wire: a
``read_word_data`` is a write of the register byte, a repeated start, and a 2-byte read whose
first byte becomes the *low* byte of the returned word. Chips see only wire bytes, so byte
order, auto-increment and opcodes behave as on real silicon, and a driver that forgets a swap
reads nonsense here as it would on a Pi.
"""

from __future__ import annotations

import ctypes
import errno
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from drivers.i2c import I2CBus, I2CMsg, check_block_length


class SimI2CDevice(ABC):
    """A chip on the simulated bus; it sees the bytes of each transaction, nothing else."""

    @abstractmethod
    def on_write(self, data: bytes) -> None:
        """Receive the data bytes of a write transaction (after the address byte)."""

    @abstractmethod
    def on_read(self, length: int) -> bytes:
        """Return ``length`` bytes for a read transaction."""

    def on_stop(self) -> None:  # noqa: B027 - optional hook
        """Called at the STOP that ends a transaction."""


@dataclass(frozen=True)
class WireEvent:
    """One message seen on the simulated bus: direction, 7-bit address and the bytes."""

    addr: int
    direction: Literal["w", "r"]
    data: bytes

    def __str__(self) -> str:
        return f"{self.direction} 0x{self.addr:02X} [{self.data.hex(' ')}]"


I2C_M_RD = 0x0001
"""``flags`` bit of a Linux ``struct i2c_msg`` (and ``smbus2.i2c_msg``) marking a read."""
I2C_M_TEN = 0x0010
"""``flags`` bit for a 10-bit address; no simulated chip has one, so it is never acknowledged."""


def nack(addr: int) -> OSError:
    """The error Linux i2c-dev gives for an address that does not acknowledge."""
    return OSError(errno.EREMOTEIO, f"Remote I/O error: no ACK from 0x{addr:02X}")


class SimI2CBus(I2CBus):
    """Routes every transaction to the simulated chip at its address.

    ``trace`` (a bounded deque of :class:`WireEvent`) records what crossed the wire when
    ``record=True``. An address with no chip, or one listed in ``nack_addresses`` (fault
    injection: an unplugged sensor), raises ``OSError(121)`` as a real bus does.
    """

    def __init__(self, *, record: bool = False, trace_len: int = 10_000) -> None:
        super().__init__()
        self.devices: dict[int, SimI2CDevice] = {}
        self.nack_addresses: set[int] = set()
        self.record = record
        self.trace: deque[WireEvent] = deque(maxlen=trace_len)
        self.transactions = 0

    def attach(self, addr: int, device: SimI2CDevice) -> SimI2CDevice:
        """Put ``device`` on the bus at 7-bit ``addr``."""
        if not 0x03 <= addr <= 0x77:
            raise ValueError(f"0x{addr:02X} is not a valid 7-bit I2C device address")
        if addr in self.devices:
            raise ValueError(f"address 0x{addr:02X} already has a device")
        self.devices[addr] = device
        return device

    def detach(self, addr: int) -> None:
        """Remove the chip at ``addr`` (the sensor was unplugged)."""
        self.devices.pop(addr, None)

    def _device(self, addr: int) -> SimI2CDevice:
        if self._closed:
            raise OSError(errno.EBADF, "I2C bus is closed")
        dev = self.devices.get(addr)
        if dev is None or addr in self.nack_addresses:
            raise nack(addr)
        return dev

    def _write(self, addr: int, data: bytes) -> None:
        self._device(addr).on_write(data)  # a NACK raises here, before anything is traced
        if self.record:
            self.trace.append(WireEvent(addr, "w", data))

    def _read(self, addr: int, length: int) -> bytes:
        out = bytes(self._device(addr).on_read(length))
        if len(out) != length:
            raise AssertionError(f"simulated chip at 0x{addr:02X} returned {len(out)} bytes")
        if self.record:
            self.trace.append(WireEvent(addr, "r", out))
        return out

    def _transaction(self, addr: int, *parts: tuple[Literal["w", "r"], bytes | int]) -> bytes:
        with self.lock:
            self.transactions += 1
            dev = self._device(addr)
            result = b""
            try:
                for kind, arg in parts:
                    if kind == "w":
                        assert isinstance(arg, bytes)
                        self._write(addr, arg)
                    else:
                        assert isinstance(arg, int)
                        result = self._read(addr, arg)
            finally:
                dev.on_stop()
            return result

    def write_byte(self, addr: int, value: int) -> None:
        self._transaction(addr, ("w", bytes([value & 0xFF])))

    def read_byte(self, addr: int) -> int:
        return self._transaction(addr, ("r", 1))[0]

    def write_byte_data(self, addr: int, register: int, value: int) -> None:
        self._transaction(addr, ("w", bytes([register & 0xFF, value & 0xFF])))

    def read_byte_data(self, addr: int, register: int) -> int:
        return self._transaction(addr, ("w", bytes([register & 0xFF])), ("r", 1))[0]

    def write_word_data(self, addr: int, register: int, value: int) -> None:
        data = bytes([register & 0xFF, value & 0xFF, (value >> 8) & 0xFF])  # low byte first
        self._transaction(addr, ("w", data))

    def read_word_data(self, addr: int, register: int) -> int:
        raw = self._transaction(addr, ("w", bytes([register & 0xFF])), ("r", 2))
        return raw[0] | (raw[1] << 8)  # first byte on the wire is the SMBus low byte

    def read_i2c_block_data(self, addr: int, register: int, length: int) -> list[int]:
        check_block_length(length)
        return list(self._transaction(addr, ("w", bytes([register & 0xFF])), ("r", length)))

    def write_i2c_block_data(self, addr: int, register: int, data: Sequence[int]) -> None:
        check_block_length(len(data))
        self._transaction(addr, ("w", bytes([register & 0xFF, *data])))

    def i2c_rdwr(self, *msgs: object) -> None:
        """Run a combined transaction of :class:`I2CMsg` or real ``smbus2.i2c_msg`` messages.

        An ``smbus2.i2c_msg`` (a ctypes ``struct i2c_msg``: ``addr``, ``flags``, ``len``,
        ``buf``) is read from and filled in place as the kernel would; smbus2 itself is not
        imported, so the simulation runs without it.
        """
        if not msgs:
            return
        with self.lock:
            self.transactions += 1
            touched: list[SimI2CDevice] = []
            try:
                for m in msgs:
                    addr, is_read, length = _message_header(m)
                    dev = self._device(addr)
                    if dev not in touched:
                        touched.append(dev)
                    if is_read:
                        _fill(m, self._read(addr, length))
                    else:
                        self._write(addr, _payload(m, length))
            finally:
                for dev in touched:
                    dev.on_stop()


def _message_header(m: object) -> tuple[int, bool, int]:
    """Return (7-bit address, is a read, length in bytes) of an ``i2c_rdwr`` message."""
    if isinstance(m, I2CMsg):
        return m.addr, m.is_read, m.length
    flags, addr, length = (getattr(m, name, None) for name in ("flags", "addr", "len"))
    if not (isinstance(flags, int) and isinstance(addr, int) and isinstance(length, int)):
        raise TypeError(f"i2c_rdwr takes I2CMsg or smbus2.i2c_msg messages, not {type(m).__name__}")
    if flags & I2C_M_TEN:
        raise nack(addr)
    return addr, bool(flags & I2C_M_RD), length


def _payload(m: object, length: int) -> bytes:
    """The bytes a write message carries."""
    if isinstance(m, I2CMsg):
        return bytes(m.buf)
    return ctypes.string_at(getattr(m, "buf"), length)  # noqa: B009 - a ctypes field


def _fill(m: object, data: bytes) -> None:
    """Store what a read message received in its buffer, as the kernel does."""
    if isinstance(m, I2CMsg):
        m.buf[:] = data
    else:
        ctypes.memmove(getattr(m, "buf"), data, len(data))  # noqa: B009 - a ctypes field
