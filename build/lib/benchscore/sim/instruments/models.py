"""Minimal, correct physics for simulated loads and supplies.

A DC electronic load sinks current from a **source**: any callable ``source(current_a) ->
terminal volts`` (a :class:`TheveninSource`, or a power-bank model that tracks its own state of
charge). A bench supply drives a **load**: any callable ``load(volts) -> current_a`` (a
:class:`ResistiveLoad`, a battery being charged). Each model solves the operating point of its
regulation mode and integrates charge and energy on a :class:`~benchscore.clock.Clock`.

Simulators call :meth:`Metered.update` at the start of every request, before changing any
setting, so each interval is integrated with the settings that held during it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from benchscore.clock import Clock, RealClock

VoltageSource = Callable[[float], float]
"""Terminal voltage in V of a device under test while it delivers ``current_a``."""
CurrentLoad = Callable[[float], float]
"""Current in A a connected load draws at a terminal voltage in V."""

LoadMode = Literal["CC", "CV", "CR", "CP"]
Regulation = Literal["CC", "CV", "CR", "CP", "OFF"]


@dataclass
class TheveninSource:
    """An EMF behind a series resistance: ``v = emf_v - current_a * resistance_ohm``."""

    emf_v: float
    resistance_ohm: float = 0.0

    def __call__(self, current_a: float) -> float:
        return self.emf_v - current_a * self.resistance_ohm


@dataclass
class ResistiveLoad:
    """A resistor across a supply's output: ``i = v / resistance_ohm``."""

    resistance_ohm: float

    def __call__(self, voltage_v: float) -> float:
        return voltage_v / self.resistance_ohm


@dataclass(frozen=True)
class OperatingPoint:
    """Where a model settles: terminal voltage, current, and what is regulating."""

    voltage_v: float
    current_a: float
    regulation: Regulation

    @property
    def power_w(self) -> float:
        return self.voltage_v * self.current_a


def bisect(f: Callable[[float], float], lo: float, hi: float, iterations: int = 60) -> float:
    """Return x in ``[lo, hi]`` where ``f`` changes sign (``f(lo)`` and ``f(hi)`` differ)."""
    f_lo = f(lo)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        f_mid = f(mid)
        if (f_mid >= 0) == (f_lo >= 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return (lo + hi) / 2


class Metered:
    """Integrates charge (Ah), energy (Wh) and on-time (s) of the operating point."""

    def __init__(self, clock: Clock | None) -> None:
        self.clock: Clock = clock or RealClock()
        self._last = self.clock.monotonic()
        self.charge_ah = 0.0
        self.energy_wh = 0.0
        self.on_time_s = 0.0

    def operating_point(self) -> OperatingPoint:
        raise NotImplementedError

    def update(self) -> OperatingPoint:
        """Integrate up to now with the settings in force; return the operating point."""
        now = self.clock.monotonic()
        dt, self._last = now - self._last, now
        point = self.operating_point()
        if point.regulation != "OFF" and dt > 0:
            self.charge_ah += point.current_a * dt / 3600
            self.energy_wh += point.power_w * dt / 3600
            self.on_time_s += dt
        return point

    def reset_meters(self) -> None:
        """Zero the integrated charge, energy and on-time."""
        self.update()
        self.charge_ah = self.energy_wh = self.on_time_s = 0.0


class ElectronicLoadModel(Metered):
    """A DC electronic load in CC, CV, CR or CP, sinking current from ``source``."""

    def __init__(
        self,
        source: VoltageSource | None = None,
        *,
        max_current_a: float,
        max_voltage_v: float,
        max_power_w: float,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock)
        self.source = source
        self.max_current_a = max_current_a
        self.max_voltage_v = max_voltage_v
        self.max_power_w = max_power_w
        self.mode: LoadMode = "CC"
        self.current_set_a = 0.0
        self.voltage_set_v = 0.0
        self.resistance_set_ohm = 1000.0
        self.power_set_w = 0.0
        self.input_on = False

    def _solve_current(self, v: VoltageSource) -> float:
        i_max = self.max_current_a
        v0 = v(0.0)
        if v0 <= 0:
            return 0.0
        if self.mode == "CC":
            return min(max(self.current_set_a, 0.0), i_max)
        if self.mode == "CV":
            if v0 <= self.voltage_set_v:
                return 0.0  # the source cannot reach the set voltage: the load draws nothing

            def g(i: float) -> float:
                return v(i) - self.voltage_set_v

            return i_max if g(i_max) >= 0 else bisect(g, 0.0, i_max)
        if self.mode == "CR":
            r = max(self.resistance_set_ohm, 1e-6)

            def f(i: float) -> float:
                return v(i) - i * r

            return i_max if f(i_max) >= 0 else bisect(f, 0.0, i_max)
        # CP: the lower-current solution of i * v(i) = P (the stable, high-voltage one);
        # beyond the source's maximum power the load settles at that maximum.
        steps = 400
        best_i, best_p = 0.0, 0.0
        for k in range(1, steps + 1):
            i = i_max * k / steps
            p = i * v(i)
            if p >= self.power_set_w:

                def h(x: float) -> float:
                    return x * v(x) - self.power_set_w

                return bisect(h, i_max * (k - 1) / steps, i)
            if p > best_p:
                best_i, best_p = i, p
        return best_i

    def operating_point(self) -> OperatingPoint:
        if self.source is None:
            return OperatingPoint(0.0, 0.0, "OFF")
        v = self.source
        if not self.input_on:
            return OperatingPoint(max(v(0.0), 0.0), 0.0, "OFF")
        i = self._solve_current(v)
        if v(i) < 0:  # the source collapses before delivering i: settle at 0 V
            i = bisect(v, 0.0, i)
        return OperatingPoint(max(v(i), 0.0), i, self.mode)


class SupplyModel(Metered):
    """A bench supply: CV at ``voltage_set_v`` until ``load`` asks for more than
    ``current_set_a``, then CC at that current."""

    def __init__(
        self,
        load: CurrentLoad | None = None,
        *,
        max_voltage_v: float,
        max_current_a: float,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock)
        self.load = load
        self.max_voltage_v = max_voltage_v
        self.max_current_a = max_current_a
        self.voltage_set_v = 0.0
        self.current_set_a = 0.0
        self.output_on = False

    def operating_point(self) -> OperatingPoint:
        if not self.output_on:
            return OperatingPoint(0.0, 0.0, "OFF")
        v_set, i_set = self.voltage_set_v, self.current_set_a
        if self.load is None:
            return OperatingPoint(v_set, 0.0, "CV")
        i_cv = max(self.load(v_set), 0.0)
        if i_cv <= i_set:
            return OperatingPoint(v_set, i_cv, "CV")
        load = self.load
        if load(0.0) >= i_set:
            return OperatingPoint(0.0, i_set, "CC")

        def f(v: float) -> float:
            return load(v) - i_set

        return OperatingPoint(bisect(f, 0.0, v_set), i_set, "CC")


__all__ = [
    "CurrentLoad",
    "ElectronicLoadModel",
    "LoadMode",
    "Metered",
    "OperatingPoint",
    "Regulation",
    "ResistiveLoad",
    "SupplyModel",
    "TheveninSource",
    "VoltageSource",
    "bisect",
]
