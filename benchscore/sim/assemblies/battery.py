"""Li-ion cell physics for the simulated devices under test.

The cell is a first-order Thevenin equivalent circuit, the usual model for cell simulation and
state estimation:

* an open-circuit voltage ``OCV(SOC)`` from a table typical of NMC/LCO graphite cells
  (3.0 V empty to 4.2 V full, shaped after real 0.5 C discharges such as the Maccor recording in
  ``../shared/data/cyclers``),
* a series resistance ``R0`` that rises at low state of charge and in the cold (Arrhenius),
* one RC polarisation branch (``R1``, time constant ``tau_s``) that makes the voltage sag
  under a load step and relax after it,
* coulomb counting for the state of charge, with charge and discharge throughput counters,
* a lumped thermal node heated by the cell's own losses plus any heat the caller adds.

Sign convention: ``current_a`` is positive for discharge and negative for charge.

* capacity fade with cycling: ``capacity_fade_per_cycle`` of the initial capacity is lost per
  equivalent full cycle (each ``capacity_ah`` of charge discharged), the usual linear
  charge-throughput ageing model; the state of charge is kept as the capacity shrinks.

Not modelled: capacity loss in the cold, hysteresis between charge and discharge OCV,
diffusion beyond the single RC branch, self-discharge.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

ZERO_CELSIUS_K = 273.15
REFERENCE_TEMPERATURE_C = 25.0

#: Open-circuit voltage against state of charge for a typical NMC/LCO graphite cell:
#: (state_of_charge, ocv_v), SOC rising. 0 % is 3.0 V at rest, 100 % is 4.2 V.
NMC_OCV_TABLE: tuple[tuple[float, float], ...] = (
    (0.00, 3.000),
    (0.01, 3.250),
    (0.02, 3.360),
    (0.04, 3.450),
    (0.07, 3.520),
    (0.10, 3.570),
    (0.15, 3.615),
    (0.20, 3.650),
    (0.30, 3.700),
    (0.40, 3.745),
    (0.50, 3.790),
    (0.60, 3.850),
    (0.70, 3.920),
    (0.80, 3.990),
    (0.90, 4.075),
    (0.95, 4.130),
    (1.00, 4.200),
)


def interpolate(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """Piecewise-linear interpolation of ``ys`` over rising ``xs``, clamped at both ends."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect_right(xs, x)
    x0, x1 = xs[i - 1], xs[i]
    y0, y1 = ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


@dataclass
class ThermalNode:
    """A lumped heat capacity coupled to ambient through one thermal resistance.

    ``advance`` uses the exact solution for heat held constant over the step, so any step
    length is stable.
    """

    temperature_c: float = REFERENCE_TEMPERATURE_C
    ambient_c: float = REFERENCE_TEMPERATURE_C
    heat_capacity_j_per_k: float = 45.0
    thermal_resistance_k_per_w: float = 15.0

    @property
    def time_constant_s(self) -> float:
        """Thermal time constant ``C * R`` in seconds."""
        return self.heat_capacity_j_per_k * self.thermal_resistance_k_per_w

    def steady_state_c(self, heat_w: float) -> float:
        """Temperature the node settles at with ``heat_w`` dissipated in it."""
        return self.ambient_c + heat_w * self.thermal_resistance_k_per_w

    def advance(self, dt_s: float, heat_w: float) -> None:
        """Integrate ``dt_s`` seconds with ``heat_w`` watts dissipated in the node."""
        if dt_s <= 0:
            return
        target_c = self.steady_state_c(heat_w)
        decay = math.exp(-dt_s / self.time_constant_s)
        self.temperature_c = target_c + (self.temperature_c - target_c) * decay


@dataclass
class Cell:
    """A Li-ion cell (or parallel block): OCV-SOC, R0 + one RC branch, coulomb counting, heat.

    Defaults are a 2.5 Ah 18650 in free air. ``r0_ohm`` is the series resistance at 25 °C and
    above 20 % SOC; below 20 % it rises to ``1 + low_soc_resistance_gain`` times that at 0 %,
    and it follows ``exp(B (1/T - 1/T25))`` with ``B = resistance_activation_k``.
    """

    capacity_ah: float = 2.5
    state_of_charge: float = 1.0
    r0_ohm: float = 0.045
    r1_ohm: float = 0.020
    tau_s: float = 60.0
    resistance_activation_k: float = 2500.0
    low_soc_resistance_gain: float = 2.0
    ocv_table: tuple[tuple[float, float], ...] = NMC_OCV_TABLE
    thermal: ThermalNode = field(default_factory=ThermalNode)
    #: Voltage across the RC polarisation branch, V (positive while discharging).
    polarisation_v: float = 0.0
    #: Charge taken out of the cell since creation, Ah.
    discharged_ah: float = 0.0
    #: Charge put into the cell since creation, Ah.
    charged_ah: float = 0.0
    #: Longest internal integration step, s; longer ``advance`` calls are subdivided.
    max_step_s: float = 1.0
    #: Fraction of the initial capacity lost per equivalent full cycle (0: no ageing).
    capacity_fade_per_cycle: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity_ah <= 0:
            raise ValueError(f"capacity must be positive, got {self.capacity_ah} Ah")
        if not 0.0 <= self.state_of_charge <= 1.0:
            raise ValueError(f"state of charge must be in [0, 1], got {self.state_of_charge}")
        if not 0.0 <= self.capacity_fade_per_cycle < 1.0:
            raise ValueError(f"capacity fade must be in [0, 1), got {self.capacity_fade_per_cycle}")
        self.initial_capacity_ah = self.capacity_ah
        self._soc_points = tuple(p[0] for p in self.ocv_table)
        self._ocv_points_v = tuple(p[1] for p in self.ocv_table)

    # -- state ---------------------------------------------------------------------------

    @property
    def temperature_c(self) -> float:
        """Cell temperature, °C."""
        return self.thermal.temperature_c

    @temperature_c.setter
    def temperature_c(self, value_c: float) -> None:
        self.thermal.temperature_c = value_c

    @property
    def full_voltage_v(self) -> float:
        """Open-circuit voltage at 100 % SOC."""
        return self._ocv_points_v[-1]

    @property
    def empty_voltage_v(self) -> float:
        """Open-circuit voltage at 0 % SOC."""
        return self._ocv_points_v[0]

    @property
    def remaining_ah(self) -> float:
        """Charge left before 0 % SOC, Ah."""
        return self.state_of_charge * self.capacity_ah

    def ocv_v(self, state_of_charge: float | None = None) -> float:
        """Open-circuit voltage at ``state_of_charge`` (default: the present one)."""
        soc = self.state_of_charge if state_of_charge is None else state_of_charge
        return interpolate(soc, self._soc_points, self._ocv_points_v)

    def soc_from_ocv(self, ocv_v: float) -> float:
        """State of charge whose open-circuit voltage is ``ocv_v`` (the inverse table)."""
        return interpolate(ocv_v, self._ocv_points_v, self._soc_points)

    def series_resistance_ohm(self) -> float:
        """Series resistance ``R0`` at the present SOC and temperature, ohm."""
        return self.r0_ohm * self._resistance_factor()

    def polarisation_resistance_ohm(self) -> float:
        """RC-branch resistance ``R1`` at the present SOC and temperature, ohm."""
        return self.r1_ohm * self._resistance_factor()

    def _resistance_factor(self) -> float:
        low_soc = max(0.0, 0.2 - self.state_of_charge) / 0.2
        soc_factor = 1.0 + self.low_soc_resistance_gain * low_soc * low_soc
        temperature_k = self.thermal.temperature_c + ZERO_CELSIUS_K
        reference_k = REFERENCE_TEMPERATURE_C + ZERO_CELSIUS_K
        arrhenius = math.exp(
            self.resistance_activation_k * (1.0 / temperature_k - 1.0 / reference_k)
        )
        return soc_factor * arrhenius

    # -- electrical ----------------------------------------------------------------------

    def source_voltage_v(self) -> float:
        """Voltage behind ``R0``: OCV minus the polarisation voltage, V."""
        return self.ocv_v() - self.polarisation_v

    def terminal_voltage_v(self, current_a: float) -> float:
        """Terminal voltage now with ``current_a`` flowing (positive = discharge), V.

        The polarisation voltage cannot jump, so a load step shows first the ``R0`` drop and
        then the slower RC sag.
        """
        return self.source_voltage_v() - current_a * self.series_resistance_ohm()

    def current_for_power_a(self, power_w: float) -> float | None:
        """Discharge current that delivers ``power_w`` at the terminals now, A.

        Solves ``I (E - I R0) = P``; returns ``None`` when the cell cannot deliver that much
        power (beyond its maximum-power point). Negative ``power_w`` means charging.
        """
        source_v = self.source_voltage_v()
        r0_ohm = self.series_resistance_ohm()
        discriminant = source_v * source_v - 4.0 * r0_ohm * power_w
        if discriminant < 0:
            return None
        return (source_v - math.sqrt(discriminant)) / (2.0 * r0_ohm)

    def current_for_terminal_voltage_a(self, voltage_v: float, dt_s: float = 0.0) -> float:
        """Current that holds the terminals at ``voltage_v`` (negative = charging), A.

        With ``dt_s > 0`` the solution is implicit over a step of that length: the
        terminal voltage at the *end* of the step equals ``voltage_v`` given the RC branch's
        response, which keeps a constant-voltage charger stable at any step length.
        """
        r0_ohm = self.series_resistance_ohm()
        if dt_s <= 0:
            return (self.source_voltage_v() - voltage_v) / r0_ohm
        decay = math.exp(-dt_s / self.tau_s)
        r1_ohm = self.polarisation_resistance_ohm()
        numerator = self.ocv_v() - decay * self.polarisation_v - voltage_v
        return numerator / (r0_ohm + (1.0 - decay) * r1_ohm)

    def heat_w(self, current_a: float) -> float:
        """Joule heat in the cell now with ``current_a`` flowing, W."""
        r1_ohm = self.polarisation_resistance_ohm()
        return current_a * current_a * self.series_resistance_ohm() + (
            self.polarisation_v * self.polarisation_v / r1_ohm
        )

    # -- time ----------------------------------------------------------------------------

    def advance(self, dt_s: float, current_a: float, extra_heat_w: float = 0.0) -> None:
        """Integrate ``dt_s`` seconds at constant ``current_a`` (positive = discharge).

        ``extra_heat_w`` is heat from outside the cell dissipated in the same thermal node
        (for a power bank: converter and charger losses). SOC is clamped to [0, 1]; the
        throughput counters count what actually flowed.
        """
        if dt_s < 0:
            raise ValueError(f"cannot integrate a negative time step ({dt_s} s)")
        remaining_s = dt_s
        while remaining_s > 0:
            step_s = min(remaining_s, self.max_step_s)
            self._step(step_s, current_a, extra_heat_w)
            remaining_s -= step_s

    def _step(self, dt_s: float, current_a: float, extra_heat_w: float) -> None:
        heat_w = self.heat_w(current_a) + extra_heat_w
        charge_ah = current_a * dt_s / 3600.0
        if charge_ah > 0:
            charge_ah = min(charge_ah, self.remaining_ah)
            self.discharged_ah += charge_ah
        else:
            charge_ah = max(charge_ah, self.remaining_ah - self.capacity_ah)
            self.charged_ah -= charge_ah
        self.state_of_charge = min(
            1.0, max(0.0, self.state_of_charge - charge_ah / self.capacity_ah)
        )
        if charge_ah > 0 and self.capacity_fade_per_cycle:
            # loss per Ah discharged: fade * C0 per C0 of throughput
            floor_ah = 0.05 * self.initial_capacity_ah
            loss_ah = self.capacity_fade_per_cycle * charge_ah
            self.capacity_ah = max(floor_ah, self.capacity_ah - loss_ah)
        decay = math.exp(-dt_s / self.tau_s)
        target_v = current_a * self.polarisation_resistance_ohm()
        self.polarisation_v = target_v + (self.polarisation_v - target_v) * decay
        self.thermal.advance(dt_s, heat_w)
