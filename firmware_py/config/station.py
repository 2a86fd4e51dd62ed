"""The station config (``config/stations/``): broker, hardware map, simulation, and (for a
pre-assigned station) id, event and task; an adopted station gets those from the scorer.
Every error names the file and the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchscore.configfile import ConfigError, Table
from benchscore.identity import PublicKey
from benchscore.mqtt import BrokerConfig
from benchscore.plugins import registry
from benchscore.protocol import check_id
from firmware_py.config.calibration import CalibrationConfig, parse_calibration
from firmware_py.config.hardware_map import HardwareConfig
from firmware_py.config.hardware_parse import parse_hardware
from firmware_py.config.roles import role_problem
from firmware_py.config.simulation import SimulationConfig, parse_simulation
from firmware_py.config.task import SceneSpec, TaskConfig, load_task


@dataclass(frozen=True)
class StationConfig:
    """An assigned station: who it is, which event and task, and everything to run it."""

    station_id: str
    event: str
    state_dir: Path
    """Where the outbox database lives (systemd's StateDirectory on a Pi)."""
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
    screen: tuple[str, int] | None = None
    """``[station] screen = "host:port"``: where the contestant's screen page is served."""
    calibration: CalibrationConfig = CalibrationConfig()
    """``[calibration]``: plausibility bounds of a new calibration."""
    scorer_key: str | None = None
    """The scorer's Ed25519 public key (hex) this station trusts for acks and commands."""
    client_id: str | None = None
    """The MQTT client id (the broker may fix it per station); default from event and id."""

    @property
    def identity_path(self) -> Path:
        """This station's own Ed25519 key, made on first start (never leaves the station)."""
        return self.state_dir / "identity.key"

    @property
    def calibration_path(self) -> Path:
        return self.calibration_file or self.state_dir / "calibration.json"

    @property
    def golden_path(self) -> Path:
        """Golden-assembly reference values (JSON), next to the calibration store."""
        return self.calibration_path.with_name("golden.json")


@dataclass(frozen=True)
class StationSetup:
    """What a station's own file says: enough to run and be adopted.

    In a zero-touch hall every Pi has the same file (broker address, the shared enrolment
    credential, the hardware map): id, event and task come at adoption. A file that names
    ``[station] id``, ``event`` and ``task`` is pre-assigned (a bench set up by hand, a test)."""

    file: Path
    state_dir: Path
    outbox_capacity: int
    broker: BrokerConfig
    hardware: HardwareConfig
    simulation: SimulationConfig
    calibration_file: Path | None
    max_marked_attempts: int
    display_file: Path | None
    scorer_key: str | None
    preassigned: tuple[str, str, Path] | None
    calibration: CalibrationConfig = CalibrationConfig()
    """(station id, event, task file) when the file names them."""
    screen: tuple[str, int] | None = None

    @property
    def identity_path(self) -> Path:
        return self.state_dir / "identity.key"

    def assign(
        self,
        station_id: str,
        event: str,
        task: TaskConfig,
        *,
        broker: BrokerConfig | None = None,
        scorer_key: str | None = None,
        client_id: str | None = None,
        max_marked_attempts: int | None = None,
    ) -> StationConfig:
        """The running configuration for an assignment; ValueError if the task does not fit
        this station's hardware."""
        check_id(station_id, "station id")
        check_id(event, "event id")
        problem = task_misfit(self.hardware, self.simulation, task)
        if problem is not None:
            key, message = problem
            raise ConfigError(f"{self.file}: {key}: {message}")
        return StationConfig(
            station_id=station_id,
            event=event,
            state_dir=self.state_dir,
            outbox_capacity=self.outbox_capacity,
            broker=broker or self.broker,
            hardware=self.hardware,
            simulation=self.simulation,
            task=task,
            file=self.file,
            calibration_file=self.calibration_file,
            max_marked_attempts=(
                self.max_marked_attempts if max_marked_attempts is None else max_marked_attempts
            ),
            display_file=self.display_file,
            screen=self.screen,
            calibration=self.calibration,
            scorer_key=scorer_key or self.scorer_key,
            client_id=client_id,
        )


def _screen_address(st: Table) -> tuple[str, int] | None:
    """``[station] screen = "127.0.0.1:8090"``: the contestant screen page's address."""
    raw = st.get_str("screen", None)
    if raw is None:
        return None
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise st.error("screen", f'{raw!r}: expected host:port, e.g. "127.0.0.1:8090"')
    return host.strip("[]"), int(port)


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


def load_station_setup(file: str | Path) -> StationSetup:
    """Load a station file (pre-assigned or not); errors name the file and the key."""
    root = Table.load(file)
    st = root.table("station")
    ids = {key: st.get_str(key, None) for key in ("id", "event")}
    task_file = st.get_path("task", None)
    given = [k for k, v in (*ids.items(), ("task", task_file)) if v is not None]
    if given and len(given) != 3:
        missing = sorted({"id", "event", "task"} - set(given))
        raise st.error(
            missing[0],
            "a pre-assigned station names id, event and task together (leave all three out "
            "and the station is given them at adoption)",
        )
    for key, value in ids.items():
        if value is not None:
            try:
                check_id(value, f"station {key}")
            except ValueError as exc:
                raise st.error(key, str(exc)) from None
    if st.has("key_file"):
        raise st.error(
            "key_file",
            "gone in protocol schema 2: the station makes its own Ed25519 identity in "
            "state_dir on first start; remove this line",
        )
    state_dir = st.get_path("state_dir", None)
    if state_dir is None:
        state_dir = Path(f"var/{ids['id'] or 'station'}")
    if not state_dir.is_absolute():
        state_dir = (Path(file).parent / state_dir).resolve()
    outbox_capacity = st.get_int("outbox_capacity", 100_000, min=1)
    calibration_file = st.get_path("calibration_file", None)
    max_marked_attempts = st.get_int("max_marked_attempts", 0, min=0)
    display_file = st.get_path("display_file", None)
    screen = _screen_address(st)
    scorer_key = st.get_str("scorer_key", None)
    if scorer_key is not None:
        try:
            PublicKey.from_hex(scorer_key)
        except ValueError:
            raise st.error("scorer_key", "the scorer's public key: 64 hex characters") from None
        scorer_key = scorer_key.strip().lower()
    st.check_unknown()
    try:
        broker = _broker(root.table("broker", required=False))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise root.error("broker", str(exc)) from None
    hardware = parse_hardware(root.table("hardware", required=False))
    simulation = parse_simulation(root.table("simulation", required=False), hardware)
    calibration = parse_calibration(root.table("calibration", required=False))
    root.check_unknown()
    preassigned = None
    if ids["id"] and ids["event"] and task_file is not None:
        preassigned = (ids["id"], ids["event"], task_file)
    return StationSetup(
        file=Path(file),
        state_dir=state_dir,
        outbox_capacity=outbox_capacity,
        broker=broker,
        hardware=hardware,
        simulation=simulation,
        calibration_file=calibration_file,
        max_marked_attempts=max_marked_attempts,
        display_file=display_file,
        scorer_key=scorer_key,
        preassigned=preassigned,
        calibration=calibration,
        screen=screen,
    )


def load_station_config(file: str | Path) -> StationConfig:
    """Load a pre-assigned station config and the task it names."""
    setup = load_station_setup(file)
    if setup.preassigned is None:
        raise ConfigError(
            f"{file}: station: no id, event and task: this station is assigned at adoption "
            "(benchscore stations adopt CODE --as ID on the scorer)"
        )
    station_id, event, task_file = setup.preassigned
    task = load_task(task_file)
    return setup.assign(station_id, event, task)


BESPOKE_BENCHES = ("led_assembly", "lighting_environment", "power_bank", "led_screen")
"""Procedures whose bench the station builds itself; any other gets its declared roles."""


def task_misfit(
    hardware: HardwareConfig, simulation: SimulationConfig, task: TaskConfig
) -> tuple[str, str] | None:
    """Why ``task`` cannot run on this hardware, as (config key, reason), or None if it can."""
    plugin = registry.get(task.procedure)
    if hardware.backend == "sim" and simulation.assembly != plugin.assembly:
        return (
            "simulation.assembly",
            f"the simulated bench holds a {simulation.assembly!r} but task {task.id!r} runs "
            f"the {task.procedure!r} procedure",
        )
    if task.procedure not in BESPOKE_BENCHES:
        problem = role_problem(plugin.roles)
        if problem:
            return ("task.procedure", f"procedure {task.procedure!r}: {problem}")
    if task.procedure == "lighting_environment":
        return _check_lighting_map(hardware, task)
    if task.procedure == "led_assembly" and task.channels:
        pins = hardware.channel_switch.pins
        high = max(c.index for c in task.channels)
        if high >= len(pins):
            return (
                "hardware.channel_switch.pins",
                f"task channel index {high} needs {high + 1} pins, the map has {len(pins)}",
            )
    return None


def _check_lighting_map(hw: HardwareConfig, task: TaskConfig) -> tuple[str, str] | None:
    """The grid must meet EN 12464-1's grid-size rule; every scene needs a button."""
    from benchscore.analysis.environment import check_grid

    grid = hw.light_grid
    length, width = grid.size_m
    along_long = grid.points[0] if length >= width else grid.points[1]
    along_short = grid.points[1] if length >= width else grid.points[0]
    check = check_grid(length, width, along_long, along_short)
    if not check.ok:
        return (
            "hardware.light_grid",
            f"{grid.points[0]} x {grid.points[1]} points over {length} x {width} m do not meet "
            f"EN 12464-1: needs {check.required_long} x {check.required_short} near-square cells",
        )
    pins = hw.panel.scene_pins
    for scene in (*task.scenes, SceneSpec("off", int(task.parameters.get("off_scene", 0)))):
        if scene.number >= len(pins):
            return (
                "hardware.panel.scene_pins",
                f"scene {scene.name!r} (DALI scene {scene.number}) has no button pin",
            )
    return None
