"""Simulated TCA9548A I2C switch with one downstream :class:`SimI2CBus` per channel.

The switch answers at its own address with one control byte (no pointer; when several bytes
are written the last one counts; reads return it). Downstream chips are put on a channel
with :meth:`SimTCA9548A.attach`, which also places a forwarding device on the parent bus at
the chip's address. A transaction to that address reaches the chip only while its channel is
connected; otherwise nobody acknowledges and the parent bus raises ``OSError(121)``. When
several connected channels hold a chip at the same address, writes reach all of them and
reads are the wired-AND of their answers (open-drain SDA), as on the real bus.

Example::

    bus = SimI2CBus(record=True)
    mux = SimTCA9548A(bus, 0x70)
    mux.attach(0, 0x40, SimINA219(clock, source_a))
    mux.attach(1, 0x40, SimINA219(clock, source_b))
"""

from __future__ import annotations

from typing import Final

from benchscore.sim.i2c import SimI2CBus, SimI2CDevice, WireEvent, nack

__all__ = ["SimTCA9548A"]

_CHANNELS: Final = 8


class SimTCA9548A(SimI2CDevice):
    """The switch itself, attached to ``parent`` at ``address`` on construction."""

    def __init__(self, parent: SimI2CBus, address: int = 0x70, channels: int = _CHANNELS) -> None:
        if not 0x70 <= address <= 0x77:
            raise ValueError(f"TCA9548A address 0x{address:02X} outside 0x70..0x77")
        self.parent = parent
        self.address = address
        self.control = 0x00  # power-up: every channel disconnected
        self.downstream: tuple[SimI2CBus, ...] = tuple(
            SimI2CBus(record=parent.record) for _ in range(channels)
        )
        self._forwarders: dict[int, _Forwarder] = {}
        parent.attach(address, self)

    # -- the switch's own register -----------------------------------------------------
    def on_write(self, data: bytes) -> None:
        if data:
            self.control = data[-1] & ((1 << len(self.downstream)) - 1)

    def on_read(self, length: int) -> bytes:
        return bytes([self.control]) * length

    def reset(self) -> None:
        """Pulse RESET low: every channel disconnects."""
        self.control = 0x00

    def selected_channels(self) -> list[int]:
        """Channels connected now."""
        return [n for n in range(len(self.downstream)) if self.control >> n & 1]

    # -- downstream --------------------------------------------------------------------
    def attach(self, channel: int, addr: int, device: SimI2CDevice) -> SimI2CDevice:
        """Put ``device`` at ``addr`` on downstream ``channel``."""
        if not 0 <= channel < len(self.downstream):
            raise ValueError(f"channel {channel} outside 0..{len(self.downstream) - 1}")
        if addr == self.address:
            raise ValueError(f"0x{addr:02X} is the switch's own address")
        if addr not in self._forwarders:
            forwarder = _Forwarder(self, addr)
            self.parent.attach(addr, forwarder)  # raises if a chip upstream has it
            self._forwarders[addr] = forwarder
        self.downstream[channel].attach(addr, device)
        return device

    def detach(self, channel: int, addr: int) -> None:
        """Remove the chip at ``addr`` from ``channel`` (unplugged)."""
        self.downstream[channel].detach(addr)

    def connected_devices(self, addr: int) -> list[tuple[SimI2CBus, SimI2CDevice]]:
        """(downstream bus, chip) pairs at ``addr`` on the connected channels."""
        out: list[tuple[SimI2CBus, SimI2CDevice]] = []
        for n in self.selected_channels():
            sub = self.downstream[n]
            dev = sub.devices.get(addr)
            if dev is not None and addr not in sub.nack_addresses:
                out.append((sub, dev))
        return out


class _Forwarder(SimI2CDevice):
    """Stands at a downstream address on the parent bus and relays to connected channels."""

    def __init__(self, mux: SimTCA9548A, addr: int) -> None:
        self.mux = mux
        self.addr = addr
        self._touched: list[SimI2CDevice] = []

    def _live(self) -> list[tuple[SimI2CBus, SimI2CDevice]]:
        targets = self.mux.connected_devices(self.addr)
        if not targets:
            raise nack(self.addr)
        for _, dev in targets:
            if dev not in self._touched:
                self._touched.append(dev)
        return targets

    def on_write(self, data: bytes) -> None:
        for sub, dev in self._live():
            if sub.record:
                sub.trace.append(WireEvent(self.addr, "w", data))
            dev.on_write(data)

    def on_read(self, length: int) -> bytes:
        result = bytearray(b"\xff" * length)
        for sub, dev in self._live():
            answer = bytes(dev.on_read(length))
            if sub.record:
                sub.trace.append(WireEvent(self.addr, "r", answer))
            for i, byte in enumerate(answer[:length]):
                result[i] &= byte  # open-drain: a 0 from any chip wins
        return bytes(result)

    def on_stop(self) -> None:
        touched, self._touched = self._touched, []
        for dev in touched:
            dev.on_stop()
