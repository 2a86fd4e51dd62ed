"""The latest view of the station for the contestant's screen: written by the station (short
lock), read by the page's server."""

from __future__ import annotations

import threading
import time
from typing import Any

MAX_FAILED_SHOWN = 8
"""Failed measurements the screen lists (the record keeps them all)."""


class ScreenFeed:
    """The latest view of the station, written by the station, read by the page's server."""

    def __init__(self, station: str, task: str) -> None:
        self._lock = threading.Lock()
        self._view: dict[str, Any] = {
            "station": station,
            "task": task,
            "state": "idle",
            "phase": "",
            "progress_pct": None,
            "run": None,
            "prompt": None,
            "time_limit_end": None,
        }

    def update(self, **fields: Any) -> None:
        """Replace the named fields (a new dict: readers never see a half-made view)."""
        with self._lock:
            self._view = {**self._view, **fields}

    def live(self, phase: str, values: dict[str, float | None]) -> None:
        """A live sample of the running procedure: its phase and progress (percent)."""
        pct = values.get("progress_pct")
        self.update(phase=phase, progress_pct=pct if isinstance(pct, int | float) else None)

    def result(self, record: dict[str, Any]) -> None:
        """A run's result record: outcome, reason (code, params, English), failed values."""
        failed = [
            {k: m.get(k) for k in ("name", "code", "params", "reason")}
            for m in record.get("measurements", [])
            if m.get("outcome") in ("fail", "error")
        ]
        self.update(
            run={
                "run_id": record.get("run_id"),
                "outcome": record.get("outcome"),
                "reason": record.get("reason", ""),
                "code": record.get("code", ""),
                "params": record.get("params", {}),
                "failed": failed[:MAX_FAILED_SHOWN],
                "more_failed": max(0, len(failed) - MAX_FAILED_SHOWN),
            },
            phase="",
            progress_pct=None,
        )

    def snapshot(self) -> dict[str, Any]:
        """The view now, with the station's wall time ``now`` (s) for the module clock."""
        with self._lock:
            view = self._view
        return {**view, "now": time.time()}
