"""``led_assembly``: power the assembly, let it settle, measure electrical values and light.

Phases: power on, settle (``settle_s``), measure (``samples`` readings ``sample_interval_s``
apart, averaged), judge each value against the task's limits. The teardown switches the jig
power off, also after a sensor error or an abort.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import ClassVar, Protocol

from firmware_py.procedures.base import Procedure, ProcedureResult


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


@dataclass
class LEDBench:
    """The hardware ``led_assembly`` needs, injected by the station."""

    power: PowerSwitch
    power_monitor: PowerMonitor
    light_sensor: LightSensor


class LEDAssemblyProcedure(Procedure):
    name: ClassVar[str] = "led_assembly"
    required_limits: ClassVar[tuple[str, ...]] = (
        "voltage_v",
        "current_a",
        "power_w",
        "illuminance_lx",
    )
    parameters: ClassVar[dict[str, float]] = {
        "settle_s": 0.5,
        "samples": 5,
        "sample_interval_s": 0.1,
    }
    bench: LEDBench

    def execute(self, result: ProcedureResult) -> None:
        bench = self.bench
        bench.power.on()
        self.live("power_on", {})
        self.wait(self.params["settle_s"])
        t0 = self.clock.monotonic()
        times: list[float] = []
        volts: list[float] = []
        amps: list[float] = []
        watts: list[float] = []
        lux: list[float] = []
        for _ in range(max(1, int(self.params["samples"]))):
            reading = bench.power_monitor.read()
            lx = bench.light_sensor.measure_lx()
            times.append(self.clock.monotonic() - t0)
            volts.append(reading.bus_voltage_v)
            amps.append(reading.current_a)
            watts.append(reading.power_w)
            lux.append(lx)
            self.live(
                "measure",
                {
                    "voltage_v": reading.bus_voltage_v,
                    "current_a": reading.current_a,
                    "power_w": reading.power_w,
                    "illuminance_lx": lx,
                },
            )
            self.wait(self.params["sample_interval_s"])
        self.curve(
            "samples",
            {
                "t_s": times,
                "voltage_v": volts,
                "current_a": amps,
                "power_w": watts,
                "illuminance_lx": lux,
            },
        )
        result.measurements += [
            self.judge("voltage_v", fmean(volts), "samples"),
            self.judge("current_a", fmean(amps), "samples"),
            self.judge("power_w", fmean(watts), "samples"),
            self.judge("illuminance_lx", fmean(lux), "samples"),
        ]

    def teardown(self) -> None:
        self.bench.power.off()
