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
from collections.abc import Iterable, Mapping
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


def pack_columns(data: list[list[float]]) -> bytes:
    """Columns of equal length as shuffled, compressed float64 (codec ``f64-shuffle-zlib``)."""
    flat = np.asarray([v for col in data for v in col], dtype="<f8")
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

    def _ledger(self, tx: Tx, obj: Mapping[str, Any], kind: str, now: float) -> bool:
        """Enter a record in the ledger; False if (station, boot_id, seq) is already there."""
        cur = tx.execute(
            "INSERT INTO records (station, boot_id, seq, kind, run_id, historical, received_at, "
            "worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (station, boot_id, seq) DO NOTHING",
            (
                obj["station"],
                obj["boot_id"],
                obj["seq"],
                kind,
                obj["run_id"],
                1 if obj.get("historical") is True else 0,
                now,
                self.worker,
            ),
        )
        return bool(cur.rowcount == 1)

    @staticmethod
    def _seen(tx: Tx, station: str, event: str, now: float) -> None:
        tx.execute(
            "INSERT INTO stations AS s (id, event, last_seen) VALUES (?, ?, ?) "
            f"ON CONFLICT (id) DO UPDATE SET last_seen = {tx.greatest}(s.last_seen, "
            "excluded.last_seen)",
            (station, event, now),
        )

    def add_record(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated record of any kind; False if it was already stored."""
        if obj.get("kind") == "curve":
            return self.add_curve(obj, received_at)
        return self.add_run(obj, received_at)

    def add_curve(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated curve chunk (columns packed as float64); False if a duplicate."""
        now = time.time() if received_at is None else received_at
        columns = list(obj["columns"])
        data = [[float(v) for v in col] for col in obj["data"]]
        points = len(data[0]) if data else 0
        packed = pack_columns(data)
        with self._tx() as tx:
            if not self._ledger(tx, obj, "curve", now):
                return False
            tx.execute(
                "INSERT INTO curves (station, boot_id, seq, run_id, curve, chunk, columns, "
                "points, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    obj["station"],
                    obj["boot_id"],
                    obj["seq"],
                    obj["run_id"],
                    obj["curve"],
                    obj["chunk"],
                    json.dumps(columns),
                    points,
                    packed,
                    CURVE_CODEC,
                ),
            )
            self._seen(tx, obj["station"], obj["event"], now)
            return True

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

    def add_run(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated result record; False (and nothing written) if already stored."""
        now = time.time() if received_at is None else received_at
        station, boot_id, seq = obj["station"], obj["boot_id"], obj["seq"]
        with self._tx() as tx:
            if not self._ledger(tx, obj, "result", now):
                row = tx.one(
                    "SELECT run_id FROM records WHERE station = ? AND boot_id = ? AND seq = ?",
                    (station, boot_id, seq),
                )
                if row is not None and row["run_id"] != obj["run_id"]:
                    log.warning(
                        "station %s boot %s seq %s: already stored as run %s, "
                        "ignoring a different run %s",
                        station,
                        boot_id,
                        seq,
                        row["run_id"],
                        obj["run_id"],
                    )
                return False
            run_pk = tx.scalar(
                """
                INSERT INTO runs (station, event, boot_id, seq, run_id, task, procedure,
                                  started_at, ended_at, outcome, reason, historical,
                                  interrupted, marked, received_at, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    station,
                    obj["event"],
                    boot_id,
                    seq,
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
                    json.dumps(obj, separators=(",", ":"), allow_nan=False),
                ),
            )
            tx.executemany(
                """
                INSERT INTO measurements (run, pos, name, value, unit, low, high, marginal_low,
                                          marginal_high, outcome, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (
                        run_pk,
                        pos,
                        m["name"],
                        _opt_num(m.get("value")),
                        m["unit"],
                        *(_opt_num(m["limits"].get(k)) for k in _LIMIT_KEYS),
                        m["outcome"],
                        _opt_str(m.get("reason")),
                    )
                    for pos, m in enumerate(obj["measurements"])
                ],
            )
            self._seen(tx, station, obj["event"], now)
            return True

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
        now = time.time() if received_at is None else received_at
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO rejections (received_at, topic, reason, detail, size) "
                "VALUES (?, ?, ?, ?, ?)",
                (now, _clean(topic)[:_TOPIC_MAX], reason[:64], _clean(detail)[:_DETAIL_MAX], size),
            )
            tx.execute(
                "INSERT INTO rejection_totals AS t (reason, count) VALUES (?, 1) "
                "ON CONFLICT (reason) DO UPDATE SET count = t.count + 1",
                (reason[:64],),
            )
            self._rejections_since_prune += 1
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
                f"outcome, reason FROM measurements WHERE run IN {tx.in_list(len(chunk))} "
                "ORDER BY run, pos",
                chunk,
            ):
                by_pk[m["run"]]["measurements"].append(
                    {
                        "name": m["name"],
                        "value": m["value"],
                        "unit": m["unit"],
                        "limits": {k: m[k] for k in _LIMIT_KEYS if m[k] is not None},
                        "outcome": m["outcome"],
                        "reason": m["reason"],
                    }
                )
        return runs


def _clean(text: str) -> str:
    """Text safe for any database: NUL characters (PostgreSQL refuses them) made visible."""
    return text.replace("\x00", "\\x00")
