"""The station config (``config/stations/``): identity, broker, hardware map, simulation and
the task file it runs. Every error names the file and the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchscore.configfile import ConfigError, Table
from benchscore.mqtt import BrokerConfig
from benchscore.protocol import check_id
from firmware_py.config.hardware_map import HardwareConfig
from firmware_py.config.hardware_parse import parse_hardware
from firmware_py.config.simulation import SimulationConfig, parse_simulation
from firmware_py.config.task import SceneSpec, TaskConfig, load_task


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
    hardware = parse_hardware(root.table("hardware", required=False))
    simulation = parse_simulation(root.table("simulation", required=False), hardware)
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
