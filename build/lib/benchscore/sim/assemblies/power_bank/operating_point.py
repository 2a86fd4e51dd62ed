"""What flows in a power bank at one instant: the output, the cell and the input together."""

from __future__ import annotations

from dataclasses import dataclass

from benchscore.sim.assemblies.power_bank.boost import BoostConverter
from benchscore.sim.assemblies.power_bank.charger import ChargePhase, Charger
from benchscore.sim.assemblies.power_bank.loads import Load


@dataclass(frozen=True)
class OperatingPoint:
    """Everything flowing in the bank at one instant (cell current positive = discharge)."""

    output_voltage_v: float
    output_current_a: float
    cell_current_a: float
    cell_voltage_v: float
    charge_current_a: float
    """Current the charger pushes into the cell node, A (>= 0)."""
    input_voltage_v: float
    input_current_a: float
    converter_loss_w: float
    charger_loss_w: float
    charge_phase: ChargePhase
    cell_power_limited: bool
    """The converter asked for more power than the cell can give (its input collapses)."""


def solve_operating_point(
    boost: BoostConverter,
    charger: Charger,
    load: Load | None,
    *,
    output_enabled: bool,
    supply_v: float | None,
    dt_s: float,
) -> OperatingPoint:
    """The operating point for the present state with the input at ``supply_v``.

    The boost draws what the output needs from the cell node; the charger, if the supply
    allows, feeds that node and the cell takes the rest. ``dt_s`` > 0 solves the charger's
    constant-voltage loop implicitly over a step.
    """
    a = boost.spec
    cell = boost.cell
    # output side
    if output_enabled and load is not None:
        output_v, output_a = boost.solve(load)
        converter_loss_w = boost.loss_w(output_a)
        converter_in_w = output_v * output_a + converter_loss_w
    elif output_enabled:
        output_v, output_a = boost.open_voltage_v(), 0.0
        converter_loss_w = a.converter_idle_loss_w
        converter_in_w = converter_loss_w
    else:
        output_v, output_a = 0.0, 0.0
        converter_loss_w = a.standby_power_w
        converter_in_w = converter_loss_w
    boost_a = cell.current_for_power_a(converter_in_w)
    power_limited = boost_a is None
    if boost_a is None:
        boost_a = cell.source_voltage_v() / (2.0 * cell.series_resistance_ohm())
    # input side
    phase, cell_a, charge_a = charger.cell_side(supply_v, boost_a, dt_s)
    cell_v = cell.terminal_voltage_v(cell_a)
    charger_loss_w, input_a = charger.input_side(supply_v, cell_v, charge_a)
    return OperatingPoint(
        output_voltage_v=output_v,
        output_current_a=output_a,
        cell_current_a=cell_a,
        cell_voltage_v=cell_v,
        charge_current_a=charge_a,
        input_voltage_v=0.0 if supply_v is None else supply_v,
        input_current_a=input_a,
        converter_loss_w=converter_loss_w,
        charger_loss_w=charger_loss_w,
        charge_phase=phase,
        cell_power_limited=power_limited,
    )
