"""Simulated ams AS7341 11-channel spectral sensor at wire level.

What it models:

* 8-bit registers with auto-increment on reads and writes; 0x00-0x13 is the SMUX RAM (20
  bytes, two nibbles each: the ADC, 1-6, a photodiode connects to; 0 = off), 0x60-0xFF the
  configuration and data registers (REG_BANK is stored but not enforced);
* the SMUX: ENABLE.SMUXEN runs CFG6.SMUX_CMD (0 = ROM default, 1 = read the chain into RAM,
  2 = write RAM to the chain) and self-clears when done (:data:`SMUX_TIME_S`); the six ADCs
  then see the photodiodes the RAM names. Until a spectral cycle completes after the SMUX
  change, the data registers still hold the previous pass (stale data);
* ENABLE.SP_EN rising starts free-running cycles of ``(ATIME+1)(ASTEP+1)·2.78 µs`` (plus the
  WTIME wait with WEN) and clears STATUS2.AVALID; each completed cycle latches the six ADC
  counts, sets AVALID and the saturation flags; clearing SP_EN stops and clears AVALID;
* counts: each photodiode's basic count (counts per gain per ms) is its response integrated
  over the light's spectrum, ``raw = basic · gain · t_ms``; F1-F8 and Clear are split into
  left/right halves (half the signal each), NIR is one diode. Quantised, clipped at
  ``min((ATIME+1)(ASTEP+1), 65535)``, optional seeded noise.

Channel responses: Gaussian pass bands at the datasheet centre wavelengths and widths
(F1 415/26 … F8 680/52 nm) on a silicon photodiode; Clear broad; NIR 910 nm.
Not modelled: flicker detection, thresholds and interrupts, the LED driver, analog saturation.
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.chips.light_sensor import SimLightSensor
from benchscore.sim.light import (
    KM_LM_PER_W,
    FloatArray,
    LightSource,
    LightSpec,
    as_light,
    gaussian_band,
    logistic_edge,
    quantise,
    silicon_response,
)

ID_BYTE: Final = 0x24
"""Register 0x92: ID bits 7:2 = 0b001001."""
STEP_S: Final = 2.78e-6
SMUX_TIME_S: Final = 0.0002
"""How long an SMUX command runs before SMUXEN clears [verify: not in the datasheet tables]."""
SENSITIVITY: Final = 0.017
"""Basic counts per lux-weighted unit of response: sets the absolute count level."""

BANDS_NM: Final = {
    "f1": (415.0, 26.0),
    "f2": (445.0, 30.0),
    "f3": (480.0, 36.0),
    "f4": (515.0, 39.0),
    "f5": (555.0, 39.0),
    "f6": (590.0, 40.0),
    "f7": (630.0, 50.0),
    "f8": (680.0, 52.0),
}
_SI = silicon_response()
RESPONSES: Final[dict[str, FloatArray]] = {
    **{name: gaussian_band(c, w) * _SI for name, (c, w) in BANDS_NM.items()},
    "clear": 0.35 * _SI * logistic_edge(350.0, 10.0) * (1.0 - logistic_edge(1000.0, 20.0)),
    "nir": 0.25 * gaussian_band(910.0, 60.0) * _SI,
}

# SMUX RAM slot (byte address, nibble) -> photodiode; "nibble 0" is the low nibble.
SMUX_SLOTS: Final[dict[tuple[int, int], str]] = {
    (0x00, 1): "f3",
    (0x01, 0): "f1",
    (0x03, 1): "f8",
    (0x04, 0): "f6",
    (0x05, 0): "f2",
    (0x05, 1): "f4",
    (0x06, 1): "f5",
    (0x07, 0): "f7",
    (0x08, 1): "clear",
    (0x09, 1): "f5",
    (0x0A, 0): "f7",
    (0x0C, 1): "f2",
    (0x0D, 0): "f4",
    (0x0E, 0): "f8",
    (0x0E, 1): "f6",
    (0x0F, 1): "f3",
    (0x10, 0): "f1",
    (0x10, 1): "ext_gpio",
    (0x11, 0): "ext_int",
    (0x11, 1): "clear",
    (0x12, 1): "dark",
    (0x13, 0): "nir",
    (0x13, 1): "flicker",
}
"""After the SMUX_IN names in Adafruit_CircuitPython_AS7341 (e.g. 0x05 = F2L_F4L)."""
SINGLE_DIODES: Final = frozenset({"nir", "flicker", "ext_gpio", "ext_int", "dark"})

_ENABLE, _ATIME, _WTIME, _ID, _ASTATUS, _CH0 = 0x80, 0x81, 0x83, 0x92, 0x94, 0x95
_STATUS2, _CFG0, _CFG1, _CFG6, _ASTEP = 0xA3, 0xA9, 0xAA, 0xAF, 0xCA
_READ_ONLY: Final = frozenset({0x90, 0x91, _ID, *range(_ASTATUS, 0xA1), _STATUS2, 0xA4})
PON, SP_EN, WEN, SMUXEN = 0x01, 0x02, 0x08, 0x10
AVALID, ASAT_DIGITAL = 0x40, 0x10


def basic_counts(light: LightSpec) -> dict[str, float]:
    """Return each whole photodiode's basic count (counts per gain per ms) under ``light``."""
    return {
        name: SENSITIVITY * KM_LM_PER_W * light.response(resp) for name, resp in RESPONSES.items()
    }


class SimAS7341(SimLightSensor):
    """An AS7341 lit by ``source`` (a LightSpec, or lux of 4000 K LED light).

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
        id_byte: int = ID_BYTE,
    ) -> None:
        super().__init__(
            clock,
            source=source,
            noise_fraction=noise_fraction,
            seed=seed,
            oscillator_error=oscillator_error,
        )
        self.regs = bytearray(0x100)
        self.regs[_ID] = id_byte
        self.regs[_CFG1] = 0x09  # AGAIN 256x at reset
        self.regs[_ASTEP : _ASTEP + 2] = (999).to_bytes(2, "little")
        self.ram = bytearray(20)
        self.smux = bytearray(20)
        """The SMUX chain as last loaded (all photodiodes disconnected at power-up)."""
        self.smux_commands = 0
        self._smux_done_at: float | None = None
        self._pointer = 0

    # -- state -------------------------------------------------------------------------
    @property
    def astep(self) -> int:
        return int.from_bytes(self.regs[_ASTEP : _ASTEP + 2], "little")

    @property
    def integration_time_s(self) -> float:
        return (self.regs[_ATIME] + 1) * (self.astep + 1) * STEP_S

    @property
    def full_scale(self) -> int:
        return min((self.regs[_ATIME] + 1) * (self.astep + 1), 65535)

    @property
    def gain(self) -> float:
        return float(2.0 ** (min(self.regs[_CFG1] & 0x1F, 10) - 1))

    @property
    def period_s(self) -> float:
        wait = (self.regs[_WTIME] + 1) * 2.78e-3 if self.regs[_ENABLE] & WEN else 0.0
        return self.integration_time_s + wait

    @property
    def adc_counts(self) -> tuple[int, ...]:
        """The six latched ADC counts (as of the clock now)."""
        self._update()
        return tuple(
            int.from_bytes(self.regs[_CH0 + 2 * i : _CH0 + 2 * i + 2], "little") for i in range(6)
        )

    def adc_inputs(self) -> list[list[str]]:
        """Return, per ADC, the photodiodes the loaded SMUX chain connects to it."""
        self._update()
        return self._adc_inputs()

    def _adc_inputs(self) -> list[list[str]]:
        adcs: list[list[str]] = [[] for _ in range(6)]
        for (addr, nibble), diode in SMUX_SLOTS.items():
            adc = (self.smux[addr] >> (4 * nibble)) & 0x0F
            if 1 <= adc <= 6:
                adcs[adc - 1].append(diode)
        return adcs

    def _measure(self) -> list[int]:
        light = as_light(self.source())
        basic = basic_counts(light)
        scale = self.gain * self.integration_time_s * 1000.0
        out = []
        for diodes in self._adc_inputs():
            signal = sum(basic.get(d, 0.0) * (1.0 if d in SINGLE_DIODES else 0.5) for d in diodes)
            out.append(quantise(self.noise(signal * scale), self.full_scale))
        return out

    def _update(self) -> None:
        now = self.clock.monotonic()
        if self._smux_done_at is not None and now >= self._smux_done_at:
            self._smux_done_at = None
            command = (self.regs[_CFG6] >> 3) & 0x03
            if command == 2:
                self.smux[:] = self.ram
            elif command == 1:
                self.ram[:] = self.smux
            elif command == 0:
                self.smux[:] = bytes(20)
            self.smux_commands += 1
            self.regs[_ENABLE] &= ~SMUXEN & 0xFF
        if self._cycle.poll():
            counts = self._measure()
            for i, value in enumerate(counts):
                self.regs[_CH0 + 2 * i : _CH0 + 2 * i + 2] = value.to_bytes(2, "little")
            saturated = any(v >= self.full_scale for v in counts)
            self.regs[_STATUS2] = AVALID | (ASAT_DIGITAL if saturated else 0)
            self.regs[_ASTATUS] = (0x80 if saturated else 0) | (self.regs[_CFG1] & 0x0F)

    def _set_enable(self, value: int) -> None:
        old = self.regs[_ENABLE]
        value &= 0x5B
        if old & SMUXEN:
            value |= SMUXEN  # a running SMUX command cannot be cancelled
        self.regs[_ENABLE] = value
        powered = bool(value & PON)
        if powered and value & SMUXEN and not old & SMUXEN:
            self._smux_done_at = self.clock.monotonic() + SMUX_TIME_S
        running = powered and bool(value & SP_EN)
        was_running = bool(old & PON) and bool(old & SP_EN)
        if running and not was_running:
            self._cycle.start(self.period_s)
            self.regs[_STATUS2] &= ~AVALID & 0xFF
        elif was_running and not running:
            self._cycle.stop()
            self.regs[_STATUS2] &= ~AVALID & 0xFF
        elif running:
            self._cycle.set_period(self.period_s)

    def _write_register(self, reg: int, value: int) -> None:
        if reg < len(self.ram):
            self.ram[reg] = value
        elif reg < 0x60 or reg in _READ_ONLY:
            pass
        elif reg == _ENABLE:
            self._set_enable(value)
        else:
            self.regs[reg] = value
            if reg in (_ATIME, _WTIME, _ASTEP, _ASTEP + 1) and self._cycle.running:
                self._cycle.set_period(self.period_s)

    def _read_register(self, reg: int) -> int:
        if reg < len(self.ram):
            return self.ram[reg]
        return self.regs[reg]

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        self._update()
        if not data:
            return
        self._pointer = data[0]
        for value in data[1:]:
            self._write_register(self._pointer, value)
            self._pointer = (self._pointer + 1) & 0xFF

    def on_read(self, length: int) -> bytes:
        self._update()
        out = bytearray()
        for _ in range(length):
            out.append(self._read_register(self._pointer))
            self._pointer = (self._pointer + 1) & 0xFF
        return bytes(out)
