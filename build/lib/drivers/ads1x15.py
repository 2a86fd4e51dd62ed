"""TI ADS1115 (16-bit) and ADS1015 (12-bit) delta-sigma ADCs over :class:`drivers.i2c.I2CBus`.

Pointer register 0 is the conversion result, 1 the configuration (reset 0x8583), 2 and 3 the
comparator thresholds; all big-endian. :meth:`ADS1x15.read_voltage_v` runs one single-shot
conversion: it writes OS=1 with the channel, PGA and data rate (comparator off), waits one
conversion period on the injected clock, then polls OS until the chip is idle.
:meth:`ADS1x15.capture` runs continuous mode and reads the conversion register once per
sample period (pointer set once, then bare 2-byte reads) to record ripple or flicker.

The ADS1015 result is 12 bits left-aligned in bits 15:4; both chips report signed counts of
``full_scale / 2**(bits-1)`` (62.5 uV for the ADS1115 at +-2.048 V, 1 mV for the ADS1015).

Example::

    adc = ADS1115(bus, 0x48, gain=PGA.FSR_4_096V, clock=clock)
    v = adc.read_voltage_v(0)
    ripple = adc.capture(512, rate_sps=860, channel=1)
"""

from __future__ import annotations

import contextlib
import threading
from enum import IntEnum
from typing import ClassVar, Final

import numpy as np
import numpy.typing as npt

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError, ReadingOutOfRange
from drivers.i2c import I2CBus, I2CMsg
from drivers.registers import I2CDevice, RWReg16, to_signed16

__all__ = [
    "ADS1015",
    "ADS1115",
    "PGA",
    "ADS1x15",
    "ConversionTimeout",
    "Mode",
    "Mux",
]

_REG_CONVERSION: Final = 0x00
_REG_CONFIG: Final = 0x01
_REG_LO_THRESH: Final = 0x02
_REG_HI_THRESH: Final = 0x03

CONFIG_RESET: Final = 0x8583
_OS: Final = 1 << 15
_COMP_QUE_DISABLE: Final = 0x0003  # comparator off, ALERT/RDY high-impedance


class Mux(IntEnum):
    """Input multiplexer (config bits 14:12)."""

    DIFF_0_1 = 0  # reset value
    DIFF_0_3 = 1
    DIFF_1_3 = 2
    DIFF_2_3 = 3
    SINGLE_0 = 4
    SINGLE_1 = 5
    SINGLE_2 = 6
    SINGLE_3 = 7


class PGA(IntEnum):
    """Programmable gain: full-scale range (config bits 11:9)."""

    FSR_6_144V = 0
    FSR_4_096V = 1
    FSR_2_048V = 2  # reset value
    FSR_1_024V = 3
    FSR_0_512V = 4
    FSR_0_256V = 5


PGA_FULL_SCALE_V: Final[tuple[float, ...]] = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256)


class Mode(IntEnum):
    """Conversion mode (config bit 8)."""

    CONTINUOUS = 0
    SINGLE_SHOT = 1  # reset value; the chip powers down between conversions


class ConversionTimeout(DriverError, TimeoutError):
    """A single-shot conversion did not finish (OS stayed 0) in the expected time."""


class ADS1x15(I2CDevice):
    """Common ADS1015/ADS1115 driver; use :class:`ADS1115` or :class:`ADS1015`."""

    bits: ClassVar[int] = 16
    data_rates_sps: ClassVar[tuple[int, ...]] = ()
    default_rate_sps: ClassVar[int] = 0

    raw_config = RWReg16(_REG_CONFIG)
    raw_lo_thresh = RWReg16(_REG_LO_THRESH)
    raw_hi_thresh = RWReg16(_REG_HI_THRESH)

    def __init__(
        self,
        bus: I2CBus,
        address: int = 0x48,
        *,
        gain: PGA = PGA.FSR_2_048V,
        data_rate_sps: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not 0x48 <= address <= 0x4B:
            raise ValueError(f"{self.name} address 0x{address:02X} outside 0x48..0x4B")
        super().__init__(bus, address)
        self.clock: Clock = clock if clock is not None else RealClock()
        self.gain = PGA(gain)
        # Serialises this chip's multi-transaction sequences without holding the bus lock
        # through the conversion waits (other chips on the bus keep working meanwhile).
        self._sequence = threading.Lock()
        self._rate_code = self._rate_code_for(
            self.default_rate_sps if data_rate_sps is None else data_rate_sps
        )

    # -- settings ----------------------------------------------------------------------
    def _rate_code_for(self, rate_sps: int) -> int:
        if rate_sps not in self.data_rates_sps:
            raise ValueError(f"{self.name}: {rate_sps} SPS is not one of {self.data_rates_sps} SPS")
        return self.data_rates_sps.index(rate_sps)

    @property
    def data_rate_sps(self) -> int:
        """Control the data rate in samples per second used for single-shot reads."""
        return self.data_rates_sps[self._rate_code]

    @data_rate_sps.setter
    def data_rate_sps(self, rate_sps: int) -> None:
        self._rate_code = self._rate_code_for(rate_sps)

    @property
    def full_scale_v(self) -> float:
        """Get the full-scale range in volts of the selected PGA (+-)."""
        return PGA_FULL_SCALE_V[self.gain]

    @property
    def lsb_v(self) -> float:
        """Get the volts per count: full scale / 2**(bits-1)."""
        return self.full_scale_v / (1 << (self.bits - 1))

    def config_word(
        self, mux: Mux, *, mode: Mode, start: bool, rate_code: int | None = None
    ) -> int:
        """Return the configuration word for ``mux`` with this gain, comparator disabled."""
        code = self._rate_code if rate_code is None else rate_code
        return (
            (_OS if start else 0)
            | (int(Mux(mux)) << 12)
            | (int(self.gain) << 9)
            | (int(Mode(mode)) << 8)
            | (code << 5)
            | _COMP_QUE_DISABLE
        )

    def _counts(self, register: int) -> int:
        """Signed counts of the conversion register (12-bit value for the ADS1015)."""
        return to_signed16(register) >> (16 - self.bits)

    def _check_saturation(self, counts: int, what: str) -> None:
        top = (1 << (self.bits - 1)) - 1
        if counts >= top or counts <= -top - 1:
            raise ReadingOutOfRange(
                f"{self.name} at 0x{self.address:02X}: {what} is at the "
                f"+-{self.full_scale_v} V full scale (counts {counts})"
            )

    # -- single-shot -------------------------------------------------------------------
    def read_raw(self, mux: Mux) -> int:
        """Run one single-shot conversion of ``mux``; return signed counts."""
        period = 1.0 / self.data_rate_sps
        timeout_s = 2 * period + 0.010  # datasheet rate tolerance is +-10 %
        with self._sequence:
            self.raw_config = self.config_word(mux, mode=Mode.SINGLE_SHOT, start=True)
            started = self.clock.monotonic()
            self.clock.sleep(period)
            while not self.raw_config & _OS:
                if self.clock.monotonic() - started > timeout_s:
                    raise ConversionTimeout(
                        f"{self.name} at 0x{self.address:02X}: conversion not done after "
                        f"{timeout_s * 1e3:.1f} ms"
                    )
                self.clock.sleep(period / 10)
            return self._counts(self.read_u16(_REG_CONVERSION))

    def read_voltage_v(self, channel: int, *, allow_saturation: bool = False) -> float:
        """Measure AINn against GND in volts (single-shot).

        Raises ReadingOutOfRange at the PGA full scale unless ``allow_saturation``.
        """
        if not 0 <= channel <= 3:
            raise ValueError(f"{self.name}: channel {channel} outside 0..3")
        counts = self.read_raw(Mux(Mux.SINGLE_0 + channel))
        if not allow_saturation:
            self._check_saturation(counts, f"AIN{channel}")
        return counts * self.lsb_v

    def read_differential_v(self, mux: Mux, *, allow_saturation: bool = False) -> float:
        """Measure a differential pair (or any ``mux`` setting) in volts (single-shot)."""
        counts = self.read_raw(mux)
        if not allow_saturation:
            self._check_saturation(counts, Mux(mux).name)
        return counts * self.lsb_v

    # -- continuous capture ------------------------------------------------------------
    def capture(
        self,
        n: int,
        rate_sps: int,
        channel: int = 0,
        *,
        mux: Mux | None = None,
        allow_saturation: bool = False,
    ) -> npt.NDArray[np.float64]:
        """Record ``n`` samples in volts at ``rate_sps`` in continuous mode.

        Sample k is read at ``t0 + (k + 1.5) / rate_sps`` on the injected clock, half a
        period after conversion k completes, so reads stay clear of register updates.
        ``mux`` overrides ``channel`` (single-ended AINn) for a differential capture. The
        chip is returned to single-shot (powered down) afterwards.

        The chip's data rate is only +-10 % accurate, so on real hardware the reads drift
        against the conversions (at 1 % rate error the read instant slips half a period
        every 50 samples, and a conversion can be read twice or skipped); for long captures
        with strict timing, wire ALERT/RDY to a GPIO instead.
        """
        if n <= 0:
            raise ValueError(f"{self.name}: capture needs n >= 1, got {n}")
        code = self._rate_code_for(rate_sps)
        if mux is None:
            if not 0 <= channel <= 3:
                raise ValueError(f"{self.name}: channel {channel} outside 0..3")
            mux = Mux(Mux.SINGLE_0 + channel)
        period = 1.0 / rate_sps
        counts = np.empty(n, dtype=np.int64)
        with self._sequence:
            try:
                self.raw_config = self.config_word(
                    mux, mode=Mode.CONTINUOUS, start=False, rate_code=code
                )
                t0 = self.clock.monotonic()
                self._set_pointer(_REG_CONVERSION)
                for k in range(n):
                    wait = t0 + (k + 1.5) * period - self.clock.monotonic()
                    if wait > 0:
                        self.clock.sleep(wait)
                    counts[k] = self._counts(self._read_pointed())
            except BaseException:
                with contextlib.suppress(OSError):  # keep the first error, not this one
                    self._stop_continuous(mux, code)
                raise
            self._stop_continuous(mux, code)
        if not allow_saturation:
            top = (1 << (self.bits - 1)) - 1
            clipped = int(np.count_nonzero((counts >= top) | (counts <= -top - 1)))
            if clipped:
                raise ReadingOutOfRange(
                    f"{self.name} at 0x{self.address:02X}: {clipped} of {n} samples at the "
                    f"+-{self.full_scale_v} V full scale"
                )
        return counts.astype(np.float64) * self.lsb_v

    def _stop_continuous(self, mux: Mux, rate_code: int) -> None:
        # single-shot with OS=0: the chip finishes the conversion and powers down
        self.raw_config = self.config_word(
            mux, mode=Mode.SINGLE_SHOT, start=False, rate_code=rate_code
        )

    def _set_pointer(self, register: int) -> None:
        try:
            with self.bus.lock:
                self.bus.i2c_rdwr(I2CMsg.write(self.address, [register]))
        except OSError as exc:
            raise self._error(register, exc) from exc

    def _read_pointed(self) -> int:
        """Read the register the pointer already selects (2 bytes, MSB first)."""
        msg = I2CMsg.read(self.address, 2)
        try:
            with self.bus.lock:
                self.bus.i2c_rdwr(msg)
        except OSError as exc:
            raise self._error(_REG_CONVERSION, exc) from exc
        return (msg.buf[0] << 8) | msg.buf[1]

    def _shutdown(self) -> None:
        # MODE=1 and OS=0: no new conversion; the chip stays powered down.
        self.raw_config = self.config_word(Mux.DIFF_0_1, mode=Mode.SINGLE_SHOT, start=False)


class ADS1115(ADS1x15):
    """TI ADS1115 16-bit ADC, 8..860 SPS."""

    name = "ADS1115"
    bits = 16
    data_rates_sps = (8, 16, 32, 64, 128, 250, 475, 860)
    default_rate_sps = 128


class ADS1015(ADS1x15):
    """TI ADS1015 12-bit ADC (result left-aligned in bits 15:4), 128..3300 SPS."""

    name = "ADS1015"
    bits = 12
    data_rates_sps = (128, 250, 490, 920, 1600, 2400, 3300, 3300)
    default_rate_sps = 1600
