"""TI INA226 current, voltage and power monitor (I2C, 16-bit registers, MSB first).

Register map and equations from TI SBOS547. Raw registers are ``raw_*`` counts; scaled values
carry SI units in their names (``current_a``, ``bus_voltage_v``). Example::

    ina = INA226(bus, 0x40, shunt_ohm=0.002, max_current_a=15.0, current_lsb_a=0.001)
    ina.configure(avg=AveragingCount.COUNT_16, mode=Mode.SHUNT_BUS_TRIGGERED)
    reading = ina.read()  # triggers one conversion, waits for it on the clock
    print(reading.current_a, reading.bus_voltage_v)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError
from drivers.i2c import I2CBus
from drivers.ina2xx import AVERAGING_SAMPLES, CONVERSION_TIME_S, AveragingCount, ConversionTime
from drivers.registers import I2CDevice, ROBits16, ROReg16, RWReg16
from drivers.waiting import poll_until

_CONFIG: Final = 0x00
_SHUNT_VOLTAGE: Final = 0x01
_BUS_VOLTAGE: Final = 0x02
_POWER: Final = 0x03
_CURRENT: Final = 0x04
_CALIBRATION: Final = 0x05
_MASK_ENABLE: Final = 0x06
_ALERT_LIMIT: Final = 0x07
_MANUFACTURER_ID: Final = 0xFE
_DIE_ID: Final = 0xFF

MANUFACTURER_ID: Final = 0x5449
"""Manufacturer ID register value ("TI")."""
DIE_ID: Final = 0x2260
"""Die ID register value of the INA226."""

SHUNT_LSB_V: Final = 2.5e-6
"""Shunt voltage register LSB in volts (full scale +/-81.92 mV)."""
BUS_LSB_V: Final = 1.25e-3
"""Bus voltage register LSB in volts."""
POWER_LSB_FACTOR: Final = 25
"""Power register LSB = 25 x current LSB."""
CAL_SCALE: Final = 0.00512
"""CAL = 0.00512 / (current_lsb_a * shunt_ohm) (SBOS547 equation 1)."""
SHUNT_FULL_SCALE_V: Final = 32768 * SHUNT_LSB_V

_CONFIG_RST: Final = 0x8000
_CONFIG_RESERVED: Final = 0x4000  # bits 14:12 read 100b
_AVG_SHIFT: Final = 9
_VBUSCT_SHIFT: Final = 6
_VSHCT_SHIFT: Final = 3
_FIELD3: Final = 0b111
_CVRF: Final = 1 << 3


class Mode(IntEnum):
    """Config MODE (bits 2:0). Code 4 is also power-down; it reads back as POWER_DOWN."""

    POWER_DOWN = 0
    SHUNT_TRIGGERED = 1
    BUS_TRIGGERED = 2
    SHUNT_BUS_TRIGGERED = 3
    SHUNT_CONTINUOUS = 5
    BUS_CONTINUOUS = 6
    SHUNT_BUS_CONTINUOUS = 7  # power-on default

    @property
    def is_triggered(self) -> bool:
        """Get whether each conversion must be started by a config write."""
        return 1 <= self.value <= 3

    @property
    def is_continuous(self) -> bool:
        """Get whether the chip converts continuously."""
        return self.value >= 5


def _mode_from_code(code: int) -> Mode:
    return Mode.POWER_DOWN if code == 4 else Mode(code)


def conversion_time_from_config(config: int) -> float:
    """Return seconds for one full result of a config word: (t_bus + t_shunt) x AVG."""
    avg = AVERAGING_SAMPLES[(config >> _AVG_SHIFT) & _FIELD3]
    t_bus = CONVERSION_TIME_S[(config >> _VBUSCT_SHIFT) & _FIELD3]
    t_shunt = CONVERSION_TIME_S[(config >> _VSHCT_SHIFT) & _FIELD3]
    return (t_bus + t_shunt) * avg


class ConversionTimeout(DriverError, TimeoutError):
    """A triggered conversion did not report ready (CVRF) in time."""


@dataclass(frozen=True, slots=True)
class INA226Reading:
    """One coherent set of INA226 results in SI units."""

    bus_voltage_v: float
    shunt_voltage_v: float
    current_a: float
    power_w: float


class INA226(I2CDevice):
    """TI INA226 on an :class:`I2CBus`; calibrated for a shunt at construction.

    Verifies the manufacturer and die IDs (``check_id``), then writes the calibration. The
    configuration is left as found (power-on default: continuous shunt and bus, 1.1 ms, AVG 1).
    """

    name = "INA226"
    byteorder = "big"

    # Register map, SBOS547 table 7-3 (pointer, access, contents).
    config = RWReg16(_CONFIG)  # 00h R/W: RST | 100b | AVG | VBUSCT | VSHCT | MODE
    raw_shunt_voltage = ROReg16(_SHUNT_VOLTAGE, signed=True)  # 01h R: 2.5 uV/LSB
    raw_bus_voltage = ROReg16(_BUS_VOLTAGE)  # 02h R: 1.25 mV/LSB, bits 14:0
    raw_power = ROReg16(_POWER)  # 03h R: 25 x current LSB
    raw_current = ROReg16(_CURRENT, signed=True)  # 04h R: current LSB
    raw_calibration = RWReg16(_CALIBRATION)  # 05h R/W: CAL, bits 14:0
    mask_enable = RWReg16(_MASK_ENABLE)  # 06h R/W: alert functions and flags
    _cvrf = ROBits16(_MASK_ENABLE, lowest_bit=3)  # 06h bit 3: conversion ready
    _ovf = ROBits16(_MASK_ENABLE, lowest_bit=2)  # 06h bit 2: math overflow
    alert_limit = RWReg16(_ALERT_LIMIT)  # 07h R/W: compared by the alert function
    manufacturer_id = ROReg16(_MANUFACTURER_ID)  # FEh R: 0x5449
    die_id = ROReg16(_DIE_ID)  # FFh R: 0x2260

    def __init__(
        self,
        bus: I2CBus,
        address: int = 0x40,
        *,
        shunt_ohm: float,
        max_current_a: float,
        current_lsb_a: float | None = None,
        clock: Clock | None = None,
        check_id: bool = True,
    ) -> None:
        super().__init__(bus, address)
        self.clock: Clock = clock if clock is not None else RealClock()
        self._shunt_ohm = shunt_ohm
        self._max_current_a = max_current_a
        self._requested_lsb_a = current_lsb_a
        self._current_lsb_a = 0.0
        if check_id:
            self._check_id()
        self.calibrate(shunt_ohm, max_current_a, current_lsb_a)

    def _check_id(self) -> None:
        manufacturer, die = self.manufacturer_id, self.die_id
        self._require_id(
            (manufacturer, die) == (MANUFACTURER_ID, DIE_ID),
            f"read manufacturer id 0x{manufacturer:04X} and die id 0x{die:04X}",
            f"0x{MANUFACTURER_ID:04X} and 0x{DIE_ID:04X}",
        )

    # -- calibration and configuration ---------------------------------------------------
    def calibrate(
        self, shunt_ohm: float, max_current_a: float, current_lsb_a: float | None = None
    ) -> int:
        """Write CAL for a shunt and the largest current to measure; return CAL.

        ``current_lsb_a`` defaults to ``max_current_a / 32768`` (the finest allowed). Raises
        ValueError, writing nothing, if the shunt voltage at ``max_current_a`` exceeds the
        +/-81.92 mV input range, the LSB cannot represent ``max_current_a``, or CAL does not
        fit its 15 bits.
        """
        if not shunt_ohm > 0 or not max_current_a > 0:
            raise ValueError(
                f"{self.name}: shunt_ohm ({shunt_ohm}) and max_current_a ({max_current_a})"
                " must be positive"
            )
        if max_current_a * shunt_ohm > SHUNT_FULL_SCALE_V * (1 + 1e-9):
            raise ValueError(
                f"{self.name}: {max_current_a} A through {shunt_ohm} ohm is"
                f" {max_current_a * shunt_ohm * 1e3:.2f} mV, over the 81.92 mV shunt range"
            )
        min_lsb = max_current_a / 32768
        lsb = min_lsb if current_lsb_a is None else current_lsb_a
        if not lsb >= min_lsb * (1 - 1e-9):
            raise ValueError(
                f"{self.name}: current LSB {lsb} A cannot hold {max_current_a} A in 15 bits"
                f" (at least {min_lsb} A)"
            )
        # The epsilon keeps an exact ratio (512.0 computed as 511.9999...) from truncating down.
        cal = math.floor(CAL_SCALE / (lsb * shunt_ohm) * (1 + 1e-12))
        if not 1 <= cal <= 0x7FFF:
            raise ValueError(
                f"{self.name}: CAL {cal} for {shunt_ohm} ohm at {lsb} A/bit does not fit 15 bits"
            )
        self.raw_calibration = cal
        self._shunt_ohm, self._max_current_a = shunt_ohm, max_current_a
        self._requested_lsb_a, self._current_lsb_a = current_lsb_a, lsb
        return cal

    def configure(
        self,
        *,
        avg: AveragingCount | int | None = None,
        bus_conversion: ConversionTime | int | None = None,
        shunt_conversion: ConversionTime | int | None = None,
        mode: Mode | int | None = None,
    ) -> int:
        """Write the configuration register in one transaction; return the word written.

        Fields left as None keep their current value (one extra register read).
        """
        fields = (
            None if avg is None else AveragingCount(avg),
            None if bus_conversion is None else ConversionTime(bus_conversion),
            None if shunt_conversion is None else ConversionTime(shunt_conversion),
            None if mode is None else Mode(mode),
        )
        word = _CONFIG_RESERVED if None not in fields else self.config & ~_CONFIG_RST
        for value, shift in zip(fields, (_AVG_SHIFT, _VBUSCT_SHIFT, _VSHCT_SHIFT, 0), strict=True):
            if value is not None:
                word = (word & ~(_FIELD3 << shift)) | (int(value) << shift)
        self.config = word
        return word

    def reset(self) -> None:
        """Reset every register (RST bit), then write the calibration again (reset zeroes CAL)."""
        self.config = _CONFIG_RST
        self.calibrate(self._shunt_ohm, self._max_current_a, self._requested_lsb_a)

    @property
    def averaging(self) -> AveragingCount:
        """Get the averaging count from the configuration register."""
        return AveragingCount((self.config >> _AVG_SHIFT) & _FIELD3)

    @property
    def bus_conversion_time(self) -> ConversionTime:
        """Get the bus voltage conversion time."""
        return ConversionTime((self.config >> _VBUSCT_SHIFT) & _FIELD3)

    @property
    def shunt_conversion_time(self) -> ConversionTime:
        """Get the shunt voltage conversion time."""
        return ConversionTime((self.config >> _VSHCT_SHIFT) & _FIELD3)

    @property
    def mode(self) -> Mode:
        """Get the operating mode."""
        return _mode_from_code(self.config & _FIELD3)

    @property
    def conversion_time_s(self) -> float:
        """Get the time in seconds for one full result: (t_bus + t_shunt) x AVG."""
        return conversion_time_from_config(self.config)

    # -- scaled values ---------------------------------------------------------------------
    @property
    def current_lsb_a(self) -> float:
        """Get the current register LSB in amperes (as calibrated)."""
        return self._current_lsb_a

    @property
    def shunt_voltage_v(self) -> float:
        """Measure the shunt voltage in volts (latest result)."""
        return self.raw_shunt_voltage * SHUNT_LSB_V

    @property
    def bus_voltage_v(self) -> float:
        """Measure the bus voltage (IN- or VBUS to GND) in volts (latest result)."""
        return self.raw_bus_voltage * BUS_LSB_V

    @property
    def current_a(self) -> float:
        """Measure the current in amperes (latest result; 0 while CAL is 0)."""
        return self.raw_current * self._current_lsb_a

    @property
    def power_w(self) -> float:
        """Measure the power in watts (latest result; 0 while CAL is 0)."""
        return self.raw_power * (POWER_LSB_FACTOR * self._current_lsb_a)

    @property
    def conversion_ready(self) -> bool:
        """Get CVRF: a result finished since Mask/Enable was last read (reading clears it)."""
        return bool(self._cvrf)

    @property
    def math_overflow(self) -> bool:
        """Get OVF: the current or power math overflowed (reading Mask/Enable clears CVRF)."""
        return bool(self._ovf)

    # -- one measurement ---------------------------------------------------------------------
    def read(self) -> INA226Reading:
        """Measure bus voltage, shunt voltage, current and power as one reading.

        In a triggered mode this starts a conversion (config write), sleeps the conversion time
        on the clock and polls CVRF, raising :class:`ConversionTimeout` if it never sets. In a
        continuous mode it reads the latest results. When powered down (e.g. left so by a
        previous ``close()``) it switches to SHUNT_BUS_TRIGGERED and triggers, as above.
        """
        if self._closed:
            raise DriverError(f"{self.name} at 0x{self.address:02X} is closed")
        config = self.config & ~_CONFIG_RST
        mode = _mode_from_code(config & _FIELD3)
        if mode is Mode.POWER_DOWN:  # e.g. after a previous close(): one single-shot reading
            config = (config & ~_FIELD3) | Mode.SHUNT_BUS_TRIGGERED
            mode = Mode.SHUNT_BUS_TRIGGERED
        if mode.is_triggered:
            self.config = config  # a config write starts one conversion
            self._wait_ready(conversion_time_from_config(config))
        return INA226Reading(
            bus_voltage_v=self.bus_voltage_v,
            shunt_voltage_v=self.shunt_voltage_v,
            current_a=self.current_a,
            power_w=self.power_w,
        )

    def _wait_ready(self, conversion_s: float) -> None:
        start = self.clock.monotonic()
        self.clock.sleep(conversion_s)
        # The internal oscillator is within a few percent; allow twice the nominal time.
        deadline = start + max(2 * conversion_s, conversion_s + 0.01)
        poll_until(
            self.clock,
            lambda: self.conversion_ready,
            deadline_s=deadline,
            poll_s=max(conversion_s / 20, 100e-6),
            timeout=lambda: ConversionTimeout(
                f"{self.name} at 0x{self.address:02X}: no conversion ready (CVRF) within"
                f" {deadline - start:.4f} s of the trigger"
            ),
            inclusive=True,
        )

    def _shutdown(self) -> None:
        self.config = self.config & ~(_CONFIG_RST | _FIELD3)  # MODE 000: power-down
