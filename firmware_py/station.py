"""The station daemon: state machine, START button, procedure runs, MQTT link.

One worker thread runs procedures, so the measurement loop owns the hardware while a run is
on; the button callback and the simulated operator only queue requests. Every state change
updates the tower light and the retained status message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from typing import Any

from benchscore.clock import Clock, RealClock, SimClock
from benchscore.measurement import RunOutcome
from benchscore.protocol import SCHEMA_VERSION, Topics
from benchscore.sdnotify import notify, watchdog_interval_s
from drivers.errors import DriverError
from firmware_py.config import StationConfig
from firmware_py.hardware import StationHardware
from firmware_py.link import StationLink
from firmware_py.procedures import PROCEDURES
from firmware_py.procedures.base import ProcedureResult
from firmware_py.procedures.led_assembly import LEDBench
from firmware_py.state import StateMachine, StationState

log = logging.getLogger(__name__)


def make_clock(config: StationConfig) -> Clock:
    """The real clock, or a simulated one when the simulation asks for it."""
    if config.hardware.backend == "sim" and config.simulation.clock == "sim":
        return SimClock()
    return RealClock()


class Station:
    """A station: owns hardware, link and state; runs procedures on START."""

    def __init__(
        self,
        config: StationConfig,
        clock: Clock | None = None,
        hardware: StationHardware | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or make_clock(config)
        self.boot_id = uuid.uuid4().hex[:16]
        self.seq = 0
        self.machine = StateMachine()
        self.hardware = hardware or StationHardware(config, self.clock)
        self.link = StationLink(
            config.broker, Topics(config.event, config.station_id), self.boot_id, config.task.id
        )
        self._requests: queue.Queue[str] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._bench: LEDBench | None = None
        self._last_outcome: RunOutcome | None = None
        self.runs: list[dict[str, Any]] = []
        self.machine.add_listener(self._on_state)
        self.hardware.start_button.when_pressed = lambda: self.request_start("button")

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> StationState:
        return self.machine.state

    def _on_state(self, old: StationState, new: StationState, reason: str) -> None:
        log.info("state %s -> %s%s", old.value, new.value, f" ({reason})" if reason else "")
        self.hardware.lights.show(new, self._last_outcome is RunOutcome.PASS)
        extra: dict[str, Any] = {}
        if self._last_outcome is not None:
            extra["last_outcome"] = self._last_outcome.value
        self.link.publish_status(new.value, reason, **extra)
        notify(f"STATUS={new.value}{': ' + reason if reason else ''}")

    def _check_hardware(self) -> bool:
        try:
            self._bench = self.hardware.open_bench()
        except (DriverError, OSError) as exc:
            self._bench = None
            self.machine.to(StationState.FAULT, f"hardware check failed: {exc}")
            return False
        return True

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Connect, check the hardware and go READY (or FAULT with a reason)."""
        self.link.start()
        if self._check_hardware():
            self.machine.to(StationState.READY)
        notify("READY=1")

    def request_start(self, source: str = "api") -> bool:
        """Ask for a run; ignored (False) while one is running or already queued."""
        if self.state is StationState.RUNNING:
            log.info("START (%s) ignored: a run is in progress", source)
            return False
        try:
            self._requests.put_nowait(source)
        except queue.Full:
            return False
        return True

    def stop(self) -> None:
        """Ask the serve loop to end; an ongoing run is aborted and powered off."""
        self._stop.set()

    def close(self) -> None:
        self.hardware.close()
        self.link.close()

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
            try:
                source = self._requests.get(timeout=0.1)
            except queue.Empty:
                continue
            log.info("START from %s", source)
            self.run_once()
            next_auto = time.monotonic() + (auto or 0.0)

    # -- a run -----------------------------------------------------------------------------
    def _live(self, run_id: str) -> Any:
        def sink(phase: str, values: dict[str, float | None]) -> None:
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

    def run_once(self) -> dict[str, Any]:
        """Run the task's procedure once and publish its record; return the record."""
        self.seq += 1
        run_id = f"{self.boot_id}-{self.seq}"
        task = self.config.task
        started = self.clock.time()
        if self.state is StationState.FAULT and not self._check_hardware():
            result = ProcedureResult(fault_reason=self.machine.reason)
        else:
            self.machine.to(StationState.RUNNING, f"run {run_id}")
            procedure = PROCEDURES[task.procedure](
                self._bench, task, self.clock, self._live(run_id), self._stop.is_set
            )
            result = procedure.run()
        outcome = result.outcome
        self._last_outcome = outcome
        record: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "type": "record",
            "event": self.config.event,
            "station": self.config.station_id,
            "boot_id": self.boot_id,
            "seq": self.seq,
            "run_id": run_id,
            "kind": "result",
            "task": task.id,
            "procedure": task.procedure,
            "started_at": started,
            "ended_at": max(started, self.clock.time()),
            "outcome": outcome.value,
            "reason": result.reason[:500],
            "measurements": [m.to_dict() for m in result.measurements],
        }
        self.runs.append(record)
        self.link.publish_record(record)
        log.info("run %s: %s %s", run_id, outcome.value.upper(), result.reason)
        if outcome is RunOutcome.FAULT:
            self.machine.to(StationState.FAULT, result.reason)
        else:
            self.machine.to(StationState.DONE, result.reason or "pass")
        return record
