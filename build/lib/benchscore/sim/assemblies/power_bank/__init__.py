"""Physics of a USB power bank under test: cell, charger, boost converter, protection, heat.

The model is lazy and driven by the clock seam. The bank keeps its state at a simulated time;
every public call first integrates up to ``clock.monotonic()`` (``advance_to``) with the load
and supply that were set, in fixed steps of ``step_s`` (1 s), split exactly at protection
events (over-current delay, retry). A two-hour discharge is 7200 small steps, so it runs in
well under a second on a :class:`~benchscore.clock.SimClock`.

Blocks, one module each, all in one lumped thermal node (cell plus board in the case):

* **Cell** (:class:`~benchscore.sim.assemblies.battery.Cell`): OCV-SOC, R0 + RC, heat; the
  converter's and charger's losses heat the same node.
* **Charger** (:mod:`.charger`) from a USB supply: pre-charge below 3.0 V, constant current,
  constant voltage at 4.2 V, termination at C/10 (latched until the cell falls below the
  recharge threshold), input under-/over-voltage lockout, no charging above 45 °C, input
  current limit.
* **Boost converter** (:mod:`.boost`) to the USB output: output voltage ``setpoint -
  load_line * I - line regulation * (4.2 V - cell)``, a current limit, losses ``a + b I +
  c I^2`` (about 90 % peak efficiency), output ripple of a CCM boost from the output
  capacitance and its ESR.
* **Protection** (:mod:`.protection`): short circuit (output collapses below
  ``short_circuit_v``, immediate), over-current (above ``over_current_a`` for
  ``over_current_delay_s``), both with automatic retry every ``retry_s`` (hiccup: the output
  comes back once the overload is gone); over-discharge (cell under load below
  ``over_discharge_v`` for ``over_discharge_delay_s``, latched until a charger is connected);
  over-temperature with hysteresis.

The rest: :mod:`.spec` (design values, faults), :mod:`.loads` (what the output drives),
:mod:`.operating_point` (the blocks solved together at one instant) and :mod:`.bank` (the
:class:`PowerBank`: state, clock, what stations set and instruments read).

How instruments use it: a load is attached with :meth:`PowerBank.set_load_current_a`,
:meth:`PowerBank.set_load_resistance_ohm`, :meth:`PowerBank.set_load` (a callable
``voltage_v -> current_a``) or :meth:`PowerBank.set_load_current_source` (an instrument model
that solves its own operating point against :meth:`PowerBank.output_voltage_v`); that is what
discharges the cell between queries. A supply is a fixed :meth:`PowerBank.apply_charger` or a
polled :meth:`PowerBank.set_supply_voltage_source`. Queries
(:meth:`PowerBank.output_voltage_v`, :meth:`PowerBank.output_operating_point`,
:meth:`PowerBank.input_current_a`, ...) report the present operating point. Passing a
``load_current_a`` to :meth:`PowerBank.output_voltage_v` asks what the output would read at
that current now, without changing the attached load.
"""

from benchscore.sim.assemblies.power_bank.bank import PowerBank
from benchscore.sim.assemblies.power_bank.charger import ChargePhase, SupplySource
from benchscore.sim.assemblies.power_bank.loads import CurrentSource, LoadFunction
from benchscore.sim.assemblies.power_bank.operating_point import OperatingPoint
from benchscore.sim.assemblies.power_bank.protection import ProtectionTrip
from benchscore.sim.assemblies.power_bank.spec import PowerBankFault, PowerBankSpec, apply_faults

__all__ = [
    "ChargePhase",
    "CurrentSource",
    "LoadFunction",
    "OperatingPoint",
    "PowerBank",
    "PowerBankFault",
    "PowerBankSpec",
    "ProtectionTrip",
    "SupplySource",
    "apply_faults",
]
