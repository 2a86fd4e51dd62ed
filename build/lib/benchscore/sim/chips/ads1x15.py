"""Wire-level ADS1115 / ADS1015: pointer register, big-endian words, timed conversions.

The analog inputs come from ``source(channel, t) -> volts`` (AIN0..AIN3 against GND at
simulated time ``t``), so a ripple or a photodiode flicker waveform is sampled when each
conversion completes. Differential MUX settings subtract the two inputs.

Timing runs on the injected clock. A single-shot conversion (OS=1 written with MODE=1) takes
one period ``1 / (data_rate x rate_factor)`` (``rate_factor`` < 1 models a slow internal
oscillator; the datasheet allows +-10 %); OS reads 0 until it completes. Continuous mode
(MODE=0) completes a conversion every period from the config write; the conversion register
holds the latest result. Results are quantised to ``full_scale / 2**(bits-1)`` (round half
up) and saturate at the codes 0x7FFF / 0x8000 (0x7FF0 / 0x8000 on the ADS1015, left-aligned).

Simplifications: the sample is instantaneous at the end of the conversion (the real
delta-sigma filter averages over it); ALERT/RDY is not driven; a read longer than two bytes
repeats the register's two bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar, Final

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CDevice

__all__ = ["SimADS1015", "SimADS1115", "SimADS1x15"]

CONFIG_RESET: Final = 0x8583
_FULL_SCALE_V: Final = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256)
_MUX: Final[tuple[tuple[int, int | None], ...]] = (
    (0, 1),
    (0, 3),
    (1, 3),
    (2, 3),
    (0, None),
    (1, None),
    (2, None),
    (3, None),
)
_EPS: Final = 1e-9

Source = Callable[[int, float], float]


class SimADS1x15(SimI2CDevice):
    """Common simulated ADS1x15; use :class:`SimADS1115` or :class:`SimADS1015`."""

    bits: ClassVar[int] = 16
    data_rates_sps: ClassVar[tuple[int, ...]] = ()

    def __init__(self, clock: Clock, source: Source, *, rate_factor: float = 1.0) -> None:
        if rate_factor <= 0:
            raise ValueError("rate_factor must be positive")
        self.clock = clock
        self.source = source
        self.rate_factor = rate_factor
        self.pointer = 0
        self.config = CONFIG_RESET & 0x7FFF  # OS is status, kept apart
        self.lo_thresh = 0x8000
        self.hi_thresh = 0x7FFF
        self.conversion = 0
        self.conversions = 0
        self._continuous = False
        self._busy_until: float | None = None
        self._start = 0.0
        self._done = 0

    # -- helpers -----------------------------------------------------------------------
    def period_s(self) -> float:
        """Return the conversion period in seconds for the configured data rate."""
        rate = self.data_rates_sps[(self.config >> 5) & 0x7]
        return 1.0 / (rate * self.rate_factor)

    def code_for(self, volts: float) -> int:
        """Return the conversion register value for an input of ``volts``."""
        full_scale = _FULL_SCALE_V[(self.config >> 9) & 0x7]
        half = 1 << (self.bits - 1)
        counts = math.floor(volts / (full_scale / half) + 0.5)
        counts = max(-half, min(half - 1, counts))
        return (counts << (16 - self.bits)) & 0xFFFF

    def _sample(self, t: float) -> None:
        positive, negative = _MUX[(self.config >> 12) & 0x7]
        volts = self.source(positive, t)
        if negative is not None:
            volts -= self.source(negative, t)
        self.conversion = self.code_for(volts)
        self.conversions += 1

    def _update(self) -> None:
        now = self.clock.monotonic()
        if self._continuous:
            period = self.period_s()
            due = math.floor((now - self._start) / period + _EPS)
            if due > self._done:
                self._done = due
                self._sample(self._start + due * period)
        elif self._busy_until is not None and now >= self._busy_until - _EPS * self.period_s():
            self._sample(self._busy_until)
            self._busy_until = None

    @property
    def busy(self) -> bool:
        """Whether a conversion is running (what OS reads as 0)."""
        self._update()
        return self._continuous or self._busy_until is not None

    def register(self, reg: int) -> int:
        """Return the 16-bit value register ``reg`` reads now."""
        self._update()
        if reg == 0:
            return self.conversion
        if reg == 1:
            return self.config | (0 if self.busy else 0x8000)
        if reg == 2:
            return self.lo_thresh
        return self.hi_thresh

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        if not data:
            return
        self._update()
        self.pointer = data[0] & 0x03
        if len(data) < 3:
            return
        value = (data[1] << 8) | data[2]
        if self.pointer == 1:
            self._write_config(value)
        elif self.pointer == 2:
            self.lo_thresh = value
        elif self.pointer == 3:
            self.hi_thresh = value

    def _write_config(self, value: int) -> None:
        now = self.clock.monotonic()
        self.config = value & 0x7FFF
        if not value & 0x0100:  # MODE=0: continuous conversions from now on
            self._continuous = True
            self._busy_until = None
            self._start = now
            self._done = 0
            return
        self._continuous = False
        if value & 0x8000 and self._busy_until is None:
            self._busy_until = now + self.period_s()

    def on_read(self, length: int) -> bytes:
        value = self.register(self.pointer)
        pair = bytes([value >> 8, value & 0xFF])
        return (pair * (length // 2 + 1))[:length]


class SimADS1115(SimADS1x15):
    """Simulated ADS1115: 16-bit, 8..860 SPS."""

    bits = 16
    data_rates_sps = (8, 16, 32, 64, 128, 250, 475, 860)


class SimADS1015(SimADS1x15):
    """Simulated ADS1015: 12-bit left-aligned, 128..3300 SPS."""

    bits = 12
    data_rates_sps = (128, 250, 490, 920, 1600, 2400, 3300, 3300)
