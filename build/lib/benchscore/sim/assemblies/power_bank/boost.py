"""The boost converter from the cell to the USB output: output curve, losses, ripple.

Output voltage ``setpoint - load_line * I - line regulation * (4.2 V - cell)`` up to a current
limit; losses ``a + b I + c I^2`` (about 90 % peak efficiency); output ripple of a boost in
continuous conduction from the output capacitance and its ESR.
"""

from __future__ import annotations

import math

from benchscore.sim.assemblies.battery import Cell
from benchscore.sim.assemblies.power_bank.loads import Load
from benchscore.sim.assemblies.power_bank.spec import PowerBankSpec


class BoostConverter:
    """The converter of a bank built to ``spec`` (the actual one), fed from ``cell``."""

    def __init__(self, spec: PowerBankSpec, cell: Cell) -> None:
        self.spec = spec
        self.cell = cell

    def open_voltage_v(self) -> float:
        """Output with no load: setpoint less the line-regulation drop, V."""
        a = self.spec
        drop_v = a.line_regulation_v_per_v * max(0.0, self.cell.full_voltage_v - self.cell.ocv_v())
        return a.output_setpoint_v - drop_v

    def solve(self, load: Load) -> tuple[float, float]:
        """``(voltage_v, current_a)`` where ``load`` meets the output curve now."""
        a = self.spec
        return load.solve(self.open_voltage_v(), max(a.load_line_ohm, 1e-6), a.current_limit_a)

    def loss_w(self, output_current_a: float) -> float:
        """Power lost in the converter delivering ``output_current_a`` (A), W.

        The conduction loss scales with the square of the nominal over the present cell
        voltage (the input current rises as the cell sags).
        """
        a = self.spec
        if output_current_a <= 0:
            return a.converter_idle_loss_w
        source_v = max(self.cell.source_voltage_v(), 1.0)
        scale = (a.cell_nominal_voltage_v / source_v) ** 2
        fixed_w = a.converter_idle_loss_w + (a.converter_fixed_loss_w - a.converter_idle_loss_w) * (
            1.0 - math.exp(-output_current_a / 0.1)
        )
        return (
            fixed_w
            + a.converter_linear_loss_v * output_current_a
            + a.converter_resistive_loss_ohm * output_current_a * output_current_a * scale
        )

    def ripple_terms(self, current_a: float, output_v: float) -> tuple[float, float, float]:
        """Capacitor and ESR parts of the p-p ripple (V) and the boost duty cycle."""
        if current_a <= 0 or output_v <= 0:
            return 0.0, 0.0, 0.0
        a = self.spec
        duty = min(0.9, max(0.0, 1.0 - self.cell.source_voltage_v() / output_v))
        capacitor_v = current_a * duty / (a.switching_frequency_hz * a.output_capacitance_f)
        esr_v = a.output_esr_ohm * current_a / (1.0 - duty)
        return capacitor_v, esr_v, duty

    def ripple_pp_v(self, current_a: float, output_v: float) -> float:
        """Peak-to-peak switching ripple at ``current_a`` (A) and ``output_v`` (V), V."""
        capacitor_v, esr_v, _duty = self.ripple_terms(current_a, output_v)
        return capacitor_v + esr_v

    def ripple_v(self, t_s: float, current_a: float, output_v: float) -> float:
        """Instantaneous ripple (zero mean) at ``t_s`` (s), at ``current_a`` and ``output_v``.

        While the switch is on, the output capacitor alone feeds the load (linear fall plus
        an ESR step of ``-I``); while it is off, the inductor current ``I / (1 - D)``
        recharges it.
        """
        capacitor_v, _esr_v, duty = self.ripple_terms(current_a, output_v)
        if current_a <= 0 or output_v <= 0:
            return 0.0
        esr_ohm = self.spec.output_esr_ohm
        phase = (t_s * self.spec.switching_frequency_hz) % 1.0
        if phase < duty:
            cap_v = -capacitor_v * phase / duty if duty > 0 else 0.0
            capacitor_current_a = -current_a
        else:
            cap_v = -capacitor_v * (1.0 - phase) / (1.0 - duty)
            capacitor_current_a = current_a * duty / (1.0 - duty)
        return cap_v + 0.5 * capacitor_v + esr_ohm * capacitor_current_a
