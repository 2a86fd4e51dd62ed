"""Microchip MCP23017 16-bit I2C GPIO expander, IOCON.BANK=0 register map.

Pins 0..7 are GPA0..GPA7 and 8..15 are GPB0..GPB7. In the BANK=0 map the A and B registers
alternate and the address pointer auto-increments (IOCON.SEQOP=0), so each 16-bit register
pair is one SMBus word with port A in the low byte: ``read_word_data(addr, 0x12)`` returns
``GPIOA | GPIOB << 8``. Outputs are changed through OLAT (read-modify-write of one port), so
reading back a pin driven against a load never flips other outputs.

Datasheet revision D (2022): GPA7 and GPB7 are output-only; as inputs they can corrupt SDA.
:meth:`MCP23017.set_direction` refuses to make them inputs.

Example (channel switching)::

    gpio = MCP23017(bus, 0x20)
    gpio.set_outputs(0x00FF)          # GPA0..7 drive relays
    gpio.write_pin(3, True)           # relay 3 on
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from drivers.i2c import I2CBus
from drivers.registers import I2CDevice, ROReg16, RWReg16

__all__ = ["MCP23017", "Direction", "OUTPUT_ONLY_PINS"]

_REG_IODIR: Final = 0x00
_REG_IPOL: Final = 0x02
_REG_GPINTEN: Final = 0x04
_REG_DEFVAL: Final = 0x06
_REG_INTCON: Final = 0x08
_REG_IOCON: Final = 0x0A
_REG_GPPU: Final = 0x0C
_REG_INTF: Final = 0x0E
_REG_INTCAP: Final = 0x10
_REG_GPIO: Final = 0x12
_REG_OLAT: Final = 0x14

OUTPUT_ONLY_PINS: Final = frozenset({7, 15})
"""GPA7 and GPB7 (datasheet rev. D)."""


class Direction(IntEnum):
    """IODIR bit value."""

    OUTPUT = 0
    INPUT = 1  # reset value


class MCP23017(I2CDevice):
    """MCP23017 at 0x20..0x27; 16-bit registers are A (low byte) then B."""

    name = "MCP23017"
    byteorder = "little"

    iodir = RWReg16(_REG_IODIR)
    ipol = RWReg16(_REG_IPOL)
    gpinten = RWReg16(_REG_GPINTEN)
    defval = RWReg16(_REG_DEFVAL)
    intcon = RWReg16(_REG_INTCON)
    gppu = RWReg16(_REG_GPPU)
    intf = ROReg16(_REG_INTF)
    intcap = ROReg16(_REG_INTCAP)
    gpio = RWReg16(_REG_GPIO)
    olat = RWReg16(_REG_OLAT)

    def __init__(self, bus: I2CBus, address: int = 0x20) -> None:
        if not 0x20 <= address <= 0x27:
            raise ValueError(f"MCP23017 address 0x{address:02X} outside 0x20..0x27")
        super().__init__(bus, address)

    @property
    def iocon(self) -> int:
        """Control the IOCON byte (BANK b7, MIRROR b6, SEQOP b5, ... INTPOL b1)."""
        return self.read_u8(_REG_IOCON)

    @iocon.setter
    def iocon(self, value: int) -> None:
        if value & 0xA0:
            raise ValueError(
                f"{self.name}: IOCON 0x{value:02X} sets BANK or SEQOP; this driver needs "
                "the BANK=0 map with auto-increment"
            )
        self.write_u8(_REG_IOCON, value)

    # -- pins --------------------------------------------------------------------------
    @staticmethod
    def _check_pin(pin: int) -> tuple[int, int]:
        if not 0 <= pin <= 15:
            raise ValueError(f"MCP23017 pin {pin} outside 0..15")
        return pin >> 3, 1 << (pin & 7)  # (port 0=A 1=B, bit in port)

    def set_direction(self, pin: int, direction: Direction, *, pull_up: bool = False) -> None:
        """Make ``pin`` an output or an input (optionally with the 100 kOhm pull-up)."""
        port, bit = self._check_pin(pin)
        direction = Direction(direction)
        if direction is Direction.INPUT and pin in OUTPUT_ONLY_PINS:
            raise ValueError(
                f"{self.name}: GP{'AB'[port]}7 is output-only (datasheet rev. D); as an "
                "input it can corrupt SDA"
            )
        with self.bus.lock:
            if direction is Direction.INPUT:
                pullups = self.read_u8(_REG_GPPU + port)
                new = pullups | bit if pull_up else pullups & ~bit
                if new != pullups:
                    self.write_u8(_REG_GPPU + port, new)
            iodir = self.read_u8(_REG_IODIR + port)
            new_dir = iodir | bit if direction is Direction.INPUT else iodir & ~bit
            if new_dir != iodir:
                self.write_u8(_REG_IODIR + port, new_dir)

    def direction(self, pin: int) -> Direction:
        """Return the direction of ``pin``."""
        port, bit = self._check_pin(pin)
        return Direction.INPUT if self.read_u8(_REG_IODIR + port) & bit else Direction.OUTPUT

    def set_outputs(self, mask: int, *, initial: int = 0) -> None:
        """Make the pins set in ``mask`` outputs and the rest inputs, outputs at ``initial``.

        The latch is written before IODIR so the outputs come up at ``initial`` without a
        glitch. Pins outside ``mask`` return to inputs, their reset state.
        """
        if not 0 <= mask <= 0xFFFF or not 0 <= initial <= 0xFFFF:
            raise ValueError(f"{self.name}: mask and initial must be 16-bit")
        with self.bus.lock:
            self.olat = initial
            self.iodir = ~mask & 0xFFFF

    def write_pin(self, pin: int, value: bool) -> None:
        """Drive output ``pin`` high (True) or low (False) through OLAT."""
        port, bit = self._check_pin(pin)
        with self.bus.lock:
            latch = self.read_u8(_REG_OLAT + port)
            new = latch | bit if value else latch & ~bit
            if new != latch:
                self.write_u8(_REG_OLAT + port, new)

    def read_pin(self, pin: int) -> bool:
        """Read the level of ``pin`` (after IPOL inversion)."""
        port, bit = self._check_pin(pin)
        return bool(self.read_u8(_REG_GPIO + port) & bit)

    def write_outputs(self, value: int) -> None:
        """Write both output latches in one transaction (A low byte, B high byte)."""
        self.olat = value

    def read_inputs(self) -> int:
        """Read both ports in one transaction: GPA in bits 7:0, GPB in bits 15:8."""
        return self.gpio

    def _shutdown(self) -> None:
        # Back to the reset state: every pin an input, so no channel stays switched on.
        self.iodir = 0xFFFF
