"""What the simulated INA219 and INA260 share: a register pointer, big-endian 16-bit words on
the wire, and conversions timed on the injected clock from the last configuration write.

A write sets the pointer and, with two more bytes, writes the word at it (a lone MSB is not
latched); a read returns the word at the pointer, repeated for a read longer than two bytes.
Conversions run while MODE (config bits 2:0) is not 0 or 4: continuous modes convert every
:meth:`SimINA2xx.conversion_period_s`, triggered modes (bit 2 clear) once.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CDevice

_EPS: Final = 1e-12


class SimINA2xx(SimI2CDevice):
    """A simulated TI INA2xx whose inputs come from ``source() -> (bus_voltage_v, current_a)``."""

    config: int
    conversions: int

    def __init__(self, clock: Clock, source: Callable[[], tuple[float, float]]) -> None:
        self.clock = clock
        self.source = source
        self.pointer = 0

    @abstractmethod
    def conversion_period_s(self) -> float:
        """Return the time in seconds one result of the configured channels takes."""

    @abstractmethod
    def _convert(self, mode: int) -> None:
        """Latch one result of the channels ``mode`` converts and set the ready flag."""

    @abstractmethod
    def register(self, reg: int) -> int:
        """Return the 16-bit value register ``reg`` reads now (no side effects)."""

    @abstractmethod
    def _write_word(self, reg: int, value: int) -> None:
        """Write ``value`` to register ``reg`` as the chip does."""

    def _after_read(self, reg: int) -> None:  # noqa: B027 - optional hook
        """Clear what reading register ``reg`` clears (the ready flag, for one)."""

    def _restart(self) -> None:
        """Time conversions from now (power-on, or a configuration write)."""
        self._start = self.clock.monotonic()
        self._done = 0  # conversions completed since _start

    def _update(self) -> None:
        mode = self.config & 0x7
        if mode in (0, 4):
            return
        period = self.conversion_period_s()
        due = math.floor((self.clock.monotonic() - self._start) / period + _EPS)
        if not mode & 0x4:  # triggered: a single conversion
            due = min(due, 1)
        if due > self._done:
            self._done = due
            self._convert(mode)

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        if not data:
            return
        self._update()
        self.pointer = data[0]
        if len(data) < 3:
            return
        self._write_word(self.pointer, (data[1] << 8) | data[2])

    def on_read(self, length: int) -> bytes:
        self._update()
        value = self.register(self.pointer)
        self._after_read(self.pointer)
        pair = bytes([value >> 8, value & 0xFF])
        return (pair * (length // 2 + 1))[:length]
