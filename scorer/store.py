"""SQLite storage of the scorer: stations, runs with their measurements, rejected payloads.

One connection (WAL, foreign keys on) shared by the MQTT thread and the web threads, guarded by
a lock. Runs are idempotent on ``(station, boot_id, seq)``: a station's outbox may publish the
same record twice (QoS 1 re-delivery, reconnect, replay) and it is stored once.

Station ids are unique per scorer (a scorer serves one hall); the event is kept as a column.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
MAX_REJECTIONS_KEPT: Final = 10_000
"""Rejected payloads kept in detail; the totals by reason are kept for ever."""
_TOPIC_MAX: Final = 256
_DETAIL_MAX: Final = 1000
_LIMIT_KEYS: Final = ("low", "high", "marginal_low", "marginal_high")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stations (
    id          TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    state       TEXT,
    online      INTEGER,
    boot_id     TEXT,
    sw          TEXT,
    task        TEXT,
    reason      TEXT,
    status_ts   REAL,
    last_seen   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    station     TEXT NOT NULL,
    event       TEXT NOT NULL,
    boot_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    run_id      TEXT NOT NULL,
    task        TEXT NOT NULL,
    procedure   TEXT NOT NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    historical  INTEGER NOT NULL DEFAULT 0,
    interrupted INTEGER NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    payload     TEXT NOT NULL,
    UNIQUE (station, boot_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_by_station ON runs (station, id);
CREATE TABLE IF NOT EXISTS measurements (
    run           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pos           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    value         REAL,
    unit          TEXT NOT NULL,
    low           REAL,
    high          REAL,
    marginal_low  REAL,
    marginal_high REAL,
    outcome       TEXT NOT NULL,
    reason        TEXT,
    PRIMARY KEY (run, name)
);
CREATE TABLE IF NOT EXISTS records (
    id          INTEGER PRIMARY KEY,
    station     TEXT NOT NULL,
    boot_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    historical  INTEGER NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    UNIQUE (station, boot_id, seq)
);
CREATE TABLE IF NOT EXISTS curves (
    id          INTEGER PRIMARY KEY,
    station     TEXT NOT NULL,
    boot_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    run_id      TEXT NOT NULL,
    curve       TEXT NOT NULL,
    chunk       INTEGER NOT NULL,
    columns     TEXT NOT NULL,
    points      INTEGER NOT NULL,
    data        BLOB NOT NULL,
    UNIQUE (station, boot_id, seq)
);
CREATE INDEX IF NOT EXISTS curves_by_run ON curves (station, run_id, curve, chunk);
CREATE TABLE IF NOT EXISTS rejections (
    id          INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    topic       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    size        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rejection_totals (
    reason      TEXT PRIMARY KEY,
    count       INTEGER NOT NULL
);
"""

_RUN_COLUMNS: Final = (
    "id, station, event, boot_id, seq, run_id, task, procedure, started_at, ended_at, "
    "outcome, reason, historical, interrupted, received_at"
)


class StoreError(RuntimeError):
    """The database cannot be used (closed, or written by an incompatible version)."""


def _opt_str(value: Any, limit: int = 500) -> str | None:
    """A string field the protocol does not check: keep it if it is a string, else None."""
    return value[:limit] if isinstance(value, str) else None


def _opt_num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class Store:
    """The scorer's database at ``path`` (created with its schema if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._rejections_since_prune = 0
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            with conn:
                conn.executescript(_SCHEMA)
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                with conn:
                    conn.execute(
                        "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,)
                    )
            elif row[0] != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: database schema version {row[0]}, "
                    f"this scorer uses {SCHEMA_VERSION}"
                )
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn

    # -- plumbing ----------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """The connection, locked, inside a transaction (committed or rolled back)."""
        with self._lock:
            if self._conn is None:
                raise StoreError(f"{self.path}: store is closed")
            with self._conn:
                yield self._conn

    def close(self) -> None:
        """Close the database; calling it again does nothing."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def journal_mode(self) -> str:
        with self._tx() as c:
            return str(c.execute("PRAGMA journal_mode").fetchone()[0])

    # -- writes ------------------------------------------------------------------------
    def upsert_status(self, obj: Mapping[str, Any], received_at: float | None = None) -> None:
        """Store a validated status payload as the station's current state."""
        now = time.time() if received_at is None else received_at
        with self._tx() as c:
            c.execute(
                """
                INSERT INTO stations
                    (id, event, state, online, boot_id, sw, task, reason, status_ts, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    event = excluded.event, state = excluded.state, online = excluded.online,
                    boot_id = excluded.boot_id, sw = excluded.sw, task = excluded.task,
                    reason = excluded.reason, status_ts = excluded.status_ts,
                    last_seen = excluded.last_seen
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
                ),
            )

    @staticmethod
    def _ledger(c: sqlite3.Connection, obj: Mapping[str, Any], kind: str, now: float) -> bool:
        """Enter a record in the ledger; False if (station, boot_id, seq) is already there."""
        cur = c.execute(
            "INSERT INTO records (station, boot_id, seq, kind, run_id, historical, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station, boot_id, seq) DO NOTHING",
            (
                obj["station"],
                obj["boot_id"],
                obj["seq"],
                kind,
                obj["run_id"],
                1 if obj.get("historical") is True else 0,
                now,
            ),
        )
        return cur.rowcount == 1

    def add_record(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated record of any kind; False if it was already stored."""
        if obj.get("kind") == "curve":
            return self.add_curve(obj, received_at)
        return self.add_run(obj, received_at)

    def add_curve(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated curve chunk (columns packed as float64); False if a duplicate."""
        now = time.time() if received_at is None else received_at
        columns = list(obj["columns"])
        data = [list(col) for col in obj["data"]]
        points = len(data[0]) if data else 0
        packed = zlib.compress(
            struct.pack(f"<{points * len(columns)}d", *(v for col in data for v in col))
        )
        with self._tx() as c:
            if not self._ledger(c, obj, "curve", now):
                return False
            c.execute(
                "INSERT INTO curves (station, boot_id, seq, run_id, curve, chunk, columns, "
                "points, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ),
            )
            c.execute(
                "INSERT INTO stations (id, event, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
                (obj["station"], obj["event"], now),
            )
            return True

    def curve(self, station: str, run_id: str, name: str) -> dict[str, list[float]]:
        """A whole curve of a run, its chunks joined in order: ``{column: values}``."""
        with self._tx() as c:
            rows = c.execute(
                "SELECT columns, points, data FROM curves WHERE station = ? AND run_id = ? "
                "AND curve = ? ORDER BY chunk",
                (station, run_id, name),
            ).fetchall()
        out: dict[str, list[float]] = {}
        for row in rows:
            columns = json.loads(row["columns"])
            flat = struct.unpack(f"<{row['points'] * len(columns)}d", zlib.decompress(row["data"]))
            for i, col in enumerate(columns):
                out.setdefault(col, []).extend(flat[i * row["points"] : (i + 1) * row["points"]])
        return out

    def record_log(self, station: str) -> list[tuple[str, int, str]]:
        """(boot_id, seq, kind) of every record of ``station``, in the order received."""
        with self._tx() as c:
            rows = c.execute(
                "SELECT boot_id, seq, kind FROM records WHERE station = ? ORDER BY id", (station,)
            ).fetchall()
        return [(r["boot_id"], r["seq"], r["kind"]) for r in rows]

    def add_run(self, obj: Mapping[str, Any], received_at: float | None = None) -> bool:
        """Store a validated result record; False (and nothing written) if already stored."""
        now = time.time() if received_at is None else received_at
        station, boot_id, seq = obj["station"], obj["boot_id"], obj["seq"]
        with self._tx() as c:
            if not self._ledger(c, obj, "result", now):
                return False
            cur = c.execute(
                """
                INSERT INTO runs (station, event, boot_id, seq, run_id, task, procedure,
                                  started_at, ended_at, outcome, reason, historical,
                                  interrupted, received_at, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (station, boot_id, seq) DO NOTHING
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
                    now,
                    json.dumps(obj, separators=(",", ":"), allow_nan=False),
                ),
            )
            if cur.rowcount == 0:
                row = c.execute(
                    "SELECT run_id FROM runs WHERE station = ? AND boot_id = ? AND seq = ?",
                    (station, boot_id, seq),
                ).fetchone()
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
            run_pk = cur.lastrowid
            c.executemany(
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
            c.execute(
                """
                INSERT INTO stations (id, event, last_seen) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)
                """,
                (station, obj["event"], now),
            )
            return True

    def add_rejection(
        self, topic: str, reason: str, detail: str, size: int, received_at: float | None = None
    ) -> None:
        """Record a payload that was not stored, and why."""
        now = time.time() if received_at is None else received_at
        with self._tx() as c:
            c.execute(
                "INSERT INTO rejections (received_at, topic, reason, detail, size) "
                "VALUES (?, ?, ?, ?, ?)",
                (now, topic[:_TOPIC_MAX], reason[:64], detail[:_DETAIL_MAX], size),
            )
            c.execute(
                "INSERT INTO rejection_totals (reason, count) VALUES (?, 1) "
                "ON CONFLICT (reason) DO UPDATE SET count = count + 1",
                (reason[:64],),
            )
            self._rejections_since_prune += 1
            if self._rejections_since_prune >= 1000:
                self._rejections_since_prune = 0
                c.execute(
                    "DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - ?",
                    (MAX_REJECTIONS_KEPT,),
                )

    # -- reads -------------------------------------------------------------------------
    def list_runs(self, station: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Runs, newest received first, each with its ``measurements``."""
        limit = max(0, int(limit))
        with self._tx() as c:
            if station is None:
                rows = c.execute(
                    f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = c.execute(
                    f"SELECT {_RUN_COLUMNS} FROM runs WHERE station = ? ORDER BY id DESC LIMIT ?",
                    (station, limit),
                ).fetchall()
            return self._with_measurements(c, rows)

    def run_count(self) -> int:
        with self._tx() as c:
            return int(c.execute("SELECT count(*) FROM runs").fetchone()[0])

    def stations(self) -> list[dict[str, Any]]:
        """Every station seen, by id, with its ``last_run`` (or None).

        The last run is the newest received live run; a station's replayed backlog
        (``historical``) only counts when it has nothing else.
        """
        with self._tx() as c:
            rows = c.execute(
                "SELECT id, event, state, online, boot_id, sw, task, reason, status_ts, last_seen "
                "FROM stations ORDER BY id"
            ).fetchall()
            last_rows = c.execute(
                f"""
                SELECT {_RUN_COLUMNS} FROM runs WHERE id IN (
                    SELECT (SELECT r.id FROM runs r WHERE r.station = s.id
                            ORDER BY r.historical ASC, r.id DESC LIMIT 1)
                    FROM stations s
                )
                """
            ).fetchall()
            last = {r["station"]: r for r in self._with_measurements(c, last_rows)}
        out = []
        for row in rows:
            d = dict(row)
            d["online"] = None if d["online"] is None else bool(d["online"])
            d["last_run"] = last.get(d["id"])
            out.append(d)
        return out

    def rejection_counts(self) -> dict[str, int]:
        """How many payloads were rejected, by reason, since the database was created."""
        with self._tx() as c:
            rows = c.execute("SELECT reason, count FROM rejection_totals ORDER BY reason")
            return {r["reason"]: int(r["count"]) for r in rows}

    def rejections(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent rejected payloads, newest first."""
        with self._tx() as c:
            rows = c.execute(
                "SELECT id, received_at, topic, reason, detail, size FROM rejections "
                "ORDER BY id DESC LIMIT ?",
                (max(0, int(limit)),),
            ).fetchall()
            return [dict(r) for r in rows]

    @staticmethod
    def _with_measurements(c: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = []
        by_pk: dict[int, dict[str, Any]] = {}
        for row in rows:
            d = dict(row)
            d["historical"] = bool(d["historical"])
            d["measurements"] = []
            runs.append(d)
            by_pk[d["id"]] = d
        ids = list(by_pk)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for m in c.execute(
                f"SELECT run, name, value, unit, low, high, marginal_low, marginal_high, "
                f"outcome, reason FROM measurements WHERE run IN ({marks}) ORDER BY run, pos",
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
