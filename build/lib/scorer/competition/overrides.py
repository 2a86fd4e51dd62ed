"""The chief expert's overrides: an aspect's mark replaced by hand, with who, when and why.

An override is kept per (event, competitor, aspect) in ``mark_overrides``, apart from the
computed marks: re-marking never touches it, and :meth:`MarkSheets.marks` shows it in place of
the computed mark (status ``override``, the computed mark kept as ``computed``), so totals,
exports, mark sheets, standardisation and the skill record all follow it. Setting or removing
one is logged in ``mark_changes`` (old and new mark as the exports saw them, and why).
"""

from __future__ import annotations

import time
from typing import Any

from ..db import Tx
from .base import read_event, read_version
from .model import CompetitionError
from .remarking import Remarking


def read_overrides(tx: Tx, event_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(competitor, aspect) -> the override (mark, reason, entered_by, entered_at)."""
    rows = tx.all(
        "SELECT competitor, aspect, mark, reason, entered_by, entered_at FROM mark_overrides "
        "WHERE event = ?",
        (event_id,),
    )
    return {(r["competitor"], r["aspect"]): r for r in rows}


def override_detail(ov: dict[str, Any], computed: float, status: str) -> str:
    """The ``detail`` of an overridden mark: who and why, and what was computed."""
    return (
        f"override by {ov['entered_by']}: {ov['reason']} "
        f"(computed {round(float(computed), 2):g}, {status})"
    )


class Overrides(Remarking):
    """Setting, removing and listing overrides (a part of ``Competition``)."""

    def overrides(self, event_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        with self.db.read() as tx:
            return read_overrides(tx, event_id)

    def set_override(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        mark: float,
        reason: str,
        entered_by: str,
        *,
        tx: Tx | None = None,
    ) -> float | None:
        """Replace the mark of ``aspect_id`` for ``competitor`` by ``mark`` (0..max_mark); a
        reason is required. Returns the previous override's mark (``None`` if there was none).
        ``tx``: write in the caller's transaction (the console adds its audit entry to it)."""
        if isinstance(mark, bool) or not isinstance(mark, int | float):
            raise CompetitionError(f"mark {mark!r} is not a number")
        if tx is None:
            with self.db.transaction() as own:
                return self._write(
                    event_id, competitor, aspect_id, float(mark), reason, entered_by, own
                )
        return self._write(event_id, competitor, aspect_id, float(mark), reason, entered_by, tx)

    def remove_override(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        reason: str,
        entered_by: str,
        *,
        tx: Tx | None = None,
    ) -> float | None:
        """Remove the override (the computed mark counts again); returns its mark, ``None``
        if there was none."""
        if tx is None:
            with self.db.transaction() as own:
                return self._write(event_id, competitor, aspect_id, None, reason, entered_by, own)
        return self._write(event_id, competitor, aspect_id, None, reason, entered_by, tx)

    def _write(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        mark: float | None,
        reason: str,
        entered_by: str,
        tx: Tx,
    ) -> float | None:
        reason = reason.strip()
        if not reason:
            raise CompetitionError("an override needs a reason")
        if not entered_by or len(entered_by) > 64:
            raise CompetitionError("entered_by: 1-64 characters")
        ev = read_event(tx, event_id)
        ev.competitor(competitor)
        sv = read_version(tx, ev.scheme_id)
        if not sv.scheme.has_aspect(aspect_id):
            raise CompetitionError(f"scheme {sv.scheme.id}: no aspect {aspect_id!r}")
        aspect = sv.scheme.aspect(aspect_id)
        if mark is not None and not 0 <= mark <= aspect.max_mark:
            raise CompetitionError(f"{aspect_id}: an override is 0..{aspect.max_mark:g}")
        key = (event_id, competitor, aspect_id)
        prev = tx.one(
            "SELECT mark FROM mark_overrides WHERE event = ? AND competitor = ? AND aspect = ?",
            key,
        )
        old = None if prev is None else float(prev["mark"])
        if mark is None and old is None:
            return None
        stored = tx.one(
            "SELECT mark FROM marks WHERE scheme_version = ? AND event = ? AND competitor = ? "
            "AND aspect = ?",
            (sv.pk, *key),
        )
        computed = float(stored["mark"]) if stored else 0.0
        now = time.time()
        if mark is None:
            tx.execute(
                "DELETE FROM mark_overrides WHERE event = ? AND competitor = ? AND aspect = ?",
                key,
            )
        else:
            tx.execute(
                "INSERT INTO mark_overrides (event, competitor, aspect, mark, reason, "
                "entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event, competitor, aspect) DO UPDATE SET mark = excluded.mark, "
                "reason = excluded.reason, entered_by = excluded.entered_by, "
                "entered_at = excluded.entered_at",
                (*key, mark, reason, entered_by, now),
            )
        what = "override" if mark is not None else "override removed"
        tx.execute(
            "INSERT INTO mark_changes (scheme_version, event, competitor, aspect, "
            "old_mark, new_mark, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sv.pk,
                *key,
                computed if old is None else old,
                computed if mark is None else mark,
                f"{what} by {entered_by}: {reason}",
                now,
            ),
        )
        return old
