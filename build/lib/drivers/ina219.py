"""TI INA219 current/power monitor (SBOS448) over :class:`drivers.i2c.I2CBus`.

The register map below reads like the datasheet table. Raw registers are ``raw_*`` counts;
the scaled properties carry SI units (``current_a``, ``bus_voltage_v``, ``power_w``).
Current and power need the calibration register, which :meth:`INA219.calibrate` computes
once from the shunt resistance and the largest expected current. A load transient can reset
the chip and zero the calibration, so, like Adafruit and Linux hwmon, the driver writes the
calibration again before each current or power read.

Example::

    ina = INA219(bus, 0x40)
    ina.calibrate(shunt_ohm=0.1, max_current_a=3.2)   # 100 uA/bit, Cal 4096, 2 mW/bit
    print(ina.bus_voltage_v, ina.current_a, ina.power_w)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError, ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.ina2xx import check_triggered, wait_for_conversion
from drivers.registers import I2CDevice, ROBits16, ROReg16, RWBits16, RWEnumBits16, RWReg16

__all__ = [
    "INA219",
    "ADCResolution",
    "BusRange",
    "Calibration",
    "Gain",
    "INA219Reading",
    "Mode",
    "calibration_for",
]

_REG_CONFIG: Final = 0x00
_REG_SHUNT_VOLTAGE: Final = 0x01
_REG_BUS_VOLTAGE: Final = 0x02
_REG_POWER: Final = 0x03
_REG_CURRENT: Final = 0x04
_REG_CALIBRATION: Final = 0x05

CONFIG_RESET: Final = 0x399F
SHUNT_LSB_V: Final = 10e-6
"""Shunt voltage register LSB, whatever the PGA setting."""
BUS_LSB_V: Final = 4e-3
"""Bus voltage LSB (register bits 15:3)."""
CAL_SCALE: Final = 0.04096
"""Cal = trunc(0.04096 / (Current_LSB * R_shunt)) (SBOS448 equation 1)."""
POWER_LSB_PER_CURRENT_LSB: Final = 20


class BusRange(IntEnum):
    """Bus voltage full scale (config bit 13, BRNG)."""

    RANGE_16V = 0
    RANGE_32V = 1  # reset value; the pins are rated to 26 V


class Gain(IntEnum):
    """Shunt PGA gain and range (config bits 12:11, PG)."""

    DIV_1_40MV = 0
    DIV_2_80MV = 1
    DIV_4_160MV = 2
    DIV_8_320MV = 3  # reset value


GAIN_FULL_SCALE_V: Final[tuple[float, ...]] = (0.040, 0.080, 0.160, 0.320)
"""Shunt full scale in volts, indexed by :class:`Gain`."""


class ADCResolution(IntEnum):
    """Bus and shunt ADC resolution or averaging (config bits 10:7 BADC, 6:3 SADC)."""

    ADCRES_9BIT_1S = 0x0  # 84 us
    ADCRES_10BIT_1S = 0x1  # 148 us
    ADCRES_11BIT_1S = 0x2  # 276 us
    ADCRES_12BIT_1S = 0x3  # 532 us (reset value)
    ADCRES_12BIT_1S_ALT = 0x8  # 532 us, same as 0x3
    ADCRES_12BIT_2S = 0x9  # 1.06 ms
    ADCRES_12BIT_4S = 0xA  # 2.13 ms
    ADCRES_12BIT_8S = 0xB  # 4.26 ms
    ADCRES_12BIT_16S = 0xC  # 8.51 ms
    ADCRES_12BIT_32S = 0xD  # 17.02 ms
    ADCRES_12BIT_64S = 0xE  # 34.05 ms
    ADCRES_12BIT_128S = 0xF  # 68.10 ms


_CONVERSION_TIME_S: Final[dict[int, float]] = {
    0x0: 84e-6,
    0x1: 148e-6,
    0x2: 276e-6,
    0x3: 532e-6,
    0x4: 532e-6,
    0x5: 532e-6,
    0x6: 532e-6,
    0x7: 532e-6,
    0x8: 532e-6,
    0x9: 1.06e-3,
    0xA: 2.13e-3,
    0xB: 4.26e-3,
    0xC: 8.51e-3,
    0xD: 17.02e-3,
    0xE: 34.05e-3,
    0xF: 68.10e-3,
}


def conversion_time_s(code: int) -> float:
    """Return the conversion time in seconds of one BADC/SADC code (SBOS448 table 5)."""
    return _CONVERSION_TIME_S[code & 0xF]


class Mode(IntEnum):
    """Operating mode (config bits 2:0)."""

    POWER_DOWN = 0
    SHUNT_TRIGGERED = 1
    BUS_TRIGGERED = 2
    SHUNT_BUS_TRIGGERED = 3
    ADC_OFF = 4
    SHUNT_CONTINUOUS = 5
    BUS_CONTINUOUS = 6
    SHUNT_BUS_CONTINUOUS = 7  # reset value


@dataclass(frozen=True)
class Calibration:
    """Calibration register value and the scales it implies."""

    register: int
    """Value for register 05h (bit 0 is always 0)."""
    current_lsb_a: float
    """Amperes per count of the Current register, from the truncated register value."""
    power_lsb_w: float
    """Watts per count of the Power register (20 x current LSB)."""
    gain: Gain
    """Smallest PGA range that holds ``max_current_a * shunt_ohm``."""
    shunt_ohm: float


def _round_up_125(value: float) -> float:
    """Round ``value`` up to the next 1, 2 or 5 times a power of ten."""
    exponent = math.floor(math.log10(value))
    for mantissa, shift in ((1, 0), (2, 0), (5, 0), (1, 1)):
        candidate = float(f"{mantissa}e{exponent + shift}")  # exact decimal, no 1e-4 drift
        if candidate >= value * (1 - 1e-12):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def calibration_for(
    shunt_ohm: float, max_current_a: float, current_lsb_a: float | None = None
) -> Calibration:
    """Compute the INA219 calibration for a shunt in ohms and a largest current in amperes.

    ``current_lsb_a`` defaults to ``max_current_a / 2**15`` rounded up to 1, 2 or 5 times a
    power of ten (0.1 ohm and 3.2 A give 100 uA/bit, Cal 4096 and 2 mW/bit).
    """
    if shunt_ohm <= 0 or max_current_a <= 0:
        raise ValueError("shunt_ohm and max_current_a must be positive")
    min_lsb = max_current_a / 32767
    if current_lsb_a is None:
        current_lsb_a = _round_up_125(max_current_a / 32768)
    if current_lsb_a < min_lsb * (1 - 1e-9):
        raise ValueError(
            f"current_lsb_a {current_lsb_a} A is below max_current_a/32767 = {min_lsb:.3g} A: "
            "the Current register would overflow"
        )
    max_shunt_v = max_current_a * shunt_ohm
    gain = next((g for g in Gain if GAIN_FULL_SCALE_V[g] >= max_shunt_v * (1 - 1e-9)), None)
    if gain is None:
        raise ValueError(
            f"{max_current_a} A through {shunt_ohm} ohm is {max_shunt_v * 1e3:.0f} mV, "
            "above the 320 mV shunt range"
        )
    # trunc() as the datasheet says; the tiny factor keeps 4095.9999999 from float division
    # (0.04096 / (1e-4 * 0.1)) at the 4096 it is on paper.
    exact = math.trunc(CAL_SCALE / (current_lsb_a * shunt_ohm) * (1 + 1e-12))
    if not 2 <= exact <= 0xFFFF:
        raise ValueError(f"calibration {exact} does not fit 2..65534: choose another current_lsb_a")
    register = exact & 0xFFFE  # bit 0 (FS0) is void
    effective_lsb = CAL_SCALE / (register * shunt_ohm)
    return Calibration(
        register=register,
        current_lsb_a=effective_lsb,
        power_lsb_w=POWER_LSB_PER_CURRENT_LSB * effective_lsb,
        gain=gain,
        shunt_ohm=shunt_ohm,
    )


@dataclass(frozen=True)
class INA219Reading:
    """One coherent set of INA219 results in SI units."""

    bus_voltage_v: float
    shunt_voltage_v: float
    current_a: float
    power_w: float


class INA219(I2CDevice):
    """TI INA219 bidirectional current/power monitor (address 0x40..0x4F)."""

    name = "INA219"

    config = RWReg16(_REG_CONFIG)
    reset_bit = RWBits16(_REG_CONFIG, lowest_bit=15)
    raw_bus_range = RWBits16(_REG_CONFIG, lowest_bit=13)
    raw_gain = RWBits16(_REG_CONFIG, lowest_bit=11, width=2)
    raw_bus_adc = RWBits16(_REG_CONFIG, lowest_bit=7, width=4)
    raw_shunt_adc = RWBits16(_REG_CONFIG, lowest_bit=3, width=4)
    raw_mode = RWBits16(_REG_CONFIG, lowest_bit=0, width=3)
    raw_shunt_voltage = ROReg16(_REG_SHUNT_VOLTAGE, signed=True)
    raw_bus_register = ROReg16(_REG_BUS_VOLTAGE)
    raw_bus_voltage = ROBits16(_REG_BUS_VOLTAGE, lowest_bit=3, width=13)
    conversion_ready_bit = ROBits16(_REG_BUS_VOLTAGE, lowest_bit=1)
    overflow_bit = ROBits16(_REG_BUS_VOLTAGE, lowest_bit=0)
    raw_power = ROReg16(_REG_POWER)
    raw_current = ROReg16(_REG_CURRENT, signed=True)
    raw_calibration = RWReg16(_REG_CALIBRATION)

    bus_range = RWEnumBits16(_REG_CONFIG, lowest_bit=13, enum=BusRange)
    """Control the bus voltage range."""
    gain = RWEnumBits16(_REG_CONFIG, lowest_bit=11, width=2, enum=Gain)
    """Control the shunt PGA gain."""
    bus_adc = RWEnumBits16(_REG_CONFIG, lowest_bit=7, width=4, enum=ADCResolution)
    """Control the bus ADC resolution/averaging."""
    shunt_adc = RWEnumBits16(_REG_CONFIG, lowest_bit=3, width=4, enum=ADCResolution)
    """Control the shunt ADC resolution/averaging."""
    mode = RWEnumBits16(_REG_CONFIG, lowest_bit=0, width=3, enum=Mode)
    """Control the operating mode."""

    def __init__(self, bus: I2CBus, address: int = 0x40, *, clock: Clock | None = None) -> None:
        if not 0x40 <= address <= 0x4F:
            raise ValueError(f"INA219 address 0x{address:02X} outside 0x40..0x4F")
        super().__init__(bus, address)
        self.clock: Clock = clock if clock is not None else RealClock()
        self.calibration: Calibration | None = None

    # -- configuration -----------------------------------------------------------------
    def reset(self) -> None:
        """Reset every register to its power-on value (calibration becomes 0)."""
        self.write_u16(_REG_CONFIG, 0x8000 | CONFIG_RESET)
        self.calibration = None

    def configure(
        self,
        *,
        bus_range: BusRange = BusRange.RANGE_32V,
        gain: Gain | None = None,
        bus_adc: ADCResolution = ADCResolution.ADCRES_12BIT_1S,
        shunt_adc: ADCResolution = ADCResolution.ADCRES_12BIT_1S,
        mode: Mode = Mode.SHUNT_BUS_CONTINUOUS,
    ) -> None:
        """Write the whole configuration register in one transaction.

        ``gain=None`` keeps the gain chosen by :meth:`calibrate` (or /8, 320 mV, before it).
        """
        if gain is None:
            gain = self.calibration.gain if self.calibration else Gain.DIV_8_320MV
        value = (
            (int(bus_range) << 13)
            | (int(gain) << 11)
            | (int(bus_adc) << 7)
            | (int(shunt_adc) << 3)
            | int(mode)
        )
        self.write_u16(_REG_CONFIG, value)

    def calibrate(
        self, shunt_ohm: float, max_current_a: float, current_lsb_a: float | None = None
    ) -> Calibration:
        """Set the PGA range and the calibration register for a shunt in ohms.

        See :func:`calibration_for` for the arithmetic; returns what was written.
        """
        cal = calibration_for(shunt_ohm, max_current_a, current_lsb_a)
        with self.bus.lock:
            self.raw_gain = cal.gain
            self.raw_calibration = cal.register
        self.calibration = cal
        return cal

    # -- status ------------------------------------------------------------------------
    @property
    def conversion_ready(self) -> bool:
        """Get CNVR: a conversion finished since Power was last read or Config written."""
        return bool(self.conversion_ready_bit)

    @property
    def math_overflow(self) -> bool:
        """Get OVF: the current or power arithmetic overflowed."""
        return bool(self.overflow_bit)

    def conversion_time_s(self) -> float:
        """Return the time in seconds one triggered conversion of the current mode takes."""
        config = self.config
        mode = config & 0x7
        t_bus = conversion_time_s((config >> 7) & 0xF)
        t_shunt = conversion_time_s((config >> 3) & 0xF)
        return (t_shunt if mode & 0x1 else 0.0) + (t_bus if mode & 0x2 else 0.0)

    def trigger(self, mode: Mode = Mode.SHUNT_BUS_TRIGGERED) -> None:
        """Start one triggered conversion (writing the mode starts it)."""
        check_triggered(mode)
        self.mode = mode

    def wait_conversion(self, timeout_s: float = 0.5) -> None:
        """Poll CNVR until a conversion is ready; raise TimeoutError after ``timeout_s``."""
        deadline = self.clock.monotonic() + timeout_s
        step = max(self.conversion_time_s() / 4, 50e-6)
        wait_for_conversion(self, deadline_s=deadline, poll_s=step, timeout_s=timeout_s)

    # -- results in SI units -----------------------------------------------------------
    @property
    def shunt_voltage_v(self) -> float:
        """Measure the shunt voltage in volts (10 uV/count)."""
        return self.raw_shunt_voltage * SHUNT_LSB_V

    @property
    def bus_voltage_v(self) -> float:
        """Measure the bus voltage in volts (4 mV/count, bits 15:3)."""
        return self.raw_bus_voltage * BUS_LSB_V

    def _calibrated(self) -> Calibration:
        if self.calibration is None:
            raise DriverError(
                f"{self.name} at 0x{self.address:02X}: call calibrate() before reading "
                "current or power"
            )
        # A transient can reset the chip and zero Cal: write it again (Adafruit, hwmon).
        self.raw_calibration = self.calibration.register
        return self.calibration

    @property
    def current_a(self) -> float:
        """Measure the current in amperes (signed; needs :meth:`calibrate`)."""
        with self.bus.lock:
            cal = self._calibrated()
            return self.raw_current * cal.current_lsb_a

    @property
    def power_w(self) -> float:
        """Measure the power in watts (needs :meth:`calibrate`; reading clears CNVR)."""
        with self.bus.lock:
            cal = self._calibrated()
            return self.raw_power * cal.power_lsb_w

    def measure(self) -> INA219Reading:
        """Read bus, shunt, current and power; raise ReadingOutOfRange if any is invalid.

        Invalid means the shunt voltage sits at the PGA limit (clipped) or the chip flagged
        a math overflow.
        """
        with self.bus.lock:
            cal = self._calibrated()
            gain = Gain((self.config >> 11) & 0x3)
            bus_reg = self.raw_bus_register
            shunt = self.raw_shunt_voltage
            current = self.raw_current
            power = self.raw_power
        where = f"{self.name} at 0x{self.address:02X}"
        if bus_reg & 0x1:
            raise ReadingOutOfRange(f"{where}: math overflow (OVF) in current or power")
        limit = round(GAIN_FULL_SCALE_V[gain] / SHUNT_LSB_V)
        if abs(shunt) >= limit:
            raise ReadingOutOfRange(
                f"{where}: shunt voltage {shunt * SHUNT_LSB_V * 1e3:.2f} mV is at the "
                f"{GAIN_FULL_SCALE_V[gain] * 1e3:.0f} mV PGA limit"
            )
        return INA219Reading(
            bus_voltage_v=(bus_reg >> 3) * BUS_LSB_V,
            shunt_voltage_v=shunt * SHUNT_LSB_V,
            current_a=current * cal.current_lsb_a,
            power_w=power * cal.power_lsb_w,
        )

    def _shutdown(self) -> None:
        self.raw_mode = Mode.POWER_DOWN
