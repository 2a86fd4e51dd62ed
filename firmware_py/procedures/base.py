"""What every bench procedure is: phases over injected hardware, limits from the task, and a
teardown that always runs (after OpenHTF's plugs and PyMeasure's Procedure).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from benchscore.clock import Clock
from benchscore.configfile import ConfigError
from benchscore.measurement import Measurement, RunOutcome, run_outcome

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


class Procedure(ABC):
    """A bench procedure. Subclasses declare ``name``, the limits and parameters they need,
    and implement :meth:`execute` (the phases) and :meth:`teardown` (power off)."""

    name: ClassVar[str]
    required_limits: ClassVar[tuple[str, ...]] = ()
    parameters: ClassVar[dict[str, float]] = {}
    """Parameter names with their defaults (seconds, counts, volts as their names say)."""

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

    def judge(self, name: str, value: float | None, curve: str = "") -> Measurement:
        """Judge ``value`` against the task's limits for ``name``; ``curve`` names its raw data."""
        return Measurement.judged(
            name, value, self.task.units.get(name, ""), self.task.limits[name], curve=curve
        )

    def wait(self, seconds: float) -> None:
        """Sleep on the clock, checking for abort every 50 ms of clock time."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if self.should_stop():
                raise ProcedureAborted("aborted")
            self.clock.sleep(min(0.05, left))

    def run(self) -> ProcedureResult:
        """Run the phases; teardown always runs; bench errors become a FAULT with a reason."""
        result = ProcedureResult()
        try:
            self.execute(result)
        except ProcedureAborted as exc:
            result.fault_reason = str(exc)
        except (OSError, ValueError, TimeoutError, RuntimeError) as exc:
            log.warning("%s: bench fault: %s", self.name, exc)
            result.fault_reason = str(exc)
            result.fault_error = exc
        finally:
            try:
                self.teardown()
            except Exception as exc:  # teardown failure must be reported, never hidden
                log.exception("%s: teardown failed", self.name)
                result.fault_reason = result.fault_reason or f"teardown failed: {exc}"
        return result

    @abstractmethod
    def execute(self, result: ProcedureResult) -> None:
        """Run the phases, appending judged measurements to ``result``."""

    @abstractmethod
    def teardown(self) -> None:
        """Leave the assembly safe (power off); must work after any failure."""
