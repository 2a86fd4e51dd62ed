"""Physics of a USB power bank under test: cell, charger, boost converter, protection, heat.

The model is lazy and driven by the clock seam. The bank keeps its state at a simulated time;
every public call first integrates up to ``clock.monotonic()`` (``advance_to``) with the load
and supply that were set, in fixed steps of ``step_s`` (1 s), split exactly at protection
events (over-current delay, retry). A two-hour discharge is 7200 small steps, so it runs in
well under a second on a :class:`~benchscore.clock.SimClock`.

Blocks, all in one lumped thermal node (cell plus board in the case):

* **Cell** (:class:`~benchscore.sim.assemblies.battery.Cell`): OCV-SOC, R0 + RC, heat.
* **Charger** from a USB supply: pre-charge below 3.0 V, constant current, constant voltage
  at 4.2 V, termination at C/10 (latched until the cell falls below the recharge threshold),
  input under-/over-voltage lockout, no charging above 45 °C, input current limit.
* **Boost converter** to the USB output: output voltage ``setpoint - load_line * I - line
  regulation * (4.2 V - cell)``, a current limit, losses ``a + b I + c I^2`` (about 90 % peak
  efficiency), output ripple of a CCM boost from the output capacitance and its ESR.
* **Protection**: short circuit (output collapses below ``short_circuit_v``, immediate),
  over-current (above ``over_current_a`` for ``over_current_delay_s``), both with automatic
  retry every ``retry_s`` (hiccup: the output comes back once the overload is gone);
  over-discharge (cell under load below ``over_discharge_v`` for ``over_discharge_delay_s``,
  latched until a charger is connected); over-temperature with hysteresis.

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

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from benchscore.clock import Clock
from benchscore.sim.assemblies.battery import Cell, ThermalNode

LoadFunction = Callable[[float], float]
"""A load as a function of the output voltage (V) returning the current it draws (A)."""
CurrentSource = Callable[[], float]
"""What a connected instrument draws right now, A (polled at every integration step)."""
SupplySource = Callable[[], "float | None"]
"""The voltage a connected supply presents right now, V (None or <= 0: disconnected)."""


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


class ProtectionTrip(StrEnum):
    """Why the output is off."""

    SHORT_CIRCUIT = "short_circuit"
    OVER_CURRENT = "over_current"
    OVER_DISCHARGE = "over_discharge"
    OVER_TEMPERATURE = "over_temperature"


class ChargePhase(StrEnum):
    """What the charger is doing."""

    NO_INPUT = "no_input"
    INPUT_FAULT = "input_fault"
    """Supply outside the input window, or the bank is too hot to charge."""
    PRECHARGE = "precharge"
    CONSTANT_CURRENT = "cc"
    CONSTANT_VOLTAGE = "cv"
    DONE = "done"


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


# -- loads ----------------------------------------------------------------------------------


class _Load:
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


class _ConstantCurrentLoad(_Load):
    def __init__(self, current_a: float) -> None:
        self.set_current_a = current_a

    def current_a(self, voltage_v: float) -> float:
        return self.set_current_a

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        if self.set_current_a > limit_a:
            return 0.0, limit_a
        return max(0.0, open_v - output_r_ohm * self.set_current_a), self.set_current_a


class _ResistiveLoad(_Load):
    def __init__(self, resistance_ohm: float) -> None:
        self.resistance_ohm = resistance_ohm

    def current_a(self, voltage_v: float) -> float:
        return voltage_v / self.resistance_ohm

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        current_a = open_v / (self.resistance_ohm + output_r_ohm)
        if current_a > limit_a:
            return limit_a * self.resistance_ohm, limit_a
        return current_a * self.resistance_ohm, current_a


class _FunctionLoad(_Load):
    def __init__(self, function: LoadFunction) -> None:
        self.function = function

    def current_a(self, voltage_v: float) -> float:
        return max(0.0, self.function(voltage_v))


class _PolledLoad(_ConstantCurrentLoad):
    """An instrument that settles its own operating point: ask it what it draws now."""

    def __init__(self, source: CurrentSource) -> None:
        super().__init__(0.0)
        self.source = source

    def solve(self, open_v: float, output_r_ohm: float, limit_a: float) -> tuple[float, float]:
        self.set_current_a = max(0.0, self.source())
        return super().solve(open_v, output_r_ohm, limit_a)


# -- the power bank -------------------------------------------------------------------------


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
        )
        self._lock = threading.RLock()
        self._t_s = clock.monotonic()
        self._load: _Load | None = None
        self._supply_v: float | None = None
        self._supply_source: SupplySource | None = None
        self._busy = False
        self._trip: ProtectionTrip | None = None
        self._retry_at_s: float | None = None
        self._over_current_since_s: float | None = None
        self._over_discharge_since_s: float | None = None
        self._charge_done = False
        self._trip_count = 0
        self._output_energy_wh = 0.0
        self._output_charge_ah = 0.0
        self._input_energy_wh = 0.0
        self._input_charge_ah = 0.0
        self._peak_temperature_c = ambient_c

    # -- ground truth (what the instruments should measure) -------------------------------

    @property
    def output_energy_wh(self) -> float:
        """Energy delivered at the output since creation, Wh."""
        with self._at_now():
            return self._output_energy_wh

    @property
    def output_charge_ah(self) -> float:
        """Charge delivered at the output since creation, Ah."""
        with self._at_now():
            return self._output_charge_ah

    @property
    def input_energy_wh(self) -> float:
        """Energy drawn from the USB input since creation, Wh."""
        with self._at_now():
            return self._input_energy_wh

    @property
    def input_charge_ah(self) -> float:
        """Charge drawn from the USB input since creation, Ah."""
        with self._at_now():
            return self._input_charge_ah

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
                    event_s = self._next_event_s()
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
        self._set_load(_ConstantCurrentLoad(current_a) if current_a > 0 else None)

    def set_load_resistance_ohm(self, resistance_ohm: float | None) -> None:
        """Attach a resistive load (a short is a few tens of milliohms); ``None`` removes it."""
        if resistance_ohm is not None and resistance_ohm <= 0:
            raise ValueError(f"load resistance must be positive, got {resistance_ohm} ohm")
        self._set_load(None if resistance_ohm is None else _ResistiveLoad(resistance_ohm))

    def set_load(self, load: LoadFunction | None) -> None:
        """Attach a load given as ``current_a = load(voltage_v)`` (non-decreasing in V)."""
        self._set_load(None if load is None else _FunctionLoad(load))

    def set_load_current_source(self, source: CurrentSource | None) -> None:
        """Attach an instrument that solves its own operating point.

        ``source()`` returns the current it draws now; it is polled at every step and query.
        Typical wiring to an electronic-load model whose voltage source is this bank::

            load = ElectronicLoadModel(bank.output_voltage_v, ..., clock=clock)
            bank.set_load_current_source(lambda: load.operating_point().current_a)

        Calls back into :meth:`output_voltage_v` from ``source`` are answered from the
        present state without integrating, so there is no recursion.
        """
        self._set_load(None if source is None else _PolledLoad(source))

    def remove_load(self) -> None:
        """Disconnect the output."""
        self._set_load(None)

    def _set_load(self, load: _Load | None) -> None:
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

    def _present_supply_v(self) -> float | None:
        if self._supply_source is None:
            return self._supply_v
        voltage_v = self._supply_source()
        return voltage_v if voltage_v is not None and voltage_v > 0 else None

    def _point(self, dt_s: float) -> OperatingPoint:
        return self._operating_point(dt_s, self._present_supply_v())

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
            if not self._output_enabled():
                return 0.0
            return self._solve_output(_ConstantCurrentLoad(load_current_a))[0]

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
            return self._trip

    @property
    def trip_count(self) -> int:
        """How many times a protection has tripped since creation."""
        with self._at_now():
            return self._trip_count

    def ripple_pp_v(self, load_current_a: float | None = None) -> float:
        """Peak-to-peak switching ripple on the output, V (at the attached or given load)."""
        with self._at_now():
            current_a, output_v = self._ripple_operating_point(load_current_a)
            capacitor_v, esr_v, _duty = self._ripple_terms(current_a, output_v)
            return capacitor_v + esr_v

    def output_ripple_v(self, t_s: float) -> float:
        """Instantaneous switching ripple at time ``t_s`` (zero mean), V.

        Add it to :meth:`output_voltage_v` to get what an oscilloscope or fast ADC sees. The
        waveform is that of a boost in continuous conduction: while the switch is on, the
        output capacitor alone feeds the load (linear fall plus an ESR step of ``-I``); while
        it is off, the inductor current ``I / (1 - D)`` recharges it. The state is taken as it
        is (no integration to ``t_s``), so sampling many points inside one clock tick is cheap.
        """
        with self._held():
            current_a, output_v = self._ripple_operating_point(None)
            capacitor_v, _esr_v, duty = self._ripple_terms(current_a, output_v)
        if current_a <= 0 or output_v <= 0:
            return 0.0
        esr_ohm = self.actual.output_esr_ohm
        phase = (t_s * self.actual.switching_frequency_hz) % 1.0
        if phase < duty:
            cap_v = -capacitor_v * phase / duty if duty > 0 else 0.0
            capacitor_current_a = -current_a
        else:
            cap_v = -capacitor_v * (1.0 - phase) / (1.0 - duty)
            capacitor_current_a = current_a * duty / (1.0 - duty)
        return cap_v + 0.5 * capacitor_v + esr_ohm * capacitor_current_a

    # -- physics --------------------------------------------------------------------------

    def _output_enabled(self) -> bool:
        return self._trip is None

    def _output_open_v(self) -> float:
        """Boost output with no load: setpoint less the line-regulation drop, V."""
        a = self.actual
        drop_v = a.line_regulation_v_per_v * max(0.0, self.cell.full_voltage_v - self.cell.ocv_v())
        return a.output_setpoint_v - drop_v

    def _solve_output(self, load: _Load) -> tuple[float, float]:
        a = self.actual
        return load.solve(self._output_open_v(), max(a.load_line_ohm, 1e-6), a.current_limit_a)

    def _converter_loss_w(self, output_current_a: float) -> float:
        a = self.actual
        if output_current_a <= 0:
            return a.converter_idle_loss_w
        source_v = max(self.cell.source_voltage_v(), 1.0)
        scale = (self.cell_nominal_v / source_v) ** 2
        fixed_w = a.converter_idle_loss_w + (a.converter_fixed_loss_w - a.converter_idle_loss_w) * (
            1.0 - math.exp(-output_current_a / 0.1)
        )
        return (
            fixed_w
            + a.converter_linear_loss_v * output_current_a
            + a.converter_resistive_loss_ohm * output_current_a * output_current_a * scale
        )

    @property
    def cell_nominal_v(self) -> float:
        """Nominal cell voltage the loss figures are referred to, V."""
        return self.actual.cell_nominal_voltage_v

    def _supply_valid(self, supply_v: float | None) -> bool:
        a = self.actual
        return supply_v is not None and a.input_uvlo_v <= supply_v <= a.input_ovp_v

    def _operating_point(self, dt_s: float, supply_v: float | None) -> OperatingPoint:
        """The operating point for the present state with the input at ``supply_v``.

        ``dt_s`` > 0 solves the charger's constant-voltage loop implicitly over a step.
        """
        a = self.actual
        cell = self.cell
        # output side
        if self._output_enabled() and self._load is not None:
            output_v, output_a = self._solve_output(self._load)
            converter_loss_w = self._converter_loss_w(output_a)
            converter_in_w = output_v * output_a + converter_loss_w
        elif self._output_enabled():
            output_v, output_a = self._output_open_v(), 0.0
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
        charge_a = 0.0
        cell_a = boost_a
        phase = ChargePhase.NO_INPUT
        if supply_v is not None:
            phase = ChargePhase.INPUT_FAULT
            if self._supply_valid(supply_v) and cell.temperature_c <= a.charge_temperature_max_c:
                phase, charge_max_a = self._charge_limit(supply_v, boost_a)
                if charge_max_a > 0:
                    cv_cell_a = cell.current_for_terminal_voltage_a(a.charge_voltage_v, dt_s)
                    cc_cell_a = boost_a - charge_max_a
                    cell_a = max(cc_cell_a, cv_cell_a)
                    charge_a = max(0.0, boost_a - cell_a)
                    if cv_cell_a > cc_cell_a and phase is ChargePhase.CONSTANT_CURRENT:
                        phase = ChargePhase.CONSTANT_VOLTAGE
        cell_v = cell.terminal_voltage_v(cell_a)
        charger_loss_w = 0.0
        input_a = 0.0
        if supply_v is not None and supply_v > 0 and self._supply_valid(supply_v):
            delivered_w = max(0.0, cell_v) * charge_a
            charger_loss_w = (
                delivered_w * (1.0 / a.charger_efficiency - 1.0) + a.charger_quiescent_w
            )
            input_a = (delivered_w + charger_loss_w) / supply_v
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

    def _charge_limit(self, supply_v: float, boost_a: float) -> tuple[ChargePhase, float]:
        """Charger phase before the CV check, and the most current it may push now, A."""
        a = self.actual
        if self._charge_done:
            return ChargePhase.DONE, 0.0
        if self.cell.terminal_voltage_v(boost_a) < a.precharge_threshold_v:
            return ChargePhase.PRECHARGE, a.precharge_current_a
        input_limit_a = (
            (supply_v * a.rated_input_current_a - a.charger_quiescent_w)
            * a.charger_efficiency
            / a.charge_voltage_v
        )
        return ChargePhase.CONSTANT_CURRENT, max(0.0, min(a.charge_current_a, input_limit_a))

    def _integrate(self, dt_s: float, point: OperatingPoint) -> None:
        hours = dt_s / 3600.0
        self._output_energy_wh += point.output_voltage_v * point.output_current_a * hours
        self._output_charge_ah += point.output_current_a * hours
        self._input_energy_wh += point.input_voltage_v * point.input_current_a * hours
        self._input_charge_ah += point.input_current_a * hours
        extra_heat_w = point.converter_loss_w + point.charger_loss_w
        self.cell.advance(dt_s, point.cell_current_a, extra_heat_w)
        self._peak_temperature_c = max(self._peak_temperature_c, self.cell.temperature_c)

    def _next_event_s(self) -> float | None:
        """Earliest pending protection event (delay expiry, retry), s."""
        events = []
        a = self.actual
        if self._over_current_since_s is not None:
            events.append(self._over_current_since_s + a.over_current_delay_s)
        if self._over_discharge_since_s is not None:
            events.append(self._over_discharge_since_s + a.over_discharge_delay_s)
        if self._retry_at_s is not None:
            events.append(self._retry_at_s)
        return min(events) if events else None

    def _trip_now(self, reason: ProtectionTrip) -> None:
        self._trip = reason
        self._trip_count += 1
        self._over_current_since_s = None
        self._over_discharge_since_s = None
        if reason in (ProtectionTrip.SHORT_CIRCUIT, ProtectionTrip.OVER_CURRENT):
            self._retry_at_s = self._t_s + self.actual.retry_s
        else:
            self._retry_at_s = None

    def _update_state(self) -> None:
        """Protection and charger state machines at the present time."""
        a = self.actual
        now_s = self._t_s
        temperature_c = self.cell.temperature_c
        supply_v = self._present_supply_v()
        charger_valid = self._supply_valid(supply_v)
        # releases
        if (
            self._trip in (ProtectionTrip.SHORT_CIRCUIT, ProtectionTrip.OVER_CURRENT)
            and self._retry_at_s is not None
            and now_s >= self._retry_at_s - 1e-9
        ):
            self._trip = None
            self._retry_at_s = None
        elif (
            self._trip is ProtectionTrip.OVER_TEMPERATURE
            and temperature_c <= a.over_temperature_release_c
        ) or (self._trip is ProtectionTrip.OVER_DISCHARGE and charger_valid):
            self._trip = None
        # charger termination and restart
        if not charger_valid or self._charge_done and self.cell.ocv_v() < a.recharge_threshold_v:
            self._charge_done = False
        point = self._operating_point(0.0, supply_v)
        if (
            point.charge_phase is ChargePhase.CONSTANT_VOLTAGE
            and -point.cell_current_a <= a.termination_current_a
        ):
            self._charge_done = True
            point = self._operating_point(0.0, supply_v)
        if self._trip is not None:
            return
        # trips
        if temperature_c >= a.over_temperature_c:
            self._trip_now(ProtectionTrip.OVER_TEMPERATURE)
            return
        loaded = self._load is not None and point.output_current_a > 0
        if a.protection_short_circuit and loaded and point.output_voltage_v < a.short_circuit_v:
            self._trip_now(ProtectionTrip.SHORT_CIRCUIT)
            return
        if a.protection_over_current and point.output_current_a > a.over_current_a:
            if self._over_current_since_s is None:
                self._over_current_since_s = now_s
            if now_s >= self._over_current_since_s + a.over_current_delay_s - 1e-9:
                self._trip_now(ProtectionTrip.OVER_CURRENT)
                return
        else:
            self._over_current_since_s = None
        under_voltage = point.cell_voltage_v < a.over_discharge_v or point.cell_power_limited
        if under_voltage and point.cell_current_a > 0 and not charger_valid:
            if self._over_discharge_since_s is None:
                self._over_discharge_since_s = now_s
            if now_s >= self._over_discharge_since_s + a.over_discharge_delay_s - 1e-9:
                self._trip_now(ProtectionTrip.OVER_DISCHARGE)
                return
        else:
            self._over_discharge_since_s = None

    def _ripple_operating_point(self, load_current_a: float | None) -> tuple[float, float]:
        if not self._output_enabled():
            return 0.0, 0.0
        if load_current_a is None:
            if self._load is None:
                return 0.0, self._output_open_v()
            output_v, current_a = self._solve_output(self._load)
            return current_a, output_v
        output_v, current_a = self._solve_output(_ConstantCurrentLoad(load_current_a))
        return current_a, output_v

    def _ripple_terms(self, current_a: float, output_v: float) -> tuple[float, float, float]:
        """Capacitor and ESR parts of the p-p ripple (V) and the boost duty cycle."""
        if current_a <= 0 or output_v <= 0:
            return 0.0, 0.0, 0.0
        a = self.actual
        duty = min(0.9, max(0.0, 1.0 - self.cell.source_voltage_v() / output_v))
        capacitor_v = current_a * duty / (a.switching_frequency_hz * a.output_capacitance_f)
        esr_v = a.output_esr_ohm * current_a / (1.0 - duty)
        return capacitor_v, esr_v, duty
