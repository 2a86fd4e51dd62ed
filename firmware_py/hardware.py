"""Builds the station's hardware from its config: the I2C bus, the drivers, GPIO devices.

With ``backend = "sim"`` the same drivers talk to simulated chips on a
:class:`~benchscore.sim.i2c.SimI2CBus`, GPIO runs on gpiozero's ``MockFactory``, and the jig's
relay pin switches the simulated assembly's supply: the physics sees exactly what the relay
does. With ``backend = "hw"`` the bus is ``/dev/i2c-N`` and gpiozero picks the Pi's pins.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from benchscore.clock import Clock
from drivers.bh1750 import BH1750
from drivers.i2c import I2CBus
from drivers.ina226 import INA226
from firmware_py.config import StationConfig
from firmware_py.procedures.led_assembly import LEDBench
from firmware_py.state import StationState

log = logging.getLogger(__name__)


@dataclass
class SimBench:
    """The simulated side of a station: bus with chips, jig physics, mock pins."""

    bus: Any
    jig: Any
    pin_factory: Any


class StatusLights:
    """Tower light: green ready/pass, amber running (blinking), red fault (blinking)/fail."""

    def __init__(self, green: Any, amber: Any, red: Any) -> None:
        self.green, self.amber, self.red = green, amber, red

    def show(self, state: StationState, passed: bool | None = None) -> None:
        for lamp in (self.green, self.amber, self.red):
            lamp.off()
        if state is StationState.RUNNING:
            self.amber.blink(on_time=0.25, off_time=0.25)
        elif state is StationState.FAULT:
            self.red.blink(on_time=0.5, off_time=0.5)
        elif state is StationState.DONE:
            (self.green if passed else self.red).on()
        elif state is StationState.READY:
            self.green.on()

    def close(self) -> None:
        for lamp in (self.green, self.amber, self.red):
            lamp.close()


class StationHardware:
    """Owns every hardware resource of a station; ``close()`` releases all of them."""

    def __init__(self, config: StationConfig, clock: Clock) -> None:
        from gpiozero import LED, Button, DigitalOutputDevice

        self.config = config
        self.clock = clock
        hw = config.hardware
        self.sim: SimBench | None = None
        self._lock = threading.Lock()
        pin_factory: Any = None
        if hw.backend == "sim":
            from gpiozero.pins.mock import MockFactory

            pin_factory = MockFactory()
        self.pin_factory = pin_factory
        self.power_relay = DigitalOutputDevice(hw.gpio.power_relay, pin_factory=pin_factory)
        self.start_button = Button(
            hw.gpio.start_button, pull_up=True, bounce_time=None, pin_factory=pin_factory
        )
        self.lights = StatusLights(
            LED(hw.gpio.light_green, pin_factory=pin_factory),
            LED(hw.gpio.light_amber, pin_factory=pin_factory),
            LED(hw.gpio.light_red, pin_factory=pin_factory),
        )
        self.bus: I2CBus = self._open_bus()
        self._drivers: list[Any] = []

    def _open_bus(self) -> I2CBus:
        hw = self.config.hardware
        if hw.backend == "hw":
            from drivers.i2c import SMBus2Bus

            return SMBus2Bus(hw.i2c_bus)
        from benchscore.sim.assemblies.led import LEDAssembly, LEDFault, LEDJig, SupplySpec
        from benchscore.sim.chips.bh1750 import SimBH1750
        from benchscore.sim.chips.ina226 import SimINA226
        from benchscore.sim.i2c import SimI2CBus

        sim = self.config.simulation
        bus = SimI2CBus()
        jig = LEDJig(
            LEDAssembly(fault=LEDFault(sim.fault)),
            SupplySpec(voltage_v=sim.supply_v),
            power_on=lambda: bool(self.power_relay.value),
            ambient_lx=sim.ambient_lx,
        )
        pm, ls = hw.power_monitor, hw.light_sensor
        if "power_monitor" not in sim.unplugged:
            bus.attach(
                pm.address,
                SimINA226(
                    self.clock,
                    shunt_ohm=pm.shunt_ohm,
                    source=jig.electrical,
                    noise_v=2e-6 if sim.noise else 0.0,
                    seed=sim.seed,
                ),
            )
        if "light_sensor" not in sim.unplugged:
            bus.attach(
                ls.address,
                SimBH1750(
                    self.clock,
                    source=jig.illuminance_lx,
                    noise_lx=2.0 if sim.noise else 0.0,
                    seed=sim.seed + 1,
                ),
            )
        self.sim = SimBench(bus, jig, self.pin_factory)
        return bus

    def open_bench(self) -> LEDBench:
        """Open (or re-open) the sensors; raises a DriverError naming a missing device."""
        with self._lock:
            self._close_drivers()
            hw = self.config.hardware
            pm = INA226(
                self.bus,
                hw.power_monitor.address,
                shunt_ohm=hw.power_monitor.shunt_ohm,
                max_current_a=hw.power_monitor.max_current_a,
                clock=self.clock,
            )
            self._drivers.append(pm)
            ls = BH1750(self.bus, hw.light_sensor.address, clock=self.clock)
            self._drivers.append(ls)
            return LEDBench(power=self.power_relay, power_monitor=pm, light_sensor=ls)

    def press_start(self, hold_s: float = 0.05) -> None:
        """Simulation only: press and release START on the mock pin, as a contestant would."""
        if self.pin_factory is None:
            raise RuntimeError("press_start needs the simulated (mock) GPIO backend")
        pin = self.pin_factory.pin(self.config.hardware.gpio.start_button)
        pin.drive_low()
        threading.Event().wait(hold_s)
        pin.drive_high()

    def _close_drivers(self) -> None:
        for drv in self._drivers:
            drv.close()
        self._drivers.clear()

    def close(self) -> None:
        """Power off and release everything; safe to call twice."""
        with self._lock:
            try:
                self.power_relay.off()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("could not switch the jig power off")
            self._close_drivers()
            self.start_button.close()
            self.power_relay.close()
            self.lights.close()
            self.bus.close()
