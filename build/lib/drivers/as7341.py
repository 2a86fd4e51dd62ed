"""ams AS7341 11-channel spectral sensor (I2C 0x39): ten channels, basic counts, lux and CCT.

The chip has six ADCs for ten photodiode channels, so the SMUX connects them in two passes:
pass A reads F1-F4 + Clear + NIR, pass B F5-F8 + Clear + NIR. Each pass (Adafruit's
``_configure_f1_f4`` / ``_configure_f5_f8``, ams AN000666):

1. clear SP_EN (ENABLE = PON);
2. CFG6.SMUX_CMD = 2 (write the SMUX configuration from RAM);
3. write the 20 SMUX RAM bytes 0x00-0x13 in one auto-incremented block;
4. set SMUXEN and poll until it clears;
5. set SP_EN, wait the integration time, poll STATUS2.AVALID, and read ASTATUS plus the six
   little-endian channel words in one 13-byte block from 0x94 (reading ASTATUS latches them).

Integration time ``t = (ATIME+1)·(ASTEP+1)·2.78 µs``; full scale ``min((ATIME+1)(ASTEP+1),
65535)``. Basic counts = raw / (gain · t_ms). XYZ = M · basic counts of F1-F8 (matrix
calibration, ams AN000633); lux = Y, CCT by McCamy from x, y.

:data:`NOMINAL_XYZ_MATRIX` is fitted to the *nominal* channel responses (Gaussian bands at
the datasheet centre wavelengths, as :mod:`benchscore.sim.chips.as7341` models them). A real
unit needs its own matrix: measure it against a reference under the LED family to be scored
and pass the result of :func:`fit_xyz_matrix` to :meth:`AS7341.calibrate`.

>>> from benchscore.clock import SimClock
>>> from benchscore.sim.i2c import SimI2CBus
>>> from benchscore.sim.chips.as7341 import SimAS7341
>>> from benchscore.sim.light import LightSpec
>>> bus, clock = SimI2CBus(), SimClock()
>>> _ = bus.attach(0x39, SimAS7341(clock, source=lambda: LightSpec(500.0, 5000.0)))
>>> with AS7341(bus, clock=clock) as sensor:
...     reading = sensor.read()
>>> round(reading.illuminance_lx), round(reading.cct_k, -2)
(500, 5000.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from enum import IntEnum
from typing import Final

import numpy as np

from benchscore.analysis.colour import cct_mccamy_k
from benchscore.clock import Clock, RealClock
from drivers.errors import ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.registers import I2CDevice, RWReg16
from drivers.registers8 import ROBits8, ROReg8, RWReg8, read_block, write_block
from drivers.waiting import poll_flag

ADDRESS: Final = 0x39
DEVICE_ID: Final = 0b001001
"""Register 0x92 bits 7:2 (the byte reads 0x24)."""
STEP_S: Final = 2.78e-6

# ENABLE (0x80) bits
PON: Final = 0x01
SP_EN: Final = 0x02
WEN: Final = 0x08
SMUXEN: Final = 0x10
FDEN: Final = 0x40
# STATUS2 (0xA3) bits
AVALID: Final = 0x40
ASAT_DIGITAL: Final = 0x10
ASAT_ANALOG: Final = 0x08
SMUX_CMD_WRITE: Final = 0x10
"""CFG6 with SMUX_CMD (bits 4:3) = 2: write the SMUX configuration from RAM."""

SMUX_RAM: Final = 0x00
SMUX_F1_F4: Final = bytes(
    [0x30, 0x01, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x50, 0x00]
    + [0x00, 0x00, 0x20, 0x04, 0x00, 0x30, 0x01, 0x50, 0x00, 0x06]
)
"""Pass A: F1-F4 to ADC0-3, Clear to ADC4, NIR to ADC5 (RAM 0x00-0x13)."""
SMUX_F5_F8: Final = bytes(
    [0x00, 0x00, 0x00, 0x40, 0x02, 0x00, 0x10, 0x03, 0x50, 0x10]
    + [0x03, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x50, 0x00, 0x06]
)
"""Pass B: F5-F8 to ADC0-3, Clear to ADC4, NIR to ADC5 (RAM 0x00-0x13)."""

CHANNELS: Final = ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "clear", "nir")
CENTRE_NM: Final = {
    "f1": 415,
    "f2": 445,
    "f3": 480,
    "f4": 515,
    "f5": 555,
    "f6": 590,
    "f7": 630,
    "f8": 680,
    "nir": 910,
}

XYZMatrix = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
NOMINAL_XYZ_MATRIX: Final[XYZMatrix] = (
    (9.50954, 43.9088, 20.8279, -9.27248, 41.2716, 90.1224, 46.6642, -0.877245),
    (-0.137089, 4.08965, 5.60505, 61.6881, 94.2708, 56.4446, 17.7074, -0.0347375),
    (47.2401, 223.847, 133.79, -40.2025, 28.6377, -15.2175, 4.36003, -0.747086),
)
"""Basic counts F1-F8 → X, Y, Z (Y in lux) for the nominal channel responses."""

_SMUX_TIMEOUT_S: Final = 0.1
_SMUX_POLL_S: Final = 0.001
_POLL_S: Final = 0.001


class Gain(IntEnum):
    """CFG1.AGAIN (bits 4:0)."""

    X0_5 = 0
    X1 = 1
    X2 = 2
    X4 = 3
    X8 = 4
    X16 = 5
    X32 = 6
    X64 = 7
    X128 = 8
    X256 = 9
    X512 = 10

    @property
    def factor(self) -> float:
        """Gain multiplier."""
        return float(2.0 ** (self.value - 1))


def integration_time_s(atime: int, astep: int) -> float:
    """Return the integration time (s) for ATIME and ASTEP."""
    return (atime + 1) * (astep + 1) * STEP_S


def full_scale(atime: int, astep: int) -> int:
    """Return the largest count a channel can reach for ATIME and ASTEP."""
    return min((atime + 1) * (astep + 1), 65535)


def cct_mccamy(x: float, y: float) -> float:
    """Return CCT (K) from CIE 1931 x, y by McCamy (1992); valid near the Planckian locus."""
    return float(cct_mccamy_k((x, y)))


@dataclass(frozen=True)
class SpectralCounts:
    """Raw counts of all ten channels (Clear and NIR from pass A) with their settings."""

    f1: int
    f2: int
    f3: int
    f4: int
    f5: int
    f6: int
    f7: int
    f8: int
    clear: int
    nir: int
    gain: float
    integration_time_ms: float
    full_scale: int

    @property
    def raw(self) -> dict[str, int]:
        """Counts by channel name."""
        return dict(zip(CHANNELS, astuple(self)[:10], strict=True))

    @property
    def saturated(self) -> list[str]:
        """Names of the channels at full scale."""
        return [name for name, value in self.raw.items() if value >= self.full_scale]

    @property
    def basic_counts(self) -> dict[str, float]:
        """Counts normalised to gain and integration time: raw / (gain · t_ms)."""
        scale = self.gain * self.integration_time_ms
        return {name: value / scale for name, value in self.raw.items()}


@dataclass(frozen=True)
class SpectralReading:
    """XYZ, illuminance and CCT from one two-pass measurement, with its counts."""

    counts: SpectralCounts
    xyz: tuple[float, float, float]
    illuminance_lx: float
    cct_k: float | None
    """None when undefined (no light)."""


def fit_xyz_matrix(
    basic_counts: Sequence[Sequence[float]], reference_xyz: Sequence[Sequence[float]]
) -> XYZMatrix:
    """Return the least-squares 3×8 matrix taking F1-F8 basic counts to reference XYZ.

    ``basic_counts`` holds one row of eight F1-F8 values per calibration light, and
    ``reference_xyz`` the X, Y, Z (Y in lux) a reference instrument read under the same light.
    """
    a = np.asarray(basic_counts, dtype=float)
    b = np.asarray(reference_xyz, dtype=float)
    if a.ndim != 2 or a.shape[1] != 8 or b.shape != (a.shape[0], 3):
        raise ValueError(f"need N×8 basic counts and N×3 XYZ, got {a.shape} and {b.shape}")
    if a.shape[0] < 8:
        raise ValueError(f"need at least 8 calibration lights, got {a.shape[0]}")
    m = np.linalg.lstsq(a, b, rcond=None)[0].T
    rows = [tuple(float(v) for v in row) for row in m]
    return rows[0], rows[1], rows[2]


class AS7341(I2CDevice):
    """AS7341 on an :class:`~drivers.i2c.I2CBus`; waits for data on the injected clock.

    ``atime`` (0-255) and ``astep`` (0-65534) set the integration time; the defaults are
    Adafruit's (about 281 ms).
    """

    name = "AS7341"
    byteorder = "little"

    # Register map (datasheet order)
    enable = RWReg8(0x80)  # FDEN b6, SMUXEN b4, WEN b3, SP_EN b1, PON b0
    atime_register = RWReg8(0x81)  # ATIME
    wtime = RWReg8(0x83)
    device_id = ROBits8(0x92, lowest_bit=2, width=6)  # 0b001001
    status = ROReg8(0x93)
    astatus = ROReg8(0x94)  # ASAT b7, AGAIN_STATUS b3:0; reading latches CH0-CH5
    ASTATUS_AND_DATA: Final = 0x94  # ASTATUS + CH0..CH5 (0x95-0xA0, little-endian)
    status2 = ROReg8(0xA3)  # AVALID b6, ASAT_DIGITAL b4, ASAT_ANALOG b3
    avalid = ROBits8(0xA3, lowest_bit=6)
    cfg0 = RWReg8(0xA9)  # REG_BANK b4
    cfg1 = RWReg8(0xAA)  # AGAIN b4:0
    cfg6 = RWReg8(0xAF)  # SMUX_CMD b4:3
    astep_register = RWReg16(0xCA)  # ASTEP, little-endian 0xCA-0xCB

    def __init__(
        self,
        bus: I2CBus,
        address: int = ADDRESS,
        *,
        gain: Gain = Gain.X16,
        atime: int = 100,
        astep: int = 999,
        xyz_matrix: XYZMatrix = NOMINAL_XYZ_MATRIX,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(bus, address)
        self.clock: Clock = RealClock() if clock is None else clock
        found = self.device_id
        self._require_id(
            found == DEVICE_ID,
            f"ID register 0x92 bits 7:2 read 0b{found:06b} (byte 0x{found << 2:02X})",
            f"0b{DEVICE_ID:06b} (0x24)",
        )
        self.xyz_matrix: XYZMatrix = NOMINAL_XYZ_MATRIX
        self.calibrate(xyz_matrix)
        self._check_timing(atime, astep)
        self._gain = Gain(gain)
        self._atime, self._astep = atime, astep
        self.enable = PON
        self.atime_register = atime
        self.astep_register = astep
        self.cfg1 = self._gain

    # -- configuration -----------------------------------------------------------------
    @staticmethod
    def _check_timing(atime: int, astep: int) -> None:
        if not 0 <= atime <= 255:
            raise ValueError(f"ATIME {atime} outside 0..255")
        if not 0 <= astep <= 65534:
            raise ValueError(f"ASTEP {astep} outside 0..65534")

    @property
    def gain(self) -> Gain:
        """Spectral ADC gain."""
        return self._gain

    @gain.setter
    def gain(self, value: Gain) -> None:
        self._gain = Gain(value)
        self.cfg1 = self._gain

    def set_integration(self, atime: int, astep: int) -> None:
        """Set ATIME and ASTEP (integration time = (ATIME+1)(ASTEP+1)·2.78 µs)."""
        self._check_timing(atime, astep)
        self._atime, self._astep = atime, astep
        self.atime_register = atime
        self.astep_register = astep

    @property
    def integration_time_s(self) -> float:
        """Integration time in seconds."""
        return integration_time_s(self._atime, self._astep)

    @property
    def full_scale(self) -> int:
        """Largest count a channel can reach at the current ATIME and ASTEP."""
        return full_scale(self._atime, self._astep)

    def calibrate(self, xyz_matrix: XYZMatrix) -> None:
        """Use ``xyz_matrix`` (3×8, F1-F8 basic counts → XYZ) for lux and CCT."""
        if len(xyz_matrix) != 3 or any(len(row) != 8 for row in xyz_matrix):
            raise ValueError("the XYZ matrix must be 3 rows of 8 coefficients (F1-F8)")
        rows = [tuple(float(v) for v in row) for row in xyz_matrix]
        self.xyz_matrix = (rows[0], rows[1], rows[2])

    def _shutdown(self) -> None:
        self.enable = 0x00

    # -- the two SMUX passes -----------------------------------------------------------
    def _load_smux(self, ram: bytes) -> None:
        self.enable = PON  # 1. clear SP_EN
        self.cfg6 = SMUX_CMD_WRITE  # 2. SMUX_CMD = write from RAM
        write_block(self, SMUX_RAM, ram)  # 3. the 20 RAM bytes
        self.enable = PON | SMUXEN  # 4. run it, poll until SMUXEN clears
        poll_flag(
            self,
            self.clock,
            lambda: not self.enable & SMUXEN,
            register=0x80,
            what="SMUXEN did not clear",
            deadline_s=self.clock.monotonic() + _SMUX_TIMEOUT_S,
            poll_s=_SMUX_POLL_S,
        )

    def _measure_pass(self, ram: bytes) -> tuple[int, ...]:
        self._load_smux(ram)
        self.enable = PON | SP_EN  # 5. measure
        t_int = self.integration_time_s
        self.clock.sleep(t_int)
        poll_flag(
            self,
            self.clock,
            lambda: self.avalid,
            register=0xA3,
            what="AVALID not set after the integration time",
            deadline_s=self.clock.monotonic() + t_int + 0.05,
            poll_s=_POLL_S,
        )
        data = read_block(self, self.ASTATUS_AND_DATA, 13)
        return tuple(int.from_bytes(data[i : i + 2], "little") for i in range(1, 13, 2))

    def read_counts(self) -> SpectralCounts:
        """Run both SMUX passes and return the raw counts of all ten channels."""
        low = self._measure_pass(SMUX_F1_F4)
        high = self._measure_pass(SMUX_F5_F8)
        f1, f2, f3, f4, clear, nir = low
        f5, f6, f7, f8 = high[:4]
        return SpectralCounts(
            f1,
            f2,
            f3,
            f4,
            f5,
            f6,
            f7,
            f8,
            clear=clear,
            nir=nir,
            gain=self._gain.factor,
            integration_time_ms=self.integration_time_s * 1000.0,
            full_scale=self.full_scale,
        )

    def _unsaturated(self, counts: SpectralCounts, channels: Sequence[str]) -> SpectralCounts:
        saturated = [name for name in counts.saturated if name in channels]
        if saturated:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: saturated channel(s) "
                f"{', '.join(saturated)} at full scale {counts.full_scale} "
                f"(gain {self._gain.factor:g}x, {counts.integration_time_ms:.1f} ms); "
                f"lower the gain or integration time"
            )
        return counts

    def read_basic_counts(self) -> dict[str, float]:
        """Measure all ten channels as basic counts, raw / (gain · t_ms)."""
        return self._unsaturated(self.read_counts(), CHANNELS).basic_counts

    def read(self) -> SpectralReading:
        """Measure and return XYZ, lux and CCT through the XYZ matrix (F1-F8 only)."""
        counts = self._unsaturated(self.read_counts(), CHANNELS[:8])
        basic = counts.basic_counts
        f = np.array([basic[name] for name in CHANNELS[:8]])
        x, y, z = (float(v) for v in np.asarray(self.xyz_matrix) @ f)
        total = x + y + z
        cct = cct_mccamy(x / total, y / total) if total > 0 and y > 0 else None
        return SpectralReading(counts, (x, y, z), max(y, 0.0), cct)

    @property
    def illuminance_lx(self) -> float:
        """Measure illuminance in lux."""
        return self.read().illuminance_lx

    @property
    def cct_k(self) -> float:
        """Measure correlated colour temperature in kelvin."""
        reading = self.read()
        if reading.cct_k is None:
            raise ReadingOutOfRange(f"{self.name} at 0x{self.address:02X}: no light, CCT undefined")
        return reading.cct_k
