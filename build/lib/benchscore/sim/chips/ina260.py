"""Wire-level INA260 (TI SBOS656): internal 2 mOhm shunt, fixed scales, big-endian registers.

``source() -> (bus_voltage_v, current_a)`` supplies the physics. Each completed conversion
latches the shunt count (2.5 uV/count across 2 mOhm, i.e. 1.25 mA/count, clipped to the
+-81.92 mV ADC range) and the bus count (1.25 mV/count, 15 bits). The chip's fixed internal
calibration makes Current equal the shunt count; Power is ``trunc(|Current| * bus / 6400)``
(1.25 mA x 1.25 mV = 1.5625 uW per product count, 6400 of them per 10 mW count).

Timing follows Config on the injected clock: one result every ``AVG x (t_current + t_bus)``
(only the converted channels count). CVRF (Mask/Enable bit 3) sets when a result completes
and clears when Mask/Enable is read or Config written. The alert limit compares the register
named by the highest enabled function bit (OCL/UCL vs Current, BOL/BUL vs Bus, POL vs Power)
and sets AFF. ID registers read 0x5449 and 0x2270. Writing RST restores power-on values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.ina2xx import SimINA2xx

__all__ = ["SimINA260"]

CONFIG_RESET: Final = 0x6127
MANUFACTURER_ID: Final = 0x5449
DIE_ID: Final = 0x2270
_AVG: Final = (1, 4, 16, 64, 128, 256, 512, 1024)
_CT_S: Final = (140e-6, 204e-6, 332e-6, 588e-6, 1.1e-3, 2.116e-3, 4.156e-3, 8.244e-3)
_CVRF: Final = 1 << 3
_AFF: Final = 1 << 4
_OVF: Final = 1 << 2
_LEN: Final = 1 << 0


def _signed(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


class SimINA260(SimINA2xx):
    """A simulated INA260 whose inputs come from ``source() -> (bus_voltage_v, current_a)``."""

    def __init__(self, clock: Clock, source: Callable[[], tuple[float, float]]) -> None:
        super().__init__(clock, source)
        self._power_on()

    def _power_on(self) -> None:
        self.config = CONFIG_RESET
        self.mask_enable = 0
        self.alert_limit = 0
        self.current_count = 0
        self.bus_count = 0
        self.cvrf = False
        self.aff = False
        self.conversions = 0
        self._restart()

    def conversion_period_s(self) -> float:
        """Return the time in seconds one (averaged) result takes."""
        mode = self.config & 0x7
        t_bus = _CT_S[(self.config >> 6) & 0x7]
        t_cur = _CT_S[(self.config >> 3) & 0x7]
        avg = _AVG[(self.config >> 9) & 0x7]
        return avg * ((t_cur if mode & 0x1 else 0.0) + (t_bus if mode & 0x2 else 0.0))

    def _convert(self, mode: int) -> None:
        bus_v, current_a = self.source()
        if mode & 0x1:
            self.current_count = max(-32768, min(32767, round(current_a / 1.25e-3)))
        if mode & 0x2:
            self.bus_count = max(0, min(0x7FFF, round(bus_v / 1.25e-3)))
        self.cvrf = True
        self.conversions += 1
        if self._alert_condition():
            self.aff = True
        elif not self.mask_enable & _LEN:
            self.aff = False

    def _power(self) -> tuple[int, bool]:
        power = math.trunc(abs(self.current_count) * self.bus_count / 6400)
        return (0xFFFF, True) if power > 0xFFFF else (power, False)

    def _alert_condition(self) -> bool:
        function = self.mask_enable & 0xF800
        if not function:
            return False
        top = 1 << (function.bit_length() - 1)  # the highest enabled function wins
        limit = self.alert_limit
        if top == 1 << 15:
            return self.current_count > _signed(limit)
        if top == 1 << 14:
            return self.current_count < _signed(limit)
        if top == 1 << 13:
            return self.bus_count > limit
        if top == 1 << 12:
            return self.bus_count < limit
        return self._power()[0] > limit

    def register(self, reg: int) -> int:
        """Return the 16-bit value register ``reg`` reads now (no side effects)."""
        power, overflow = self._power()
        if reg == 0x00:
            return (self.config & 0x8FFF) | 0x6000
        if reg == 0x01:
            return self.current_count & 0xFFFF
        if reg == 0x02:
            return self.bus_count
        if reg == 0x03:
            return power
        if reg == 0x06:
            flags = (_CVRF if self.cvrf else 0) | (_AFF if self.aff else 0)
            return (self.mask_enable & 0xFC03) | flags | (_OVF if overflow else 0)
        if reg == 0x07:
            return self.alert_limit
        if reg == 0xFE:
            return MANUFACTURER_ID
        if reg == 0xFF:
            return DIE_ID
        return 0

    def _write_word(self, reg: int, value: int) -> None:
        if reg == 0x00:
            if value & 0x8000:
                self._power_on()
                return
            self.config = value & 0x0FFF
            self.cvrf = False
            self._restart()
        elif reg == 0x06:
            self.mask_enable = value & 0xFC03
        elif reg == 0x07:
            self.alert_limit = value

    def _after_read(self, reg: int) -> None:
        if reg == 0x06:
            self.cvrf = False
            if self.mask_enable & _LEN:
                self.aff = False
