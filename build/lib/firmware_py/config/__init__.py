"""Station configuration: identity, broker, hardware map, simulation and the task to run.

A station config is a TOML file (see ``config/stations/``); the task it runs is a separate
TOML file (``config/tasks/``) holding the procedure's parameters and limits, so one task
definition serves every station of a module. Every error names the file and the key.

- :mod:`.station`: :class:`StationConfig`, :func:`load_station_config` (``[station]``,
  ``[broker]``, and the checks that tie the map to the task);
- :mod:`.hardware_map`: the ``[hardware]`` map's dataclasses and :data:`BENCH_DEVICES`;
  :mod:`.hardware_parse` reads it;
- :mod:`.simulation`: ``[simulation]``, what the simulated bench holds;
- :mod:`.task`: :class:`TaskConfig`, :func:`load_task`;
- :mod:`.tables`: small typed readers shared by the above.
"""

from firmware_py.config.hardware_map import (
    ADC_CHIPS,
    BACKENDS,
    BENCH_DEVICES,
    COLOUR_CHIPS,
    ELOAD_DRIVERS,
    LIGHT_CHIPS,
    MONITOR_CHIPS,
    SUPPLY_DRIVERS,
    AdcInputConfig,
    ChannelSwitchConfig,
    ColourSensorConfig,
    GpioConfig,
    HardwareConfig,
    InstrumentConfig,
    JigConfig,
    LightGridConfig,
    LightSensorConfig,
    MuxConfig,
    PanelConfig,
    PowerMonitorConfig,
    ThermometerConfig,
    ZoneConfig,
    sensor_names,
)
from firmware_py.config.simulation import ASSEMBLIES, LED_MODULES, SimulationConfig
from firmware_py.config.station import StationConfig, load_station_config
from firmware_py.config.task import ChannelSpec, SceneSpec, TaskConfig, load_task

__all__ = [
    "ADC_CHIPS",
    "ASSEMBLIES",
    "BACKENDS",
    "BENCH_DEVICES",
    "COLOUR_CHIPS",
    "ELOAD_DRIVERS",
    "LED_MODULES",
    "LIGHT_CHIPS",
    "MONITOR_CHIPS",
    "SUPPLY_DRIVERS",
    "AdcInputConfig",
    "ChannelSpec",
    "ChannelSwitchConfig",
    "ColourSensorConfig",
    "GpioConfig",
    "HardwareConfig",
    "InstrumentConfig",
    "JigConfig",
    "LightGridConfig",
    "LightSensorConfig",
    "MuxConfig",
    "PanelConfig",
    "PowerMonitorConfig",
    "SceneSpec",
    "SimulationConfig",
    "StationConfig",
    "TaskConfig",
    "ThermometerConfig",
    "ZoneConfig",
    "load_station_config",
    "load_task",
    "sensor_names",
]
