"""Declarative register maps, after adafruit_register, on top of :class:`drivers.i2c.I2CBus`.

A driver's class body lists its registers like the datasheet table::

    class INA219(I2CDevice):
        raw_shunt_voltage = ROReg16(0x01, signed=True)
        raw_bus_adc = RWBits16(0x00, lowest_bit=7, width=4)
        gain = RWEnumBits16(0x00, lowest_bit=11, width=2, enum=Gain)  # reads a Gain member

Registers wider than a byte name their byte order; big-endian chips (INA2xx, ADS1x15) get the
SMBus word swapped in exactly one place, :meth:`I2CDevice.read_u16`. Each access goes through
the bus lock and turns an ``OSError`` into a :class:`drivers.errors.BusError` that names the
device, address and register. No module-level buffers: every call has its own.
"""

from __future__ import annotations

import contextlib
from enum import IntEnum
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, overload

from drivers.errors import BusError, DeviceMismatch
from drivers.i2c import I2CBus

ByteOrder = Literal["big", "little"]


def swap16(word: int) -> int:
    """Swap the two bytes of a 16-bit word."""
    return ((word & 0xFF) << 8) | ((word >> 8) & 0xFF)


def to_signed16(value: int) -> int:
    """Interpret a 16-bit unsigned value as two's complement."""
    return value - 0x10000 if value & 0x8000 else value


class I2CDevice:
    """Base of every I2C chip driver: a bus, an address, a name, and safe register access."""

    name = "I2C device"
    byteorder: ByteOrder = "big"
    command_bit = 0x00
    """OR'ed into every register byte (TSL2591 0xA0, TCS34725 0x80); 0 for most chips."""

    def __init__(self, bus: I2CBus, address: int) -> None:
        self.bus = bus
        self.address = address
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Put the chip in its low-power state if it has one; idempotent; never closes the bus."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):  # closing an unplugged sensor must not raise
            self._shutdown()

    def _shutdown(self) -> None:  # noqa: B027 - optional hook
        """Chip-specific power-down (override where the chip has one)."""

    def __enter__(self: _D) -> _D:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(address=0x{self.address:02X})"

    def _require_id(self, ok: bool, read: str, expected: str) -> None:
        """Raise DeviceMismatch unless ``ok``; ``read`` says what the identity register(s)
        read, ``expected`` what this chip reads there."""
        if not ok:
            raise DeviceMismatch(
                f"{self.name} at 0x{self.address:02X}: {read}, expected {expected}"
            )

    # -- raw access --------------------------------------------------------------------
    def _error(self, register: int | None, exc: OSError) -> BusError:
        return BusError(self.name, self.address, register, exc)

    def read_u16(self, register: int) -> int:
        """Read a 16-bit register in the chip's byte order."""
        try:
            with self.bus.lock:
                word = self.bus.read_word_data(self.address, register | self.command_bit)
        except OSError as exc:
            raise self._error(register, exc) from exc
        return swap16(word) if self.byteorder == "big" else word

    def write_u16(self, register: int, value: int) -> None:
        """Write a 16-bit register in the chip's byte order."""
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"{self.name}: 0x{register:02X} value {value} is not 16-bit")
        word = swap16(value) if self.byteorder == "big" else value
        try:
            with self.bus.lock:
                self.bus.write_word_data(self.address, register | self.command_bit, word)
        except OSError as exc:
            raise self._error(register, exc) from exc

    def read_u8(self, register: int) -> int:
        """Read an 8-bit register."""
        try:
            with self.bus.lock:
                return self.bus.read_byte_data(self.address, register | self.command_bit)
        except OSError as exc:
            raise self._error(register, exc) from exc

    def write_u8(self, register: int, value: int) -> None:
        """Write an 8-bit register."""
        try:
            with self.bus.lock:
                self.bus.write_byte_data(self.address, register | self.command_bit, value & 0xFF)
        except OSError as exc:
            raise self._error(register, exc) from exc


_D = TypeVar("_D", bound=I2CDevice)
_T = TypeVar("_T")


class _Field(Generic[_T]):
    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Field[_T]: ...
    @overload
    def __get__(self, obj: I2CDevice, objtype: type | None = None) -> _T: ...
    def __get__(self, obj: I2CDevice | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return self.get(obj)

    def get(self, obj: I2CDevice) -> _T:
        raise NotImplementedError


class ROReg16(_Field[int]):
    """A read-only 16-bit register; ``signed`` applies two's complement."""

    def __init__(self, register: int, *, signed: bool = False) -> None:
        self.register = register
        self.signed = signed

    def get(self, obj: I2CDevice) -> int:
        value = obj.read_u16(self.register)
        return to_signed16(value) if self.signed else value


class RWReg16(ROReg16):
    """A read-write 16-bit register."""

    def __set__(self, obj: I2CDevice, value: int) -> None:
        obj.write_u16(self.register, value & 0xFFFF)


class ROBits16(_Field[int]):
    """A bit field of ``width`` bits at ``lowest_bit`` inside a 16-bit register."""

    def __init__(self, register: int, *, lowest_bit: int, width: int = 1) -> None:
        if width < 1 or lowest_bit < 0 or lowest_bit + width > 16:
            raise ValueError("bit field does not fit in 16 bits")
        self.register = register
        self.lowest_bit = lowest_bit
        self.mask = ((1 << width) - 1) << lowest_bit

    def get(self, obj: I2CDevice) -> int:
        return (obj.read_u16(self.register) & self.mask) >> self.lowest_bit


class RWBits16(ROBits16):
    """A read-modify-write bit field inside a 16-bit register."""

    def __set__(self, obj: I2CDevice, value: int) -> None:
        field_max = self.mask >> self.lowest_bit
        if not 0 <= int(value) <= field_max:
            raise ValueError(f"{obj.name}: {self.attr}={value} outside 0..{field_max}")
        with obj.bus.lock:
            current = obj.read_u16(self.register)
            obj.write_u16(self.register, (current & ~self.mask) | (int(value) << self.lowest_bit))


_E = TypeVar("_E", bound=IntEnum)


class RWEnumBits16(_Field[_E]):
    """A read-modify-write bit field inside a 16-bit register whose codes are the members of
    ``enum``: reading returns the member, writing takes a member (or its value; anything else
    raises ValueError before the bus is touched)."""

    def __init__(self, register: int, *, lowest_bit: int, width: int = 1, enum: type[_E]) -> None:
        self.bits = RWBits16(register, lowest_bit=lowest_bit, width=width)
        self.enum = enum

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.bits.__set_name__(owner, name)

    def get(self, obj: I2CDevice) -> _E:
        return self.enum(self.bits.get(obj))

    def __set__(self, obj: I2CDevice, value: _E) -> None:
        self.bits.__set__(obj, self.enum(value))
