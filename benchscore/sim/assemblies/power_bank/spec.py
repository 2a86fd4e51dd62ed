"""What a power bank is built to (:class:`PowerBankSpec`) and the faults a unit can have.

:func:`apply_faults` turns the label's spec into the physical parameters of a faulty unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class PowerBankFault(StrEnum):
    """Faults a power bank under test can have."""

    NONE = "none"
    WEAK_CELL = "weak_cell"
    """An aged or under-size cell: 45 % of the marked capacity, three times the resistance."""
    NO_SHORT_PROTECTION = "no_short_protection"
    """Short-circuit and over-current protection missing: the boost sits in current limit."""
    POOR_REGULATION = "poor_regulation"
    """Output sags with load and cell voltage: about 4.5 V at the rated 2 A."""
    HIGH_RIPPLE = "high_ripple"
    """Dried-out output capacitor: little capacitance, high ESR; ripple well above 200 mV."""
    OVERHEATING = "overheating"
    """Poor heat path and a lossy switch: heats past 60 °C at rated load."""


@dataclass(frozen=True)
class PowerBankSpec:
    """Design values of a power bank; the nameplate values are the ``rated_*`` ones.

    Defaults describe a typical 5000 mAh bank: "5000 mAh 3.7 V 18.5 Wh, rated capacity
    3000 mAh (5 V 2 A), input 5 V 2 A, output 5 V 2 A".
    """

    # nameplate
    cell_capacity_mah: float = 5000.0
    cell_nominal_voltage_v: float = 3.7
    rated_capacity_mah: float = 3000.0
    """Capacity marked for the output, mAh at the rated output voltage and current."""
    rated_output_voltage_v: float = 5.0
    rated_output_current_a: float = 2.0
    rated_input_voltage_v: float = 5.0
    rated_input_current_a: float = 2.0
    # cell (parallel block plus protection MOSFETs and wiring)
    cell_r0_ohm: float = 0.040
    cell_r1_ohm: float = 0.020
    cell_tau_s: float = 60.0
    capacity_fade_per_cycle: float = 0.0
    """Cell ageing: fraction of the initial capacity lost per equivalent full cycle."""
    # charger
    charge_current_a: float = 2.0
    charge_voltage_v: float = 4.20
    termination_fraction_c: float = 0.10
    """Termination current as a fraction of C (C/10)."""
    precharge_threshold_v: float = 3.0
    precharge_fraction_c: float = 0.10
    recharge_threshold_v: float = 4.05
    charger_efficiency: float = 0.90
    charger_quiescent_w: float = 0.05
    input_uvlo_v: float = 4.4
    input_ovp_v: float = 6.2
    charge_temperature_max_c: float = 45.0
    # boost converter
    output_setpoint_v: float = 5.10
    load_line_ohm: float = 0.04
    line_regulation_v_per_v: float = 0.02
    """Output drop per volt the cell is below full."""
    current_limit_a: float = 3.5
    converter_idle_loss_w: float = 0.02
    converter_fixed_loss_w: float = 0.15
    converter_linear_loss_v: float = 0.20
    converter_resistive_loss_ohm: float = 0.15
    """Conduction loss ``I_out^2 * R`` referred to the output, at a 3.7 V cell."""
    switching_frequency_hz: float = 500e3
    output_capacitance_f: float = 44e-6
    output_esr_ohm: float = 0.005
    standby_power_w: float = 0.002
    # protection
    protection_short_circuit: bool = True
    protection_over_current: bool = True
    short_circuit_v: float = 2.5
    over_current_a: float = 2.6
    over_current_delay_s: float = 1.0
    retry_s: float = 2.0
    over_discharge_v: float = 3.0
    over_discharge_delay_s: float = 1.0
    over_temperature_c: float = 70.0
    over_temperature_release_c: float = 60.0
    # thermal (cell and board as one node in the case)
    heat_capacity_j_per_k: float = 180.0
    thermal_resistance_k_per_w: float = 10.0

    @property
    def cell_capacity_ah(self) -> float:
        """Marked cell capacity, Ah."""
        return self.cell_capacity_mah / 1000.0

    @property
    def cell_energy_wh(self) -> float:
        """Marked cell energy (capacity at the nominal cell voltage), Wh."""
        return self.cell_capacity_ah * self.cell_nominal_voltage_v

    @property
    def termination_current_a(self) -> float:
        """Charge termination current, A (C/10 of the marked cell capacity by default)."""
        return self.termination_fraction_c * self.cell_capacity_ah

    @property
    def precharge_current_a(self) -> float:
        """Pre-charge current for a deeply discharged cell, A."""
        return self.precharge_fraction_c * self.cell_capacity_ah


def apply_faults(spec: PowerBankSpec, faults: Iterable[PowerBankFault]) -> PowerBankSpec:
    """The physical parameters of a unit built to ``spec`` that has ``faults``.

    The nameplate (``rated_*``, ``cell_capacity_mah``) of the result is the *actual* cell, so
    keep the original spec for what the label claims.
    """
    actual = spec
    for fault in set(faults):
        if fault is PowerBankFault.WEAK_CELL:
            actual = dataclasses.replace(
                actual,
                cell_capacity_mah=actual.cell_capacity_mah * 0.45,
                cell_r0_ohm=actual.cell_r0_ohm * 3.0,
                cell_r1_ohm=actual.cell_r1_ohm * 2.0,
            )
        elif fault is PowerBankFault.NO_SHORT_PROTECTION:
            actual = dataclasses.replace(
                actual, protection_short_circuit=False, protection_over_current=False
            )
        elif fault is PowerBankFault.POOR_REGULATION:
            actual = dataclasses.replace(
                actual, output_setpoint_v=5.0, load_line_ohm=0.25, line_regulation_v_per_v=0.15
            )
        elif fault is PowerBankFault.HIGH_RIPPLE:
            actual = dataclasses.replace(actual, output_capacitance_f=4.7e-6, output_esr_ohm=0.12)
        elif fault is PowerBankFault.OVERHEATING:
            actual = dataclasses.replace(
                actual,
                thermal_resistance_k_per_w=28.0,
                converter_resistive_loss_ohm=actual.converter_resistive_loss_ohm + 0.25,
            )
    return actual
