"""Physics of an LED assembly under test: strings of LEDs on a switched bench supply.

Each string is ``leds_per_string`` LEDs in series with a current-limiting resistor. An LED is
modelled piecewise-linearly: no current below its knee voltage ``vf_knee_v``, then a dynamic
resistance ``r_dynamic_ohm`` (a good fit to a datasheet I-V curve over the working range).
Light output is proportional to LED current (``flux_lm_per_a``); the sensor in the jig sees
a Lambertian source on axis at ``sensor_distance_m``: E = (flux / pi) / d^2 lx.

The supply is a voltage source with output resistance and a current limit (constant-current
fold-back), so a short pulls the rail down exactly as a bench supply does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum


class LEDFault(StrEnum):
    """Faults a contestant's assembly may have."""

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
    """LEDs of a dimmer flux bin: right current, too little light."""


@dataclass(frozen=True)
class LEDAssemblySpec:
    """Electrical and optical design of the assembly (SI units)."""

    strings: int = 3
    leds_per_string: int = 3
    vf_knee_v: float = 2.75
    r_dynamic_ohm: float = 1.5
    series_resistor_ohm: float = 33.0
    flux_lm_per_a: float = 900.0
    """Luminous flux per LED per ampere of LED current."""
    short_resistance_ohm: float = 0.3
    sensor_distance_m: float = 0.3

    def __post_init__(self) -> None:
        if self.strings < 1 or self.leds_per_string < 1:
            raise ValueError("an assembly needs at least one string of one LED")


@dataclass(frozen=True)
class SupplySpec:
    """A bench supply: set voltage, output resistance, current limit."""

    voltage_v: float = 12.0
    output_resistance_ohm: float = 0.05
    current_limit_a: float = 2.0


class LEDAssembly:
    """Current drawn and light produced by an LED assembly at a given terminal voltage."""

    def __init__(self, spec: LEDAssemblySpec | None = None, fault: LEDFault = LEDFault.NONE):
        self.spec = spec or LEDAssemblySpec()
        self.fault = LEDFault(fault)

    def _string_leds(self, index: int) -> int:
        if self.fault is LEDFault.SHORTED_LED and index == 0:
            return self.spec.leds_per_string - 1
        return self.spec.leds_per_string

    def _string_current_a(self, index: int, voltage_v: float) -> float:
        if self.fault is LEDFault.OPEN_STRING and index == 0:
            return 0.0
        n = self._string_leds(index)
        s = self.spec
        return max(
            0.0, (voltage_v - n * s.vf_knee_v) / (s.series_resistor_ohm + n * s.r_dynamic_ohm)
        )

    def led_currents_a(self, voltage_v: float) -> list[float]:
        """Current through each string at terminal voltage ``voltage_v`` (A)."""
        if self.fault is LEDFault.REVERSED or voltage_v <= 0:
            return [0.0] * self.spec.strings
        return [self._string_current_a(i, voltage_v) for i in range(self.spec.strings)]

    def current_a(self, voltage_v: float) -> float:
        """Total current drawn at terminal voltage ``voltage_v`` (A)."""
        total = sum(self.led_currents_a(voltage_v))
        if self.fault is LEDFault.SHORT_CIRCUIT and voltage_v > 0:
            total += voltage_v / self.spec.short_resistance_ohm
        return total

    def flux_lm(self, voltage_v: float) -> float:
        """Luminous flux emitted at terminal voltage ``voltage_v`` (lm)."""
        per_a = self.spec.flux_lm_per_a * (0.6 if self.fault is LEDFault.WRONG_BIN else 1.0)
        return sum(
            per_a * i * self._string_leds(k) for k, i in enumerate(self.led_currents_a(voltage_v))
        )

    def illuminance_lx(self, voltage_v: float) -> float:
        """Illuminance on the jig's sensor, on axis, Lambertian emitter (lx)."""
        return self.flux_lm(voltage_v) / math.pi / self.spec.sensor_distance_m**2


def operating_point(supply: SupplySpec, load: Callable[[float], float]) -> tuple[float, float]:
    """Solve supply against a monotonic load I(V): return (terminal voltage V, current A).

    In voltage mode ``V + R_out * I(V) = V_set``; if that current exceeds the limit the supply
    folds back to constant current, ``I(V) = I_limit``. Both solved by bisection.
    """

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


class LEDJig:
    """The station's jig: a switched bench supply feeding the assembly, a light sensor above it.

    ``power_on`` is asked every time physics is evaluated (a callable, so a GPIO relay pin can
    drive it). ``ambient_lx`` is stray light reaching the sensor with the assembly dark.
    """

    def __init__(
        self,
        assembly: LEDAssembly,
        supply: SupplySpec | None = None,
        *,
        power_on: Callable[[], bool] = lambda: True,
        ambient_lx: float = 3.0,
    ) -> None:
        self.assembly = assembly
        self.supply = supply or SupplySpec()
        self.power_on = power_on
        self.ambient_lx = ambient_lx

    def electrical(self) -> tuple[float, float]:
        """(bus voltage V, current A) as a high-side power monitor sees them."""
        if not self.power_on():
            return 0.0, 0.0
        return operating_point(self.supply, self.assembly.current_a)

    def illuminance_lx(self) -> float:
        """Illuminance on the sensor (lx), including ambient light."""
        voltage_v, _ = self.electrical()
        return self.ambient_lx + self.assembly.illuminance_lx(voltage_v)

    def with_supply_voltage(self, voltage_v: float) -> LEDJig:
        """A copy of this jig with another supply set-point (for dimming sweeps)."""
        return LEDJig(
            self.assembly,
            replace(self.supply, voltage_v=voltage_v),
            power_on=self.power_on,
            ambient_lx=self.ambient_lx,
        )
