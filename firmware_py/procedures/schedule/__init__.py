"""The station side of cycler schedules: :class:`ScheduleRunner` drives the load, the supply,
the monitors and the thermometer through a :class:`~benchscore.schedule.Schedule`."""

from firmware_py.procedures.schedule.engine import (
    CyclerBench,
    Sample,
    ScheduleFault,
    ScheduleLog,
    ScheduleRunner,
    StepRecord,
)

__all__ = ["CyclerBench", "Sample", "ScheduleFault", "ScheduleLog", "ScheduleRunner", "StepRecord"]
