"""The charger from the USB input: input window, pre-charge, CC, CV and termination.

Pre-charge below 3.0 V, constant current, constant voltage at 4.2 V, termination at C/10
(latched until the cell falls below the recharge threshold), input under-/over-voltage lockout,
no charging above 45 °C, and an input current limit.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from benchscore.sim.assemblies.battery import Cell
from benchscore.sim.assemblies.power_bank.spec import PowerBankSpec

SupplySource = Callable[[], "float | None"]
"""The voltage a connected supply presents right now, V (None or <= 0: disconnected)."""


class ChargePhase(StrEnum):
    """What the charger is doing."""

    NO_INPUT = "no_input"
    INPUT_FAULT = "input_fault"
    """Supply outside the input window, or the bank is too hot to charge."""
    PRECHARGE = "precharge"
    CONSTANT_CURRENT = "cc"
    CONSTANT_VOLTAGE = "cv"
    DONE = "done"


class Charger:
    """The charger of a bank built to ``spec`` (the actual one), charging ``cell``."""

    def __init__(self, spec: PowerBankSpec, cell: Cell) -> None:
        self.spec = spec
        self.cell = cell
        self.done = False
        """Charge terminated (latched until the cell falls below the recharge threshold)."""

    def supply_valid(self, supply_v: float | None) -> bool:
        """Whether a supply at ``supply_v`` (V; None: none) is inside the input window."""
        a = self.spec
        return supply_v is not None and a.input_uvlo_v <= supply_v <= a.input_ovp_v

    def charge_limit(self, supply_v: float, boost_a: float) -> tuple[ChargePhase, float]:
        """Phase before the CV check, and the most current the charger may push now, A."""
        a = self.spec
        if self.done:
            return ChargePhase.DONE, 0.0
        if self.cell.terminal_voltage_v(boost_a) < a.precharge_threshold_v:
            return ChargePhase.PRECHARGE, a.precharge_current_a
        input_limit_a = (
            (supply_v * a.rated_input_current_a - a.charger_quiescent_w)
            * a.charger_efficiency
            / a.charge_voltage_v
        )
        return ChargePhase.CONSTANT_CURRENT, max(0.0, min(a.charge_current_a, input_limit_a))

    def cell_side(
        self, supply_v: float | None, boost_a: float, dt_s: float
    ) -> tuple[ChargePhase, float, float]:
        """``(phase, cell_current_a, charge_current_a)`` with the boost drawing ``boost_a``.

        The cell current is positive for discharge; the charge current is what the charger
        pushes into the cell node (>= 0). ``dt_s`` > 0 solves the constant-voltage loop
        implicitly over a step.
        """
        a = self.spec
        cell = self.cell
        charge_a = 0.0
        cell_a = boost_a
        phase = ChargePhase.NO_INPUT
        if supply_v is not None:
            phase = ChargePhase.INPUT_FAULT
            if self.supply_valid(supply_v) and cell.temperature_c <= a.charge_temperature_max_c:
                phase, charge_max_a = self.charge_limit(supply_v, boost_a)
                if charge_max_a > 0:
                    cv_cell_a = cell.current_for_terminal_voltage_a(a.charge_voltage_v, dt_s)
                    cc_cell_a = boost_a - charge_max_a
                    cell_a = max(cc_cell_a, cv_cell_a)
                    charge_a = max(0.0, boost_a - cell_a)
                    if cv_cell_a > cc_cell_a and phase is ChargePhase.CONSTANT_CURRENT:
                        phase = ChargePhase.CONSTANT_VOLTAGE
        return phase, cell_a, charge_a

    def input_side(
        self, supply_v: float | None, cell_v: float, charge_a: float
    ) -> tuple[float, float]:
        """``(charger_loss_w, input_current_a)`` delivering ``charge_a`` (A) at ``cell_v``."""
        a = self.spec
        charger_loss_w = 0.0
        input_a = 0.0
        if supply_v is not None and supply_v > 0 and self.supply_valid(supply_v):
            delivered_w = max(0.0, cell_v) * charge_a
            charger_loss_w = (
                delivered_w * (1.0 / a.charger_efficiency - 1.0) + a.charger_quiescent_w
            )
            input_a = (delivered_w + charger_loss_w) / supply_v
        return charger_loss_w, input_a

    def restart_if_due(self, supply_valid: bool) -> None:
        """Unlatch termination when the supply goes or the cell sags below the threshold."""
        if not supply_valid or self.done and self.cell.ocv_v() < self.spec.recharge_threshold_v:
            self.done = False

    def terminates(self, phase: ChargePhase, cell_current_a: float) -> bool:
        """Whether the CV current has fallen to the termination current (C/10)."""
        return (
            phase is ChargePhase.CONSTANT_VOLTAGE
            and -cell_current_a <= self.spec.termination_current_a
        )
