"""Simulated ams TSL2591 at wire level.

What it models:

* the command byte: CMD (b7) must be set or the byte is ignored; TRANSACTION 01 (normal)
  sets the register pointer from b4:0 and auto-increments on every data byte read or written;
  11 (special function) runs 0x04/0x06/0x07/0x0A (interrupt set/clear) and touches nothing else;
* ENABLE.PON/AEN: a rising AEN starts free-running ALS cycles of ATIME; each completed cycle
  latches C0/C1 and sets STATUS.AVALID; clearing AEN stops the ALS and clears AVALID. A
  CONTROL write while running applies from the cycle in progress;
* reading C0DATAL latches C0DATAH, C1DATAL and C1DATAH, so CH1 read after CH0 is the same cycle;
* counts: C1/C0 = ρ comes from the light's spectrum against the two photodiode responses,
  and C0 is set so the ams/Adafruit lux formula returns the illuminance (an ideal part):
  ``C0 = lux · CPL / (1 − ρ)²``. Quantised, clipped at 36863 (100 ms) or 65535, optional noise.

Not modelled: thresholds and interrupts (AINT/NPINTR stay 0), SRESET beyond register reset.
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.light_sensor import SimLightSensor
from benchscore.sim.light import (
    LightSource,
    as_light,
    logistic_edge,
    quantise,
    silicon_response,
)

CHIP_ID: Final = 0x50
GAINS: Final = {0: 1.0, 1: 25.0, 2: 428.0, 3: 9876.0}
LUX_DF: Final = 408.0

CH0_RESPONSE: Final = silicon_response()
"""C0: full-spectrum photodiode (visible and infrared)."""
CH1_RESPONSE: Final = silicon_response() * (0.08 + 0.92 * logistic_edge(760.0, 25.0))
"""C1: infrared-responding photodiode, with a little visible response."""

_ENABLE, _CONTROL, _PID, _ID, _STATUS, _C0DATAL = 0x00, 0x01, 0x11, 0x12, 0x13, 0x14


class SimTSL2591(SimLightSensor):
    """A TSL2591 lit by ``source`` (lux or a LightSpec), timed by ``clock``.

    ``noise_fraction`` is the relative RMS noise on each count (``seed`` makes it
    reproducible); ``oscillator_error`` stretches every integration (0.1 = 10 % slow), so a
    driver that reads on the nominal time alone, without AVALID, gets stale data.

    ``forced_counts`` (C0, C1), when set, is latched by every completed cycle instead of the
    physics: a golden-value fixture for worked examples.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        source: LightSource,
        noise_fraction: float = 0.0,
        seed: int | None = 0,
        oscillator_error: float = 0.0,
        chip_id: int = CHIP_ID,
    ) -> None:
        super().__init__(
            clock,
            source=source,
            noise_fraction=noise_fraction,
            seed=seed,
            oscillator_error=oscillator_error,
        )
        self.chip_id = chip_id
        self.regs = bytearray(0x20)
        self.forced_counts: tuple[int, int] | None = None
        self._pointer = 0
        self._shadow = bytes(3)
        self._data = bytes(4)
        self._reset()

    def _reset(self) -> None:
        self.regs[:] = bytes(0x20)
        self.regs[_ID] = self.chip_id
        self._data = bytes(4)
        self._cycle.stop()

    # -- state -------------------------------------------------------------------------
    @property
    def gain(self) -> float:
        return GAINS[(self.regs[_CONTROL] >> 4) & 0x03]

    @property
    def integration_time_s(self) -> float:
        return 0.1 * (min(self.regs[_CONTROL] & 0x07, 5) + 1)

    @property
    def max_count(self) -> int:
        return 36863 if self.regs[_CONTROL] & 0x07 == 0 else 65535

    @property
    def counts(self) -> tuple[int, int]:
        """The latched C0 and C1 counts (as of the clock now)."""
        self._update()
        return (
            int.from_bytes(self._data[0:2], "little"),
            int.from_bytes(self._data[2:4], "little"),
        )

    def _measure(self) -> tuple[int, int]:
        if self.forced_counts is not None:
            return self.forced_counts
        light = as_light(self.source())
        if light.illuminance_lx == 0:
            return 0, 0
        rho = light.response(CH1_RESPONSE) / light.response(CH0_RESPONSE)
        cpl = self.integration_time_s * 1000.0 * self.gain / LUX_DF
        c0 = self.noise(light.illuminance_lx * cpl / (1.0 - rho) ** 2)
        c1 = self.noise(c0 * rho)
        return quantise(c0, self.max_count), quantise(c1, self.max_count)

    def _update(self) -> None:
        if self._cycle.poll():
            c0, c1 = self._measure()
            self._data = c0.to_bytes(2, "little") + c1.to_bytes(2, "little")
            self.regs[_STATUS] |= 0x01  # AVALID

    def _write_register(self, reg: int, value: int) -> None:
        if reg == _ENABLE:
            old = self.regs[_ENABLE]
            value &= 0xD3
            self.regs[_ENABLE] = value
            running = bool(value & 0x01) and bool(value & 0x02)
            was_running = bool(old & 0x01) and bool(old & 0x02)
            if running and not was_running:
                self._cycle.start(self.integration_time_s)
                self.regs[_STATUS] &= ~0x01 & 0xFF
            elif not running and was_running:
                self._cycle.stop()
                self.regs[_STATUS] &= ~0x01 & 0xFF
        elif reg == _CONTROL:
            if value & 0x80:  # SRESET
                self._reset()
                return
            self.regs[_CONTROL] = value & 0x37
            self._cycle.set_period(self.integration_time_s)
        elif reg in (_PID, _ID, _STATUS) or reg >= _C0DATAL:
            pass  # read-only
        else:
            self.regs[reg] = value

    def _read_register(self, reg: int) -> int:
        if reg == _C0DATAL:
            self._shadow = self._data[1:4]
            return self._data[0]
        if _C0DATAL < reg <= 0x17:
            return self._shadow[reg - _C0DATAL - 1]
        if reg < len(self.regs):
            return self.regs[reg]
        return 0

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        self._update()
        if not data:
            return
        command = data[0]
        if not command & 0x80:
            return  # not a command byte: ignored
        transaction = (command >> 5) & 0x03
        if transaction == 0b11:
            if (command & 0x1F) in (0x06, 0x07, 0x0A):
                self.regs[_STATUS] &= ~0x30 & 0xFF
            return
        if transaction != 0b01:
            return
        self._pointer = command & 0x1F
        for value in data[1:]:
            self._write_register(self._pointer, value)
            self._pointer = (self._pointer + 1) & 0x1F

    def on_read(self, length: int) -> bytes:
        self._update()
        out = bytearray()
        for _ in range(length):
            out.append(self._read_register(self._pointer))
            self._pointer = (self._pointer + 1) & 0x1F
        return bytes(out)
