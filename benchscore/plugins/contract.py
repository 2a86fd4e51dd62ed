"""The contract between benchscore and a procedure plugin.

A procedure plugin is a Python distribution that names one :class:`ProcedurePlugin` under the
entry-point group ``benchscore.procedures`` (``[project.entry-points."benchscore.procedures"]``
in its ``pyproject.toml``); the entry point's name is the procedure's name, the one a task
file's ``[task] procedure`` gives. The built-in procedures are declared the same way in
benchscore's own ``pyproject.toml``.

The object the entry point names must import nothing heavy: the scorer loads it too (for the
re-analysis of an appeal), on a machine without station hardware. The station-side class (a
:class:`firmware_py.procedures.base.Procedure` subclass) is named by a ``"module:Class"``
string and imported only by a station.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchscore.configfile import Table

Curves = Mapping[str, Mapping[str, list[float]]]
"""Stored raw curves of one run: curve name -> column name -> values (all chunks joined)."""
Params = Mapping[str, float]
"""A task's ``[parameters]`` over the plugin's defaults (units as the names say)."""


@dataclass(frozen=True)
class Role:
    """A piece of hardware the procedure needs, as an attribute of the bench it is given.

    ``name`` is the attribute and the ``[hardware]`` map entry the station opens for it;
    ``kind`` the protocol of :mod:`firmware_py.procedures.interfaces` it satisfies
    (``PowerSwitch``, ``PowerMonitor``, ``LightSensor``, ``ColourSensor``, ``WaveformCapture``,
    ``Thermometer``, ``ElectronicLoad``, ``Supply``, ``DigitalOutputs``, ``DimmingOutput``).
    ``when`` says in words when an optional role is opened (e.g. ``"limits flicker_*"``).
    """

    name: str
    kind: str
    optional: bool = False
    when: str = ""


@dataclass(frozen=True)
class CurveSpec:
    """A raw curve the procedure sends (``name`` may end in ``*``: one curve per scene,
    channel, ...), with its columns (SI units in the names: ``t_s``, ``current_a``)."""

    name: str
    columns: tuple[str, ...]
    doc: str = ""


@dataclass(frozen=True)
class MeasurementSpec:
    """A measurement the procedure can produce (``name`` may hold ``<scene>``/``<ch>``
    placeholders), the curve it is re-analysed from, and its unit."""

    name: str
    unit: str
    curve: str
    doc: str = ""

    def matches(self, name: str) -> bool:
        """Whether measurement ``name`` is this one (a placeholder stands for an id)."""
        parts = re.split(r"<[a-z]+>", self.name)
        pattern = "[A-Za-z0-9_.-]+".join(re.escape(p) for p in parts)
        return re.fullmatch(pattern, name) is not None


@dataclass(frozen=True)
class AppealInput:
    """Everything a re-analysis gets: the stored curves of the run, the task's parameters
    (over the plugin's defaults), the task file's other tables as read from the scorer's task
    directory (``{}`` if not found), and the stored measurements by name (the record's
    measurement objects: ``value``, ``unit``, ``curve``, ``u`` when present...)."""

    curves: Curves
    parameters: Params
    task: Mapping[str, Any] = field(default_factory=dict)
    measurements: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class Reanalysis:
    """What a re-analysis produced: recomputed values by measurement name, and for each
    measurement it could not recompute, why (one short line)."""

    values: dict[str, float] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, compute: Callable[[], float]) -> None:
        """Store ``compute()`` as ``name``, or why it failed (a missing column, bad data)."""
        try:
            self.values[name] = float(compute())
        except KeyError as exc:
            self.unavailable[name] = f"curve column {exc} missing"
        except (ValueError, ArithmeticError, IndexError) as exc:
            self.unavailable[name] = f"{type(exc).__name__}: {exc}"


Reanalyse = Callable[[AppealInput], Reanalysis]
"""A plugin's re-analysis: pure function of the stored data, no hardware, no I/O."""
TaskSchema = Callable[[Table], Mapping[str, Any]]
"""Reads the procedure's own tables of a task file (e.g. ``[[scenes]]``) from the file's root
table; returns them parsed (the task's ``extra``); raises ConfigError naming file and key.
It reads through the Table's getters (``root.table``, ``root._get``...): the loader rejects
top-level keys nobody read."""


@dataclass(frozen=True)
class ProcedurePlugin:
    """What a procedure declares about itself. See docs/PLUGINS.md."""

    name: str
    """Procedure name (equal to the entry point's name and the task's ``procedure``)."""
    procedure: str
    """``"module:Class"`` of the station-side Procedure subclass (imported by stations only)."""
    reanalyse: Reanalyse
    """Recomputes measurements from stored curves (appeals)."""
    title: str = ""
    roles: tuple[Role, ...] = ()
    curves: tuple[CurveSpec, ...] = ()
    measurements: tuple[MeasurementSpec, ...] = ()
    parameters: Mapping[str, float] = field(default_factory=dict)
    """Parameter defaults (the re-analysis uses them when the task file does not set one)."""
    task_schema: TaskSchema | None = None
    task_tables: tuple[str, ...] = ()
    """Top-level task-file keys the schema owns (documentation and error messages)."""
    sim_assembly: str = ""
    """The simulated assembly it runs on (``[simulation] assembly``); default: ``name``."""
    whole_run: bool = False
    """The re-analysis needs every curve of the run, not only those its measurements name."""

    @property
    def assembly(self) -> str:
        return self.sim_assembly or self.name

    def load_procedure(self) -> type[Any]:
        """The station-side class (ImportError/AttributeError when it cannot be imported)."""
        module, _, attr = self.procedure.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module), attr)
        return cls

    def read_task(self, root: Table) -> Mapping[str, Any]:
        """The procedure-specific part of a task file, validated (``{}`` if none)."""
        return {} if self.task_schema is None else self.task_schema(root)
