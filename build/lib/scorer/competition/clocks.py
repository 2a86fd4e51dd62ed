"""Module clocks: ``start`` sets the end (start + limit) and sends it to every station of the
module; a new limit moves the end and is sent again; ``freeze`` closes marked runs (the
stations get the freeze time as their end) and keeps the remaining time, ``resume`` gives it
back; ``stop`` ends the module now. Every change is logged with who made it."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ..db import Tx
from .base import clock_of, read_clocks, read_event
from .commands import StationCommands
from .model import CompetitionError, ModuleClock

log = logging.getLogger("scorer.competition")


class ModuleClocks(StationCommands):
    """Changing the module clocks (a part of ``Competition``)."""

    def _change_clock(
        self,
        event_id: str,
        module_id: str,
        action: str,
        actor: str,
        change: Callable[[ModuleClock, float], ModuleClock],
        detail: dict[str, Any] | None = None,
    ) -> ModuleClock:
        now = time.time()

        def work(tx: Tx) -> ModuleClock:
            tx.lock(f"clock:{event_id}")
            event = read_event(tx, event_id)
            current = clock_of(read_clocks(tx, event_id), event, module_id)
            new = change(current, now)
            tx.execute(
                "INSERT INTO module_clocks AS c (event, module, state, time_limit_s, started_at, "
                "end_ts, paused_at, paused_s, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event, module) DO UPDATE SET state = excluded.state, "
                "time_limit_s = excluded.time_limit_s, started_at = excluded.started_at, "
                "end_ts = excluded.end_ts, paused_at = excluded.paused_at, "
                "paused_s = excluded.paused_s, updated_at = excluded.updated_at",
                (
                    event_id,
                    module_id,
                    new.state,
                    new.time_limit_s,
                    new.started_at,
                    new.end_ts,
                    new.paused_at,
                    new.paused_s,
                    now,
                ),
            )
            tx.execute(
                "INSERT INTO module_log (event, module, action, detail, actor, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    module_id,
                    action,
                    json.dumps({**(detail or {}), "end_ts": new.end_ts, "state": new.state}),
                    actor[:64],
                    now,
                ),
            )
            return new

        clock: ModuleClock = self.db.run(work)
        log.info("event %s module %s: %s by %s -> %s", event_id, module_id, action, actor, clock)
        return clock

    def start_module(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Start the module's clock now and send its end to every station of the module."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "pending":
                raise CompetitionError(f"module {module_id} is {c.state}, not pending")
            return dataclasses.replace(
                c, state="running", started_at=now, end_ts=now + c.time_limit_s, paused_s=0.0
            )

        clock = self._change_clock(event_id, module_id, "start", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def set_time_limit(
        self, event_id: str, module_id: str, minutes: float, actor: str = "chief"
    ) -> ModuleClock:
        """Change the module's time limit (live: the new end is sent to every station)."""
        if not 0 <= minutes <= 7 * 24 * 60:
            raise CompetitionError(f"time limit {minutes} min is outside 0..10080")
        limit = 60.0 * minutes

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state == "running" and c.started_at is not None:
                return dataclasses.replace(
                    c, time_limit_s=limit, end_ts=c.started_at + limit + c.paused_s
                )
            return dataclasses.replace(c, time_limit_s=limit)

        clock = self._change_clock(
            event_id, module_id, "time_limit", actor, change, {"minutes": minutes}
        )
        if clock.state == "running":
            self.broadcast_limit(event_id, module_id)
        return clock

    def freeze(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Freeze the module: marked runs close now; the remaining time is kept."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "running":
                raise CompetitionError(f"module {module_id} is {c.state}, not running")
            return dataclasses.replace(c, state="frozen", paused_at=now, end_ts=now)

        clock = self._change_clock(event_id, module_id, "freeze", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def resume(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Resume a frozen module with the time it had left."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "frozen" or c.paused_at is None or c.started_at is None:
                raise CompetitionError(f"module {module_id} is {c.state}, not frozen")
            paused = c.paused_s + (now - c.paused_at)
            return dataclasses.replace(
                c,
                state="running",
                paused_at=None,
                paused_s=paused,
                end_ts=c.started_at + c.time_limit_s + paused,
            )

        clock = self._change_clock(event_id, module_id, "resume", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def stop_module(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """End the module now: no marked run starts after this."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state not in ("running", "frozen"):
                raise CompetitionError(f"module {module_id} is {c.state}, not running")
            end = c.paused_at if c.state == "frozen" and c.paused_at is not None else now
            return dataclasses.replace(c, state="stopped", paused_at=None, end_ts=end)

        clock = self._change_clock(event_id, module_id, "stop", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def module_log(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT module, action, detail, actor, at FROM module_log WHERE event = ? "
                "ORDER BY id",
                (event_id,),
            )
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows
