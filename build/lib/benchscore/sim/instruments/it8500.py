"""Simulated ITECH IT8500+ / BK 85xx electronic load speaking the 26-byte binary protocol.

Frames are re-synchronised on the 0xAA start byte; a partial frame is dropped when the line
goes quiet. A frame for another address gets no answer (the bus is multi-drop). A bad checksum
is answered with status 0x90, an unknown command with 0xB0, a setting outside the ratings with
0xA0, and any setting while the load is under front-panel control with 0xC0.
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.instruments.models import ElectronicLoadModel, LoadMode, VoltageSource
from benchscore.sim.serial_sim import SerialSimulator
from drivers import it8500 as proto

# protocol mode number -> model mode ("CW" is the protocol's name for constant power)
_MODES: Final[dict[int, LoadMode]] = {0: "CC", 1: "CV", 2: "CP", 3: "CR"}
_DEMAND_BITS: Final[dict[str, int]] = {"CC": 0x0040, "CV": 0x0080, "CP": 0x0100, "CR": 0x0200}


class IT8500Simulator(SerialSimulator):
    """An IT8512+ (by default) at ``address`` sinking current from ``source``."""

    def __init__(
        self,
        source: VoltageSource | None = None,
        *,
        address: int = 0,
        model: str = "8512+",
        firmware: tuple[int, int] = (0x1, 0x23),
        serial_number: str = "0123456789",
        max_current_a: float = 30.0,
        max_voltage_v: float = 120.0,
        max_power_w: float = 300.0,
        max_resistance_ohm: float = 7500.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.address = address
        self.model = model
        self.firmware = firmware
        self.serial_number = serial_number
        self.max_resistance_ohm = max_resistance_ohm
        self.remote = False
        self.load = ElectronicLoadModel(
            source,
            max_current_a=max_current_a,
            max_voltage_v=max_voltage_v,
            max_power_w=max_power_w,
            clock=clock,
        )

    # -- framing -----------------------------------------------------------------------------
    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        if buffer[0] != proto.START:
            start = buffer.find(bytes([proto.START]))
            return start if start > 0 else len(buffer)  # junk before a start byte
        if len(buffer) >= proto.FRAME_LENGTH:
            return proto.FRAME_LENGTH
        return len(buffer) if idle else None  # a partial frame times out

    def _reply(self, command: int, data: bytes = b"") -> bytes:
        return proto.build_frame(self.address, command, data)

    def _status(self, status: int) -> bytes:
        return self._reply(proto.CMD_STATUS, bytes([status]))

    def handle(self, request: bytes) -> bytes:
        if len(request) != proto.FRAME_LENGTH or request[0] != proto.START:
            return b""
        if request[1] not in (self.address, 0xFF):
            return b""
        if request[25] != proto.checksum(request):
            return self._status(0x90)
        self.load.update()
        command, data = request[2], request[3:25]
        value = int.from_bytes(data[:4], "little")
        load = self.load
        if command == proto.CMD_REMOTE:
            self.remote = data[0] == 1
            return self._status(proto.STATUS_OK)
        if command == proto.CMD_GET_STATE:
            return self._reply(command, self._state())
        if command == proto.CMD_MODEL_INFO:
            info = (
                self.model.encode("ascii")[:5].ljust(5, b"\0")
                + bytes([self.firmware[1], self.firmware[0]])
                + self.serial_number.encode("ascii")[:10].ljust(10, b"\0")
            )
            return self._reply(command, info)
        getters = {
            proto.CMD_GET_MODE: lambda: next(n for n, m in _MODES.items() if m == load.mode),
            proto.CMD_GET_CURRENT: lambda: round(load.current_set_a / proto.CURRENT_LSB_A),
            proto.CMD_GET_VOLTAGE: lambda: round(load.voltage_set_v / proto.VOLTAGE_LSB_V),
            proto.CMD_GET_POWER: lambda: round(load.power_set_w / proto.POWER_LSB_W),
            proto.CMD_GET_RESISTANCE: lambda: round(
                load.resistance_set_ohm / proto.RESISTANCE_LSB_OHM
            ),
        }
        if command in getters:
            return self._reply(command, proto.u32(getters[command]()))
        setters = {
            proto.CMD_INPUT,
            proto.CMD_SET_MODE,
            proto.CMD_SET_CURRENT,
            proto.CMD_SET_VOLTAGE,
            proto.CMD_SET_POWER,
            proto.CMD_SET_RESISTANCE,
        }
        if command not in setters:
            return self._status(0xB0)
        if not self.remote:
            return self._status(0xC0)
        limits = {
            proto.CMD_SET_CURRENT: ("current_set_a", proto.CURRENT_LSB_A, load.max_current_a),
            proto.CMD_SET_VOLTAGE: ("voltage_set_v", proto.VOLTAGE_LSB_V, load.max_voltage_v),
            proto.CMD_SET_POWER: ("power_set_w", proto.POWER_LSB_W, load.max_power_w),
            proto.CMD_SET_RESISTANCE: (
                "resistance_set_ohm",
                proto.RESISTANCE_LSB_OHM,
                self.max_resistance_ohm,
            ),
        }
        if command == proto.CMD_INPUT and data[0] in (0, 1):
            load.input_on = data[0] == 1
        elif command == proto.CMD_SET_MODE and data[0] in _MODES:
            load.mode = _MODES[data[0]]
        elif command in limits and value <= round(limits[command][2] / limits[command][1]):
            attr, lsb, _ = limits[command]
            setattr(load, attr, value * lsb)
        else:
            return self._status(0xA0)
        return self._status(proto.STATUS_OK)

    def _state(self) -> bytes:
        point = self.load.update()
        operation = (proto.OS_REMOTE if self.remote else 0) | (
            proto.OS_INPUT_ON if self.load.input_on else 0
        )
        demand = _DEMAND_BITS.get(point.regulation, 0)
        return (
            proto.u32(round(point.voltage_v / proto.VOLTAGE_LSB_V))
            + proto.u32(round(point.current_a / proto.CURRENT_LSB_A))
            + proto.u32(round(point.power_w / proto.POWER_LSB_W))
            + bytes([operation])
            + demand.to_bytes(2, "little")
        )


__all__ = ["IT8500Simulator"]
