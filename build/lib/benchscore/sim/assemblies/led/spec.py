"""Design of an LED assembly (strings, channels, bins) and the faults it may have.

The strings are grouped into channels (:class:`LEDChannelSpec`), each with its own enable
line; enable line ``k`` is bit ``k`` of a mask (:data:`ALL_CHANNELS` switches every line on).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from benchscore.sim.assemblies.led.bins import (
    BLUE_465NM,
    COOL_WHITE_6500K,
    GREEN_525NM,
    NEUTRAL_WHITE_4000K,
    RED_625NM,
    WARM_WHITE_3000K,
    LEDBin,
)

ALL_CHANNELS: Final = 0xFFFF_FFFF
"""An enable mask with every line on (the default: an assembly with no channel switching)."""


class LEDFault(StrEnum):
    """Faults a contestant's assembly may have.

    String faults act on string ``fault_string`` of
    :class:`~benchscore.sim.assemblies.led.LEDAssembly` (default 0, the first string of the
    first channel).
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
