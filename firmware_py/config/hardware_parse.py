"""Reads the ``[hardware]`` table of a station config into a :class:`.HardwareConfig`.

Every error names the file and the key (:class:`benchscore.configfile.ConfigError`).
"""

from __future__ import annotations

from dataclasses import fields

from benchscore.configfile import Table
from firmware_py.config.hardware_map import (
    ADC_CHIPS,
    BACKENDS,
    COLOUR_CHIPS,
    DALI_DRIVERS,
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
)
from firmware_py.config.screen_map import parse_camera, parse_pattern_output
from firmware_py.config.tables import address, int_list, named_tables, pair


def _monitor(t: Table, default: PowerMonitorConfig) -> PowerMonitorConfig:
    cfg = PowerMonitorConfig(
        chip=t.get_choice("chip", MONITOR_CHIPS, default.chip),
        address=address(t, "address", default.address),
        shunt_ohm=t.get_float("shunt_ohm", default.shunt_ohm, min=1e-6),
        max_current_a=t.get_float("max_current_a", default.max_current_a, min=1e-6),
    )
    t.check_unknown()
    return cfg


def _adc(t: Table, default: AdcInputConfig) -> AdcInputConfig:
    cfg = AdcInputConfig(
        chip=t.get_choice("chip", ADC_CHIPS, default.chip),
        address=address(t, "address", default.address),
        channel=t.get_int("channel", default.channel, min=0),
        full_scale_v=t.get_float("full_scale_v", default.full_scale_v, min=0.256),
        rate_sps=t.get_int("rate_sps", default.rate_sps, min=8),
        scale=t.get_float("scale", default.scale, min=1e-9),
        offset_v=t.get_float("offset_v", default.offset_v),
        position_m=pair(t, "position_m", default.position_m),
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


def parse_hardware(t: Table) -> HardwareConfig:
    """Read the ``[hardware]`` table; every device left out keeps its default."""
    d = HardwareConfig()
    pm = _monitor(t.table("power_monitor", required=False), d.power_monitor)
    ls = _light_sensor(t.table("light_sensor", required=False), d.light_sensor)
    cs = _colour_sensor(t.table("colour_sensor", required=False), d.colour_sensor)
    gpio = _gpio(t.table("gpio", required=False))
    switch = _channel_switch(t.table("channel_switch", required=False), d.channel_switch)
    jig = _jig(t.table("jig", required=False), d.jig)
    mux = _mux(t.table("mux", required=False), d.mux)
    grid = _light_grid(t.table("light_grid", required=False), d.light_grid)
    zones = _zones(t, d.zones)
    panel = _panel(t.table("panel", required=False), d.panel)
    th = _thermometer(t.table("thermometer", required=False), d.thermometer)
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
        pattern_output=parse_pattern_output(
            t.table("pattern_output", required=False), d.pattern_output
        ),
        camera=parse_camera(t.table("camera", required=False), d.camera),
        dali=_instrument(t.table("dali", required=False), d.dali, DALI_DRIVERS),
    )
    t.check_unknown()
    return hw


def _light_sensor(t: Table, d: LightSensorConfig) -> LightSensorConfig:
    cfg = LightSensorConfig(
        chip=t.get_choice("chip", LIGHT_CHIPS, d.chip),
        address=address(t, "address", d.address),
    )
    t.check_unknown()
    return cfg


def _colour_sensor(t: Table, d: ColourSensorConfig) -> ColourSensorConfig:
    cfg = ColourSensorConfig(
        chip=t.get_choice("chip", COLOUR_CHIPS, d.chip),
        address=address(t, "address", d.address),
        gain=t.get_float("gain", d.gain, min=0.5),
    )
    t.check_unknown()
    return cfg


def _gpio(t: Table) -> GpioConfig:
    defaults = GpioConfig()
    names = [f.name for f in fields(GpioConfig)]
    gpio = GpioConfig(**{name: t.get_int(name, getattr(defaults, name), min=0) for name in names})
    t.check_unknown()
    pins = [getattr(gpio, name) for name in names]
    if len(set(pins)) != len(pins):
        raise t.error(None, f"two functions share a pin: {pins}")
    return gpio


def _channel_switch(t: Table, d: ChannelSwitchConfig) -> ChannelSwitchConfig:
    cfg = ChannelSwitchConfig(
        address=address(t, "address", d.address),
        pins=int_list(t, "pins", d.pins, lo=0, hi=15),
    )
    t.check_unknown()
    return cfg


def _jig(t: Table, d: JigConfig) -> JigConfig:
    cfg = JigConfig(
        check_resistor_ohm=t.get_float("check_resistor_ohm", d.check_resistor_ohm, min=1.0)
    )
    t.check_unknown()
    return cfg


def _mux(t: Table, d: MuxConfig) -> MuxConfig:
    cfg = MuxConfig(
        chip=t.get_choice("chip", ["tca9548a"], d.chip),
        address=address(t, "address", d.address),
    )
    t.check_unknown()
    return cfg


def _panel(t: Table, d: PanelConfig) -> PanelConfig:
    panel = PanelConfig(
        address=address(t, "address", d.address),
        scene_pins=int_list(t, "scene_pins", d.scene_pins, lo=0, hi=15),
        presence_pin=t.get_int("presence_pin", d.presence_pin, min=0),
        press_s=t.get_float("press_s", d.press_s, min=0.01),
    )
    t.check_unknown()
    if panel.presence_pin in panel.scene_pins or panel.presence_pin > 15:
        raise t.error("presence_pin", f"pin {panel.presence_pin} is a scene pin or above 15")
    return panel


def _thermometer(t: Table, d: ThermometerConfig) -> ThermometerConfig:
    cfg = ThermometerConfig(
        device_id=t.get_str("device_id", d.device_id),
        w1_dir=t.get_str("w1_dir", d.w1_dir),
    )
    t.check_unknown()
    return cfg


def _light_grid(t: Table, d: LightGridConfig) -> LightGridConfig:
    points = int_list(t, "points", d.points, lo=1, hi=64)
    if len(points) != 2:
        raise t.error("points", f"expected [along x, along y], got {list(points)}")
    grid = LightGridConfig(
        chip=t.get_choice("chip", LIGHT_CHIPS, d.chip),
        addresses=int_list(t, "addresses", d.addresses, lo=0x03, hi=0x77),
        channels=int_list(t, "channels", d.channels, lo=0, hi=7),
        origin_m=pair(t, "origin_m", d.origin_m),
        size_m=pair(t, "size_m", d.size_m, positive=True),
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

    def zone(z_t: Table) -> ZoneConfig:
        cfg = ZoneConfig(
            name=z_t.get_str("name"),
            chip=z_t.get_choice("chip", COLOUR_CHIPS, "tcs34725"),
            address=address(z_t, "address", 0x29),
            channel=z_t.get_int("channel", 0, min=0),
            gain=z_t.get_float("gain", 4.0, min=0.5),
            position_m=pair(z_t, "position_m", (0.0, 0.0)),
        )
        z_t.check_unknown()
        return cfg

    return named_tables(t, "zones", raw, "hardware.zones", "zone", zone)
