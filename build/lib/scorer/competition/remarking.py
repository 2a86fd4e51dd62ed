"""Installing the event and scheme versions, and re-marking: a new scheme version, a changed
event, a judgement or a new result re-marks the competitors concerned from what is stored."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..db import Tx
from ..marking import Scheme
from .base import CompetitionBase, read_event, read_version
from .evaluation import Evaluation, evaluate, store_marks
from .loading import load_event
from .model import EventDef, SchemeVersion

log = logging.getLogger("scorer.competition")


class Remarking(CompetitionBase):
    """Scheme versions, evaluating and storing marks (a part of ``Competition``)."""

    def install(
        self, event: EventDef, scheme: Scheme, note: str = "", remark: bool = True
    ) -> SchemeVersion:
        """Store ``event`` and, if its content is new, ``scheme`` as its next version; a new
        version, or a changed event (assignments, attempts policy), re-marks every
        competitor. Returns the scheme's current version."""
        if event.scheme_id != scheme.id:
            event = dataclasses.replace(event, scheme_id=scheme.id)
        now = time.time()

        def work(tx: Tx) -> tuple[int, bool, bool]:
            tx.lock(f"scheme:{scheme.id}")
            event_cur = tx.execute(
                "INSERT INTO events AS e (id, definition, digest, loaded_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, "
                "digest = excluded.digest, loaded_at = excluded.loaded_at "
                "WHERE e.digest <> excluded.digest",
                (event.id, json.dumps(event.to_dict()), event.digest, now),
            )
            row = tx.one(
                "SELECT id FROM scheme_versions WHERE scheme = ? AND digest = ?",
                (scheme.id, scheme.digest),
            )
            event_changed = bool(event_cur.rowcount == 1)
            if row is not None:
                return int(row["id"]), False, event_changed
            latest = tx.scalar(
                "SELECT max(version) FROM scheme_versions WHERE scheme = ?", (scheme.id,)
            )
            version = int(latest or 0) + 1
            pk = tx.scalar(
                "INSERT INTO scheme_versions (scheme, version, digest, definition, note, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (scheme.id, version, scheme.digest, json.dumps(scheme.to_dict()), note, now),
            )
            return int(pk), True, event_changed

        pk, created, event_changed = self.db.run(work)
        if created:
            log.info("scheme %s: new version stored", scheme.id)
        if remark and (created or event_changed):
            what = f"scheme {scheme.id}" if created else f"event {event.id}"
            self.remark(event.id, reason=f"{what} changed")
        return self.version(scheme.id, pk=pk)

    def install_file(self, file: str | Path, note: str = "") -> tuple[EventDef, SchemeVersion]:
        event, scheme = load_event(file)
        return event, self.install(event, scheme, note or f"loaded from {Path(file).name}")

    def evaluate(
        self,
        event_id: str,
        competitors: Iterable[str] | None = None,
        modules: Iterable[str] | None = None,
        version: SchemeVersion | None = None,
    ) -> Evaluation:
        """Marks from the stored runs and judgements under ``version`` (the latest by default),
        without storing them."""
        with self.db.read() as tx:
            ev = read_event(tx, event_id)
            sv = version or read_version(tx, ev.scheme_id)
            return evaluate(tx, ev, sv.scheme, competitors, modules)

    def remark(
        self,
        event_id: str,
        competitors: Iterable[str] | None = None,
        modules: Iterable[str] | None = None,
        reason: str = "remark",
    ) -> int:
        """Compute and store the marks of the current scheme version; log every change.
        Returns how many marks changed."""
        comps = None if competitors is None else list(competitors)
        mods = None if modules is None else list(modules)

        def work(tx: Tx) -> int:
            tx.lock(f"marks:{event_id}")
            ev = read_event(tx, event_id)
            sv = read_version(tx, ev.scheme_id)
            result = evaluate(tx, ev, sv.scheme, comps, mods)
            return store_marks(tx, ev.id, sv.pk, result, reason)

        changed: int = self.db.run(work)
        if changed:
            log.info("event %s: %d marks changed (%s)", event_id, changed, reason)
        return changed

    def on_result(self, record: Mapping[str, Any]) -> None:
        """Ingest hook: a new result was stored; re-mark the competitor it belongs to."""
        event_id, station, task = record["event"], record["station"], record["task"]
        with self.db.read() as tx:
            row = tx.one("SELECT definition FROM events WHERE id = ?", (event_id,))
        if row is None:
            return
        ev = EventDef.from_dict(json.loads(row["definition"]))
        for module in ev.modules_of_task(task):
            comp = ev.stations_of(module.id).get(station)
            if comp is not None:
                self.remark(
                    event_id, [comp], [module.id], reason=f"run {record['run_id']} of {station}"
                )
