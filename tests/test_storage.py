"""Scorer storage on both backends: SQLite files and PostgreSQL (psycopg 3), with migrations.

PostgreSQL is the real server (scripts/setup.sh installs and starts it when missing); each test
gets a database of its own with a random name, dropped afterwards. ``BENCHSCORE_TEST_PG``
names the server (an admin URL; default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from scorer.db import Database, StoreError, open_database, redact
from scorer.store import CURVE_CODEC, MIGRATIONS, SCHEMA_VERSION, Store, pack_columns
from tests.test_scorer_store import record, status

PG_ADMIN_URL = os.environ.get("BENCHSCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (random name) for one test; dropped afterwards."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {redact(PG_ADMIN_URL)} ({exc}); "
            "scripts/setup.sh installs and starts it"
        )
    name = f"bs_test_{uuid.uuid4().hex[:12]}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = PG_ADMIN_URL.partition("?")
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "db" / "scorer.db")
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def store(target: str) -> Iterator[Store]:
    s = Store(target, worker="w1")
    yield s
    s.close()


def curve(seq: int, chunk: int = 0, points: int = 5, **extra: Any) -> dict[str, Any]:
    t = [i * 0.1 for i in range(points)]
    return {
        "schema": 2,
        "type": "record",
        "event": "ev1",
        "station": "st01",
        "boot_id": "boot-a",
        "seq": seq,
        "run_id": "st01-boot-a-9",
        "kind": "curve",
        "curve": "samples",
        "chunk": chunk,
        "columns": ["t_s", "voltage_v"],
        "data": [t, [12.0 - 0.001 * i for i in range(points)]],
        **extra,
    }


# -- both backends -------------------------------------------------------------------------


def test_fresh_database_is_migrated_to_the_current_schema(store: Store) -> None:
    assert store.db.schema_version() == SCHEMA_VERSION == MIGRATIONS[-1].version
    assert store.run_count() == 0
    # opening it again migrates nothing and keeps the data
    store.add_run(record(seq=1))
    again = Store(store.url)
    try:
        assert again.db.schema_version() == SCHEMA_VERSION
        assert again.run_count() == 1
    finally:
        again.close()


def test_records_are_idempotent_and_kept_with_their_worker(store: Store) -> None:
    assert store.add_run(record(seq=1, marked=False)) is True
    assert store.add_run(record(seq=1)) is False
    assert store.add_curve(curve(2)) is True
    assert store.add_curve(curve(2)) is False
    assert store.add_record(record(seq=3, boot_id="boot-b")) is True
    assert store.run_count() == 2
    assert [(r["seq"], r["kind"], r["worker"]) for r in store.ledger()] == [
        (1, "result", "w1"),
        (2, "curve", "w1"),
        (3, "result", "w1"),
    ]
    runs = {r["seq"]: r for r in store.list_runs()}
    assert runs[1]["marked"] is False and runs[3]["marked"] is True
    run = store.get_run("st01", "st01-boot-a-1")
    assert run is not None and run["payload"]["marked"] is False
    assert [m["name"] for m in run["measurements"]] == ["forward_voltage", "current", "illuminance"]
    by_task = store.runs_of_task("ev1", "led-module", ["st01"])
    assert [r["seq"] for r in by_task] == [1, 3]
    assert store.runs_of_task("ev1", "led-module", []) == []


def test_measurements_round_trip(store: Store) -> None:
    store.add_run(record(seq=1))
    (run,) = store.list_runs()
    assert run["started_at"] == 1_700_000_001.0  # float64, not PostgreSQL's 4-byte REAL
    assert run["measurements"][0] == {
        "name": "forward_voltage",
        "value": 3.05,
        "unit": "V",
        "limits": {"low": 2.8, "high": 3.4, "marginal_low": 2.9, "marginal_high": 3.3},
        "outcome": "pass",
        "reason": "",
    }


def test_curves_round_trip_exactly_and_compactly(store: Store) -> None:
    points = 5000
    t = [i * 0.01 for i in range(points)]
    v = [3.0 + 1.2 * math.exp(-i / 3000) for i in range(points)]
    i_a = [-2.0 + 1e-4 * (i % 7) for i in range(points)]
    chunk0 = curve(10, 0, columns=["t_s", "voltage_v", "current_a"], data=[t, v, i_a])
    chunk1 = curve(
        11, 1, columns=["t_s", "voltage_v", "current_a"], data=[t[:10], v[:10], i_a[:10]]
    )
    assert store.add_curve(chunk1) and store.add_curve(chunk0)  # out of order on the wire
    got = store.curve("st01", "st01-boot-a-9", "samples")
    assert got["t_s"] == t + t[:10] and got["voltage_v"] == v + v[:10]
    assert got["current_a"] == i_a + i_a[:10]
    assert store.curve_names("st01", "st01-boot-a-9") == ["samples"]
    used = store.curve_storage()
    raw = 8 * used["values"]
    plain = len(zlib.compress(struct.pack(f"<{3 * points}d", *(t + v + i_a)), 6))
    assert used["bytes"] < 0.4 * raw, used  # float64 text in JSON is ~2.5x raw
    assert used["bytes"] < plain, (used, plain)  # the shuffle beats plain zlib


def test_stale_boot_offline_status_is_refused(store: Store) -> None:
    assert store.upsert_status(status(state="ready", boot_id="boot-b")) is True
    # the old boot's Will, delivered late: refused, the station stays online
    assert store.upsert_status(status(state="offline", online=False, boot_id="boot-a")) is False
    st = store.station("st01")
    assert st is not None and st["online"] is True and st["boot_id"] == "boot-b"
    # its own boot going offline is taken, and so is any online status
    assert store.upsert_status(status(state="offline", online=False, boot_id="boot-b")) is True
    assert store.upsert_status(status(state="ready", boot_id="boot-c", time_limit_end=5.5))
    st = store.station("st01")
    assert st is not None and st["boot_id"] == "boot-c" and st["time_limit_end"] == 5.5


def test_replies_and_rejections(store: Store) -> None:
    reply = {"station": "st01", "cmd_id": "c1", "ok": False, "detail": "time is up"}
    store.add_reply(reply)
    store.add_reply({**reply, "ok": True, "detail": "queued"})
    store.add_reply({**reply, "cmd_id": "c2"})
    assert [(r["cmd_id"], r["ok"], r["detail"]) for r in store.replies(["c1"])] == [
        (("c1", True, "queued"))
    ]
    assert len(store.replies()) == 2 and store.replies([]) == []
    store.add_rejection("t/\x00", "malformed", "bad \x00 byte", 3)  # NUL: PostgreSQL-safe
    assert store.rejection_counts() == {"malformed": 1}
    assert "\\x00" in store.rejections(1)[0]["detail"]


def test_two_stores_on_one_database_store_each_record_once(target: str) -> None:
    """Two scorer workers (two connections) racing on the same records."""
    a, b = Store(target, worker="a"), Store(target, worker="b")
    stored: list[str] = []
    lock = threading.Lock()

    def work(s: Store) -> None:
        for seq in range(60):
            if s.add_record(record("st01", seq) if seq % 3 else curve(seq)):
                with lock:
                    stored.append(s.worker or "")

    try:
        threads = [threading.Thread(target=work, args=(s,)) for s in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(stored) == 60
        ledger = a.ledger()
        assert sorted(r["seq"] for r in ledger) == list(range(60))
        assert {r["worker"] for r in ledger} <= {"a", "b"}
        assert a.run_count() == 40
    finally:
        a.close()
        b.close()


def test_refuses_a_newer_schema(target: str) -> None:
    Store(target).close()
    db = Database(target)
    with db.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 99")
    db.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store(target)


def test_closed_store_refuses_work(store: Store) -> None:
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        store.run_count()


def test_migrates_a_version_1_database_keeping_its_data(target: str) -> None:
    """A database written by the first scorer (schema 1, curves packed as plain float64+zlib)
    is migrated in place: its runs and curves stay readable."""
    db = open_database(target, MIGRATIONS[:1])
    values = [1.5, 2.5, 3.5]
    with db.transaction() as tx:
        assert tx.scalar("SELECT max(version) FROM schema_version") == 1
        tx.execute(
            "INSERT INTO curves (station, boot_id, seq, run_id, curve, chunk, columns, points, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "st01",
                "old",
                1,
                "old-1",
                "samples",
                0,
                json.dumps(["v"]),
                3,
                zlib.compress(struct.pack("<3d", *values)),
            ),
        )
        tx.execute(
            "INSERT INTO records (station, boot_id, seq, kind, run_id, historical, received_at) "
            "VALUES ('st01', 'old', 1, 'curve', 'old-1', 0, 1.0)"
        )
    db.close()
    s = Store(target)
    try:
        assert s.db.schema_version() == SCHEMA_VERSION
        assert s.curve("st01", "old-1", "samples") == {"v": values}
        assert s.ledger() == [
            {"station": "st01", "boot_id": "old", "seq": 1, "kind": "curve", "worker": None}
        ]
        assert s.add_curve(curve(2)) is True
        with s.db.transaction() as tx:
            codecs = [r["codec"] for r in tx.all("SELECT codec FROM curves ORDER BY id")]
        assert codecs == ["f64-zlib", CURVE_CODEC]
    finally:
        s.close()


# -- one backend ---------------------------------------------------------------------------


def test_sqlite_url_forms(tmp_path: Path) -> None:
    for target in (f"sqlite:///{tmp_path}/a.db", tmp_path / "b.db"):
        s = Store(target)
        try:
            assert s.dialect == "sqlite" and s.journal_mode() == "wal"
            s.add_run(record())
        finally:
            s.close()
    assert sqlite3.connect(tmp_path / "a.db").execute("SELECT count(*) FROM runs").fetchone() == (
        1,
    )


def test_postgres_url_is_redacted_in_errors() -> None:
    url = "postgresql://scorer:s3cret@127.0.0.1:1/nowhere"
    assert redact(url) == "postgresql://scorer:***@127.0.0.1:1/nowhere"
    with pytest.raises(StoreError) as info:
        Store(url)
    assert "s3cret" not in str(info.value) and "cannot connect" in str(info.value)


def test_postgres_reconnects_after_losing_its_connection() -> None:
    with fresh_postgres_database() as url:
        s = Store(url)
        try:
            s.add_run(record(seq=1))
            s.db._conn.close()  # the server went away and came back
            assert s.add_run(record(seq=2)) is True
            assert s.run_count() == 2
        finally:
            s.close()


def test_pack_columns_handles_an_empty_curve() -> None:
    from scorer.store import unpack_columns

    assert unpack_columns(CURVE_CODEC, pack_columns([[], []]), 2, 0) == [[], []]
    with pytest.raises(StoreError, match="codec"):
        unpack_columns("f32-lz4", b"", 1, 0)
