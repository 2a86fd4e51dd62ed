"""The station's outbox: every record is on disk before it is published, and leaves the disk
only when the scorer's application ack says it is stored (Kura-style store-and-forward).

SQLite in WAL mode with ``synchronous=FULL``: a committed record survives a power cut. Each
:meth:`Outbox.put` is one durable commit (one disk sync); :meth:`Outbox.mark_sent` and the
deletes of an ack message (one transaction per message) are not synced by themselves, because
losing them costs only a harmless re-send. Records
get a sequence number that never decreases, kept in the same database. The outbox also keeps
the runs that are in progress, so a run cut by a restart is reported as interrupted.

Capacity is a soft bound: a record is never refused (nothing measured is lost), but once the
outbox holds ``capacity`` records :attr:`full` is set and the station refuses new runs with a
clear alarm until the scorer catches up.

A corrupt database (not a database, malformed, truncated) is never deleted: the station's
outbox moves it aside to ``outbox.db.corrupt-<UTC time>`` (with its ``-wal``/``-shm``), logs an
error, sets :attr:`Outbox.corrupt_moved` (the station raises its alarm) and starts a fresh one
whose seq continues above every seq readable in the old file, with the old file's readable
counters and runs in progress. ``benchscore outbox salvage`` queues the old file's readable
records (:mod:`firmware_py.outbox_salvage`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchscore.errors import UserError
from firmware_py.outbox_salvage import SalvagedRecord, Scan, scan_file

log = logging.getLogger(__name__)

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

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
CREATE TABLE IF NOT EXISTS seen_commands (
    cmd_id      TEXT PRIMARY KEY,
    keep_until  REAL NOT NULL
);
"""


@contextmanager
def _not_synced(db: sqlite3.Connection) -> Iterator[None]:
    """Commits inside this block are not synced to disk (WAL ``synchronous=NORMAL``); a later
    ``FULL`` commit (the next :meth:`Outbox.put`) syncs them along with itself."""
    db.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        db.execute("PRAGMA synchronous=FULL")


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


class OutboxError(UserError):
    """An outbox that cannot be opened (unwritable state dir, corrupt file); names the file."""


class OutboxCorrupt(OutboxError):
    """The outbox database is damaged (raised only when not told to recover)."""


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or not a database (not: locked, unwritable)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def corrupt_name(path: Path, now: datetime | None = None) -> Path:
    """``outbox.db.corrupt-20261202T093000Z`` next to ``path`` (a free name)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    return target


class Outbox:
    """A durable, ordered queue of records waiting for the scorer's ack.

    ``recover`` (the station daemon): a corrupt database is moved aside and a fresh one
    started; without it (inspection tools) a corrupt database raises :class:`OutboxCorrupt`.
    """

    def __init__(self, path: str | Path, *, capacity: int = 100_000, recover: bool = True) -> None:
        if capacity < 1:
            raise ValueError("outbox capacity must be at least 1")
        self.path = Path(path)
        self.capacity = capacity
        self.corrupt_moved: Path | None = None
        """Where a corrupt database found at open was moved (None: it was sound)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._generation = 0
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            if not is_corruption(exc):
                raise OutboxError(f"{self.path}: cannot open the outbox: {exc}") from exc
            if not recover:
                raise OutboxCorrupt(
                    f"{self.path}: the outbox database is corrupt ({exc}); the station moves "
                    "it aside when it starts, then 'benchscore outbox salvage' recovers it"
                ) from exc
            self._db = self._replace_corrupt(exc)
        self._depth = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        self.stored = 0
        self.acked = 0

    def _open(self) -> sqlite3.Connection:
        """Connect, set WAL and FULL sync, create the tables, check the pages (quick_check)."""
        db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem != "ok":
                detail = " ".join(str(problem).split())
                error = sqlite3.DatabaseError(f"database disk image is malformed: {detail}")
                error.sqlite_errorcode = _SQLITE_CORRUPT  # type: ignore[attr-defined]
                raise error
            db.execute("SELECT count(*) FROM outbox").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _replace_corrupt(self, exc: sqlite3.Error) -> sqlite3.Connection:
        """Move the corrupt file (and its -wal/-shm) aside, start a fresh outbox above every
        seq the old one shows, with its readable counters and runs in progress."""
        moved = corrupt_name(self.path)
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                part.rename(moved.with_name(moved.name + suffix))
        self.corrupt_moved = moved
        scan = scan_file(moved)
        db = self._open()
        _seed(db, scan)
        log.error(
            "outbox %s was corrupt (%s): moved to %s, started a fresh outbox at seq %d; "
            "%d readable record(s) wait in the old file: run 'benchscore outbox salvage %s'",
            self.path,
            exc,
            moved.name,
            scan.max_seq + 1,
            len(scan.records),
            moved,
        )
        return db

    def restore(self, records: Iterable[SalvagedRecord]) -> int:
        """Queue records salvaged from an old outbox with their own seq, boot id and payload
        (the scorer de-duplicates on them); a seq already here is skipped. Return how many
        were added. The next seq stays above every restored one."""
        rows = [
            (r.seq, r.boot_id, r.topic, json.dumps(r.payload, allow_nan=False), r.created_at)
            for r in records
        ]
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                before = db.total_changes
                db.executemany(
                    "INSERT OR IGNORE INTO outbox (seq, boot_id, topic, payload, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                added = db.total_changes - before
                top = max((r[0] for r in rows), default=0)
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('next_seq', ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value "
                    "AS INTEGER))",
                    (str(top + 1),),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._depth += added
            self._generation += 1
            self._changed.notify_all()
            return added

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database; idempotent."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._generation += 1
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
            self._generation += 1
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

    def mark_sent(self, seqs: int | Iterable[int]) -> None:
        """Note that ``seqs`` were handed to MQTT (for inspection and replay counts).

        Not synced to disk (``synchronous=NORMAL`` for this one statement): after a power cut
        the count may be behind, and a record may be sent again, which is harmless (the
        scorer stores a record once and acks it again)."""
        now = time.time()
        rows = [(now, seqs)] if isinstance(seqs, int) else [(now, int(s)) for s in seqs]
        with self._lock:
            db = self._conn()
            with _not_synced(db):
                db.executemany(
                    "UPDATE outbox SET sent_count = sent_count + 1, last_sent = ? WHERE seq = ?",
                    rows,
                )

    def ack(self, boot_id: str, seqs: Iterable[int]) -> int:
        """Delete records the scorer has stored, all of one ack message in one transaction;
        return how many were deleted.

        The delete is not synced by itself (the next record's durable commit syncs it): a
        power cut may bring acknowledged records back, and they are sent again, which is
        harmless for the same reason as in :meth:`mark_sent`."""
        wanted = [(int(s), boot_id) for s in seqs]
        with self._lock:
            db = self._conn()
            before = db.total_changes
            with _not_synced(db):
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany("DELETE FROM outbox WHERE seq = ? AND boot_id = ?", wanted)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            deleted = db.total_changes - before
            self._depth -= deleted
            self.acked += deleted
            self._generation += 1
            self._changed.notify_all()
            return deleted

    def unacked_upto(self, seq: int, limit: int) -> list[int]:
        """The seqs of unacknowledged records with ``seq <= seq`` (at most ``limit``), in order."""
        with self._lock:
            rows = (
                self._conn()
                .execute("SELECT seq FROM outbox WHERE seq <= ? ORDER BY seq LIMIT ?", (seq, limit))
                .fetchall()
            )
        return [int(r[0]) for r in rows]

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

    @property
    def generation(self) -> int:
        """Counts every store, acknowledgement and close: read it before looking at the
        outbox, then pass it to :meth:`wait_changed` so a change in between is not missed."""
        with self._lock:
            return self._generation

    def wait_changed(self, timeout_s: float, seen: int | None = None) -> None:
        """Block until a record is stored or acknowledged, or ``timeout_s`` passes; return at
        once if the outbox changed since :attr:`generation` was ``seen``."""
        with self._lock:
            if seen is not None and self._generation != seen:
                return
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

    def raise_counter(self, name: str, value: int) -> int:
        """Set a persistent counter to at least ``value`` (a replaced station's attempts)."""
        with self._lock:
            db = self._conn()
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (f"count:{name}", str(int(value))),
            )
            row = db.execute("SELECT value FROM meta WHERE key = ?", (f"count:{name}",))
            return int(row.fetchone()[0])

    # -- commands carried out (replay protection) -----------------------------------------
    def remember_command(self, cmd_id: str, keep_until: float) -> bool:
        """Note a command id until ``keep_until`` (wall time); False if it was seen before.

        Kept on disk, so a command replayed after a restart is still refused."""
        with self._lock:
            db = self._conn()
            db.execute("DELETE FROM seen_commands WHERE keep_until < ?", (time.time(),))
            cur = db.execute(
                "INSERT OR IGNORE INTO seen_commands (cmd_id, keep_until) VALUES (?, ?)",
                (cmd_id, keep_until),
            )
            return bool(cur.rowcount)

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


def _seed(db: sqlite3.Connection, scan: Scan) -> None:
    """Start a fresh outbox from what an old one shows: the next seq above all of its seqs,
    its persistent counters and its runs in progress."""
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_seq', ?)", (str(scan.max_seq + 1),)
    )
    for name, value in scan.counters.items():
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"count:{name}", str(value))
        )
    for run in scan.runs:
        db.execute(
            "INSERT OR REPLACE INTO open_runs VALUES (?, ?, ?, ?, ?, ?)",
            (run.run_id, run.boot_id, run.task, run.procedure, run.started_at, int(run.marked)),
        )
    db.execute("COMMIT")
