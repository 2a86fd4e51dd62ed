"""The attempts policy: which of a competitor's runs of a module are attempts, and which
attempt is counted.

Self-check runs (``marked: false``) are never marked. Marked runs are attempts in the order
they started, except runs a restart interrupted and runs started outside the module's clock
(before its start, or after its end plus ``late_grace_s``). The first ``marked_attempts``
count; ``counted`` picks the one whose measurement aspects earn the most (``best``, ties to
the earlier), the last or the first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..marking import Aspect, mark_measurement
from .model import Module, ModuleClock

RunValues = Mapping[tuple[str, str], dict[str, float | None]]
"""(station, run_id) -> measurement name -> value: values that replace the stored ones."""


@dataclass
class Attempts:
    """How a competitor's runs of one module were counted."""

    module: str
    competitor: str
    station: str | None
    self_checks: int = 0
    marked: int = 0
    attempts: list[str] = field(default_factory=list)
    excess: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    counted_run: str | None = None
    counted_pk: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def value_of(measured: Mapping[str, float | None], name: str | None) -> float | None:
    """The value of measurement ``name`` (None when the aspect names none, or it is missing)."""
    return None if name is None else measured.get(name)


def run_values(run: dict[str, Any] | None, override: RunValues | None) -> dict[str, float | None]:
    """Measurement name -> value of ``run`` (none without a run), ``override`` applied."""
    if run is None:
        return {}
    got = {m["name"]: m["value"] for m in run["measurements"]}
    if override is not None:
        got.update(override.get((run["station"], run["run_id"]), {}))
    return got


def count_attempts(
    module: Module,
    comp: str,
    station: str | None,
    runs: list[dict[str, Any]],
    clocks: Mapping[str, ModuleClock],
) -> Attempts:
    """Sort ``runs`` (``comp``'s runs of ``module``, in the order they started) into
    self-checks, interrupted, outside the clock, attempts and excess runs."""
    att = Attempts(module.id, comp, station)
    clock = clocks.get(module.id)
    eligible: list[str] = []
    for run in runs:
        if not run["marked"]:
            att.self_checks += 1
            continue
        att.marked += 1
        if run["interrupted"]:
            att.interrupted.append(run["run_id"])
            continue
        if clock is not None and clock.state != "pending" and clock.started_at is not None:
            early = run["started_at"] < clock.started_at - module.late_grace_s
            late = clock.end_ts is not None and (
                run["started_at"] > clock.end_ts + module.late_grace_s
            )
            if early or late:
                att.outside.append(run["run_id"])
                continue
        eligible.append(run["run_id"])
    att.attempts = eligible[: module.marked_attempts]
    att.excess = eligible[module.marked_attempts :]
    return att


def choose_counted(
    module: Module,
    aspects: list[Aspect],
    att: Attempts,
    runs: list[dict[str, Any]],
    values: RunValues | None,
) -> dict[str, Any] | None:
    """The run of ``att.attempts`` that is marked, as ``module.counted`` says; None if none."""
    candidates = [r for r in runs if r["run_id"] in set(att.attempts)]
    if not candidates:
        return None
    if module.counted == "first":
        return candidates[0]
    if module.counted == "last":
        return candidates[-1]
    measured = [a for a in aspects if a.type == "M" and not a.entered]

    def earned(run: dict[str, Any]) -> float:
        got = run_values(run, values)
        return sum(mark_measurement(a, value_of(got, a.measurement)).mark for a in measured)

    best = candidates[0]
    best_marks = earned(best)
    for run in candidates[1:]:
        marks = earned(run)
        if marks > best_marks + 1e-9:
            best, best_marks = run, marks
    return best
