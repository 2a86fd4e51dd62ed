"""The console's own tables, in the scorer's database (the store's :class:`scorer.db.Database`).

Accounts, sessions, the audit log and mark locks live next to the store's and the
competition's tables (every name starts with ``console_``), on the same connection, so one
database holds a hall's whole state, SQLite or PostgreSQL alike. The tables are created when the
console starts (``CREATE TABLE IF NOT EXISTS``; ``console_schema`` keeps the console's own
version number, apart from the store's migrations).

The chief expert's overrides are the marking engine's (``mark_overrides``, see
:mod:`scorer.competition.overrides`). A database from console schema 1 still has the console's
own ``console_overrides``: opening it moves those rows to ``mark_overrides`` (an override the
engine has already is kept) and drops the old table, in the same transaction that records
schema 2.

The audit table is append-only: a trigger refuses UPDATE and DELETE on it, and every row
carries the hash of the row before it (:mod:`scorer.accounts.audit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from ..db import Database, Tx

SCHEMA_VERSION: Final = 2
"""1: the console kept its own overrides (``console_overrides``); 2: overrides are the marking
engine's (``mark_overrides``, store migration 3) and the console's rows are moved there."""

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS console_schema (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS console_users (
        id            {pk},
        username      TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        contestant    TEXT,
        password_hash TEXT NOT NULL,
        created_at    {float} NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS console_sessions (
        token_hash  TEXT PRIMARY KEY,
        user_id     {bigint} NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
        csrf        TEXT NOT NULL,
        created_at  {float} NOT NULL,
        last_seen   {float} NOT NULL,
        expires_at  {float} NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS console_locks (
        event       TEXT NOT NULL,
        module      TEXT NOT NULL,
        locked      INTEGER NOT NULL,
        changed_by  TEXT NOT NULL,
        changed_at  {float} NOT NULL,
        PRIMARY KEY (event, module)
    )""",
    """CREATE TABLE IF NOT EXISTS console_audit (
        id          {bigint} PRIMARY KEY,
        ts          {float} NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        subject     TEXT NOT NULL,
        old         TEXT,
        new         TEXT,
        reason      TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL UNIQUE
    )""",
)
_SQLITE_TRIGGERS: Final = (
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_delete BEFORE DELETE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_PG_TRIGGERS: Final = (
    "CREATE OR REPLACE FUNCTION console_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS console_audit_append_only ON console_audit",
    "CREATE TRIGGER console_audit_append_only BEFORE UPDATE OR DELETE ON console_audit "
    "FOR EACH ROW EXECUTE FUNCTION console_audit_append_only()",
)


def _has_table(tx: Tx, name: str) -> bool:
    if tx.dialect == "postgresql":
        sql = (
            "SELECT 1 AS x FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ?"
        )
    else:
        sql = "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?"
    return tx.one(sql, (name,)) is not None


def _move_overrides(tx: Tx) -> None:
    """Console schema 1 -> 2: the console's overrides become the engine's."""
    if not _has_table(tx, "console_overrides"):
        return
    # "WHERE true": SQLite reads ON CONFLICT after a bare SELECT ... FROM as a join clause
    tx.execute(
        "INSERT INTO mark_overrides (event, competitor, aspect, mark, reason, entered_by, "
        "entered_at) SELECT event, competitor, aspect, mark, reason, entered_by, entered_at "
        "FROM console_overrides WHERE true ON CONFLICT (event, competitor, aspect) DO NOTHING"
    )
    tx.execute("DROP TABLE console_overrides")


class ConsoleDBError(RuntimeError):
    """The console's tables cannot be used (a newer console schema)."""


class ConsoleDB:
    """The console's tables on ``database`` (created if missing)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as tx:
            tx.lock("benchscore-console-schema")
            for statement in _TABLES:
                tx.execute(database.expand(statement))
            version = tx.scalar("SELECT max(version) FROM console_schema")
            if version is None:
                tx.execute("INSERT INTO console_schema (version) VALUES (?)", (SCHEMA_VERSION,))
                triggers = _PG_TRIGGERS if tx.dialect == "postgresql" else _SQLITE_TRIGGERS
                for statement in triggers:
                    tx.execute(statement)
            elif int(version) > SCHEMA_VERSION:
                raise ConsoleDBError(
                    f"{database.name}: console schema {version}, this scorer uses {SCHEMA_VERSION}"
                )
            elif int(version) < SCHEMA_VERSION:
                _move_overrides(tx)
                tx.execute("DELETE FROM console_schema")
                tx.execute("INSERT INTO console_schema (version) VALUES (?)", (SCHEMA_VERSION,))

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        """A transaction (committed when the block ends, rolled back if it raises)."""
        with self.database.transaction() as tx:
            yield tx

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.tx() as tx:
            return tx.all(sql, params)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        with self.tx() as tx:
            return tx.one(sql, params)

    @property
    def closed(self) -> bool:
        return self.database.closed
