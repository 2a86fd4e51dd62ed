"""I2C bus seam: smbus2-shaped calls over a real ``/dev/i2c-N`` or a simulated bus.

Drivers call only the methods of :class:`I2CBus`. :class:`SMBus2Bus` forwards them to smbus2;
:class:`benchscore.sim.i2c.SimI2CBus` turns each call into the wire transactions the kernel
would put on the bus (an SMBus word is sent low byte first) and hands them to simulated chips.
Bus open/close is idempotent; every implementation is a context manager.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

I2C_SMBUS_BLOCK_MAX = 32
"""Largest SMBus block transfer in bytes (smbus2 raises ValueError above it)."""


@dataclass
class I2CMsg:
    """One message of a combined ``i2c_rdwr`` transaction (like ``smbus2.i2c_msg``)."""

    addr: int
    is_read: bool
    length: int
    buf: bytearray = field(default_factory=bytearray)

    @classmethod
    def write(cls, addr: int, data: Sequence[int] | bytes) -> I2CMsg:
        """Build a write message carrying ``data``."""
        payload = bytearray(data)
        return cls(addr, False, len(payload), payload)

    @classmethod
    def read(cls, addr: int, length: int) -> I2CMsg:
        """Build a read message for ``length`` bytes; ``buf`` is filled by the bus."""
        return cls(addr, True, length, bytearray(length))

    def __bytes__(self) -> bytes:
        return bytes(self.buf)


class I2CBus(ABC):
    """The calls smbus2 offers, as drivers use them. Values are plain ints and byte lists."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release the bus; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            self._close()

    def _close(self) -> None:  # noqa: B027 - optional hook
        """Release backend resources (override when there are any)."""

    def __enter__(self) -> I2CBus:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @abstractmethod
    def write_byte(self, addr: int, value: int) -> None:
        """Send one byte (SMBus send byte)."""

    @abstractmethod
    def read_byte(self, addr: int) -> int:
        """Receive one byte (SMBus receive byte)."""

    @abstractmethod
    def write_byte_data(self, addr: int, register: int, value: int) -> None:
        """Write one byte to ``register``."""

    @abstractmethod
    def read_byte_data(self, addr: int, register: int) -> int:
        """Read one byte from ``register``."""

    @abstractmethod
    def write_word_data(self, addr: int, register: int, value: int) -> None:
        """Write a 16-bit SMBus word (sent low byte first) to ``register``."""

    @abstractmethod
    def read_word_data(self, addr: int, register: int) -> int:
        """Read a 16-bit SMBus word: first byte on the wire is the low byte."""

    @abstractmethod
    def read_i2c_block_data(self, addr: int, register: int, length: int) -> list[int]:
        """Read ``length`` (<= 32) bytes starting at ``register``, in wire order."""

    @abstractmethod
    def write_i2c_block_data(self, addr: int, register: int, data: Sequence[int]) -> None:
        """Write ``data`` (<= 32 bytes) starting at ``register``."""

    @abstractmethod
    def i2c_rdwr(self, *msgs: I2CMsg) -> None:
        """Run a combined transaction (repeated start between messages, one STOP)."""


def check_block_length(length: int) -> None:
    """Raise ValueError as smbus2 does for a block transfer over 32 bytes."""
    if not 0 < length <= I2C_SMBUS_BLOCK_MAX:
        raise ValueError(f"block length {length} outside 1..{I2C_SMBUS_BLOCK_MAX} bytes")


class SMBus2Bus(I2CBus):
    """A real Linux I2C bus (``/dev/i2c-N``) through smbus2."""

    def __init__(self, bus: int | str) -> None:
        super().__init__()
        from smbus2 import SMBus  # imported here: the simulation must not need smbus2

        self._bus: Any = SMBus(bus)
        self.name = f"/dev/i2c-{bus}" if isinstance(bus, int) else bus

    def _close(self) -> None:
        self._bus.close()

    def write_byte(self, addr: int, value: int) -> None:
        self._bus.write_byte(addr, value)

    def read_byte(self, addr: int) -> int:
        return int(self._bus.read_byte(addr))

    def write_byte_data(self, addr: int, register: int, value: int) -> None:
        self._bus.write_byte_data(addr, register, value)

    def read_byte_data(self, addr: int, register: int) -> int:
        return int(self._bus.read_byte_data(addr, register))

    def write_word_data(self, addr: int, register: int, value: int) -> None:
        self._bus.write_word_data(addr, register, value)

    def read_word_data(self, addr: int, register: int) -> int:
        return int(self._bus.read_word_data(addr, register))

    def read_i2c_block_data(self, addr: int, register: int, length: int) -> list[int]:
        return list(self._bus.read_i2c_block_data(addr, register, length))

    def write_i2c_block_data(self, addr: int, register: int, data: Sequence[int]) -> None:
        self._bus.write_i2c_block_data(addr, register, list(data))

    def i2c_rdwr(self, *msgs: I2CMsg) -> None:
        from smbus2 import i2c_msg

        native = [
            i2c_msg.read(m.addr, m.length) if m.is_read else i2c_msg.write(m.addr, bytes(m.buf))
            for m in msgs
        ]
        self._bus.i2c_rdwr(*native)
        for ours, theirs in zip(msgs, native, strict=True):
            if ours.is_read:
                ours.buf[:] = bytes(theirs)
