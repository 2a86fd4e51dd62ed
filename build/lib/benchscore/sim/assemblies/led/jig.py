"""The station's LED jig: a switched bench supply feeding the assembly, a light sensor above.

The jig PWM-dims each enable line (:meth:`LEDJig.set_pwm`). An integrating sensor (BH1750,
TCS34725, INA226 with averaging) sees the time average (:meth:`LEDJig.illuminance_lx`,
:meth:`LEDJig.electrical`, :meth:`LEDJig.light`); a photodiode behind a transimpedance
amplifier sees the instantaneous waveform (:meth:`LEDJig.illuminance_at`,
:meth:`LEDJig.photodiode_v`, :meth:`LEDJig.adc_source` for a simulated ADS1115).

Channels mix by luminance-weighted addition of their tristimulus values, ambient light
included; the mix is reported as a :class:`~benchscore.sim.light.LightSpec` so the simulated
colour sensors read the assembly's CCT.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.analysis.colour import cct_duv_from_xy
from benchscore.sim.assemblies.led.assembly import LEDAssembly
from benchscore.sim.assemblies.led.bins import white_bin
from benchscore.sim.assemblies.led.photodiode import Photodiode
from benchscore.sim.assemblies.led.pwm import PWM, STEADY_ON, masks_at, weighted_masks
from benchscore.sim.assemblies.led.spec import ALL_CHANNELS
from benchscore.sim.assemblies.led.supply import SupplySpec, operating_point
from benchscore.sim.light import FloatArray, LightSpec

LIGHTSPEC_CCT_RANGE_K: Final = (1000.0, 25000.0)
"""CCTs a :class:`LightSpec` accepts; a mix outside (a saturated colour) is clamped to it."""


@dataclass(frozen=True)
class _State:
    """The operating point and light for one enable mask (the jig caches these)."""

    voltage_v: float
    current_a: float
    lux: float
    channel_lux: tuple[float, ...]


class LEDJig:
    """The station's jig: a switched bench supply feeding the assembly, a light sensor above it.

    ``power_on`` is asked every time physics is evaluated (a callable, so a GPIO relay pin can
    drive it). ``ambient_lx`` is stray light reaching the sensor with the assembly dark, of
    colour temperature ``ambient_cct_k`` (K).

    ``channel_enable`` is the enable-line mask hook: bit k on switches line k on (for a
    simulated MCP23017 port A: ``lambda: mcp.output_pins() & 0xFF``). PWM per line is set with
    :meth:`set_pwm`; times are seconds on the station clock (what a simulated ADS1115 passes
    to its ``source``). ``photodiode`` converts light to volts for :meth:`photodiode_v`.

    Sensors that integrate get time averages (:meth:`electrical`, :meth:`illuminance_lx`,
    :meth:`light`); the average over PWM states treats the lines' PWM phases as independent.
    """

    def __init__(
        self,
        assembly: LEDAssembly,
        supply: SupplySpec | None = None,
        *,
        power_on: Callable[[], bool] = lambda: True,
        ambient_lx: float = 3.0,
        channel_enable: Callable[[], int] = lambda: ALL_CHANNELS,
        ambient_cct_k: float = 4000.0,
        photodiode: Photodiode | None = None,
    ) -> None:
        self.assembly = assembly
        self.supply = supply or SupplySpec()
        self.power_on = power_on
        self.ambient_lx = ambient_lx
        self.channel_enable = channel_enable
        self.ambient_cct_k = ambient_cct_k
        self.photodiode = photodiode or Photodiode()
        self._pwm: dict[int, PWM] = {}
        self._cache: dict[tuple[object, ...], _State] = {}

    # -- PWM ---------------------------------------------------------------------------
    def set_pwm(
        self, line: int, duty: float, frequency_hz: float = 1000.0, *, phase: float = 0.0
    ) -> None:
        """PWM enable line ``line`` at ``duty`` (0..1) and ``frequency_hz`` (Hz).

        The PWM gates the line's enable (AND with ``channel_enable``), so a channel wired to
        the wrong line (SWAPPED_CHANNELS) gets the other line's PWM, as on the bench.
        """
        if line < 0:
            raise ValueError(f"enable line {line} must be >= 0")
        self._pwm[line] = PWM(duty, frequency_hz, phase)

    def pwm(self, line: int) -> PWM:
        """The PWM on ``line`` (duty 1 when none was set); every average and waveform asks
        this, so a subclass can override it (the station's jig routes its dimmer here)."""
        return self._pwm.get(line, STEADY_ON)

    def clear_pwm(self) -> None:
        """Every line back to steady on (duty 1)."""
        self._pwm.clear()

    # -- states ------------------------------------------------------------------------
    def _lines(self) -> int:
        return max(self.assembly.channel_count, 2)

    def _state(self, mask: int) -> _State:
        a = self.assembly
        mask &= (1 << self._lines()) - 1
        key = (a.spec, a.fault, a.fault_string, self.supply, mask)
        state = self._cache.get(key)
        if state is None:
            v, i = operating_point(self.supply, lambda x: a.current_a(x, enable=mask))
            state = _State(
                v,
                i,
                a.illuminance_lx(v, enable=mask),
                tuple(a.channel_illuminance_lx(v, enable=mask)),
            )
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = state
        return state

    def _weighted_masks(self) -> list[tuple[float, int]]:
        """(probability, enable mask) of every PWM state; one state when nothing is dimmed."""
        return weighted_masks(self.pwm, self.channel_enable(), self._lines())

    def _masks_at(self, t: FloatArray) -> npt.NDArray[np.int64]:
        return masks_at(self.pwm, t, self.channel_enable(), self._lines())

    # -- averages (integrating sensors) ------------------------------------------------
    def electrical(self) -> tuple[float, float]:
        """(bus voltage V, current A) as a high-side power monitor sees them (PWM-averaged)."""
        if not self.power_on():
            return 0.0, 0.0
        states = self._weighted_masks()
        if len(states) == 1:
            s = self._state(states[0][1])
            return s.voltage_v, s.current_a
        v = i = 0.0
        for p, mask in states:
            s = self._state(mask)
            v += p * s.voltage_v
            i += p * s.current_a
        return v, i

    def channel_illuminance_lx(self) -> list[float]:
        """Average illuminance on the sensor from each channel (lx), ambient excluded."""
        out = [0.0] * self.assembly.channel_count
        if not self.power_on():
            return out
        for p, mask in self._weighted_masks():
            for c, lux in enumerate(self._state(mask).channel_lux):
                out[c] += p * lux
        return out

    def illuminance_lx(self) -> float:
        """Illuminance on the sensor (lx), including ambient light (PWM-averaged)."""
        if not self.power_on():
            return self.ambient_lx + 0.0
        return self.ambient_lx + sum(p * self._state(m).lux for p, m in self._weighted_masks())

    def xyz(self) -> tuple[float, float, float]:
        """Average tristimulus X, Y, Z on the sensor (Y in lx), ambient included."""
        bins = self.assembly.channel_bins()
        lux = self.channel_illuminance_lx()
        parts = [b.xyz(e) for b, e in zip(bins, lux, strict=True)]
        if self.ambient_lx > 0:
            parts.append(white_bin(self.ambient_cct_k).xyz(self.ambient_lx))
        x = sum(p[0] for p in parts)
        y = sum(p[1] for p in parts)
        z = sum(p[2] for p in parts)
        return x, y, z

    def chromaticity(self) -> tuple[float, float] | None:
        """CIE 1931 (x, y) of the average light on the sensor; None in the dark."""
        x, y, z = self.xyz()
        total = x + y + z
        if total <= 0:
            return None
        return x / total, y / total

    def cct_duv(self) -> tuple[float, float] | None:
        """(CCT in K, Duv) of the average light on the sensor (Ohno 2013); None in the dark."""
        xy = self.chromaticity()
        if xy is None:
            return None
        cct, duv = cct_duv_from_xy(xy)
        return float(cct), float(duv)

    def light(self) -> LightSpec:
        """The average light on the sensor as a LightSpec (lx, CCT in K, white-LED spectrum).

        A LightSpec carries no Duv: a mix off the Planckian locus is rendered as the white LED
        spectrum of the same CCT (clamped to 1000..25000 K), so colour sensors read the CCT.
        """
        lux = self.illuminance_lx()
        found = self.cct_duv()
        lo, hi = LIGHTSPEC_CCT_RANGE_K
        cct = self.ambient_cct_k if found is None or not math.isfinite(found[0]) else found[0]
        return LightSpec(max(lux, 0.0), min(max(cct, lo), hi), "led")

    # -- instantaneous (photodiode) ----------------------------------------------------
    def illuminance_waveform_lx(self, t_s: npt.ArrayLike) -> FloatArray:
        """Instantaneous illuminance on the sensor (lx) at each time ``t_s`` (s), ambient in."""
        t = np.asarray(t_s, dtype=np.float64)
        out = np.zeros(t.shape, dtype=np.float64)
        if self.power_on():
            masks = self._masks_at(t)
            for mask in np.unique(masks):
                out[masks == mask] = self._state(int(mask)).lux
            out *= self.assembly.ripple(t)
        result: FloatArray = out + self.ambient_lx
        return result

    def illuminance_at(self, t_s: float) -> float:
        """Instantaneous illuminance on the sensor (lx) at time ``t_s`` (s), ambient included."""
        return float(self.illuminance_waveform_lx(np.array([t_s]))[0])

    def electrical_at(self, t_s: float) -> tuple[float, float]:
        """Instantaneous (bus voltage V, current A) at time ``t_s`` (s)."""
        if not self.power_on():
            return 0.0, 0.0
        t = np.array([t_s])
        s = self._state(int(self._masks_at(t)[0]))
        return s.voltage_v, s.current_a * float(self.assembly.ripple(t)[0])

    def photodiode_waveform_v(self, t_s: npt.ArrayLike) -> FloatArray:
        """Transimpedance amplifier output (V) at each time ``t_s`` (s)."""
        return self.photodiode.volts(self.illuminance_waveform_lx(t_s))

    def photodiode_v(self, t_s: float) -> float:
        """Transimpedance amplifier output (V) at time ``t_s`` (s)."""
        return float(self.photodiode_waveform_v(np.array([t_s]))[0])

    def adc_source(self, ain: int = 0) -> Callable[[int, float], float]:
        """A ``source(channel, t) -> volts`` for a simulated ADS1x15: the photodiode amplifier
        on input ``ain``, 0 V on the other inputs."""

        def source(channel: int, t_s: float) -> float:
            return self.photodiode_v(t_s) if channel == ain else 0.0

        return source

    # -- variants ----------------------------------------------------------------------
    def with_supply_voltage(self, voltage_v: float) -> LEDJig:
        """A copy of this jig with another supply set-point (for dimming sweeps)."""
        jig = LEDJig(
            self.assembly,
            replace(self.supply, voltage_v=voltage_v),
            power_on=self.power_on,
            ambient_lx=self.ambient_lx,
            channel_enable=self.channel_enable,
            ambient_cct_k=self.ambient_cct_k,
            photodiode=self.photodiode,
        )
        jig._pwm = dict(self._pwm)
        return jig
