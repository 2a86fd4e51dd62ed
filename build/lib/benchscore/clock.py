"""Clock seam: a real clock on the station, a simulated one for tests, demo and training.

Every component that waits or timestamps takes a :class:`Clock`. ``monotonic()`` is for
integration and timeouts (seconds, never steps); ``time()`` is wall time (seconds since the
epoch, for comparing stations).
"""

from __future__ import annotations

import threading
import time as _time
from typing import Protocol


class Clock(Protocol):
    """What a component needs of time."""

    def monotonic(self) -> float:
        """Return monotonic time in seconds."""
        ...

    def time(self) -> float:
        """Return wall time in seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (simulated clocks advance instead of waiting)."""
        ...


class RealClock:
    """The machine's clocks."""

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            _time.sleep(seconds)


class SimClock:
    """Simulated time: ``sleep`` advances the clock instead of waiting.

    With ``speed`` set, ``sleep`` also waits ``seconds / speed`` of real time, so a demo can run
    a two-hour discharge in a few minutes while staying watchable. ``speed=None`` (default)
    never waits: a long procedure runs as fast as the code does.
    """

    def __init__(self, start_wall_s: float | None = None, speed: float | None = None) -> None:
        self._lock = threading.Lock()
        self._mono = 0.0
        self._wall0 = _time.time() if start_wall_s is None else start_wall_s
        self._speed = speed

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def time(self) -> float:
        with self._lock:
            return self._wall0 + self._mono

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` without waiting."""
        if seconds < 0:
            raise ValueError(f"cannot advance a clock backwards ({seconds} s)")
        with self._lock:
            self._mono += seconds

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._speed:
            _time.sleep(seconds / self._speed)
        self.advance(seconds)
