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
from collections.abc import Callable
from typing import Any

from benchscore.protocol import PayloadError, parse
from benchscore.signing import KeyRing, verify

from .store import Store

AckSink = Callable[[str, str, str, list[int]], None]
"""Called as (event, station, boot_id, seqs) once records are stored (or known duplicates)."""

log = logging.getLogger(__name__)


class Ingest:
    """Route validated payloads to ``store``; count what was accepted, duplicated, rejected."""

    def __init__(
        self,
        store: Store,
        *,
        keys: KeyRing | None = None,
        require_signatures: bool = False,
        on_ack: AckSink | None = None,
    ) -> None:
        self.store = store
        self.keys = keys or KeyRing(None)
        self.require_signatures = require_signatures
        self.on_ack = on_ack
        self.replies: dict[str, dict[str, Any]] = {}
        """The latest command reply per station (cmd_id, ok, detail)."""
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
            self._check_signature(parts.station, obj)
            if self.store.add_record(obj, received_at=now):
                if obj["kind"] == "result":
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
            # stored now or before: either way the station may forget it
            if self.on_ack is not None:
                self.on_ack(parts.event, parts.station, obj["boot_id"], [obj["seq"]])
        elif parts.kind == "reply":
            with self._lock:
                self.replies[parts.station] = {
                    "cmd_id": obj["cmd_id"],
                    "ok": obj["ok"],
                    "detail": obj["detail"],
                    "received_at": now,
                }
                self._accepted += 1
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

    def _check_signature(self, station: str, obj: dict[str, Any]) -> None:
        key = self.keys.key_for(station)
        if key is None:
            if self.require_signatures:
                raise PayloadError("unknown_station", f"no key for station {station!r}")
            return
        if not verify(obj, key):
            what = "missing" if "sig" not in obj else "does not match"
            raise PayloadError("bad_signature", f"record signature {what} for {station!r}")

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
