"""What every bench procedure is: phases over injected hardware, limits from the task, and a
teardown that always runs (after OpenHTF's plugs and PyMeasure's Procedure).

Helpers every procedure shares:

- :meth:`Procedure.judge` judges a value against the task's limits (``limits_key`` lets many
  measurements share one limit, e.g. the CCT of every zone); :meth:`Procedure.not_measured`
  records a measurement the assembly made impossible (a fail with no value and a reason).
- :class:`CurveStream` collects a long phase's samples and hands them to the station in
  chunks as the phase goes, so a two-hour curve is never one huge record.
- :meth:`Procedure.prompt` asks the contestant (or a judge) a question and waits for the
  answer, or its timeout and default; every prompt and answer goes into the run record.
- :meth:`Procedure.progress` publishes a live preview with ``progress_pct`` and ``eta_s``,
  decimated to one message per ``live_interval_s`` of clock time.
"""

from __future__ import annotations

import logging
import math
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from benchscore.clock import Clock
from benchscore.configfile import ConfigError
from benchscore.measurement import Limits, Measurement, Outcome, RunOutcome, run_outcome
from drivers.errors import DriverError
from firmware_py.operator_io import Prompt, PromptDesk

if TYPE_CHECKING:
    from firmware_py.config import TaskConfig

log = logging.getLogger(__name__)

LiveSink = Callable[[str, dict[str, float | None]], None]
"""Receives (phase, values) for the live preview; must never raise."""
CurveSink = Callable[[str, dict[str, list[float]]], None]
"""Receives (curve name, {column: values}): raw data stored and sent as curve records."""


class ProcedureAborted(Exception):
    """The run was aborted (ABORT pressed, daemon stopping)."""


class TaskInvalid(ConfigError):
    """A task definition that this procedure cannot run (missing limit or parameter)."""


@dataclass
class ProcedureResult:
    """What a run produced: judged measurements, and why it faulted if it did."""

    measurements: list[Measurement] = field(default_factory=list)
    fault_reason: str = ""
    fault_error: BaseException | None = None
    """The exception behind a fault (a BusError names its device), for health counters."""
    calibrations: list[str] = field(default_factory=list)
    """Ids of the sensor calibrations the bench applied (the record's ``calibrations``)."""
    prompts: list[dict[str, Any]] = field(default_factory=list)
    """The operator prompts of the run with their answers (the record's ``prompts``)."""
    fault_code: str = ""
    """The fault as a message code (``aborted``, ``bench_fault``...) with ``fault_params``:
    rendered in the reader's language; ``fault_reason`` keeps the English text."""
    fault_params: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> RunOutcome:
        return run_outcome(self.measurements, faulted=bool(self.fault_reason))

    @property
    def reason(self) -> str:
        """One short line for the contestant: the fault, or the failed measurements."""
        if self.fault_reason:
            return self.fault_reason
        failed = [m.reason for m in self.measurements if m.outcome.value in ("fail", "error")]
        return "; ".join(failed)

    def value(self, name: str) -> float | None:
        """The value of measurement ``name`` (None if absent or without a value)."""
        for m in self.measurements:
            if m.name == name:
                return m.value
        return None


def _compact(value: float) -> float:
    """A curve value rounded to 7 significant digits (keeps records small, loses nothing a
    sensor can resolve)."""
    if not math.isfinite(value) or value == 0.0:
        return float(value)
    return float(f"{value:.7g}")


class CurveStream:
    """Samples of one named curve, sent to the station in chunks while a phase runs.

    ``append`` one row per sample; every ``chunk_points`` rows (and at :meth:`flush`) the
    rows so far go out as one chunk of curve ``name`` (the station numbers the chunks in
    order). :attr:`columns` keeps everything for the analysis at the end of the phase.
    """

    def __init__(
        self, sink: CurveSink, name: str, columns: Sequence[str], chunk_points: int = 250
    ) -> None:
        if not 1 <= len(columns) <= 16:
            raise ValueError(f"a curve has 1-16 columns, got {len(columns)}")
        self.sink = sink
        self.name = name
        self.columns: dict[str, list[float]] = {c: [] for c in columns}
        self.chunk_points = chunk_points
        self._sent = 0

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def append(self, **values: float) -> None:
        if set(values) != set(self.columns):
            raise ValueError(f"curve {self.name}: expected {sorted(self.columns)}")
        for key, value in values.items():
            self.columns[key].append(float(value))
        if len(self) - self._sent >= self.chunk_points:
            self.flush()

    def flush(self) -> None:
        """Send the rows not sent yet as one chunk (nothing if there are none)."""
        end = len(self)
        if end > self._sent:
            self.sink(
                self.name,
                {
                    k: [_compact(v) for v in col[self._sent : end]]
                    for k, col in self.columns.items()
                },
            )
            self._sent = end


class Procedure(ABC):
    """A bench procedure. Subclasses declare ``name``, the limits and parameters they need,
    and implement :meth:`execute` (the phases) and :meth:`teardown` (power off)."""

    name: ClassVar[str]
    required_limits: ClassVar[tuple[str, ...]] = ()
    parameters: ClassVar[dict[str, float]] = {}
    """Parameter names with their defaults (seconds, counts, volts as their names say)."""
    live_interval_s: ClassVar[float] = 0.0
    """Least clock time between two live previews of :meth:`progress` (0: every call)."""
    desk: PromptDesk | None = None
    """Where :meth:`prompt` asks (the station sets it); None: nobody to ask, the default is
    taken at once."""

    def __init__(
        self,
        bench: Any,
        task: TaskConfig,
        clock: Clock,
        live: LiveSink,
        should_stop: Callable[[], bool] = lambda: False,
        curve: CurveSink = lambda name, columns: None,
    ) -> None:
        self.bench = bench
        self.task = task
        self.clock = clock
        self.live = live
        self.should_stop = should_stop
        self.curve = curve
        self.params = {**self.parameters, **task.parameters}
        self._last_live: dict[str, float] = {}
        self._prompts: list[dict[str, Any]] = []

    @classmethod
    def check_task(cls, task: TaskConfig) -> None:
        """Raise TaskInvalid naming the task file if limits or parameters are missing."""
        missing = [name for name in cls.required_limits if name not in task.limits]
        if missing:
            raise TaskInvalid(f"{task.file.name}: limits missing for {missing}")
        unknown = sorted(set(task.parameters) - set(cls.parameters))
        if unknown:
            raise TaskInvalid(
                f"{task.file.name}: unknown parameter(s) {unknown}; "
                f"{cls.name} takes {sorted(cls.parameters)}"
            )

    def has_limits(self, name: str) -> bool:
        """Whether the task judges measurement ``name`` (an optional phase runs if so)."""
        return name in self.task.limits

    def limits(self, key: str) -> Limits:
        return self.task.limits[key]

    def judge(
        self,
        name: str,
        value: float | None,
        curve: str = "",
        *,
        limits_key: str | None = None,
        reason: str = "",
    ) -> Measurement:
        """Judge ``value`` against the task's limits for ``limits_key`` (default ``name``);
        ``curve`` names its raw data; ``reason`` explains a fail better than the default."""
        key = limits_key or name
        limits = self.task.limits[key]
        u = None if value is None else self.uncertainty(name, value)
        rule = self.task.decision_rule
        if reason and limits.judge(value, u, rule) not in (Outcome.FAIL, Outcome.ERROR):
            reason = ""
        return Measurement.judged(
            name,
            value,
            self.task.units.get(key, ""),
            limits,
            reason=reason,
            curve=curve,
            u=u,
            rule=rule,
        )

    def uncertainty(self, name: str, value: float) -> float | None:
        """Expanded uncertainty (k = 2) of measurement ``name`` at ``value``, in its unit
        (None: not stated). Procedures override it from their bench's budget."""
        return None

    def not_measured(self, name: str, reason: str, *, limits_key: str | None = None) -> Measurement:
        """A measurement the assembly made impossible: ``fail``, no value, and why."""
        key = limits_key or name
        return Measurement(
            name,
            None,
            self.task.units.get(key, ""),
            self.task.limits[key],
            Outcome.FAIL,
            f"{name}: {reason}",
        )

    def wait(self, seconds: float) -> None:
        """Sleep on the clock, checking for abort every 50 ms of clock time."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if self.should_stop():
                raise ProcedureAborted("aborted")
            self.clock.sleep(min(0.05, left))

    def check_stop(self) -> None:
        if self.should_stop():
            raise ProcedureAborted("aborted")

    def prompt(
        self,
        code: str,
        text: str,
        kind: str = "yes_no",
        *,
        timeout_s: float | None = None,
        default: bool | float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> bool | float | None:
        """Ask the contestant and wait: ``kind`` ``instruction`` (returns True when done),
        ``yes_no`` (True/False) or ``number``; after ``timeout_s`` real seconds the answer is
        ``default``. ``code`` names the text in the contestant screen's catalogue, ``text`` is
        its English. Raises ProcedureAborted if the run is aborted while waiting."""
        asked = Prompt(
            # unique beyond the run: a judge's late answer to an earlier run's prompt misses
            id=f"{code[:48]}-{len(self._prompts) + 1}-{secrets.token_hex(3)}",
            kind=kind,
            text=text,
            code=code,
            params=dict(params or {}),
            timeout_s=timeout_s,
            default=default,
            min=minimum,
            max=maximum,
            asked_at=self.clock.time(),
        )
        self.live("prompt", {})
        if self.desk is None:
            entry = {**asked.to_dict(), "value": default, "by": "timeout"}
            entry["answered_at"] = asked.asked_at
        else:
            entry = self.desk.ask(asked, self.should_stop)
        self._prompts.append(entry)
        log.info("%s: prompt %s answered %r by %s", self.name, code, entry["value"], entry["by"])
        if entry["by"] == "aborted":
            raise ProcedureAborted("aborted")
        value: bool | float | None = entry["value"]
        return value

    def progress(
        self,
        phase: str,
        values: dict[str, float | None],
        *,
        fraction: float | None = None,
        elapsed_s: float = 0.0,
        force: bool = False,
    ) -> None:
        """Live preview of a long phase with ``progress_pct`` and ``eta_s`` (estimated from
        ``fraction`` done after ``elapsed_s``), at most one per ``live_interval_s``."""
        now = self.clock.monotonic()
        last = self._last_live.get(phase)
        if not force and last is not None and now - last < self.live_interval_s:
            return
        self._last_live[phase] = now
        out = dict(values)
        if fraction is not None:
            done = min(max(fraction, 0.0), 1.0)
            out["progress_pct"] = round(100.0 * done, 1)
            out["eta_s"] = (
                round(elapsed_s * (1.0 - done) / done, 0) if done > 1e-3 and elapsed_s > 0 else None
            )
        self.live(phase, out)

    def run(self) -> ProcedureResult:
        """Run the phases; teardown always runs; bench errors become a FAULT with a reason."""
        result = ProcedureResult()
        result.calibrations = list(getattr(self.bench, "calibrations", ()))
        try:
            self.execute(result)
        except ProcedureAborted as exc:
            result.fault_reason = str(exc)
            result.fault_code = "aborted"
        except (OSError, ValueError, TimeoutError, RuntimeError, DriverError) as exc:
            log.warning("%s: bench fault: %s", self.name, exc)
            result.fault_reason = str(exc) or type(exc).__name__
            result.fault_error = exc
            result.fault_code, result.fault_params = "bench_fault", {"detail": result.fault_reason}
        finally:
            result.prompts = list(self._prompts)
            try:
                self.teardown()
            except Exception as exc:  # teardown failure must be reported, never hidden
                log.exception("%s: teardown failed", self.name)
                if not result.fault_reason:
                    result.fault_reason = f"teardown failed: {exc}"
                    result.fault_code, result.fault_params = "teardown_failed", {"detail": str(exc)}
        return result

    @abstractmethod
    def execute(self, result: ProcedureResult) -> None:
        """Run the phases, appending judged measurements to ``result``."""

    @abstractmethod
    def teardown(self) -> None:
        """Leave the assembly safe (power off); must work after any failure."""


def safely(*steps: Callable[[], object]) -> None:
    """Run every step of a teardown even if some fail; re-raise the first failure after."""
    first: BaseException | None = None
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - the other steps must still run
            log.warning("teardown step failed: %s", exc)
            first = first or exc
    if first is not None:
        raise first
