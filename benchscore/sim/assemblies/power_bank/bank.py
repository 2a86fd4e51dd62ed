"""The power bank: its parts wired to one cell and integrated lazily against the clock.

Every public call first integrates up to ``clock.monotonic()`` (:meth:`PowerBank.advance_to`)
with the load and supply that were set, in fixed steps of ``step_s``, split exactly at
protection events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchscore.clock import Clock
from benchscore.sim.assemblies.battery import Cell, ThermalNode
from benchscore.sim.assemblies.power_bank.boost import BoostConverter
from benchscore.sim.assemblies.power_bank.charger import ChargePhase, Charger, SupplySource
from benchscore.sim.assemblies.power_bank.loads import (
    ConstantCurrentLoad,
    CurrentSource,
    FunctionLoad,
    Load,
    LoadFunction,
    PolledLoad,
    ResistiveLoad,
)
from benchscore.sim.assemblies.power_bank.operating_point import (
    OperatingPoint,
    solve_operating_point,
)
from benchscore.sim.assemblies.power_bank.protection import Protection, ProtectionTrip
from benchscore.sim.assemblies.power_bank.spec import PowerBankFault, PowerBankSpec, apply_faults


@dataclass
class _Meter:
    """Energy (Wh) and charge (Ah) through one port since creation."""

    energy_wh: float = 0.0
    charge_ah: float = 0.0

    def add(self, voltage_v: float, current_a: float, hours: float) -> None:
        self.energy_wh += voltage_v * current_a * hours
        self.charge_ah += current_a * hours


class PowerBank:
    """A power bank under test, integrated against ``clock``.

    ``faults`` is one :class:`PowerBankFault` or several. ``spec`` is what the label claims;
    :attr:`actual` holds the physics after the faults. The bank starts at
    ``initial_state_of_charge`` and at ``ambient_c``, with no load and no charger.
    """

    def __init__(
        self,
        clock: Clock,
        spec: PowerBankSpec | None = None,
        faults: PowerBankFault | Iterable[PowerBankFault] = PowerBankFault.NONE,
        *,
        initial_state_of_charge: float = 1.0,
        ambient_c: float = 25.0,
        step_s: float = 1.0,
    ) -> None:
        if step_s <= 0:
            raise ValueError(f"step must be positive, got {step_s} s")
        self.clock = clock
        self.spec = spec or PowerBankSpec()
        fault_set = {faults} if isinstance(faults, PowerBankFault) else set(faults)
        fault_set.discard(PowerBankFault.NONE)
        self.faults: frozenset[PowerBankFault] = frozenset(fault_set)
        self.actual = apply_faults(self.spec, self.faults)
        self.step_s = step_s
        a = self.actual
        self.cell = Cell(
            capacity_ah=a.cell_capacity_ah,
            state_of_charge=initial_state_of_charge,
            r0_ohm=a.cell_r0_ohm,
            r1_ohm=a.cell_r1_ohm,
            tau_s=a.cell_tau_s,
            thermal=ThermalNode(
                temperature_c=ambient_c,
                ambient_c=ambient_c,
                heat_capacity_j_per_k=a.heat_capacity_j_per_k,
                thermal_resistance_k_per_w=a.thermal_resistance_k_per_w,
            ),
            max_step_s=step_s,
            capacity_fade_per_cycle=a.capacity_fade_per_cycle,
        )
        self._boost = BoostConverter(a, self.cell)
        self._charger = Charger(a, self.cell)
        self._protection = Protection(a)
        self._lock = threading.RLock()
        self._t_s = clock.monotonic()
        self._load: Load | None = None
        self._supply_v: float | None = None
        self._supply_source: SupplySource | None = None
        self._busy = False
        self._output_meter = _Meter()
        self._input_meter = _Meter()
        self._peak_temperature_c = ambient_c

    # -- ground truth (what the instruments should measure) -------------------------------

    @property
    def output_energy_wh(self) -> float:
        """Energy delivered at the output since creation, Wh."""
        with self._at_now():
            return self._output_meter.energy_wh

    @property
    def output_charge_ah(self) -> float:
        """Charge delivered at the output since creation, Ah."""
        with self._at_now():
            return self._output_meter.charge_ah

    @property
    def input_energy_wh(self) -> float:
        """Energy drawn from the USB input since creation, Wh."""
        with self._at_now():
            return self._input_meter.energy_wh

    @property
    def input_charge_ah(self) -> float:
        """Charge drawn from the USB input since creation, Ah."""
        with self._at_now():
            return self._input_meter.charge_ah

    @property
    def peak_temperature_c(self) -> float:
        """Highest temperature reached since creation (at step ends), °C."""
        with self._at_now():
            return self._peak_temperature_c

    # -- clock ----------------------------------------------------------------------------

    @property
    def time_s(self) -> float:
        """Simulated time the state is at, s (the clock's monotonic time)."""
        return self._t_s

    def advance_to(self, t_s: float | None = None) -> None:
        """Integrate the physics up to ``t_s`` (default: the clock's monotonic time)."""
        target_s = self.clock.monotonic() if t_s is None else t_s
        with self._lock:
            if self._busy:  # called back by a connected instrument while integrating
                return
            self._busy = True
            try:
                while target_s - self._t_s > 1e-9:
                    self._update_state()
                    dt_s = min(self.step_s, target_s - self._t_s)
                    event_s = self._protection.next_event_s()
                    if event_s is not None and event_s > self._t_s:
                        dt_s = min(dt_s, event_s - self._t_s)
                    self._integrate(dt_s, self._point(dt_s))
                    self._t_s += dt_s
                self._update_state()
            finally:
                self._busy = False

    @contextmanager
    def _at_now(self) -> Iterator[None]:
        """Integrate to the clock's time, then hold the state there for a query or a change.

        Inside, the bank is busy: an instrument asked for its load current (which calls
        back into :meth:`output_voltage_v`) gets pure answers from the present state.
        """
        with self._lock:
            self.advance_to()
            with self._held():
                yield

    @contextmanager
    def _held(self) -> Iterator[None]:
        """Hold the state as it is (no integration), answering callbacks purely."""
        with self._lock:
            outer = self._busy
            self._busy = True
            try:
                yield
            finally:
                self._busy = outer

    # -- what the test station sets -------------------------------------------------------

    def set_load_current_a(self, current_a: float) -> None:
        """Attach a constant-current load (an electronic load in CC mode); 0 removes it."""
        if current_a < 0:
            raise ValueError(f"load current must not be negative, got {current_a} A")
        self._set_load(ConstantCurrentLoad(current_a) if current_a > 0 else None)

    def set_load_resistance_ohm(self, resistance_ohm: float | None) -> None:
        """Attach a resistive load (a short is a few tens of milliohms); ``None`` removes it."""
        if resistance_ohm is not None and resistance_ohm <= 0:
            raise ValueError(f"load resistance must be positive, got {resistance_ohm} ohm")
        self._set_load(None if resistance_ohm is None else ResistiveLoad(resistance_ohm))

    def set_load(self, load: LoadFunction | None) -> None:
        """Attach a load given as ``current_a = load(voltage_v)`` (non-decreasing in V)."""
        self._set_load(None if load is None else FunctionLoad(load))

    def set_load_current_source(self, source: CurrentSource | None) -> None:
        """Attach an instrument that solves its own operating point.

        ``source()`` returns the current it draws now; it is polled at every step and query.
        Typical wiring to an electronic-load model whose voltage source is this bank::

            load = ElectronicLoadModel(bank.output_voltage_v, ..., clock=clock)
            bank.set_load_current_source(lambda: load.operating_point().current_a)

        Calls back into :meth:`output_voltage_v` from ``source`` are answered from the
        present state without integrating, so there is no recursion.
        """
        self._set_load(None if source is None else PolledLoad(source))

    def remove_load(self) -> None:
        """Disconnect the output."""
        self._set_load(None)

    def _set_load(self, load: Load | None) -> None:
        with self._at_now():
            self._load = load
            self._update_state()

    def apply_charger(self, voltage_v: float | None) -> None:
        """Connect a USB supply of ``voltage_v`` to the input, or disconnect it with ``None``."""
        with self._at_now():
            self._supply_source = None
            self._supply_v = voltage_v
            self._update_state()

    def set_supply_voltage_source(self, source: SupplySource | None) -> None:
        """Connect a supply whose voltage is polled: ``source()`` gives volts now.

        Typical wiring to a bench-supply model whose load is this bank::

            supply = SupplyModel(bank.input_current_a, ..., clock=clock)
            bank.set_supply_voltage_source(lambda: supply.operating_point().voltage_v)
        """
        with self._at_now():
            self._supply_source = source
            self._supply_v = None
            self._update_state()

    @property
    def ambient_c(self) -> float:
        """Ambient temperature around the bank, °C."""
        return self.cell.thermal.ambient_c

    @ambient_c.setter
    def ambient_c(self, value_c: float) -> None:
        with self._at_now():
            self.cell.thermal.ambient_c = value_c

    # -- what instruments read ------------------------------------------------------------

    def operating_point(self) -> OperatingPoint:
        """Everything flowing in the bank now."""
        with self._at_now():
            return self._point(0.0)

    def output_operating_point(self) -> tuple[float, float]:
        """``(output_voltage_v, output_current_a)`` now, for a shunt monitor's ``source``."""
        point = self.operating_point()
        return point.output_voltage_v, point.output_current_a

    def input_operating_point(self) -> tuple[float, float]:
        """``(input_voltage_v, input_current_a)`` now at the USB input."""
        point = self.operating_point()
        return point.input_voltage_v, point.input_current_a

    def output_voltage_v(self, load_current_a: float | None = None) -> float:
        """Output voltage now, V.

        With ``load_current_a`` None: at the attached load. With a current: what the output
        would read with a constant-current load of that value now (the attached load, which
        is what discharges the cell, is not changed). 0 V while a protection has tripped.
        """
        with self._at_now():
            if load_current_a is None:
                return self._point(0.0).output_voltage_v
            if not self._protection.output_enabled:
                return 0.0
            return self._boost.solve(ConstantCurrentLoad(load_current_a))[0]

    def output_current_a(self) -> float:
        """Current the attached load draws now, A."""
        return self.operating_point().output_current_a

    def input_current_a(self, supply_v: float | None = None) -> float:
        """Current drawn from the USB input now, A.

        ``supply_v`` None: at the supply set with :meth:`apply_charger` (0 without one). A
        value: what the bank would draw from a supply at that voltage now.
        """
        with self._at_now():
            if supply_v is None:
                return self._point(0.0).input_current_a
            return self._operating_point(0.0, supply_v).input_current_a

    @property
    def charge_current_a(self) -> float:
        """Net current into the cell from the charger now, A (>= 0)."""
        return self.operating_point().charge_current_a

    @property
    def charge_phase(self) -> ChargePhase:
        """What the charger is doing now."""
        return self.operating_point().charge_phase

    @property
    def cell_voltage_v(self) -> float:
        """Cell terminal voltage now, V."""
        return self.operating_point().cell_voltage_v

    @property
    def cell_nominal_v(self) -> float:
        """Nominal cell voltage the loss figures are referred to, V."""
        return self.actual.cell_nominal_voltage_v

    @property
    def state_of_charge(self) -> float:
        """Cell state of charge now, 0..1."""
        with self._at_now():
            return self.cell.state_of_charge

    @property
    def temperature_c(self) -> float:
        """Temperature of the bank (cell and board) now, °C."""
        with self._at_now():
            return self.cell.temperature_c

    @property
    def protection_tripped(self) -> bool:
        """True while a protection holds the output off."""
        return self.trip_reason is not None

    @property
    def trip_reason(self) -> ProtectionTrip | None:
        """The protection holding the output off now, if any."""
        with self._at_now():
            return self._protection.trip

    @property
    def trip_count(self) -> int:
        """How many times a protection has tripped since creation."""
        with self._at_now():
            return self._protection.trip_count

    def ripple_pp_v(self, load_current_a: float | None = None) -> float:
        """Peak-to-peak switching ripple on the output, V (at the attached or given load)."""
        with self._at_now():
            return self._boost.ripple_pp_v(*self._ripple_operating_point(load_current_a))

    def output_ripple_v(self, t_s: float) -> float:
        """Instantaneous switching ripple at time ``t_s`` (zero mean), V.

        Add it to :meth:`output_voltage_v` to get what an oscilloscope or fast ADC sees. The
        waveform is that of a boost in continuous conduction
        (:meth:`BoostConverter.ripple_v`). The state is taken as it is (no integration to
        ``t_s``), so sampling many points inside one clock tick is cheap.
        """
        with self._held():
            return self._boost.ripple_v(t_s, *self._ripple_operating_point(None))

    # -- physics --------------------------------------------------------------------------

    def _present_supply_v(self) -> float | None:
        if self._supply_source is None:
            return self._supply_v
        voltage_v = self._supply_source()
        return voltage_v if voltage_v is not None and voltage_v > 0 else None

    def _point(self, dt_s: float) -> OperatingPoint:
        return self._operating_point(dt_s, self._present_supply_v())

    def _operating_point(self, dt_s: float, supply_v: float | None) -> OperatingPoint:
        return solve_operating_point(
            self._boost,
            self._charger,
            self._load,
            output_enabled=self._protection.output_enabled,
            supply_v=supply_v,
            dt_s=dt_s,
        )

    def _integrate(self, dt_s: float, point: OperatingPoint) -> None:
        hours = dt_s / 3600.0
        self._output_meter.add(point.output_voltage_v, point.output_current_a, hours)
        self._input_meter.add(point.input_voltage_v, point.input_current_a, hours)
        extra_heat_w = point.converter_loss_w + point.charger_loss_w
        self.cell.advance(dt_s, point.cell_current_a, extra_heat_w)
        self._peak_temperature_c = max(self._peak_temperature_c, self.cell.temperature_c)

    def _update_state(self) -> None:
        """Protection and charger state machines at the present time."""
        now_s = self._t_s
        temperature_c = self.cell.temperature_c
        supply_v = self._present_supply_v()
        charger_valid = self._charger.supply_valid(supply_v)
        self._protection.release(now_s, temperature_c, charger_valid)
        self._charger.restart_if_due(charger_valid)
        point = self._operating_point(0.0, supply_v)
        if self._charger.terminates(point.charge_phase, point.cell_current_a):
            self._charger.done = True
            point = self._operating_point(0.0, supply_v)
        self._protection.check(
            now_s,
            temperature_c,
            point,
            load_attached=self._load is not None,
            charger_valid=charger_valid,
        )

    def _ripple_operating_point(self, load_current_a: float | None) -> tuple[float, float]:
        """``(current_a, output_v)`` at the attached load (None) or at ``load_current_a``."""
        if not self._protection.output_enabled:
            return 0.0, 0.0
        if load_current_a is None:
            if self._load is None:
                return 0.0, self._boost.open_voltage_v()
            output_v, current_a = self._boost.solve(self._load)
            return current_a, output_v
        output_v, current_a = self._boost.solve(ConstantCurrentLoad(load_current_a))
        return current_a, output_v
