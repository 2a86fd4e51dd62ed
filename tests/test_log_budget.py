"""LogBudget: a few lines per key and window, then one line with how many were held back."""

from __future__ import annotations

import logging

import pytest

from benchscore.log_budget import LogBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "budget-test"]


def test_a_flood_gets_its_burst_then_one_line_with_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="budget-test")
    clock = FakeClock()
    budget = LogBudget(
        logging.getLogger("budget-test"), burst=3, window_s=60, counted_in="the ledger", clock=clock
    )
    for i in range(100):
        budget.warning("rejected schema", "rejected schema payload %d", i)
    budget.warning("rejected malformed", "rejected malformed payload")  # a key of its own
    assert lines(caplog) == [
        "rejected schema payload 0",
        "rejected schema payload 1",
        "rejected schema payload 2",
        "rejected malformed payload",
    ]
    clock.now += 59.999  # the window has not passed
    budget.flush()
    assert len(lines(caplog)) == 4
    clock.now += 0.001  # exactly one window after its start: it has passed
    budget.flush()
    assert lines(caplog)[4:] == [
        "97 more 'rejected schema' lines held back in the last 60 s "
        "(each one is counted in the ledger)"
    ]
    budget.flush()  # reported once
    budget.warning("rejected schema", "rejected schema payload %d", 100)  # a new window
    assert lines(caplog)[5:] == ["rejected schema payload 100"]


def test_the_next_warning_after_the_window_reports_the_held_back_lines_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="budget-test")
    clock = FakeClock()
    budget = LogBudget(logging.getLogger("budget-test"), burst=1, window_s=10, clock=clock)
    budget.warning("k", "first")
    budget.warning("k", "held")
    budget.warning("k", "held")
    clock.now += 10
    budget.warning("k", "next window")
    assert lines(caplog) == [
        "first",
        "2 more 'k' lines held back in the last 10 s",
        "next window",
    ]
