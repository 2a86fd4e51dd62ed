"""Wire-level INA219 (TI SBOS448): register pointer, big-endian registers, integer pipeline.

The physics is a ``source()`` returning ``(bus_voltage_v, current_a)`` through a shunt of
``shunt_ohm``. Each completed conversion latches the shunt and bus counts the way the chip
does (shunt clipped to the PGA range, 10 uV/count; bus 4 mV/count in bits 15:3). Current and
Power follow the chip's integer arithmetic from the latched counts and the calibration
register: ``Current = trunc(shunt * Cal / 4096)``, ``Power = trunc(|Current| * bus / 5000)``;
both read 0 while Cal is 0 (after power-up or RST). CNVR sets when a conversion completes on
the injected clock ((t_shunt + t_bus) for both-channel modes) and clears when Power is read
or Config is written. Writing RST (bit 15) restores every register to its power-on value.

Modelling choices not taken from the datasheet: Current/Power are computed when read (so a
calibration write takes effect at once, as Adafruit's rewrite-before-read assumes), the bus
count clips at the range's nominal full scale (16 V or 32 V), and a read longer than two bytes
repeats the register's two bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.ina2xx import SimINA2xx

__all__ = ["SimINA219"]

CONFIG_RESET: Final = 0x399F
_SHUNT_LIMIT: Final = (4000, 8000, 16000, 32000)  # counts of 10 uV for PG = 0..3
_BUS_LIMIT: Final = (4000, 8000)  # counts of 4 mV for BRNG = 0 (16 V), 1 (32 V)
_ADC_TIME_S: Final = (
    84e-6,
    148e-6,
    276e-6,
    532e-6,
    532e-6,
    532e-6,
    532e-6,
    532e-6,
    532e-6,
    1.06e-3,
    2.13e-3,
    4.26e-3,
    8.51e-3,
    17.02e-3,
    34.05e-3,
    68.10e-3,
)


class SimINA219(SimINA2xx):
    """A simulated INA219 whose inputs come from ``source() -> (bus_voltage_v, current_a)``."""

    def __init__(
        self,
        clock: Clock,
        source: Callable[[], tuple[float, float]],
        *,
        shunt_ohm: float = 0.1,
    ) -> None:
        super().__init__(clock, source)
        self.shunt_ohm = shunt_ohm
        self._power_on()

    def _power_on(self) -> None:
        self.config = CONFIG_RESET
        self.calibration = 0
        self.shunt_count = 0
        self.bus_count = 0
        self.cnvr = False
        self.conversions = 0
        self._restart()

    # -- timing ------------------------------------------------------------------------
    def conversion_period_s(self) -> float:
        """Return the time in seconds one conversion of the configured channels takes."""
        mode = self.config & 0x7
        t_bus = _ADC_TIME_S[(self.config >> 7) & 0xF]
        t_shunt = _ADC_TIME_S[(self.config >> 3) & 0xF]
        return (t_shunt if mode & 0x1 else 0.0) + (t_bus if mode & 0x2 else 0.0)

    def _convert(self, mode: int) -> None:
        bus_v, current_a = self.source()
        if mode & 0x1:
            limit = _SHUNT_LIMIT[(self.config >> 11) & 0x3]
            count = round(current_a * self.shunt_ohm / 10e-6)
            self.shunt_count = max(-limit, min(limit, count))
        if mode & 0x2:
            limit = _BUS_LIMIT[(self.config >> 13) & 0x1]
            self.bus_count = max(0, min(limit, round(bus_v / 4e-3)))
        self.cnvr = True
        self.conversions += 1

    # -- integer pipeline --------------------------------------------------------------
    def _math(self) -> tuple[int, int, bool]:
        """Return (current, power, overflow) as the chip computes them."""
        if self.calibration == 0:
            return 0, 0, False
        current = math.trunc(self.shunt_count * self.calibration / 4096)
        overflow = not -32768 <= current <= 32767
        current = max(-32768, min(32767, current))
        power = math.trunc(abs(current) * self.bus_count / 5000)
        if power > 0xFFFF:
            overflow, power = True, 0xFFFF
        return current, power, overflow

    def register(self, reg: int) -> int:
        """Return the 16-bit value register ``reg`` reads now (no side effects)."""
        current, power, overflow = self._math()
        if reg == 0x00:
            return self.config
        if reg == 0x01:
            return self.shunt_count & 0xFFFF
        if reg == 0x02:
            return (self.bus_count << 3) | (int(self.cnvr) << 1) | int(overflow)
        if reg == 0x03:
            return power
        if reg == 0x04:
            return current & 0xFFFF
        if reg == 0x05:
            return self.calibration
        return 0

    # -- wire --------------------------------------------------------------------------
    def _write_word(self, reg: int, value: int) -> None:
        if reg == 0x00:
            if value & 0x8000:
                self._power_on()
                return
            self.config = value & 0x3FFF  # bit 14 is unused
            self.cnvr = False
            self._restart()
        elif reg == 0x05:
            self.calibration = value & 0xFFFE  # bit 0 (FS0) is void and reads 0

    def _after_read(self, reg: int) -> None:
        if reg == 0x03:
            self.cnvr = False
