"""An LED assembly's electrical and optical model: strings on channels, with their faults.

Each string is ``leds_per_string`` LEDs in series with a current-limiting resistor. An LED is
modelled piecewise-linearly: no current below its knee voltage ``vf_knee_v``, then a dynamic
resistance ``r_dynamic_ohm`` (a good fit to a datasheet I-V curve over the working range).
Light output is proportional to LED current (``flux_lm_per_a``); the sensor in the jig sees
a Lambertian source on axis at ``sensor_distance_m``: E = (flux / pi) / d^2 lx. A disabled
channel carries no current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.sim.assemblies.led.bins import LEDBin
from benchscore.sim.assemblies.led.spec import ALL_CHANNELS, LEDAssemblySpec, LEDFault
from benchscore.sim.light import FloatArray


@dataclass(frozen=True)
class _String:
    """One string as built: its channel, LED count and knee after faults, and orientation."""

    channel: int
    leds: int
    vf_knee_v: float
    series_resistor_ohm: float
    orientation: int  # +1 forward, -1 soldered in backwards
    open: bool


class LEDAssembly:
    """Current drawn and light produced by an LED assembly at a given terminal voltage.

    ``enable`` (keyword of the methods below) is the bit mask of enable lines that are on;
    the default :data:`ALL_CHANNELS` switches every channel on. ``fault_string`` is the global
    index of the string a string fault hits (channel 0's strings come first).
    """

    def __init__(
        self,
        spec: LEDAssemblySpec | None = None,
        fault: LEDFault = LEDFault.NONE,
        *,
        fault_string: int = 0,
    ):
        self.spec = spec or LEDAssemblySpec()
        self.fault = LEDFault(fault)
        if not 0 <= fault_string < self.spec.strings:
            raise ValueError(f"fault_string {fault_string} outside 0..{self.spec.strings - 1}")
        self.fault_string = fault_string

    # -- layout ------------------------------------------------------------------------
    @property
    def channel_count(self) -> int:
        """Number of independently switched channels."""
        return len(self.spec.channel_specs)

    def channel_lines(self) -> list[int]:
        """Enable line that switches each channel (channels 0 and 1 swap under SWAPPED_CHANNELS)."""
        lines = list(range(self.channel_count))
        if self.fault is LEDFault.SWAPPED_CHANNELS:
            lines = [{0: 1, 1: 0}.get(c, c) for c in lines]
        return lines

    def channel_enabled(self, enable: int = ALL_CHANNELS) -> list[bool]:
        """Whether each channel conducts for the enable-line mask ``enable``."""
        return [bool((enable >> line) & 1) for line in self.channel_lines()]

    def channel_bins(self) -> list[LEDBin]:
        """The bin each channel's LEDs actually come from (``spec.wrong_bin`` under WRONG_BIN)."""
        if self.fault is LEDFault.WRONG_BIN:
            return [self.spec.wrong_bin] * self.channel_count
        return [c.led_bin for c in self.spec.channel_specs]

    def _strings(self) -> list[_String]:
        s, fault, target = self.spec, self.fault, self.fault_string
        out: list[_String] = []
        for c, ch in enumerate(s.channel_specs):
            for _ in range(ch.strings):
                k = len(out)
                leds = ch.leds_per_string or s.leds_per_string
                if fault is LEDFault.SHORTED_LED and k == target:
                    leds -= 1
                reversed_ = fault is LEDFault.REVERSED or (
                    fault is LEDFault.REVERSED_STRING and k == target
                )
                out.append(
                    _String(
                        channel=c,
                        leds=leds,
                        vf_knee_v=s.vf_knee_v if ch.vf_knee_v is None else ch.vf_knee_v,
                        series_resistor_ohm=(
                            s.series_resistor_ohm
                            if ch.series_resistor_ohm is None
                            else ch.series_resistor_ohm
                        ),
                        orientation=-1 if reversed_ else 1,
                        open=fault in (LEDFault.OPEN_STRING, LEDFault.OPEN_LED) and k == target,
                    )
                )
        return out

    # -- electrical --------------------------------------------------------------------
    def led_currents_a(self, voltage_v: float, *, enable: int = ALL_CHANNELS) -> list[float]:
        """Current through each string at terminal voltage ``voltage_v`` (A).

        Positive into the assembly's + terminal; a string conducts only when it is forward
        biased above its knee (a string in backwards conducts at negative ``voltage_v``).
        """
        on = self.channel_enabled(enable)
        r_dyn = self.spec.r_dynamic_ohm
        out: list[float] = []
        for st in self._strings():
            forward_v = st.orientation * voltage_v
            if st.open or not on[st.channel] or forward_v <= 0:
                out.append(0.0)
                continue
            n = st.leds
            i = max(0.0, (forward_v - n * st.vf_knee_v) / (st.series_resistor_ohm + n * r_dyn))
            out.append(st.orientation * i)
        return out

    def current_a(self, voltage_v: float, *, enable: int = ALL_CHANNELS) -> float:
        """Total current drawn at terminal voltage ``voltage_v`` (A)."""
        total = sum(self.led_currents_a(voltage_v, enable=enable))
        if self.fault is LEDFault.SHORT_CIRCUIT and voltage_v != 0:
            total += voltage_v / self.spec.short_resistance_ohm
        return total

    # -- light -------------------------------------------------------------------------
    def channel_flux_lm(self, voltage_v: float, *, enable: int = ALL_CHANNELS) -> list[float]:
        """Luminous flux of each channel at terminal voltage ``voltage_v`` (lm)."""
        bins = self.channel_bins()
        flux = [0.0] * self.channel_count
        strings = self._strings()
        for st, i in zip(strings, self.led_currents_a(voltage_v, enable=enable), strict=True):
            per_a = self.spec.flux_lm_per_a * bins[st.channel].flux_scale
            flux[st.channel] += per_a * abs(i) * st.leds
        return flux

    def flux_lm(self, voltage_v: float, *, enable: int = ALL_CHANNELS) -> float:
        """Luminous flux emitted at terminal voltage ``voltage_v`` (lm)."""
        return sum(self.channel_flux_lm(voltage_v, enable=enable))

    def _lux_per_lm(self) -> float:
        return 1.0 / math.pi / self.spec.sensor_distance_m**2

    def illuminance_lx(self, voltage_v: float, *, enable: int = ALL_CHANNELS) -> float:
        """Illuminance on the jig's sensor, on axis, Lambertian emitter (lx)."""
        return self.flux_lm(voltage_v, enable=enable) / math.pi / self.spec.sensor_distance_m**2

    def channel_illuminance_lx(
        self, voltage_v: float, *, enable: int = ALL_CHANNELS
    ) -> list[float]:
        """Illuminance on the sensor from each channel (lx)."""
        k = self._lux_per_lm()
        return [f * k for f in self.channel_flux_lm(voltage_v, enable=enable)]

    def ripple(self, t_s: npt.ArrayLike) -> FloatArray:
        """Instantaneous current (and light) factor at time ``t_s`` (s); mean 1 over a period.

        1 for a healthy driver. Under STRONG_FLICKER the current follows full-wave rectified
        mains, partly filtered: ``(1 − d) + d·(π/2)·|sin(π·f·t)|`` with d = ``ripple_depth`` and
        f = ``ripple_hz`` (modulation depth (max − min)/(max + min) = 76 % at d = 0.8).
        """
        t = np.asarray(t_s, dtype=np.float64)
        if self.fault is not LEDFault.STRONG_FLICKER:
            return np.ones_like(t)
        d = self.spec.ripple_depth
        factor: FloatArray = (1.0 - d) + d * (math.pi / 2.0) * np.abs(
            np.sin(math.pi * self.spec.ripple_hz * t)
        )
        return factor
