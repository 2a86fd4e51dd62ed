"""ams TCS34725 RGBC colour sensor (I2C 0x29): raw RGBC counts, DN40 lux and CCT.

Single registers are reached with the command byte ``0x80 | reg`` (repeated-byte protocol);
the eight data bytes (C, R, G, B, each little-endian) are read in one block with ``0xA0 | reg``
(auto-increment), so all four channels come from the same cycle.

Lux and CCT follow ams DN40 as Adafruit implements it (``_temperature_and_lux_dn40``):

1. ``SAT = 65535`` if (256 − ATIME) > 63 else ``1024·(256 − ATIME)``, less 25 % (ripple)
   when ATIME_ms < 150; a sample with C ≥ SAT is invalid;
2. ``IR = (R + G + B − C)/2`` if R + G + B > C else 0; R' = R − IR, G' = G − IR, B' = B − IR;
3. ``G1 = 0.136·R' + 1.000·G' − 0.444·B'``, ``CPL = ATIME_ms·AGAIN/(GA·310)``, lux = G1/CPL;
4. ``CCT = 3810·B'/R' + 1391``.

>>> from benchscore.clock import SimClock
>>> from benchscore.sim.i2c import SimI2CBus
>>> from benchscore.sim.chips.tcs34725 import SimTCS34725
>>> from benchscore.sim.light import LightSpec
>>> bus, clock = SimI2CBus(), SimClock()
>>> _ = bus.attach(0x29, SimTCS34725(clock, source=lambda: LightSpec(400.0, 3000.0)))
>>> with TCS34725(bus, clock=clock) as sensor:
...     reading = sensor.read()
>>> round(reading.illuminance_lx), round(reading.cct_k or 0, -2)
(400, 3000.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from benchscore.analysis import photometry
from benchscore.clock import Clock, RealClock
from drivers.errors import ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.registers import I2CDevice
from drivers.registers8 import ROBits8, ROReg8, RWReg8, read_block
from drivers.waiting import wait_for_avalid

ADDRESS: Final = 0x29
CHIP_IDS: Final = frozenset({0x44, 0x4D, 0x10})
"""0x44 TCS34721/5, 0x4D TCS34723/7; Adafruit also accepts 0x10."""
COMMAND: Final = 0x80
"""CMD (b7) with TYPE (b6:5) = 00: repeated byte."""
COMMAND_AUTO_INCREMENT: Final = 0xA0
"""CMD with TYPE = 01: auto-increment, for block reads."""

# ENABLE (0x00) bits
PON: Final = 0x01
AEN: Final = 0x02
WEN: Final = 0x08
AIEN: Final = 0x10
# STATUS (0x13) bits
AVALID: Final = 0x01
AINT: Final = 0x10

CYCLE_MS: Final = 2.4
"""One integration cycle; also the warm-up after PON."""
# DN40 coefficients (Appendix I, Table 1, as Adafruit uses them), from the shared analysis
DN40_DF: Final = photometry.DN40_DEVICE_FACTOR
DN40_R: Final = photometry.DN40_R_COEF
DN40_G: Final = photometry.DN40_G_COEF
DN40_B: Final = photometry.DN40_B_COEF
DN40_CT: Final = photometry.DN40_CT_COEF_K
DN40_CT_OFFSET: Final = photometry.DN40_CT_OFFSET_K

_MARGIN: Final = 1.1
_POLL_S: Final = 0.005


class Gain(IntEnum):
    """CONTROL.AGAIN (bits 1:0)."""

    X1 = 0
    X4 = 1
    X16 = 2
    X60 = 3

    @property
    def factor(self) -> float:
        """Gain multiplier."""
        return _GAIN_FACTOR[self]


_GAIN_FACTOR: Final = {Gain.X1: 1.0, Gain.X4: 4.0, Gain.X16: 16.0, Gain.X60: 60.0}


class IntegrationTime(IntEnum):
    """ATIME register values: integration = 2.4 ms × (256 − ATIME)."""

    MS_2_4 = 0xFF  # 1 cycle
    MS_24 = 0xF6  # 10 cycles
    MS_50 = 0xEB  # 21 cycles, 50.4 ms
    MS_101 = 0xD6  # 42 cycles, 100.8 ms
    MS_154 = 0xC0  # 64 cycles, 153.6 ms
    MS_307 = 0x80  # 128 cycles, 307.2 ms
    MS_614 = 0x00  # 256 cycles

    @property
    def cycles(self) -> int:
        """Number of 2.4 ms integration cycles."""
        return 256 - self.value

    @property
    def ms(self) -> float:
        """Integration time in milliseconds."""
        return CYCLE_MS * self.cycles


def dn40_saturation(atime: int) -> float:
    """Return the DN40 clear-channel limit for ATIME (with the 25 % ripple allowance)."""
    cycles = 256 - atime
    sat = 65535.0 if cycles > 63 else 1024.0 * cycles
    if CYCLE_MS * cycles < 150.0:
        sat -= sat / 4.0
    return sat


@dataclass(frozen=True)
class ColourCounts:
    """One RGBC sample with the settings it was taken at, for the shared colour analysis."""

    clear: int
    red: int
    green: int
    blue: int
    atime: int
    gain: float

    @property
    def integration_time_ms(self) -> float:
        """Integration time in milliseconds."""
        return CYCLE_MS * (256 - self.atime)

    @property
    def saturated(self) -> bool:
        """True when the clear channel is at or above the DN40 limit."""
        return self.clear >= dn40_saturation(self.atime)


@dataclass(frozen=True)
class ColourReading:
    """DN40 illuminance and CCT from one sample, with the sample."""

    counts: ColourCounts
    illuminance_lx: float
    cct_k: float | None
    """None when undefined (no red signal left after the IR correction)."""


def dn40(counts: ColourCounts, glass_attenuation: float = 1.0) -> tuple[float, float | None]:
    """Return (lux, CCT in K) of ``counts`` by ams DN40; CCT is None when undefined.

    CCT is undefined when no red signal is left after the IR correction (dark, or not white
    light). Raises ReadingOutOfRange when the sample is saturated.
    """
    if counts.saturated:
        raise ReadingOutOfRange(
            f"clear channel {counts.clear} at or above the DN40 limit "
            f"{dn40_saturation(counts.atime):.0f}"
        )
    result = photometry.tcs34725_dn40(
        counts.red,
        counts.green,
        counts.blue,
        counts.clear,
        integration_time_ms=counts.integration_time_ms,
        gain=counts.gain,
        glass_attenuation=glass_attenuation,
    )
    cct = float(result.cct_k)
    return max(float(result.illuminance_lx), 0.0), None if math.isnan(cct) else cct


class TCS34725(I2CDevice):
    """TCS34725 on an :class:`~drivers.i2c.I2CBus`; waits for data on the injected clock.

    ``glass_attenuation`` is DN40's GA (1/transmission of any cover glass; 1 with none).
    Each reading is a fresh RGBC cycle: the driver waits a whole integration time since the
    sensor was enabled (or since the last reading), then polls STATUS.AVALID.
    """

    name = "TCS34725"
    byteorder = "little"
    command_bit = COMMAND

    # Register map (datasheet order)
    enable = RWReg8(0x00)  # AIEN b4, WEN b3, AEN b1, PON b0
    atime = RWReg8(0x01)  # integration 2.4 ms × (256 − ATIME)
    wtime = RWReg8(0x03)  # wait 2.4 ms × (256 − WTIME), ×12 with CONFIG.WLONG
    pers = RWReg8(0x0C)  # APERS b3:0
    config = RWReg8(0x0D)  # WLONG b1
    control = RWReg8(0x0F)  # AGAIN b1:0
    device_id = ROReg8(0x12)  # 0x44 / 0x4D
    status = ROReg8(0x13)  # AINT b4, AVALID b0
    avalid = ROBits8(0x13, lowest_bit=0)
    CDATAL: Final = 0x14  # C, R, G, B data at 0x14/16/18/1A, little-endian

    def __init__(
        self,
        bus: I2CBus,
        address: int = ADDRESS,
        *,
        gain: Gain = Gain.X4,
        integration_time: IntegrationTime = IntegrationTime.MS_154,
        glass_attenuation: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(bus, address)
        self.clock: Clock = RealClock() if clock is None else clock
        if glass_attenuation <= 0:
            raise ValueError(f"glass attenuation {glass_attenuation} must be positive")
        self.glass_attenuation = glass_attenuation
        found = self.device_id
        self._require_id(
            found in CHIP_IDS,
            f"ID register 0x12 reads 0x{found:02X}",
            f"one of {', '.join(f'0x{i:02X}' for i in sorted(CHIP_IDS))}",
        )
        self._gain = Gain(gain)
        self._integration_time = IntegrationTime(integration_time)
        self._ready_at = 0.0
        self.atime = self._integration_time
        self.control = self._gain
        self.enable = PON
        self.clock.sleep(CYCLE_MS / 1000.0)  # PON warm-up before AEN
        self._start()

    # -- configuration -----------------------------------------------------------------
    @property
    def gain(self) -> Gain:
        """RGBC gain."""
        return self._gain

    @gain.setter
    def gain(self, value: Gain) -> None:
        self._gain = Gain(value)
        self.enable = PON
        self.control = self._gain
        self._start()

    @property
    def integration_time(self) -> IntegrationTime:
        """RGBC integration time."""
        return self._integration_time

    @integration_time.setter
    def integration_time(self, value: IntegrationTime) -> None:
        self._integration_time = IntegrationTime(value)
        self.enable = PON
        self.atime = self._integration_time
        self._start()

    @property
    def integration_time_s(self) -> float:
        """Integration time in seconds."""
        return self._integration_time.ms / 1000.0

    def _start(self) -> None:
        self.enable = PON | AEN
        self._ready_at = (
            self.clock.monotonic() + self.integration_time_s * _MARGIN + CYCLE_MS / 1000.0
        )

    def _shutdown(self) -> None:
        self.enable = 0x00

    # -- readings ----------------------------------------------------------------------
    def read_counts(self) -> ColourCounts:
        """Return raw C, R, G, B counts of a fresh cycle (check ``saturated`` yourself)."""
        wait_for_avalid(
            self,
            self.clock,
            lambda: self.avalid,
            ready_at=self._ready_at,
            integration_s=self.integration_time_s,
            poll_s=_POLL_S,
        )
        data = read_block(self, self.CDATAL, 8, command_bits=COMMAND_AUTO_INCREMENT)
        self._ready_at = self.clock.monotonic() + self.integration_time_s * _MARGIN
        c, r, g, b = (int.from_bytes(data[i : i + 2], "little") for i in range(0, 8, 2))
        return ColourCounts(c, r, g, b, int(self._integration_time), self._gain.factor)

    def read(self) -> ColourReading:
        """Measure one sample and return it with its DN40 lux and CCT."""
        counts = self.read_counts()
        try:
            lux, cct = dn40(counts, self.glass_attenuation)
        except ReadingOutOfRange as exc:
            raise ReadingOutOfRange(f"{self.name} at 0x{self.address:02X}: {exc}") from None
        return ColourReading(counts, lux, cct)

    @property
    def illuminance_lx(self) -> float:
        """Measure illuminance in lux (DN40)."""
        return self.read().illuminance_lx

    @property
    def cct_k(self) -> float:
        """Measure correlated colour temperature in kelvin (DN40)."""
        reading = self.read()
        if reading.cct_k is None:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: CCT undefined, no red signal after the "
                f"IR correction ({reading.counts})"
            )
        return reading.cct_k
