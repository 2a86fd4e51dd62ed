"""The audit log: append-only, hash-chained, verifiable from the database or from an export.

Every mark entry, change and override, every clock and lock decision, every account change and
every command sent to a station is one row: who (``actor``), when (``ts``), what (``action`` on
``subject``), the ``old`` and ``new`` values (JSON) and why (``reason``). Each row's ``hash`` is

    SHA-256( prev_hash || canonical JSON of {id, ts, actor, action, subject, old, new, reason} )

with ``prev_hash`` the previous row's hash (64 zeros for the first). SQLite triggers refuse
UPDATE and DELETE; someone who edits the file anyway breaks the chain at the edited row, and
:func:`verify` names it. Cutting rows off the end, or rewriting the rows from some row on with
their hashes recomputed, leaves a valid chain; only a head noted before shows it. So the head
(:func:`head`: row count and hash) is anchored outside the database: printed on every export,
mark sheet and report, and published by the scorer. :func:`verify_anchored` checks the chain
against such an anchor (``benchscore audit verify --head HASH [--count N]``).

The export is JSON Lines, one row per line with its hashes; :func:`verify_rows` checks an export
exactly as it checks the database (``python -m scorer.accounts.audit verify FILE``).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

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


class AuditHead(NamedTuple):
    """The chain's head: how many rows, and the last row's hash (:data:`GENESIS` if none);
    a plain ``(count, hash)`` tuple too."""

    rows: int
    hash: str

    def text(self) -> str:
        """``audit chain: N rows, head HASH``: the line exports and mark sheets carry."""
        return f"audit chain: {self.rows} rows, head {self.hash}"

    def as_dict(self) -> dict[str, Any]:
        """``{"count", "hash"}`` for JSON documents."""
        return {"count": self.rows, "hash": self.hash}


def head(db: ConsoleDB) -> AuditHead:
    """(row count, hash of the last row) of the log now; (0, :data:`GENESIS`) when empty."""
    row = db.one("SELECT id, hash FROM console_audit ORDER BY id DESC LIMIT 1")
    return AuditHead(0, GENESIS) if row is None else AuditHead(int(row["id"]), str(row["hash"]))


MIN_ANCHOR_HEX: Final = 16
"""The shortest head prefix accepted as an anchor (the console shows 16 hex digits)."""


def anchor_problem(anchor: str) -> str | None:
    """Why ``anchor`` cannot be a head hash (None if it can): 16-64 hex digits."""
    if not MIN_ANCHOR_HEX <= len(anchor) <= 64 or any(c not in "0123456789abcdef" for c in anchor):
        return f"{anchor!r} is not a head hash ({MIN_ANCHOR_HEX}-64 lowercase hex digits)"
    return None


def verify_anchored(
    rows: Iterable[Mapping[str, Any]], anchor: str | None = None, count: int | None = None
) -> dict[str, Any]:
    """Check a chain and that it still holds an anchored head: :func:`verify_rows`'s result
    plus ``anchored_at`` (the row whose hash is ``anchor``).

    With ``count`` the anchor must be row ``count``: fewer rows means rows were cut from the
    end, another hash there means rows up to it were rewritten. Without ``count`` any row may
    carry the anchor (rows appended since are fine); none carrying it means a cut or a rewrite.
    ``anchor`` may be a prefix of the hash (at least :data:`MIN_ANCHOR_HEX` hex digits).
    """
    listed = list(rows)
    result = verify_rows(listed)
    result["anchored_at"] = None
    if not result["ok"] or (anchor is None and count is None):
        return result
    n = result["count"]
    hashes = [GENESIS, *(str(r["hash"]) for r in listed)]
    problem = None
    if count is not None:
        if n < count:
            problem = f"the log has {n} rows, the anchored head is row {count}: rows were cut"
        elif anchor is not None and not hashes[count].startswith(anchor):
            problem = (
                f"row {count} has hash {hashes[count][:16]}…, not the anchored {anchor[:16]}…: "
                f"rows up to {count} were rewritten"
            )
        else:
            result["anchored_at"] = count
    elif anchor is not None:
        found = next((i for i, h in enumerate(hashes) if h.startswith(anchor)), None)
        if found is None:
            problem = (
                f"no row of the {n} has the anchored head {anchor[:16]}…: "
                "rows were cut from the end or rewritten"
            )
        result["anchored_at"] = found
    if problem is not None:
        result.update(ok=False, problem=problem)
    return result


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
        print("usage: python -m scorer.accounts.audit verify EXPORT.jsonl", file=sys.stderr)
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
