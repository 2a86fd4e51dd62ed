"""The Tridonic/Lunatone DALI USB interface (USB HID, 64-byte reports) in front of the room.

python-dali's ``dali.driver.hid.tridonic`` opens the interface's hidraw node and exchanges
64-byte reports; :class:`SimTridonicUsb` answers them on a pty (each report one read of 64
bytes, as hidraw gives them). Reports, as the driver packs and unpacks them:

- command ``>4B4s3B53x``: cmd, sequence number, control (0x20 send twice), mode (3 = 16-bit
  DALI frame), the frame in 4 bytes (big-endian, right-aligned), DTR0, priority, device type;
  cmd 0x01 INIT (byte 1: 0x00 read the firmware version, 0x02 read the serial number), 0x12
  SEND.
- response ``>BB4sHB55x``: mode (0x01 info, 0x12 response to a send), response type (0x71 no
  frame, 0x72 8-bit backward frame, 0x73 16-bit forward frame seen on the bus), the frame in 4
  bytes, the interval, the sequence number of the command.

For a SEND the interface reports each transmission of the forward frame (0x73, twice for a
sent-twice command), then the backward frame (0x72) or that none came (0x71). The forward
frames go to the same simulated gear as :class:`~benchscore.sim.dali_hat.SimDaliHat`'s.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from benchscore.sim.dali_hat import ForwardFrame, SimDaliGear
from benchscore.sim.serial_sim import SerialSimulator

REPORT_BYTES: Final = 64
_COMMAND = struct.Struct(">4B4s3B53x")
_RESPONSE = struct.Struct(">BB4sHB55x")

CMD_INIT: Final = 0x01
CMD_SEND: Final = 0x12
INIT_READ_VERSION: Final = 0x00
INIT_READ_SERIAL: Final = 0x02
CTRL_SEND_TWICE: Final = 0x20
MODE_DALI16: Final = 3
MODE_INFO: Final = 0x01
MODE_RESPONSE: Final = 0x12
RESPONSE_NO_FRAME: Final = 0x71
RESPONSE_DALI8: Final = 0x72
RESPONSE_DALI16: Final = 0x73

FIRMWARE_VERSION: Final = (2, 5)
SERIAL_NUMBER: Final = bytes.fromhex("00c0ffee")


class SimTridonicUsb(SerialSimulator):
    """A Tridonic DALI USB whose bus carries the luminaires of ``room``."""

    def __init__(self, room: Any) -> None:
        super().__init__()
        self.gear = SimDaliGear(room)

    @property
    def frames(self) -> list[ForwardFrame]:
        """Every forward frame the gear received, decoded."""
        return self.gear.frames

    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        return REPORT_BYTES if len(buffer) >= REPORT_BYTES else None

    def handle(self, request: bytes) -> bytes:
        cmd, seq, ctrl, mode, frame, _dtr, _prio, _devtype = _COMMAND.unpack(request)
        if cmd == CMD_INIT and seq == INIT_READ_VERSION:
            return bytes([MODE_INFO, 0, 0, *FIRMWARE_VERSION]).ljust(REPORT_BYTES, b"\0")
        if cmd == CMD_INIT and seq == INIT_READ_SERIAL:
            return bytes([MODE_INFO, *SERIAL_NUMBER]).ljust(REPORT_BYTES, b"\0")
        if cmd != CMD_SEND or mode != MODE_DALI16:
            return b""  # not modelled: the interface stays silent
        raw = int.from_bytes(frame, "big")
        answer = self.gear.forward(raw)
        echoes = 2 if ctrl & CTRL_SEND_TWICE else 1
        out = _RESPONSE.pack(MODE_RESPONSE, RESPONSE_DALI16, frame, 0, seq) * echoes
        if answer is None:
            return out + _RESPONSE.pack(MODE_RESPONSE, RESPONSE_NO_FRAME, bytes(4), 0, seq)
        backward = answer.to_bytes(4, "big")
        return out + _RESPONSE.pack(MODE_RESPONSE, RESPONSE_DALI8, backward, 0, seq)
