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
from collections.abc import Callable, Mapping
from typing import Any

from benchscore.protocol import PayloadError, parse
from benchscore.signing import KeyRing, verify

from .store import Store

AckSink = Callable[[str, str, str, list[int]], None]
"""Called as (event, station, boot_id, seqs) once records are stored (or known duplicates)."""
PayloadHook = Callable[[dict[str, Any]], object]
"""Called with a validated payload after it is stored (a new result, a status)."""

MAX_DB_INT = 2**63 - 1
"""Largest seq a database column holds (SQLite INTEGER, PostgreSQL BIGINT)."""
MAX_CHUNK = 2**31 - 1


class Rejected(Exception):
    """A payload the ingest refuses beyond what :func:`benchscore.protocol.parse` checks."""

    REASONS = frozenset({"stale_boot", "schema"})

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in self.REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


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
        on_result: PayloadHook | None = None,
        on_status: PayloadHook | None = None,
    ) -> None:
        self.store = store
        self.keys = keys or KeyRing(None)
        self.require_signatures = require_signatures
        self.on_ack = on_ack
        self.on_result = on_result
        """Called after a new result record is stored and acked (the marking engine)."""
        self.on_status = on_status
        """Called after a status is stored (the time-limit reconciler)."""
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
        except (PayloadError, Rejected) as exc:
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
            _check_storable(obj)
            stored = self.store.add_record(obj, received_at=now)
            if stored:
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
            if stored and obj["kind"] == "result":
                self._hook(self.on_result, obj)
        elif parts.kind == "reply":
            _check_storable(obj)
            self.store.add_reply(obj, received_at=now)
            with self._lock:
                self.replies[parts.station] = {
                    "cmd_id": obj["cmd_id"],
                    "ok": obj["ok"],
                    "detail": obj["detail"],
                    "received_at": now,
                }
                self._accepted += 1
        elif parts.kind == "status":
            _check_storable(obj)
            if not self.store.upsert_status(obj, received_at=now):
                raise Rejected(
                    "stale_boot",
                    f"offline status of boot {obj['boot_id']!r} of {parts.station!r}, which is "
                    "online with a newer boot",
                )
            with self._lock:
                self._accepted += 1
            self._hook(self.on_status, obj)
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

    @staticmethod
    def _hook(hook: PayloadHook | None, obj: dict[str, Any]) -> None:
        """Derived work after storing (marks, reconciling): never undoes or rejects the store."""
        if hook is None:
            return
        try:
            hook(obj)
        except Exception:
            log.exception("hook %s failed", getattr(hook, "__qualname__", hook))

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


def _check_storable(obj: dict[str, Any]) -> None:
    """What the protocol validator allows but no database column holds: integers past 64
    bits, chunk numbers past 32 bits, NUL characters in text (PostgreSQL refuses them)."""
    seq = obj.get("seq")
    if isinstance(seq, int) and seq > MAX_DB_INT:
        raise Rejected("schema", f"record.seq: {seq} is larger than {MAX_DB_INT}")
    chunk = obj.get("chunk")
    if isinstance(chunk, int) and chunk > MAX_CHUNK:
        raise Rejected("schema", f"record.chunk: {chunk} is larger than {MAX_CHUNK}")
    where = _nul_in(obj, "payload")
    if where is not None:
        raise Rejected("schema", f"{where}: a NUL character in text")


def _nul_in(value: Any, where: str) -> str | None:
    """The path of the first string (key or value) holding a NUL character, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in k:
                return f"{where} key"
            found = _nul_in(v, f"{where}.{k}")
            if found is not None:
                return found
    elif isinstance(value, list):
        if all(not isinstance(v, str | dict | list) for v in value):
            return None  # a column of numbers
        for i, v in enumerate(value):
            found = _nul_in(v, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def _opt_str(value: Any) -> str | None:
    """A field the protocol does not check: kept only if it is a short string."""
    return value[:64] if isinstance(value, str) else None


def with_live_only(
    stations: list[dict[str, Any]], live: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``stations`` (the store's rows) plus a row for each station seen only live so far (its
    retained status not received yet), sorted by id."""
    known = {s["id"] for s in stations}
    for sid, sample in live.items():
        if sid not in known:
            stations.append(
                {
                    "id": sid,
                    "event": sample["event"],
                    "state": None,
                    "online": None,
                    "boot_id": sample["boot_id"],
                    "sw": None,
                    "task": None,
                    "reason": None,
                    "status_ts": None,
                    "last_seen": sample["received_at"],
                    "last_run": None,
                }
            )
    stations.sort(key=lambda s: str(s["id"]))
    return stations


def _copy_live(sample: dict[str, Any]) -> dict[str, Any]:
    out = dict(sample)
    out["values"] = dict(sample["values"])
    return out
