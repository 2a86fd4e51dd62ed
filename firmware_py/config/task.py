"""A task definition (``config/tasks/``): the procedure, its parameters and the limits each
measurement is judged by. One task file serves every station of a module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.configfile import Table
from benchscore.measurement import DECISION_RULES, Limits
from benchscore.protocol import check_id
from firmware_py.config.tables import limits as read_limits
from firmware_py.config.tables import named_tables, parameter


@dataclass(frozen=True)
class SceneSpec:
    """A scene the lighting_environment procedure commands and measures."""

    name: str
    number: int


@dataclass(frozen=True)
class ChannelSpec:
    """An LED channel the led_assembly procedure lights alone."""

    name: str
    index: int


@dataclass(frozen=True)
class TaskConfig:
    """A task: which procedure, its parameters, and the limits each measurement is judged by."""

    id: str
    name: str
    procedure: str
    parameters: dict[str, float]
    limits: dict[str, Limits]
    units: dict[str, str]
    file: Path
    scenes: tuple[SceneSpec, ...] = ()
    """lighting_environment: ``[[scenes]]`` name and DALI scene number."""
    channels: tuple[ChannelSpec, ...] = ()
    """led_assembly: ``[[channels]]`` name and index (which channel switch)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Procedure-specific tables: ``schedule`` (a :class:`~benchscore.schedule.Schedule`)."""
    decision_rule: str = "simple"
    """``simple`` acceptance, or ``guard_band`` (ISO 14253-1: the pass band shrunk by U)."""


def _scenes(root: Table) -> tuple[SceneSpec, ...]:
    raw = root._get("scenes", [])
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise root.error("scenes", "expected [[scenes]] tables")

    def scene(s_t: Table) -> SceneSpec:
        spec = SceneSpec(name=s_t.get_str("name"), number=s_t.get_int("number", min=0))
        s_t.check_unknown()
        if spec.number > 15:
            raise s_t.error("number", f"DALI scene {spec.number} outside 0..15")
        return spec

    return named_tables(root, "scenes", raw, "scenes", "scene", scene)


def _channels(root: Table) -> tuple[ChannelSpec, ...]:
    raw = root._get("channels", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise root.error("channels", "expected [[channels]] tables")

    def channel(c_t: Table) -> ChannelSpec:
        spec = ChannelSpec(name=c_t.get_str("name"), index=c_t.get_int("index", min=0))
        c_t.check_unknown()
        return spec

    return named_tables(root, "channels", raw, "channels", "channel", channel)


def load_task(file: str | Path) -> TaskConfig:
    """Load a task definition (procedure, parameters, limits)."""
    root = Table.load(file)
    t = root.table("task")
    task_id = t.get_str("id")
    try:
        check_id(task_id, "task id")
    except ValueError as exc:
        raise t.error("id", str(exc)) from None
    from firmware_py.procedures import PROCEDURES

    procedure = t.get_choice("procedure", sorted(PROCEDURES))
    name = t.get_str("name", task_id)
    decision_rule = t.get_choice("decision_rule", list(DECISION_RULES), "simple")
    t.check_unknown()
    p_t = root.table("parameters", required=False)
    parameters = {key: parameter(p_t, key) for key in list(p_t.data)}
    l_t = root.table("limits")
    limits: dict[str, Limits] = {}
    units: dict[str, str] = {}
    for key in list(l_t.data):
        m_t = l_t.table(key)
        limits[key] = read_limits(m_t)
        unit = m_t.data.get("unit", "")
        if not isinstance(unit, str):
            raise m_t.error("unit", f"expected a string, got {unit!r}")
        units[key] = unit
    scenes = _scenes(root)
    channels = _channels(root)
    extra: dict[str, Any] = {}
    if root.has("schedule"):
        kinds = getattr(PROCEDURES[procedure], "schedule_kinds", None)
        if kinds is None:
            raise root.error("schedule", f"procedure {procedure} does not run schedules")
        from benchscore.schedule import parse_schedule

        extra["schedule"] = parse_schedule(root.table("schedule"), extra_kinds=kinds)
    root.check_unknown()
    task = TaskConfig(
        task_id,
        name,
        procedure,
        parameters,
        limits,
        units,
        Path(file),
        scenes=scenes,
        channels=channels,
        extra=extra,
        decision_rule=decision_rule,
    )
    PROCEDURES[procedure].check_task(task)
    return task
