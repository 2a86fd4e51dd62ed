"""Live data for browsers: the latest samples pushed as Server-Sent Events, and station health.

:class:`LiveHub` watches :meth:`Ingest.all_live` every ``tick_s`` (25 ms) while anyone is
subscribed, and pushes each new sample to every subscriber that follows its station (or all
stations). One tick's samples for "all stations" are encoded once and shared by every hall page.
A slow client's queue is bounded: when it is full the oldest message is dropped (the hall shows
the latest value; curves get a gap, as a lost QoS 0 preview would give them).

:class:`StatusTap` keeps the health and calibration ids of each station's last status, which
the store does not keep (it chains onto :attr:`Ingest.on_status`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from ..ingest import Ingest

log = logging.getLogger(__name__)

HISTORY_POINTS: Final = 240
"""Recent samples kept per station while the hub runs: a station page starts with them."""
QUEUE_MAX: Final = 200
KEEPALIVE_S: Final = 15.0
IDLE_STOP_S: Final = 60.0
"""The hub keeps polling this long after its last subscriber left (to keep the history)."""


class Subscriber:
    def __init__(self, station: str | None) -> None:
        self.station = station
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_MAX)
        self.dropped = 0

    def put(self, message: bytes) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)


def _sample(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "station": s["station"],
        "run_id": s.get("run_id"),
        "phase": s.get("phase"),
        "ts": s["ts"],
        "received_at": s["received_at"],
        "values": s["values"],
    }


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class LiveHub:
    """Fan-out of live samples to SSE subscribers (one hub per app, on its event loop)."""

    def __init__(self, ingest: Ingest, tick_s: float = 0.025) -> None:
        self.ingest = ingest
        self.tick_s = tick_s
        self._subs: set[Subscriber] = set()
        self._seen: dict[str, float] = {}
        self._history: dict[str, deque[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle_since: float | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def history(self, station: str) -> list[dict[str, Any]]:
        return list(self._history.get(station, ()))

    def subscribe(self, station: str | None) -> Subscriber:
        sub = Subscriber(station)
        self._subs.add(sub)
        self._idle_since = None
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._task = loop.create_task(self._run(), name="console-live-hub")
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)
        if not self._subs:
            self._idle_since = time.monotonic()

    async def _run(self) -> None:
        try:
            while True:
                if not self._subs:
                    idle = self._idle_since
                    if idle is None or time.monotonic() - idle > IDLE_STOP_S:
                        return
                try:
                    self.poll()
                except Exception:  # never let one bad sample stop the hall
                    log.exception("live hub poll failed")
                await asyncio.sleep(self.tick_s)
        finally:
            self._task = None

    def poll(self) -> int:
        """Push samples that arrived since the last poll; return how many."""
        changed: list[dict[str, Any]] = []
        for station, s in self.ingest.all_live().items():
            if self._seen.get(station) == s["received_at"]:
                continue
            self._seen[station] = s["received_at"]
            sample = _sample(s)
            changed.append(sample)
            hist = self._history.get(station)
            if hist is None:
                hist = self._history[station] = deque(maxlen=HISTORY_POINTS)
            hist.append(sample)
        if not changed or not self._subs:
            return len(changed)
        all_msg: bytes | None = None
        per_station: dict[str, bytes] = {}
        for sub in list(self._subs):
            if sub.station is None:
                if all_msg is None:
                    all_msg = sse("live", {"samples": changed})
                sub.put(all_msg)
            else:
                msg = per_station.get(sub.station)
                if msg is None:
                    mine = [s for s in changed if s["station"] == sub.station]
                    if not mine:
                        continue
                    msg = per_station[sub.station] = sse("live", {"samples": mine})
                sub.put(msg)
        return len(changed)

    async def stream(
        self, station: str | None, max_s: float, still_allowed: Callable[[], bool]
    ) -> AsyncIterator[bytes]:
        """An SSE body: history (for one station), then live samples, for ``max_s`` seconds.

        The stream ends after ``max_s`` (the browser's EventSource reconnects by itself, and the
        reconnect checks the session again), or as soon as ``still_allowed()`` turns false.
        """
        sub = self.subscribe(station)
        try:
            yield b"retry: 1000\n: benchscore live\n\n"
            if station is not None:
                yield sse("history", {"station": station, "samples": self.history(station)})
            deadline = time.monotonic() + max_s
            last_check = last_send = time.monotonic()
            while True:
                now = time.monotonic()
                left = deadline - now
                if left <= 0:
                    return
                if now - last_check > 30:
                    last_check = now
                    if not await asyncio.to_thread(still_allowed):
                        return
                try:
                    msg = await asyncio.wait_for(sub.queue.get(), timeout=min(left, KEEPALIVE_S))
                except TimeoutError:
                    if time.monotonic() - last_send >= KEEPALIVE_S - 0.01:
                        last_send = time.monotonic()
                        yield b": keepalive\n\n"
                    continue
                last_send = time.monotonic()
                yield msg
        finally:
            self.unsubscribe(sub)


class StatusTap:
    """The last valid status of each station, seen as :class:`Ingest` takes it in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, dict[str, Any]] = {}

    def install(self, ingest: Ingest) -> None:
        """Chain onto ``ingest.on_status`` (called with every stored, valid status)."""
        if getattr(ingest, "_console_tap", None) is not None:
            return
        previous = ingest.on_status

        def on_status(obj: dict[str, Any]) -> object:
            self.observe(obj)
            return None if previous is None else previous(obj)

        ingest.on_status = on_status
        setattr(ingest, "_console_tap", self)  # noqa: B010 - marks the ingest as tapped

    def observe(self, obj: dict[str, Any]) -> None:
        health = obj.get("health")
        if not isinstance(health, dict):
            # an offline status (a Will) carries no health: keep the last known figures, so
            # the fleet page still shows the backlog of a station that was cut off
            with self._lock:
                health = (self._status.get(str(obj["station"])) or {}).get("health")
        entry = {
            "health": health if isinstance(health, dict) else None,
            "time_limit_end": obj.get("time_limit_end"),
            "calibration": obj.get("calibration"),
            "prompt": obj.get("prompt") if isinstance(obj.get("prompt"), dict) else None,
            "received_at": time.time(),
        }
        with self._lock:
            self._status[str(obj["station"])] = entry

    def get(self, station: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._status.get(station, {}))

    def all(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: dict(v) for k, v in self._status.items()}
