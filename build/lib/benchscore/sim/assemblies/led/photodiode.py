"""The photodiode front end a fast ADC (ADS1115) reads: light to volts and back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.sim.light import FloatArray


@dataclass(frozen=True)
class Photodiode:
    """A photodiode behind a transimpedance amplifier, as an ADS1115 input sees it.

    ``V = offset_v + feedback_ohm · responsivity_a_per_lx · E`` (E in lx), clipped to the
    amplifier's output swing 0..``rail_v`` (V). The default (50 nA/lx, a BPW34-class diode,
    4.7 kΩ) gives about 0.67 V for the good assembly, so a deep flicker peak stays inside the
    ADS1115's default ±2.048 V range. The amplifier is taken as fast (no bandwidth limit).
    """

    responsivity_a_per_lx: float = 50e-9
    feedback_ohm: float = 4_700.0
    offset_v: float = 0.0
    rail_v: float = 3.3

    def volts(self, illuminance_lx: npt.ArrayLike) -> FloatArray:
        """Amplifier output (V) for illuminance ``illuminance_lx`` (lx) on the diode."""
        e = np.asarray(illuminance_lx, dtype=np.float64)
        v = self.offset_v + self.feedback_ohm * self.responsivity_a_per_lx * e
        clipped: FloatArray = np.clip(v, 0.0, self.rail_v)
        return clipped

    def lux(self, volts: npt.ArrayLike) -> FloatArray:
        """Illuminance (lx) that gives amplifier output ``volts`` (inverse of :meth:`volts`)."""
        v = np.asarray(volts, dtype=np.float64)
        e: FloatArray = (v - self.offset_v) / (self.feedback_ohm * self.responsivity_a_per_lx)
        return e
