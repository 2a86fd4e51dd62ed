"""Loads on the power bank's USB output, each solved against the boost converter's curve.

The converter's output is ``V = open_v - R I`` up to a current limit; :meth:`Load.solve`
finds where a load meets it. The bank builds these from what the station attaches
(:meth:`~benchscore.sim.assemblies.power_bank.PowerBank.set_load_current_a` and friends).
"""

from __future__ import annotations

from collections.abc import Callable

LoadFunction = Callable[[float], float]
"""A load as a function of the output voltage (V) returning the current it draws (A)."""
CurrentSource = Callable[[], float]
"""What a connected instrument draws right now, A (polled at every integration step)."""


class Load:
    """A load on the output; ``solve`` intersects it with the converter's output curve."""

    def current_a(self, voltage_v: float) -> float:
        raise NotImplementedError

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        """Voltage and current where the load meets ``V = open - R I`` (``I <= limit``)."""

        # h(V) = load(V) - source(V) rises with V: bisect for its zero on [0, open_v].
        def source_a(voltage_v: float) -> float:
            return min((open_v - voltage_v) / output_r_ohm, limit_a)

        low_v, high_v = 0.0, open_v
        if self.current_a(low_v) >= source_a(low_v):
            return 0.0, min(self.current_a(0.0), limit_a)
        for _ in range(60):
            mid_v = 0.5 * (low_v + high_v)
            if self.current_a(mid_v) >= source_a(mid_v):
                high_v = mid_v
            else:
                low_v = mid_v
        voltage_v = 0.5 * (low_v + high_v)
        return voltage_v, max(0.0, source_a(voltage_v))


class ConstantCurrentLoad(Load):
    """An electronic load in CC mode drawing ``current_a`` (A) at any voltage."""

    def __init__(self, current_a: float) -> None:
        self.set_current_a = current_a

    def current_a(self, voltage_v: float) -> float:
        return self.set_current_a

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        if self.set_current_a > limit_a:
            return 0.0, limit_a
        return max(0.0, open_v - output_r_ohm * self.set_current_a), self.set_current_a


class ResistiveLoad(Load):
    """A resistor of ``resistance_ohm`` across the output (a short is tens of milliohms)."""

    def __init__(self, resistance_ohm: float) -> None:
        self.resistance_ohm = resistance_ohm

    def current_a(self, voltage_v: float) -> float:
        return voltage_v / self.resistance_ohm

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        current_a = open_v / (self.resistance_ohm + output_r_ohm)
        if current_a > limit_a:
            return limit_a * self.resistance_ohm, limit_a
        return current_a * self.resistance_ohm, current_a


class FunctionLoad(Load):
    """A load given as ``current_a = function(voltage_v)`` (non-decreasing in V)."""

    def __init__(self, function: LoadFunction) -> None:
        self.function = function

    def current_a(self, voltage_v: float) -> float:
        return max(0.0, self.function(voltage_v))


class PolledLoad(ConstantCurrentLoad):
    """An instrument that settles its own operating point: ask it what it draws now."""

    def __init__(self, source: CurrentSource) -> None:
        super().__init__(0.0)
        self.source = source

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        self.set_current_a = max(0.0, self.source())
        return super().solve(open_v, output_r_ohm, limit_a)
