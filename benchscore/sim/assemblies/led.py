"""Physics of an LED assembly under test: strings of LEDs on a switched bench supply.

Each string is ``leds_per_string`` LEDs in series with a current-limiting resistor. An LED is
modelled piecewise-linearly: no current below its knee voltage ``vf_knee_v``, then a dynamic
resistance ``r_dynamic_ohm`` (a good fit to a datasheet I-V curve over the working range).
Light output is proportional to LED current (``flux_lm_per_a``); the sensor in the jig sees
a Lambertian source on axis at ``sensor_distance_m``: E = (flux / pi) / d^2 lx.

The supply is a voltage source with output resistance and a current limit (constant-current
fold-back), so a short pulls the rail down exactly as a bench supply does.

Channels, dimming and colour
----------------------------

The strings are grouped into *channels* (:class:`LEDChannelSpec`), each with its own enable
line: a low-side MOSFET per channel, driven for example by an MCP23017 port. Enable line ``k``
is bit ``k`` of the mask the jig's ``channel_enable()`` hook returns (``lambda: mcp.output_pins()``
wires a simulated MCP23017 straight in). A disabled channel carries no current. Without an
explicit channel list the assembly is one channel holding every string, so a plain
``LEDAssembly()`` behaves exactly as before channels existed.

The jig PWM-dims each enable line (:meth:`LEDJig.set_pwm`: duty 0..1, frequency in Hz). An
integrating sensor (BH1750, TCS34725, INA226 with averaging) sees the time average
(:meth:`LEDJig.illuminance_lx`, :meth:`LEDJig.electrical`, :meth:`LEDJig.light`); a photodiode
behind a transimpedance amplifier sees the instantaneous waveform
(:meth:`LEDJig.illuminance_at`, :meth:`LEDJig.photodiode_v`, :meth:`LEDJig.adc_source` for a
simulated ADS1115).

Each channel's LEDs come from an :class:`LEDBin`: a chromaticity (CIE 1931 2° x, y, or CCT in
kelvin with Duv) and a relative flux. Channels mix by luminance-weighted addition of their
tristimulus values (X = Y·x/y, Z = Y·(1 − x − y)/y), ambient light included; the mix is
reported as a :class:`~benchscore.sim.light.LightSpec` so the simulated colour sensors read
the assembly's CCT. Colour maths uses :mod:`benchscore.analysis.colour` (tabulated CIE 1931
observer, Ohno 2013 CCT).

Units: volts (V), amperes (A), ohms, lumens (lm), lux (lx), kelvin (K), hertz (Hz), seconds
(s); duty is a fraction 0..1.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.analysis.colour import cct_duv_from_xy, uv_from_cct_duv, uv_to_xy
from benchscore.sim.light import LightSpec

FloatArray = npt.NDArray[np.float64]

ALL_CHANNELS: Final = 0xFFFF_FFFF
"""An enable mask with every line on (the default: an assembly with no channel switching)."""

LIGHTSPEC_CCT_RANGE_K: Final = (1000.0, 25000.0)
"""CCTs a :class:`LightSpec` accepts; a mix outside (a saturated colour) is clamped to it."""


class LEDFault(StrEnum):
    """Faults a contestant's assembly may have.

    String faults act on string ``fault_string`` of :class:`LEDAssembly` (default 0, the first
    string of the first channel).
    """

    NONE = "none"
    OPEN_STRING = "open_string"
    """One string does not conduct (a cold joint, a missing LED)."""
    SHORTED_LED = "shorted_led"
    """One LED of the first string is bridged: that string draws too much current."""
    SHORT_CIRCUIT = "short_circuit"
    """A solder bridge across the supply: the supply goes into current limit, no light."""
    REVERSED = "reversed"
    """The assembly is connected with reversed polarity: no current, no light."""
    WRONG_BIN = "wrong_bin"
    """LEDs of the wrong bin (``spec.wrong_bin``, 6500 K at 0.6 x flux by default): right
    current, too little light, wrong colour."""
    OPEN_LED = "open_led"
    """One LED is open (cracked die, lifted bond wire): its string is dark, the others fine."""
    REVERSED_STRING = "reversed_string"
    """One string is soldered in backwards: dark at forward polarity, the others fine; it is
    the only string that conducts when the supply is reversed."""
    SWAPPED_CHANNELS = "swapped_channels"
    """Channels 0 and 1 are wired to each other's enable line."""
    STRONG_FLICKER = "strong_flicker"
    """A driver with poor filtering: LED current (and light) follows rectified mains, a deep
    ``ripple_hz`` modulation of depth ``ripple_depth`` even at full duty; mean unchanged."""


@dataclass(frozen=True)
class LEDBin:
    """An LED bin: chromaticity (CIE 1931 2° x, y) and flux relative to the assembly's
    ``flux_lm_per_a`` (``flux_scale``, dimensionless)."""

    x: float
    y: float
    flux_scale: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        if not (0.0 < self.x < 1.0 and 0.0 < self.y < 1.0 and self.x + self.y < 1.0):
            raise ValueError(f"chromaticity ({self.x}, {self.y}) is not a valid CIE 1931 x, y")
        if self.flux_scale < 0:
            raise ValueError(f"flux_scale {self.flux_scale} must be >= 0")

    @classmethod
    def from_cct(
        cls, cct_k: float, duv: float = 0.0, *, flux_scale: float = 1.0, name: str = ""
    ) -> LEDBin:
        """Return a white bin at ``cct_k`` kelvin, ``duv`` off the Planckian locus (Ohno)."""
        xy = uv_to_xy(uv_from_cct_duv(cct_k, duv))
        return cls(float(xy[0]), float(xy[1]), flux_scale, name or f"{cct_k:.0f}K")

    @property
    def xy(self) -> tuple[float, float]:
        """CIE 1931 chromaticity (x, y)."""
        return self.x, self.y

    @property
    def cct_duv(self) -> tuple[float, float]:
        """(CCT in K, Duv) of the bin (meaningful for white bins, |Duv| <= 0.05)."""
        cct, duv = cct_duv_from_xy((self.x, self.y))
        return float(cct), float(duv)

    def xyz(self, luminance: float) -> tuple[float, float, float]:
        """Tristimulus X, Y, Z of this colour at ``luminance`` (Y, e.g. in lx)."""
        return (
            luminance * self.x / self.y,
            luminance,
            luminance * (1.0 - self.x - self.y) / self.y,
        )


WARM_WHITE_3000K: Final = LEDBin.from_cct(3000.0, name="3000K")
NEUTRAL_WHITE_4000K: Final = LEDBin.from_cct(4000.0, name="4000K")
COOL_WHITE_6500K: Final = LEDBin.from_cct(6500.0, name="6500K")
RED_625NM: Final = LEDBin(0.690, 0.308, 0.25, "red 625 nm")
GREEN_525NM: Final = LEDBin(0.170, 0.700, 0.55, "green 525 nm")
BLUE_465NM: Final = LEDBin(0.133, 0.075, 0.10, "blue 465 nm")


@dataclass(frozen=True)
class LEDChannelSpec:
    """One independently switched channel: ``strings`` strings of LEDs from ``led_bin``.

    ``leds_per_string``, ``vf_knee_v`` (V) and ``series_resistor_ohm`` override the
    assembly's values for this channel (e.g. red LEDs with a lower knee); None keeps them.
    """

    strings: int = 1
    led_bin: LEDBin = WARM_WHITE_3000K
    name: str = ""
    leds_per_string: int | None = None
    vf_knee_v: float | None = None
    series_resistor_ohm: float | None = None

    def __post_init__(self) -> None:
        if self.strings < 1:
            raise ValueError(f"channel {self.name!r} needs at least one string")
        if self.leds_per_string is not None and self.leds_per_string < 1:
            raise ValueError(f"channel {self.name!r} needs at least one LED per string")


@dataclass(frozen=True)
class LEDAssemblySpec:
    """Electrical and optical design of the assembly (SI units).

    ``channels`` empty (the default) means one channel of ``strings`` strings from ``led_bin``;
    when channels are given, ``strings`` is set to their total. ``ripple_depth`` (0..1) and
    ``ripple_hz`` shape the STRONG_FLICKER fault; ``wrong_bin`` is what WRONG_BIN fits.
    """

    strings: int = 3
    leds_per_string: int = 3
    vf_knee_v: float = 2.75
    r_dynamic_ohm: float = 1.5
    series_resistor_ohm: float = 33.0
    flux_lm_per_a: float = 900.0
    """Luminous flux per LED per ampere of LED current (lm/A), scaled by the bin's flux_scale."""
    short_resistance_ohm: float = 0.3
    sensor_distance_m: float = 0.3
    led_bin: LEDBin = WARM_WHITE_3000K
    channels: tuple[LEDChannelSpec, ...] = ()
    wrong_bin: LEDBin = field(
        default_factory=lambda: replace(COOL_WHITE_6500K, flux_scale=0.6, name="6500K dim")
    )
    ripple_depth: float = 0.8
    ripple_hz: float = 100.0

    def __post_init__(self) -> None:
        if self.channels:
            object.__setattr__(self, "strings", sum(c.strings for c in self.channels))
        if self.strings < 1 or self.leds_per_string < 1:
            raise ValueError("an assembly needs at least one string of one LED")
        if not 0.0 <= self.ripple_depth <= 1.0:
            raise ValueError(f"ripple_depth {self.ripple_depth} outside 0..1")
        if self.ripple_hz <= 0:
            raise ValueError(f"ripple_hz {self.ripple_hz} must be positive")

    @property
    def channel_specs(self) -> tuple[LEDChannelSpec, ...]:
        """The channels, in enable-line order (one implicit channel if none were given)."""
        if self.channels:
            return self.channels
        return (LEDChannelSpec(strings=self.strings, led_bin=self.led_bin, name="main"),)


def tunable_white_spec(
    warm: LEDBin = WARM_WHITE_3000K, cool: LEDBin = COOL_WHITE_6500K
) -> LEDAssemblySpec:
    """A two-channel tunable-white module: channel 0 warm, channel 1 cool, two strings each."""
    return LEDAssemblySpec(
        channels=(
            LEDChannelSpec(strings=2, led_bin=warm, name="warm"),
            LEDChannelSpec(strings=2, led_bin=cool, name="cool"),
        )
    )


def rgbw_spec() -> LEDAssemblySpec:
    """An RGBW module: channels 0..3 are red (1.9 V knee), green, blue and 4000 K white."""
    return LEDAssemblySpec(
        channels=(
            LEDChannelSpec(strings=1, led_bin=RED_625NM, name="red", vf_knee_v=1.9),
            LEDChannelSpec(strings=1, led_bin=GREEN_525NM, name="green"),
            LEDChannelSpec(strings=1, led_bin=BLUE_465NM, name="blue"),
            LEDChannelSpec(strings=1, led_bin=NEUTRAL_WHITE_4000K, name="white"),
        )
    )


@dataclass(frozen=True)
class SupplySpec:
    """A bench supply: set voltage (V), output resistance (ohm), current limit (A)."""

    voltage_v: float = 12.0
    output_resistance_ohm: float = 0.05
    current_limit_a: float = 2.0


@dataclass(frozen=True)
class _String:
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


def operating_point(supply: SupplySpec, load: Callable[[float], float]) -> tuple[float, float]:
    """Solve supply against a monotonic load I(V): return (terminal voltage V, current A).

    In voltage mode ``V + R_out * I(V) = V_set``; if that current exceeds the limit the supply
    folds back to constant current, ``I(V) = I_limit``. Both solved by bisection. A negative
    set-point (supply leads swapped) is solved by symmetry and gives negative V and I.
    """
    if supply.voltage_v < 0:
        v, i = operating_point(replace(supply, voltage_v=-supply.voltage_v), lambda x: -load(-x))
        return -v, -i

    def bisect(f: Callable[[float], float], lo: float, hi: float) -> float:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if f(mid) > 0:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    v = bisect(
        lambda x: x + supply.output_resistance_ohm * load(x) - supply.voltage_v,
        0.0,
        supply.voltage_v,
    )
    if load(v) > supply.current_limit_a:
        v = bisect(lambda x: load(x) - supply.current_limit_a, 0.0, v)
    return v, load(v)


@dataclass(frozen=True)
class PWM:
    """PWM on one enable line: on for the first ``duty`` (0..1) of every period of
    ``frequency_hz`` (Hz); ``phase`` (0..1, fraction of a period) shifts the rising edge to
    ``t = −phase / frequency_hz`` (mod the period). Time is the jig's clock time in seconds."""

    duty: float
    frequency_hz: float = 1000.0
    phase: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.duty <= 1.0:
            raise ValueError(f"PWM duty {self.duty} outside 0..1")
        if self.frequency_hz <= 0:
            raise ValueError(f"PWM frequency {self.frequency_hz} Hz must be positive")

    def on(self, t_s: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether the line is on at each time ``t_s`` (s)."""
        t = np.asarray(t_s, dtype=np.float64)
        if self.duty >= 1.0:
            return np.ones(t.shape, dtype=np.bool_)
        if self.duty <= 0.0:
            return np.zeros(t.shape, dtype=np.bool_)
        frac = np.mod(t * self.frequency_hz + self.phase, 1.0)
        on: npt.NDArray[np.bool_] = frac < self.duty
        return on


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


@functools.lru_cache(maxsize=64)
def _white(cct_k: float) -> LEDBin:
    return LEDBin.from_cct(cct_k)


@dataclass(frozen=True)
class _State:
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
        """The PWM on ``line`` (duty 1 when none was set)."""
        return self._pwm.get(line, PWM(1.0))

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
        enable = self.channel_enable()
        fixed = 0
        dimmed: list[tuple[int, float]] = []
        for line in range(self._lines()):
            if not (enable >> line) & 1:
                continue
            duty = self.pwm(line).duty
            if duty >= 1.0:
                fixed |= 1 << line
            elif duty > 0.0:
                dimmed.append((line, duty))
        states: list[tuple[float, int]] = []
        for bits in itertools.product((False, True), repeat=len(dimmed)):
            p, mask = 1.0, fixed
            for (line, duty), on in zip(dimmed, bits, strict=True):
                p *= duty if on else 1.0 - duty
                mask |= (1 << line) if on else 0
            states.append((p, mask))
        return states

    def _masks_at(self, t: FloatArray) -> npt.NDArray[np.int64]:
        enable = self.channel_enable()
        masks = np.zeros(t.shape, dtype=np.int64)
        for line in range(self._lines()):
            if (enable >> line) & 1:
                masks |= self.pwm(line).on(t).astype(np.int64) << line
        return masks

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
            parts.append(_white(self.ambient_cct_k).xyz(self.ambient_lx))
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
