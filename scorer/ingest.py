"""Ingest: one MQTT message in, a stored row (or a recorded rejection) out. Never raises.

Everything a station publishes is untrusted: :func:`benchscore.protocol.parse` validates it
against the topic it came on. Valid status and record payloads go to the :class:`Store`; live
samples are only kept in memory (the latest per station) for the hall page. Anything invalid is
recorded as a rejection with its reason, and the scorer carries on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from benchscore.protocol import PayloadError, parse

from .store import Store

log = logging.getLogger(__name__)


class Ingest:
    """Route validated payloads to ``store``; count what was accepted, duplicated, rejected."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._accepted = 0
        self._duplicates = 0
        self._rejected: Counter[str] = Counter()
        self._live: dict[str, dict[str, Any]] = {}

    # -- counters (snapshots, safe to read from any thread) -----------------------------
    @property
    def accepted(self) -> int:
        """Valid payloads taken in (status, live and new records)."""
        with self._lock:
            return self._accepted

    @property
    def duplicates(self) -> int:
        """Valid records that were already stored (not counted in ``accepted``)."""
        with self._lock:
            return self._duplicates

    @property
    def rejected(self) -> dict[str, int]:
        """Rejected payloads by reason, since this process started."""
        with self._lock:
            return dict(self._rejected)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "accepted": self._accepted,
                "duplicates": self._duplicates,
                "rejected": dict(self._rejected),
            }

    # -- live values -------------------------------------------------------------------
    def live_values(self, station: str) -> dict[str, Any]:
        """The latest live sample of ``station`` (``ts``, ``values``, ...), or {} if none."""
        with self._lock:
            latest = self._live.get(station)
            return _copy_live(latest) if latest is not None else {}

    def all_live(self) -> dict[str, dict[str, Any]]:
        """The latest live sample of every station that sent one."""
        with self._lock:
            return {station: _copy_live(v) for station, v in self._live.items()}

    # -- the entry point ---------------------------------------------------------------
    def handle(self, topic: str, payload: bytes) -> None:
        """Take one message; never raises."""
        try:
            self._handle(topic, payload)
        except PayloadError as exc:
            log.warning("rejected %s payload on %s: %s", exc.reason, topic, exc.detail)
            self._reject(topic, exc.reason, exc.detail, len(payload))
        except Exception as exc:
            log.exception("internal error ingesting %d bytes on %s", len(payload), topic)
            self._reject(topic, "internal", f"{type(exc).__name__}: {exc}", len(payload))

    def _handle(self, topic: str, payload: bytes) -> None:
        parts, obj = parse(topic, payload)
        now = time.time()
        if parts.kind == "record":
            if self.store.add_run(obj, received_at=now):
                log.info(
                    "run %s of %s: %s (seq %s)",
                    obj["run_id"],
                    parts.station,
                    obj["outcome"],
                    obj["seq"],
                )
                with self._lock:
                    self._accepted += 1
            else:
                log.debug("duplicate record %s/%s/%s", parts.station, obj["boot_id"], obj["seq"])
                with self._lock:
                    self._duplicates += 1
        elif parts.kind == "status":
            self.store.upsert_status(obj, received_at=now)
            with self._lock:
                self._accepted += 1
        else:  # live
            sample = {
                "station": parts.station,
                "event": parts.event,
                "boot_id": _opt_str(obj.get("boot_id")),
                "run_id": _opt_str(obj.get("run_id")),
                "phase": _opt_str(obj.get("phase")),
                "ts": obj["ts"],
                "values": dict(obj["values"]),
                "received_at": now,
            }
            with self._lock:
                self._live[parts.station] = sample
                self._accepted += 1

    def _reject(self, topic: str, reason: str, detail: str, size: int) -> None:
        with self._lock:
            self._rejected[reason] += 1
        try:
            self.store.add_rejection(topic, reason, detail, size)
        except Exception:
            log.exception("could not record a %s rejection on %s", reason, topic)


def _opt_str(value: Any) -> str | None:
    """A field the protocol does not check: kept only if it is a short string."""
    return value[:64] if isinstance(value, str) else None


def _copy_live(sample: dict[str, Any]) -> dict[str, Any]:
    out = dict(sample)
    out["values"] = dict(sample["values"])
    return out
