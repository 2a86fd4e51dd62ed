"""Wire-level MCP23017: both register maps, the auto-incrementing pointer, pins for physics.

The first byte of a write sets the address pointer; each further byte written or read moves
it on when IOCON.SEQOP=0 (BANK=0 wraps 0x15 -> 0x00 and so walks A, B, A, B ...). With
SEQOP=1 the pointer toggles within the A/B pair (BANK=0) or stays put (BANK=1). IOCON.BANK=1
switches to the split map (port A at 0x00..0x0A, port B at 0x10..0x1A).

Physics: :meth:`SimMCP23017.output_pins` is the 16-bit level of pins configured as outputs
(GPA in bits 7:0, GPB in 15:8; 0 for inputs), :meth:`SimMCP23017.output_enable` says which
pins are outputs, and :meth:`SimMCP23017.drive_inputs` sets what the outside world applies
to input pins. An input nobody drives reads 1 with its pull-up on and 0 otherwise (a real
floating CMOS input is undefined). Interrupt-on-change sets INTF and captures INTCAP; reading
GPIO or INTCAP of the port clears it (a DEFVAL mismatch that persists re-asserts).
"""

from __future__ import annotations

from typing import Final

from benchscore.sim.i2c import SimI2CDevice

__all__ = ["SimMCP23017"]

# register kinds, in BANK=1 order within a port
IODIR, IPOL, GPINTEN, DEFVAL, INTCON, IOCON, GPPU, INTF, INTCAP, GPIO, OLAT = range(11)
_KINDS: Final = 11
_BANK: Final = 0x80
_SEQOP: Final = 0x20


class SimMCP23017(SimI2CDevice):
    """A simulated MCP23017 at power-on state (BANK=0, IODIR=0xFF, everything else 0)."""

    def __init__(self) -> None:
        self.regs: list[list[int]] = [[0, 0] for _ in range(_KINDS)]
        self.regs[IODIR] = [0xFF, 0xFF]
        self.iocon = 0x00
        self.pointer = 0x00
        self.external = 0x0000  # levels applied by the physics to input pins
        self.driven = 0x0000  # which pins the physics drives
        self._pending = [False, False]
        self._last_levels = self.pin_levels()

    # -- address map -------------------------------------------------------------------
    def decode(self, address: int) -> tuple[int, int] | None:
        """Return (kind, port) for a register address in the current bank, or None."""
        if self.iocon & _BANK:
            port, kind = address >> 4, address & 0x0F
            if port > 1 or kind >= _KINDS:
                return None
            return kind, port
        if address >= 2 * _KINDS:
            return None
        return address >> 1, address & 1

    def _advance(self) -> None:
        if self.iocon & _SEQOP:
            if not self.iocon & _BANK:
                self.pointer ^= 1
            return
        if self.iocon & _BANK:
            nxt = self.pointer + 1
            if (nxt & 0x0F) >= _KINDS:
                nxt = 0x10 if nxt < 0x10 else 0x00
            self.pointer = nxt & 0x1F
        else:
            self.pointer = (self.pointer + 1) % (2 * _KINDS)

    # -- pins --------------------------------------------------------------------------
    def _word(self, kind: int) -> int:
        return self.regs[kind][0] | (self.regs[kind][1] << 8)

    def output_enable(self) -> int:
        """16-bit mask of pins configured as outputs."""
        return ~self._word(IODIR) & 0xFFFF

    def output_pins(self) -> int:
        """16-bit levels the chip drives (OLAT on output pins, 0 elsewhere)."""
        return self._word(OLAT) & self.output_enable()

    def pin_levels(self) -> int:
        """16-bit electrical level of every pin."""
        outputs = self.output_enable()
        pulled = self._word(GPPU) & ~self.driven
        inputs = (self.external & self.driven) | pulled
        return ((self._word(OLAT) & outputs) | (inputs & ~outputs)) & 0xFFFF

    def drive_inputs(self, levels: int, mask: int = 0xFFFF) -> None:
        """Drive the pins in ``mask`` from outside at ``levels`` (GPA bits 7:0)."""
        self.external = (self.external & ~mask) | (levels & mask)
        self.driven |= mask
        self._check_interrupts()

    def release_inputs(self, mask: int = 0xFFFF) -> None:
        """Stop driving the pins in ``mask`` (they float or follow their pull-up)."""
        self.driven &= ~mask
        self._check_interrupts()

    def _gpio_port(self, port: int) -> int:
        levels = (self.pin_levels() >> (8 * port)) & 0xFF
        inputs = self.regs[IODIR][port]
        return levels ^ (self.regs[IPOL][port] & inputs)

    def interrupt_pending(self, port: int) -> bool:
        """Whether INTA (port 0) or INTB (port 1) is asserted."""
        if self.iocon & 0x40:  # MIRROR: both pins OR'ed
            return self._pending[0] or self._pending[1]
        return self._pending[port]

    def _check_interrupts(self) -> None:
        levels = self.pin_levels()
        for port in (0, 1):
            now = (levels >> (8 * port)) & 0xFF
            before = (self._last_levels >> (8 * port)) & 0xFF
            enabled = self.regs[GPINTEN][port] & self.regs[IODIR][port]
            versus_defval = self.regs[INTCON][port]
            cause = enabled & (
                ((now ^ self.regs[DEFVAL][port]) & versus_defval)
                | ((now ^ before) & ~versus_defval)
            )
            if cause and not self._pending[port]:
                self._pending[port] = True
                self.regs[INTF][port] = cause & 0xFF
                self.regs[INTCAP][port] = self._gpio_port(port)
        self._last_levels = levels

    def _clear_interrupt(self, port: int) -> None:
        self._pending[port] = False
        self.regs[INTF][port] = 0
        self._check_interrupts()

    # -- registers ---------------------------------------------------------------------
    def read_register(self, address: int) -> int:
        """Return what a read of register ``address`` gives, with its side effects."""
        where = self.decode(address)
        if where is None:
            return 0x00
        kind, port = where
        if kind == IOCON:
            return self.iocon
        if kind == GPIO:
            value = self._gpio_port(port)
            self._clear_interrupt(port)
            return value
        value = self.regs[kind][port]
        if kind == INTCAP:
            self._clear_interrupt(port)
        return value

    def write_register(self, address: int, value: int) -> None:
        """Apply a write of ``value`` to register ``address``."""
        where = self.decode(address)
        if where is None:
            return
        kind, port = where
        if kind == IOCON:
            self.iocon = value & 0xFE  # bit 0 is unimplemented
        elif kind in (INTF, INTCAP):
            return  # read-only
        elif kind in (GPIO, OLAT):
            self.regs[OLAT][port] = value
        else:
            self.regs[kind][port] = value
        self._check_interrupts()

    # -- wire --------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        if not data:
            return
        self.pointer = data[0]
        for byte in data[1:]:
            self.write_register(self.pointer, byte)
            self._advance()

    def on_read(self, length: int) -> bytes:
        out = bytearray()
        for _ in range(length):
            out.append(self.read_register(self.pointer))
            self._advance()
        return bytes(out)
