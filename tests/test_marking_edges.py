"""The edges where a mark is decided: a value exactly on a limit, the marginal band, an error
making the run a fault, a marking band's two edges, and the tie between two attempts.

Each edge is checked on both sides with the nearest float (``math.nextafter``), so turning a
``<`` into ``<=`` anywhere on these paths fails a test here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from benchscore.measurement import Limits, Measurement, Outcome, RunOutcome, run_outcome
from firmware_py.procedures.base import ProcedureResult
from scorer.competition.attempts import Attempts, choose_counted
from scorer.competition.model import Module
from scorer.marking import Aspect, mark_judgement, mark_measurement, parse_scheme


def below(x: float) -> float:
    return math.nextafter(x, -math.inf)


def above(x: float) -> float:
    return math.nextafter(x, math.inf)


# -- limits: the pass band ------------------------------------------------------------------
PASS_BAND = Limits(low=0.09, high=0.13)


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (0.09, Outcome.PASS),  # exactly on low
        (0.13, Outcome.PASS),  # exactly on high
        (below(0.09), Outcome.FAIL),
        (above(0.13), Outcome.FAIL),
        (0.11, Outcome.PASS),
    ],
)
def test_a_value_on_a_limit_passes_and_the_next_float_out_fails(
    value: float, outcome: Outcome
) -> None:
    m = Measurement.judged("current_a", value, "A", PASS_BAND)
    assert m.outcome is outcome
    assert (m.reason == "") is (outcome is Outcome.PASS)


@pytest.mark.parametrize(
    ("limits", "value", "outcome"),
    [
        (Limits(low=5.0), 5.0, Outcome.PASS),
        (Limits(low=5.0), below(5.0), Outcome.FAIL),
        (Limits(high=5.0), 5.0, Outcome.PASS),
        (Limits(high=5.0), above(5.0), Outcome.FAIL),
        (Limits(low=2.0, high=2.0), 2.0, Outcome.PASS),  # a band of one value
    ],
)
def test_one_sided_and_point_limits_include_their_edge(
    limits: Limits, value: float, outcome: Outcome
) -> None:
    assert Measurement.judged("x", value, "", limits).outcome is outcome


# -- limits: the marginal band --------------------------------------------------------------
MARGINAL = Limits(low=0.0, high=10.0, marginal_low=2.0, marginal_high=8.0)


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (2.0, Outcome.PASS),  # on the marginal band's edges: inside it, a clean pass
        (8.0, Outcome.PASS),
        (below(2.0), Outcome.MARGINAL),  # just outside it, still inside the pass band
        (above(8.0), Outcome.MARGINAL),
        (0.0, Outcome.MARGINAL),  # on the pass band's edges: marginal, not fail
        (10.0, Outcome.MARGINAL),
        (below(0.0), Outcome.FAIL),
        (above(10.0), Outcome.FAIL),
        (5.0, Outcome.PASS),
    ],
)
def test_marginal_band_edges(value: float, outcome: Outcome) -> None:
    m = Measurement.judged("cct_k", value, "K", MARGINAL)
    assert m.outcome is outcome
    assert m.to_dict()["outcome"] == outcome.value


def test_a_marginal_measurement_passes_the_run_and_says_so() -> None:
    marginal = Measurement.judged("cct_k", 9.0, "K", MARGINAL)
    clean = Measurement.judged("current_a", 0.11, "A", PASS_BAND)
    assert marginal.outcome is Outcome.MARGINAL
    assert run_outcome([clean, marginal]) is RunOutcome.PASS
    assert ProcedureResult([clean, marginal]).reason == ""


def test_marginal_band_with_one_side_only() -> None:
    low_only = Limits(low=0.0, high=10.0, marginal_low=2.0)
    assert low_only.judge(9.9) is Outcome.PASS
    assert low_only.judge(below(2.0)) is Outcome.MARGINAL
    high_only = Limits(low=0.0, high=10.0, marginal_high=8.0)
    assert high_only.judge(0.1) is Outcome.PASS
    assert high_only.judge(above(8.0)) is Outcome.MARGINAL


# -- an error makes the run a fault ---------------------------------------------------------
@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_no_valid_value_is_an_error(value: float | None) -> None:
    m = Measurement.judged("current_a", value, "A", PASS_BAND)
    assert m.outcome is Outcome.ERROR
    assert m.reason == "current_a: no valid reading"


def test_an_error_measurement_makes_the_run_a_fault_whatever_else_it_holds() -> None:
    ok = Measurement.judged("current_a", 0.11, "A", PASS_BAND)
    failed = Measurement.judged("voltage_v", 99.0, "V", PASS_BAND)
    error = Measurement.judged("lux", None, "lx", PASS_BAND)
    assert run_outcome([ok]) is RunOutcome.PASS
    assert run_outcome([ok, error]) is RunOutcome.FAULT
    assert run_outcome([error, ok]) is RunOutcome.FAULT
    assert run_outcome([ok, failed, error]) is RunOutcome.FAULT  # a fault outranks a fail
    assert run_outcome([ok, failed]) is RunOutcome.FAIL
    assert run_outcome([]) is RunOutcome.FAULT  # nothing measured decides nothing
    result = ProcedureResult([ok, error])  # what the station reports
    assert result.outcome is RunOutcome.FAULT
    assert result.reason == "lux: no valid reading"


# -- marking bands include both edges -------------------------------------------------------
SCHEME: dict[str, Any] = {
    "scheme": {"id": "edges"},
    "criteria": {
        "A": {
            "name": "LED module",
            "sub": {
                "A1": {
                    "name": "Electrical",
                    "module": "led",
                    "aspects": [
                        {
                            "type": "M",
                            "description": "Module current 0.28-0.32 A",
                            "max_mark": 2.0,
                            "measurement": "current_a",
                            "unit": "A",
                            "full": {"low": 0.28, "high": 0.32},
                            "partial": [
                                {"low": 0.27, "high": 0.33, "mark": 1.0},
                                {"low": 0.25, "high": 0.35, "mark": 0.5},
                            ],
                        },
                        {
                            "type": "M",
                            "description": "Efficacy at least 100 lm/W",
                            "max_mark": 1.0,
                            "measurement": "efficacy",
                            "full": {"low": 100.0},
                        },
                        {"type": "J", "description": "Workmanship", "max_mark": 1.5},
                    ],
                }
            },
        }
    },
}


@pytest.fixture(scope="module")
def aspects() -> list[Aspect]:
    return list(parse_scheme(SCHEME, Path("edges.toml")).aspects)


@pytest.mark.parametrize(
    ("value", "mark"),
    [
        (0.28, 2.0),  # the full band's two edges
        (0.32, 2.0),
        (below(0.28), 1.0),  # just outside full: the first partial band
        (above(0.32), 1.0),
        (0.27, 1.0),  # the first partial band's two edges
        (0.33, 1.0),
        (below(0.27), 0.5),
        (above(0.33), 0.5),
        (0.25, 0.5),  # the second partial band's edges
        (0.35, 0.5),
        (below(0.25), 0.0),
        (above(0.35), 0.0),
    ],
)
def test_a_marking_band_includes_both_edges(
    aspects: list[Aspect], value: float, mark: float
) -> None:
    got = mark_measurement(aspects[0], value)
    assert (got.mark, got.status) == (mark, "ok")
    assert got.value == value


def test_an_open_ended_band_includes_its_one_edge(aspects: list[Aspect]) -> None:
    assert mark_measurement(aspects[1], 100.0).mark == 1.0
    assert mark_measurement(aspects[1], below(100.0)).mark == 0.0
    assert mark_measurement(aspects[1], 1e9).mark == 1.0


def test_judges_exactly_max_spread_apart_are_not_flagged(aspects: list[Aspect]) -> None:
    assert mark_judgement(aspects[2], [2, 3, 2]).status == "ok"  # spread 1 = max_spread
    flagged = mark_judgement(aspects[2], [1, 3, 2])
    assert flagged.status == "spread" and flagged.mark == 1.0


# -- ties between attempts go to the earlier run --------------------------------------------
def _run(run_id: str, current: float | None, started_at: float) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "station": "s01",
        "marked": True,
        "interrupted": False,
        "started_at": started_at,
        "measurements": [{"name": "current_a", "value": current}],
    }


def _counted(aspects: list[Aspect], *currents: float | None) -> str:
    module = Module("led", "LED", "led", 1, 3600.0, marked_attempts=len(currents))
    runs = [_run(f"r{i + 1}", c, 100.0 * i) for i, c in enumerate(currents)]
    att = Attempts("led", "c1", "s01", attempts=[r["run_id"] for r in runs])
    chosen = choose_counted(module, aspects[:1], att, runs, None)
    assert chosen is not None
    return str(chosen["run_id"])


def test_equal_marks_count_the_earlier_attempt(aspects: list[Aspect]) -> None:
    assert _counted(aspects, 0.30, 0.29) == "r1"  # both full marks
    assert _counted(aspects, 0.27, 0.33, 0.26) == "r1"  # 1.0, 1.0, 0.5
    assert _counted(aspects, 0.20, 0.27, 0.33) == "r2"  # 0, 1.0, 1.0: the earlier of the best
    assert _counted(aspects, None, 0.10) == "r1"  # nothing earned either time


def test_a_strictly_better_later_attempt_is_counted(aspects: list[Aspect]) -> None:
    assert _counted(aspects, 0.27, 0.30) == "r2"
    assert _counted(aspects, 0.26, 0.27, 0.30) == "r3"
