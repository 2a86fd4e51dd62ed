"""The audit chain against an anchored head: every export and mark sheet prints the head, and
``benchscore audit verify --head`` finds a removed last row and a suffix rewritten with its
hashes recomputed (both leave a chain that verifies on its own)."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from benchscore.app.cli import main
from scorer.accounts import audit
from scorer.accounts.db import ConsoleDB
from scorer.exports import mark_sheet, marks_csv, marks_json, skill_record, standardised
from scorer.store import Store
from tests.browser.support import EVENT, make_hall


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "scorer.toml"
    path.write_text('[storage]\npath = "scorer.db"\n')
    return path


def write_log(tmp_path: Path, n: int) -> audit.AuditHead:
    store = Store(tmp_path / "scorer.db")
    db = ConsoleDB(store.db)
    for i in range(n):
        audit.append(db, "chief", "mark.override", f"C0{i % 4 + 1}/A1.{i}", None, i, "why")
    got = audit.head(db)
    store.close()
    return got


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["audit", "verify", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, (out.out + out.err).splitlines()


def tamper(tmp_path: Path, sql: str, *params: object) -> None:
    """What someone with the database file can do: drop the guards and edit."""
    db = sqlite3.connect(tmp_path / "scorer.db")
    db.execute("DROP TRIGGER IF EXISTS console_audit_no_update")
    db.execute("DROP TRIGGER IF EXISTS console_audit_no_delete")
    db.execute(sql, params)
    db.commit()
    db.close()


def rewrite_from(tmp_path: Path, first: int) -> None:
    """Change row ``first`` and recompute every hash from it on, so the chain stays valid."""
    db = sqlite3.connect(tmp_path / "scorer.db")
    db.row_factory = sqlite3.Row
    db.execute("DROP TRIGGER IF EXISTS console_audit_no_update")
    rows = [dict(r) for r in db.execute("SELECT * FROM console_audit ORDER BY id")]
    prev = rows[first - 2]["hash"] if first > 1 else audit.GENESIS
    for row in rows[first - 1 :]:
        if row["id"] == first:
            row["new"] = "99"
        row["prev_hash"], row["hash"] = prev, audit.row_hash(prev, row)
        db.execute(
            "UPDATE console_audit SET new = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (row["new"], row["prev_hash"], row["hash"], row["id"]),
        )
        prev = row["hash"]
    db.commit()
    db.close()


def test_head_is_the_row_count_and_the_last_hash(tmp_path: Path) -> None:
    assert write_log(tmp_path, 0) == (0, audit.GENESIS)
    rows, last = write_log(tmp_path, 3)
    store = Store(tmp_path / "scorer.db")
    assert (rows, last) == (3, audit.entries(ConsoleDB(store.db))[-1]["hash"])
    store.close()


def test_verify_holds_the_anchor_while_rows_are_appended(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = write_log(tmp_path, 6)
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash, "--count", "6")
    assert code == 0 and lines == [
        f"audit chain OK: 6 rows, head {anchor.hash}; the anchored head is row 6"
    ]
    later = write_log(tmp_path, 2)  # two more rows since the anchor was printed
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash[:16])
    assert code == 0 and lines == [
        f"audit chain OK: 8 rows, head {later.hash}; the anchored head is row 6"
    ]


def test_a_removed_last_row_is_found_with_the_anchor(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = write_log(tmp_path, 6)
    tamper(tmp_path, "DELETE FROM console_audit WHERE id = ?", 6)
    code, lines = cli(capsys, "--config", str(config))
    assert code == 0  # on its own the shorter chain is valid
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("audit chain MISMATCH: no row of the 5 has the anchored head")
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash, "--count", "6")
    assert (code, lines) == (
        1,
        ["audit chain MISMATCH: the log has 5 rows, the anchored head is row 6: rows were cut"],
    )


def test_a_rewritten_suffix_is_found_with_the_anchor(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = write_log(tmp_path, 6)
    rewrite_from(tmp_path, 4)
    code, lines = cli(capsys, "--config", str(config))
    assert code == 0  # recomputed hashes: the chain itself verifies
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash, "--count", "6")
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("audit chain MISMATCH: row 6 has hash")
    assert lines[0].endswith("rows up to 6 were rewritten")
    code, lines = cli(capsys, "--config", str(config), "--head", anchor.hash)
    assert code == 1 and "no row of the 6 has the anchored head" in lines[0]


def test_an_edited_row_is_found_without_an_anchor(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(tmp_path, 4)
    tamper(tmp_path, "UPDATE console_audit SET reason = 'nothing happened' WHERE id = 2")
    code, lines = cli(capsys, "--config", str(config))
    assert (code, lines) == (
        1,
        ["audit chain BROKEN: row 2: content does not match its hash (edited)"],
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--head", "not-a-hash"], "--head: 'not-a-hash' is not a head hash"),
        (["--head", "abc123"], "--head: 'abc123' is not a head hash"),
        (["--count", "-1"], "--count: -1 is not a row count"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(
    tmp_path: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    write_log(tmp_path, 1)
    code, lines = cli(capsys, "--config", str(config), *args)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"benchscore audit: {says}")


def test_a_missing_config_or_database_gets_one_line(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = cli(capsys, "--config", str(tmp_path / "nope.toml"))
    assert code == 2 and len(lines) == 1 and "nope.toml: cannot read" in lines[0]
    code, lines = cli(capsys, "--config", str(config))  # no scorer.db was ever written
    assert code == 2 and len(lines) == 1 and "storage.path: no database at" in lines[0]
    assert not (tmp_path / "scorer.db").exists()  # verifying created nothing


def test_every_export_and_mark_sheet_carries_the_head(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hall = make_hall(tmp_path)
    try:
        db = ConsoleDB(hall.store.db)
        for i in range(3):
            audit.append(db, "chief", "module.start", f"led/{i}", None, None)
        head = audit.head(db)
        assert head.rows == 3
        doc = marks_json(hall.comp, EVENT)
        assert doc["audit"] == {"count": 3, "hash": head.hash}
        rows = list(csv.DictReader(io.StringIO(marks_csv(hall.comp, EVENT))))
        assert rows and all((r["audit_rows"], r["audit_head"]) == ("3", head.hash) for r in rows)
        sheet = list(csv.reader(io.StringIO(mark_sheet(hall.comp, EVENT, "C01"))))
        assert sheet[0][-1] == f"audit chain: 3 rows, head {head.hash}"
        assert all(r["audit_head"] == head.hash for r in standardised(hall.comp, EVENT))
        assert skill_record(hall.comp, EVENT, "C01")["audit"] == {"count": 3, "hash": head.hash}
        printed = sheet[0][-1].rsplit(" ", 1)[1]  # what a person copies off the sheet
    finally:
        hall.close()
    tamper(tmp_path, "DELETE FROM console_audit WHERE id = ?", 3)
    code, lines = cli(capsys, "--config", str(config), "--head", printed)
    assert code == 1 and "MISMATCH" in lines[0]
