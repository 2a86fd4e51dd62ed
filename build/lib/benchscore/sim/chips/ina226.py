"""Simulated TI INA226 at the wire level: register pointer, MSB-first words, integer pipeline.

The chip sees only wire bytes (see :mod:`benchscore.sim.i2c`), so a driver that skips the SMBus
word swap reads nonsense here, as on silicon. The physics is a callable returning
``(bus_voltage_v, current_a)``; it is sampled when a conversion completes on the clock.

Modelled (TI SBOS547): pointer set by the first written byte; a 3-byte write sets a register;
reads return the pointed register MSB first (repeated if more bytes are read; the pointer does
not advance); POR/RST values; read-only registers ignore writes; shunt and bus quantisation and
clipping; Current = trunc(Shunt x CAL / 2048), Power = trunc(|Current| x Bus / 20000), both 0
while CAL = 0; CVRF after (t_bus + t_shunt) x AVG, cleared by reading Mask/Enable or writing
Config; OVF when the current or power math overflows. Not modelled: the alert pin and limit
functions (AFF stays 0), and per-channel timing of single-channel modes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CDevice

CONFIG: Final = 0x00
SHUNT_VOLTAGE: Final = 0x01
BUS_VOLTAGE: Final = 0x02
POWER: Final = 0x03
CURRENT: Final = 0x04
CALIBRATION: Final = 0x05
MASK_ENABLE: Final = 0x06
ALERT_LIMIT: Final = 0x07
MANUFACTURER_ID: Final = 0xFE
DIE_ID: Final = 0xFF

MANUFACTURER_ID_VALUE: Final = 0x5449
DIE_ID_VALUE: Final = 0x2260
CONFIG_RESET: Final = 0x4127

SHUNT_LSB_V: Final = 2.5e-6
BUS_LSB_V: Final = 1.25e-3

_RST: Final = 0x8000
_MASK_WRITABLE: Final = 0xFC03  # limit function bits 15:10, APOL, LEN
_CVRF: Final = 1 << 3
_OVF: Final = 1 << 2
_AVG_SAMPLES: Final = (1, 4, 16, 64, 128, 256, 512, 1024)
_CONVERSION_S: Final = (140e-6, 204e-6, 332e-6, 588e-6, 1.1e-3, 2.116e-3, 4.156e-3, 8.244e-3)
_READ_ONLY: Final = frozenset({SHUNT_VOLTAGE, BUS_VOLTAGE, POWER, CURRENT, MANUFACTURER_ID, DIE_ID})


def _clip(value: int, low: int, high: int) -> int:
    return low if value < low else high if value > high else value


class SimINA226(SimI2CDevice):
    """An INA226 whose inputs come from ``source() -> (bus_voltage_v, current_a)``.

    ``noise_v`` is the RMS noise in volts of a single sample, added to both ADC inputs and
    reduced by sqrt(AVG); ``seed`` makes it reproducible.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        shunt_ohm: float,
        source: Callable[[], tuple[float, float]],
        noise_v: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not shunt_ohm > 0:
            raise ValueError(f"shunt_ohm must be positive, not {shunt_ohm}")
        if noise_v < 0:
            raise ValueError(f"noise_v must not be negative, not {noise_v}")
        self.clock = clock
        self.shunt_ohm = shunt_ohm
        self.source = source
        self.noise_v = noise_v
        self._rng = random.Random(seed)
        self._pointer = CONFIG
        self._regs: dict[int, int] = {}
        self._due: float | None = None
        self.conversions = 0
        """Number of conversions completed (results latched) since construction."""
        self._power_on_reset(clock.monotonic())

    # -- inspection (no side effects on the chip state besides elapsed time) -----------------
    @property
    def pointer(self) -> int:
        """Get the register pointer."""
        return self._pointer

    def register(self, pointer: int) -> int:
        """Return the 16-bit value the chip holds at ``pointer`` now, without clearing flags."""
        self._update(self.clock.monotonic())
        return self._value(pointer)

    def conversion_period_s(self) -> float:
        """Return the time for one full result from Config: (t_bus + t_shunt) x AVG."""
        config = self._regs[CONFIG]
        avg = _AVG_SAMPLES[(config >> 9) & 0b111]
        return (_CONVERSION_S[(config >> 6) & 0b111] + _CONVERSION_S[(config >> 3) & 0b111]) * avg

    # -- wire ------------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        now = self.clock.monotonic()
        self._update(now)
        if not data:
            return  # address-only write (a probe)
        self._pointer = data[0]
        if len(data) >= 3:  # a lone MSB without its LSB is not latched
            self._write_register(self._pointer, (data[1] << 8) | data[2], now)

    def on_read(self, length: int) -> bytes:
        self._update(self.clock.monotonic())
        value = self._value(self._pointer)
        if self._pointer == MASK_ENABLE:
            self._regs[MASK_ENABLE] &= ~_CVRF
        word = bytes((value >> 8, value & 0xFF))
        return (word * (length // 2 + 1))[:length]

    # -- internals -------------------------------------------------------------------------
    def _value(self, pointer: int) -> int:
        if pointer == MANUFACTURER_ID:
            return MANUFACTURER_ID_VALUE
        if pointer == DIE_ID:
            return DIE_ID_VALUE
        return self._regs.get(pointer, 0)

    def _power_on_reset(self, now: float) -> None:
        self._regs = {
            CONFIG: CONFIG_RESET,
            SHUNT_VOLTAGE: 0,
            BUS_VOLTAGE: 0,
            POWER: 0,
            CURRENT: 0,
            CALIBRATION: 0,
            MASK_ENABLE: 0,
            ALERT_LIMIT: 0,
        }
        self._due = now + self.conversion_period_s()  # POR default is continuous

    def _write_register(self, pointer: int, value: int, now: float) -> None:
        if pointer in _READ_ONLY or pointer not in self._regs:
            return
        if pointer == CONFIG:
            if value & _RST:
                self._power_on_reset(now)
                return
            self._regs[CONFIG] = (value & 0x0FFF) | 0x4000  # bits 14:12 read 100b
            self._regs[MASK_ENABLE] &= ~_CVRF
            mode = value & 0b111
            self._due = None if mode in (0, 4) else now + self.conversion_period_s()
        elif pointer == CALIBRATION:
            self._regs[CALIBRATION] = value & 0x7FFF  # bit 15 is reserved
        elif pointer == MASK_ENABLE:
            flags = self._regs[MASK_ENABLE] & ~_MASK_WRITABLE
            self._regs[MASK_ENABLE] = (value & _MASK_WRITABLE) | flags
        else:
            self._regs[pointer] = value

    def _update(self, now: float) -> None:
        """Complete the conversion due by ``now`` (one latch, sampled now)."""
        due = self._due
        if due is None or now < due:
            return
        mode = self._regs[CONFIG] & 0b111
        self._convert(mode)
        if mode <= 3:
            self._due = None  # triggered: one result per trigger
        else:
            period = self.conversion_period_s()
            self._due = due + (math.floor((now - due) / period) + 1) * period

    def _convert(self, mode: int) -> None:
        bus_v, current_a = self.source()
        sigma = self.noise_v / math.sqrt(_AVG_SAMPLES[(self._regs[CONFIG] >> 9) & 0b111])
        regs = self._regs
        if mode & 0b001:
            shunt_v = current_a * self.shunt_ohm
            if sigma:
                shunt_v += self._rng.gauss(0.0, sigma)
            shunt = _clip(round(shunt_v / SHUNT_LSB_V), -0x8000, 0x7FFF)
            regs[SHUNT_VOLTAGE] = shunt & 0xFFFF
        if mode & 0b010:
            if sigma:
                bus_v += self._rng.gauss(0.0, sigma)
            regs[BUS_VOLTAGE] = _clip(round(bus_v / BUS_LSB_V), 0, 0x7FFF)
        shunt = (
            regs[SHUNT_VOLTAGE] - 0x10000 if regs[SHUNT_VOLTAGE] & 0x8000 else regs[SHUNT_VOLTAGE]
        )
        product = shunt * regs[CALIBRATION]
        current = -((-product) // 2048) if product < 0 else product // 2048  # trunc toward 0
        power = abs(_clip(current, -0x8000, 0x7FFF)) * regs[BUS_VOLTAGE] // 20000
        overflow = not -0x8000 <= current <= 0x7FFF or power > 0xFFFF
        regs[CURRENT] = _clip(current, -0x8000, 0x7FFF) & 0xFFFF
        regs[POWER] = _clip(power, 0, 0xFFFF)
        flags = (regs[MASK_ENABLE] & ~_OVF) | _CVRF
        regs[MASK_ENABLE] = flags | (_OVF if overflow else 0)
        self.conversions += 1
