"""The station daemon: state machine, START button, procedure runs, outbox, MQTT link.

One worker thread runs procedures, so the measurement loop owns the hardware while a run is
on; the button callback, the simulated operator and the scorer's commands only queue requests.
Every record goes into the outbox before anything is published; a run that a crash or power
cut interrupted is reported as interrupted at the next start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from benchscore.clock import Clock, RealClock, SimClock
from benchscore.identity import Identity, PublicKey
from benchscore.measurement import RunOutcome
from benchscore.protocol import MAX_CURVE_POINTS, SCHEMA_VERSION, Topics
from benchscore.sdnotify import notify, watchdog_interval_s
from drivers.errors import DriverError
from firmware_py.calibration import CalibrationError
from firmware_py.config import StationConfig
from firmware_py.contestant_screen import ScreenFeed, start_screen
from firmware_py.hardware import StationHardware
from firmware_py.health import Health
from firmware_py.link import StationLink
from firmware_py.operator_io import Display, FileDisplay, NullDisplay, PromptDesk, message
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


def write_json_atomic(path: Any, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` as JSON in one step (never a half-written file)."""
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("cannot write %s: %s", path, exc)


class Station:
    """A station: owns hardware, outbox, link and state; runs procedures on START."""

    def __init__(
        self,
        config: StationConfig,
        clock: Clock | None = None,
        hardware: StationHardware | None = None,
        identity: Identity | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or make_clock(config)
        self.boot_id = uuid.uuid4().hex[:16]
        self.run_count = 0
        self.machine = StateMachine()
        self.health = Health()
        self.outbox = Outbox(config.state_dir / "outbox.db", capacity=config.outbox_capacity)
        self.identity = identity or Identity.load_or_create(config.identity_path)
        scorer_key = PublicKey.from_hex(config.scorer_key) if config.scorer_key else None
        if scorer_key is None:
            log.warning(
                "no scorer key pinned (adopt this station, or set [station] scorer_key): acks "
                "and commands are refused, records wait in the outbox"
            )
        self.hardware = hardware or StationHardware(config, self.clock)
        self.link = StationLink(
            config.broker,
            Topics(config.event, config.station_id),
            self.boot_id,
            config.task.id,
            self.outbox,
            identity=self.identity,
            scorer_key=scorer_key,
            client_id=config.client_id,
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
        self._abort_code = "aborted"
        self.alarm = ""
        """Something a technician must see while the station still works (a corrupt outbox
        moved aside): in the status, on the display, an amber blink, the log."""
        if self.outbox.corrupt_moved is not None:
            self.alarm = (
                f"outbox was corrupt, kept as {self.outbox.corrupt_moved.name}: "
                "run 'benchscore outbox salvage'"
            )
            log.error("ALARM: %s", self.alarm)
        self.prompts = PromptDesk(wall=self.clock.time, on_change=self._prompt_changed)
        """Operator prompts: START answers yes/done, ABORT no, while one is open."""
        self.feed = ScreenFeed(config.station_id, config.task.name)
        """What the contestant's screen page shows (served only if ``[station] screen``)."""
        self.screen: Any = None
        self.machine.add_listener(self._on_state)
        self.hardware.start_button.when_pressed = self._start_pressed
        self.hardware.abort_button.when_pressed = self._abort_pressed
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
            self.state,
            self._last_outcome is RunOutcome.PASS,
            self.hardware.jig_closed,
            alarm=bool(self.alarm),
        )
        outcome = self._last_outcome.value if self._last_outcome else None
        line1, line2 = message(self.state, self.machine.reason, outcome)
        if self.alarm and not line2:  # a verdict's reason stays on the screen
            line2 = "technician: " + self.alarm
        elif not self.link.connected and not line2:
            line2 = "offline, results kept"
        prompt = self.prompts.current
        if prompt is not None:
            line1, line2 = "QUESTION - answer on the screen", prompt.text
        self.display.show(line1, line2)
        self.feed.update(
            state=self.state.value,
            outcome=outcome,
            reason=self.machine.reason,
            code=self.machine.code,
            params=self.machine.params,
            alarm=self.alarm,
            connected=self.link.connected,
            jig_closed=self.hardware.jig_closed,
            time_limit_end=self.time_limit_end,
            prompt=None
            if prompt is None
            else {**prompt.to_dict(), "expires_at": self.prompts.expires_at},
        )

    def _start_pressed(self) -> None:
        if not self.prompts.press("start"):
            self.request_start("button")

    def _abort_pressed(self) -> None:
        if not self.prompts.press("abort"):
            self.abort("ABORT pressed", "aborted_button")

    def _prompt_changed(self) -> None:
        """A prompt opened or closed: display, screen, status; the simulated operator."""
        self._show()
        self.publish_status()
        prompt = self.prompts.current
        if prompt is not None:
            self.hardware.sounder.attention()
        answer_s = self.config.simulation.prompt_answer_s
        if prompt is not None and self.config.hardware.backend == "sim" and answer_s is not None:

            def press() -> None:
                if self.prompts.current is prompt:
                    self.hardware.press_start()

            timer = threading.Timer(answer_s, press)
            timer.daemon = True
            timer.start()

    def _jig_opened(self) -> None:
        if self.state is StationState.RUNNING:
            self.abort("jig opened during the run", "aborted_jig")
        self._show()

    def _jig_closed(self) -> None:
        self._show()

    def abort(self, cause: str, code: str = "aborted") -> bool:
        """Abort the running procedure (its teardown still powers off); False if none runs.
        ``code`` names the cause for the contestant's screen (``aborted_button``...)."""
        if self.state is not StationState.RUNNING:
            return False
        self._abort_cause = cause
        self._abort_code = code
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
        if self.machine.code:
            extra["code"], extra["params"] = self.machine.code, self.machine.params
        prompt = self.prompts.current
        if prompt is not None:
            extra["prompt"] = prompt.to_dict()
        if self.alarm:
            extra["alarm"] = self.alarm[:500]
        store = self.hardware.corrections.store
        if store is not None:  # the scorer keeps a copy: a replacement Pi gets them back
            # an unreadable store faults the runs (with its reason), not the status
            with contextlib.suppress(CalibrationError):
                extra["calibration_records"] = [c.to_dict() for c in store.all()][-64:]
        self.link.publish_status(self.state.value, self.machine.reason, **extra)
        self.write_local_status()

    def write_local_status(self) -> None:
        """``<state_dir>/status.json`` for ``benchscore station status`` (works offline too)."""
        snapshot = {
            "station": self.config.station_id,
            "event": self.config.event,
            "task": self.config.task.id,
            "state": self.state.value,
            "reason": self.machine.reason,
            "kid": self.identity.kid,
            "connected": self.link.connected,
            "since": self.link.since,
            "link_problem": self.link.last_problem,
            "alarm": self.alarm,
            "outbox_depth": self.outbox.depth,
            "written_at": time.time(),
        }
        write_json_atomic(self.config.state_dir / "status.json", snapshot)

    def _check_hardware(self) -> bool:
        try:
            self._bench = self.hardware.open_bench()
        except (DriverError, OSError) as exc:
            self._bench = None
            self.health.count_error(exc)
            self.machine.to(
                StationState.FAULT,
                f"hardware check failed: {exc}",
                "hardware_check_failed",
                {"detail": str(exc)[:200]},
            )
            return False
        return True

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Report interrupted runs, connect, check the hardware, go READY (or FAULT); serve
        the contestant's screen if the file asks (a screen that cannot start is a warning)."""
        self._report_interrupted_runs()
        if self.config.screen is not None:
            self.screen = start_screen(self.feed, self.prompts, *self.config.screen)
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
                "code": "interrupted",
                "params": {},
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
        if command == "answer":
            return self.prompts.answer(
                str(args.get("prompt", "")),
                args.get("value", True),
                "judge",
                judge=str(args.get("judge", ""))[:64],
            )
        if command == "abort":
            if not self.abort("aborted by the scorer", "aborted_scorer"):
                return False, f"nothing to abort ({self.state.value})"
            return True, "aborting"
        if command == "set_time_limit":
            end = args.get("end_ts")
            if end is not None and (isinstance(end, bool) or not isinstance(end, int | float)):
                return False, "end_ts must be a wall time in seconds or null"
            self.time_limit_end = None if end is None else float(end)
            self.feed.update(time_limit_end=self.time_limit_end)
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
        return self.coded_refusal(marked)[0]

    def coded_refusal(self, marked: bool) -> tuple[str, str, dict[str, Any]]:
        """Why a run may not start now: (English, code, params); ('', '', {}) if it may."""
        if not self.hardware.jig_closed:
            return "no assembly in the jig: close the jig, then press START", "jig_open", {}
        limit = self.config.max_marked_attempts
        if marked and limit and self.marked_attempts >= limit:
            return (
                f"all {limit} marked attempts used: only self-check runs remain",
                "attempts_used",
                {"limit": limit},
            )
        if self.outbox.full:
            return (
                f"outbox full: {self.outbox.depth} records wait for the scorer; "
                "no new run until it catches up",
                "outbox_full",
                {"depth": self.outbox.depth},
            )
        if marked and self.time_limit_end is not None and self.clock.time() > self.time_limit_end:
            return "time is up for this module: marked runs are closed", "time_up", {}
        return "", "", {}

    def stop(self) -> None:
        """Ask the serve loop to end; an ongoing run is aborted and powered off."""
        self._stop.set()

    def close(self) -> None:
        if self.screen is not None:
            self.screen.stop()
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
        linked = self.link.connected
        while not self._stop.is_set():
            if watchdog is not None and time.monotonic() >= next_ping:
                notify("WATCHDOG=1")
                next_ping = time.monotonic() + watchdog
            if self.link.connected != linked:
                linked = self.link.connected
                self._show()
                self.write_local_status()
            if auto is not None and time.monotonic() >= next_auto:
                self.hardware.press_start()
                next_auto = time.monotonic() + auto
            try:
                request = self._requests.get(timeout=0.1)
            except queue.Empty:
                continue
            refusal, code, params = self.coded_refusal(request.marked)
            if refusal:
                log.warning("START from %s refused: %s", request.source, refusal)
                self.machine.set_reason(refusal, code, params)
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
            self.feed.live(phase, values)  # attribute updates only: never blocks
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
        self._abort_code = "aborted"
        self.feed.live("", {})
        self.outbox.open_run(run_id, self.boot_id, task.id, task.procedure, started, marked)
        if self.state is StationState.FAULT and not self._check_hardware():
            result = ProcedureResult(
                fault_reason=self.machine.reason,
                fault_code=self.machine.code,
                fault_params=self.machine.params,
            )
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
            procedure.desk = self.prompts
            result = procedure.run()
            self.health.count_error(result.fault_error)
            if result.fault_reason == "aborted" and self._abort_cause:
                result.fault_reason = f"aborted: {self._abort_cause}"
                result.fault_code = self._abort_code
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
        if result.fault_reason and result.fault_code:
            record["code"], record["params"] = result.fault_code, result.fault_params
        if result.prompts:
            record["prompts"] = result.prompts
        record["seq"] = self.link.put_record(record, closes_run=run_id)
        self.runs.append(record)
        log.info("run %s: %s %s", run_id, outcome.value.upper(), result.reason)
        self.feed.result(record)
        if outcome is RunOutcome.FAULT:
            self.machine.to(
                StationState.FAULT, result.reason, record.get("code", ""), record.get("params")
            )
        else:
            code = "" if result.reason else "all_within"
            self.machine.to(StationState.DONE, result.reason or "pass", code)
        return record
