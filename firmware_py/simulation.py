"""The simulated bench behind a station with ``backend = "sim"``.

:func:`build_sim` puts, for the task's procedure, the simulated counterpart of every device
of the hardware map where the map says it is: chips on a :class:`SimI2CBus` (behind the
simulated TCA9548A where the map puts them behind the multiplexer), serial instruments behind
real pseudo-terminals (:class:`PtyInstrument`), DS18B20s in a private w1 sysfs tree, all
driven by the physics of the assembly under test:

- ``led_assembly``: :class:`~benchscore.sim.assemblies.led.LEDJig`; the GPIO relays choose
  between the jig supply and the low-current check path (through ``check_resistor_ohm``,
  optionally reversed).
- ``lighting_environment``: a booth (:class:`~benchscore.sim.assemblies.lighting_room.Room`)
  with two DALI luminaires over the desk, three scenes, a presence sensor; the panel expander
  presses the scene buttons and the presence simulator; the station's DALI interface
  (:class:`~benchscore.sim.dali_hat.SimDaliHat` or
  :class:`~benchscore.sim.dali_usb.SimTridonicUsb`, as ``[hardware.dali] driver`` says) is
  behind a pty, its gear the booth's luminaires.
- ``power_bank``: :class:`~benchscore.sim.assemblies.power_bank.PowerBank` with the
  electronic load sinking from its output and the bench supply feeding its input.

``sensor_gain`` scales what a simulated sensor sees (the spread calibration removes), and
``unplugged`` leaves a device off the bench. :attr:`SimBench.truth` gives the physical value
at a sensor, which is what a reference instrument would read (``benchscore calibrate
--reference sim``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.clock import Clock
from benchscore.sim.assemblies.led import PWM, LEDJig, SupplySpec
from benchscore.sim.assemblies.lighting_room.faults import LightingFault
from benchscore.sim.i2c import SimI2CBus, SimI2CDevice
from firmware_py.config import AdcInputConfig, PowerMonitorConfig, StationConfig


@dataclass
class SimBench:
    """The simulated side of a station: bus with chips, physics, instruments, mock pins."""

    bus: SimI2CBus
    pin_factory: Any
    jig: Any = None
    """LED jig (led_assembly)."""
    room: Any = None
    """Lighting booth (lighting_environment)."""
    bank: Any = None
    """Power bank (power_bank)."""
    chips: dict[str, SimI2CDevice] = field(default_factory=dict)
    """Simulated chips by hardware-map name."""
    instruments: dict[str, Any] = field(default_factory=dict)
    """Running PtyInstruments by name (``eload``, ``supply``)."""
    ports: dict[str, str] = field(default_factory=dict)
    """Serial port of each simulated instrument (replaces the map's ``port``)."""
    w1: Any = None
    """The simulated w1 sysfs tree (power_bank's thermometer)."""
    truth: dict[tuple[str, str], Callable[[], float]] = field(default_factory=dict)
    """(sensor, quantity) -> the physical value a reference instrument would read."""
    screen: Any = None
    """LED screen, its pattern output and camera (led_screen): :mod:`firmware_py.sim_screen`."""
    _tmp: Path | None = None

    def close(self) -> None:
        for pty in self.instruments.values():
            pty.stop()
        if self.w1 is not None:
            self.w1.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _gain(config: StationConfig, name: str) -> float:
    return config.simulation.sensor_gain.get(name, 1.0)


def _present(config: StationConfig, name: str) -> bool:
    return name not in config.simulation.unplugged


def build_sim(
    config: StationConfig, clock: Clock, pin_factory: Any, relays: dict[str, Callable[[], Any]]
) -> SimBench:
    """Build the simulated bench for ``config``'s task; ``relays`` reads the GPIO outputs
    the jig physics depends on (``power``, ``check``, ``reverse`` relays, ``dim`` duty)."""
    bench = SimBench(SimI2CBus(), pin_factory)
    procedure = config.simulation.assembly  # the task's procedure runs on it (task_misfit)
    if procedure == "led_assembly":
        _build_led(bench, config, clock, relays)
    elif procedure == "lighting_environment":
        _build_lighting(bench, config, clock)
    elif procedure == "power_bank":
        _build_power_bank(bench, config, clock)
    elif procedure == "led_screen":
        from firmware_py.sim_screen import build_screen_sim

        bench.screen = build_screen_sim(config)
    return bench


def _monitor_chip(
    cfg: PowerMonitorConfig,
    clock: Clock,
    source: Callable[[], tuple[float, float]],
    noise: bool,
    seed: int,
) -> SimI2CDevice:
    if cfg.chip == "ina219":
        from benchscore.sim.chips.ina219 import SimINA219

        return SimINA219(clock, source, shunt_ohm=cfg.shunt_ohm)
    if cfg.chip == "ina260":
        from benchscore.sim.chips.ina260 import SimINA260

        return SimINA260(clock, source)
    from benchscore.sim.chips.ina226 import SimINA226

    return SimINA226(
        clock, shunt_ohm=cfg.shunt_ohm, source=source, noise_v=2e-6 if noise else 0.0, seed=seed
    )


def _light_chip(
    chip: str, clock: Clock, source: Callable[[], Any], noise: bool, seed: int
) -> SimI2CDevice:
    if chip == "veml7700":
        from benchscore.sim.chips.veml7700 import SimVEML7700

        return SimVEML7700(clock, source=source, noise_fraction=0.001 if noise else 0.0, seed=seed)
    if chip == "tsl2591":
        from benchscore.sim.chips.tsl2591 import SimTSL2591

        return SimTSL2591(clock, source=source, noise_fraction=0.001 if noise else 0.0, seed=seed)
    from benchscore.sim.chips.bh1750 import SimBH1750

    return SimBH1750(clock, source=source, noise_lx=2.0 if noise else 0.0, seed=seed)


def _colour_chip(
    chip: str, clock: Clock, source: Callable[[], Any], noise: bool, seed: int
) -> SimI2CDevice:
    if chip == "tcs34725":
        from benchscore.sim.chips.tcs34725 import SimTCS34725

        return SimTCS34725(clock, source=source, noise_fraction=0.001 if noise else 0.0, seed=seed)
    from benchscore.sim.chips.as7341 import SimAS7341

    return SimAS7341(clock, source=source, noise_fraction=0.001 if noise else 0.0, seed=seed)


def _adc_chip(cfg: AdcInputConfig, clock: Clock, source: Callable[[int, float], float]) -> Any:
    from benchscore.sim.chips.ads1x15 import SimADS1015, SimADS1115

    cls = SimADS1015 if cfg.chip == "ads1015" else SimADS1115
    return cls(clock, source)


def _scaled_light(source: Callable[[], Any], gain: float) -> Callable[[], Any]:
    """A light source as a sensor with a gain error sees it (LightSpec or lux)."""
    if gain == 1.0:
        return source

    def scaled() -> Any:
        from benchscore.sim.light import LightSpec

        value = source()
        if isinstance(value, LightSpec):
            return LightSpec(value.illuminance_lx * gain, value.cct_k, value.kind)
        return float(value) * gain

    return scaled


# -- led_assembly ----------------------------------------------------------------------------


def _build_led(
    bench: SimBench, config: StationConfig, clock: Clock, relays: dict[str, Callable[[], Any]]
) -> None:
    from benchscore.sim.assemblies.led import (
        ALL_CHANNELS,
        LEDAssembly,
        LEDAssemblySpec,
        LEDFault,
        rgbw_spec,
        tunable_white_spec,
    )

    sim, hw = config.simulation, config.hardware
    fault = LEDFault.NONE if sim.golden else LEDFault(sim.fault)
    designs: dict[str, Callable[[], LEDAssemblySpec]] = {
        "single": LEDAssemblySpec,
        "tunable_white": tunable_white_spec,
        "rgbw": rgbw_spec,
    }
    spec = designs[sim.led_module]()
    switched = bool(config.task.channels)
    pins = hw.channel_switch.pins
    expander: list[Any] = []

    def channel_enable() -> int:
        if not switched:
            return ALL_CHANNELS  # the assembly's channels are wired on
        if not expander:
            return 0
        levels = expander[0].output_pins()
        return sum(1 << line for line, pin in enumerate(pins) if levels >> pin & 1)

    jig = StationJig(
        LEDAssembly(spec, fault),
        SupplySpec(voltage_v=sim.supply_v),
        relays=relays,
        check_resistor_ohm=hw.jig.check_resistor_ohm,
        ambient_lx=sim.ambient_lx,
        channel_enable=channel_enable,
    )
    bench.jig = jig
    pm, ls = hw.power_monitor, hw.light_sensor
    gain_i = _gain(config, "power_monitor")

    def electrical() -> tuple[float, float]:
        volts, amps = jig.electrical()
        return max(volts, 0.0), amps * gain_i  # a high-side monitor reads no negative bus

    if _present(config, "power_monitor"):
        chip = _monitor_chip(pm, clock, electrical, sim.noise, sim.seed)
        bench.chips["power_monitor"] = bench.bus.attach(pm.address, chip)
    if _present(config, "light_sensor"):
        source = _scaled_light(jig.illuminance_lx, _gain(config, "light_sensor"))
        chip = _light_chip(ls.chip, clock, source, sim.noise, sim.seed + 1)
        bench.chips["light_sensor"] = bench.bus.attach(ls.address, chip)
    cs = hw.colour_sensor
    if _present(config, "colour_sensor"):
        source = _scaled_light(jig.light, _gain(config, "colour_sensor"))
        chip = _colour_chip(cs.chip, clock, source, sim.noise, sim.seed + 2)
        bench.chips["colour_sensor"] = bench.bus.attach(cs.address, chip)
    pd = hw.photodiode
    pd_gain = _gain(config, "photodiode")

    def photodiode(channel: int, t_s: float) -> float:
        if channel != pd.channel:
            return 0.0
        return pd.offset_v + jig.illuminance_at(t_s) * pd_gain / pd.scale

    if _present(config, "photodiode"):
        bench.chips["photodiode"] = bench.bus.attach(pd.address, _adc_chip(pd, clock, photodiode))
    if switched and _present(config, "channel_switch"):
        from benchscore.sim.chips.mcp23017 import SimMCP23017

        chip = SimMCP23017()
        expander.append(chip)
        bench.chips["channel_switch"] = bench.bus.attach(hw.channel_switch.address, chip)
    bench.truth[("light_sensor", "illuminance_lx")] = jig.illuminance_lx
    bench.truth[("colour_sensor", "illuminance_lx")] = jig.illuminance_lx
    bench.truth[("photodiode", "illuminance_lx")] = jig.illuminance_lx
    bench.truth[("power_monitor", "current_a")] = lambda: jig.electrical()[1]
    bench.truth[("power_monitor", "bus_voltage_v")] = lambda: jig.electrical()[0]


class StationJig(LEDJig):
    """The LED jig as the station wires it: the power relay feeds the assembly from the
    bench supply, the check relay through ``check_resistor_ohm`` (the reverse relay swaps
    that feed's polarity); the dimming PWM output gates every enable line."""

    def __init__(
        self,
        assembly: Any,
        supply: SupplySpec,
        *,
        relays: dict[str, Callable[[], Any]],
        check_resistor_ohm: float,
        **kwargs: Any,
    ) -> None:
        self.relays = relays
        self.check_resistor_ohm = check_resistor_ohm
        self._main = supply
        super().__init__(
            assembly,
            supply,
            power_on=lambda: bool(relays["power"]() or relays["check"]()),
            **kwargs,
        )

    @property  # type: ignore[override]
    def supply(self) -> SupplySpec:
        main = self._main
        if self.relays["power"]() or not self.relays["check"]():
            return main
        sign = -1.0 if self.relays["reverse"]() else 1.0
        return SupplySpec(
            voltage_v=sign * main.voltage_v,
            output_resistance_ohm=self.check_resistor_ohm,
            current_limit_a=main.current_limit_a,
        )

    @supply.setter
    def supply(self, value: SupplySpec) -> None:
        self._main = value

    def pwm(self, line: int) -> PWM:
        duty = float(self.relays["dim"]())
        return PWM(min(1.0, max(0.0, duty)), 1000.0) if duty < 1.0 else super().pwm(line)


# -- lighting_environment --------------------------------------------------------------------

BOOTH_SIZE_M = (2.4, 1.8, 2.6)
WORK_PLANE_M = 0.75
LUMINAIRE_FLUX_LM = 1300.0
SCENE_LEVELS = {0: 254, 1: 223, 2: 0}
"""Booth scenes: 0 work (~700 lx on the desk), 1 meeting (~300 lx), 2 off."""
PRESENCE_SENSOR = "desk"


class _PanelExpander:
    """Watches the panel MCP23017's output pins and acts as the installation's controller
    would: a rising scene pin recalls that scene, the presence pin is somebody at the desk."""

    def __init__(
        self, scene_pins: tuple[int, ...], presence_pin: int, room: Any, presence_wired: bool
    ) -> None:
        self.scene_pins = scene_pins
        self.presence_pin = presence_pin
        self.room = room
        self.presence_wired = presence_wired
        self.previous = 0

    def changed(self, levels: int) -> None:
        rising = levels & ~self.previous
        falling = self.previous & ~levels
        self.previous = levels
        for scene, pin in enumerate(self.scene_pins):
            if rising >> pin & 1:
                self.room.go_to_scene(scene)
        if self.presence_wired and (rising | falling) >> self.presence_pin & 1:
            self.room.set_occupied(PRESENCE_SENSOR, bool(levels >> self.presence_pin & 1))


def _panel_chip(watcher: _PanelExpander) -> SimI2CDevice:
    from benchscore.sim.chips.mcp23017 import SimMCP23017

    class PanelMCP23017(SimMCP23017):
        def on_stop(self) -> None:
            super().on_stop()
            levels = self.output_pins()
            if levels != watcher.previous:
                watcher.changed(levels)

    return PanelMCP23017()


def build_booth(
    clock: Clock, fault: LightingFault = LightingFault.NONE, ambient_lx: float = 0.0
) -> Any:
    """The simulated competition booth: two DALI luminaires over a 1.2 x 0.8 m desk."""
    from benchscore.sim.assemblies.lighting_room import (
        Luminaire,
        OccupancySensor,
        Room,
        Scene,
    )

    width, length, height = BOOTH_SIZE_M
    room = Room(
        clock, width, length, height, work_plane_height_m=WORK_PLANE_M, ambient_lx=ambient_lx
    )
    for address, x in enumerate((0.9, 1.5)):
        dead = fault is LightingFault.DEAD_LUMINAIRE and address == 1
        room.add_luminaire(
            Luminaire(
                f"L{address}",
                (x, 0.9, 2.2),
                LUMINAIRE_FLUX_LM,
                address,
                groups=frozenset({0}),
                distribution_exponent=4.0,
                cct_k=6500.0 if fault is LightingFault.WRONG_CCT and address == 1 else 4000.0,
                fade_time_s=4.0 if fault is LightingFault.SLOW_RESPONSE else 0.7,
                response_delay_s=0.3 if fault is LightingFault.SLOW_RESPONSE else 0.05,
                output_factor=0.0 if dead else 0.6 if fault is LightingFault.DIM else 1.0,
                linear_dimming=fault is LightingFault.LINEAR_DIMMING,
            )
        )
    levels = dict(SCENE_LEVELS)
    if fault is LightingFault.WRONG_SCENE:
        levels[1] = 254
    for number, level in levels.items():
        room.add_scene(Scene(number, {0: level, 1: level}))
    room.add_occupancy_sensor(
        OccupancySensor(
            PRESENCE_SENSOR,
            group=0,
            occupied_arc=254,
            vacant_arc=0,
            hold_time_s=5.0 if fault is LightingFault.SHORT_HOLD else 20.0,
            detection_delay_s=0.5,
        )
    )
    return room


def _build_lighting(bench: SimBench, config: StationConfig, clock: Clock) -> None:
    from benchscore.sim.chips.tca9548a import SimTCA9548A
    from benchscore.sim.light import LightSpec

    sim, hw = config.simulation, config.hardware
    fault = LightingFault.NONE if sim.golden else LightingFault(sim.fault)
    room = build_booth(clock, fault, sim.ambient_lx)
    bench.room = room
    mux = SimTCA9548A(bench.bus, hw.mux.address) if _present(config, "mux") else None
    grid = hw.light_grid
    for k in range(grid.count):
        name = f"grid.{k}"
        point = room.work_plane_point(*grid.position_m(k))
        source = room.lux_source(point)
        bench.truth[(name, "illuminance_lx")] = source
        if mux is not None and _present(config, name):
            channel, address = grid.slot(k)
            chip = _light_chip(
                grid.chip,
                clock,
                _scaled_light(source, _gain(config, name)),
                sim.noise,
                sim.seed + k,
            )
            bench.chips[name] = mux.attach(channel, address, chip)
    for zone in hw.zones:
        name = f"zone.{zone.name}"
        point = room.work_plane_point(*zone.position_m)

        def light(point: Any = point) -> LightSpec:
            lx, cct = room.light_at(point)
            return LightSpec(lx, min(25000.0, max(1000.0, cct or 4000.0)))

        bench.truth[(name, "illuminance_lx")] = room.lux_source(point)
        if mux is not None and _present(config, name):
            chip = _colour_chip(
                zone.chip, clock, _scaled_light(light, _gain(config, name)), sim.noise, sim.seed
            )
            bench.chips[name] = mux.attach(zone.channel, zone.address, chip)
    panel = hw.panel
    watcher = _PanelExpander(
        panel.scene_pins, panel.presence_pin, room, fault is not LightingFault.OCCUPANCY_DEAD
    )
    if _present(config, "panel"):
        bench.chips["panel"] = bench.bus.attach(panel.address, _panel_chip(watcher))
    pd = hw.photodiode
    position = pd.position_m or (
        grid.origin_m[0] + grid.size_m[0] / 2,
        grid.origin_m[1] + grid.size_m[1] / 2,
    )
    pd_point = room.work_plane_point(*position)
    pd_gain = _gain(config, "photodiode")
    bench.truth[("photodiode", "illuminance_lx")] = room.lux_source(pd_point)

    def photodiode(channel: int, t_s: float) -> float:
        if channel != pd.channel:
            return 0.0
        return float(pd.offset_v + room.illuminance_lx(pd_point, t_s) * pd_gain / pd.scale)

    if _present(config, "photodiode"):
        bench.chips["photodiode"] = bench.bus.attach(pd.address, _adc_chip(pd, clock, photodiode))
    if _present(config, "dali"):  # the station's DALI interface, on the booth's DALI bus
        from benchscore.sim.dali_hat import SimDaliHat
        from benchscore.sim.dali_usb import SimTridonicUsb
        from benchscore.sim.serial_sim import PtyInstrument

        interface = SimTridonicUsb if hw.dali.driver == "tridonic" else SimDaliHat
        bench.instruments["dali"] = PtyInstrument(interface(room)).start()
        bench.ports["dali"] = bench.instruments["dali"].port


# -- power_bank ------------------------------------------------------------------------------


def _build_power_bank(bench: SimBench, config: StationConfig, clock: Clock) -> None:
    from benchscore.sim.assemblies.power_bank import PowerBank, PowerBankFault
    from benchscore.sim.serial_sim import PtyInstrument
    from benchscore.sim.w1 import SimW1Bus

    sim, hw = config.simulation, config.hardware
    fault = PowerBankFault.NONE if sim.golden else PowerBankFault(sim.fault)
    bank = PowerBank(
        clock,
        spec=_bank_spec(sim),
        faults=fault,
        initial_state_of_charge=sim.initial_soc,
        step_s=sim.physics_step_s,
    )
    bench.bank = bank
    # serial instruments behind ptys, driven by the bank
    eload_sim = _eload_sim(hw.eload.driver, bank, clock)
    bank.set_load_current_source(lambda: eload_sim.load.operating_point().current_a)
    supply_sim = _supply_sim(hw.supply.driver, bank, clock)
    bank.set_supply_voltage_source(lambda: supply_sim.supply.operating_point().voltage_v)
    for name, simulator in (("eload", eload_sim), ("supply", supply_sim)):
        if _present(config, name):
            pty = PtyInstrument(simulator).start()
            bench.instruments[name] = pty
            bench.ports[name] = pty.port
        else:
            bench.ports[name] = f"/nonexistent/benchscore-sim-{name}"
    # monitors
    for name, cfg, point in (
        ("input_monitor", hw.input_monitor, bank.input_operating_point),
        ("output_monitor", hw.output_monitor, bank.output_operating_point),
    ):
        gain = _gain(config, name)

        def source(
            point: Callable[[], tuple[float, float]] = point, gain: float = gain
        ) -> tuple[float, float]:
            volts, amps = point()
            return volts, amps * gain

        def amps(point: Callable[[], tuple[float, float]] = point) -> float:
            return point()[1]

        def volts(point: Callable[[], tuple[float, float]] = point) -> float:
            return point()[0]

        bench.truth[(name, "current_a")] = amps
        bench.truth[(name, "bus_voltage_v")] = volts
        if _present(config, name):
            chip = _monitor_chip(cfg, clock, source, sim.noise, sim.seed)
            bench.chips[name] = bench.bus.attach(cfg.address, chip)
    # ripple probe: AC-coupled amplifier (gain 1/scale) biased at offset_v into a fast ADC
    rp = hw.ripple_adc

    def ripple(channel: int, t_s: float) -> float:
        if channel != rp.channel:
            return 0.0
        return rp.offset_v + bank.output_ripple_v(t_s) * _gain(config, "ripple_adc") / rp.scale

    if _present(config, "ripple_adc"):
        bench.chips["ripple_adc"] = bench.bus.attach(rp.address, _adc_chip(rp, clock, ripple))
    # thermometer: a DS18B20 on the case, in a private w1 sysfs tree
    tmp = Path(tempfile.mkdtemp(prefix="benchscore-sim-w1-"))
    bench._tmp = tmp
    bench.w1 = SimW1Bus(tmp)
    bench.truth[("thermometer", "temperature_c")] = lambda: bank.temperature_c
    if _present(config, "thermometer"):
        serial = hw.thermometer.device_id.removeprefix("28-")
        bench.w1.add_ds18b20(serial, lambda: bank.temperature_c)


def _bank_spec(sim: Any) -> Any:
    """The design of the simulated bank: the default, a smaller cell, cell ageing."""
    import dataclasses

    from benchscore.sim.assemblies.power_bank import PowerBankSpec

    spec = PowerBankSpec(capacity_fade_per_cycle=sim.capacity_fade_per_cycle)
    if sim.cell_capacity_mah is not None:
        scale = sim.cell_capacity_mah / spec.cell_capacity_mah
        spec = dataclasses.replace(
            spec,
            cell_capacity_mah=sim.cell_capacity_mah,
            rated_capacity_mah=spec.rated_capacity_mah * scale,
            heat_capacity_j_per_k=spec.heat_capacity_j_per_k * max(scale, 0.1),
        )
    return spec


def _eload_sim(driver: str, bank: Any, clock: Clock) -> Any:
    if driver == "it8500":
        from benchscore.sim.instruments.it8500 import IT8500Simulator

        return IT8500Simulator(bank.output_voltage_v, clock=clock)
    from benchscore.sim.instruments.dl3000 import DL3000Simulator

    model = "DL3031" if driver == "dl3031" else "DL3021"
    return DL3000Simulator(bank.output_voltage_v, model=model, clock=clock)


def _supply_sim(driver: str, bank: Any, clock: Clock) -> Any:
    if driver == "rd6006":
        from benchscore.sim.instruments.rd6006 import RD6006Simulator

        return RD6006Simulator(bank.input_current_a, clock=clock)
    from benchscore.sim.instruments.ka3005p import KA3005PSimulator

    return KA3005PSimulator(bank.input_current_a, clock=clock)


__all__ = ["LightingFault", "SimBench", "build_booth", "build_sim"]
