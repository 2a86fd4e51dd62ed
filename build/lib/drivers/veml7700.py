"""Vishay VEML7700 ambient light sensor (I2C 0x10): illuminance in lux.

Registers are 16-bit words sent LSB first, so ``read_word_data`` is used as is. The chip has
no data-ready flag: the driver waits on the injected clock, two integration times after a
configuration change (as Adafruit's ``autolux`` does) and one integration time between
readings, each with 10 % margin for the oscillator.

Resolution (lx/count) = 0.0042 × (800 / IT_ms) × (2 / gain), the newer datasheet figure.
Above a few hundred lux the response bends; with ``correct_nonlinearity=True`` (default) the
Vishay polynomial ``Lc = 6.0135e-13·L⁴ − 9.3924e-9·L³ + 8.1488e-5·L² + 1.0023·L`` is applied.

>>> from benchscore.clock import SimClock
>>> from benchscore.sim.i2c import SimI2CBus
>>> from benchscore.sim.chips.veml7700 import SimVEML7700
>>> bus, clock = SimI2CBus(), SimClock()
>>> _ = bus.attach(0x10, SimVEML7700(clock, source=lambda: 250.0))
>>> with VEML7700(bus, clock=clock) as sensor:
...     round(sensor.illuminance_lx)
250
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, NamedTuple

from benchscore.clock import Clock, RealClock
from drivers.errors import ReadingOutOfRange
from drivers.i2c import I2CBus
from drivers.registers import I2CDevice, ROReg16, RWReg16
from drivers.waiting import sleep_until

ADDRESS: Final = 0x10
DEVICE_ID: Final = 0x81
"""Low byte of the ID register (0x07); the high byte is the address-option code."""

RESOLUTION_X2_800MS: Final = 0.0042
"""lx/count at gain ×2 and 800 ms (newer datasheet; older revisions give 0.0036)."""
MAX_COUNT: Final = 0xFFFF

# ALS_CONF_0 (0x00) fields
ALS_GAIN_SHIFT: Final = 11
ALS_IT_SHIFT: Final = 6
ALS_PERS_SHIFT: Final = 4
ALS_INT_EN: Final = 0x0002
ALS_SD: Final = 0x0001

_MARGIN: Final = 1.1


class Gain(IntEnum):
    """ALS_CONF_0.ALS_GAIN (bits 12:11)."""

    X1 = 0
    X2 = 1
    X1_8 = 2
    X1_4 = 3

    @property
    def factor(self) -> float:
        """Gain multiplier."""
        return _GAIN_FACTOR[self]


_GAIN_FACTOR: Final = {Gain.X1: 1.0, Gain.X2: 2.0, Gain.X1_8: 0.125, Gain.X1_4: 0.25}


class IntegrationTime(IntEnum):
    """ALS_CONF_0.ALS_IT (bits 9:6)."""

    MS_25 = 0xC
    MS_50 = 0x8
    MS_100 = 0x0
    MS_200 = 0x1
    MS_400 = 0x2
    MS_800 = 0x3

    @property
    def ms(self) -> float:
        """Integration time in milliseconds."""
        return _IT_MS[self]


_IT_MS: Final = {
    IntegrationTime.MS_25: 25.0,
    IntegrationTime.MS_50: 50.0,
    IntegrationTime.MS_100: 100.0,
    IntegrationTime.MS_200: 200.0,
    IntegrationTime.MS_400: 400.0,
    IntegrationTime.MS_800: 800.0,
}


def resolution_lx_per_count(gain: Gain, integration_time: IntegrationTime) -> float:
    """Return lux per ALS count for ``gain`` and ``integration_time``."""
    return RESOLUTION_X2_800MS * (800.0 / integration_time.ms) * (2.0 / gain.factor)


def correct_nonlinearity(lux: float) -> float:
    """Return the Vishay high-lux correction of a linear lux value."""
    return ((6.0135e-13 * lux - 9.3924e-9) * lux + 8.1488e-5) * lux * lux + 1.0023 * lux


def als_conf(
    gain: Gain, integration_time: IntegrationTime, *, persistence: int = 0, shutdown: bool = False
) -> int:
    """Return the ALS_CONF_0 word for the given settings (interrupt disabled)."""
    return (
        (gain << ALS_GAIN_SHIFT)
        | (integration_time << ALS_IT_SHIFT)
        | ((persistence & 0x3) << ALS_PERS_SHIFT)
        | (ALS_SD if shutdown else 0)
    )


class VEML7700Counts(NamedTuple):
    """One measurement: ALS and WHITE channel counts."""

    als: int
    white: int


class VEML7700(I2CDevice):
    """VEML7700 on an :class:`~drivers.i2c.I2CBus`; waits on the injected clock."""

    name = "VEML7700"
    byteorder = "little"

    # Register map (datasheet order): register access, no waiting
    als_conf_0 = RWReg16(0x00)  # ALS_GAIN b12:11, ALS_IT b9:6, ALS_PERS b5:4, ALS_INT_EN b1, SD b0
    als_wh = RWReg16(0x01)  # high threshold window
    als_wl = RWReg16(0x02)  # low threshold window
    power_saving = RWReg16(0x03)  # PSM b2:1, PSM_EN b0
    als = ROReg16(0x04)  # ALS counts
    white = ROReg16(0x05)  # WHITE counts
    als_int = ROReg16(0x06)  # b15 low threshold, b14 high threshold
    device_id = ROReg16(0x07)  # low byte 0x81

    def __init__(
        self,
        bus: I2CBus,
        address: int = ADDRESS,
        *,
        gain: Gain = Gain.X1,
        integration_time: IntegrationTime = IntegrationTime.MS_100,
        correct_nonlinearity: bool = True,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(bus, address)
        self.clock: Clock = RealClock() if clock is None else clock
        self.correct_nonlinearity = correct_nonlinearity
        found = self.device_id
        self._require_id(
            found & 0xFF == DEVICE_ID,
            f"ID register 0x07 reads 0x{found:04X}",
            f"low byte 0x{DEVICE_ID:02X}",
        )
        self._gain = Gain(gain)
        self._integration_time = IntegrationTime(integration_time)
        self._ready_at = 0.0
        self._configure()

    # -- configuration -----------------------------------------------------------------
    @property
    def gain(self) -> Gain:
        """ALS gain."""
        return self._gain

    @gain.setter
    def gain(self, value: Gain) -> None:
        self._gain = Gain(value)
        self._configure()

    @property
    def integration_time(self) -> IntegrationTime:
        """ALS integration time."""
        return self._integration_time

    @integration_time.setter
    def integration_time(self, value: IntegrationTime) -> None:
        self._integration_time = IntegrationTime(value)
        self._configure()

    @property
    def integration_time_s(self) -> float:
        """Integration time in seconds."""
        return self._integration_time.ms / 1000.0

    @property
    def resolution_lx(self) -> float:
        """Lux per count at the current settings."""
        return resolution_lx_per_count(self._gain, self._integration_time)

    def _configure(self) -> None:
        self.als_conf_0 = als_conf(self._gain, self._integration_time)
        # No ready flag: a cycle already running may finish with the old settings.
        self._ready_at = self.clock.monotonic() + 2 * self.integration_time_s * _MARGIN

    def _shutdown(self) -> None:
        self.als_conf_0 = als_conf(self._gain, self._integration_time, shutdown=True)

    # -- readings ----------------------------------------------------------------------
    def read_counts(self) -> VEML7700Counts:
        """Return ALS and WHITE counts of a fresh integration (no saturation check)."""
        sleep_until(self.clock, self._ready_at)
        counts = VEML7700Counts(self.als, self.white)
        self._ready_at = self.clock.monotonic() + self.integration_time_s * _MARGIN
        return counts

    def lux_from_counts(self, als_counts: int) -> float:
        """Return lux for ``als_counts`` at the current settings (with the correction if on)."""
        lux = als_counts * self.resolution_lx
        return correct_nonlinearity(lux) if self.correct_nonlinearity else lux

    @property
    def illuminance_lx(self) -> float:
        """Measure illuminance in lux."""
        counts = self.read_counts()
        if counts.als >= MAX_COUNT:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: ALS saturated ({counts.als} counts, "
                f"{MAX_COUNT * self.resolution_lx:.0f} lx full scale at gain "
                f"{self._gain.name}, {self._integration_time.ms:g} ms); lower the gain or "
                f"integration time"
            )
        return self.lux_from_counts(counts.als)
