"""Judgements: judges' scores (J aspects, 0-3) and entered marks (M aspects without a
measurement), kept append-only; the latest score of each judge counts."""

from __future__ import annotations

import time
from typing import Any

from ..marking import JUDGE_SCORES, AspectMark
from .model import CompetitionError
from .remarking import Remarking


class Judgements(Remarking):
    """Entering and listing judgements (a part of ``Competition``)."""

    def enter_score(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        judge: str,
        score: float,
        note: str = "",
    ) -> list[AspectMark]:
        """A judge's score (J: 0-3) or entered mark (M without a measurement: 0..max_mark);
        kept append-only. Re-marks the competitor's module; returns its marks."""
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
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO judgements (event, competitor, aspect, judge, score, note, "
                "entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event_id, competitor, aspect_id, judge, float(score), note[:500], time.time()),
            )
        self.remark(event_id, [competitor], [aspect.module], reason=f"{judge} scored {aspect_id}")
        return [
            m
            for (c, _), (m, _) in self.evaluate(
                event_id, [competitor], [aspect.module]
            ).marks.items()
            if c == competitor
        ]

    def judgements(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT competitor, aspect, judge, score, note, entered_at FROM judgements "
                "WHERE event = ? ORDER BY id",
                (event_id,),
            )
