"""Practice on every simulated bench: the procedure the task names runs on its own simulated
assembly with the fault the trainer chose, and the attempt says what failed."""

from __future__ import annotations

import pytest

from scorer.training.practice import faults, run_attempt


@pytest.mark.parametrize(
    ("task", "fault", "failing"),
    [
        ("lighting_environment", "dead_luminaire", "work_mean_lx"),
        ("lighting_environment", "none", None),
        ("power_bank_short", "weak_cell", "window_energy_wh"),
        ("power_bank_short", "none", None),
    ],
)
def test_each_simulated_bench_takes_a_practice_attempt(
    task: str, fault: str, failing: str | None
) -> None:
    attempt = run_attempt(task, fault, time_taken_s=600.0)
    failed = [m["name"] for m in attempt.measurements if m["outcome"] in ("fail", "error")]
    assert attempt.fault == fault and attempt.time_taken_s == 600.0
    if failing is None:
        assert attempt.outcome == "pass", failed
    else:
        assert attempt.outcome == "fail" and failing in failed, failed


def test_a_fault_of_another_bench_is_refused_in_one_line() -> None:
    assert "dead_luminaire" in faults("lighting_environment")
    with pytest.raises(ValueError, match=r"^--fault 'open_led' is not one of none, weak_cell"):
        run_attempt("power_bank_short", "open_led")
