"""Adapters from the drivers to the procedures' protocols (:mod:`.procedures.interfaces`).

:class:`~firmware_py.hardware.StationHardware` opens the drivers and wraps each in what a
procedure expects: readers in SI units, an ADC input in physical units, switches and
expander pins, loads and supplies whose settings are read back. Nothing here opens hardware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.errors import DeviceMismatch, DriverError
from firmware_py.calibration import CorrectedColour
from firmware_py.config import AdcInputConfig

__all__ = [
    "AdcInput",
    "DL3000Load",
    "Expander",
    "GpioDimmer",
    "IT8500Load",
    "KA3005PSupply",
    "MeasureAsRead",
    "NamedI2CError",
    "RD6006Supply",
    "W1Thermometer",
    "colour_reader",
    "confirm_setting",
    "light_reader",
    "named_errors",
    "naming_errors",
]


def light_reader(driver: Any) -> Callable[[], float]:
    if hasattr(driver, "measure_lx"):
        return driver.measure_lx  # type: ignore[no-any-return]
    return lambda: float(driver.illuminance_lx)


def colour_reader(driver: Any) -> Callable[[], CorrectedColour]:
    from benchscore.analysis.colour import cct_duv_from_xy, xyz_to_xy

    def read() -> CorrectedColour:
        reading = driver.read()
        xyz = getattr(reading, "xyz", None)
        if xyz is None:  # TCS34725: DN40 lux and CCT, no chromaticity
            return CorrectedColour(reading.illuminance_lx, reading.cct_k, None, None)
        if xyz[1] <= 0 or sum(xyz) <= 0:
            return CorrectedColour(max(0.0, xyz[1]), None, None, None)
        xy = xyz_to_xy(np.array(xyz))
        cct, duv = cct_duv_from_xy(xy)
        return CorrectedColour(float(xyz[1]), float(cct), float(duv), (float(xy[0]), float(xy[1])))

    return read


class AdcInput:
    """An ADS1x15 input in physical units: ``(volts - offset_v) * scale``."""

    def __init__(self, driver: Any, cfg: AdcInputConfig, correct: Callable[[float], float]):
        self.driver = driver
        self.cfg = cfg
        self.correct = correct

    @property
    def rate_sps(self) -> int:
        return self.cfg.rate_sps

    def capture(self, n: int, rate_sps: int | None = None) -> npt.NDArray[np.float64]:
        volts = self.driver.capture(n, rate_sps or self.cfg.rate_sps, self.cfg.channel)
        values = (volts - self.cfg.offset_v) * self.cfg.scale
        return np.array([self.correct(float(v)) for v in values]) if values.size else values

    def read(self) -> float:
        volts = self.driver.read_voltage_v(self.cfg.channel)
        return self.correct((volts - self.cfg.offset_v) * self.cfg.scale)


class MeasureAsRead:
    """INA219/INA260 drivers call a coherent reading ``measure()``; procedures ``read()``."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def read(self) -> Any:
        return self.driver.measure()


class Expander:
    """MCP23017 output pins (channel switches, panel buttons); all outputs low at open."""

    def __init__(self, driver: Any, pins: tuple[int, ...]) -> None:
        self.driver = driver
        mask = 0
        for pin in pins:
            mask |= 1 << pin
        self.mask = mask
        driver.set_outputs(mask, initial=0)

    def write_pin(self, pin: int, value: bool) -> None:
        self.driver.write_pin(pin, value)

    def all_off(self) -> None:
        self.driver.write_outputs(0)


class W1Thermometer:
    """A DS18B20; ``before_read`` lets the simulated w1 tree convert (the kernel does that
    on a real read)."""

    def __init__(self, driver: Any, before_read: Callable[[], None] | None, correct: Any):
        self.driver, self.before_read, self.correct = driver, before_read, correct

    def read_c(self) -> float:
        if self.before_read is not None:
            self.before_read()
        return float(self.correct(self.driver.read_temperature_c()))


def confirm_setting(name: str, what: str, wanted: Any, got: Any, tolerance: float = 0.0) -> None:
    """A setting read back from an instrument must be what was sent (SCPI and Korad commands
    get no reply: reading back is how the station knows they took effect)."""
    if isinstance(wanted, bool) or not isinstance(wanted, float):
        ok = wanted == got
    else:
        ok = abs(float(got) - wanted) <= tolerance
    if not ok:
        raise DriverError(f"{name}: {what} set to {wanted!r} but reads back {got!r}")


class DL3000Load:
    """Rigol DL3021/DL3031 in CC mode; every setting is read back."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        driver.verify_identity()
        driver.reset()
        driver.mode = "CC"
        confirm_setting(driver.name, "mode", "CC", driver.mode)

    def set_current_a(self, current_a: float) -> None:
        self.driver.current_a = current_a
        confirm_setting(self.driver.name, "current", float(current_a), self.driver.current_a, 1e-3)

    def set_input(self, on: bool) -> None:
        self.driver.input_enabled = on
        confirm_setting(self.driver.name, "input", on, self.driver.input_enabled)


class IT8500Load:
    """ITECH IT8500+ in CC mode (remote control on)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        driver.set_remote(True)
        driver.input_enabled = False
        driver.mode = "CC"

    def set_current_a(self, current_a: float) -> None:
        self.driver.current_a = current_a

    def set_input(self, on: bool) -> None:
        self.driver.input_enabled = on


class KA3005PSupply:
    def __init__(self, driver: Any) -> None:
        self.driver = driver
        identity = driver.identity
        if "KA" not in identity.upper() and "KORAD" not in identity.upper():
            raise DeviceMismatch(f"{driver.name} on {driver.port_name} identifies as {identity!r}")
        self.set_enabled(False)

    def set_output(self, voltage_v: float, current_a: float) -> None:
        self.driver.voltage_v = voltage_v
        self.driver.current_a = current_a
        confirm_setting(self.driver.name, "voltage", float(voltage_v), self.driver.voltage_v, 0.011)
        confirm_setting(
            self.driver.name, "current", float(current_a), self.driver.current_a, 0.0011
        )

    def set_enabled(self, on: bool) -> None:
        self.driver.output_enabled = on
        confirm_setting(self.driver.name, "output", on, self.driver.output_enabled)


class RD6006Supply:
    def __init__(self, driver: Any) -> None:
        self.driver = driver
        _ = driver.model  # reads the model id: DeviceMismatch if it is not a Riden
        driver.output_enabled = False

    def set_output(self, voltage_v: float, current_a: float) -> None:
        self.driver.set_output(voltage_v, current_a)

    def set_enabled(self, on: bool) -> None:
        self.driver.output_enabled = on


class GpioDimmer:
    """PWM on the assembly's dimming input (gpiozero PWMOutputDevice)."""

    def __init__(self, device: Any) -> None:
        self.device = device

    def set_level(self, fraction: float) -> None:
        self.device.value = min(1.0, max(0.0, fraction))


class NamedI2CError(OSError):
    """An I2C error whose message names the sensor by its map name (errno kept)."""

    def __str__(self) -> str:
        return str(self.args[1])


@contextmanager
def naming_errors(name: str) -> Iterator[None]:
    """Re-raise an I2C error inside the block with ``name`` (its map name) in front."""
    try:
        yield
    except OSError as exc:
        raise NamedI2CError(exc.errno, f"{name}: {exc}") from exc


def named_errors(name: str, read: Callable[[], Any]) -> Callable[[], Any]:
    """Errors of a sensor behind the multiplexer name it by its map name too."""

    def wrapped() -> Any:
        with naming_errors(name):
            return read()

    return wrapped
