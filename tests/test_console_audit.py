"""The audit log: hash-chained, append-only, verified from the database and from an export."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from scorer.accounts import audit
from scorer.accounts.db import ConsoleDB
from scorer.store import Store
from tests.browser.support import client, login, make_hall


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "scorer.db")


def fill(db: ConsoleDB) -> None:
    audit.append(db, "judge1", "judgement.enter", "ev/C01/A3.1", None, 2, "")
    audit.append(db, "judge1", "judgement.change", "ev/C01/A3.1", 2, 3, "re-checked the joints")
    audit.append(db, "chief", "mark.override", "ev/C02/A1.1", None, 1.5, "meter swapped")


def test_chain_verifies_and_links(store: Store) -> None:
    db = ConsoleDB(store.db)
    assert audit.verify(db) == {
        "ok": True,
        "count": 0,
        "head": audit.GENESIS,
        "first_bad": None,
        "problem": None,
    }
    fill(db)
    rows = audit.entries(db)
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["prev_hash"] == audit.GENESIS and rows[1]["prev_hash"] == rows[0]["hash"]
    assert json.loads(rows[1]["old"]) == 2 and json.loads(rows[1]["new"]) == 3
    result = audit.verify(db)
    assert result["ok"] and result["count"] == 3 and result["head"] == rows[2]["hash"]


def test_the_database_refuses_updates_and_deletes(store: Store) -> None:
    db = ConsoleDB(store.db)
    fill(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.tx() as tx:
        tx.execute("UPDATE console_audit SET new = '1' WHERE id = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.tx() as tx:
        tx.execute("DELETE FROM console_audit WHERE id = 3")
    assert audit.verify(db)["ok"]


def tamper(path: Path, sql: str) -> None:
    """What someone with the database file could do: drop the guard and edit."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TRIGGER console_audit_no_update")
        conn.execute("DROP TRIGGER console_audit_no_delete")
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    ("sql", "bad", "why"),
    [
        ("UPDATE console_audit SET new = '2' WHERE id = 2", 2, "edited"),
        ("UPDATE console_audit SET actor = 'judge2' WHERE id = 1", 1, "edited"),
        ("DELETE FROM console_audit WHERE id = 2", 3, "missing"),
        (
            "UPDATE console_audit SET reason = 'x', hash = 'f' || substr(hash, 2) WHERE id = 3",
            3,
            "edited",
        ),
    ],
)
def test_verification_finds_a_tampered_row(tmp_path: Path, sql: str, bad: int, why: str) -> None:
    store = Store(tmp_path / "scorer.db")
    db = ConsoleDB(store.db)
    fill(db)
    store.close()
    tamper(tmp_path / "scorer.db", sql)
    store = Store(tmp_path / "scorer.db")
    result = audit.verify(ConsoleDB(store.db))
    store.close()
    assert not result["ok"] and result["first_bad"] == bad and why in result["problem"]


def test_export_verifies_and_a_tampered_export_does_not(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ConsoleDB(store.db)
    fill(db)
    text = "".join(audit.export_lines(db))
    assert audit.verify_export(text)["ok"]
    good = tmp_path / "audit.jsonl"
    good.write_text(text)
    assert audit.main(["verify", str(good)]) == 0
    assert "audit chain OK: 3 rows" in capsys.readouterr().out
    lines = text.splitlines()
    row = json.loads(lines[1])
    row["new"] = "1"
    lines[1] = json.dumps(row)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines))
    assert audit.main(["verify", str(bad)]) == 1
    assert "row 2" in capsys.readouterr().out


def test_audit_page_and_export_over_http(tmp_path: Path) -> None:
    h = make_hall(tmp_path)
    try:
        judge = client(h.app)
        jt = login(judge, "judge1")
        for score, reason in ((2, ""), (3, "looked again")):
            r = judge.post(
                "/console/api/judgements",
                json={"competitor": "C01", "aspect": "A3.1", "score": score, "reason": reason},
                headers={"X-CSRF-Token": jt},
            )
            assert r.status_code == 200, r.text
        chief = client(h.app)
        login(chief, "admin1")
        data = chief.get("/console/api/audit").json()
        assert data["verify"]["ok"] and data["verify"]["count"] == 2
        newest = data["entries"][0]
        assert newest["actor"] == "judge1" and newest["action"] == "judgement.change"
        assert (newest["old"], newest["new"], newest["reason"]) == ("2", "3", "looked again")
        export = chief.get("/console/api/audit/export")
        assert export.headers["content-disposition"].startswith("attachment")
        assert audit.verify_export(export.text)["count"] == 2
        h.store.close()
        tamper(tmp_path / "scorer.db", "UPDATE console_audit SET new = '1' WHERE id = 2")
        h.store = Store(tmp_path / "scorer.db")
        h.app.state.console.db = ConsoleDB(h.store.db)
        broken = chief.get("/console/api/audit").json()["verify"]
        assert not broken["ok"] and broken["first_bad"] == 2
    finally:
        h.close()
