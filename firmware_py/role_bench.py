"""A bench assembled from the hardware roles a procedure plugin declares.

The built-in procedures have benches of their own (:meth:`StationHardware.open_bench`); a
third-party procedure gets a :class:`RoleBench`: one attribute per declared
:class:`~benchscore.plugins.Role`, opened from the station's ``[hardware]`` map entry of the
same name, calibrated like the built-in benches' sensors. :data:`ROLES` lists what a station
can provide (the role name, the protocol of :mod:`firmware_py.procedures.interfaces` it
satisfies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from benchscore.plugins import Role
from drivers.errors import DriverError
from firmware_py.bench_adapters import GpioDimmer, colour_reader, light_reader

if TYPE_CHECKING:
    from firmware_py.hardware import StationHardware

Opener = Callable[[Any], Any]
"""Opens a role on a StationHardware (typed Any: hardware imports this module)."""


def _light(hw: StationHardware) -> Any:
    cfg = hw.config.hardware.light_sensor
    reader = light_reader(hw._light(cfg.chip, cfg.address))
    return hw.corrections.light("light_sensor", reader)


def _colour(hw: StationHardware) -> Any:
    reader = colour_reader(hw._colour(hw.config.hardware.colour_sensor))
    return hw.corrections.colour("colour_sensor", reader)


def _monitor(name: str) -> Opener:
    def open_monitor(hw: StationHardware) -> Any:
        return hw.corrections.monitor(name, hw._monitor(getattr(hw.config.hardware, name)))

    return open_monitor


ROLES: dict[str, tuple[str, Opener]] = {
    "power": ("PowerSwitch", lambda hw: hw.power_relay),
    "check_power": ("PowerSwitch", lambda hw: hw.check_relay),
    "reverse_polarity": ("PowerSwitch", lambda hw: hw.reverse_relay),
    "power_monitor": ("PowerMonitor", _monitor("power_monitor")),
    "input_monitor": ("PowerMonitor", _monitor("input_monitor")),
    "output_monitor": ("PowerMonitor", _monitor("output_monitor")),
    "light_sensor": ("LightSensor", _light),
    "colour_sensor": ("ColourSensor", _colour),
    "photodiode": (
        "WaveformCapture",
        lambda hw: hw._adc(hw.config.hardware.photodiode, "photodiode", "illuminance_lx"),
    ),
    "ripple": (
        "WaveformCapture",
        lambda hw: hw._adc(hw.config.hardware.ripple_adc, "ripple_adc", "ripple_v"),
    ),
    "dimmer": ("DimmingOutput", lambda hw: GpioDimmer(hw._pwm())),
    "eload": ("ElectronicLoad", lambda hw: hw._instrument("eload", hw.config.hardware.eload)),
    "supply": ("Supply", lambda hw: hw._instrument("supply", hw.config.hardware.supply)),
}
"""Role name -> (protocol it satisfies, how the station opens it)."""


def role_problem(roles: Iterable[Role]) -> str:
    """Why a station cannot provide ``roles`` (one line), or "" if it can."""
    for role in roles:
        known = ROLES.get(role.name)
        if known is None:
            return f"role {role.name!r} is not one a station provides ({', '.join(ROLES)})"
        if known[0] != role.kind:
            return f"role {role.name!r} is a {known[0]}, not a {role.kind}"
    return ""


class RoleBench:
    """The opened roles as attributes (``bench.power_monitor``), plus ``calibrations``."""

    def __init__(self, roles: dict[str, Any], calibrations: Iterable[str]) -> None:
        self.__dict__.update(roles)
        self.calibrations = calibrations

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"the bench has no role {name!r} (the plugin did not declare it)")


def open_role_bench(hw: StationHardware, roles: Iterable[Role]) -> RoleBench:
    """Open every declared role of ``hw``; a missing device raises as the built-ins do."""
    roles = list(roles)
    problem = role_problem(roles)
    if problem:
        raise ValueError(problem)
    opened: dict[str, Any] = {}
    for role in roles:
        try:
            opened[role.name] = ROLES[role.name][1](hw)
        except (OSError, DriverError):
            if not role.optional:
                raise
            opened[role.name] = None  # an optional device this station does not have
    return RoleBench(opened, hw.corrections)
