"""Expanded uncertainty (k = 2) of what a bench's sensors read: the instrument's datasheet
accuracy (``drivers/accuracy.toml``) combined with the sensor's calibration.

For a reading ``x`` of one quantity of one sensor (GUM, uncorrelated inputs)::

    u_inst = (pct / 100 * |x| + offset) / sqrt(3)      datasheet limit, rectangular
    u_cal  = U_cal / 2 * |x|                           the calibration's relative U (k = 2)
    U      = 2 * sqrt(u_inst^2 + u_cal^2)

A sensor without a calibration has only its datasheet term. Procedures turn these into the
uncertainty of what they report (an energy integrates V and I: relative terms add in
quadrature; a difference of two readings keeps only the resolution term).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Protocol

ACCURACY_FILE = Path(__file__).resolve().parents[1] / "drivers" / "accuracy.toml"
SQRT3 = math.sqrt(3.0)


class CalibrationLookup(Protocol):
    """What :class:`~firmware_py.calibration.Corrections` offers here."""

    def lookup(self, sensor: str, quantity: str) -> Any: ...


@dataclass(frozen=True)
class Accuracy:
    """A datasheet limit of error: ``pct`` % of the reading plus ``offset`` (unit of the
    quantity); ``resolution`` is the reading's least step."""

    pct: float = 0.0
    offset: float = 0.0
    resolution: float = 0.0

    def u(self, x: float) -> float:
        """Standard uncertainty of a reading ``x`` (rectangular distribution)."""
        return (self.pct / 100.0 * abs(x) + self.offset) / SQRT3

    def u_resolution(self) -> float:
        """Standard uncertainty of the least step (uniform over one step)."""
        return self.resolution / math.sqrt(12.0)


@cache
def datasheet() -> dict[str, Any]:
    """``drivers/accuracy.toml`` parsed (chip or instrument -> quantity -> terms)."""
    with ACCURACY_FILE.open("rb") as fh:
        return tomllib.load(fh)


def chip_accuracy(
    chip: str,
    quantity: str,
    *,
    shunt_ohm: float | None = None,
    full_scale_v: float | None = None,
    scale: float = 1.0,
) -> Accuracy:
    """The accuracy of ``quantity`` of ``chip`` on this bench (shunt, ADC range, probe scale
    from the hardware map); a chip or quantity not in the file has none (zeros)."""
    table = datasheet().get(chip, {})
    terms = table.get(quantity) or table.get("volts") or {}
    offset = float(terms.get("offset", 0.0))
    if "offset_shunt_v" in terms and shunt_ohm:
        offset += float(terms["offset_shunt_v"]) / shunt_ohm
    if "offset_lsb" in terms and full_scale_v:
        lsb_v = full_scale_v / 2 ** (int(table.get("bits", 16)) - 1)
        offset += float(terms["offset_lsb"]) * lsb_v * scale
    return Accuracy(float(terms.get("pct", 0.0)), offset, float(terms.get("resolution", 0.0)))


class Budget:
    """The uncertainty of every sensor quantity of one bench."""

    def __init__(self, calibrations: CalibrationLookup | None = None) -> None:
        self.calibrations = calibrations
        self._accuracy: dict[tuple[str, str], Accuracy] = {}

    def add(self, sensor: str, quantity: str, accuracy: Accuracy) -> None:
        self._accuracy[(sensor, quantity)] = accuracy

    def accuracy(self, sensor: str, quantity: str) -> Accuracy:
        return self._accuracy.get((sensor, quantity), Accuracy())

    def calibration_u(self, sensor: str, quantity: str) -> float:
        """The active calibration's relative expanded uncertainty (0 without one)."""
        if self.calibrations is None:
            return 0.0
        try:
            cal = self.calibrations.lookup(sensor, quantity)
        except ValueError:  # an unreadable store: the reading itself will fault
            return 0.0
        return 0.0 if cal is None else float(cal.uncertainty)

    def u(self, sensor: str, quantity: str, x: float) -> float:
        """Combined standard uncertainty of reading ``x``."""
        u_inst = self.accuracy(sensor, quantity).u(x)
        u_cal = self.calibration_u(sensor, quantity) / 2.0 * abs(x)
        return math.hypot(u_inst, u_cal)

    def expanded(self, sensor: str, quantity: str, x: float) -> float:
        """Expanded uncertainty (k = 2) of reading ``x``."""
        return 2.0 * self.u(sensor, quantity, x)

    def relative(self, sensor: str, quantity: str, x: float) -> float:
        """Relative standard uncertainty at a typical reading ``x`` (x != 0)."""
        return self.u(sensor, quantity, x) / abs(x)


def expanded_relative(*relative_u: float) -> float:
    """Relative expanded uncertainty (k = 2) of a product or quotient of inputs with these
    relative standard uncertainties."""
    return 2.0 * math.sqrt(sum(r * r for r in relative_u))


def monitor_budget(budget: Budget, sensor: str, cfg: Any) -> None:
    """Add a power monitor of the hardware map (chip, shunt) to ``budget``."""
    for quantity in ("bus_voltage_v", "current_a"):
        budget.add(sensor, quantity, chip_accuracy(cfg.chip, quantity, shunt_ohm=cfg.shunt_ohm))


def power_bank_budget(hw: Any, calibrations: CalibrationLookup | None) -> Budget:
    """The budget of a power-bank bench: both monitors, the ripple ADC, the thermometer."""
    budget = Budget(calibrations)
    monitor_budget(budget, "input_monitor", hw.input_monitor)
    monitor_budget(budget, "output_monitor", hw.output_monitor)
    adc = hw.ripple_adc
    budget.add(
        "ripple_adc",
        "ripple_v",
        chip_accuracy(adc.chip, "volts", full_scale_v=adc.full_scale_v, scale=adc.scale),
    )
    budget.add("thermometer", "temperature_c", chip_accuracy("ds18b20", "temperature_c"))
    return budget


COLOUR_QUANTITIES = ("illuminance_lx", "cct_k", "duv", "x", "y")


def colour_budget(budget: Budget, sensor: str, chip: str) -> None:
    """Add a colour sensor (its chip's datasheet terms per quantity) to ``budget``."""
    for quantity in COLOUR_QUANTITIES:
        budget.add(sensor, quantity, chip_accuracy(chip, quantity))


def adc_light_budget(budget: Budget, sensor: str, adc: Any) -> None:
    """Add a photodiode on an ADC input (lux per volt ``scale``) to ``budget``; its least
    step is one ADC code."""
    acc = chip_accuracy(adc.chip, "volts", full_scale_v=adc.full_scale_v, scale=adc.scale)
    bits = int(datasheet().get(adc.chip, {}).get("bits", 16))
    lsb = adc.full_scale_v / 2 ** (bits - 1) * adc.scale  # one code, in lux
    budget.add(sensor, "illuminance_lx", replace(acc, resolution=acc.resolution or lsb))


def led_budget(hw: Any, calibrations: CalibrationLookup | None) -> Budget:
    """The budget of an LED-assembly bench: power monitor, light sensor, colour sensor,
    photodiode."""
    budget = Budget(calibrations)
    monitor_budget(budget, "power_monitor", hw.power_monitor)
    light = chip_accuracy(hw.light_sensor.chip, "illuminance_lx")
    budget.add("light_sensor", "illuminance_lx", light)
    colour_budget(budget, "colour_sensor", hw.colour_sensor.chip)
    adc_light_budget(budget, "photodiode", hw.photodiode)
    return budget


def lighting_budget(hw: Any, calibrations: CalibrationLookup | None) -> Budget:
    """The budget of a lighting-environment bench: grid sensors ``grid.<k>``, zone colour
    sensors ``zone.<name>``, photodiode."""
    budget = Budget(calibrations)
    grid = hw.light_grid
    for k in range(grid.count):
        budget.add(f"grid.{k}", "illuminance_lx", chip_accuracy(grid.chip, "illuminance_lx"))
    for zone in hw.zones:
        colour_budget(budget, f"zone.{zone.name}", zone.chip)
    adc_light_budget(budget, "photodiode", hw.photodiode)
    return budget


def propagate(
    f: Callable[[Sequence[float]], float], x: Sequence[float], u: Sequence[float]
) -> float:
    """Expanded uncertainty (k = 2) of ``f(x)`` for independent inputs ``x`` with standard
    uncertainties ``u``: first-order (GUM law of propagation) with each sensitivity taken as a
    central difference over +-u_i."""
    base = list(x)
    total = 0.0
    for i, ui in enumerate(u):
        if ui <= 0:
            continue
        hi, lo = list(base), list(base)
        hi[i] += ui
        lo[i] -= ui
        total += ((f(hi) - f(lo)) / 2.0) ** 2
    return 2.0 * math.sqrt(total)
