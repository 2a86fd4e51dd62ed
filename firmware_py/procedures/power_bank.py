"""``power_bank``: charge curve, protections, discharge at rated current (GB/T 35590-2017).

Bench: a bench supply feeding the bank's USB input through an input power monitor, an
electronic load on its USB output through an output power monitor, a ripple probe (AC-coupled
amplifier into a fast ADC), a thermometer on the case.

Phases, each optional part switched by parameters:

1. **charge** (``charge = 1``): supply on at ``supply_voltage_v``; the input is sampled every
   ``charge_interval_s`` until the charger terminates (input current below
   ``charge_end_current_a`` twice) or ``charge_timeout_s``. The input voltage is constant, so
   the CC-CV split of the analysis library finds the knee where the input current starts to
   fall (constant current before it, constant voltage after it). Measures the CC input
   current, the input current at termination and the energy taken in.
2. **rest** ``rest_s``, supply off.
3. **protection**: the load steps to ``overcurrent_a`` (above the rating), then to ``short_a``
   (beyond the converter's current limit: the output collapses, as into a short). Each
   must trip (output current below 10 %) within the window; after the load is removed, the
   output must come back to ``0.95 x rated`` at ``recovery_load_a``.
4. **discharge** at ``rated_output_current_a`` until the bank shuts off (output below
   ``cutoff_v``), or, in the shortened competition variant, until ``energy_window_wh`` has
   been delivered. Output voltage, current and temperature every ``discharge_interval_s``;
   a ripple capture every ``ripple_every_s``. Measures capacity (mAh at the rated voltage),
   energy, GB/T conversion efficiency in % (E_out / cell Wh, full discharge only), the output
   voltage range at load (±5 %), load regulation, ripple peak-to-peak and temperature rise.

Long phases stream their curves in chunks (``charge``, ``discharge``) and report
``progress_pct`` and ``eta_s``. A case temperature of ``safety_temperature_c`` stops the charge
or the discharge at once (the bank fails ``temperature_rise_k``). The teardown switches the
load input and the supply off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from benchscore.analysis import battery, powerbank
from benchscore.analysis.electrical import ripple_peak_to_peak_v, temperature_rise_k
from benchscore.measurement import Measurement
from benchscore.plugins.builtin.power_bank import PLUGIN
from benchscore.schedule import EndCondition, Schedule, Step, cycle_report
from firmware_py.procedures.base import (
    CurveStream,
    Procedure,
    ProcedureResult,
    TaskInvalid,
    safely,
)
from firmware_py.procedures.interfaces import (
    ElectronicLoad,
    PowerMonitor,
    Supply,
    Thermometer,
    WaveformCapture,
)
from firmware_py.procedures.schedule import CyclerBench, Sample, ScheduleRunner
from firmware_py.uncertainty import Budget, expanded_relative

if TYPE_CHECKING:
    from firmware_py.config import TaskConfig


@dataclass
class PowerBankBench:
    """The hardware ``power_bank`` needs, injected by the station."""

    eload: ElectronicLoad
    supply: Supply
    input_monitor: PowerMonitor
    output_monitor: PowerMonitor
    ripple: WaveformCapture
    thermometer: Thermometer
    calibrations: Iterable[str] = field(default_factory=tuple)
    uncertainty: Budget | None = None
    """Datasheet and calibration uncertainty of each sensor (None: not stated)."""


class PowerBankProcedure(Procedure):
    name: ClassVar[str] = "power_bank"
    live_interval_s: ClassVar[float] = 60.0
    parameters: ClassVar[dict[str, float]] = dict(PLUGIN.parameters)
    schedule_kinds: ClassVar[tuple[str, ...]] = ("protection",)
    """Step kinds a task's ``[schedule]`` may use besides the cycler ones."""
    cycle_measurements: ClassVar[tuple[str, ...]] = (
        "cycles_completed",
        "capacity_first_mah",
        "capacity_retention_pct",
        "capacity_fade_pct_per_cycle",
        "energy_efficiency_pct",
        "temperature_rise_k",
    )
    """What a task with a ``[schedule]`` may judge (capacity_retention_pct is required)."""
    bench: PowerBankBench

    @classmethod
    def check_task(cls, task: TaskConfig) -> None:
        super().check_task(task)
        p = {**cls.parameters, **task.parameters}
        if isinstance(task.extra.get("schedule"), Schedule):
            if "capacity_retention_pct" not in task.limits:
                raise TaskInvalid(
                    f"{task.file.name}: a [schedule] task needs limits.capacity_retention_pct"
                )
            return
        need = [
            "output_voltage_min_v",
            "output_voltage_max_v",
            "ripple_pp_v",
            "temperature_rise_k",
            "overcurrent_trip_s",
            "short_trip_s",
            "overcurrent_recovery_s",
            "short_recovery_s",
        ]
        need += (
            ["window_energy_wh"]
            if p["energy_window_wh"] > 0
            else ["capacity_mah", "efficiency_pct"]
        )
        if p["charge"]:
            need += ["charge_cc_current_a", "charge_termination_current_a"]
        missing = [n for n in need if n not in task.limits]
        if missing:
            raise TaskInvalid(f"{task.file.name}: limits missing for {missing}")
        for test in ("overcurrent", "short"):
            high = task.limits[f"{test}_trip_s"].high
            if high is None or high >= p["protection_window_s"]:
                raise TaskInvalid(
                    f"{task.file.name}: limits.{test}_trip_s.high must be set and below "
                    f"parameters.protection_window_s ({p['protection_window_s']} s)"
                )
            high = task.limits[f"{test}_recovery_s"].high
            if high is None or high >= p["recovery_window_s"]:
                raise TaskInvalid(
                    f"{task.file.name}: limits.{test}_recovery_s.high must be set and below "
                    f"parameters.recovery_window_s ({p['recovery_window_s']} s)"
                )

    # -- the run ---------------------------------------------------------------------------
    def execute(self, result: ProcedureResult) -> None:
        bench, p = self.bench, self.params
        bench.eload.set_input(False)
        bench.eload.set_current_a(0.0)
        bench.supply.set_enabled(False)
        bench.supply.set_output(p["supply_voltage_v"], p["supply_current_a"])
        self._t0 = self.clock.monotonic()
        self._stopped_hot: float | None = None
        self._temperatures: list[float] = [bench.thermometer.read_c()]
        self._fade_cycles: list[int] = []
        """Cycles the fade is fitted over (a [schedule] run)."""
        self._discharge_a = 1.0
        """The schedule's discharge current (A), for the retentions' current offset."""
        self.curve("start", {"temperature_c": [self._temperatures[0]]})
        self.live("connect", {"temperature_c": self._temperatures[0]})
        schedule = self.task.extra.get("schedule")
        if isinstance(schedule, Schedule):
            result.measurements += self._cycle_life(schedule)
            return
        self._run_default(result)
        rise = temperature_rise_k(np.array(self._temperatures))
        reason = ""
        if self._stopped_hot is not None:
            reason = (
                f"temperature_rise_k {rise:.3g} K: the case reached {self._stopped_hot:.1f} °C, "
                f"the test was stopped at the {self.params['safety_temperature_c']:g} °C safety "
                "limit"
            )
        result.measurements.append(
            self.judge("temperature_rise_k", rise, "discharge", reason=reason)
        )

    # -- uncertainty -------------------------------------------------------------------------
    def uncertainty(self, name: str, value: float) -> float | None:
        """U (k = 2) from the monitors', ADC's and thermometer's budget: an energy (and what
        is proportional to it) combines V and I in quadrature at the rated operating point;
        a trip or recovery time is one poll interval wide. Cycle life: a retention is a ratio
        of two capacities read by the same output monitor, so its gain (and calibration gain)
        cancels and the current offset at the schedule's discharge current remains; the fade
        is the slope fitted to the retentions (U of a point over sqrt(Sxx)); the round-trip
        efficiency divides the output monitor's energy by the input monitor's (all four
        relative terms). ``cycles_completed`` is a count (exact) and ``charge_cv_share`` a
        share of sample intervals: no U stated."""
        b, p = self.bench.uncertainty, self.params
        if b is None:
            return None
        if name in ("capacity_retention_pct", "capacity_fade_pct_per_cycle"):
            offset = b.u("output_monitor", "current_a", 0.0) / self._discharge_a
            u_point = math.sqrt(2.0) * offset * 100.0  # standard, in % of the reference
            if name == "capacity_retention_pct":
                return 2.0 * u_point * abs(value) / 100.0
            x = np.array(self._fade_cycles, dtype=float)
            sxx = float(((x - x.mean()) ** 2).sum()) if x.size >= 2 else 0.0
            return 2.0 * u_point / math.sqrt(sxx) if sxx > 0 else None
        if name == "energy_efficiency_pct":
            return abs(value) * expanded_relative(
                b.relative("output_monitor", "bus_voltage_v", p["rated_output_voltage_v"]),
                b.relative("output_monitor", "current_a", self._discharge_a),
                b.relative("input_monitor", "bus_voltage_v", p["supply_voltage_v"]),
                b.relative("input_monitor", "current_a", p["supply_current_a"]),
            )
        out_v, out_a = p["rated_output_voltage_v"], p["rated_output_current_a"]
        in_v, in_a = p["supply_voltage_v"], p["supply_current_a"]
        energy_out = expanded_relative(
            b.relative("output_monitor", "bus_voltage_v", out_v),
            b.relative("output_monitor", "current_a", out_a),
        )
        if name in (
            "capacity_mah",
            "output_energy_wh",
            "window_energy_wh",
            "efficiency_pct",
            "capacity_first_mah",
        ):
            return energy_out * abs(value)
        if name == "charge_energy_wh":
            rel_in = expanded_relative(
                b.relative("input_monitor", "bus_voltage_v", in_v),
                b.relative("input_monitor", "current_a", in_a),
            )
            return rel_in * abs(value)
        if name.startswith("charge_") and name.endswith("_a"):
            return b.expanded("input_monitor", "current_a", value)
        if name in ("output_voltage_min_v", "output_voltage_max_v"):
            return b.expanded("output_monitor", "bus_voltage_v", value)
        if name == "load_regulation_pct":  # a difference of two readings: gains cancel
            return 2.0 * math.sqrt(2.0) * b.u("output_monitor", "bus_voltage_v", 0.0) / out_v * 100
        if name == "ripple_pp_v":
            return b.expanded("ripple_adc", "ripple_v", value)
        if name == "temperature_rise_k":  # a difference: the sensor's offset cancels
            return 2.0 * math.sqrt(2.0) * b.accuracy("thermometer", "temperature_c").u_resolution()
        if name.endswith("_trip_s"):
            return p["protection_poll_s"] / math.sqrt(3.0)
        if name.endswith("_recovery_s"):
            return 4.0 * p["protection_poll_s"] / math.sqrt(3.0)
        return None

    def _cycler_bench(self) -> CyclerBench:
        b = self.bench
        return CyclerBench(b.eload, b.supply, b.input_monitor, b.output_monitor, b.thermometer)

    def _run_default(self, result: ProcedureResult) -> None:
        """The GB/T 35590 sequence as the default schedule (:func:`default_schedule`)."""
        p = self.params
        self._out = result.measurements
        runner = ScheduleRunner(
            default_schedule(p),
            self._cycler_bench(),
            self.clock,
            self.wait,
            on_sample=self._gbt_sample,
            on_step=self._gbt_step,
            actions={"protection": lambda step: self._out.extend(self._protection())},
        )
        runner.run()

    # -- a task's own schedule: cycle life ------------------------------------------------
    def _cycle_life(self, schedule: Schedule) -> list[Measurement]:
        """Run the task's schedule; report capacity per cycle, retention, fade, SOH."""
        out: list[Measurement] = []
        stream = CurveStream(
            self.curve,
            "schedule",
            ["t_s", "cycle", "step", "side", "voltage_v", "current_a", "temperature_c"],
        )
        expected = schedule.cycles_expected
        start = self.clock.monotonic()
        cycle_seen = [0]

        def on_step(step: Step, cycle: int) -> None:
            if cycle != cycle_seen[0]:
                cycle_seen[0] = cycle
                self.live("cycle", {"cycle": float(cycle), "cycles": float(expected)})

        def on_sample(s: Sample, ended: str | None) -> None:
            self._temperatures.append(s.temperature_c)
            stream.append(
                t_s=s.t_s,
                cycle=s.cycle,
                step=s.step_index,
                side=s.side,
                voltage_v=s.voltage_v,
                current_a=s.current_a,
                temperature_c=s.temperature_c,
            )
            self.progress(
                "schedule",
                {
                    "cycle": float(s.cycle),
                    "voltage_v": s.voltage_v,
                    "current_a": s.current_a,
                    "temperature_c": s.temperature_c,
                },
                fraction=(s.cycle - 1) / expected,
                elapsed_s=self.clock.monotonic() - start,
            )

        runner = ScheduleRunner(
            schedule,
            self._cycler_bench(),
            self.clock,
            self._coarse_wait,
            on_sample=on_sample,
            on_step=on_step,
            actions={"protection": lambda step: out.extend(self._protection())},
        )
        loops = [st for st in schedule.steps if st.kind == "loop" and st.advance_cycle]
        ref_cycle = loops[0].ref_cycle if loops else 1
        try:
            runner.run()
        finally:
            stream.flush()
            report = cycle_report(
                runner.log.cycles,
                reference_voltage_v=schedule.reference_voltage_v,
                ref_cycle=ref_cycle,
            )
            if report.cycles:
                self.curve("cycles", report.columns())
        self.live("cycle", {"cycles_completed": float(len(report.cycles))})
        self._fade_cycles = [int(n) for n in report.cycles if n >= ref_cycle]
        self._discharge_a = _discharge_current_a(schedule)
        efficiencies = [e for e in report.energy_efficiency if e is not None]
        values: dict[str, tuple[float | None, str]] = {
            "cycles_completed": (float(len(report.cycles)), "cycles"),
            "capacity_first_mah": (report.first_capacity_mah, "cycles"),
            "capacity_retention_pct": (report.soh_pct, "cycles"),
            "capacity_fade_pct_per_cycle": (report.fade_pct_per_cycle, "cycles"),
            "energy_efficiency_pct": (
                100.0 * float(np.mean(efficiencies)) if efficiencies else None,
                "cycles",
            ),
            "temperature_rise_k": (temperature_rise_k(np.array(self._temperatures)), "schedule"),
        }
        for name, (value, curve) in values.items():
            if not self.has_limits(name):
                continue
            if value is None:
                out.append(self.not_measured(name, "no complete cycle to compute it from"))
            else:
                out.append(self.judge(name, value, curve))
        return out

    def _coarse_wait(self, seconds: float) -> None:
        """Sleep on the clock, checking for abort every second of clock time (long runs)."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            self.check_stop()
            self.clock.sleep(min(1.0, left))

    def teardown(self) -> None:
        safely(
            lambda: self.bench.eload.set_input(False),
            lambda: self.bench.supply.set_enabled(False),
        )

    def _now(self) -> float:
        return self.clock.monotonic() - self._t0

    # -- the default schedule's phases -----------------------------------------------------
    def _gbt_step(self, step: Step, cycle: int) -> None:
        """A step of the default schedule starts: open its curves."""
        p = self.params
        self._step_start = self.clock.monotonic()
        if step.id == "charge":
            self._stream = CurveStream(
                self.curve, "charge", ["t_s", "voltage_v", "current_a", "temperature_c"]
            )
            self._expected_wh = p["cell_capacity_mah"] * p["cell_voltage_v"] / 1000.0 / 0.85
        elif step.id == "discharge":
            self._stream = CurveStream(
                self.curve, "discharge", ["t_s", "voltage_v", "current_a", "temperature_c"]
            )
            self._ripple_stream = CurveStream(
                self.curve, "ripple", ["t_s", "ripple_v"], chunk_points=1000
            )
            self._ripples: list[float] = []
            self._next_ripple = self._step_start + min(60.0, p["ripple_every_s"])
            rated_v = p["rated_output_voltage_v"]
            self._expected_wh = p["energy_window_wh"] or p["rated_capacity_mah"] / 1000.0 * rated_v

    def _gbt_sample(self, sample: Sample, ended: str | None) -> None:
        """One sample of the default schedule: stream it, report progress, judge at the end."""
        p = self.params
        self._temperatures.append(sample.temperature_c)
        step = sample.step.id
        if step == "settle":
            self._no_load_v = sample.voltage_v
            if ended is not None:  # the no-load voltage, for an appeal's load regulation
                self.curve("no_load", {"voltage_v": [sample.voltage_v]})
        if step not in ("charge", "discharge"):
            return
        self._stream.append(
            t_s=self._now(),
            voltage_v=sample.voltage_v,
            current_a=sample.current_a,
            temperature_c=sample.temperature_c,
        )
        self.progress(
            step,
            {
                "voltage_v": sample.voltage_v,
                "current_a": sample.current_a,
                "energy_wh": sample.step_wh,
                "temperature_c": sample.temperature_c,
            },
            fraction=min(0.99, sample.step_wh / self._expected_wh),
            elapsed_s=self.clock.monotonic() - self._step_start,
        )
        if ended == "temp_ge_c":
            self._stopped_hot = sample.temperature_c
        if step == "discharge" and ended is None and self.clock.monotonic() >= self._next_ripple:
            self._ripples.append(self._ripple(self._ripple_stream))
            self._next_ripple += p["ripple_every_s"]
        if ended is None:
            return
        self._stream.flush()
        self.progress(step, {"energy_wh": sample.step_wh}, fraction=1.0, force=True)
        if step == "charge":
            cols = self._stream.columns
            end = len(cols["t_s"]) - 2 if ended == "i_lt_a" else None
            self._out.extend(self._judge_charge(cols, end))
        else:
            self._ripple_stream.flush()
            ended_by = {
                "temp_ge_c": "overtemperature",
                "v_lt_v": "cutoff",
                "wh_ge": "window",
            }.get(ended, "timeout")
            self._out.extend(
                self._judge_discharge(
                    self._stream.columns, self._ripples, self._no_load_v, ended_by
                )
            )

    def _judge_charge(self, cols: dict[str, list[float]], end: int | None) -> list[Measurement]:
        p = self.params
        t = np.array(cols["t_s"])
        i = np.array(cols["current_a"])
        v = np.array(cols["voltage_v"])
        stop = len(t) if end is None else end
        out: list[Measurement] = []
        charging = stop >= 5 and float(i[:stop].max()) >= p["charge_end_current_a"]
        if charging:
            split = battery.cc_cv_split(
                t[:stop],
                i[:stop],
                v[:stop],
                cv_voltage_v=p["supply_voltage_v"],
                voltage_tolerance_v=0.25,
            )
            knee = split.transition_index
            if knee is None or knee >= 3:
                out.append(self.judge("charge_cc_current_a", split.cc_current_a, "charge"))
            else:
                out.append(
                    self.not_measured(
                        "charge_cc_current_a",
                        "no constant-current phase (the bank was nearly full at the start)",
                    )
                )
            if self.has_limits("charge_cv_share"):
                out.append(self.judge("charge_cv_share", split.cv_share, "charge"))
        else:
            out.append(
                self.not_measured(
                    "charge_cc_current_a",
                    f"the bank drew under {p['charge_end_current_a']:g} A: it does not charge",
                )
            )
        if end is None:
            hours = p["charge_timeout_s"] / 3600.0
            out.append(
                self.not_measured(
                    "charge_termination_current_a",
                    f"the charger did not terminate within {hours:g} h",
                )
            )
        elif end == 0 or not charging:
            out.append(self.not_measured("charge_termination_current_a", "no charge to terminate"))
        else:
            out.append(self.judge("charge_termination_current_a", float(i[end - 1]), "charge"))
        if self.has_limits("charge_energy_wh") and len(t) >= 2:
            energy = battery.Log(t, i, v).integrate(0, max(2, stop)).energy_wh
            out.append(self.judge("charge_energy_wh", energy, "charge"))
        return out

    # -- protection ----------------------------------------------------------------------
    def _protection(self) -> list[Measurement]:
        out: list[Measurement] = []
        for test, current in (
            ("overcurrent", self.params["overcurrent_a"]),
            ("short", self.params["short_a"]),
        ):
            out += self._trip_test(test, current)
        return out

    def _trip_test(self, test: str, current_a: float) -> list[Measurement]:
        bench, p = self.bench, self.params
        stream = CurveStream(self.curve, test, ["t_s", "voltage_v", "current_a", "load_a"])
        bench.eload.set_current_a(current_a)
        bench.eload.set_input(True)
        start = self.clock.monotonic()
        tripped_s: float | None = None
        peak_a = 0.0
        while (elapsed := self.clock.monotonic() - start) < p["protection_window_s"]:
            reading = bench.output_monitor.read()
            stream.append(
                t_s=self._now(),
                voltage_v=reading.bus_voltage_v,
                current_a=reading.current_a,
                load_a=current_a,
            )
            peak_a = max(peak_a, reading.current_a)
            if elapsed > 0 and reading.current_a < 0.1 * min(current_a, max(peak_a, 0.1)):
                tripped_s = elapsed
                break
            self.wait(p["protection_poll_s"])
        bench.eload.set_input(False)
        self.live(test, {"current_a": peak_a, "trip_s": tripped_s})
        out: list[Measurement] = []
        window = p["protection_window_s"]
        if test == "overcurrent" and peak_a < 0.5 * current_a:
            out.append(
                self.not_measured(
                    f"{test}_trip_s",
                    f"the output never delivered the {current_a:g} A test current "
                    f"(peak {peak_a:.2f} A)",
                )
            )
        elif tripped_s is None:
            last = stream.columns["current_a"][-1]
            out.append(
                self.judge(
                    f"{test}_trip_s",
                    window,
                    test,
                    reason=f"{test}_trip_s: still delivering {last:.2f} A after {window:g} s: "
                    f"no {'short-circuit' if test == 'short' else 'over-current'} protection",
                )
            )
        else:
            out.append(self.judge(f"{test}_trip_s", tripped_s, test))
        out.append(self._recovery(test, stream))
        stream.flush()
        return out

    def _recovery(self, test: str, stream: CurveStream) -> Measurement:
        bench, p = self.bench, self.params
        target_v = 0.95 * p["rated_output_voltage_v"]
        bench.eload.set_current_a(p["recovery_load_a"])
        bench.eload.set_input(True)
        start = self.clock.monotonic()
        recovered_s: float | None = None
        while (elapsed := self.clock.monotonic() - start) < p["recovery_window_s"]:
            reading = bench.output_monitor.read()
            stream.append(
                t_s=self._now(),
                voltage_v=reading.bus_voltage_v,
                current_a=reading.current_a,
                load_a=p["recovery_load_a"],
            )
            if reading.bus_voltage_v >= target_v:
                recovered_s = elapsed
                break
            self.wait(p["protection_poll_s"] * 4)
        bench.eload.set_input(False)
        bench.eload.set_current_a(0.0)
        name = f"{test}_recovery_s"
        if recovered_s is None:
            window = p["recovery_window_s"]
            return self.judge(
                name,
                window,
                test,
                reason=f"{name}: output still below {target_v:.2f} V {window:g} s after the "
                f"overload was removed",
            )
        return self.judge(name, recovered_s, test)

    # -- discharge -----------------------------------------------------------------------
    def _ripple(self, stream: CurveStream) -> float:
        probe = self.bench.ripple
        n = max(8, int(self.params["ripple_samples"]))
        t = self._now()
        samples = probe.capture(n)
        ripple = samples - float(np.mean(samples))
        for k, value in enumerate(ripple):
            stream.append(t_s=t + k / probe.rate_sps, ripple_v=float(value))
        pp = ripple_peak_to_peak_v(ripple)
        self.live("ripple", {"ripple_pp_v": pp})
        return pp

    def _judge_discharge(
        self, cols: dict[str, list[float]], ripples: list[float], no_load_v: float, ended_by: str
    ) -> list[Measurement]:
        p = self.params
        rated_v, rated_a = p["rated_output_voltage_v"], p["rated_output_current_a"]
        t = np.array(cols["t_s"])
        v = np.array(cols["voltage_v"])
        i = np.array(cols["current_a"])
        out: list[Measurement] = []
        loaded = (i >= 0.9 * rated_a) & (v >= p["cutoff_v"])
        if len(t) >= 2:
            integral = battery.Log(t, i, v).integrate(cutoff_v=p["cutoff_v"])
            energy_wh = integral.energy_wh
        else:
            energy_wh = 0.0
        if p["energy_window_wh"] > 0:
            reason = ""
            if ended_by == "cutoff":
                reason = (
                    f"window_energy_wh: the bank shut off after {energy_wh:.3g} Wh, before the "
                    f"{p['energy_window_wh']:g} Wh window"
                )
            out.append(self.judge("window_energy_wh", energy_wh, "discharge", reason=reason))
        else:
            capacity = powerbank.mah_at_voltage(energy_wh, rated_v)
            note = {
                "cutoff": "",
                "timeout": " (no cut-off within the time limit)",
                "overtemperature": " (stopped at the safety temperature)",
            }.get(ended_by, "")
            out.append(
                self.judge(
                    "capacity_mah",
                    capacity,
                    "discharge",
                    reason=f"capacity_mah {capacity:.0f} mAh at {rated_v:g} V below the rated "
                    f"{p['rated_capacity_mah']:g} mAh{note}",
                )
            )
            efficiency = powerbank.conversion_efficiency(
                energy_wh, p["cell_capacity_mah"], p["cell_voltage_v"]
            )
            out.append(self.judge("efficiency_pct", 100.0 * efficiency, "discharge"))
            if self.has_limits("output_energy_wh"):
                out.append(self.judge("output_energy_wh", energy_wh, "discharge"))
        if loaded.any():
            reg = powerbank.output_regulation(v[loaded], rated_v=rated_v)
            out.append(self.judge("output_voltage_min_v", reg.min_v, "discharge"))
            out.append(self.judge("output_voltage_max_v", reg.max_v, "discharge"))
            if self.has_limits("load_regulation_pct"):
                full_load_v = float(np.median(v[loaded][: max(1, min(6, int(loaded.sum())))]))
                out.append(
                    self.judge(
                        "load_regulation_pct",
                        powerbank.load_regulation_percent(no_load_v, full_load_v),
                        "discharge",
                    )
                )
        else:
            why = f"the output never held {0.9 * rated_a:g} A above {p['cutoff_v']:g} V"
            out.append(self.not_measured("output_voltage_min_v", why))
            out.append(self.not_measured("output_voltage_max_v", why))
            if self.has_limits("load_regulation_pct"):
                out.append(self.not_measured("load_regulation_pct", why))
        if ripples:
            out.append(self.judge("ripple_pp_v", max(ripples), "ripple"))
        else:
            out.append(self.not_measured("ripple_pp_v", "the bank shut off before the capture"))
        return out


def _discharge_current_a(schedule: Schedule) -> float:
    """The first constant-current discharge step's current (A), else 1 A (what the load
    draws when a retention's current offset is weighed)."""
    for step in schedule.steps:
        if step.kind == "cc_discharge" and step.setpoints.get("i_a"):
            return float(step.setpoints["i_a"])
    return 1.0


def default_schedule(p: Mapping[str, float]) -> Schedule:
    """The GB/T 35590 sequence of this procedure as a cycler schedule, from its parameters:
    ``charge`` (the supply at ``supply_voltage_v``: the bank's charger runs CC then CV; ends
    when the input current is below ``charge_end_current_a`` twice, at ``charge_timeout_s``
    or at ``safety_temperature_c``), ``rest``, ``protection`` (this procedure's over-current
    and short-circuit trip tests), ``settle`` (no load: the no-load output voltage) and
    ``discharge`` (the load at the rated current until the safety temperature, the cut-off,
    the energy window or the timeout)."""
    hot = EndCondition("temp_ge_c", "temp", "ge", p["safety_temperature_c"])
    steps: list[Step] = []
    if p["charge"]:
        steps += [
            Step(
                "charge",
                "cv_hold",
                {"v_v": p["supply_voltage_v"], "i_a": p["supply_current_a"]},
                end=(
                    EndCondition("i_lt_a", "i", "lt", p["charge_end_current_a"], times=2),
                    EndCondition("t_ge_s", "t", "ge", p["charge_timeout_s"]),
                    hot,
                ),
                sample_s=p["charge_interval_s"],
                sample_at_start=False,
            ),
            Step(
                "rest",
                "rest",
                end=(EndCondition("t_ge_s", "t", "ge", p["rest_s"]),),
                sample_s=p["rest_s"],
                sample_at_start=False,
            ),
        ]
    discharge_end = [hot, EndCondition("v_lt_v", "v", "lt", p["cutoff_v"])]
    if p["energy_window_wh"] > 0:
        discharge_end.append(EndCondition("wh_ge", "wh", "ge", p["energy_window_wh"]))
    discharge_end.append(EndCondition("t_ge_s", "t", "ge", p["discharge_timeout_s"]))
    steps += [
        Step("protection", "protection"),
        Step(
            "settle",
            "rest",
            end=(EndCondition("t_ge_s", "t", "ge", p["no_load_settle_s"]),),
            sample_s=p["no_load_settle_s"],
            sample_at_start=False,
        ),
        Step(
            "discharge",
            "cc_discharge",
            {"i_a": p["rated_output_current_a"]},
            end=tuple(discharge_end),
            sample_s=p["discharge_interval_s"],
            sample_at_start=False,
        ),
    ]
    return Schedule(
        "GB/T 35590",
        tuple(steps),
        sample_s=p["discharge_interval_s"],
        supply_current_a=p["supply_current_a"],
        reference_voltage_v=p["rated_output_voltage_v"],
    )
