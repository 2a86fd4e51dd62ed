"""ams TSL2591 high-dynamic-range light sensor (I2C 0x29): illuminance in lux.

Every register access sends the command byte ``0xA0 | reg`` (CMD = 1, normal transaction,
which auto-increments on block reads). Data is little-endian: C0 (full spectrum, visible + IR)
then C1 (infrared), read in one 4-byte block from C0DATAL so both come from the same cycle.

Lux uses the ams preliminary coefficients as the current Adafruit Arduino driver applies them
(``Adafruit_TSL2591.cpp``, issue #14): ``lux = (C0 − C1)·(1 − C1/C0) / CPL`` with
``CPL = ATIME_ms · AGAIN / 408``.

>>> from benchscore.clock import SimClock
>>> from benchscore.sim.i2c import SimI2CBus
>>> from benchscore.sim.chips.tsl2591 import SimTSL2591
>>> bus, clock = SimI2CBus(), SimClock()
>>> _ = bus.attach(0x29, SimTSL2591(clock, source=lambda: 320.0))
>>> with TSL2591(bus, clock=clock) as sensor:
...     round(sensor.illuminance_lx)
320
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, NamedTuple

from benchscore.clock import Clock, RealClock
from drivers.errors import ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.registers import I2CDevice
from drivers.registers8 import ROBits8, ROReg8, RWReg8, read_block
from drivers.waiting import wait_for_avalid

ADDRESS: Final = 0x29
CHIP_ID: Final = 0x50
COMMAND: Final = 0xA0
"""CMD (b7) = 1 with TRANSACTION (b6:5) = 01, normal operation."""

# ENABLE (0x00) bits
PON: Final = 0x01
AEN: Final = 0x02
AIEN: Final = 0x10
NPIEN: Final = 0x80
# STATUS (0x13) bits
AVALID: Final = 0x01
AINT: Final = 0x10
NPINTR: Final = 0x20

LUX_DF: Final = 408.0
"""Device factor in counts-per-lux, ams preliminary (as in Adafruit's TSL2591_LUX_DF)."""
MAX_COUNT_100MS: Final = 36863
"""Saturation count at 100 ms (0x8FFF, Adafruit; the datasheet suggests about 37888)."""
MAX_COUNT: Final = 65535

_READY_MARGIN: Final = 1.1
"""Wait 10 % past the nominal integration time (the internal oscillator has a tolerance)."""
_POLL_S: Final = 0.005


class Gain(IntEnum):
    """CONTROL.AGAIN (bits 5:4), named by the datasheet's gain modes."""

    LOW = 0x00  # 1x
    MEDIUM = 0x10  # 25x
    HIGH = 0x20  # 428x
    MAX = 0x30  # 9876x

    @property
    def factor(self) -> float:
        """Nominal gain multiplier."""
        return _GAIN_FACTOR[self]


_GAIN_FACTOR: Final = {Gain.LOW: 1.0, Gain.MEDIUM: 25.0, Gain.HIGH: 428.0, Gain.MAX: 9876.0}


class IntegrationTime(IntEnum):
    """CONTROL.ATIME (bits 2:0): 100 ms to 600 ms in 100 ms steps."""

    MS_100 = 0
    MS_200 = 1
    MS_300 = 2
    MS_400 = 3
    MS_500 = 4
    MS_600 = 5

    @property
    def ms(self) -> float:
        """Integration time in milliseconds."""
        return 100.0 * (self.value + 1)


def max_count(integration_time: IntegrationTime) -> int:
    """Return the count at which either channel saturates for ``integration_time``."""
    return MAX_COUNT_100MS if integration_time == IntegrationTime.MS_100 else MAX_COUNT


def counts_per_lux(gain: Gain, integration_time: IntegrationTime) -> float:
    """Return CPL = ATIME_ms · AGAIN / 408."""
    return integration_time.ms * gain.factor / LUX_DF


def lux_from_counts(ch0: int, ch1: int, gain: Gain, integration_time: IntegrationTime) -> float:
    """Return lux from full-spectrum ``ch0`` and infrared ``ch1`` counts (0 in the dark)."""
    if ch0 <= 0:
        return 0.0
    lux = (ch0 - ch1) * (1.0 - ch1 / ch0) / counts_per_lux(gain, integration_time)
    return max(lux, 0.0)


class TSL2591Counts(NamedTuple):
    """One ALS cycle: C0 (full spectrum) and C1 (infrared) counts."""

    full_spectrum: int
    infrared: int

    @property
    def visible(self) -> int:
        """Full spectrum minus infrared, in counts."""
        return self.full_spectrum - self.infrared


class TSL2591(I2CDevice):
    """TSL2591 on an :class:`~drivers.i2c.I2CBus`; waits for data on the injected clock.

    Each reading is a fresh ALS cycle: the driver waits until a whole integration time has
    passed since the sensor was enabled (or since the last reading), then polls STATUS.AVALID.
    """

    name = "TSL2591"
    byteorder = "little"
    command_bit = COMMAND

    # Register map (datasheet order)
    enable = RWReg8(0x00)  # PON b0, AEN b1, AIEN b4, NPIEN b7
    control = RWReg8(0x01)  # SRESET b7, AGAIN b5:4, ATIME b2:0
    persist = RWReg8(0x0C)  # APERS b3:0
    package_id = ROReg8(0x11)
    device_id = ROReg8(0x12)  # 0x50
    status = ROReg8(0x13)  # NPINTR b5, AINT b4, AVALID b0
    avalid = ROBits8(0x13, lowest_bit=0)
    C0DATAL: Final = 0x14  # C0 (0x14-0x15), C1 (0x16-0x17): little-endian

    def __init__(
        self,
        bus: I2CBus,
        address: int = ADDRESS,
        *,
        gain: Gain = Gain.MEDIUM,
        integration_time: IntegrationTime = IntegrationTime.MS_100,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(bus, address)
        self.clock: Clock = RealClock() if clock is None else clock
        found = self.device_id
        self._require_id(
            found == CHIP_ID, f"ID register 0x12 reads 0x{found:02X}", f"0x{CHIP_ID:02X}"
        )
        self._gain = Gain(gain)
        self._integration_time = IntegrationTime(integration_time)
        self._ready_at = 0.0
        self.control = self._gain | self._integration_time
        self._start()

    # -- configuration -----------------------------------------------------------------
    @property
    def gain(self) -> Gain:
        """ALS gain."""
        return self._gain

    @gain.setter
    def gain(self, value: Gain) -> None:
        self._configure(Gain(value), self._integration_time)

    @property
    def integration_time(self) -> IntegrationTime:
        """ALS integration time."""
        return self._integration_time

    @integration_time.setter
    def integration_time(self, value: IntegrationTime) -> None:
        self._configure(self._gain, IntegrationTime(value))

    @property
    def integration_time_s(self) -> float:
        """Integration time in seconds."""
        return self._integration_time.ms / 1000.0

    def _configure(self, gain: Gain, integration_time: IntegrationTime) -> None:
        # Stop the ALS so the next cycle starts clean with the new settings (AVALID clears).
        self.enable = PON
        self._gain, self._integration_time = gain, integration_time
        self.control = gain | integration_time
        self._start()

    def _start(self) -> None:
        self.enable = PON | AEN
        self._ready_at = self.clock.monotonic() + self.integration_time_s * _READY_MARGIN

    def _shutdown(self) -> None:
        self.enable = 0x00

    # -- readings ----------------------------------------------------------------------
    def read_counts(self) -> TSL2591Counts:
        """Return the counts of a fresh ALS cycle (no saturation check)."""
        wait_for_avalid(
            self,
            self.clock,
            lambda: self.avalid,
            ready_at=self._ready_at,
            integration_s=self.integration_time_s,
            poll_s=_POLL_S,
        )
        data = read_block(self, self.C0DATAL, 4)
        self._ready_at = self.clock.monotonic() + self.integration_time_s * _READY_MARGIN
        return TSL2591Counts(
            int.from_bytes(data[0:2], "little"), int.from_bytes(data[2:4], "little")
        )

    def check(self, counts: TSL2591Counts) -> TSL2591Counts:
        """Return ``counts``, or raise ReadingOutOfRange when either channel is saturated."""
        limit = max_count(self._integration_time)
        if counts.full_spectrum >= limit or counts.infrared >= limit:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: saturated (C0={counts.full_spectrum}, "
                f"C1={counts.infrared}, limit {limit} at gain {self._gain.name}, "
                f"{self._integration_time.ms:g} ms); lower the gain or integration time"
            )
        return counts

    @property
    def illuminance_lx(self) -> float:
        """Measure illuminance in lux (one fresh ALS cycle)."""
        counts = self.check(self.read_counts())
        return lux_from_counts(
            counts.full_spectrum, counts.infrared, self._gain, self._integration_time
        )
