"""A log budget: at most a few lines per kind of event a minute, then one line saying how many
were held back.

A flood of bad payloads (a misconfigured station, an attacker on an open broker) must not flood
the journal, the SD card or the technician's screen. What is held back is only the log line:
callers count and store every event themselves (the scorer's rejection ledger, the link's
``refused_messages``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    start: float
    used: int = 0
    held: int = 0


class LogBudget:
    """Log at most ``burst`` warnings per key in each ``window_s`` (seconds); report the rest
    as one line when the window has passed (at the next :meth:`warning` or :meth:`flush`)."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 5,
        window_s: float = 60.0,
        counted_in: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.counted_in = counted_in
        """Where every event is counted, for the held-back line (e.g. "the rejection ledger")."""
        self.burst = burst
        self.window_s = window_s
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, msg: str, *args: object) -> None:
        """Log ``msg % args`` at WARNING unless ``key`` has used its lines in this window."""
        now = self.clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.start >= self.window_s:
                if window is not None:
                    self._report(key, window)
                window = self._windows[key] = _Window(start=now)
            if window.used >= self.burst:
                window.held += 1
                return
            window.used += 1
        self.logger.warning(msg, *args)

    def flush(self) -> None:
        """Report what was held back in windows that have passed."""
        now = self.clock()
        with self._lock:
            for key, window in list(self._windows.items()):
                if now - window.start >= self.window_s:
                    self._report(key, window)
                    del self._windows[key]

    def _report(self, key: str, window: _Window) -> None:
        if window.held:
            self.logger.warning(
                "%d more '%s' lines held back in the last %.0f s%s",
                window.held,
                key,
                self.window_s,
                f" (each one is counted in {self.counted_in})" if self.counted_in else "",
            )
