"""The station daemon: state machine, START button, procedure runs, outbox, MQTT link.

One worker thread runs procedures, so the measurement loop owns the hardware while a run is
on; the button callback, the simulated operator and the scorer's commands only queue requests.
Every record goes into the outbox before anything is published; a run that a crash or power
cut interrupted is reported as interrupted at the next start.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from benchscore.clock import Clock, RealClock, SimClock
from benchscore.measurement import RunOutcome
from benchscore.protocol import MAX_CURVE_POINTS, SCHEMA_VERSION, Topics
from benchscore.sdnotify import notify, watchdog_interval_s
from benchscore.signing import load_key_file
from drivers.errors import DriverError
from firmware_py.config import StationConfig
from firmware_py.hardware import StationHardware
from firmware_py.health import Health
from firmware_py.link import StationLink
from firmware_py.operator_io import Display, FileDisplay, NullDisplay, message
from firmware_py.outbox import Outbox
from firmware_py.procedures import PROCEDURES
from firmware_py.procedures.base import ProcedureResult
from firmware_py.state import StateMachine, StationState

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the station restarted during this run (crash or power loss)"


def make_clock(config: StationConfig) -> Clock:
    """The real clock, or a simulated one when the simulation asks for it."""
    if config.hardware.backend == "sim" and config.simulation.clock == "sim":
        return SimClock()
    return RealClock()


@dataclass(frozen=True)
class RunRequest:
    source: str
    marked: bool = True


class Station:
    """A station: owns hardware, outbox, link and state; runs procedures on START."""

    def __init__(
        self,
        config: StationConfig,
        clock: Clock | None = None,
        hardware: StationHardware | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or make_clock(config)
        self.boot_id = uuid.uuid4().hex[:16]
        self.run_count = 0
        self.machine = StateMachine()
        self.health = Health()
        self.outbox = Outbox(config.state_dir / "outbox.db", capacity=config.outbox_capacity)
        key = load_key_file(config.key_file) if config.key_file else None
        self.hardware = hardware or StationHardware(config, self.clock)
        self.link = StationLink(
            config.broker,
            Topics(config.event, config.station_id),
            self.boot_id,
            config.task.id,
            self.outbox,
            key=key,
        )
        self.link.on_command = self.handle_command
        self._requests: queue.Queue[RunRequest] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._bench: Any = None
        """The hardware the task's procedure needs, from StationHardware.open_bench()."""
        self._last_outcome: RunOutcome | None = None
        self.time_limit_end: float | None = None
        """Wall time after which marked runs are refused (set by the scorer)."""
        self.runs: deque[dict[str, Any]] = deque(maxlen=100)
        """The latest result records of this boot (for the operator and tests); the durable
        copy is the outbox. Bounded: a daemon runs for days."""
        self.display: Display = (
            FileDisplay(config.display_file) if config.display_file else NullDisplay()
        )
        self._abort_cause = ""
        self.machine.add_listener(self._on_state)
        self.hardware.start_button.when_pressed = lambda: self.request_start("button")
        self.hardware.abort_button.when_pressed = lambda: self.abort("ABORT pressed")
        self.hardware.jig_sense.when_released = self._jig_opened
        self.hardware.jig_sense.when_pressed = self._jig_closed

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> StationState:
        return self.machine.state

    def _on_state(self, old: StationState, new: StationState, reason: str) -> None:
        log.info("state %s -> %s%s", old.value, new.value, f" ({reason})" if reason else "")
        self._show()
        if new in (StationState.DONE, StationState.FAULT) and old is StationState.RUNNING:
            self.hardware.sounder.verdict(
                self._last_outcome.value if self._last_outcome else "fault"
            )
        self.publish_status()
        notify(f"STATUS={new.value}{': ' + reason if reason else ''}")

    def _show(self) -> None:
        """Tower light and display for the current state."""
        self.hardware.lights.show(
            self.state, self._last_outcome is RunOutcome.PASS, self.hardware.jig_closed
        )
        outcome = self._last_outcome.value if self._last_outcome else None
        self.display.show(*message(self.state, self.machine.reason, outcome))

    def _jig_opened(self) -> None:
        if self.state is StationState.RUNNING:
            self.abort("jig opened during the run")
        self._show()

    def _jig_closed(self) -> None:
        self._show()

    def abort(self, cause: str) -> bool:
        """Abort the running procedure (its teardown still powers off); False if none runs."""
        if self.state is not StationState.RUNNING:
            return False
        self._abort_cause = cause
        self._abort.set()
        log.warning("aborting the run: %s", cause)
        return True

    @property
    def marked_attempts(self) -> int:
        """Marked runs with a verdict on this station's task so far (kept across restarts)."""
        return self.outbox.counter(f"marked:{self.config.task.id}")

    def publish_status(self) -> None:
        """Publish the retained status with health figures."""
        extra: dict[str, Any] = {
            "health": self.health.snapshot(self.outbox.depth, self.outbox.full)
        }
        if self._last_outcome is not None:
            extra["last_outcome"] = self._last_outcome.value
        if self.time_limit_end is not None:
            extra["time_limit_end"] = self.time_limit_end
        extra["jig_closed"] = self.hardware.jig_closed
        extra["marked_attempts"] = self.marked_attempts
        if self.config.max_marked_attempts:
            extra["max_marked_attempts"] = self.config.max_marked_attempts
        extra["calibrations"] = list(self.hardware.corrections)
        self.link.publish_status(self.state.value, self.machine.reason, **extra)

    def _check_hardware(self) -> bool:
        try:
            self._bench = self.hardware.open_bench()
        except (DriverError, OSError) as exc:
            self._bench = None
            self.health.count_error(exc)
            self.machine.to(StationState.FAULT, f"hardware check failed: {exc}")
            return False
        return True

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Report interrupted runs, connect, check the hardware, go READY (or FAULT)."""
        self._report_interrupted_runs()
        self.link.start()
        if self._check_hardware():
            self.machine.to(StationState.READY)
        notify("READY=1")

    def _report_interrupted_runs(self) -> None:
        for run in self.outbox.open_runs():
            log.warning("run %s was interrupted by a restart: reporting it", run.run_id)
            record = {
                "schema": SCHEMA_VERSION,
                "type": "record",
                "event": self.config.event,
                "station": self.config.station_id,
                "run_id": run.run_id,
                "kind": "result",
                "task": run.task,
                "procedure": run.procedure,
                "marked": run.marked,
                "started_at": run.started_at,
                "ended_at": max(run.started_at, self.clock.time()),
                "outcome": RunOutcome.FAULT.value,
                "reason": INTERRUPTED,
                "interrupted": True,
                "measurements": [],
            }
            self.link.put_record(record, closes_run=run.run_id)

    def request_start(self, source: str = "api", marked: bool = True) -> bool:
        """Ask for a run; ignored (False) while one is running or already queued."""
        if self.state is StationState.RUNNING:
            log.info("START (%s) ignored: a run is in progress", source)
            return False
        try:
            self._requests.put_nowait(RunRequest(source, marked))
        except queue.Full:
            return False
        return True

    def handle_command(self, command: str, args: dict[str, Any]) -> tuple[bool, str]:
        """A command from the scorer (network thread): act, and say what happened."""
        if command in ("start", "self_check"):
            marked = command == "start" and bool(args.get("marked", True))
            refusal = self.refusal(marked)
            if refusal:
                return False, refusal
            ok = self.request_start("scorer", marked)
            return ok, "queued" if ok else f"busy ({self.state.value})"
        if command == "abort":
            if not self.abort("aborted by the scorer"):
                return False, f"nothing to abort ({self.state.value})"
            return True, "aborting"
        if command == "set_time_limit":
            end = args.get("end_ts")
            if end is not None and (isinstance(end, bool) or not isinstance(end, int | float)):
                return False, "end_ts must be a wall time in seconds or null"
            self.time_limit_end = None if end is None else float(end)
            self.publish_status()
            return True, f"time limit {'cleared' if end is None else f'ends at {end}'}"
        if command == "rebirth":
            self.publish_status()
            return True, "status published"
        if command == "arm":
            return True, "armed"
        return False, f"unknown command {command!r}"

    def refusal(self, marked: bool) -> str:
        """Why a run may not start now ('' if it may)."""
        if not self.hardware.jig_closed:
            return "no assembly in the jig: close the jig, then press START"
        limit = self.config.max_marked_attempts
        if marked and limit and self.marked_attempts >= limit:
            return f"all {limit} marked attempts used: only self-check runs remain"
        if self.outbox.full:
            return (
                f"outbox full: {self.outbox.depth} records wait for the scorer; "
                "no new run until it catches up"
            )
        if marked and self.time_limit_end is not None and self.clock.time() > self.time_limit_end:
            return "time is up for this module: marked runs are closed"
        return ""

    def stop(self) -> None:
        """Ask the serve loop to end; an ongoing run is aborted and powered off."""
        self._stop.set()

    def close(self) -> None:
        self.hardware.close()
        self.link.close()
        self.outbox.close()

    def serve(self) -> None:
        """Run until :meth:`stop`: wait for START, run, publish; ping the watchdog."""
        auto = (
            self.config.simulation.auto_start_s if self.config.hardware.backend == "sim" else None
        )
        next_auto = time.monotonic() + (auto or 0.0)
        watchdog = watchdog_interval_s()
        next_ping = 0.0
        while not self._stop.is_set():
            if watchdog is not None and time.monotonic() >= next_ping:
                notify("WATCHDOG=1")
                next_ping = time.monotonic() + watchdog
            if auto is not None and time.monotonic() >= next_auto:
                self.hardware.press_start()
                next_auto = time.monotonic() + auto
            try:
                request = self._requests.get(timeout=0.1)
            except queue.Empty:
                continue
            refusal = self.refusal(request.marked)
            if refusal:
                log.warning("START from %s refused: %s", request.source, refusal)
                self.machine.reason = refusal
                self._show()
                self.publish_status()
                continue
            log.info(
                "START from %s (%s)", request.source, "marked" if request.marked else "self-check"
            )
            self.run_once(marked=request.marked)
            next_auto = time.monotonic() + (auto or 0.0)

    # -- a run -----------------------------------------------------------------------------
    def _live(self, run_id: str) -> Any:
        def sink(phase: str, values: dict[str, float | None]) -> None:
            if watchdog_interval_s() is not None:  # the measurement loop is alive
                notify("WATCHDOG=1")
            try:
                self.link.publish_live(
                    {
                        "schema": SCHEMA_VERSION,
                        "type": "live",
                        "event": self.config.event,
                        "station": self.config.station_id,
                        "boot_id": self.boot_id,
                        "run_id": run_id,
                        "ts": self.clock.time(),
                        "phase": phase,
                        "values": values,
                    }
                )
            except Exception:  # a preview must never break a measurement
                log.exception("live publish failed")

        return sink

    def _curve(self, run_id: str) -> Any:
        chunks: dict[str, int] = {}

        def sink(name: str, columns: dict[str, list[float]]) -> None:
            names = list(columns)
            length = len(columns[names[0]]) if names else 0
            for start in range(0, max(length, 1), MAX_CURVE_POINTS):
                chunk = chunks.get(name, 0)
                chunks[name] = chunk + 1
                self.link.put_record(
                    {
                        "schema": SCHEMA_VERSION,
                        "type": "record",
                        "event": self.config.event,
                        "station": self.config.station_id,
                        "run_id": run_id,
                        "kind": "curve",
                        "curve": name,
                        "chunk": chunk,
                        "columns": names,
                        "data": [
                            [float(v) for v in columns[n][start : start + MAX_CURVE_POINTS]]
                            for n in names
                        ],
                    }
                )

        return sink

    def run_once(self, marked: bool = True) -> dict[str, Any]:
        """Run the task's procedure once; store its records in the outbox; return the result."""
        self.run_count += 1
        self.health.runs += 1
        run_id = f"{self.boot_id}-{self.run_count}"
        task = self.config.task
        started = self.clock.time()
        self._abort.clear()
        self._abort_cause = ""
        self.outbox.open_run(run_id, self.boot_id, task.id, task.procedure, started, marked)
        if self.state is StationState.FAULT and not self._check_hardware():
            result = ProcedureResult(fault_reason=self.machine.reason)
        else:
            self.machine.to(StationState.RUNNING, f"run {run_id}")
            procedure = PROCEDURES[task.procedure](
                self._bench,
                task,
                self.clock,
                self._live(run_id),
                lambda: self._stop.is_set() or self._abort.is_set(),
                self._curve(run_id),
            )
            result = procedure.run()
            self.health.count_error(result.fault_error)
            if result.fault_reason == "aborted" and self._abort_cause:
                result.fault_reason = f"aborted: {self._abort_cause}"
        outcome = result.outcome
        self._last_outcome = outcome
        if marked and outcome is not RunOutcome.FAULT:  # a bench fault costs no attempt
            self.outbox.bump(f"marked:{task.id}")
        record: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "type": "record",
            "event": self.config.event,
            "station": self.config.station_id,
            "run_id": run_id,
            "kind": "result",
            "task": task.id,
            "procedure": task.procedure,
            "marked": marked,
            "started_at": started,
            "ended_at": max(started, self.clock.time()),
            "outcome": outcome.value,
            "reason": result.reason[:500],
            "measurements": [m.to_dict() for m in result.measurements],
            "calibrations": result.calibrations,
        }
        record["seq"] = self.link.put_record(record, closes_run=run_id)
        self.runs.append(record)
        log.info("run %s: %s %s", run_id, outcome.value.upper(), result.reason)
        if outcome is RunOutcome.FAULT:
            self.machine.to(StationState.FAULT, result.reason)
        else:
            self.machine.to(StationState.DONE, result.reason or "pass")
        return record
