"""A bench assembled from the hardware roles a procedure plugin declares.

The built-in procedures have benches of their own (:meth:`StationHardware.open_bench`); a
third-party procedure gets a :class:`RoleBench`: one attribute per declared
:class:`~benchscore.plugins.Role`, opened from the station's ``[hardware]`` map entry of the
same name, calibrated like the built-in benches' sensors.
:data:`~firmware_py.config.roles.ROLE_KINDS` lists what a station can provide; :data:`OPENERS`
how it opens each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from benchscore.plugins import Role
from drivers.errors import DriverError
from firmware_py.bench_adapters import GpioDimmer, colour_reader, light_reader
from firmware_py.config.roles import ROLE_KINDS, role_problem

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


OPENERS: dict[str, Opener] = {
    "power": lambda hw: hw.power_relay,
    "check_power": lambda hw: hw.check_relay,
    "reverse_polarity": lambda hw: hw.reverse_relay,
    "power_monitor": _monitor("power_monitor"),
    "input_monitor": _monitor("input_monitor"),
    "output_monitor": _monitor("output_monitor"),
    "light_sensor": _light,
    "colour_sensor": _colour,
    "photodiode": lambda hw: hw._adc(hw.config.hardware.photodiode, "photodiode", "illuminance_lx"),
    "ripple": lambda hw: hw._adc(hw.config.hardware.ripple_adc, "ripple_adc", "ripple_v"),
    "dimmer": lambda hw: GpioDimmer(hw._pwm()),
    "eload": lambda hw: hw._instrument("eload", hw.config.hardware.eload),
    "supply": lambda hw: hw._instrument("supply", hw.config.hardware.supply),
}
"""Role name -> how the station opens it (the roles of :data:`ROLE_KINDS`)."""
assert set(OPENERS) == set(ROLE_KINDS), "every role the config accepts has an opener"


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
            opened[role.name] = OPENERS[role.name](hw)
        except (OSError, DriverError):
            if not role.optional:
                raise
            opened[role.name] = None  # an optional device this station does not have
    return RoleBench(opened, hw.corrections)
