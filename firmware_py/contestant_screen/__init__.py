"""The contestant's screen: a small page the station serves for a 7-inch touchscreen (800x480)
or an HDMI monitor in kiosk Chromium, on loopback or the bench's LAN.

It shows READY / TESTING (phase, progress) / PASS / FAIL (the reasons in words) / FAULT ("call
a technician"), the time left in the module, and the open operator prompt with its answer
buttons. The station only *writes* a :class:`ScreenFeed` (attribute updates under a short
lock); the page's server runs in its own thread and only reads the feed and answers prompts
through the :class:`~firmware_py.operator_io.PromptDesk`, so the page can neither block nor
crash a measurement. The server (Starlette on uvicorn) and the catalogues (Babel) are the
optional ``benchscore[station-screen]`` extra: without them :func:`start_screen` warns and the
station runs as before.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from firmware_py.operator_io import PromptDesk

log = logging.getLogger(__name__)

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


def start_screen(feed: ScreenFeed, desk: PromptDesk, host: str, port: int) -> Any:
    """Serve the page on ``host:port`` in a daemon thread; None (and a warning) if the extra
    is not installed or the address cannot be bound. The result has ``stop()`` and ``url``."""
    try:
        from firmware_py.contestant_screen.server import ScreenServer
    except ImportError as exc:
        log.warning("contestant screen off: %s (install the benchscore[station-screen] extra)", exc)
        return None
    try:
        return ScreenServer.start(feed, desk, host, port)
    except OSError as exc:
        log.warning("contestant screen off: cannot listen on %s:%s: %s", host, port, exc)
        return None
