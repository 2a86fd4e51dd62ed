"""The audit log: append-only, hash-chained, verifiable from the database or from an export.

Every mark entry, change and override, every clock and lock decision, every account change and
every command sent to a station is one row: who (``actor``), when (``ts``), what (``action`` on
``subject``), the ``old`` and ``new`` values (JSON) and why (``reason``). Each row's ``hash`` is

    SHA-256( prev_hash || canonical JSON of {id, ts, actor, action, subject, old, new, reason} )

with ``prev_hash`` the previous row's hash (64 zeros for the first). SQLite triggers refuse
UPDATE and DELETE; someone who edits the file anyway breaks the chain at the edited row, and
:func:`verify` names it. Cutting rows off the end leaves a shorter valid chain: compare the head
hash with one written down or exported earlier (the audit page and every report show it).

The export is JSON Lines, one row per line with its hashes; :func:`verify_rows` checks an export
exactly as it checks the database (``python -m scorer.console.audit verify FILE``).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..db import Tx
from .db import ConsoleDB

GENESIS: Final = "0" * 64
_FIELDS: Final = ("id", "ts", "actor", "action", "subject", "old", "new", "reason")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    body = canonical({k: row[k] for k in _FIELDS})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    db: ConsoleDB,
    actor: str,
    action: str,
    subject: str,
    old: Any,
    new: Any,
    reason: str = "",
    *,
    conn: Tx | None = None,
) -> dict[str, Any]:
    """Add one entry (inside ``conn``'s transaction when given) and return it."""

    def work(c: Tx) -> dict[str, Any]:
        c.lock("benchscore-console-audit")
        last = c.one("SELECT id, hash FROM console_audit ORDER BY id DESC LIMIT 1")
        prev = GENESIS if last is None else last["hash"]
        row = {
            "id": 1 if last is None else int(last["id"]) + 1,
            "ts": round(time.time(), 6),
            "actor": actor,
            "action": action,
            "subject": subject,
            "old": None if old is None else canonical(old),
            "new": None if new is None else canonical(new),
            "reason": reason,
        }
        row["prev_hash"] = prev
        row["hash"] = row_hash(prev, row)
        c.execute(
            "INSERT INTO console_audit (id, ts, actor, action, subject, old, new, reason, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tuple(row[k] for k in (*_FIELDS, "prev_hash", "hash")),
        )
        return row

    if conn is not None:
        return work(conn)
    with db.tx() as c:
        return work(c)


def entries(db: ConsoleDB, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows in order (oldest first); the newest ``limit`` of them when given."""
    if limit is None:
        return db.all("SELECT * FROM console_audit ORDER BY id")
    rows = db.all("SELECT * FROM console_audit ORDER BY id DESC LIMIT ?", (limit,))
    return rows[::-1]


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Check a chain: ``{"ok", "count", "head", "first_bad", "problem"}``."""
    prev = GENESIS
    count = 0
    expected_id = 1
    for row in rows:
        count += 1
        problem = None
        if row.get("id") != expected_id:
            problem = f"row {row.get('id')}: expected row {expected_id} (a row is missing)"
        elif row.get("prev_hash") != prev:
            problem = f"row {row['id']}: does not follow the row before it"
        elif row_hash(prev, row) != row.get("hash"):
            problem = f"row {row['id']}: content does not match its hash (edited)"
        if problem is not None:
            return {
                "ok": False,
                "count": count,
                "head": prev,
                "first_bad": row.get("id"),
                "problem": problem,
            }
        prev = str(row["hash"])
        expected_id += 1
    return {"ok": True, "count": count, "head": prev, "first_bad": None, "problem": None}


def verify(db: ConsoleDB) -> dict[str, Any]:
    return verify_rows(entries(db))


def head(db: ConsoleDB) -> dict[str, Any]:
    row = db.one("SELECT id, hash FROM console_audit ORDER BY id DESC LIMIT 1")
    return (
        {"count": 0, "hash": GENESIS} if row is None else {"count": row["id"], "hash": row["hash"]}
    )


def export_lines(db: ConsoleDB) -> Iterable[str]:
    """The log as JSON Lines (one row per line, with ``prev_hash`` and ``hash``)."""
    for row in entries(db):
        yield canonical(row) + "\n"


def verify_export(text: str) -> dict[str, Any]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return verify_rows(rows)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "verify":
        print("usage: python -m scorer.console.audit verify EXPORT.jsonl", file=sys.stderr)
        return 2
    with open(args[1], encoding="utf-8") as f:
        result = verify_export(f.read())
    if result["ok"]:
        print(f"audit chain OK: {result['count']} rows, head {result['head']}")
        return 0
    print(f"audit chain BROKEN: {result['problem']}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
