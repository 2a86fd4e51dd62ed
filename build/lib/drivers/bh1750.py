"""ROHM BH1750 ambient light sensor (I2C, no register pointer: one-byte opcodes).

The chip takes single opcode bytes (``bus.write_byte``) and answers a plain 2-byte read, MSB
first (``bus.i2c_rdwr(I2CMsg.read(addr, 2))``). ``read_word_data`` must never be used: its
command byte would reach the chip as an opcode. Example::

    light = BH1750(bus, 0x23, mode=Mode.ONE_TIME_HIGH_RES)
    print(light.measure_lx())  # sends the opcode, waits the measurement time, reads
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError, ReadingOutOfRange
from drivers.i2c import I2CBus, I2CMsg
from drivers.registers import I2CDevice

# Instruction set (BH1750FVI datasheet): opcodes other than the measurement modes.
POWER_DOWN: Final = 0x00  # no active state
POWER_ON: Final = 0x01  # waiting for a measurement command
RESET: Final = 0x07  # clear the data register (only accepted when powered on)
MTREG_HIGH: Final = 0b0100_0000  # 01000_xxx: MTreg bits 7:5
MTREG_LOW: Final = 0b0110_0000  # 011_xxxxx: MTreg bits 4:0

MTREG_MIN: Final = 31
MTREG_MAX: Final = 254
MTREG_DEFAULT: Final = 69
SATURATED_COUNTS: Final = 0xFFFF
COUNTS_PER_LX: Final = 1.2
"""Counts per lux at MTreg 69 in H-res mode (datasheet typical)."""

_MAX_TIME_HIGH_RES_S: Final = 0.180  # H and H2 modes, maximum at MTreg 69
_MAX_TIME_LOW_RES_S: Final = 0.024  # L mode, maximum at MTreg 69


class Mode(IntEnum):
    """Measurement opcodes."""

    CONTINUOUS_HIGH_RES = 0x10  # 1 lx resolution
    CONTINUOUS_HIGH_RES_2 = 0x11  # 0.5 lx resolution
    CONTINUOUS_LOW_RES = 0x13  # 4 lx resolution
    ONE_TIME_HIGH_RES = 0x20  # then the chip powers down
    ONE_TIME_HIGH_RES_2 = 0x21
    ONE_TIME_LOW_RES = 0x23

    @property
    def is_one_time(self) -> bool:
        """Get whether the chip measures once and powers down."""
        return self.value & 0x20 != 0

    @property
    def is_high_res_2(self) -> bool:
        """Get whether this is an H-resolution mode 2 (0.5 lx, counts doubled)."""
        return self.value & 0x0F == 0x01

    @property
    def is_low_res(self) -> bool:
        """Get whether this is an L-resolution mode."""
        return self.value & 0x0F == 0x03


def mtreg_opcodes(mtreg: int) -> tuple[int, int]:
    """Return the two opcodes that set MTreg: high bits 7:5, then low bits 4:0."""
    return MTREG_HIGH | (mtreg >> 5), MTREG_LOW | (mtreg & 0x1F)


class BH1750(I2CDevice):
    """ROHM BH1750 on an :class:`I2CBus`: powers on, sets MTreg and the mode at construction.

    In one-time modes the mode opcode is sent by each :meth:`measure_lx`, not at construction.
    """

    name = "BH1750"

    def __init__(
        self,
        bus: I2CBus,
        address: int = 0x23,
        *,
        mode: Mode = Mode.CONTINUOUS_HIGH_RES,
        mtreg: int = MTREG_DEFAULT,
        clock: Clock | None = None,
    ) -> None:
        _check_mtreg(mtreg)
        mode = Mode(mode)
        super().__init__(bus, address)
        self.clock: Clock = clock if clock is not None else RealClock()
        self._mode = mode
        self._mtreg = mtreg
        self._ready_at = 0.0
        self._send(POWER_ON)
        self._send_mtreg(mtreg)
        self._start()

    # -- opcodes ---------------------------------------------------------------------------
    def _send(self, opcode: int) -> None:
        try:
            self.bus.write_byte(self.address, opcode)
        except OSError as exc:
            raise self._error(None, exc) from exc

    def _send_mtreg(self, mtreg: int) -> None:
        for opcode in mtreg_opcodes(mtreg):
            self._send(opcode)

    def _start(self) -> None:
        """Start continuous measuring; the first result is due one measurement time later."""
        if not self._mode.is_one_time:
            self._send(self._mode)
            self._ready_at = self.clock.monotonic() + self.measurement_time_s

    @property
    def mode(self) -> Mode:
        """Control the measurement mode (continuous modes restart measuring)."""
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        self._mode = Mode(mode)
        self._start()

    @property
    def mtreg(self) -> int:
        """Control the measurement time register (31..254, default 69)."""
        return self._mtreg

    @mtreg.setter
    def mtreg(self, mtreg: int) -> None:
        _check_mtreg(mtreg)
        self._send_mtreg(mtreg)
        self._mtreg = mtreg
        self._start()

    def reset(self) -> None:
        """Clear the data register (power on, reset), then restart a continuous mode."""
        self._send(POWER_ON)
        self._send(RESET)
        self._start()

    # -- results ---------------------------------------------------------------------------
    @property
    def measurement_time_s(self) -> float:
        """Get the maximum measurement time in seconds for the mode and MTreg."""
        base = _MAX_TIME_LOW_RES_S if self._mode.is_low_res else _MAX_TIME_HIGH_RES_S
        return base * self._mtreg / MTREG_DEFAULT

    @property
    def raw_counts(self) -> int:
        """Get the data register (a plain 2-byte read, MSB first), without waiting."""
        msg = I2CMsg.read(self.address, 2)
        try:
            self.bus.i2c_rdwr(msg)
        except OSError as exc:
            raise self._error(None, exc) from exc
        return (msg.buf[0] << 8) | msg.buf[1]

    def counts_to_lx(self, counts: int) -> float:
        """Convert data register counts to lux for the current mode and MTreg."""
        if counts >= SATURATED_COUNTS:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: saturated ({counts} counts);"
                " lower MTreg or the light level"
            )
        divisor = COUNTS_PER_LX * self._mtreg * (2 if self._mode.is_high_res_2 else 1)
        return counts * MTREG_DEFAULT / divisor

    @property
    def illuminance_lx(self) -> float:
        """Measure the illuminance in lux from the latest result, without waiting."""
        return self.counts_to_lx(self.raw_counts)

    def measure_lx(self) -> float:
        """Measure the illuminance in lux, waiting on the clock for a fresh result.

        One-time modes send the mode opcode and sleep the measurement time; continuous modes
        wait only if the mode (or MTreg) changed less than one measurement time ago. Raises
        :class:`ReadingOutOfRange` when saturated.
        """
        if self._closed:
            raise DriverError(f"{self.name} at 0x{self.address:02X} is closed")
        if self._mode.is_one_time:
            self._send(self._mode)
            self.clock.sleep(self.measurement_time_s)
        else:
            wait = self._ready_at - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
        return self.illuminance_lx

    def _shutdown(self) -> None:
        self._send(POWER_DOWN)


def _check_mtreg(mtreg: int) -> None:
    if not MTREG_MIN <= mtreg <= MTREG_MAX:
        raise ValueError(f"BH1750: MTreg {mtreg} outside {MTREG_MIN}..{MTREG_MAX}")
