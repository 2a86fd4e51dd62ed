"""Scorer storage on a real SQLite file: schema, idempotent runs, stations, rejections."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from benchscore.measurement import Limits, Measurement
from scorer.store import SCHEMA_VERSION, Store, StoreError

# -- payload builders (also used by the other scorer tests) ---------------------------------


def measurements() -> list[dict[str, Any]]:
    return [
        Measurement.judged("forward_voltage", 3.05, "V", Limits(2.8, 3.4, 2.9, 3.3)).to_dict(),
        Measurement.judged("current", 0.021, "A", Limits(0.015, 0.025)).to_dict(),
        Measurement.judged("illuminance", 12.0, "lx", Limits(low=50.0)).to_dict(),
    ]


def record(
    station: str = "st01",
    seq: int = 1,
    *,
    event: str = "ev1",
    boot_id: str = "boot-a",
    outcome: str = "fail",
    **extra: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "schema": 2,
        "type": "record",
        "event": event,
        "station": station,
        "boot_id": boot_id,
        "seq": seq,
        "run_id": f"{station}-{boot_id}-{seq}",
        "kind": "result",
        "task": "led-module",
        "procedure": "led_iv",
        "started_at": 1_700_000_000.0 + seq,
        "ended_at": 1_700_000_030.0 + seq,
        "outcome": outcome,
        "reason": "illuminance 12 lx below 50 lx" if outcome == "fail" else "",
        "measurements": measurements(),
    }
    obj.update(extra)
    return obj


def status(
    station: str = "st01", state: str = "idle", online: bool = True, **extra: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "schema": 2,
        "type": "status",
        "event": "ev1",
        "station": station,
        "online": online,
        "state": state,
        "boot_id": "boot-a",
        "sw": "0.1.0",
        "ts": 1_700_000_000.0,
        "task": "led-module",
    }
    obj.update(extra)
    return obj


def live(station: str = "st01", **values: float | None) -> dict[str, Any]:
    return {
        "schema": 2,
        "type": "live",
        "event": "ev1",
        "station": station,
        "boot_id": "boot-a",
        "run_id": f"{station}-boot-a-1",
        "ts": 1_700_000_010.5,
        "phase": "measure",
        "values": values
        or {"voltage_v": 5.02, "current_a": 0.41, "power_w": 2.06, "illuminance_lx": 310.0},
    }


# -- tests ---------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "db" / "scorer.db")
    yield s
    s.close()


def test_schema_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "scorer.db"
    s = Store(path)
    try:
        assert path.exists()
        assert s.journal_mode() == "wal"
    finally:
        s.close()
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"stations", "runs", "measurements", "rejections", "schema_version"} <= tables
        fks = con.execute("PRAGMA foreign_key_list(measurements)").fetchall()
        assert [(fk[2], fk[3], fk[4]) for fk in fks] == [("runs", "run", "id")]
    finally:
        con.close()


def test_add_run_is_idempotent_on_station_boot_seq(store: Store) -> None:
    assert store.add_run(record(seq=1)) is True
    assert store.add_run(record(seq=1)) is False
    assert store.add_run(record(seq=1, run_id="another-run")) is False
    assert store.run_count() == 1
    # a new seq, or the same seq after a reboot, or another station is a new run
    assert store.add_run(record(seq=2)) is True
    assert store.add_run(record(seq=1, boot_id="boot-b")) is True
    assert store.add_run(record("st02", seq=1)) is True
    assert store.run_count() == 4


def test_list_runs_newest_first_with_measurements(store: Store) -> None:
    store.add_run(record("st01", 1, outcome="pass", reason=""))
    store.add_run(record("st02", 1))
    store.add_run(record("st01", 2, historical=True))
    runs = store.list_runs()
    assert [(r["station"], r["run_id"]) for r in runs] == [
        ("st01", "st01-boot-a-2"),
        ("st02", "st02-boot-a-1"),
        ("st01", "st01-boot-a-1"),
    ]
    newest = runs[0]
    assert newest["historical"] is True and runs[1]["historical"] is False
    assert newest["event"] == "ev1" and newest["task"] == "led-module"
    assert newest["outcome"] == "fail" and "illuminance" in newest["reason"]
    assert newest["started_at"] == 1_700_000_002.0 and newest["ended_at"] == 1_700_000_032.0
    assert newest["measurements"] == [
        {
            "name": "forward_voltage",
            "value": 3.05,
            "unit": "V",
            "limits": {"low": 2.8, "high": 3.4, "marginal_low": 2.9, "marginal_high": 3.3},
            "outcome": "pass",
            "reason": "",
        },
        {
            "name": "current",
            "value": 0.021,
            "unit": "A",
            "limits": {"low": 0.015, "high": 0.025},
            "outcome": "pass",
            "reason": "",
        },
        {
            "name": "illuminance",
            "value": 12.0,
            "unit": "lx",
            "limits": {"low": 50.0},
            "outcome": "fail",
            "reason": "illuminance 12 lx below 50 lx",
        },
    ]
    assert [r["seq"] for r in store.list_runs(station="st01")] == [2, 1]
    assert len(store.list_runs(limit=1)) == 1
    assert store.list_runs(station="nobody") == []


def test_measurement_without_value(store: Store) -> None:
    broken = Measurement.judged("current", None, "A", Limits(0.01, 0.03)).to_dict()
    store.add_run(record(outcome="fault", measurements=[broken], reason="sensor failed"))
    (m,) = store.list_runs()[0]["measurements"]
    assert (
        m["value"] is None
        and m["outcome"] == "error"
        and m["reason"] == "current: no valid reading"
    )


def test_stations_with_status_and_last_run(store: Store) -> None:
    store.upsert_status(status("st01", "ready"))
    store.upsert_status(status("st01", "running", reason="marked run"))
    store.add_run(record("st01", 1, outcome="pass", reason=""))
    store.add_run(record("st01", 2))
    # a replayed backlog record arriving later does not hide the newest live run
    store.add_run(record("st01", 0, historical=True))
    store.add_run(record("st03", 1))  # no status yet: listed from its record
    store.upsert_status(status("st02", "offline", online=False, sw=123))  # sw of a wrong type

    by_id = {s["id"]: s for s in store.stations()}
    assert list(by_id) == ["st01", "st02", "st03"]
    st1 = by_id["st01"]
    assert st1["state"] == "running" and st1["online"] is True and st1["reason"] == "marked run"
    assert st1["sw"] == "0.1.0" and st1["task"] == "led-module" and st1["boot_id"] == "boot-a"
    assert st1["last_run"]["seq"] == 2 and st1["last_run"]["outcome"] == "fail"
    assert len(st1["last_run"]["measurements"]) == 3
    assert by_id["st02"]["online"] is False and by_id["st02"]["last_run"] is None
    assert by_id["st02"]["sw"] is None
    assert by_id["st03"]["state"] is None and by_id["st03"]["last_run"]["seq"] == 1


def test_only_historical_runs_still_give_a_last_run(store: Store) -> None:
    store.add_run(record("st01", 5, historical=True))
    assert store.stations()[0]["last_run"]["seq"] == 5


def test_rejections_counts_and_recent(store: Store) -> None:
    store.add_rejection("benchscore/v1/ev1/st01/record", "malformed", "not JSON", 12)
    store.add_rejection("benchscore/v1/ev1/st01/record", "schema", "missing 'seq'", 300)
    store.add_rejection("x" * 5000, "malformed", "d" * 5000, 10)
    assert store.rejection_counts() == {"malformed": 2, "schema": 1}
    recent = store.rejections(limit=2)
    assert [r["reason"] for r in recent] == ["malformed", "schema"]
    assert len(recent[0]["topic"]) <= 256 and len(recent[0]["detail"]) <= 1000
    assert recent[1]["size"] == 300 and recent[1]["topic"] == "benchscore/v1/ev1/st01/record"


def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "scorer.db"
    s = Store(path)
    s.add_run(record())
    s.upsert_status(status())
    s.close()
    s2 = Store(path)
    try:
        assert s2.run_count() == 1
        assert s2.add_run(record()) is False
        assert s2.stations()[0]["state"] == "idle"
    finally:
        s2.close()


def test_close_is_idempotent_and_final(tmp_path: Path) -> None:
    s = Store(tmp_path / "scorer.db")
    s.close()
    s.close()
    assert s.closed
    with pytest.raises(StoreError, match="closed"):
        s.list_runs()


def test_refuses_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "scorer.db"
    Store(path).close()
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE schema_version SET version = 99")
    con.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store(path)


def test_concurrent_writers_store_each_run_once(store: Store) -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for seq in range(40):
            added = store.add_run(record("st01", seq))
            with lock:
                results.append(added)
        store.list_runs(limit=5)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count(True) == 40 and len(results) == 240
    assert store.run_count() == 40
