"""Commands to the stations: the module's end (``set_time_limit``), the synchronized start, and
reconciling a station that holds another end than its module's (it missed a command)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..store import Store
from .base import CompetitionBase
from .model import LIMIT_TOLERANCE_S, CommandSink, CompetitionError

log = logging.getLogger("scorer.competition")


class StationCommands(CompetitionBase):
    """Sending commands to the stations of a module (a part of ``Competition``)."""

    def __init__(
        self, store: Store, send: CommandSink | None = None, tasks_dir: Path | None = None
    ) -> None:
        super().__init__(store, send, tasks_dir)
        self._last_reconcile: dict[str, float] = {}
        self._recheck_lock = threading.Lock()
        self._rechecks: dict[str, threading.Timer] = {}
        self._closed = False

    def _send(self, event_id: str, station: str, command: str, args: dict[str, Any]) -> str:
        if self.send is None:
            raise CompetitionError("no MQTT link to send commands to the stations")
        cmd_id = f"{command}-{uuid.uuid4().hex[:12]}"
        self.send(event_id, station, cmd_id, command, args)
        return cmd_id

    def broadcast_limit(self, event_id: str, module_id: str) -> dict[str, str]:
        """Send the module's current end to each of its stations; station -> cmd_id."""
        clock = self.clock(event_id, module_id)
        sent = {}
        for station in sorted(self.event(event_id).stations_of(module_id)):
            sent[station] = self._send(
                event_id, station, "set_time_limit", {"end_ts": clock.end_ts}
            )
            self._last_reconcile[station] = time.monotonic()
        return sent

    def measure(self, event_id: str, module_id: str, marked: bool = True) -> dict[str, str]:
        """Synchronized start: ask every station of the module to start a run now."""
        stations = sorted(self.event(event_id).stations_of(module_id))
        command = "start" if marked else "self_check"
        args: dict[str, Any] = {"marked": True} if marked else {}
        return {s: self._send(event_id, s, command, args) for s in stations}

    def expected_end(
        self, event_id: str, station: str, task: str | None
    ) -> tuple[bool, float | None]:
        """(applies, end): the end ``station`` should hold, from the clock of the module it
        serves now (the module of its task, else the one started last); applies is False when
        no started module assigns the station."""
        try:
            ev = self.event(event_id)
        except CompetitionError:
            return False, None
        clocks = {c.module: c for c in self.clocks(event_id) if c.state != "pending"}
        mods = [m for m in ev.modules if station in ev.stations_of(m.id) and m.id in clocks]
        if not mods:
            return False, None
        by_task = [m for m in mods if m.task == task]
        pick = by_task[0] if by_task else max(mods, key=lambda m: clocks[m.id].started_at or 0.0)
        return True, clocks[pick.id].end_ts

    def reconcile(self, status: Mapping[str, Any], min_interval_s: float = 2.0) -> str | None:
        """Status hook: re-send the module's end to an online station that holds another one
        (it missed a command). Returns the cmd_id sent, if any.

        At most one resend per station every ``min_interval_s`` (a status that was on its way
        while a command went out must not cause a storm); a status that arrives sooner is
        checked again, from the stored status, once the interval has passed."""
        if status.get("online") is not True or self.send is None:
            return None
        station = status["station"]
        task = status.get("task") if isinstance(status.get("task"), str) else None
        applies, end = self.expected_end(status["event"], station, task)
        if not applies:
            return None
        held = status.get("time_limit_end")
        held = None if isinstance(held, bool) or not isinstance(held, int | float) else held
        if (held is None and end is None) or (
            held is not None and end is not None and abs(held - end) <= LIMIT_TOLERANCE_S
        ):
            return None
        last = self._last_reconcile.get(station)
        wait = 0.0 if last is None else last + min_interval_s - time.monotonic()
        if wait > 0:
            self._recheck_later(station, wait)
            return None
        self._last_reconcile[station] = time.monotonic()
        log.info("station %s holds end %s, module end is %s: sending it again", station, held, end)
        return self._send(status["event"], station, "set_time_limit", {"end_ts": end})

    def _recheck_later(self, station: str, delay_s: float) -> None:
        with self._recheck_lock:
            if station in self._rechecks or self._closed:
                return
            timer = threading.Timer(delay_s + 0.05, self._recheck, (station,))
            timer.daemon = True
            self._rechecks[station] = timer
        timer.start()

    def close(self) -> None:
        """Cancel pending re-checks (the scorer is stopping)."""
        with self._recheck_lock:
            self._closed = True
            timers = list(self._rechecks.values())
            self._rechecks.clear()
        for timer in timers:
            timer.cancel()

    def _recheck(self, station: str) -> None:
        with self._recheck_lock:
            self._rechecks.pop(station, None)
        try:
            row = self.store.station(station)
            if row is not None and row["online"]:
                self.reconcile(
                    {
                        "event": row["event"],
                        "station": station,
                        "online": True,
                        "task": row["task"],
                        "time_limit_end": row["time_limit_end"],
                    }
                )
        except Exception:  # the scorer may be stopping; the next status checks again
            log.debug("recheck of %s failed", station, exc_info=True)
