"""A simulated I2C bus: smbus2-shaped calls become wire transactions to simulated chips.

Each call is decomposed exactly as the Linux SMBus emulation puts it on the wire: a
``read_word_data`` is a write of the register byte, a repeated start, and a 2-byte read whose
first byte becomes the *low* byte of the returned word. Chips see only wire bytes, so byte
order, auto-increment and opcodes behave as on real silicon, and a driver that forgets a swap
reads nonsense here as it would on a Pi.
"""

from __future__ import annotations

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

    def i2c_rdwr(self, *msgs: I2CMsg) -> None:
        if not msgs:
            return
        with self.lock:
            self.transactions += 1
            touched: list[SimI2CDevice] = []
            try:
                for m in msgs:
                    dev = self._device(m.addr)
                    if dev not in touched:
                        touched.append(dev)
                    if m.is_read:
                        m.buf[:] = self._read(m.addr, m.length)
                    else:
                        self._write(m.addr, bytes(m.buf))
            finally:
                for dev in touched:
                    dev.on_stop()
