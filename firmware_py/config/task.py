"""A task definition (``config/tasks/``): the procedure, its parameters and the limits each
measurement is judged by. One task file serves every station of a module.

The procedure is looked up among the installed procedure plugins
(:mod:`benchscore.plugins.registry`); the plugin reads and validates its own part of the file
(e.g. ``[[scenes]]``) and its station class checks limits and parameters. This module imports
no procedure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.configfile import Table
from benchscore.measurement import DECISION_RULES, Limits
from benchscore.plugins import registry
from benchscore.plugins.builtin.led_assembly import ChannelSpec
from benchscore.plugins.builtin.lighting_environment import SceneSpec
from benchscore.protocol import check_id
from firmware_py.config.tables import limits as read_limits
from firmware_py.config.tables import parameter

__all__ = ["ChannelSpec", "SceneSpec", "TaskConfig", "load_task"]


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
    extra: Mapping[str, Any] = field(default_factory=dict)
    """The procedure's own tables, as its plugin's ``task_schema`` read them."""
    decision_rule: str = "simple"
    """``simple`` acceptance, or ``guard_band`` (ISO 14253-1: the pass band shrunk by U)."""

    @property
    def scenes(self) -> tuple[SceneSpec, ...]:
        """lighting_environment: ``[[scenes]]`` name and DALI scene number."""
        return tuple(self.extra.get("scenes", ()))

    @property
    def channels(self) -> tuple[ChannelSpec, ...]:
        """led_assembly: ``[[channels]]`` name and index (which channel switch)."""
        return tuple(self.extra.get("channels", ()))


def load_task(file: str | Path) -> TaskConfig:
    """Load a task definition (procedure, parameters, limits, the procedure's own tables);
    ConfigError (one line naming file and key) if it is bad or names no installed procedure."""
    root = Table.load(file)
    t = root.table("task")
    task_id = t.get_str("id")
    try:
        check_id(task_id, "task id")
    except ValueError as exc:
        raise t.error("id", str(exc)) from None
    name = t.get_str("name", task_id)
    procedure = t.get_str("procedure")
    try:
        plugin = registry.get(procedure)
    except registry.UnknownProcedure as exc:
        raise t.error("procedure", str(exc)) from None
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
    extra = plugin.read_task(root)
    root.check_unknown()
    task = TaskConfig(
        task_id, name, procedure, parameters, limits, units, Path(file), extra, decision_rule
    )
    try:
        cls = plugin.load_procedure()
    except (ImportError, AttributeError) as exc:
        raise t.error(
            "procedure", f"procedure {procedure!r}: cannot import {plugin.procedure}: {exc}"
        ) from None
    cls.check_task(task)
    return task
