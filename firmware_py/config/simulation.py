"""The ``[simulation]`` table of a station config: what the simulated bench holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchscore.configfile import Table, unknown_name
from firmware_py.config.hardware_map import HardwareConfig, sensor_names

ASSEMBLIES = ["led_assembly", "lighting_environment", "power_bank", "led_screen"]
LED_MODULES = ["single", "tunable_white", "rgbw"]


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
    cell_capacity_mah: float | None = None
    """Power bank: a cell of this capacity instead of the 5000 mAh design (same charger and
    converter); a small cell makes a cycle-life run short."""
    capacity_fade_per_cycle: float = 0.0
    """Power bank: cell capacity lost per equivalent full cycle (fraction of the initial)."""
    physics_step_s: float = 1.0
    """Power bank: the physics integration step, s (longer runs faster, coarser)."""
    golden: bool = False
    """The bench holds the golden (known-good reference) assembly, whatever ``fault`` says."""
    led_module: str = "single"
    """LED assembly design: ``single`` (one channel, 3 x 3 white LEDs), ``tunable_white``
    (warm 3000 K and cool 6500 K channels), ``rgbw``."""
    camera_yaw_deg: float = 0.0
    """led_screen: how far off the screen's axis the simulated camera stands (degrees)."""
    prompt_answer_s: float | None = None
    """The simulated operator presses START (yes / done) this many seconds after a prompt
    appears; None: nobody answers, a prompt with a timeout takes its default."""


def assembly_faults(assembly: str) -> list[str]:
    """The faults the simulated ``assembly`` can have (``none`` first)."""
    from benchscore.sim.assemblies.led import LEDFault
    from benchscore.sim.assemblies.lighting_room.faults import LightingFault
    from benchscore.sim.assemblies.power_bank import PowerBankFault
    from benchscore.sim.led_screen.scenarios import ScreenFault

    kinds: dict[str, Any] = {
        "led_assembly": LEDFault,
        "lighting_environment": LightingFault,
        "power_bank": PowerBankFault,
        "led_screen": ScreenFault,
    }
    return [f.value for f in kinds[assembly]]


def parse_simulation(t: Table, hw: HardwareConfig) -> SimulationConfig:
    """Read the ``[simulation]`` table; sensor names come from the hardware map ``hw``."""
    assembly = t.get_choice("assembly", ASSEMBLIES, "led_assembly")
    faults = assembly_faults(assembly)
    names = sensor_names(hw)
    gain_t = t.table("sensor_gain", required=False)
    gains: dict[str, float] = {}
    for key in list(gain_t.data):
        if key not in names:
            raise gain_t.error(key, unknown_name("sensor", key, names))
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
        cell_capacity_mah=t.get_float("cell_capacity_mah", None, positive=True),
        capacity_fade_per_cycle=t.get_float("capacity_fade_per_cycle", 0.0, min=0.0, max=0.5),
        physics_step_s=t.get_float("physics_step_s", 1.0, positive=True, max=60.0),
        golden=t.get_bool("golden", False),
        led_module=t.get_choice("led_module", LED_MODULES, "single"),
        camera_yaw_deg=t.get_float("camera_yaw_deg", 0.0, min=-60.0),
        prompt_answer_s=t.get_float("prompt_answer_s", None, min=0.0),
    )
    if abs(cfg.camera_yaw_deg) > 60.0:
        raise t.error("camera_yaw_deg", f"must be -60..60, got {cfg.camera_yaw_deg}")
    if cfg.initial_soc > 1.0:
        raise t.error("initial_soc", f"must be 0..1, got {cfg.initial_soc}")
    t.check_unknown()
    return cfg
