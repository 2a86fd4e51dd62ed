"""The station's outbox: every record is on disk before it is published, and leaves the disk
only when the scorer's application ack says it is stored (Kura-style store-and-forward).

SQLite in WAL mode with ``synchronous=FULL``: a committed record survives a power cut. Records
get a sequence number that never decreases, kept in the same database. The outbox also keeps
the runs that are in progress, so a run cut by a restart is reported as interrupted.

Capacity is a soft bound: a record is never refused (nothing measured is lost), but once the
outbox holds ``capacity`` records :attr:`full` is set and the station refuses new runs with a
clear alarm until the scorer catches up.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY,
    boot_id     TEXT NOT NULL,
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  REAL NOT NULL,
    sent_count  INTEGER NOT NULL DEFAULT 0,
    last_sent   REAL
);
CREATE TABLE IF NOT EXISTS open_runs (
    run_id      TEXT PRIMARY KEY,
    boot_id     TEXT NOT NULL,
    task        TEXT NOT NULL,
    procedure   TEXT NOT NULL,
    started_at  REAL NOT NULL,
    marked      INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxRow:
    """One stored record: its sequence number, topic and the unsigned payload."""

    seq: int
    boot_id: str
    topic: str
    payload: dict[str, Any]
    created_at: float
    sent_count: int


@dataclass(frozen=True)
class OpenRun:
    run_id: str
    boot_id: str
    task: str
    procedure: str
    started_at: float
    marked: bool


class Outbox:
    """A durable, ordered queue of records waiting for the scorer's ack."""

    def __init__(self, path: str | Path, *, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("outbox capacity must be at least 1")
        self.path = Path(path)
        self.capacity = capacity
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._db: sqlite3.Connection | None = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        self._depth = int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        self.stored = 0
        self.acked = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database; idempotent."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        return self._db is None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"outbox {self.path} is closed")
        return self._db

    # -- records -----------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Records stored and not yet acknowledged by the scorer."""
        return self._depth

    @property
    def full(self) -> bool:
        """True once ``capacity`` records wait: start no new run."""
        return self._depth >= self.capacity

    def put(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        boot_id: str,
        closes_run: str | None = None,
    ) -> int:
        """Store a record durably; assign and return its ``seq`` (also set in the payload).

        ``closes_run`` removes that run from the open runs in the same transaction, so a
        finished run is never also reported as interrupted."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
                seq = int(row[0]) if row else 1
                body = dict(payload, seq=seq, boot_id=boot_id)
                db.execute(
                    "INSERT INTO outbox (seq, boot_id, topic, payload, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (seq, boot_id, topic, json.dumps(body, allow_nan=False), time.time()),
                )
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('next_seq', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(seq + 1),),
                )
                if closes_run is not None:
                    db.execute("DELETE FROM open_runs WHERE run_id = ?", (closes_run,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._depth += 1
            self.stored += 1
            self._changed.notify_all()
            return seq

    def pending(self, after_seq: int = 0, limit: int = 100) -> list[OutboxRow]:
        """Unacknowledged records with ``seq > after_seq``, in order."""
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT seq, boot_id, topic, payload, created_at, sent_count FROM outbox "
                    "WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after_seq, limit),
                )
                .fetchall()
            )
        return [OutboxRow(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def mark_sent(self, seq: int) -> None:
        """Note that ``seq`` was handed to MQTT (for inspection and replay counts)."""
        with self._lock:
            self._conn().execute(
                "UPDATE outbox SET sent_count = sent_count + 1, last_sent = ? WHERE seq = ?",
                (time.time(), seq),
            )

    def ack(self, boot_id: str, seqs: Iterable[int]) -> int:
        """Delete records the scorer has stored; return how many were deleted."""
        wanted = [(int(s), boot_id) for s in seqs]
        with self._lock:
            db = self._conn()
            before = db.total_changes
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM outbox WHERE seq = ? AND boot_id = ?", wanted)
            db.execute("COMMIT")
            deleted = db.total_changes - before
            self._depth -= deleted
            self.acked += deleted
            self._changed.notify_all()
            return deleted

    def count_upto(self, seq: int) -> int:
        """Unacknowledged records with ``seq <= seq`` (sent and waiting for their ack)."""
        with self._lock:
            return int(
                self._conn()
                .execute("SELECT count(*) FROM outbox WHERE seq <= ?", (seq,))
                .fetchone()[0]
            )

    def oldest(self) -> OutboxRow | None:
        rows = self.pending(0, 1)
        return rows[0] if rows else None

    def wait_changed(self, timeout_s: float) -> None:
        """Block until a record is stored or acknowledged, or ``timeout_s`` passes."""
        with self._lock:
            self._changed.wait(timeout_s)

    # -- counters that must survive restarts (marked attempts) ----------------------------
    def counter(self, name: str) -> int:
        """The value of a persistent counter (0 if never bumped)."""
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT value FROM meta WHERE key = ?", (f"count:{name}",))
                .fetchone()
            )
        return int(row[0]) if row else 0

    def bump(self, name: str) -> int:
        """Add one to a persistent counter (durably); return the new value."""
        with self._lock:
            db = self._conn()
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
                "SET value = CAST(value AS INTEGER) + 1",
                (f"count:{name}",),
            )
            return int(
                db.execute("SELECT value FROM meta WHERE key = ?", (f"count:{name}",)).fetchone()[0]
            )

    # -- runs in progress --------------------------------------------------------------------
    def open_run(
        self,
        run_id: str,
        boot_id: str,
        task: str,
        procedure: str,
        started_at: float,
        marked: bool = True,
    ) -> None:
        """Remember that a run started (durably), so a crash cannot make it vanish."""
        with self._lock:
            self._conn().execute(
                "INSERT OR REPLACE INTO open_runs VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, boot_id, task, procedure, started_at, 1 if marked else 0),
            )

    def close_run(self, run_id: str) -> None:
        with self._lock:
            self._conn().execute("DELETE FROM open_runs WHERE run_id = ?", (run_id,))

    def open_runs(self) -> list[OpenRun]:
        """Runs that started and never finished (the station died during them)."""
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT run_id, boot_id, task, procedure, started_at, marked FROM open_runs "
                    "ORDER BY started_at"
                )
                .fetchall()
            )
        return [OpenRun(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]
