"""Storage of the scorer: stations, runs with their measurements, curves, rejected payloads,
and the competition tables (events, scheme versions, module clocks, judgements, marks).

SQLite by default, PostgreSQL by URL (:mod:`scorer.db`). Records are idempotent on
``(station, boot_id, seq)``: a station's outbox may publish the same record twice (QoS 1
re-delivery, reconnect, replay, a second scorer worker) and it is stored once; the ``records``
ledger's unique key decides, inside the transaction that stores the record, so two workers on
one PostgreSQL database cannot both store it.

Curves are packed compactly: each chunk's columns as little-endian float64, byte-shuffled (the
eight bytes of every value grouped by significance, as HDF5's shuffle filter does) and
zlib-compressed; ``codec`` names the packing so older rows stay readable.

Station ids are unique per scorer database (one hall, or one competition); the event is kept as
a column.
"""

from __future__ import annotations

import json
import logging
import math
import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final

import numpy as np

from .db import Database, StoreError, Tx, is_postgres_url, open_database, sqlite_path
from .migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "StoreError"]

MAX_REJECTIONS_KEPT: Final = 10_000
"""Rejected payloads kept in detail; the totals by reason are kept for ever."""
_TOPIC_MAX: Final = 256
_DETAIL_MAX: Final = 1000
_LIMIT_KEYS: Final = ("low", "high", "marginal_low", "marginal_high")
CURVE_CODEC: Final = "f64-shuffle-zlib"
"""How new curve chunks are packed (``f64-zlib``, the first packing, is still read)."""

_CURVE_COLUMNS: Final = (
    "station",
    "boot_id",
    "seq",
    "run_id",
    "curve",
    "chunk",
    "columns",
    "points",
    "data",
    "codec",
)
_MEASUREMENT_COLUMNS: Final = (
    "run",
    "pos",
    "name",
    "value",
    "unit",
    "low",
    "high",
    "marginal_low",
    "marginal_high",
    "outcome",
    "reason",
    "u",
)
_LEDGER_TYPES: Final = ("text", "text", "bigint", "text", "text", "integer", "float8", "text")
"""PostgreSQL types of the ledger row (station .. worker) of a batch insert."""
_RUN_TYPES: Final = (
    *("text", "text", "text", "bigint", "text", "text", "text", "float8", "float8"),
    *("text", "text", "integer", "integer", "integer", "float8", "text"),
)
"""PostgreSQL types of the runs row (station .. payload) of a batch insert."""
_RUN_COLUMNS: Final = (
    "id, station, event, boot_id, seq, run_id, task, procedure, started_at, ended_at, "
    "outcome, reason, historical, interrupted, marked, received_at"
)


def _opt_str(value: Any, limit: int = 500) -> str | None:
    """A string field the protocol does not check: keep it if it is a string, else None."""
    return value[:limit] if isinstance(value, str) else None


def _opt_num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def pack_columns(data: Sequence[Sequence[float]]) -> bytes:
    """Columns of equal length as shuffled, compressed float64 (codec ``f64-shuffle-zlib``);
    the numbers are converted by numpy in one step (no per-value Python work)."""
    flat = np.asarray(data, dtype="<f8").ravel()
    shuffled = flat.view(np.uint8).reshape(-1, 8).T.copy() if flat.size else flat.view(np.uint8)
    return zlib.compress(shuffled.tobytes(), 6)


def unpack_columns(codec: str, blob: bytes, n_columns: int, points: int) -> list[list[float]]:
    """The inverse of :func:`pack_columns` (and of the first packing, ``f64-zlib``)."""
    if codec not in ("f64-zlib", CURVE_CODEC):
        raise StoreError(f"unknown curve codec {codec!r}")
    raw = zlib.decompress(blob)
    count = n_columns * points
    if codec == "f64-zlib":
        flat = list(struct.unpack(f"<{count}d", raw))
    elif codec == CURVE_CODEC:
        planes = np.frombuffer(raw, dtype=np.uint8).reshape(8, count)
        flat = planes.T.copy().view("<f8").ravel().tolist()
    return [flat[i * points : (i + 1) * points] for i in range(n_columns)]


class Store:
    """The scorer's database at ``target``: a SQLite file path (created with its schema if
    missing) or a ``postgresql://`` URL. ``worker`` names this scorer in the record ledger."""

    def __init__(self, target: str | Path, *, worker: str | None = None) -> None:
        self.url = str(target)
        self.postgres = is_postgres_url(target)
        self.path = Path(sqlite_path(target)) if not self.postgres else Path(self.url)
        self.worker = worker
        self._rejections_since_prune = 0
        self.db: Database = open_database(target, MIGRATIONS)

    # -- plumbing ----------------------------------------------------------------------
    def _tx(self) -> AbstractContextManager[Tx]:
        return self.db.transaction()

    def close(self) -> None:
        """Close the database; calling it again does nothing."""
        self.db.close()

    @property
    def closed(self) -> bool:
        return self.db.closed

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def journal_mode(self) -> str:
        with self._tx() as tx:
            if tx.dialect != "sqlite":
                return "postgresql"
            return str(tx.scalar("PRAGMA journal_mode"))

    # -- writes ------------------------------------------------------------------------
    def upsert_status(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated status payload as the station's current state.

        Returns False (and stores nothing) for a *stale boot*: an offline status (a Will, or a
        goodbye) of a boot that is no longer the station's current one, while the station is
        online with a newer boot. A station that restarts quickly can have its new birth
        message delivered before the broker publishes the old connection's Will; without this
        rule the hall would show a running station as offline.
        """
        now = time.time() if received_at is None else received_at
        limit_end = _opt_num(obj.get("time_limit_end"))
        with self._tx() as tx:
            cur = tx.execute(
                """
                INSERT INTO stations AS s
                    (id, event, state, online, boot_id, sw, task, reason, status_ts, last_seen,
                     time_limit_end)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    event = excluded.event, state = excluded.state, online = excluded.online,
                    boot_id = excluded.boot_id, sw = excluded.sw, task = excluded.task,
                    reason = excluded.reason, status_ts = excluded.status_ts,
                    last_seen = excluded.last_seen, time_limit_end = excluded.time_limit_end
                WHERE NOT (excluded.online = 0 AND s.online = 1 AND s.boot_id IS NOT NULL
                           AND s.boot_id <> excluded.boot_id)
                """,
                (
                    obj["station"],
                    obj["event"],
                    obj["state"],
                    1 if obj["online"] else 0,
                    obj["boot_id"],
                    _opt_str(obj.get("sw"), 64),
                    _opt_str(obj.get("task"), 64),
                    _opt_str(obj.get("reason")),
                    _opt_num(obj.get("ts")),
                    now,
                    limit_end,
                ),
            )
            return bool(cur.rowcount == 1)

    def add_record(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated record of any kind; False if it was already stored."""
        return self.add_records([obj], received_at)[0]

    def add_curve(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated curve chunk (columns packed as float64); False if a duplicate."""
        return self._add_batch([(obj, "curve")], received_at)[0]

    def add_run(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated result record; False (and nothing written) if already stored."""
        return self._add_batch([(obj, "result")], received_at)[0]

    def add_records(
        self,
        batch: Sequence[Mapping[str, Any]],
        received_at: float | None = None,
        *,
        raw: Sequence[bytes] | None = None,
    ) -> list[bool]:
        """Store validated records (results and curve chunks) in one transaction.

        Returns, per record in order, True if it was stored now and False if it was already
        stored (before, by another worker, or earlier in ``batch``). Exactly-once holds as for
        single records: the ledger's unique key decides inside the transaction. Either every
        record of the batch is committed or none is (an exception leaves nothing stored).

        ``raw``, the payloads exactly as received (one per record), is kept as a result's
        ``payload`` instead of encoding the record again (so the stored payload still carries
        the station's signature over those very bytes)."""
        if raw is not None and len(raw) != len(batch):
            raise ValueError(f"{len(raw)} raw payloads for {len(batch)} records")
        return self._add_batch(
            [(obj, "curve" if obj.get("kind") == "curve" else "result") for obj in batch],
            received_at,
            raw,
        )

    def _add_batch(
        self,
        batch: Sequence[tuple[Mapping[str, Any], str]],
        received_at: float | None,
        raw: Sequence[bytes] | None = None,
    ) -> list[bool]:
        if not batch:
            return []
        now = time.time() if received_at is None else received_at
        # CPU work before the transaction (and its lock): curve columns packed in one step each
        packed = {
            i: pack_columns(obj["data"]) for i, (obj, kind) in enumerate(batch) if kind == "curve"
        }
        with self._tx() as tx:
            inserted = tx.insert_values(
                "INSERT INTO records (station, boot_id, seq, kind, run_id, historical, "
                "received_at, worker)",
                [
                    (
                        obj["station"],
                        obj["boot_id"],
                        obj["seq"],
                        kind,
                        obj["run_id"],
                        1 if obj.get("historical") is True else 0,
                        now,
                        self.worker,
                    )
                    for obj, kind in sorted(batch, key=_record_key)
                ],
                "ON CONFLICT (station, boot_id, seq) DO NOTHING RETURNING station, boot_id, seq",
                types=_LEDGER_TYPES,
            )
            new_keys = {(r["station"], r["boot_id"], r["seq"]) for r in inserted}
            stored: list[bool] = []
            for obj, _ in batch:
                key = (obj["station"], obj["boot_id"], obj["seq"])
                stored.append(key in new_keys)
                new_keys.discard(key)  # a second copy in the same batch is a duplicate
            results = [
                (obj, None if raw is None else raw[i].decode())
                for i, ((obj, kind), ok) in enumerate(zip(batch, stored, strict=True))
                if ok and kind == "result"
            ]
            curves = [
                (i, obj)
                for i, ((obj, kind), ok) in enumerate(zip(batch, stored, strict=True))
                if ok and kind == "curve"
            ]
            self._insert_runs(tx, results, now)
            tx.copy_rows(
                "curves",
                _CURVE_COLUMNS,
                [
                    (
                        obj["station"],
                        obj["boot_id"],
                        obj["seq"],
                        obj["run_id"],
                        obj["curve"],
                        obj["chunk"],
                        json.dumps(list(obj["columns"])),
                        len(obj["data"][0]) if obj["data"] else 0,
                        packed[i],
                        CURVE_CODEC,
                    )
                    for i, obj in curves
                ],
            )
            seen: dict[str, str] = {}
            for (obj, _), ok in zip(batch, stored, strict=True):
                if ok:
                    seen.setdefault(obj["station"], obj["event"])
            tx.executemany(
                "INSERT INTO stations AS s (id, event, last_seen) VALUES (?, ?, ?) "
                f"ON CONFLICT (id) DO UPDATE SET last_seen = {tx.greatest}(s.last_seen, "
                "excluded.last_seen)",
                [(station, event, now) for station, event in sorted(seen.items())],
            )
            self._warn_conflicting_duplicates(
                tx,
                [
                    obj
                    for (obj, kind), ok in zip(batch, stored, strict=True)
                    if not ok and kind == "result"
                ],
            )
        return stored

    @staticmethod
    def _insert_runs(
        tx: Tx, results: Sequence[tuple[Mapping[str, Any], str | None]], now: float
    ) -> None:
        """The runs rows of new result records and their measurements (one statement per
        500 runs, one COPY / executemany for every measurement)."""
        if not results:
            return
        ids = tx.insert_values(
            "INSERT INTO runs (station, event, boot_id, seq, run_id, task, procedure, "
            "started_at, ended_at, outcome, reason, historical, interrupted, marked, "
            "received_at, payload)",
            [
                (
                    obj["station"],
                    obj["event"],
                    obj["boot_id"],
                    obj["seq"],
                    obj["run_id"],
                    obj["task"],
                    obj["procedure"],
                    float(obj["started_at"]),
                    float(obj["ended_at"]),
                    obj["outcome"],
                    obj["reason"],
                    1 if obj.get("historical") is True else 0,
                    1 if obj.get("interrupted") is True else 0,
                    0 if obj.get("marked") is False else 1,
                    now,
                    text
                    if text is not None
                    else json.dumps(obj, separators=(",", ":"), allow_nan=False),
                )
                for obj, text in results
            ],
            "RETURNING id, station, boot_id, seq",
            types=_RUN_TYPES,
        )
        run_pk = {(r["station"], r["boot_id"], r["seq"]): r["id"] for r in ids}
        tx.copy_rows(
            "measurements",
            _MEASUREMENT_COLUMNS,
            [
                (
                    run_pk[(obj["station"], obj["boot_id"], obj["seq"])],
                    pos,
                    m["name"],
                    _opt_num(m.get("value")),
                    m["unit"],
                    *(_opt_num(m["limits"].get(k)) for k in _LIMIT_KEYS),
                    m["outcome"],
                    _opt_str(m.get("reason")),
                    _opt_num(m.get("u")),
                )
                for obj, _ in results
                for pos, m in enumerate(obj["measurements"])
            ],
        )

    @staticmethod
    def _warn_conflicting_duplicates(tx: Tx, duplicates: Sequence[Mapping[str, Any]]) -> None:
        """Log a duplicate result whose run id differs from the one stored under its key."""
        for obj in duplicates:
            row = tx.one(
                "SELECT run_id FROM records WHERE station = ? AND boot_id = ? AND seq = ?",
                (obj["station"], obj["boot_id"], obj["seq"]),
            )
            if row is not None and row["run_id"] != obj["run_id"]:
                log.warning(
                    "station %s boot %s seq %s: already stored as run %s, "
                    "ignoring a different run %s",
                    obj["station"],
                    obj["boot_id"],
                    obj["seq"],
                    row["run_id"],
                    obj["run_id"],
                )

    def curve(self, station: str, run_id: str, name: str) -> dict[str, list[float]]:
        """A whole curve of a run, its chunks joined in order: ``{column: values}``."""
        with self._tx() as tx:
            rows = tx.all(
                "SELECT columns, points, data, codec FROM curves WHERE station = ? "
                "AND run_id = ? AND curve = ? ORDER BY chunk",
                (station, run_id, name),
            )
        out: dict[str, list[float]] = {}
        for row in rows:
            columns = json.loads(row["columns"])
            cols = unpack_columns(row["codec"], bytes(row["data"]), len(columns), row["points"])
            for col, values in zip(columns, cols, strict=True):
                out.setdefault(col, []).extend(values)
        return out

    def curve_names(self, station: str, run_id: str) -> list[str]:
        with self._tx() as tx:
            rows = tx.all(
                "SELECT DISTINCT curve FROM curves WHERE station = ? AND run_id = ? ORDER BY curve",
                (station, run_id),
            )
        return [r["curve"] for r in rows]

    def curve_storage(self) -> dict[str, int]:
        """Curve points and packed bytes stored (to check the packing stays compact)."""
        with self._tx() as tx:
            rows = tx.all("SELECT columns, points, data FROM curves")
        values = sum(len(json.loads(r["columns"])) * int(r["points"]) for r in rows)
        return {"values": values, "bytes": sum(len(bytes(r["data"])) for r in rows)}

    def record_log(self, station: str) -> list[tuple[str, int, str]]:
        """(boot_id, seq, kind) of every record of ``station``, in the order received."""
        with self._tx() as tx:
            rows = tx.all(
                "SELECT boot_id, seq, kind FROM records WHERE station = ? ORDER BY id", (station,)
            )
        return [(r["boot_id"], r["seq"], r["kind"]) for r in rows]

    def ledger(self) -> list[dict[str, Any]]:
        """Every record entered: station, boot_id, seq, kind, worker (in the order stored)."""
        with self._tx() as tx:
            return tx.all("SELECT station, boot_id, seq, kind, worker FROM records ORDER BY id")

    def add_reply(self, obj: Mapping[str, Any], received_at: float | None = None) -> None:
        """Keep a station's reply to a command (the last one per station and cmd_id)."""
        now = time.time() if received_at is None else received_at
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO replies AS r (station, cmd_id, ok, detail, received_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (station, cmd_id) DO UPDATE SET "
                "ok = excluded.ok, detail = excluded.detail, received_at = excluded.received_at",
                (obj["station"], obj["cmd_id"], 1 if obj["ok"] else 0, obj["detail"], now),
            )

    def replies(self, cmd_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Replies to commands (all, or those of ``cmd_ids``), oldest first."""
        with self._tx() as tx:
            if cmd_ids is None:
                rows = tx.all("SELECT * FROM replies ORDER BY received_at")
            else:
                ids = list(cmd_ids)
                if not ids:
                    return []
                rows = tx.all(
                    f"SELECT * FROM replies WHERE cmd_id IN {tx.in_list(len(ids))} "
                    "ORDER BY received_at",
                    ids,
                )
        for r in rows:
            r["ok"] = bool(r["ok"])
        return rows

    def add_rejection(
        self, topic: str, reason: str, detail: str, size: int, received_at: float | None = None
    ) -> None:
        """Record a payload that was not stored, and why."""
        self.add_rejections([(topic, reason, detail, size)], received_at)

    def add_rejections(
        self, rows: Sequence[tuple[str, str, str, int]], received_at: float | None = None
    ) -> None:
        """Record payloads that were not stored, as (topic, reason, detail, size), in one
        transaction: a station flooding bad payloads costs one commit per batch, not one per
        payload, and cannot hold up the good records of the same batch."""
        if not rows:
            return
        now = time.time() if received_at is None else received_at
        clean = [
            (now, _clean(topic)[:_TOPIC_MAX], reason[:64], _clean(detail)[:_DETAIL_MAX], size)
            for topic, reason, detail, size in rows
        ]
        totals = Counter(row[2] for row in clean)
        with self._tx() as tx:
            tx.executemany(
                "INSERT INTO rejections (received_at, topic, reason, detail, size) "
                "VALUES (?, ?, ?, ?, ?)",
                clean,
            )
            for reason, count in sorted(totals.items()):
                tx.execute(
                    "INSERT INTO rejection_totals AS t (reason, count) VALUES (?, ?) "
                    "ON CONFLICT (reason) DO UPDATE SET count = t.count + excluded.count",
                    (reason, count),
                )
            self._rejections_since_prune += len(clean)
            if self._rejections_since_prune >= 1000:
                self._rejections_since_prune = 0
                tx.execute(
                    "DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - ?",
                    (MAX_REJECTIONS_KEPT,),
                )

    # -- reads -------------------------------------------------------------------------
    def list_runs(self, station: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Runs, newest received first, each with its ``measurements``."""
        limit = max(0, int(limit))
        with self._tx() as tx:
            if station is None:
                rows = tx.all(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,))
            else:
                rows = tx.all(
                    f"SELECT {_RUN_COLUMNS} FROM runs WHERE station = ? ORDER BY id DESC LIMIT ?",
                    (station, limit),
                )
            return self._with_measurements(tx, rows)

    def runs_of_task(
        self, event: str, task: str, stations: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """Result runs of ``task`` in ``event`` (of ``stations`` if given), oldest first."""
        with self._tx() as tx:
            return self.runs_of_task_in(tx, event, task, stations)

    @classmethod
    def runs_of_task_in(
        cls, tx: Tx, event: str, task: str, stations: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`runs_of_task` inside the transaction ``tx``."""
        if stations is None:
            rows = tx.all(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE event = ? AND task = ? ORDER BY id",
                (event, task),
            )
        else:
            ids = sorted(set(stations))
            if not ids:
                return []
            rows = tx.all(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE event = ? AND task = ? "
                f"AND station IN {tx.in_list(len(ids))} ORDER BY id",
                [event, task, *ids],
            )
        return cls._with_measurements(tx, rows)

    def get_run(self, station: str, run_id: str) -> dict[str, Any] | None:
        """The result of run ``run_id`` of ``station`` with its measurements and payload."""
        with self._tx() as tx:
            rows = tx.all(
                f"SELECT {_RUN_COLUMNS}, payload FROM runs WHERE station = ? AND run_id = ? "
                "ORDER BY id LIMIT 1",
                (station, run_id),
            )
            runs = self._with_measurements(tx, rows)
        if not runs:
            return None
        run = runs[0]
        run["payload"] = json.loads(run["payload"])
        return run

    def run_count(self) -> int:
        with self._tx() as tx:
            return int(tx.scalar("SELECT count(*) FROM runs"))

    def station(self, station: str) -> dict[str, Any] | None:
        with self._tx() as tx:
            row = tx.one("SELECT * FROM stations WHERE id = ?", (station,))
        if row is not None:
            row["online"] = None if row["online"] is None else bool(row["online"])
        return row

    def stations(self) -> list[dict[str, Any]]:
        """Every station seen, by id, with its ``last_run`` (or None).

        The last run is the newest received live run; a station's replayed backlog
        (``historical``) only counts when it has nothing else.
        """
        with self._tx() as tx:
            rows = tx.all(
                "SELECT id, event, state, online, boot_id, sw, task, reason, status_ts, "
                "last_seen, time_limit_end FROM stations ORDER BY id"
            )
            last_rows = tx.all(
                f"""
                SELECT {_RUN_COLUMNS} FROM runs WHERE id IN (
                    SELECT (SELECT r.id FROM runs r WHERE r.station = s.id
                            ORDER BY r.historical ASC, r.id DESC LIMIT 1)
                    FROM stations s
                )
                """
            )
            last = {r["station"]: r for r in self._with_measurements(tx, last_rows)}
        out = []
        for d in rows:
            d["online"] = None if d["online"] is None else bool(d["online"])
            d["last_run"] = last.get(d["id"])
            out.append(d)
        return out

    def rejection_counts(self) -> dict[str, int]:
        """How many payloads were rejected, by reason, since the database was created."""
        with self._tx() as tx:
            rows = tx.all("SELECT reason, count FROM rejection_totals ORDER BY reason")
            return {r["reason"]: int(r["count"]) for r in rows}

    def rejections(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent rejected payloads, newest first."""
        with self._tx() as tx:
            return tx.all(
                "SELECT id, received_at, topic, reason, detail, size FROM rejections "
                "ORDER BY id DESC LIMIT ?",
                (max(0, int(limit)),),
            )

    @staticmethod
    def _with_measurements(tx: Tx, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = []
        by_pk: dict[int, dict[str, Any]] = {}
        for d in rows:
            d["historical"] = bool(d["historical"])
            if "marked" in d:
                d["marked"] = bool(d["marked"])
            if "interrupted" in d:
                d["interrupted"] = bool(d["interrupted"])
            d["measurements"] = []
            runs.append(d)
            by_pk[d["id"]] = d
        ids = list(by_pk)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for m in tx.all(
                "SELECT run, name, value, unit, low, high, marginal_low, marginal_high, "
                f"outcome, reason, u FROM measurements WHERE run IN {tx.in_list(len(chunk))} "
                "ORDER BY run, pos",
                chunk,
            ):
                meas = {
                    "name": m["name"],
                    "value": m["value"],
                    "unit": m["unit"],
                    "limits": {k: m[k] for k in _LIMIT_KEYS if m[k] is not None},
                    "outcome": m["outcome"],
                    "reason": m["reason"],
                }
                if m["u"] is not None:
                    meas["u"] = m["u"]
                by_pk[m["run"]]["measurements"].append(meas)
        return runs


def _record_key(item: tuple[Mapping[str, Any], str]) -> tuple[str, int, str]:
    """Ledger rows are inserted in one order (station, then seq), so two workers storing
    overlapping batches on PostgreSQL wait for each other instead of deadlocking. Within a
    station that is the order it sent them (an outbox's seq never decreases, across boots
    too), so the ledger keeps each station's records in the order received."""
    obj = item[0]
    return (obj["station"], obj["seq"], obj["boot_id"])


def _clean(text: str) -> str:
    """Text safe for any database: NUL characters (PostgreSQL refuses them) made visible."""
    return text.replace("\x00", "\\x00")
