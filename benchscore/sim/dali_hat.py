"""A DALI interface with the room's luminaires as its gear: the serial side, byte by byte.

:class:`SimDaliHat` answers on a pty (:class:`~benchscore.sim.serial_sim.PtyInstrument`) as
the ATX LED DALI HAT does for python-dali's ``dali.driver.atxled`` driver (19200 Bd, ASCII
lines): ``h`` + 4 hex digits sends a 16-bit forward frame, ``t`` + 4 hex digits sends it
twice (configuration commands), ``j``/``l``/``m`` 8/24/25-bit frames. Each transmission is
answered with one line: ``J`` + 2 hex digits for an 8-bit backward frame, ``N`` for none.

The forward frames are decoded here, independently of python-dali, by the frame layout of
IEC 62386-102 (so a test can hold python-dali's encoding against the standard): address
byte ``0AAAAAAS`` (short address 0..63), ``100GGGGS`` (group 0..15), ``1111111S``
(broadcast), ``1111110S`` (broadcast unaddressed); ``S = 0``: the second byte is a direct
arc power level; ``S = 1``: it is a command. Understood commands: OFF (0x00), RECALL MAX
LEVEL (0x05), RECALL MIN LEVEL (0x06), GO TO SCENE (0x10 + n), QUERY STATUS (0x90), QUERY
CONTROL GEAR PRESENT (0x91), QUERY ACTUAL LEVEL (0xA0), QUERY MAX LEVEL (0xA1), QUERY MIN
LEVEL (0xA2). Special commands (address bytes 0xA1..0xCB odd) and other opcodes are taken
off the bus unanswered, as gear that does not implement them would. A query that reaches
several gear is answered only if they all give the same byte (identical backward frames
overlay cleanly; differing ones would be a framing error, modelled as no answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchscore.sim.serial_sim import SerialSimulator

_FRAME_BITS = {b"j": 8, b"h": 16, b"t": 16, b"l": 24, b"m": 25}


@dataclass(frozen=True)
class ForwardFrame:
    """A decoded 16-bit gear forward frame (IEC 62386-102)."""

    raw: int
    target: str
    """``short``, ``group``, ``broadcast``, ``unaddressed`` or ``special``."""
    address: int | None
    """Short address or group number (None for broadcast and special commands)."""
    is_command: bool
    """True: ``opcode`` is a command; False: it is a direct arc power level."""
    opcode: int


def decode_forward_frame(raw: int) -> ForwardFrame:
    """Decode a 16-bit forward frame ``raw`` by the IEC 62386-102 address-byte layout."""
    if not 0 <= raw <= 0xFFFF:
        raise ValueError(f"a 16-bit forward frame must be 0..0xFFFF, got {raw:#x}")
    high, low = raw >> 8, raw & 0xFF
    selector = bool(high & 1)
    if high & 0x80 == 0:
        return ForwardFrame(raw, "short", (high >> 1) & 0x3F, selector, low)
    if high & 0xE0 == 0x80:
        return ForwardFrame(raw, "group", (high >> 1) & 0x0F, selector, low)
    if high >> 1 == 0x7F:
        return ForwardFrame(raw, "broadcast", None, selector, low)
    if high >> 1 == 0x7E:
        return ForwardFrame(raw, "unaddressed", None, selector, low)
    return ForwardFrame(raw, "special", None, True, high)


class SimDaliGear:
    """The room's luminaires as DALI control gear: acts on 16-bit forward frames and gives
    the backward frame byte of a query (None: no answer). Shared by the simulated interfaces."""

    def __init__(self, room: Any) -> None:
        self.room = room
        self.frames: list[ForwardFrame] = []
        """Every forward frame received, decoded, in order (a sent-twice one appears once)."""

    def forward(self, raw: int) -> int | None:
        """Carry out forward frame ``raw`` on the room; return the backward frame, if any."""
        frame = decode_forward_frame(raw)
        with self.room._lock:
            self.frames.append(frame)
            return self._act(frame)

    def _targets(self, frame: ForwardFrame) -> list[Any]:
        if frame.target == "short":
            return list(self.room.targets(address=frame.address))
        if frame.target == "group":
            return list(self.room.targets(group=frame.address))
        if frame.target in ("broadcast", "unaddressed"):
            return list(self.room.targets())
        return []

    def _where(self, frame: ForwardFrame) -> dict[str, int | None]:
        if frame.target == "short":
            return {"address": frame.address}
        if frame.target == "group":
            return {"group": frame.address}
        return {}

    def _act(self, frame: ForwardFrame) -> int | None:
        """Carry out ``frame`` on the room; return the backward frame byte, if any."""
        room = self.room
        if frame.target == "special":
            return None
        where = self._where(frame)
        if not frame.is_command:
            room.direct_arc_power(frame.opcode, **where)
            return None
        op = frame.opcode
        if op == 0x00:
            room.off(**where)
        elif op == 0x05:
            room.recall_max(**where)
        elif op == 0x06:
            room.recall_min(**where)
        elif 0x10 <= op <= 0x1F:
            room.go_to_scene(op - 0x10, **where)
        elif op in (0x90, 0x91, 0xA0, 0xA1, 0xA2):
            answers = {self._query(op, lum) for lum in self._targets(frame)}
            return answers.pop() if len(answers) == 1 else None
        return None

    def _query(self, op: int, luminaire: Any) -> int:
        now = self.room.clock.monotonic()
        level = luminaire.level_at(now)
        if op == 0x90:  # QUERY STATUS: bit 2 arc power on, bit 4 fade running
            fading = level != luminaire.target_arc
            return (0x04 if level > 0 else 0) | (0x10 if fading else 0)
        if op == 0x91:
            return 0xFF  # YES
        if op == 0xA1:
            return int(luminaire.max_arc)
        if op == 0xA2:
            return int(luminaire.min_arc)
        return int(round(level))


class SimDaliHat(SerialSimulator):
    """The DALI HAT's serial protocol in front of the luminaires of ``room`` (a
    :class:`~benchscore.sim.assemblies.lighting_room.Room`)."""

    reply_terminator = b"\n"

    def __init__(self, room: Any) -> None:
        super().__init__()
        self.gear = SimDaliGear(room)

    @property
    def frames(self) -> list[ForwardFrame]:
        """Every forward frame the gear received, decoded."""
        return self.gear.frames

    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        end = buffer.find(b"\n")
        return None if end < 0 else end + 1

    def handle(self, request: bytes) -> bytes:
        line = request.strip()
        kind, digits = line[:1], line[1:]
        bits = _FRAME_BITS.get(kind)
        try:
            value = int(digits, 16)
        except ValueError:
            return b""  # noise on the line: the HAT ignores it
        if bits is None or len(digits) * 4 < bits:
            return b""
        repeats = 2 if kind == b"t" else 1
        reply = b"N\n"
        if bits == 16:
            answer = self.gear.forward(value)
            if answer is not None:
                reply = b"J%02X\n" % answer
        return reply * repeats
