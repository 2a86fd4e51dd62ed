"""The ``[hardware]`` map of a station config: which chip sits at which I2C address (behind
which multiplexer channel), which serial instrument answers on which port, which GPIO pin does
what.

Every device has a default, so a map only lists what differs; which devices a station actually
opens depends on the task's procedure (:data:`BENCH_DEVICES`). With ``backend = "sim"`` the
same map places the simulated chips and instruments (a serial instrument's ``port`` is then
the pty of its simulator). :mod:`.hardware_parse` reads the map from TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware_py.config.screen_map import CameraConfig, PatternOutputConfig

BACKENDS = ["sim", "hw"]
LIGHT_CHIPS = ["bh1750", "veml7700", "tsl2591"]
COLOUR_CHIPS = ["as7341", "tcs34725"]
MONITOR_CHIPS = ["ina226", "ina219", "ina260"]
ADC_CHIPS = ["ads1115", "ads1015"]
ELOAD_DRIVERS = ["dl3021", "dl3031", "it8500"]
SUPPLY_DRIVERS = ["ka3005p", "rd6006"]
DALI_DRIVERS = ["atxled", "tridonic"]
"""DALI interfaces the station drives through python-dali (``atxled``: the ATX LED DALI HAT,
``dali.driver.atxled``, on the Pi's serial port; ``tridonic``: the Tridonic/Lunatone DALI USB,
``dali.driver.hid.tridonic``, at its hidraw node)."""


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
    pattern_output: PatternOutputConfig = field(default_factory=PatternOutputConfig)
    """led_screen: the video output into the screen's sending card."""
    camera: CameraConfig = field(default_factory=CameraConfig)
    """led_screen: the camera photographing the screen."""
    dali: InstrumentConfig = field(default_factory=lambda: InstrumentConfig("atxled", "/dev/ttyS0"))
    """lighting_environment: the station's DALI interface on the installation's DALI bus
    (opened only by a task that checks the DALI dimming curve)."""


BENCH_DEVICES: dict[str, tuple[str, ...]] = {
    "led_assembly": (
        "power_monitor",
        "light_sensor",
        "colour_sensor",
        "photodiode",
        "channel_switch",
    ),
    "lighting_environment": ("mux", "grid", "zones", "panel", "photodiode", "dali"),
    "power_bank": (
        "input_monitor",
        "output_monitor",
        "ripple_adc",
        "thermometer",
        "eload",
        "supply",
    ),
    "led_screen": ("pattern_output", "camera"),
}
"""Devices of the hardware map each procedure's bench uses (a led_assembly task that leaves
out a phase does not open that phase's devices)."""


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
        "pattern_output",
        "camera",
        "dali",
    ]
