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

Modules: :mod:`.bins` (LED bins), :mod:`.spec` (design, channels, faults),
:mod:`.assembly` (the electrical and optical model), :mod:`.supply` (the bench supply and
its operating point), :mod:`.pwm` (enable-line dimming), :mod:`.photodiode` (the fast
light-to-volts front end) and :mod:`.jig` (all of it on the station).

Units: volts (V), amperes (A), ohms, lumens (lm), lux (lx), kelvin (K), hertz (Hz), seconds
(s); duty is a fraction 0..1.
"""

from benchscore.sim.assemblies.led.assembly import LEDAssembly
from benchscore.sim.assemblies.led.bins import (
    BLUE_465NM,
    COOL_WHITE_6500K,
    GREEN_525NM,
    NEUTRAL_WHITE_4000K,
    RED_625NM,
    WARM_WHITE_3000K,
    LEDBin,
)
from benchscore.sim.assemblies.led.jig import LIGHTSPEC_CCT_RANGE_K, LEDJig
from benchscore.sim.assemblies.led.photodiode import Photodiode
from benchscore.sim.assemblies.led.pwm import PWM
from benchscore.sim.assemblies.led.spec import (
    ALL_CHANNELS,
    LEDAssemblySpec,
    LEDChannelSpec,
    LEDFault,
    rgbw_spec,
    tunable_white_spec,
)
from benchscore.sim.assemblies.led.supply import SupplySpec, operating_point
from benchscore.sim.light import FloatArray

__all__ = [
    "ALL_CHANNELS",
    "BLUE_465NM",
    "COOL_WHITE_6500K",
    "GREEN_525NM",
    "LIGHTSPEC_CCT_RANGE_K",
    "NEUTRAL_WHITE_4000K",
    "PWM",
    "RED_625NM",
    "WARM_WHITE_3000K",
    "FloatArray",
    "LEDAssembly",
    "LEDAssemblySpec",
    "LEDBin",
    "LEDChannelSpec",
    "LEDFault",
    "LEDJig",
    "Photodiode",
    "SupplySpec",
    "operating_point",
    "rgbw_spec",
    "tunable_white_spec",
]
