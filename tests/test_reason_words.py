"""The English reason a failed measurement carries: where the value should have been, in
words, with its unit once (none for a unitless ratio)."""

from __future__ import annotations

import pytest

from benchscore.measurement import Limits, Measurement, Outcome


@pytest.mark.parametrize(
    ("value", "unit", "limits", "reason"),
    [
        (0.1994, "A", Limits(low=0.27, high=0.33), "current 0.1994 A outside 0.27..0.33 A"),
        (0.5206, "", Limits(low=0.6), "current 0.5206 below 0.6"),
        (4.31, "W", Limits(high=4.0), "current 4.31 W above 4 W"),
        (0.6, "", Limits(low=0.6), ""),  # equal to the limit passes: no reason
    ],
)
def test_a_failed_value_says_where_it_should_have_been(
    value: float, unit: str, limits: Limits, reason: str
) -> None:
    m = Measurement.judged("current", value, unit, limits)
    assert m.reason == reason
    assert (m.outcome is Outcome.FAIL) == bool(reason)
