"""Station configuration: identity, broker, hardware map, simulation and the task to run.

A station config is a TOML file (see ``config/stations/``); the task it runs is a separate
TOML file (``config/tasks/``) holding the procedure's parameters and limits, so one task
definition serves every station of a module. Every error names the file and the key.

The ``[hardware]`` section is the station's hardware map: which chip sits at which I2C
address (behind which multiplexer channel), which serial instrument answers on which port,
which GPIO pin does what. Every device has a default, so a map only lists what differs; which
devices a station actually opens depends on the task's procedure (``BENCH_DEVICES``). With
``backend = "sim"`` the same map places the simulated chips and instruments (a serial
instrument's ``port`` is then the pty of its simulator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.configfile import ConfigError, Table
from benchscore.measurement import Limits, LimitsError
from benchscore.mqtt import BrokerConfig
from benchscore.protocol import check_id

BACKENDS = ["sim", "hw"]
ASSEMBLIES = ["led_assembly", "lighting_environment", "power_bank"]
LIGHT_CHIPS = ["bh1750", "veml7700", "tsl2591"]
COLOUR_CHIPS = ["as7341", "tcs34725"]
MONITOR_CHIPS = ["ina226", "ina219", "ina260"]
ADC_CHIPS = ["ads1115", "ads1015"]
LED_MODULES = ["single", "tunable_white", "rgbw"]
ELOAD_DRIVERS = ["dl3021", "dl3031", "it8500"]
SUPPLY_DRIVERS = ["ka3005p", "rd6006"]


@dataclass(frozen=True)
class PowerMonitorConfig:
    chip: str = "ina226"
    address: int = 0x40
    shunt_ohm: float = 0.02
    max_current_a: float = 3.0


@dataclass(frozen=True)
class LightSensorConfig:
    chip: str = "bh1750"
    address: int = 0x23


@dataclass(frozen=True)
class ColourSensorConfig:
    """A colour sensor: AS7341 (XYZ through its matrix, so CCT and Duv) or TCS34725 (DN40)."""

    chip: str = "as7341"
    address: int = 0x39
    gain: float = 1.0
    """Analog gain factor (AS7341: 0.5..512, TCS34725: 1, 4, 16, 60)."""


@dataclass(frozen=True)
class AdcInputConfig:
    """An ADC input (ADS1115/ADS1015) and what one volt on it means.

    A photodiode front end (transimpedance amplifier) reads ``scale`` lux per volt above
    ``offset_v`` (its dark output); a ripple probe (AC coupling, gain ``1/scale``, biased at
    ``offset_v``) reads ``scale`` volts of ripple per volt.
    """

    chip: str = "ads1115"
    address: int = 0x48
    channel: int = 0
    full_scale_v: float = 4.096
    rate_sps: int = 860
    scale: float = 1000.0
    offset_v: float = 0.0
    position_m: tuple[float, float] | None = None
    """Where the sensor sits (lighting environment: work-plane x, y), for the simulation."""


@dataclass(frozen=True)
class GpioConfig:
    """BCM pin numbers of the operator I/O and the jig's relays.

    ``check_relay`` feeds the assembly through a current-limiting resistor (low-current
    polarity/open/short check); ``reverse_relay`` swaps the polarity of that feed.
    """

    start_button: int = 17
    power_relay: int = 27
    light_green: int = 22
    light_amber: int = 23
    light_red: int = 24
    check_relay: int = 5
    reverse_relay: int = 6
    dim_pwm: int = 18
    """Hardware-PWM pin driving the assembly's dimming input."""
    abort_button: int = 16
    """ABORT push-button (to ground): stops a run; the teardown still powers off."""
    jig_sense: int = 25
    """Jig-presence switch (to ground when the jig is closed on an assembly)."""
    buzzer: int = 12
    """Active buzzer: one beep pass, three beeps fail, a long tone fault."""


@dataclass(frozen=True)
class ChannelSwitchConfig:
    """MCP23017 outputs that enable each LED channel of the assembly (pin per channel)."""

    address: int = 0x20
    pins: tuple[int, ...] = (0, 1, 2, 3)


@dataclass(frozen=True)
class JigConfig:
    """The LED jig's low-current check path."""

    check_resistor_ohm: float = 220.0


@dataclass(frozen=True)
class MuxConfig:
    chip: str = "tca9548a"
    address: int = 0x70


@dataclass(frozen=True)
class LightGridConfig:
    """Illuminance sensors on a regular grid over the task area, behind the multiplexer.

    Sensor ``k`` (row-major over ``points`` = (along x, along y)) sits at the centre of its
    cell of the area ``origin_m`` + ``size_m`` and answers at ``addresses[k % len]`` on
    multiplexer channel ``channels[k // len]``.
    """

    chip: str = "bh1750"
    addresses: tuple[int, ...] = (0x23, 0x5C)
    channels: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7)
    origin_m: tuple[float, float] = (0.6, 0.5)
    size_m: tuple[float, float] = (1.2, 0.8)
    points: tuple[int, int] = (5, 3)

    @property
    def count(self) -> int:
        return self.points[0] * self.points[1]

    def position_m(self, k: int) -> tuple[float, float]:
        nx, ny = self.points
        i, j = k % nx, k // nx
        return (
            self.origin_m[0] + (i + 0.5) * self.size_m[0] / nx,
            self.origin_m[1] + (j + 0.5) * self.size_m[1] / ny,
        )

    def slot(self, k: int) -> tuple[int, int]:
        """(multiplexer channel, I2C address) of sensor ``k``."""
        per = len(self.addresses)
        return self.channels[k // per], self.addresses[k % per]


@dataclass(frozen=True)
class ZoneConfig:
    """A colour sensor measuring the CCT of one zone of the installation."""

    name: str
    chip: str = "tcs34725"
    address: int = 0x29
    channel: int = 0
    gain: float = 4.0
    position_m: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class PanelConfig:
    """MCP23017 outputs wired across the installation's scene push-buttons and its presence
    simulator: ``scene_pins[n]`` presses the button of DALI scene ``n``."""

    address: int = 0x21
    scene_pins: tuple[int, ...] = (0, 1, 2, 3)
    presence_pin: int = 8
    press_s: float = 0.1


@dataclass(frozen=True)
class ThermometerConfig:
    device_id: str = "28-0000000000b1"
    w1_dir: str = "/sys/bus/w1/devices"


@dataclass(frozen=True)
class InstrumentConfig:
    """A serial instrument: driver, port (any pyserial URL), baud rate, bus address."""

    driver: str
    port: str
    baudrate: int | None = None
    address: int = 0
    """IT8500 address / Riden Modbus slave (0: the driver's default)."""


@dataclass(frozen=True)
class HardwareConfig:
    backend: str = "sim"
    i2c_bus: int = 1
    power_monitor: PowerMonitorConfig = field(default_factory=PowerMonitorConfig)
    light_sensor: LightSensorConfig = field(default_factory=LightSensorConfig)
    gpio: GpioConfig = field(default_factory=GpioConfig)
    colour_sensor: ColourSensorConfig = field(default_factory=ColourSensorConfig)
    photodiode: AdcInputConfig = field(
        default_factory=lambda: AdcInputConfig("ads1015", 0x48, 0, 4.096, 3300, 2000.0, 0.0)
    )
    channel_switch: ChannelSwitchConfig = field(default_factory=ChannelSwitchConfig)
    jig: JigConfig = field(default_factory=JigConfig)
    mux: MuxConfig = field(default_factory=MuxConfig)
    light_grid: LightGridConfig = field(default_factory=LightGridConfig)
    zones: tuple[ZoneConfig, ...] = (
        ZoneConfig("left", position_m=(0.9, 0.9), channel=0),
        ZoneConfig("right", position_m=(1.5, 0.9), channel=1),
    )
    panel: PanelConfig = field(default_factory=PanelConfig)
    input_monitor: PowerMonitorConfig = field(
        default_factory=lambda: PowerMonitorConfig("ina226", 0x40, 0.01, 5.0)
    )
    output_monitor: PowerMonitorConfig = field(
        default_factory=lambda: PowerMonitorConfig("ina226", 0x41, 0.01, 5.0)
    )
    ripple_adc: AdcInputConfig = field(
        default_factory=lambda: AdcInputConfig("ads1015", 0x49, 0, 4.096, 3300, 0.5, 1.65)
    )
    thermometer: ThermometerConfig = field(default_factory=ThermometerConfig)
    eload: InstrumentConfig = field(
        default_factory=lambda: InstrumentConfig("dl3021", "/dev/ttyUSB0")
    )
    supply: InstrumentConfig = field(
        default_factory=lambda: InstrumentConfig("ka3005p", "/dev/ttyACM0")
    )


BENCH_DEVICES: dict[str, tuple[str, ...]] = {
    "led_assembly": (
        "power_monitor",
        "light_sensor",
        "colour_sensor",
        "photodiode",
        "channel_switch",
    ),
    "lighting_environment": ("mux", "grid", "zones", "panel", "photodiode"),
    "power_bank": (
        "input_monitor",
        "output_monitor",
        "ripple_adc",
        "thermometer",
        "eload",
        "supply",
    ),
}
"""Devices of the hardware map each procedure's bench uses (a led_assembly task that leaves
out a phase does not open that phase's devices)."""


@dataclass(frozen=True)
class SimulationConfig:
    """What the simulated bench holds (only used with ``backend = "sim"``)."""

    assembly: str = "led_assembly"
    fault: str = "none"
    supply_v: float = 12.0
    ambient_lx: float = 3.0
    noise: bool = True
    seed: int = 0
    clock: str = "real"
    auto_start_s: float | None = None
    """Press START by itself this many seconds after each run ends (demo, soak tests)."""
    unplugged: tuple[str, ...] = ()
    """Sensors left off the simulated bench (``power_monitor``, ``light_sensor``, ``grid.3``,
    ``eload``...): a bench fault."""
    sensor_gain: dict[str, float] = field(default_factory=dict)
    """Gain error of a simulated sensor, by name (1.1 reads 10 % high): what calibration fixes."""
    initial_soc: float = 0.5
    """Power bank: state of charge when the station starts."""
    golden: bool = False
    """The bench holds the golden (known-good reference) assembly, whatever ``fault`` says."""
    led_module: str = "single"
    """LED assembly design: ``single`` (one channel, 3 x 3 white LEDs), ``tunable_white``
    (warm 3000 K and cool 6500 K channels), ``rgbw``."""


@dataclass(frozen=True)
class SceneSpec:
    """A scene the lighting_environment procedure commands and measures."""

    name: str
    number: int


@dataclass(frozen=True)
class ChannelSpec:
    """An LED channel the led_assembly procedure lights alone."""

    name: str
    index: int


@dataclass(frozen=True)
class TaskConfig:
    """A task: which procedure, its parameters, and the limits each measurement is judged by."""

    id: str
    name: str
    procedure: str
    parameters: dict[str, float]
    limits: dict[str, Limits]
    units: dict[str, str]
    file: Path
    scenes: tuple[SceneSpec, ...] = ()
    """lighting_environment: ``[[scenes]]`` name and DALI scene number."""
    channels: tuple[ChannelSpec, ...] = ()
    """led_assembly: ``[[channels]]`` name and index (which channel switch)."""


@dataclass(frozen=True)
class StationConfig:
    station_id: str
    event: str
    state_dir: Path
    """Where the outbox database lives (systemd's StateDirectory on a Pi)."""
    key_file: Path | None
    """HMAC key of this station (root-only file); None sends unsigned records."""
    outbox_capacity: int
    broker: BrokerConfig
    hardware: HardwareConfig
    simulation: SimulationConfig
    task: TaskConfig
    file: Path
    calibration_file: Path | None = None
    """The calibration store (JSON); default ``<state_dir>/calibration.json``."""
    max_marked_attempts: int = 0
    """Marked runs a contestant may make on this station's task (0: no limit)."""
    display_file: Path | None = None
    """Where the station writes its two-line operator message for a small display."""

    @property
    def calibration_path(self) -> Path:
        return self.calibration_file or self.state_dir / "calibration.json"

    @property
    def golden_path(self) -> Path:
        """Golden-assembly reference values (JSON), next to the calibration store."""
        return self.calibration_path.with_name("golden.json")


def _broker(t: Table) -> BrokerConfig:
    cfg = BrokerConfig(
        host=t.get_str("host", "127.0.0.1"),
        port=t.get_int("port", 1883, min=1),
        protocol=t.get_choice("protocol", ["5", "3.1.1"], "5"),
        username=t.get_str("username", None),
        password=t.get_str("password", None),
        keepalive_s=t.get_int("keepalive_s", 15, min=5),
        tls_ca_file=t.get_str("tls_ca_file", None),
    )
    t.check_unknown()
    return cfg


# -- small typed readers ----------------------------------------------------------------------


def _address(t: Table, key: str, default: int) -> int:
    value: int = t.get_int(key, default, min=0x03)
    if value > 0x77:
        raise t.error(key, f"0x{value:02X} is not a 7-bit I2C address (0x03..0x77)")
    return value


def _int_list(t: Table, key: str, default: tuple[int, ...], *, lo: int, hi: int) -> tuple[int, ...]:
    value = t._get(key, list(default))
    if (
        not isinstance(value, list)
        or not value
        or any(isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi for v in value)
    ):
        raise t.error(key, f"expected a non-empty list of integers {lo}..{hi}, got {value!r}")
    return tuple(value)


def _pair(t: Table, key: str, default: Any, *, positive: bool = False) -> Any:
    value = t._get(key, default if default is None else list(default))
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
        or (positive and any(v <= 0 for v in value))
    ):
        kind = "positive numbers" if positive else "numbers"
        raise t.error(key, f"expected two {kind} [a, b], got {value!r}")
    return float(value[0]), float(value[1])


def _monitor(t: Table, default: PowerMonitorConfig) -> PowerMonitorConfig:
    cfg = PowerMonitorConfig(
        chip=t.get_choice("chip", MONITOR_CHIPS, default.chip),
        address=_address(t, "address", default.address),
        shunt_ohm=t.get_float("shunt_ohm", default.shunt_ohm, min=1e-6),
        max_current_a=t.get_float("max_current_a", default.max_current_a, min=1e-6),
    )
    t.check_unknown()
    return cfg


def _adc(t: Table, default: AdcInputConfig) -> AdcInputConfig:
    cfg = AdcInputConfig(
        chip=t.get_choice("chip", ADC_CHIPS, default.chip),
        address=_address(t, "address", default.address),
        channel=t.get_int("channel", default.channel, min=0),
        full_scale_v=t.get_float("full_scale_v", default.full_scale_v, min=0.256),
        rate_sps=t.get_int("rate_sps", default.rate_sps, min=8),
        scale=t.get_float("scale", default.scale, min=1e-9),
        offset_v=t.get_float("offset_v", default.offset_v),
        position_m=_pair(t, "position_m", default.position_m),
    )
    if cfg.channel > 3:
        raise t.error("channel", f"ADS1x15 channel {cfg.channel} outside 0..3")
    t.check_unknown()
    return cfg


def _instrument(t: Table, default: InstrumentConfig, drivers: list[str]) -> InstrumentConfig:
    cfg = InstrumentConfig(
        driver=t.get_choice("driver", drivers, default.driver),
        port=t.get_str("port", default.port),
        baudrate=t.get_int("baudrate", default.baudrate, min=300),
        address=t.get_int("address", default.address, min=0),
    )
    t.check_unknown()
    return cfg


def _hardware(t: Table) -> HardwareConfig:
    d = HardwareConfig()
    pm = _monitor(t.table("power_monitor", required=False), d.power_monitor)
    ls_t = t.table("light_sensor", required=False)
    ls = LightSensorConfig(
        chip=ls_t.get_choice("chip", LIGHT_CHIPS, d.light_sensor.chip),
        address=_address(ls_t, "address", d.light_sensor.address),
    )
    ls_t.check_unknown()
    cs_t = t.table("colour_sensor", required=False)
    cs = ColourSensorConfig(
        chip=cs_t.get_choice("chip", COLOUR_CHIPS, d.colour_sensor.chip),
        address=_address(cs_t, "address", d.colour_sensor.address),
        gain=cs_t.get_float("gain", d.colour_sensor.gain, min=0.5),
    )
    cs_t.check_unknown()
    g_t = t.table("gpio", required=False)
    defaults = GpioConfig()
    names = (
        "start_button",
        "power_relay",
        "light_green",
        "light_amber",
        "light_red",
        "check_relay",
        "reverse_relay",
        "dim_pwm",
        "abort_button",
        "jig_sense",
        "buzzer",
    )
    gpio = GpioConfig(**{name: g_t.get_int(name, getattr(defaults, name), min=0) for name in names})
    g_t.check_unknown()
    pins = [getattr(gpio, name) for name in names]
    if len(set(pins)) != len(pins):
        raise g_t.error(None, f"two functions share a pin: {pins}")
    sw_t = t.table("channel_switch", required=False)
    switch = ChannelSwitchConfig(
        address=_address(sw_t, "address", d.channel_switch.address),
        pins=_int_list(sw_t, "pins", d.channel_switch.pins, lo=0, hi=15),
    )
    sw_t.check_unknown()
    jig_t = t.table("jig", required=False)
    jig = JigConfig(
        check_resistor_ohm=jig_t.get_float("check_resistor_ohm", d.jig.check_resistor_ohm, min=1.0)
    )
    jig_t.check_unknown()
    mux_t = t.table("mux", required=False)
    mux = MuxConfig(
        chip=mux_t.get_choice("chip", ["tca9548a"], d.mux.chip),
        address=_address(mux_t, "address", d.mux.address),
    )
    mux_t.check_unknown()
    grid = _light_grid(t.table("light_grid", required=False), d.light_grid)
    zones = _zones(t, d.zones)
    p_t = t.table("panel", required=False)
    panel = PanelConfig(
        address=_address(p_t, "address", d.panel.address),
        scene_pins=_int_list(p_t, "scene_pins", d.panel.scene_pins, lo=0, hi=15),
        presence_pin=p_t.get_int("presence_pin", d.panel.presence_pin, min=0),
        press_s=p_t.get_float("press_s", d.panel.press_s, min=0.01),
    )
    p_t.check_unknown()
    if panel.presence_pin in panel.scene_pins or panel.presence_pin > 15:
        raise p_t.error("presence_pin", f"pin {panel.presence_pin} is a scene pin or above 15")
    th_t = t.table("thermometer", required=False)
    th = ThermometerConfig(
        device_id=th_t.get_str("device_id", d.thermometer.device_id),
        w1_dir=th_t.get_str("w1_dir", d.thermometer.w1_dir),
    )
    th_t.check_unknown()
    hw = HardwareConfig(
        backend=t.get_choice("backend", BACKENDS, "sim"),
        i2c_bus=t.get_int("i2c_bus", 1, min=0),
        power_monitor=pm,
        light_sensor=ls,
        gpio=gpio,
        colour_sensor=cs,
        photodiode=_adc(t.table("photodiode", required=False), d.photodiode),
        channel_switch=switch,
        jig=jig,
        mux=mux,
        light_grid=grid,
        zones=zones,
        panel=panel,
        input_monitor=_monitor(t.table("input_monitor", required=False), d.input_monitor),
        output_monitor=_monitor(t.table("output_monitor", required=False), d.output_monitor),
        ripple_adc=_adc(t.table("ripple_adc", required=False), d.ripple_adc),
        thermometer=th,
        eload=_instrument(t.table("eload", required=False), d.eload, ELOAD_DRIVERS),
        supply=_instrument(t.table("supply", required=False), d.supply, SUPPLY_DRIVERS),
    )
    t.check_unknown()
    return hw


def _light_grid(t: Table, d: LightGridConfig) -> LightGridConfig:
    points = _int_list(t, "points", d.points, lo=1, hi=64)
    if len(points) != 2:
        raise t.error("points", f"expected [along x, along y], got {list(points)}")
    grid = LightGridConfig(
        chip=t.get_choice("chip", LIGHT_CHIPS, d.chip),
        addresses=_int_list(t, "addresses", d.addresses, lo=0x03, hi=0x77),
        channels=_int_list(t, "channels", d.channels, lo=0, hi=7),
        origin_m=_pair(t, "origin_m", d.origin_m),
        size_m=_pair(t, "size_m", d.size_m, positive=True),
        points=(points[0], points[1]),
    )
    t.check_unknown()
    if grid.count > len(grid.addresses) * len(grid.channels):
        raise t.error(
            "points",
            f"{grid.count} sensors do not fit {len(grid.channels)} channels x "
            f"{len(grid.addresses)} addresses",
        )
    return grid


def _zones(t: Table, default: tuple[ZoneConfig, ...]) -> tuple[ZoneConfig, ...]:
    raw = t._get("zones", None)
    if raw is None:
        return default
    if not isinstance(raw, list) or not raw or not all(isinstance(z, dict) for z in raw):
        raise t.error("zones", "expected one or more [[hardware.zones]] tables")
    zones = []
    for i, data in enumerate(raw):
        z_t = Table(data, t.file, f"hardware.zones[{i}]")
        zone = ZoneConfig(
            name=z_t.get_str("name"),
            chip=z_t.get_choice("chip", COLOUR_CHIPS, "tcs34725"),
            address=_address(z_t, "address", 0x29),
            channel=z_t.get_int("channel", 0, min=0),
            gain=z_t.get_float("gain", 4.0, min=0.5),
            position_m=_pair(z_t, "position_m", (0.0, 0.0)),
        )
        z_t.check_unknown()
        try:
            check_id(zone.name, "zone name")
        except ValueError as exc:
            raise z_t.error("name", str(exc)) from None
        zones.append(zone)
    if len({z.name for z in zones}) != len(zones):
        raise t.error("zones", "zone names must be unique")
    return tuple(zones)


def sensor_names(hw: HardwareConfig) -> list[str]:
    """Every device name of the hardware map (what ``unplugged`` and ``sensor_gain`` take)."""
    return [
        "power_monitor",
        "light_sensor",
        "colour_sensor",
        "photodiode",
        "channel_switch",
        "mux",
        "panel",
        *[f"grid.{k}" for k in range(hw.light_grid.count)],
        *[f"zone.{z.name}" for z in hw.zones],
        "input_monitor",
        "output_monitor",
        "ripple_adc",
        "thermometer",
        "eload",
        "supply",
    ]


def _simulation(t: Table, hw: HardwareConfig) -> SimulationConfig:
    from benchscore.sim.assemblies.led import LEDFault
    from benchscore.sim.assemblies.power_bank import PowerBankFault
    from firmware_py.simulation import LightingFault

    assembly = t.get_choice("assembly", ASSEMBLIES, "led_assembly")
    faults = {
        "led_assembly": [f.value for f in LEDFault],
        "lighting_environment": [f.value for f in LightingFault],
        "power_bank": [f.value for f in PowerBankFault],
    }[assembly]
    names = sensor_names(hw)
    gain_t = t.table("sensor_gain", required=False)
    gains: dict[str, float] = {}
    for key in list(gain_t.data):
        if key not in names:
            raise gain_t.error(key, f"unknown sensor; known: {names}")
        gains[key] = gain_t.get_float(key, min=0.01)
    cfg = SimulationConfig(
        assembly=assembly,
        fault=t.get_choice("fault", faults, "none"),
        supply_v=t.get_float("supply_v", 12.0, min=0.0),
        ambient_lx=t.get_float("ambient_lx", 3.0, min=0.0),
        noise=t.get_bool("noise", True),
        seed=t.get_int("seed", 0),
        clock=t.get_choice("clock", ["real", "sim"], "real"),
        auto_start_s=t.get_float("auto_start_s", None, min=0.1),
        unplugged=tuple(t.get_list("unplugged", names, [])),
        sensor_gain=gains,
        initial_soc=t.get_float("initial_soc", 0.5, min=0.0),
        golden=t.get_bool("golden", False),
        led_module=t.get_choice("led_module", LED_MODULES, "single"),
    )
    if cfg.initial_soc > 1.0:
        raise t.error("initial_soc", f"must be 0..1, got {cfg.initial_soc}")
    t.check_unknown()
    return cfg


def _scenes(root: Table) -> tuple[SceneSpec, ...]:
    raw = root._get("scenes", [])
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise root.error("scenes", "expected [[scenes]] tables")
    scenes = []
    for i, data in enumerate(raw):
        s_t = Table(data, root.file, f"scenes[{i}]")
        scene = SceneSpec(name=s_t.get_str("name"), number=s_t.get_int("number", min=0))
        s_t.check_unknown()
        if scene.number > 15:
            raise s_t.error("number", f"DALI scene {scene.number} outside 0..15")
        try:
            check_id(scene.name, "scene name")
        except ValueError as exc:
            raise s_t.error("name", str(exc)) from None
        scenes.append(scene)
    if len({s.name for s in scenes}) != len(scenes):
        raise root.error("scenes", "scene names must be unique")
    return tuple(scenes)


def _channels(root: Table) -> tuple[ChannelSpec, ...]:
    raw = root._get("channels", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise root.error("channels", "expected [[channels]] tables")
    channels = []
    for i, data in enumerate(raw):
        c_t = Table(data, root.file, f"channels[{i}]")
        channel = ChannelSpec(name=c_t.get_str("name"), index=c_t.get_int("index", min=0))
        c_t.check_unknown()
        try:
            check_id(channel.name, "channel name")
        except ValueError as exc:
            raise c_t.error("name", str(exc)) from None
        channels.append(channel)
    if len({c.name for c in channels}) != len(channels):
        raise root.error("channels", "channel names must be unique")
    return tuple(channels)


def load_task(file: str | Path) -> TaskConfig:
    """Load a task definition (procedure, parameters, limits)."""
    root = Table.load(file)
    t = root.table("task")
    task_id = t.get_str("id")
    try:
        check_id(task_id, "task id")
    except ValueError as exc:
        raise t.error("id", str(exc)) from None
    from firmware_py.procedures import PROCEDURES

    procedure = t.get_choice("procedure", sorted(PROCEDURES))
    name = t.get_str("name", task_id)
    t.check_unknown()
    p_t = root.table("parameters", required=False)
    parameters = {key: p_t.get_float(key) for key in list(p_t.data)}
    l_t = root.table("limits")
    limits: dict[str, Limits] = {}
    units: dict[str, str] = {}
    for key in list(l_t.data):
        m_t = l_t.table(key)
        try:
            limits[key] = Limits.from_mapping(m_t.data, m_t.where())
        except LimitsError as exc:
            raise ConfigError(str(exc)) from None
        unit = m_t.data.get("unit", "")
        if not isinstance(unit, str):
            raise m_t.error("unit", f"expected a string, got {unit!r}")
        units[key] = unit
    scenes = _scenes(root)
    channels = _channels(root)
    root.check_unknown()
    task = TaskConfig(
        task_id,
        name,
        procedure,
        parameters,
        limits,
        units,
        Path(file),
        scenes=scenes,
        channels=channels,
    )
    PROCEDURES[procedure].check_task(task)
    return task


def load_station_config(file: str | Path) -> StationConfig:
    """Load a station config and the task it names."""
    root = Table.load(file)
    st = root.table("station")
    station_id = st.get_str("id")
    event = st.get_str("event")
    for key, value in (("id", station_id), ("event", event)):
        try:
            check_id(value, f"station {key}")
        except ValueError as exc:
            raise st.error(key, str(exc)) from None
    task_file = st.get_path("task")
    state_dir = st.get_path("state_dir", Path(f"var/{station_id}"))
    if not state_dir.is_absolute():
        state_dir = (Path(file).parent / state_dir).resolve()
    key_file = st.get_path("key_file", None)
    outbox_capacity = st.get_int("outbox_capacity", 100_000, min=1)
    calibration_file = st.get_path("calibration_file", None)
    max_marked_attempts = st.get_int("max_marked_attempts", 0, min=0)
    display_file = st.get_path("display_file", None)
    st.check_unknown()
    try:
        broker = _broker(root.table("broker", required=False))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise root.error("broker", str(exc)) from None
    hardware = _hardware(root.table("hardware", required=False))
    simulation = _simulation(root.table("simulation", required=False), hardware)
    root.check_unknown()
    task = load_task(task_file)
    if hardware.backend == "sim" and simulation.assembly != task.procedure:
        raise root.error(
            "simulation.assembly",
            f"the simulated bench holds a {simulation.assembly!r} but task {task.id!r} runs "
            f"the {task.procedure!r} procedure",
        )
    if task.procedure == "lighting_environment":
        _check_lighting_map(root, hardware, task)
    if task.procedure == "led_assembly" and task.channels:
        pins = hardware.channel_switch.pins
        high = max(c.index for c in task.channels)
        if high >= len(pins):
            raise root.error(
                "hardware.channel_switch.pins",
                f"task channel index {high} needs {high + 1} pins, the map has {len(pins)}",
            )
    return StationConfig(
        station_id=station_id,
        event=event,
        state_dir=state_dir,
        key_file=key_file,
        outbox_capacity=outbox_capacity,
        broker=broker,
        hardware=hardware,
        simulation=simulation,
        task=task,
        file=Path(file),
        calibration_file=calibration_file,
        max_marked_attempts=max_marked_attempts,
        display_file=display_file,
    )


def _check_lighting_map(root: Table, hw: HardwareConfig, task: TaskConfig) -> None:
    """The grid must meet EN 12464-1's grid-size rule; every scene needs a button."""
    from benchscore.analysis.environment import check_grid

    grid = hw.light_grid
    length, width = grid.size_m
    along_long = grid.points[0] if length >= width else grid.points[1]
    along_short = grid.points[1] if length >= width else grid.points[0]
    check = check_grid(length, width, along_long, along_short)
    if not check.ok:
        raise root.error(
            "hardware.light_grid",
            f"{grid.points[0]} x {grid.points[1]} points over {length} x {width} m do not meet "
            f"EN 12464-1: needs {check.required_long} x {check.required_short} near-square cells",
        )
    pins = hw.panel.scene_pins
    for scene in (*task.scenes, SceneSpec("off", int(task.parameters.get("off_scene", 0)))):
        if scene.number >= len(pins):
            raise root.error(
                "hardware.panel.scene_pins",
                f"scene {scene.name!r} (DALI scene {scene.number}) has no button pin",
            )
