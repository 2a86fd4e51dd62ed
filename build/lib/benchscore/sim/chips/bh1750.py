"""Simulated ROHM BH1750 at the wire level: an opcode state machine and a 2-byte result.

Each written byte is an opcode (the chip has no register pointer); unknown opcodes are ignored.
A measurement completes after the typical time (120 ms H/H2, 16 ms L at MTreg 69, scaled by
MTreg/69) on the clock; until then a read returns the previous result (0 after power-on or
reset). One-time modes power down after their measurement. Counts = lux x 1.2 x MTreg/69
(x2 in H-res2), rounded, saturating at 65535; a read returns them MSB first.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CDevice

POWER_DOWN: Final = 0x00
POWER_ON: Final = 0x01
RESET: Final = 0x07
CONTINUOUS_MODES: Final = frozenset({0x10, 0x11, 0x13})
ONE_TIME_MODES: Final = frozenset({0x20, 0x21, 0x23})
MTREG_DEFAULT: Final = 69
TYPICAL_TIME_HIGH_RES_S: Final = 0.120
TYPICAL_TIME_LOW_RES_S: Final = 0.016
MAX_COUNTS: Final = 0xFFFF


class SimBH1750(SimI2CDevice):
    """A BH1750 whose illuminance in lux comes from ``source()``.

    ``noise_lx`` is the RMS noise added to each measurement; ``seed`` makes it reproducible.
    The chip starts powered down, as at power-up.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        source: Callable[[], float],
        noise_lx: float = 0.0,
        seed: int = 0,
    ) -> None:
        if noise_lx < 0:
            raise ValueError(f"noise_lx must not be negative, not {noise_lx}")
        self.clock = clock
        self.source = source
        self.noise_lx = noise_lx
        self._rng = random.Random(seed)
        self._powered = False
        self._mode: int | None = None  # measurement opcode in progress, None when idle
        self._mtreg = MTREG_DEFAULT
        self._data = 0
        self._due: float | None = None
        self.measurements = 0
        """Number of measurements completed since construction."""

    # -- inspection ------------------------------------------------------------------------
    @property
    def powered(self) -> bool:
        """Get whether the chip is powered on (idle or measuring)."""
        self._update(self.clock.monotonic())
        return self._powered

    @property
    def mode(self) -> int | None:
        """Get the measurement opcode running, or None when idle or powered down."""
        self._update(self.clock.monotonic())
        return self._mode

    @property
    def mtreg(self) -> int:
        """Get the measurement time register."""
        return self._mtreg

    @property
    def counts(self) -> int:
        """Get the data register as the next read would return it."""
        self._update(self.clock.monotonic())
        return self._data

    def measurement_time_s(self, mode: int) -> float:
        """Return the typical measurement time in seconds of ``mode`` at the present MTreg."""
        base = TYPICAL_TIME_LOW_RES_S if mode & 0x0F == 0x03 else TYPICAL_TIME_HIGH_RES_S
        return base * max(self._mtreg, 1) / MTREG_DEFAULT

    # -- wire ------------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        now = self.clock.monotonic()
        self._update(now)
        for opcode in data:
            self._opcode(opcode, now)

    def on_read(self, length: int) -> bytes:
        self._update(self.clock.monotonic())
        word = bytes((self._data >> 8, self._data & 0xFF))
        return (word * (length // 2 + 1))[:length]

    # -- internals -------------------------------------------------------------------------
    def _opcode(self, opcode: int, now: float) -> None:
        if opcode == POWER_DOWN:
            self._powered, self._mode, self._due = False, None, None
        elif opcode == POWER_ON:
            self._powered = True
        elif opcode == RESET:
            if self._powered:
                self._data = 0
        elif opcode in CONTINUOUS_MODES or opcode in ONE_TIME_MODES:
            self._powered, self._mode = True, opcode
            self._due = now + self.measurement_time_s(opcode)
        elif opcode & 0b1111_1000 == 0b0100_0000:
            self._mtreg = (self._mtreg & 0x1F) | ((opcode & 0b111) << 5)
        elif opcode & 0b1110_0000 == 0b0110_0000:
            self._mtreg = (self._mtreg & 0xE0) | (opcode & 0x1F)
        # anything else: ignored, as the chip does

    def _update(self, now: float) -> None:
        due, mode = self._due, self._mode
        if due is None or mode is None or now < due:
            return
        self._data = self._measure(mode)
        self.measurements += 1
        if mode in ONE_TIME_MODES:
            self._powered, self._mode, self._due = False, None, None
        else:
            period = self.measurement_time_s(mode)
            self._due = due + (math.floor((now - due) / period) + 1) * period

    def _measure(self, mode: int) -> int:
        lux = self.source()
        if self.noise_lx:
            lux += self._rng.gauss(0.0, self.noise_lx)
        gain = 2 if mode & 0x0F == 0x01 else 1
        counts = round(max(lux, 0.0) * 1.2 * self._mtreg / MTREG_DEFAULT * gain)
        return min(counts, MAX_COUNTS)
