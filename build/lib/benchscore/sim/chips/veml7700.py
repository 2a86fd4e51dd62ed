"""Simulated Vishay VEML7700 at wire level (SMBus words, LSB first).

What it models:

* eight 16-bit registers addressed by a command code; a write is ``[code, lo, hi]``, a read
  is ``[code]`` then two bytes ``lo, hi`` (no auto-increment: extra bytes read 0xFF);
* ALS_CONF_0 resets to 0x0001 (shut down); clearing ALS_SD starts free-running cycles of
  ALS_IT (plus the PSM wait when PSM_EN is set); any ALS_CONF_0 write restarts the cycle, and
  ALS/WHITE keep their previous (stale) values until a cycle completes. There is no ready flag;
* counts: ALS = L / resolution, where L is the chip's linear lux, the inverse of Vishay's
  high-lux correction polynomial applied to the true illuminance (so the chip bends as the
  real one does and the corrected driver reads true); WHITE from a broad channel response.
  Quantised, clipped at 65535, optional seeded noise.

Not modelled: threshold interrupts (ALS_INT stays 0).
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.light_sensor import SimLightSensor
from benchscore.sim.light import (
    CMF_Y,
    LightSource,
    as_light,
    logistic_edge,
    quantise,
    silicon_response,
)

ID_WORD: Final = 0xC481
"""ID register: device ID 0x81, address-option code 0xC4 for address 0x10."""
RESET_CONF: Final = 0x0001

GAINS: Final = {0: 1.0, 1: 2.0, 2: 0.125, 3: 0.25}
IT_MS: Final = {0xC: 25.0, 0x8: 50.0, 0x0: 100.0, 0x1: 200.0, 0x2: 400.0, 0x3: 800.0}
PSM_WAIT_S: Final = {0: 0.5, 1: 1.0, 2: 2.0, 3: 4.0}

WHITE_RESPONSE: Final = (
    silicon_response() * logistic_edge(400.0, 10.0) * (1.0 - logistic_edge(820.0, 20.0))
)
"""WHITE channel: broad, visible to near infrared."""


def linear_lux(true_lux: float) -> float:
    """Return the chip's linear lux whose Vishay-corrected value is ``true_lux``."""

    def corrected(lux: float) -> float:
        return ((6.0135e-13 * lux - 9.3924e-9) * lux + 8.1488e-5) * lux * lux + 1.0023 * lux

    guess = true_lux / 1.0023
    for _ in range(50):
        slope = ((4 * 6.0135e-13 * guess - 3 * 9.3924e-9) * guess + 2 * 8.1488e-5) * guess
        step = (corrected(guess) - true_lux) / (slope + 1.0023)
        guess -= step
        if abs(step) < 1e-9 * max(1.0, true_lux):
            break
    return guess


class SimVEML7700(SimLightSensor):
    """A VEML7700 lit by ``source`` (lux or a LightSpec), timed by ``clock``.

    ``noise_fraction`` is the relative RMS noise on each count (``seed`` makes it
    reproducible); ``oscillator_error`` stretches every integration (0.1 = 10 % slow).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        source: LightSource,
        noise_fraction: float = 0.0,
        seed: int | None = 0,
        oscillator_error: float = 0.0,
        id_word: int = ID_WORD,
    ) -> None:
        super().__init__(
            clock,
            source=source,
            noise_fraction=noise_fraction,
            seed=seed,
            oscillator_error=oscillator_error,
        )
        self.words = [0] * 8
        self.words[0] = RESET_CONF
        self.words[7] = id_word
        self._pointer = 0

    @property
    def gain(self) -> float:
        return GAINS[(self.words[0] >> 11) & 0x3]

    @property
    def integration_time_s(self) -> float:
        return IT_MS.get((self.words[0] >> 6) & 0xF, 100.0) / 1000.0

    @property
    def resolution_lx(self) -> float:
        return 0.0042 * (0.8 / self.integration_time_s) * (2.0 / self.gain)

    @property
    def period_s(self) -> float:
        psm = self.words[3]
        wait = PSM_WAIT_S[(psm >> 1) & 0x3] if psm & 0x1 else 0.0
        return self.integration_time_s + wait

    @property
    def counts(self) -> tuple[int, int]:
        """The ALS and WHITE counts (as of the clock now)."""
        self._update()
        return self.words[4], self.words[5]

    def _measure(self) -> tuple[int, int]:
        light = as_light(self.source())
        if light.illuminance_lx == 0:
            return 0, 0
        als = self.noise(linear_lux(light.illuminance_lx) / self.resolution_lx)
        white_ratio = light.response(WHITE_RESPONSE) / light.response(CMF_Y)
        return quantise(als, 0xFFFF), quantise(als * white_ratio, 0xFFFF)

    def _update(self) -> None:
        if self._cycle.poll():
            self.words[4], self.words[5] = self._measure()

    def _write_word(self, code: int, value: int) -> None:
        if code == 0x00:
            self.words[0] = value & 0x1BF3
            if value & 0x0001:
                self._cycle.stop()
            else:
                self._cycle.start(self.period_s)
        elif code in (0x01, 0x02, 0x03):
            self.words[code] = value & (0x0007 if code == 0x03 else 0xFFFF)
            if code == 0x03 and self._cycle.running:
                self._cycle.set_period(self.period_s)
        # 0x04-0x07 are read-only; other codes are not acknowledged as data (ignored)

    def on_write(self, data: bytes) -> None:
        self._update()
        if not data:
            return
        self._pointer = data[0]
        if len(data) >= 3:
            self._write_word(data[0], data[1] | (data[2] << 8))

    def on_read(self, length: int) -> bytes:
        self._update()
        word = self.words[self._pointer] if self._pointer < len(self.words) else 0
        out = bytes([word & 0xFF, word >> 8]) + b"\xff" * max(0, length - 2)
        return out[:length]
