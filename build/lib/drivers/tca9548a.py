"""TI TCA9548A 8-channel I2C switch (and the 4-channel PCA9546A).

The chip has one 8-bit control register and no pointer: writing a byte whose bit n is set
connects downstream channel n; reading returns the mask; 0x00 (the power-up state)
disconnects them all. :meth:`TCA9548A.channel` returns an :class:`I2CBus` that writes
``1 << n`` to the switch before every transaction, under the parent bus lock, so any driver
works unchanged behind a channel::

    mux = TCA9548A(bus, 0x70)
    left = INA219(mux.channel(0), 0x40)
    right = INA219(mux.channel(1), 0x40)   # same address, other channel

On Linux the kernel's ``i2c-mux-pca954x`` driver can do the same and expose one
``/dev/i2c-M`` per channel; this class is for a switch left to userspace.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import Final

from drivers.i2c import I2CBus, I2CMsg, check_block_length
from drivers.registers import I2CDevice

__all__ = ["PCA9546A", "TCA9548A", "TCA9548AChannel"]

MUX_ADDRESSES: Final = range(0x70, 0x78)


class TCA9548A(I2CDevice):
    """An I2C switch at 0x70..0x77 whose channels are buses of their own."""

    name = "TCA9548A"
    channel_count = 8

    def __init__(self, bus: I2CBus, address: int = 0x70) -> None:
        if address not in MUX_ADDRESSES:
            raise ValueError(f"{self.name} address 0x{address:02X} outside 0x70..0x77")
        super().__init__(bus, address)
        self._channels: dict[int, TCA9548AChannel] = {}

    def select_mask(self, mask: int) -> None:
        """Connect every channel whose bit is set in ``mask`` (0 disconnects all)."""
        if not 0 <= mask < (1 << self.channel_count):
            raise ValueError(f"{self.name}: mask 0x{mask:02X} names a missing channel")
        try:
            with self.bus.lock:
                self.bus.write_byte(self.address, mask)
        except OSError as exc:
            raise self._error(None, exc) from exc

    def select(self, channel: int) -> None:
        """Connect only ``channel``."""
        self.select_mask(1 << self._check_channel(channel))

    def disable_all(self) -> None:
        """Disconnect every channel (control byte 0x00)."""
        self.select_mask(0)

    @property
    def selected_mask(self) -> int:
        """Get the control byte: bit n set means channel n is connected."""
        try:
            with self.bus.lock:
                return self.bus.read_byte(self.address)
        except OSError as exc:
            raise self._error(None, exc) from exc

    def _check_channel(self, channel: int) -> int:
        if not 0 <= channel < self.channel_count:
            raise ValueError(f"{self.name}: channel {channel} outside 0..{self.channel_count - 1}")
        return channel

    def channel(self, n: int) -> TCA9548AChannel:
        """Return the bus behind channel ``n`` (the same object on every call)."""
        self._check_channel(n)
        if n not in self._channels:
            self._channels[n] = TCA9548AChannel(self, n)
        return self._channels[n]

    def _shutdown(self) -> None:
        for ch in self._channels.values():
            ch.close()
        self.bus.write_byte(self.address, 0x00)


class PCA9546A(TCA9548A):
    """The 4-channel variant (same control byte, channels 0..3)."""

    name = "PCA9546A"
    channel_count = 4


class TCA9548AChannel(I2CBus):
    """One downstream channel of a :class:`TCA9548A`, usable wherever an I2CBus is."""

    def __init__(self, mux: TCA9548A, channel: int) -> None:
        super().__init__()
        self.mux = mux
        self.parent = mux.bus
        self.channel = channel
        self.control = 1 << channel
        self.lock = self.parent.lock  # select + transaction must not interleave
        self.name = f"{mux.name}@0x{mux.address:02X} channel {channel}"

    def __repr__(self) -> str:
        return f"TCA9548AChannel({self.name})"

    def _select(self, *addrs: int) -> None:
        if self._closed:
            raise OSError(errno.EBADF, f"{self.name} is closed")
        for addr in addrs:
            if addr == self.mux.address:
                raise ValueError(
                    f"0x{addr:02X} is the switch itself; a downstream device cannot share it"
                )
        self.parent.write_byte(self.mux.address, self.control)

    def write_byte(self, addr: int, value: int) -> None:
        with self.lock:
            self._select(addr)
            self.parent.write_byte(addr, value)

    def read_byte(self, addr: int) -> int:
        with self.lock:
            self._select(addr)
            return self.parent.read_byte(addr)

    def write_byte_data(self, addr: int, register: int, value: int) -> None:
        with self.lock:
            self._select(addr)
            self.parent.write_byte_data(addr, register, value)

    def read_byte_data(self, addr: int, register: int) -> int:
        with self.lock:
            self._select(addr)
            return self.parent.read_byte_data(addr, register)

    def write_word_data(self, addr: int, register: int, value: int) -> None:
        with self.lock:
            self._select(addr)
            self.parent.write_word_data(addr, register, value)

    def read_word_data(self, addr: int, register: int) -> int:
        with self.lock:
            self._select(addr)
            return self.parent.read_word_data(addr, register)

    def read_i2c_block_data(self, addr: int, register: int, length: int) -> list[int]:
        check_block_length(length)  # before selecting, as smbus2 checks before any I/O
        with self.lock:
            self._select(addr)
            return self.parent.read_i2c_block_data(addr, register, length)

    def write_i2c_block_data(self, addr: int, register: int, data: Sequence[int]) -> None:
        check_block_length(len(data))
        with self.lock:
            self._select(addr)
            self.parent.write_i2c_block_data(addr, register, data)

    def i2c_rdwr(self, *msgs: I2CMsg) -> None:
        if not msgs:
            return
        with self.lock:
            self._select(*(m.addr for m in msgs))
            self.parent.i2c_rdwr(*msgs)
