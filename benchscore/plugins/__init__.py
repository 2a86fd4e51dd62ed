"""Procedure plugins: the contract (:mod:`.contract`), the registry of installed ones
(:mod:`.registry`) and the built-in procedures' declarations and re-analyses (:mod:`.builtin`).
"""

from benchscore.plugins.contract import (
    AppealInput,
    Curves,
    CurveSpec,
    MeasurementSpec,
    Params,
    ProcedurePlugin,
    Reanalyse,
    Reanalysis,
    Role,
    TaskSchema,
)
from benchscore.plugins.registry import GROUP, UnknownProcedure, get, installed

__all__ = [
    "GROUP",
    "AppealInput",
    "CurveSpec",
    "Curves",
    "MeasurementSpec",
    "Params",
    "ProcedurePlugin",
    "Reanalyse",
    "Reanalysis",
    "Role",
    "TaskSchema",
    "UnknownProcedure",
    "get",
    "installed",
]
