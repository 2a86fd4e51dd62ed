"""The hardware roles a station provides to a procedure plugin: the role name (an attribute of
the bench, and its ``[hardware]`` map entry) and the protocol of
:mod:`firmware_py.procedures.interfaces` it satisfies. How the station opens each one is
:mod:`firmware_py.role_bench`; this table is what the config checks a task against."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from benchscore.plugins import Role

ROLE_KINDS: Final[dict[str, str]] = {
    "power": "PowerSwitch",
    "check_power": "PowerSwitch",
    "reverse_polarity": "PowerSwitch",
    "power_monitor": "PowerMonitor",
    "input_monitor": "PowerMonitor",
    "output_monitor": "PowerMonitor",
    "light_sensor": "LightSensor",
    "colour_sensor": "ColourSensor",
    "photodiode": "WaveformCapture",
    "ripple": "WaveformCapture",
    "dimmer": "DimmingOutput",
    "eload": "ElectronicLoad",
    "supply": "Supply",
}
"""Role name -> the protocol it satisfies."""


def role_problem(roles: Iterable[Role]) -> str:
    """Why a station cannot provide ``roles`` (one line), or "" if it can."""
    for role in roles:
        kind = ROLE_KINDS.get(role.name)
        if kind is None:
            return f"role {role.name!r} is not one a station provides ({', '.join(ROLE_KINDS)})"
        if kind != role.kind:
            return f"role {role.name!r} is a {kind}, not a {role.kind}"
    return ""
