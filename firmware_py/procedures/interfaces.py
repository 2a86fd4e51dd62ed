"""What procedures need of the hardware, as small protocols.

The station's :class:`~firmware_py.hardware.StationHardware` builds objects that satisfy
them from the real drivers (or the same drivers on the simulated bus): a procedure never
imports a driver, and calibration corrections sit between the driver's SI value and the
procedure (see :mod:`firmware_py.calibration`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt


class PowerSwitch(Protocol):
    def on(self) -> None: ...
    def off(self) -> None: ...


class ElectricalReading(Protocol):
    @property
    def bus_voltage_v(self) -> float: ...
    @property
    def current_a(self) -> float: ...
    @property
    def power_w(self) -> float: ...


class PowerMonitor(Protocol):
    def read(self) -> ElectricalReading: ...


class LightSensor(Protocol):
    def measure_lx(self) -> float: ...


class ColourReading(Protocol):
    @property
    def illuminance_lx(self) -> float: ...
    @property
    def cct_k(self) -> float | None: ...
    @property
    def duv(self) -> float | None: ...
    @property
    def xy(self) -> tuple[float, float] | None: ...


class ColourSensor(Protocol):
    def read_colour(self) -> ColourReading: ...


class WaveformCapture(Protocol):
    """A fast ADC input in physical units (lux for a photodiode, volts for a ripple probe)."""

    @property
    def rate_sps(self) -> int: ...

    def capture(self, n: int, rate_sps: int | None = None) -> npt.NDArray[np.float64]: ...

    def read(self) -> float: ...


class Thermometer(Protocol):
    def read_c(self) -> float: ...


class ElectronicLoad(Protocol):
    """A DC electronic load used in constant-current mode."""

    def set_current_a(self, current_a: float) -> None: ...
    def set_input(self, on: bool) -> None: ...


class Supply(Protocol):
    """A bench supply feeding the device under test."""

    def set_output(self, voltage_v: float, current_a: float) -> None: ...
    def set_enabled(self, on: bool) -> None: ...


class DigitalOutputs(Protocol):
    """Output pins of an I/O expander (channel switches, panel buttons)."""

    def write_pin(self, pin: int, value: bool) -> None: ...
    def all_off(self) -> None: ...


class DimmingOutput(Protocol):
    """The assembly's dimming input (PWM duty 0..1)."""

    def set_level(self, fraction: float) -> None: ...


class DaliControl(Protocol):
    """DALI control gear on the installation's bus (IEC 62386-102), through the station's
    DALI interface; no ``address``/``group``: broadcast."""

    def direct_arc_power(
        self, level: int, *, address: int | None = None, group: int | None = None
    ) -> None: ...
    def go_to_scene(
        self, scene: int, *, address: int | None = None, group: int | None = None
    ) -> None: ...
    def off(self, *, address: int | None = None, group: int | None = None) -> None: ...
    def query_actual_level(self, address: int) -> int | None: ...
