"""8-bit register descriptors and block access, companions to :mod:`drivers.registers`.

The ams light sensors (TSL2591, TCS34725, AS7341) are byte-register chips: a class body lists
them like the datasheet table::

    class TSL2591(I2CDevice):
        command_bit = 0xA0
        enable = RWReg8(0x00)
        avalid = ROBits8(0x13, lowest_bit=0)

Every access goes through :meth:`I2CDevice.read_u8` / :meth:`I2CDevice.write_u8`, so the
device's ``command_bit`` is OR'ed into the register byte and an ``OSError`` becomes a
:class:`drivers.errors.BusError` naming the device, address and register.
"""

from __future__ import annotations

from collections.abc import Sequence

from drivers.registers import I2CDevice, _Field


class ROReg8(_Field[int]):
    """A read-only 8-bit register."""

    def __init__(self, register: int) -> None:
        self.register = register

    def get(self, obj: I2CDevice) -> int:
        return obj.read_u8(self.register)


class RWReg8(ROReg8):
    """A read-write 8-bit register."""

    def __set__(self, obj: I2CDevice, value: int) -> None:
        if not 0 <= int(value) <= 0xFF:
            raise ValueError(f"{obj.name}: {self.attr}={value} is not an 8-bit value")
        obj.write_u8(self.register, int(value))


class ROBits8(_Field[int]):
    """A bit field of ``width`` bits at ``lowest_bit`` inside an 8-bit register."""

    def __init__(self, register: int, *, lowest_bit: int, width: int = 1) -> None:
        if lowest_bit < 0 or width < 1 or lowest_bit + width > 8:
            raise ValueError("bit field does not fit in 8 bits")
        self.register = register
        self.lowest_bit = lowest_bit
        self.mask = ((1 << width) - 1) << lowest_bit

    def get(self, obj: I2CDevice) -> int:
        return (obj.read_u8(self.register) & self.mask) >> self.lowest_bit


class RWBits8(ROBits8):
    """A read-modify-write bit field inside an 8-bit register."""

    def __set__(self, obj: I2CDevice, value: int) -> None:
        field_max = self.mask >> self.lowest_bit
        if not 0 <= int(value) <= field_max:
            raise ValueError(f"{obj.name}: {self.attr}={value} outside 0..{field_max}")
        with obj.bus.lock:
            current = obj.read_u8(self.register)
            obj.write_u8(self.register, (current & ~self.mask) | (int(value) << self.lowest_bit))


def _command(dev: I2CDevice, register: int, command_bits: int | None) -> int:
    return register | (dev.command_bit if command_bits is None else command_bits)


def read_block(
    dev: I2CDevice, register: int, length: int, *, command_bits: int | None = None
) -> bytes:
    """Read ``length`` bytes starting at ``register`` in one transaction.

    ``command_bits`` replaces the device's ``command_bit`` for this access (the TCS34725 needs
    0xA0, auto-increment, for a block where single registers use 0x80).
    """
    try:
        with dev.bus.lock:
            data = dev.bus.read_i2c_block_data(
                dev.address, _command(dev, register, command_bits), length
            )
    except OSError as exc:
        raise dev._error(register, exc) from exc
    return bytes(data)


def write_block(
    dev: I2CDevice, register: int, data: Sequence[int], *, command_bits: int | None = None
) -> None:
    """Write ``data`` starting at ``register`` in one transaction (the chip auto-increments)."""
    try:
        with dev.bus.lock:
            dev.bus.write_i2c_block_data(
                dev.address, _command(dev, register, command_bits), list(data)
            )
    except OSError as exc:
        raise dev._error(register, exc) from exc
