"""Progress over practice attempts: time to complete, first-pass rate, failing measurements.

Pure functions over the attempts of :func:`scorer.training.store.attempts_of`. An attempt
"passes first time" when its one measurement run passed every limit (no marginal counts as a
pass, as on the station); the first-pass rate after attempt n is the share of attempts 1..n
that did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .store import Group


@dataclass(frozen=True)
class Progress:
    n: list[int]
    times_s: list[float]
    passed: list[bool]
    first_pass_rate: list[float]
    """Cumulative share of passing attempts after each attempt (0..1)."""
    failing: list[tuple[str, int]]
    """Measurement name -> attempts it failed in, most frequent first (ties by name)."""
    best_s: float | None
    beat_target: bool | None
    """Whether the fastest passing attempt beat the group's target (None: no target)."""


def failing_measurements(attempt: dict[str, Any]) -> list[str]:
    return [m["name"] for m in attempt["measurements"] if m.get("outcome") in ("fail", "error")]


def progress(attempts: list[dict[str, Any]], group: Group | None = None) -> Progress:
    passed = [a["outcome"] in ("pass", "marginal") for a in attempts]
    rate = []
    for i in range(len(attempts)):
        rate.append(sum(passed[: i + 1]) / (i + 1))
    counts: Counter[str] = Counter()
    for a in attempts:
        counts.update(set(failing_measurements(a)))
    failing = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    good = [
        a["time_taken_s"]
        for a, ok in zip(attempts, passed, strict=True)
        if ok
        and (group is None or group.time_limit_s is None or a["time_taken_s"] <= group.time_limit_s)
    ]
    best = min(good) if good else None
    target = group.target_s if group else None
    return Progress(
        n=[a["n"] for a in attempts],
        times_s=[float(a["time_taken_s"]) for a in attempts],
        passed=passed,
        first_pass_rate=rate,
        failing=failing,
        best_s=best,
        beat_target=None if target is None else (best is not None and best < target),
    )


def within_limit(attempt: dict[str, Any], group: Group) -> bool:
    """An attempt at exactly the time limit is within it."""
    return group.time_limit_s is None or attempt["time_taken_s"] <= group.time_limit_s
