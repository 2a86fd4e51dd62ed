"""Cycler-style schedules: steps with end conditions, loops, gotos and safety limits
(:mod:`.model`, read from a task file's ``[schedule]`` table), and the cycle-life report
(:mod:`.cycles`: capacity per cycle, fade, state of health). The station runs a schedule with
:mod:`firmware_py.procedures.schedule`."""

from benchscore.schedule.cycles import CycleRecord, CycleReport, cycle_report
from benchscore.schedule.model import (
    CHARGE_KINDS,
    DISCHARGE_KINDS,
    EndCondition,
    Safety,
    Schedule,
    Step,
    parse_schedule,
)

__all__ = [
    "CHARGE_KINDS",
    "DISCHARGE_KINDS",
    "CycleRecord",
    "CycleReport",
    "EndCondition",
    "Safety",
    "Schedule",
    "Step",
    "cycle_report",
    "parse_schedule",
]
