"""Simulated Korad KA3005P bench supply: unterminated ASCII commands, fixed-length replies.

Like the real supply, a command ends where the next one begins or when the line goes quiet
(``VSET1:12.00`` followed by ``VOUT1?``, or by silence). The output is a
:class:`~benchscore.sim.instruments.models.SupplyModel` driving ``load`` (current vs. voltage):
CV at the set voltage until the load wants more than the current limit, then CC. With OCP
armed, reaching the current limit switches the output off instead.
"""

from __future__ import annotations

import re
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.instruments.models import CurrentLoad, SupplyModel
from benchscore.sim.serial_sim import SerialSimulator

_FIXED: Final = (
    b"*IDN?",
    b"STATUS?",
    b"VSET1?",
    b"ISET1?",
    b"VOUT1?",
    b"IOUT1?",
    b"OUT1",
    b"OUT0",
    b"OCP1",
    b"OCP0",
    b"OVP1",
    b"OVP0",
    b"BEEP1",
    b"BEEP0",
    *(b"SAV%d" % n for n in range(1, 6)),
    *(b"RCL%d" % n for n in range(1, 6)),
)
_NUMERIC: Final = (b"VSET1:", b"ISET1:")
_NUMBER: Final = re.compile(rb"[0-9.]*")


class KA3005PSimulator(SerialSimulator):
    """A KA3005P (30 V, 5 A) driving ``load``.

    ``iset_stray`` reproduces the firmware that sends a 6th character after ``ISET1?``;
    ``idn_nul`` ends ``*IDN?`` with a NUL as some units do.
    """

    def __init__(
        self,
        load: CurrentLoad | None = None,
        *,
        identity: str = "KORAD KA3005P V5.8 SN:03379314",
        iset_stray: bytes = b"",
        idn_nul: bool = False,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.identity = identity
        self.iset_stray = iset_stray
        self.idn_nul = idn_nul
        self.supply = SupplyModel(load, max_voltage_v=31.0, max_current_a=5.1, clock=clock)
        self.ocp = False
        self.ovp = False
        self.beep = True
        self.locked = True  # the panel locks while under remote control
        self.memories = [(0.0, 0.0)] * 5
        self.ignored: list[bytes] = []

    # -- framing -----------------------------------------------------------------------------
    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        for command in _FIXED:
            if buffer.startswith(command):
                return len(command)
        for prefix in _NUMERIC:
            if buffer.startswith(prefix):
                number = _NUMBER.match(buffer, len(prefix))
                end = number.end() if number else len(prefix)
                return end if end < len(buffer) or idle else None
        if any(c.startswith(buffer) for c in (*_FIXED, *_NUMERIC)):
            return len(buffer) if idle else None  # a command still arriving
        return 1  # noise: skip one byte and resynchronise

    def handle(self, request: bytes) -> bytes:
        supply = self.supply
        supply.update()
        self._protect()
        if request.startswith(b"VSET1:") or request.startswith(b"ISET1:"):
            try:
                value = float(request[6:])
            except ValueError:
                self.ignored.append(request)
                return b""
            if request.startswith(b"VSET1:"):
                supply.voltage_set_v = min(max(value, 0.0), supply.max_voltage_v)
            else:
                supply.current_set_a = min(max(value, 0.0), supply.max_current_a)
            self._protect()
            return b""
        if request == b"*IDN?":
            return self.identity.encode("ascii") + (b"\0" if self.idn_nul else b"")
        if request == b"VSET1?":
            return f"{supply.voltage_set_v:05.2f}".encode()
        if request == b"ISET1?":
            return f"{supply.current_set_a:05.3f}".encode() + self.iset_stray
        if request in (b"VOUT1?", b"IOUT1?"):
            point = supply.operating_point()
            if request == b"VOUT1?":
                return f"{point.voltage_v:05.2f}".encode()
            return f"{point.current_a:05.3f}".encode()
        if request == b"STATUS?":
            return bytes([self._status()])
        if request in (b"OUT1", b"OUT0"):
            supply.output_on = request == b"OUT1"
            self._protect()
        elif request in (b"OCP1", b"OCP0"):
            self.ocp = request == b"OCP1"
            self._protect()
        elif request in (b"OVP1", b"OVP0"):
            self.ovp = request == b"OVP1"
        elif request in (b"BEEP1", b"BEEP0"):
            self.beep = request == b"BEEP1"
        elif request[:3] == b"SAV":
            self.memories[int(request[3:]) - 1] = (supply.voltage_set_v, supply.current_set_a)
        elif request[:3] == b"RCL":
            supply.voltage_set_v, supply.current_set_a = self.memories[int(request[3:]) - 1]
            self._protect()
        else:
            self.ignored.append(request)
        return b""

    def _protect(self) -> None:
        if self.ocp and self.supply.operating_point().regulation == "CC":
            self.supply.output_on = False

    def _status(self) -> int:
        point = self.supply.operating_point()
        byte = 0 if point.regulation == "CC" else 0x01
        byte |= 0x10 if self.beep else 0
        byte |= 0x20 if self.locked else 0
        byte |= 0x40 if self.supply.output_on else 0
        return byte


__all__ = ["KA3005PSimulator"]
