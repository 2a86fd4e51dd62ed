"""Bench procedures by name: the task config's ``procedure`` key picks one."""

from __future__ import annotations

from firmware_py.procedures.base import Procedure
from firmware_py.procedures.led_assembly import LEDAssemblyProcedure
from firmware_py.procedures.lighting_environment import LightingEnvironmentProcedure
from firmware_py.procedures.power_bank import PowerBankProcedure

PROCEDURES: dict[str, type[Procedure]] = {
    LEDAssemblyProcedure.name: LEDAssemblyProcedure,
    LightingEnvironmentProcedure.name: LightingEnvironmentProcedure,
    PowerBankProcedure.name: PowerBankProcedure,
}
