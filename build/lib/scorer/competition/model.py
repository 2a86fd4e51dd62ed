"""The competition's data: the event (modules, competitors, station assignments), the module
clock, a scheme version, and the error every operation raises."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..marking import Scheme, json_digest

CommandSink = Callable[[str, str, str, str, dict[str, Any]], None]
"""Sends (event, station, cmd_id, command, args) to a station (MqttIngest.send_command)."""

Counted = Literal["best", "last", "first"]
CLOCK_STATES: Final = ("pending", "running", "frozen", "stopped")
LIMIT_TOLERANCE_S: Final = 1e-3


class CompetitionError(ValueError):
    """An operation the competition's state does not allow (the message says why)."""


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    task: str
    day: int
    time_limit_s: float
    marked_attempts: int = 1
    counted: Counted = "best"
    self_checks: int | None = None
    late_grace_s: float = 60.0


@dataclass(frozen=True)
class Competitor:
    id: str
    name: str
    member: str = ""


@dataclass(frozen=True)
class EventDef:
    id: str
    name: str
    scheme_id: str
    modules: tuple[Module, ...]
    competitors: tuple[Competitor, ...]
    assignments: dict[str, dict[str, str]] = field(default_factory=dict)
    """module -> station -> competitor."""

    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise CompetitionError(f"event {self.id}: no module {module_id!r}")

    def competitor(self, competitor_id: str) -> Competitor:
        for c in self.competitors:
            if c.id == competitor_id:
                return c
        raise CompetitionError(f"event {self.id}: no competitor {competitor_id!r}")

    def stations_of(self, module_id: str) -> dict[str, str]:
        return dict(self.assignments.get(module_id, {}))

    def station_of(self, module_id: str, competitor_id: str) -> str | None:
        for station, comp in self.assignments.get(module_id, {}).items():
            if comp == competitor_id:
                return station
        return None

    def stations_of_competitor(self, competitor_id: str) -> list[str]:
        """Every station ``competitor_id`` is assigned to, in any module, sorted."""
        return sorted(
            {
                st
                for m in self.modules
                for st, c in self.stations_of(m.id).items()
                if c == competitor_id
            }
        )

    def modules_of_task(self, task: str) -> list[Module]:
        return [m for m in self.modules if m.task == task]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def digest(self) -> str:
        return json_digest(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EventDef:
        return cls(
            id=d["id"],
            name=d["name"],
            scheme_id=d["scheme_id"],
            modules=tuple(Module(**m) for m in d["modules"]),
            competitors=tuple(Competitor(**c) for c in d["competitors"]),
            assignments={k: dict(v) for k, v in d["assignments"].items()},
        )


@dataclass(frozen=True)
class ModuleClock:
    event: str
    module: str
    state: str
    time_limit_s: float
    started_at: float | None = None
    end_ts: float | None = None
    """The end the stations hold: start + limit + paused time; the freeze time while frozen."""
    paused_at: float | None = None
    paused_s: float = 0.0

    def remaining_s(self, now: float) -> float | None:
        if self.state == "pending":
            return self.time_limit_s
        if self.started_at is None:
            return None
        full_end = self.started_at + self.time_limit_s + self.paused_s
        if self.state == "frozen" and self.paused_at is not None:
            return max(0.0, full_end - self.paused_at)
        if self.state == "stopped":
            return 0.0
        return max(0.0, full_end - now)

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["remaining_s"] = self.remaining_s(time.time() if now is None else now)
        return d


@dataclass(frozen=True)
class SchemeVersion:
    pk: int
    scheme: Scheme
    version: int
    digest: str
    note: str
    created_at: float
