"""What every part of :class:`~scorer.competition.Competition` shares: the store, the link to
the stations, and reading the event, its scheme versions and its module clocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..db import Database, Tx
from ..marking import Scheme
from ..store import Store
from .model import CommandSink, CompetitionError, EventDef, ModuleClock, SchemeVersion


def read_event(tx: Tx, event_id: str) -> EventDef:
    row = tx.one("SELECT definition FROM events WHERE id = ?", (event_id,))
    if row is None:
        raise CompetitionError(f"no event {event_id!r} is loaded")
    return EventDef.from_dict(json.loads(row["definition"]))


def read_version(
    tx: Tx, scheme_id: str, number: int | None = None, pk: int | None = None
) -> SchemeVersion:
    """A scheme version: by ``pk``, by ``number``, or the latest."""
    cols = "id, version, digest, definition, note, created_at"
    if pk is not None:
        row = tx.one(f"SELECT {cols} FROM scheme_versions WHERE id = ?", (pk,))
    elif number is not None:
        row = tx.one(
            f"SELECT {cols} FROM scheme_versions WHERE scheme = ? AND version = ?",
            (scheme_id, number),
        )
    else:
        row = tx.one(
            f"SELECT {cols} FROM scheme_versions WHERE scheme = ? ORDER BY version DESC LIMIT 1",
            (scheme_id,),
        )
    if row is None:
        which = f"version {number}" if number is not None else "any version"
        raise CompetitionError(f"scheme {scheme_id!r} has no {which}")
    return SchemeVersion(
        int(row["id"]),
        Scheme.from_dict(json.loads(row["definition"])),
        int(row["version"]),
        row["digest"],
        row["note"],
        float(row["created_at"]),
    )


def read_clocks(tx: Tx, event_id: str) -> list[ModuleClock]:
    """The stored clocks of ``event_id`` (a module not started yet has none), by module."""
    rows = tx.all(
        "SELECT event, module, state, time_limit_s, started_at, end_ts, paused_at, paused_s "
        "FROM module_clocks WHERE event = ? ORDER BY module",
        (event_id,),
    )
    return [ModuleClock(**r) for r in rows]


def clock_of(clocks: list[ModuleClock], event: EventDef, module_id: str) -> ModuleClock:
    """The clock of ``module_id`` among ``clocks``; a pending one if it was never started."""
    module = event.module(module_id)
    for c in clocks:
        if c.module == module_id:
            return c
    return ModuleClock(event.id, module_id, "pending", module.time_limit_s)


class CompetitionBase:
    """The competition tables of ``store``; ``send`` delivers commands to stations."""

    def __init__(
        self, store: Store, send: CommandSink | None = None, tasks_dir: Path | None = None
    ) -> None:
        self.store = store
        self.send = send
        self.tasks_dir = tasks_dir
        """Task files, for the parameters an appeal's re-analysis needs."""

    @property
    def db(self) -> Database:
        return self.store.db

    def event(self, event_id: str) -> EventDef:
        with self.db.read() as tx:
            return read_event(tx, event_id)

    def events(self) -> list[str]:
        with self.db.read() as tx:
            return [r["id"] for r in tx.all("SELECT id FROM events ORDER BY id")]

    def version(
        self, scheme_id: str, number: int | None = None, *, pk: int | None = None
    ) -> SchemeVersion:
        """A scheme version: by ``pk``, by ``number``, or the latest."""
        with self.db.read() as tx:
            return read_version(tx, scheme_id, number, pk)

    def versions(self, scheme_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT id, version, digest, note, created_at FROM scheme_versions "
                "WHERE scheme = ? ORDER BY version",
                (scheme_id,),
            )

    def clocks(self, event_id: str) -> list[ModuleClock]:
        with self.db.read() as tx:
            return read_clocks(tx, event_id)

    def clock(self, event_id: str, module_id: str) -> ModuleClock:
        event = self.event(event_id)
        return clock_of(self.clocks(event_id), event, module_id)
