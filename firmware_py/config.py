"""Station configuration: identity, broker, hardware map, simulation and the task to run.

A station config is a TOML file (see ``config/stations/``); the task it runs is a separate
TOML file (``config/tasks/``) holding the procedure's parameters and limits, so one task
definition serves every station of a module. Every error names the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchscore.configfile import ConfigError, Table
from benchscore.measurement import Limits, LimitsError
from benchscore.mqtt import BrokerConfig
from benchscore.protocol import check_id

BACKENDS = ["sim", "hw"]


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
class GpioConfig:
    """BCM pin numbers of the operator I/O and the jig's power relay."""

    start_button: int = 17
    power_relay: int = 27
    light_green: int = 22
    light_amber: int = 23
    light_red: int = 24


@dataclass(frozen=True)
class HardwareConfig:
    backend: str = "sim"
    i2c_bus: int = 1
    power_monitor: PowerMonitorConfig = field(default_factory=PowerMonitorConfig)
    light_sensor: LightSensorConfig = field(default_factory=LightSensorConfig)
    gpio: GpioConfig = field(default_factory=GpioConfig)


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
    """Sensors left off the simulated bus (``power_monitor``, ``light_sensor``): a bench fault."""


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


def _hardware(t: Table) -> HardwareConfig:
    pm_t = t.table("power_monitor", required=False)
    pm = PowerMonitorConfig(
        chip=pm_t.get_choice("chip", ["ina226"], "ina226"),
        address=pm_t.get_int("address", 0x40, min=0x03),
        shunt_ohm=pm_t.get_float("shunt_ohm", 0.02, min=1e-6),
        max_current_a=pm_t.get_float("max_current_a", 3.0, min=1e-6),
    )
    pm_t.check_unknown()
    ls_t = t.table("light_sensor", required=False)
    ls = LightSensorConfig(
        chip=ls_t.get_choice("chip", ["bh1750"], "bh1750"),
        address=ls_t.get_int("address", 0x23, min=0x03),
    )
    ls_t.check_unknown()
    g_t = t.table("gpio", required=False)
    defaults = GpioConfig()
    gpio = GpioConfig(
        **{
            name: g_t.get_int(name, getattr(defaults, name), min=0)
            for name in ("start_button", "power_relay", "light_green", "light_amber", "light_red")
        }
    )
    g_t.check_unknown()
    pins = [gpio.start_button, gpio.power_relay, gpio.light_green, gpio.light_amber, gpio.light_red]
    if len(set(pins)) != len(pins):
        raise g_t.error(None, f"two functions share a pin: {pins}")
    hw = HardwareConfig(
        backend=t.get_choice("backend", BACKENDS, "sim"),
        i2c_bus=t.get_int("i2c_bus", 1, min=0),
        power_monitor=pm,
        light_sensor=ls,
        gpio=gpio,
    )
    t.check_unknown()
    return hw


SENSORS = ("power_monitor", "light_sensor")


def _simulation(t: Table) -> SimulationConfig:
    from benchscore.sim.assemblies.led import LEDFault

    cfg = SimulationConfig(
        assembly=t.get_choice("assembly", ["led_assembly"], "led_assembly"),
        fault=t.get_choice("fault", [f.value for f in LEDFault], "none"),
        supply_v=t.get_float("supply_v", 12.0, min=0.0),
        ambient_lx=t.get_float("ambient_lx", 3.0, min=0.0),
        noise=t.get_bool("noise", True),
        seed=t.get_int("seed", 0),
        clock=t.get_choice("clock", ["real", "sim"], "real"),
        auto_start_s=t.get_float("auto_start_s", None, min=0.1),
        unplugged=tuple(t.get_list("unplugged", list(SENSORS), [])),
    )
    t.check_unknown()
    return cfg


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
    root.check_unknown()
    task = TaskConfig(task_id, name, procedure, parameters, limits, units, Path(file))
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
    st.check_unknown()
    try:
        broker = _broker(root.table("broker", required=False))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise root.error("broker", str(exc)) from None
    hardware = _hardware(root.table("hardware", required=False))
    simulation = _simulation(root.table("simulation", required=False))
    root.check_unknown()
    return StationConfig(
        station_id=station_id,
        event=event,
        state_dir=state_dir,
        key_file=key_file,
        outbox_capacity=outbox_capacity,
        broker=broker,
        hardware=hardware,
        simulation=simulation,
        task=load_task(task_file),
        file=Path(file),
    )
