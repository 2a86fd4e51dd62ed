"""Judgements: judges' scores (J aspects, 0-3) and entered marks (M aspects without a
measurement), kept append-only; the latest score of each judge counts."""

from __future__ import annotations

import time
from typing import Any

from ..db import Tx
from ..marking import JUDGE_SCORES, Aspect, AspectMark
from .model import CompetitionError
from .remarking import Remarking


class Judgements(Remarking):
    """Entering and listing judgements (a part of ``Competition``)."""

    def check_score(
        self, event_id: str, competitor: str, aspect_id: str, judge: str, score: float
    ) -> Aspect:
        """Raise CompetitionError unless ``score`` may be entered: a judge's score (J: 0-3) or
        an entered mark (M without a measurement: 0..max_mark). Returns the aspect."""
        ev = self.event(event_id)
        ev.competitor(competitor)
        aspect = self.version(ev.scheme_id).scheme.aspect(aspect_id)
        if not judge or len(judge) > 64:
            raise CompetitionError("judge: 1-64 characters")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise CompetitionError(f"score {score!r} is not a number")
        if aspect.type == "J":
            if score not in JUDGE_SCORES:
                raise CompetitionError(f"{aspect_id}: a judgement score is 0, 1, 2 or 3")
        elif aspect.entered:
            if not 0 <= score <= aspect.max_mark:
                raise CompetitionError(f"{aspect_id}: an entered mark is 0..{aspect.max_mark:g}")
        else:
            raise CompetitionError(f"{aspect_id} is measured by the stations, not entered")
        return aspect

    @staticmethod
    def record_score(
        event_id: str,
        competitor: str,
        aspect: Aspect,
        judge: str,
        score: float,
        note: str = "",
        *,
        tx: Tx,
    ) -> None:
        """Store a checked score (:meth:`check_score`) in the caller's transaction,
        append-only; no re-marking yet (:meth:`remark_after_score`)."""
        tx.execute(
            "INSERT INTO judgements (event, competitor, aspect, judge, score, note, "
            "entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event_id, competitor, aspect.id, judge, float(score), note[:500], time.time()),
        )

    def remark_after_score(
        self, event_id: str, competitor: str, aspect: Aspect, judge: str
    ) -> list[AspectMark]:
        """Re-mark the competitor's module after a score; return its marks."""
        self.remark(event_id, [competitor], [aspect.module], reason=f"{judge} scored {aspect.id}")
        return [
            m
            for (c, _), (m, _) in self.evaluate(
                event_id, [competitor], [aspect.module]
            ).marks.items()
            if c == competitor
        ]

    def enter_score(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        judge: str,
        score: float,
        note: str = "",
    ) -> list[AspectMark]:
        """Store a score in a transaction of its own and re-mark; returns the module's marks."""
        aspect = self.check_score(event_id, competitor, aspect_id, judge, score)
        with self.db.transaction() as tx:
            self.record_score(event_id, competitor, aspect, judge, score, note, tx=tx)
        return self.remark_after_score(event_id, competitor, aspect, judge)

    def judgements(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT competitor, aspect, judge, score, note, entered_at FROM judgements "
                "WHERE event = ? ORDER BY id",
                (event_id,),
            )
