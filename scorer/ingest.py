"""Ingest: MQTT messages in, stored rows (or recorded rejections) and acks out. Never raises.

Everything a station publishes is untrusted: :func:`benchscore.protocol.parse` validates it
against the topic it came on. Valid status and record payloads go to the :class:`Store`; live
samples are only kept in memory (the latest per station) for the hall page. Anything invalid is
recorded as a rejection with its reason, and the scorer carries on.

:meth:`Ingest.handle_batch` takes what has arrived (the worker of
:class:`scorer.ingest_queue.IngestQueue` calls it off paho's network thread): the records of a
batch are stored in one transaction and acked with one ack per station.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchscore.log_budget import LogBudget
from benchscore.protocol import PayloadError, parse
from benchscore.signing import verify_payload

from .fleet.keys import StationKeys
from .store import Store

AckSink = Callable[[str, str, str, list[int]], None]
"""Called as (event, station, boot_id, seqs) once records are stored (or known duplicates)."""
PayloadHook = Callable[[dict[str, Any]], object]
"""Called with a validated payload after it is stored (a new result, a status)."""

MAX_DB_INT = 2**63 - 1
"""Largest seq a database column holds (SQLite INTEGER, PostgreSQL BIGINT)."""
MAX_CHUNK = 2**31 - 1


@dataclass(frozen=True)
class _Record:
    """A valid record waiting to be stored with the rest of its batch."""

    topic: str
    event: str
    station: str
    obj: dict[str, Any]
    raw: bytes


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
        keys: StationKeys | None = None,
        require_signatures: bool = False,
        on_ack: AckSink | None = None,
        on_result: PayloadHook | None = None,
        on_status: PayloadHook | None = None,
    ) -> None:
        self.store = store
        self.keys = keys or StationKeys(None)
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
        self._log = LogBudget(log, counted_in="the rejection ledger, /api/rejections")
        """A few rejection lines per reason a minute: a flood must not flood the journal."""

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

    # -- the entry points --------------------------------------------------------------
    def handle(self, topic: str, payload: bytes) -> None:
        """Take one message; never raises."""
        self.handle_batch([(topic, payload)])

    def handle_batch(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Take messages in arrival order; never raises.

        Each payload is validated and its signature verified over the exact received bytes;
        statuses, replies and live samples are taken at once, records are stored together in
        one transaction (:meth:`Store.add_records`) and then acknowledged with one ack per
        station and boot, listing every seq of the batch (new or already stored). Nothing is
        acked before the transaction that stored it has committed. The batch's rejections
        are recorded together afterwards, in one transaction."""
        now = time.time()
        records: list[_Record] = []
        rejected: list[tuple[str, str, str, int]] = []
        try:
            for topic, payload in messages:
                try:
                    record = self._take(topic, payload, now)
                except (PayloadError, Rejected) as exc:
                    self._log.warning(
                        f"rejected {exc.reason}",
                        "rejected %s payload on %s: %s",
                        exc.reason,
                        topic,
                        exc.detail,
                    )
                    rejected.append((topic, exc.reason, exc.detail, len(payload)))
                except Exception as exc:
                    log.exception("internal error ingesting %d bytes on %s", len(payload), topic)
                    detail = f"{type(exc).__name__}: {exc}"
                    rejected.append((topic, "internal", detail, len(payload)))
                else:
                    if record is not None:
                        records.append(record)
            if records:
                self._store_records(records, now, rejected)
        finally:
            self._reject(rejected, now)

    def _take(self, topic: str, payload: bytes, now: float) -> _Record | None:
        """Validate one message and take it, except a record: that is returned for storing."""
        parts, obj = parse(topic, payload)
        self._check_signature(parts.station, topic, payload, obj)
        if parts.kind == "record":
            _check_storable(obj, payload)
            return _Record(topic, parts.event, parts.station, obj, payload)
        if parts.kind == "reply":
            _check_storable(obj, payload)
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
            _check_storable(obj, payload)
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
        return None

    def _store_records(
        self, records: list[_Record], now: float, rejected: list[tuple[str, str, str, int]]
    ) -> None:
        """Store ``records`` in one transaction, then ack them and run the result hook. If the
        transaction fails, each record is tried alone, so one bad record cannot hold back the
        others (it is rejected as ``internal`` and not acked; its station sends it again)."""
        try:
            stored = self.store.add_records(
                [r.obj for r in records], received_at=now, raw=[r.raw for r in records]
            )
        except Exception as exc:
            if len(records) > 1:
                log.warning(
                    "a batch of %d records failed (%s): storing them one by one", len(records), exc
                )
            kept: list[_Record] = []
            stored = []
            for r in records:
                try:
                    stored += self.store.add_records([r.obj], received_at=now, raw=[r.raw])
                except Exception as one:
                    log.exception("internal error storing a record on %s", r.topic)
                    detail = f"{type(one).__name__}: {one}"
                    rejected.append((r.topic, "internal", detail, len(r.raw)))
                else:
                    kept.append(r)
            records = kept
        acks: dict[tuple[str, str, str], list[int]] = {}
        new = 0
        for r, ok in zip(records, stored, strict=True):
            obj = r.obj
            if ok:
                new += 1
                if obj["kind"] == "result":
                    log.info(
                        "run %s of %s: %s (seq %s)",
                        obj["run_id"],
                        r.station,
                        obj["outcome"],
                        obj["seq"],
                    )
            else:
                log.debug("duplicate record %s/%s/%s", r.station, obj["boot_id"], obj["seq"])
            # stored now or before: either way the station may forget it
            acks.setdefault((r.event, r.station, obj["boot_id"]), []).append(obj["seq"])
        with self._lock:
            self._accepted += new
            self._duplicates += len(records) - new
        if self.on_ack is not None:
            for (event, station, boot_id), seqs in acks.items():
                try:
                    self.on_ack(event, station, boot_id, seqs)
                except Exception:
                    log.exception("could not ack %d records of %s", len(seqs), station)
        for r, ok in zip(records, stored, strict=True):
            if ok and r.obj["kind"] == "result":
                self._hook(self.on_result, r.obj)

    @staticmethod
    def _hook(hook: PayloadHook | None, obj: dict[str, Any]) -> None:
        """Derived work after storing (marks, reconciling): never undoes or rejects the store."""
        if hook is None:
            return
        try:
            hook(obj)
        except Exception:
            log.exception("hook %s failed", getattr(hook, "__qualname__", hook))

    def _check_signature(self, station: str, topic: str, raw: bytes, obj: dict[str, Any]) -> None:
        """Every message of a station with a key must carry that key's signature over its
        exact bytes; with ``require_signatures`` a station without a key is refused."""
        current = self.keys.current(station)
        if current is None:
            if self.require_signatures:
                raise PayloadError("unknown_station", f"no key in force for station {station!r}")
            return
        if "sig" not in obj:
            raise PayloadError("bad_signature", f"unsigned message from {station!r}")
        if obj.get("kid") != current.key.kid:
            raise PayloadError(
                "bad_signature",
                f"signed by key {obj.get('kid')!r}, not {station!r}'s key in force "
                f"{current.key.kid} (revoked or replaced?)",
            )
        if not verify_payload(current.key, topic, raw):
            raise PayloadError("bad_signature", f"signature does not verify for {station!r}")

    def _reject(self, rejected: list[tuple[str, str, str, int]], now: float) -> None:
        """Count and record (topic, reason, detail, size) rejections, in one transaction."""
        self._log.flush()
        if not rejected:
            return
        with self._lock:
            for _, reason, _, _ in rejected:
                self._rejected[reason] += 1
        try:
            self.store.add_rejections(rejected, received_at=now)
        except Exception:
            log.exception("could not record %d rejections", len(rejected))


def _check_storable(obj: dict[str, Any], raw: bytes) -> None:
    """What the protocol validator allows but no database column holds: integers past 64
    bits, chunk numbers past 32 bits, NUL characters in text (PostgreSQL refuses them).

    JSON carries a NUL character only as the escape ``\\u0000`` (a raw control character is
    not valid JSON), so one search of the received bytes, in C, clears almost every payload;
    only one that holds the escape is walked to find where."""
    seq = obj.get("seq")
    if isinstance(seq, int) and seq > MAX_DB_INT:
        raise Rejected("schema", f"record.seq: {seq} is larger than {MAX_DB_INT}")
    chunk = obj.get("chunk")
    if isinstance(chunk, int) and chunk > MAX_CHUNK:
        raise Rejected("schema", f"record.chunk: {chunk} is larger than {MAX_CHUNK}")
    if b"\\u0000" not in raw:
        return
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
