"""Builds the station's hardware from its config: the I2C bus, the drivers, GPIO devices.

With ``backend = "sim"`` the same drivers talk to simulated chips on a
:class:`~benchscore.sim.i2c.SimI2CBus` and to simulated instruments behind ptys
(:mod:`firmware_py.simulation`), GPIO runs on gpiozero's ``MockFactory``, and the jig's
relay pins switch the simulated assembly's supply: the physics sees exactly what the relays
do. With ``backend = "hw"`` the bus is ``/dev/i2c-N``, serial instruments open the map's
ports and gpiozero picks the Pi's pins.

:meth:`StationHardware.open_bench` opens what the task's procedure needs, adapts each driver
to the procedure's protocol (:mod:`firmware_py.bench_adapters`) and wraps every sensor in its
calibration (:class:`~firmware_py.calibration.Corrections`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchscore.clock import Clock
from drivers.errors import DriverError
from drivers.i2c import I2CBus
from firmware_py.bench_adapters import (
    AdcInput,
    DL3000Load,
    Expander,
    GpioDimmer,
    IT8500Load,
    KA3005PSupply,
    MeasureAsRead,
    RD6006Supply,
    W1Thermometer,
    colour_reader,
    light_reader,
    named_errors,
    naming_errors,
)
from firmware_py.calibration import CalibrationStore, Corrections
from firmware_py.config import (
    AdcInputConfig,
    ColourSensorConfig,
    InstrumentConfig,
    PowerMonitorConfig,
    StationConfig,
)
from firmware_py.operator_io import Sounder, StatusLights
from firmware_py.procedures.led_assembly import LEDBench
from firmware_py.procedures.lighting_environment import LightingBench
from firmware_py.procedures.power_bank import PowerBankBench
from firmware_py.simulation import SimBench, build_sim
from firmware_py.uncertainty import led_budget, lighting_budget, power_bank_budget

log = logging.getLogger(__name__)

__all__ = ["SimBench", "StationHardware", "StatusLights"]


class StationHardware:
    """Owns every hardware resource of a station; ``close()`` releases all of them."""

    def __init__(self, config: StationConfig, clock: Clock) -> None:
        from gpiozero import LED, Button, Buzzer, DigitalOutputDevice

        self.config = config
        self.clock = clock
        hw = config.hardware
        self.sim: SimBench | None = None
        self._lock = threading.Lock()
        pin_factory: Any = None
        if hw.backend == "sim":
            from gpiozero.pins.mock import MockFactory, MockPWMPin

            pin_factory = MockFactory(pin_class=MockPWMPin)
        self.pin_factory = pin_factory
        self.power_relay = DigitalOutputDevice(hw.gpio.power_relay, pin_factory=pin_factory)
        self.check_relay = DigitalOutputDevice(hw.gpio.check_relay, pin_factory=pin_factory)
        self.reverse_relay = DigitalOutputDevice(hw.gpio.reverse_relay, pin_factory=pin_factory)
        self.start_button = Button(
            hw.gpio.start_button, pull_up=True, bounce_time=None, pin_factory=pin_factory
        )
        self.abort_button = Button(
            hw.gpio.abort_button, pull_up=True, bounce_time=None, pin_factory=pin_factory
        )
        self.jig_sense = Button(
            hw.gpio.jig_sense, pull_up=True, bounce_time=None, pin_factory=pin_factory
        )
        if pin_factory is not None:  # the simulated jig starts closed on its assembly
            pin_factory.pin(hw.gpio.jig_sense).drive_low()
        self.lights = StatusLights(
            LED(hw.gpio.light_green, pin_factory=pin_factory),
            LED(hw.gpio.light_amber, pin_factory=pin_factory),
            LED(hw.gpio.light_red, pin_factory=pin_factory),
        )
        self.sounder = Sounder(Buzzer(hw.gpio.buzzer, pin_factory=pin_factory))
        self._dimmer: Any = None
        self.corrections = Corrections(CalibrationStore(config.calibration_path))
        self.bus: I2CBus = self._open_bus()
        self._drivers: list[Any] = []

    def _open_bus(self) -> I2CBus:
        hw = self.config.hardware
        if hw.backend == "hw":
            from drivers.i2c import SMBus2Bus

            return SMBus2Bus(hw.i2c_bus)
        relays = {
            "power": lambda: bool(self.power_relay.value),
            "check": lambda: bool(self.check_relay.value),
            "reverse": lambda: bool(self.reverse_relay.value),
            "dim": lambda: 1.0 if self._dimmer is None else float(self._dimmer.value),
        }
        self.sim = build_sim(self.config, self.clock, self.pin_factory, relays)
        return self.sim.bus

    # -- opening drivers ---------------------------------------------------------------------
    def _keep(self, driver: Any) -> Any:
        self._drivers.append(driver)
        return driver

    def _monitor(self, cfg: PowerMonitorConfig, bus: I2CBus | None = None) -> Any:
        bus = bus or self.bus
        if cfg.chip == "ina219":
            from drivers.ina219 import INA219

            ina219 = self._keep(INA219(bus, cfg.address, clock=self.clock))
            ina219.calibrate(cfg.shunt_ohm, cfg.max_current_a)
            return MeasureAsRead(ina219)
        if cfg.chip == "ina260":
            from drivers.ina260 import INA260

            return MeasureAsRead(self._keep(INA260(bus, cfg.address, clock=self.clock)))
        from drivers.ina226 import INA226

        return self._keep(
            INA226(
                bus,
                cfg.address,
                shunt_ohm=cfg.shunt_ohm,
                max_current_a=cfg.max_current_a,
                clock=self.clock,
            )
        )

    def _light(self, chip: str, address: int, bus: I2CBus | None = None) -> Any:
        bus = bus or self.bus
        if chip == "veml7700":
            from drivers.veml7700 import VEML7700

            return self._keep(VEML7700(bus, address, clock=self.clock))
        if chip == "tsl2591":
            from drivers.tsl2591 import TSL2591

            return self._keep(TSL2591(bus, address, clock=self.clock))
        from drivers.bh1750 import BH1750

        return self._keep(BH1750(bus, address, clock=self.clock))

    def _colour(self, cfg: ColourSensorConfig, bus: I2CBus | None = None) -> Any:
        bus = bus or self.bus
        if cfg.chip == "tcs34725":
            from drivers.tcs34725 import TCS34725
            from drivers.tcs34725 import Gain as TGain

            gain = _gain_member(TGain, cfg.gain, "tcs34725")
            return self._keep(TCS34725(bus, cfg.address, gain=gain, clock=self.clock))
        from drivers.as7341 import AS7341
        from drivers.as7341 import Gain as AGain

        gain = _gain_member(AGain, cfg.gain, "as7341")
        return self._keep(AS7341(bus, cfg.address, gain=gain, clock=self.clock))

    def _adc(self, cfg: AdcInputConfig, name: str, quantity: str) -> AdcInput:
        from drivers.ads1x15 import ADS1015, ADS1115, PGA

        full_scale = {
            6.144: PGA.FSR_6_144V,
            4.096: PGA.FSR_4_096V,
            2.048: PGA.FSR_2_048V,
            1.024: PGA.FSR_1_024V,
            0.512: PGA.FSR_0_512V,
            0.256: PGA.FSR_0_256V,
        }
        pga = full_scale.get(round(cfg.full_scale_v, 3))
        if pga is None:
            raise DriverError(f"{name}: full_scale_v {cfg.full_scale_v} is not an ADS1x15 range")
        cls = ADS1015 if cfg.chip == "ads1015" else ADS1115
        driver = self._keep(cls(self.bus, cfg.address, gain=pga, clock=self.clock))
        driver.read_voltage_v(cfg.channel, allow_saturation=True)  # is it there?
        corrections = self.corrections
        corrections.use(name, quantity)
        return AdcInput(driver, cfg, lambda v: corrections.correct(name, quantity, v))

    def _expander(self, address: int, pins: tuple[int, ...]) -> Expander:
        from drivers.mcp23017 import MCP23017

        return Expander(self._keep(MCP23017(self.bus, address)), pins)

    def _instrument(self, name: str, cfg: InstrumentConfig) -> Any:
        port = cfg.port if self.sim is None else self.sim.ports.get(name, cfg.port)
        kwargs: dict[str, Any] = {"clock": self.clock}
        if cfg.baudrate:
            kwargs["baudrate"] = cfg.baudrate
        if cfg.driver in ("dl3021", "dl3031"):
            from drivers.dl3000 import DL3021, DL3031

            cls = DL3031 if cfg.driver == "dl3031" else DL3021
            return DL3000Load(self._keep(cls(port, **kwargs)))
        if cfg.driver == "it8500":
            from drivers.it8500 import IT8500

            return IT8500Load(self._keep(IT8500(port, address=cfg.address, **kwargs)))
        if cfg.driver == "rd6006":
            from drivers.rd6006 import RD6006

            return RD6006Supply(self._keep(RD6006(port, slave=cfg.address or 1, **kwargs)))
        from drivers.ka3005p import KA3005P

        return KA3005PSupply(self._keep(KA3005P(port, **kwargs)))

    # -- benches -----------------------------------------------------------------------------
    def open_bench(self, *, raw: bool = False) -> Any:
        """Open (or re-open) what the task's procedure needs; raises a DriverError or an
        OSError naming a missing device. ``raw`` leaves calibrations out (to calibrate)."""
        with self._lock:
            self._close_drivers()
            store = None if raw else CalibrationStore(self.config.calibration_path)
            self.corrections = Corrections(store)
            procedure = self.config.task.procedure
            try:
                if procedure == "lighting_environment":
                    return self._open_lighting()
                if procedure == "power_bank":
                    return self._open_power_bank()
                if procedure == "led_screen":
                    from firmware_py.screen_bench import open_screen_bench

                    return open_screen_bench(self, raw=raw)
                if procedure == "led_assembly":
                    return self._open_led()
                from benchscore.plugins import registry  # a plugin: the roles it declares
                from firmware_py.role_bench import open_role_bench

                return open_role_bench(self, registry.get(procedure).roles)
            except BaseException:
                self._close_drivers()
                raise

    def _open_led(self) -> LEDBench:
        hw, task = self.config.hardware, self.config.task
        c = self.corrections
        pm = c.monitor("power_monitor", self._monitor(hw.power_monitor))
        ls = c.light(
            "light_sensor",
            light_reader(self._light(hw.light_sensor.chip, hw.light_sensor.address)),
        )
        bench = LEDBench(
            power=self.power_relay,
            power_monitor=pm,
            light_sensor=ls,
            calibrations=c,
            uncertainty=led_budget(hw, c),
        )
        limits = task.limits
        if any(k.startswith("check_") for k in limits):
            bench.check_power = self.check_relay
            bench.reverse_polarity = self.reverse_relay
        ansi = task.parameters.get("ansi_nominal_cct", 0.0) != 0
        if any(k in limits for k in ("cct_k", "duv")) or task.channels or ansi:
            bench.colour_sensor = c.colour(
                "colour_sensor", colour_reader(self._colour(hw.colour_sensor))
            )
        if any(k.startswith("flicker_") for k in limits):
            bench.photodiode = self._adc(hw.photodiode, "photodiode", "illuminance_lx")
        if task.channels:
            bench.channels = self._expander(hw.channel_switch.address, hw.channel_switch.pins)
            bench.channel_pins = hw.channel_switch.pins
        if any(k.startswith("dimming_") for k in limits):
            bench.dimmer = GpioDimmer(self._pwm())
        return bench

    def _pwm(self) -> Any:
        if self._dimmer is None:
            from gpiozero import PWMOutputDevice

            self._dimmer = PWMOutputDevice(
                self.config.hardware.gpio.dim_pwm,
                initial_value=1.0,
                frequency=1000,
                pin_factory=self.pin_factory,
            )
        return self._dimmer

    def _open_lighting(self) -> LightingBench:
        from drivers.tca9548a import TCA9548A

        hw = self.config.hardware
        c = self.corrections
        mux = self._keep(TCA9548A(self.bus, hw.mux.address))
        mux.disable_all()  # is it there?
        grid = hw.light_grid
        sensors = []
        for k in range(grid.count):
            channel, address = grid.slot(k)
            name = f"grid.{k}"
            where = f"{name} (mux channel {channel})"
            with naming_errors(where):
                driver = self._light(grid.chip, address, mux.channel(channel))
            sensors.append(c.light(name, named_errors(where, light_reader(driver))))
        zones = {}
        for zone in hw.zones:
            name = f"zone.{zone.name}"
            cfg = ColourSensorConfig(zone.chip, zone.address, zone.gain)
            with naming_errors(f"{name} (mux channel {zone.channel})"):
                driver = self._colour(cfg, mux.channel(zone.channel))
            zones[zone.name] = c.colour(name, named_errors(name, colour_reader(driver)))
        panel = hw.panel
        expander = self._expander(panel.address, (*panel.scene_pins, panel.presence_pin))
        photodiode = self._adc(hw.photodiode, "photodiode", "illuminance_lx")
        dali = None
        if any(k.startswith("dali_curve_") for k in self.config.task.limits):
            from drivers.dali_bus import DaliBus

            port = hw.dali.port if self.sim is None else self.sim.ports.get("dali", hw.dali.port)
            dali = self._keep(DaliBus(port, interface=hw.dali.driver))
        return LightingBench(
            grid=sensors,
            grid_positions=[grid.position_m(k) for k in range(grid.count)],
            zones=zones,
            panel=expander,
            scene_pins=panel.scene_pins,
            presence_pin=panel.presence_pin,
            press_s=panel.press_s,
            photodiode=photodiode,
            calibrations=c,
            dali=dali,
            uncertainty=lighting_budget(hw, c),
        )

    def _open_power_bank(self) -> PowerBankBench:
        from drivers.ds18b20 import DS18B20

        hw = self.config.hardware
        c = self.corrections
        eload = self._instrument("eload", hw.eload)
        supply = self._instrument("supply", hw.supply)
        w1_dir = hw.thermometer.w1_dir if self.sim is None else str(self.sim.w1.base_dir)
        refresh = None if self.sim is None else self.sim.w1.refresh
        probe = self._keep(DS18B20(hw.thermometer.device_id, base_dir=w1_dir, clock=self.clock))
        thermometer = W1Thermometer(
            probe, refresh, lambda v: c.correct("thermometer", "temperature_c", v)
        )
        c.use("thermometer", "temperature_c")
        thermometer.read_c()  # is it there?
        return PowerBankBench(
            eload=eload,
            supply=supply,
            input_monitor=c.monitor("input_monitor", self._monitor(hw.input_monitor)),
            output_monitor=c.monitor("output_monitor", self._monitor(hw.output_monitor)),
            ripple=self._adc(hw.ripple_adc, "ripple_adc", "ripple_v"),
            thermometer=thermometer,
            calibrations=c,
            uncertainty=power_bank_budget(hw, c),
        )

    # -- calibration support -----------------------------------------------------------------
    def sensor_reader(self, bench: Any, sensor: str, quantity: str) -> Callable[[], float]:
        """A reader of one quantity of one sensor of an open bench (KeyError if none)."""
        device: Any = None
        if sensor.startswith("grid."):
            grid = getattr(bench, "grid", [])
            k = int(sensor.split(".", 1)[1])
            device = grid[k] if 0 <= k < len(grid) else None
        elif sensor.startswith("zone."):
            device = getattr(bench, "zones", {}).get(sensor.split(".", 1)[1])
        else:
            device = getattr(bench, sensor, None)
        if device is None:
            raise KeyError(f"{sensor}: no such sensor on this station's bench")
        if quantity == "illuminance_lx" and hasattr(device, "measure_lx"):
            return device.measure_lx  # type: ignore[no-any-return]
        if quantity == "illuminance_lx" and hasattr(device, "read_colour"):
            return lambda: float(device.read_colour().illuminance_lx)
        if quantity in ("illuminance_lx", "ripple_v") and isinstance(device, AdcInput):
            return device.read
        if quantity in ("current_a", "bus_voltage_v") and hasattr(device, "read"):
            return lambda: float(getattr(device.read(), quantity))
        if quantity == "temperature_c" and hasattr(device, "read_c"):
            return device.read_c  # type: ignore[no-any-return]
        raise KeyError(f"{sensor} does not measure {quantity}")

    @contextmanager
    def stimulus(
        self, bench: Any, sensor: str, quantity: str, known_load_a: float | None = None
    ) -> Iterator[None]:
        """What the sensor needs to see while it is calibrated: the assembly lit, the first
        scene on, the charger running or a known load drawn from the bank's output."""
        procedure = self.config.task.procedure
        if procedure == "lighting_environment":
            from firmware_py.procedures.lighting_environment import press

            scenes = self.config.task.scenes
            press(bench, scenes[0].number if scenes else 0, self.clock)
            self.clock.sleep(5.0)
            try:
                yield
            finally:
                press(bench, int(self.config.task.parameters.get("off_scene", 2)), self.clock)
            return
        if procedure == "power_bank":
            params = self.config.task.parameters
            if sensor == "input_monitor":
                bench.supply.set_output(
                    params.get("supply_voltage_v", 5.0), params.get("supply_current_a", 2.5)
                )
                bench.supply.set_enabled(True)
            elif sensor == "output_monitor" and quantity == "current_a":
                bench.eload.set_current_a(1.0 if known_load_a is None else known_load_a)
                bench.eload.set_input(True)
            self.clock.sleep(2.0)
            try:
                yield
            finally:
                bench.eload.set_input(False)
                bench.supply.set_enabled(False)
            return
        if getattr(bench, "channels", None) is not None:
            for pin in bench.channel_pins:
                bench.channels.write_pin(pin, True)
        if getattr(bench, "dimmer", None) is not None:
            bench.dimmer.set_level(1.0)
        self.power_relay.on()
        self.clock.sleep(0.5)
        try:
            yield
        finally:
            self.power_relay.off()
            if getattr(bench, "channels", None) is not None:
                bench.channels.all_off()

    def truth(self, sensor: str, quantity: str) -> Callable[[], float]:
        """Simulation: the physical value at a sensor (what a reference instrument reads)."""
        if self.sim is None:
            raise RuntimeError('the simulation ground truth needs backend = "sim"')
        try:
            return self.sim.truth[(sensor, quantity)]
        except KeyError:
            raise KeyError(f"{sensor}/{quantity}: the simulation has no reference for it") from None

    @property
    def jig_closed(self) -> bool:
        """True while the jig's presence switch says an assembly is clamped in."""
        return bool(self.jig_sense.is_pressed)

    def _mock_pin(self, bcm: int) -> Any:
        if self.pin_factory is None:
            raise RuntimeError("this needs the simulated (mock) GPIO backend")
        return self.pin_factory.pin(bcm)

    def press_start(self, hold_s: float = 0.05) -> None:
        """Simulation only: press and release START on the mock pin, as a contestant would."""
        self._press(self.config.hardware.gpio.start_button, hold_s)

    def press_abort(self, hold_s: float = 0.05) -> None:
        """Simulation only: press and release ABORT."""
        self._press(self.config.hardware.gpio.abort_button, hold_s)

    def _press(self, bcm: int, hold_s: float) -> None:
        pin = self._mock_pin(bcm)
        pin.drive_low()
        threading.Event().wait(hold_s)
        pin.drive_high()

    def set_jig(self, closed: bool) -> None:
        """Simulation only: close the jig on the assembly, or open it."""
        pin = self._mock_pin(self.config.hardware.gpio.jig_sense)
        if closed:
            pin.drive_low()
        else:
            pin.drive_high()

    def _close_drivers(self) -> None:
        for drv in reversed(self._drivers):
            try:
                drv.close()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("could not close %r", drv)
        self._drivers.clear()

    def close(self) -> None:
        """Power off and release everything; safe to call twice."""
        with self._lock:
            for relay in (self.power_relay, self.check_relay, self.reverse_relay):
                try:
                    relay.off()
                except Exception:  # noqa: BLE001 - closing must go on
                    log.exception("could not switch a jig relay off")
            self._close_drivers()
            for button in (self.start_button, self.abort_button, self.jig_sense):
                button.close()
            self.sounder.close()
            for device in (self.power_relay, self.check_relay, self.reverse_relay, self._dimmer):
                if device is not None:
                    device.close()
            self.lights.close()
            self.bus.close()
            if self.sim is not None:
                self.sim.close()


def _gain_member(enum: Any, factor: float, chip: str) -> Any:
    for member in enum:
        if abs(member.factor - factor) < 1e-9:
            return member
    allowed = sorted(m.factor for m in enum)
    raise DriverError(f"{chip}: gain {factor:g} is not one of {allowed}")
