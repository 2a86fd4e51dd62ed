"""TI INA260 current/power monitor with its internal 2 mOhm shunt (SBOS656).

No calibration: current is 1.25 mA/count (signed), bus voltage 1.25 mV/count and power
10 mW/count. The constructor checks the identity registers (FEh = 0x5449 "TI", FFh bits
15:4 = 0x227) and raises :class:`drivers.errors.DeviceMismatch` when another chip answers.

Example::

    ina = INA260(bus, 0x40)
    ina.configure(averaging=AveragingCount.COUNT_16)
    print(ina.bus_voltage_v, ina.current_a, ina.power_w)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from benchscore.clock import Clock, RealClock
from drivers.errors import DeviceMismatch, ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.ina2xx import (
    AVERAGING_SAMPLES,
    CONVERSION_TIME_S,
    AveragingCount,
    ConversionTime,
    check_triggered,
    wait_for_conversion,
)
from drivers.registers import I2CDevice, ROBits16, ROReg16, RWBits16, RWEnumBits16, RWReg16

__all__ = [
    "INA260",
    "AveragingCount",
    "ConversionTime",
    "INA260Reading",
    "Mode",
]

_REG_CONFIG: Final = 0x00
_REG_CURRENT: Final = 0x01
_REG_BUS_VOLTAGE: Final = 0x02
_REG_POWER: Final = 0x03
_REG_MASK_ENABLE: Final = 0x06
_REG_ALERT_LIMIT: Final = 0x07
_REG_MANUFACTURER_ID: Final = 0xFE
_REG_DIE_ID: Final = 0xFF

CONFIG_RESET: Final = 0x6127
MANUFACTURER_ID: Final = 0x5449  # "TI"
DEVICE_ID: Final = 0x227  # die ID bits 15:4; bits 3:0 are the revision
CURRENT_LSB_A: Final = 1.25e-3
BUS_LSB_V: Final = 1.25e-3
POWER_LSB_W: Final = 10e-3


class Mode(IntEnum):
    """Operating mode (config bits 2:0)."""

    POWER_DOWN = 0
    CURRENT_TRIGGERED = 1
    BUS_TRIGGERED = 2
    CURRENT_BUS_TRIGGERED = 3
    POWER_DOWN_ALT = 4  # 4 is power-down as well
    CURRENT_CONTINUOUS = 5
    BUS_CONTINUOUS = 6
    CURRENT_BUS_CONTINUOUS = 7  # reset value


class MaskEnable(IntEnum):
    """Bits of the Mask/Enable register (06h)."""

    OCL = 1 << 15  # over-current limit
    UCL = 1 << 14  # under-current limit
    BOL = 1 << 13  # bus over-voltage
    BUL = 1 << 12  # bus under-voltage
    POL = 1 << 11  # power over-limit
    CNVR = 1 << 10  # ALERT on conversion ready
    AFF = 1 << 4  # alert function flag
    CVRF = 1 << 3  # conversion ready flag
    OVF = 1 << 2  # math overflow
    APOL = 1 << 1  # alert polarity (1 = active high)
    LEN = 1 << 0  # alert latch enable


@dataclass(frozen=True)
class INA260Reading:
    """One coherent set of INA260 results in SI units."""

    bus_voltage_v: float
    current_a: float
    power_w: float


class INA260(I2CDevice):
    """TI INA260 precision current/power monitor (address 0x40..0x4F)."""

    name = "INA260"

    config = RWReg16(_REG_CONFIG)
    raw_averaging = RWBits16(_REG_CONFIG, lowest_bit=9, width=3)
    raw_bus_conversion = RWBits16(_REG_CONFIG, lowest_bit=6, width=3)
    raw_current_conversion = RWBits16(_REG_CONFIG, lowest_bit=3, width=3)
    raw_mode = RWBits16(_REG_CONFIG, lowest_bit=0, width=3)
    raw_current = ROReg16(_REG_CURRENT, signed=True)
    raw_bus_voltage = ROReg16(_REG_BUS_VOLTAGE)
    raw_power = ROReg16(_REG_POWER)
    mask_enable = RWReg16(_REG_MASK_ENABLE)
    alert_limit = RWReg16(_REG_ALERT_LIMIT)
    manufacturer_id = ROReg16(_REG_MANUFACTURER_ID)
    die_id = ROReg16(_REG_DIE_ID)
    device_id = ROBits16(_REG_DIE_ID, lowest_bit=4, width=12)
    revision = ROBits16(_REG_DIE_ID, lowest_bit=0, width=4)

    averaging = RWEnumBits16(_REG_CONFIG, lowest_bit=9, width=3, enum=AveragingCount)
    """Control the number of samples averaged per result."""
    bus_conversion = RWEnumBits16(_REG_CONFIG, lowest_bit=6, width=3, enum=ConversionTime)
    """Control the bus voltage conversion time."""
    current_conversion = RWEnumBits16(_REG_CONFIG, lowest_bit=3, width=3, enum=ConversionTime)
    """Control the current conversion time."""
    mode = RWEnumBits16(_REG_CONFIG, lowest_bit=0, width=3, enum=Mode)
    """Control the operating mode."""

    def __init__(
        self,
        bus: I2CBus,
        address: int = 0x40,
        *,
        clock: Clock | None = None,
        check_id: bool = True,
    ) -> None:
        if not 0x40 <= address <= 0x4F:
            raise ValueError(f"INA260 address 0x{address:02X} outside 0x40..0x4F")
        super().__init__(bus, address)
        self.clock: Clock = clock if clock is not None else RealClock()
        if check_id:
            self.check_id()

    def check_id(self) -> None:
        """Raise DeviceMismatch unless the chip identifies as an INA260."""
        manufacturer = self.manufacturer_id
        die = self.die_id
        if manufacturer != MANUFACTURER_ID or die >> 4 != DEVICE_ID:
            raise DeviceMismatch(
                f"{self.name} at 0x{self.address:02X}: manufacturer 0x{manufacturer:04X}, "
                f"die 0x{die:04X}; expected 0x{MANUFACTURER_ID:04X} and 0x{DEVICE_ID:03X}x"
            )

    # -- configuration -----------------------------------------------------------------
    def reset(self) -> None:
        """Reset every register to its power-on value (RST, bit 15, self-clearing)."""
        self.write_u16(_REG_CONFIG, 0x8000 | CONFIG_RESET)

    def configure(
        self,
        *,
        averaging: AveragingCount = AveragingCount.COUNT_1,
        bus_conversion: ConversionTime = ConversionTime.TIME_1_1_MS,
        current_conversion: ConversionTime = ConversionTime.TIME_1_1_MS,
        mode: Mode = Mode.CURRENT_BUS_CONTINUOUS,
    ) -> None:
        """Write the whole configuration register in one transaction."""
        value = (
            0x6000  # bits 14:12 read 110b on the INA260
            | (int(AveragingCount(averaging)) << 9)
            | (int(ConversionTime(bus_conversion)) << 6)
            | (int(ConversionTime(current_conversion)) << 3)
            | int(Mode(mode))
        )
        self.write_u16(_REG_CONFIG, value)

    # -- status ------------------------------------------------------------------------
    def conversion_time_s(self) -> float:
        """Return the time in seconds one result of the current configuration takes."""
        config = self.config
        mode = config & 0x7
        samples = AVERAGING_SAMPLES[(config >> 9) & 0x7]
        t_bus = CONVERSION_TIME_S[(config >> 6) & 0x7]
        t_current = CONVERSION_TIME_S[(config >> 3) & 0x7]
        return samples * ((t_current if mode & 0x1 else 0.0) + (t_bus if mode & 0x2 else 0.0))

    @property
    def conversion_ready(self) -> bool:
        """Get CVRF; reading Mask/Enable clears it (and AFF in latch mode)."""
        return bool(self.mask_enable & MaskEnable.CVRF)

    def trigger(self, mode: Mode = Mode.CURRENT_BUS_TRIGGERED) -> None:
        """Start one triggered conversion (writing the mode starts it)."""
        check_triggered(mode)
        self.mode = mode

    def wait_conversion(self, timeout_s: float | None = None) -> None:
        """Poll CVRF until a result is ready; raise TimeoutError after ``timeout_s``.

        ``timeout_s`` defaults to twice the configured conversion time plus 10 ms.
        """
        expected = self.conversion_time_s()
        if timeout_s is None:
            timeout_s = 2 * expected + 0.010
        deadline = self.clock.monotonic() + timeout_s
        step = max(expected / 8, 100e-6)
        wait_for_conversion(self, deadline_s=deadline, poll_s=step, timeout_s=timeout_s)

    # -- results in SI units -----------------------------------------------------------
    @property
    def current_a(self) -> float:
        """Measure the current in amperes (signed, 1.25 mA/count)."""
        return self.raw_current * CURRENT_LSB_A

    @property
    def bus_voltage_v(self) -> float:
        """Measure the bus voltage in volts (1.25 mV/count)."""
        return self.raw_bus_voltage * BUS_LSB_V

    @property
    def power_w(self) -> float:
        """Measure the power in watts (10 mW/count)."""
        return self.raw_power * POWER_LSB_W

    def measure(self) -> INA260Reading:
        """Read current, bus voltage and power; raise ReadingOutOfRange on math overflow."""
        with self.bus.lock:
            current = self.raw_current
            bus_v = self.raw_bus_voltage
            power = self.raw_power
            flags = self.mask_enable
        if flags & MaskEnable.OVF:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: math overflow (OVF) in power"
            )
        return INA260Reading(
            bus_voltage_v=bus_v * BUS_LSB_V,
            current_a=current * CURRENT_LSB_A,
            power_w=power * POWER_LSB_W,
        )

    def _shutdown(self) -> None:
        self.raw_mode = Mode.POWER_DOWN
