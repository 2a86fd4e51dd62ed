"""Run a :class:`~benchscore.schedule.Schedule` on a bench: an electronic load, a supply, a
power monitor on each side and a thermometer (the roles of
:mod:`firmware_py.procedures.interfaces`, so the same schedule drives the simulated bench and
the real IT8500/DL3000 loads and KA3005P/RD6006 supplies).

Each step applies its setpoint, then samples every ``sample_s`` (clock time): the monitor of
the side it drives, and the thermometer. A sample is checked against the safety limits first
(a trip raises :class:`ScheduleFault`), then against the step's end conditions; charge (Ah)
and energy (Wh) are integrated by trapezoids between the step's samples. ``t`` end conditions
land exactly: the wait before the sample is cut to the step's time limit.

Constant power and constant resistance run on the load's constant-current input: the
current is set from the last sample (``I = P / V``, ``I = V / R``) at every sample, as a
cycler's software regulation does on loads without those modes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from benchscore.clock import Clock
from benchscore.schedule.cycles import CycleRecord, capacity_mah, trapezoid
from benchscore.schedule.model import CHARGE_KINDS, DISCHARGE_KINDS, Schedule, Step
from firmware_py.procedures.interfaces import (
    ElectronicLoad,
    PowerMonitor,
    Supply,
    Thermometer,
)

MAX_STEP_VISITS = 1_000_000
"""A schedule that jumps more often than this is stopped (a goto loop without an end)."""
MIN_CP_VOLTAGE_V = 0.5
"""Below this the constant-power current is not raised further (the DUT has shut off)."""


class ScheduleFault(RuntimeError):
    """A safety limit tripped or an end condition said ``goto = "fault"``."""


@dataclass(frozen=True)
class CyclerBench:
    """What a schedule drives: the roles of the procedure interfaces."""

    load: ElectronicLoad
    supply: Supply
    charge_monitor: PowerMonitor
    """Measures the supply side (a power bank's input)."""
    discharge_monitor: PowerMonitor
    """Measures the load side (a power bank's output)."""
    thermometer: Thermometer


@dataclass(frozen=True)
class Sample:
    """One sample of a step: the driven side's voltage and current, temperature, running
    sums of the step."""

    t_s: float
    """Since the schedule started, s."""
    step_t_s: float
    cycle: int
    step_index: int
    step: Step
    side: int
    """+1 charge (supply side), -1 discharge (load side), 0 rest (load side, idle)."""
    voltage_v: float
    current_a: float
    temperature_c: float
    step_ah: float
    step_wh: float
    dvdt_v_per_s: float | None


@dataclass
class StepRecord:
    """How one visit of a step ended."""

    id: str
    kind: str
    cycle: int
    ended_by: str
    """The end condition's key (``v_lt_v``...), or ``done`` for flow and custom steps."""
    duration_s: float
    ah: float
    wh: float


@dataclass
class ScheduleLog:
    """Everything a run produced so far (kept up to date, so a fault leaves it usable)."""

    steps: list[StepRecord] = field(default_factory=list)
    cycles: list[CycleRecord] = field(default_factory=list)
    ended: str = ""
    """``end`` (last step done), ``goto end``, ``end of life`` (retention stop)."""

    def cycle(self, n: int) -> CycleRecord:
        if not self.cycles or self.cycles[-1].cycle != n:
            self.cycles.append(CycleRecord(n))
        return self.cycles[-1]


SampleHook = Callable[[Sample, str | None], None]
"""Called after every sample with the end condition that ended the step (None: goes on)."""
Action = Callable[[Step], None]
"""Runs a procedure-specific step kind (e.g. a power bank's protection test)."""


def side_of(kind: str) -> int:
    return 1 if kind in CHARGE_KINDS else -1 if kind in DISCHARGE_KINDS else 0


class ScheduleRunner:
    """Runs ``schedule`` on ``bench`` against ``clock``; ``wait(seconds)`` sleeps on the clock
    and raises to abort (the procedure's wait)."""

    def __init__(
        self,
        schedule: Schedule,
        bench: CyclerBench,
        clock: Clock,
        wait: Callable[[float], None],
        *,
        on_sample: SampleHook | None = None,
        on_step: Callable[[Step, int], None] | None = None,
        actions: dict[str, Action] | None = None,
    ) -> None:
        self.schedule = schedule
        self.bench = bench
        self.clock = clock
        self.wait = wait
        self.on_sample = on_sample
        self.on_step = on_step
        self.actions = actions or {}
        self.log = ScheduleLog()
        self.cycle = 1
        self._t0 = 0.0
        self._passes: dict[int, int] = {}
        self._pulse_high = False

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> ScheduleLog:
        """Run to the end; the load and the supply are off afterwards (not on a fault: the
        procedure's teardown does that)."""
        self._t0 = self.clock.monotonic()
        index, visits = 0, 0
        steps = self.schedule.steps
        while 0 <= index < len(steps):
            visits += 1
            if visits > MAX_STEP_VISITS:
                raise ScheduleFault(f"schedule {self.schedule.name}: over {MAX_STEP_VISITS} steps")
            step = steps[index]
            if self.on_step is not None:
                self.on_step(step, self.cycle)
            index = self._run_step(index, step)
        self._all_off()
        self.log.ended = self.log.ended or "end"
        return self.log

    def _run_step(self, index: int, step: Step) -> int:
        """Run one step; return the index of the next one (len(steps) ends the run)."""
        done = len(self.schedule.steps)
        if step.kind == "goto":
            return self.schedule.index(step.to)
        if step.kind == "loop":
            return self._loop(index, step)
        if step.kind in self.actions:
            start = self.clock.monotonic()
            self.actions[step.kind](step)
            self._record(step, "done", start, 0.0, 0.0)
            return index + 1
        ended_by, goto = self._electrical(step)
        if goto == "next":
            return index + 1
        if goto == "end":
            self.log.ended = "goto end"
            return done
        if goto == "fault":
            raise ScheduleFault(f"step {step.id}: {ended_by} (goto fault)")
        return self.schedule.index(goto)

    def _loop(self, index: int, step: Step) -> int:
        passes = self._passes.get(index, 0) + 1
        self._passes[index] = passes
        if step.advance_cycle and self._end_of_life(step):
            self.log.ended = "end of life"
            return len(self.schedule.steps)
        if passes < step.repeat:
            if step.advance_cycle:
                self.cycle += 1
            return self.schedule.index(step.to)
        self._passes[index] = 0
        if step.advance_cycle:
            self.cycle += 1
        return index + 1

    def _end_of_life(self, step: Step) -> bool:
        if step.stop_retention_lt is None:
            return False
        ref = next((c for c in self.log.cycles if c.cycle == step.ref_cycle), None)
        last = self.log.cycles[-1] if self.log.cycles else None
        volts = self.schedule.reference_voltage_v
        if ref is None or last is None or ref.discharge_ah <= 0:
            return False
        return capacity_mah(last, volts) < step.stop_retention_lt * capacity_mah(ref, volts)

    # -- electrical steps ------------------------------------------------------------------
    def _electrical(self, step: Step) -> tuple[str, str]:
        side = side_of(step.kind)
        monitor = self.bench.charge_monitor if side > 0 else self.bench.discharge_monitor
        sample_s = step.sample_s or self.schedule.sample_s
        t_limit = min(
            (c.value for c in step.end if c.quantity == "t" and c.op in ("gt", "ge")),
            default=None,
        )
        start = self.clock.monotonic()
        self._apply(step, None)
        counts = [0] * len(step.end)
        prev: tuple[float, float, float] | None = None  # (t, v, i)
        ah = wh = 0.0
        next_sample = start if step.sample_at_start else start + sample_s
        while True:
            target = next_sample
            if t_limit is not None and start + t_limit > self.clock.monotonic():
                target = min(target, start + t_limit)
            if step.kind == "pulse":
                target = self._pulse_edges(step, start, target)
            self.wait(max(0.0, target - self.clock.monotonic()))
            next_sample += sample_s
            now = self.clock.monotonic()
            reading = monitor.read()
            temp = self.bench.thermometer.read_c()
            v, i = reading.bus_voltage_v, reading.current_a
            dvdt = None
            if prev is not None and now > prev[0]:
                ah += trapezoid(prev[0], now, abs(prev[2]), abs(i))
                wh += trapezoid(prev[0], now, abs(prev[1] * prev[2]), abs(v * i))
                dvdt = abs(v - prev[1]) / (now - prev[0])
            prev = (now, v, i)
            trip = self.schedule.safety.trip(step.kind, v, i, temp)
            values = {
                "v": v,
                "i": abs(i),
                "t": now - start,
                "ah": ah,
                "wh": wh,
                "temp": temp,
                "dvdt": dvdt,
            }
            ended = None
            for k, cond in enumerate(step.end if trip is None else ()):
                counts[k] = counts[k] + 1 if cond.met(values[cond.quantity]) else 0
                if counts[k] >= cond.times:
                    ended = cond
                    break
            sample = Sample(
                t_s=now - self._t0,
                step_t_s=now - start,
                cycle=self.cycle,
                step_index=self.schedule.index(step.id),
                step=step,
                side=side,
                voltage_v=v,
                current_a=i,
                temperature_c=temp,
                step_ah=ah,
                step_wh=wh,
                dvdt_v_per_s=dvdt,
            )
            if self.on_sample is not None:  # the tripping sample too: it is the evidence
                self.on_sample(sample, "safety" if trip else None if ended is None else ended.key)
            if trip is not None:
                self._record(step, "safety", start, ah, wh)
                raise ScheduleFault(f"safety limit: {trip} (step {step.id}, cycle {self.cycle})")
            if ended is not None:
                self._record(step, ended.key, start, ah, wh)
                self.log.cycle(self.cycle).add(side, ah, wh)
                return ended.key, ended.goto
            if step.kind in ("cp_discharge", "cr_discharge"):
                self._apply(step, v)

    def _apply(self, step: Step, last_v: float | None) -> None:
        """Set the instruments for ``step`` (CP/CR: from ``last_v``, or a fresh reading)."""
        b = self.bench
        kind = step.kind
        if kind == "rest":
            b.load.set_input(False)
            b.supply.set_enabled(False)
            return
        if kind in CHARGE_KINDS:
            b.load.set_input(False)
            b.supply.set_output(step.get("v_v"), step.get("i_a", self.schedule.supply_current_a))
            b.supply.set_enabled(True)
            return
        b.supply.set_enabled(False)
        volts = last_v
        if volts is None and kind in ("cp_discharge", "cr_discharge"):
            b.load.set_input(False)
            volts = b.discharge_monitor.read().bus_voltage_v
        if kind == "cc_discharge":
            b.load.set_current_a(step.get("i_a"))
        elif kind == "cp_discharge":
            b.load.set_current_a(step.get("p_w") / max(volts or 0.0, MIN_CP_VOLTAGE_V))
        elif kind == "cr_discharge":
            b.load.set_current_a(max(volts or 0.0, 0.0) / step.get("r_ohm"))
        elif kind == "pulse":
            self._set_pulse(step, True)
        b.load.set_input(True)

    def _pulse_phase(self, step: Step, step_t_s: float) -> bool:
        """Whether a pulse step is in its high phase at ``step_t_s``."""
        period = step.get("on_s") + step.get("off_s")
        return (step_t_s % period) < step.get("on_s") - 1e-9

    def _pulse_edges(self, step: Step, start: float, target: float) -> float:
        """Switch the load to the pulse phase of now, and at every edge before ``target``."""
        on_s, off_s = step.get("on_s"), step.get("off_s")
        period = on_s + off_s
        while True:
            t = self.clock.monotonic() - start
            high = self._pulse_phase(step, t)
            if high != self._pulse_high:
                self._set_pulse(step, high)
            edge = start + t - (t % period) + (on_s if high else period)
            if edge >= target - 1e-9:
                return target
            self.wait(max(0.0, edge - self.clock.monotonic()))

    def _set_pulse(self, step: Step, high: bool) -> None:
        self._pulse_high = high
        self.bench.load.set_current_a(step.get("i_a") if high else step.get("i_low_a"))

    def _record(self, step: Step, ended_by: str, start: float, ah: float, wh: float) -> None:
        self.log.steps.append(
            StepRecord(
                step.id, step.kind, self.cycle, ended_by, self.clock.monotonic() - start, ah, wh
            )
        )

    def _all_off(self) -> None:
        self.bench.load.set_input(False)
        self.bench.supply.set_enabled(False)
