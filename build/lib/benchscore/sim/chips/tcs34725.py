"""Simulated ams TCS34725 at wire level.

What it models:

* the command byte: CMD (b7) must be set or the byte is ignored; TYPE (b6:5) 00 = repeated
  byte (the pointer stays on one register for every data byte), 01 = auto-increment, 11 =
  special function (0x06 clears AINT); ADDR b4:0 sets the pointer;
* ENABLE: PON starts a 2.4 ms warm-up; with AEN the RGBC engine runs free, each cycle lasting
  2.4 ms × (256 − ATIME) (plus the WTIME wait when WEN is set, ×12 with CONFIG.WLONG); each
  completed cycle latches C, R, G, B and sets STATUS.AVALID; clearing PON or AEN stops it and
  clears AVALID;
* reading a channel's low byte latches its high byte (a block read is one consistent cycle);
* counts: a linear three-colour sensor. In lux-equivalent units R' = X − 0.24·Z,
  B' = 0.7365·(Z + 0.15·X) and G' = Y − 0.136·R' + 0.444·B', so DN40's G1 is exactly Y; the
  R and B mix is fitted so DN40's ``3810·B'/R' + 1391`` tracks the CCT within about 2 % over
  2500-7000 K for both LED and blackbody light. IR leaking past the IR-cut filter adds the
  same count to R, G and B and once to C (what DN40's IR estimate assumes). Counts are these
  times ``CPL = ATIME_ms · AGAIN / 310``, quantised, with optional seeded noise, and clipped at
  the DN40 saturation: 1024 counts per cycle, at most 65535.

Not modelled: clear-channel thresholds and persistence (AINT stays 0).
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.light_sensor import SimLightSensor
from benchscore.sim.light import (
    KM_LM_PER_W,
    LightSource,
    LightSpec,
    as_light,
    logistic_edge,
    quantise,
    silicon_response,
)

CHIP_ID: Final = 0x44
GAINS: Final = (1.0, 4.0, 16.0, 60.0)
CYCLE_S: Final = 0.0024
DF: Final = 310.0

R_MINUS_Z: Final = 0.24
B_SCALE: Final = 0.7365
B_PLUS_X: Final = 0.15
IR_RESPONSE: Final = 0.03 * silicon_response() * logistic_edge(700.0, 15.0)
"""Near infrared that leaks past the package's IR-cut filter (lux-equivalent per W)."""

_ENABLE, _ATIME, _WTIME, _CONFIG, _CONTROL, _ID, _STATUS, _CDATAL = (
    0x00,
    0x01,
    0x03,
    0x0D,
    0x0F,
    0x12,
    0x13,
    0x14,
)
_READ_ONLY: Final = frozenset({0x12, 0x13, *range(0x14, 0x1C)})


def channel_model(light: LightSpec) -> tuple[float, float, float, float]:
    """Return R', G', B' and IR of ``light`` in lux-equivalent units (G1 = illuminance)."""
    x, y, z = light.xyz
    r = x - R_MINUS_Z * z
    b = B_SCALE * (z + B_PLUS_X * x)
    g = y - 0.136 * r + 0.444 * b
    ir = KM_LM_PER_W * light.response(IR_RESPONSE)
    return r, g, b, ir


class SimTCS34725(SimLightSensor):
    """A TCS34725 lit by ``source`` (a LightSpec, or lux of 4000 K LED light).

    ``noise_fraction`` is the relative RMS noise on each count (``seed`` makes it
    reproducible); ``oscillator_error`` stretches every integration (0.1 = 10 % slow).

    ``forced_counts`` (C, R, G, B), when set, is latched by every completed cycle instead of
    the physics: a golden-value fixture for worked examples.
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
        self.regs = bytearray(0x20)
        self.regs[_ATIME] = 0xFF
        self.regs[_WTIME] = 0xFF
        self.regs[_ID] = chip_id
        self.forced_counts: tuple[int, int, int, int] | None = None
        self._pointer = 0
        self._type = 0
        self._data = bytes(8)
        self._shadow = bytearray(4)
        self._pon_at = 0.0

    # -- state -------------------------------------------------------------------------
    @property
    def cycles(self) -> int:
        return 256 - self.regs[_ATIME]

    @property
    def integration_time_s(self) -> float:
        return CYCLE_S * self.cycles

    @property
    def gain(self) -> float:
        return GAINS[self.regs[_CONTROL] & 0x03]

    @property
    def saturation(self) -> int:
        return min(65535, 1024 * self.cycles)

    @property
    def period_s(self) -> float:
        wait = 0.0
        if self.regs[_ENABLE] & 0x08:  # WEN
            wait = CYCLE_S * (256 - self.regs[_WTIME]) * (12 if self.regs[_CONFIG] & 0x02 else 1)
        return self.integration_time_s + wait

    @property
    def counts(self) -> tuple[int, int, int, int]:
        """The latched C, R, G, B counts (as of the clock now)."""
        self._update()
        c, r, g, b = (int.from_bytes(self._data[i : i + 2], "little") for i in range(0, 8, 2))
        return c, r, g, b

    def _measure(self) -> tuple[int, int, int, int]:
        if self.forced_counts is not None:
            return self.forced_counts
        light = as_light(self.source())
        if light.illuminance_lx == 0:
            return 0, 0, 0, 0
        r, g, b, ir = channel_model(light)
        cpl = self.integration_time_s * 1000.0 * self.gain / DF
        rr, gg, bb, ii = (self.noise(v * cpl) for v in (r, g, b, ir))
        sat = self.saturation
        clear = quantise(rr + gg + bb + ii, sat)
        return clear, quantise(rr + ii, sat), quantise(gg + ii, sat), quantise(bb + ii, sat)

    def _update(self) -> None:
        if self._cycle.poll():
            self._data = b"".join(v.to_bytes(2, "little") for v in self._measure())
            self.regs[_STATUS] |= 0x01  # AVALID

    def _running(self, enable: int) -> bool:
        return bool(enable & 0x01) and bool(enable & 0x02)

    def _write_register(self, reg: int, value: int) -> None:
        if reg == _ENABLE:
            old = self.regs[_ENABLE]
            value &= 0x1B
            self.regs[_ENABLE] = value
            now = self.clock.monotonic()
            if value & 0x01 and not old & 0x01:
                self._pon_at = now
            if self._running(value) and not self._running(old):
                warm_up = max(0.0, self._pon_at + CYCLE_S - now)
                self._cycle.start(self.period_s, delay_s=warm_up)
                self.regs[_STATUS] &= ~0x01 & 0xFF
            elif not self._running(value) and self._running(old):
                self._cycle.stop()
                self.regs[_STATUS] &= ~0x01 & 0xFF
            elif self._running(value):
                self._cycle.set_period(self.period_s)
        elif reg in _READ_ONLY:
            pass
        else:
            self.regs[reg] = value
            if reg in (_ATIME, _WTIME, _CONFIG) and self._cycle.running:
                self._cycle.set_period(self.period_s)

    def _read_register(self, reg: int) -> int:
        if _CDATAL <= reg < _CDATAL + 8:
            channel, high = divmod(reg - _CDATAL, 2)
            if not high:
                self._shadow[channel] = self._data[2 * channel + 1]
                return self._data[2 * channel]
            return self._shadow[channel]
        return self.regs[reg] if reg < len(self.regs) else 0

    def _advance(self) -> None:
        if self._type == 0b01:
            self._pointer = (self._pointer + 1) & 0x1F

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        self._update()
        if not data:
            return
        command = data[0]
        if not command & 0x80:
            return  # not a command byte: ignored
        kind = (command >> 5) & 0x03
        if kind == 0b11:
            if command & 0x1F == 0x06:
                self.regs[_STATUS] &= ~0x10 & 0xFF  # clear AINT
            return
        if kind == 0b10:
            return  # reserved
        self._type = kind
        self._pointer = command & 0x1F
        for value in data[1:]:
            self._write_register(self._pointer, value)
            self._advance()

    def on_read(self, length: int) -> bytes:
        self._update()
        out = bytearray()
        for _ in range(length):
            out.append(self._read_register(self._pointer))
            self._advance()
        return bytes(out)
