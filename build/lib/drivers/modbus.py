"""Modbus RTU framing: CRC-16/MODBUS, request and response frames for functions 03, 06 and 16.

Only what a bench PSU needs (the Riden RD60xx), used by :mod:`drivers.rd6006` and by its
simulator, so both sides build and check frames the same documented way. A frame is
``slave, function, payload..., CRC low byte, CRC high byte``; register values are big-endian.

Worked example (read one holding register at 0 from slave 1)::

    >>> read_registers_request(1, 0, 1).hex(" ")
    '01 03 00 00 00 01 84 0a'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

READ_HOLDING_REGISTERS: Final = 0x03
WRITE_SINGLE_REGISTER: Final = 0x06
WRITE_MULTIPLE_REGISTERS: Final = 0x10

MAX_READ_COUNT: Final = 125
"""Most registers one function-03 request may read (the reply must fit 256 bytes)."""
MAX_WRITE_COUNT: Final = 123
"""Most registers one function-16 request may write."""

EXCEPTION_NAMES: Final = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "slave device failure",
    5: "acknowledge",
    6: "slave device busy",
}


class ModbusFrameError(ValueError):
    """A frame is malformed: wrong length, wrong CRC, unexpected slave or function."""


class ModbusExceptionReply(Exception):
    """The slave answered with an exception response (function code with bit 7 set)."""

    def __init__(self, slave: int, function: int, code: int) -> None:
        name = EXCEPTION_NAMES.get(code, "unknown exception")
        super().__init__(f"slave {slave} function 0x{function:02X}: exception {code} ({name})")
        self.slave = slave
        self.function = function
        self.code = code


# -- CRC ------------------------------------------------------------------------------------
def crc16(data: bytes) -> int:
    """Return the CRC-16/MODBUS of ``data`` (reflected polynomial 0xA001, initial 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    """Append the CRC to ``body``, low byte first as Modbus RTU sends it."""
    return body + crc16(body).to_bytes(2, "little")


def crc_ok(frame: bytes) -> bool:
    """Return whether the last two bytes of ``frame`` are the CRC of the rest."""
    return len(frame) >= 4 and crc16(frame[:-2]) == int.from_bytes(frame[-2:], "little")


def _u16(value: int) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{value} does not fit a 16-bit register")
    return value.to_bytes(2, "big")


def _check_slave(slave: int) -> None:
    if not 0 <= slave <= 247:
        raise ValueError(f"slave address {slave} is outside 0 to 247")


# -- requests (master side) -----------------------------------------------------------------
def read_registers_request(slave: int, start: int, count: int) -> bytes:
    """Build a function-03 request for ``count`` holding registers from ``start``."""
    _check_slave(slave)
    if not 1 <= count <= MAX_READ_COUNT:
        raise ValueError(f"register count {count} is outside 1 to {MAX_READ_COUNT}")
    return with_crc(bytes([slave, READ_HOLDING_REGISTERS]) + _u16(start) + _u16(count))


def write_register_request(slave: int, register: int, value: int) -> bytes:
    """Build a function-06 request writing ``value`` to ``register``."""
    _check_slave(slave)
    return with_crc(bytes([slave, WRITE_SINGLE_REGISTER]) + _u16(register) + _u16(value))


def write_registers_request(slave: int, start: int, values: Sequence[int]) -> bytes:
    """Build a function-16 request writing ``values`` to consecutive registers from ``start``."""
    _check_slave(slave)
    if not 1 <= len(values) <= MAX_WRITE_COUNT:
        raise ValueError(f"register count {len(values)} is outside 1 to {MAX_WRITE_COUNT}")
    body = bytes([slave, WRITE_MULTIPLE_REGISTERS]) + _u16(start) + _u16(len(values))
    body += bytes([2 * len(values)]) + b"".join(_u16(v) for v in values)
    return with_crc(body)


def response_length(function: int, count: int = 1) -> int:
    """Return the length of a normal response to ``function`` (``count`` registers read)."""
    if function == READ_HOLDING_REGISTERS:
        return 5 + 2 * count
    if function in (WRITE_SINGLE_REGISTER, WRITE_MULTIPLE_REGISTERS):
        return 8
    raise ValueError(f"unsupported function 0x{function:02X}")


def check_response(frame: bytes, request: bytes) -> bytes:
    """Check ``frame`` answers ``request``; return its payload (between function and CRC).

    Raises :class:`ModbusExceptionReply` for an exception response and
    :class:`ModbusFrameError` for anything malformed.
    """
    if not crc_ok(frame):
        raise ModbusFrameError(f"bad CRC or short frame {frame.hex(' ')}")
    slave, function = request[0], request[1]
    if frame[0] != slave:
        raise ModbusFrameError(f"reply from slave {frame[0]}, expected {slave}")
    if frame[1] == function | 0x80 and len(frame) == 5:
        raise ModbusExceptionReply(slave, function, frame[2])
    if frame[1] != function:
        raise ModbusFrameError(f"reply function 0x{frame[1]:02X}, expected 0x{function:02X}")
    payload = frame[2:-2]
    if function == READ_HOLDING_REGISTERS:
        count = int.from_bytes(request[4:6], "big")
        if payload[:1] != bytes([2 * count]) or len(payload) != 1 + 2 * count:
            raise ModbusFrameError(f"reply carries {len(payload) - 1} bytes, expected {2 * count}")
    elif payload != request[2:6]:
        raise ModbusFrameError(f"write echo {payload.hex(' ')} != {request[2:6].hex(' ')}")
    return payload


def parse_read_response(frame: bytes, request: bytes) -> list[int]:
    """Return the register values of a function-03 ``frame`` answering ``request``."""
    payload = check_response(frame, request)
    data = payload[1:]
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


# -- requests and responses (slave side, for simulators) ------------------------------------
@dataclass(frozen=True)
class Request:
    """A decoded request: ``values`` holds the written values (empty for a read)."""

    slave: int
    function: int
    address: int
    count: int
    values: tuple[int, ...] = ()


def request_length(buffer: bytes) -> int | None:
    """Return the length of the request at the start of ``buffer``; ``None`` if more bytes are
    needed. A function this module does not know counts as the whole buffer (to discard)."""
    if len(buffer) < 2:
        return None
    function = buffer[1]
    if function in (READ_HOLDING_REGISTERS, WRITE_SINGLE_REGISTER):
        return 8 if len(buffer) >= 8 else None
    if function == WRITE_MULTIPLE_REGISTERS:
        if len(buffer) < 7:
            return None
        length = 9 + buffer[6]
        return length if len(buffer) >= length else None
    return len(buffer)


def parse_request(frame: bytes) -> Request:
    """Decode a request frame (CRC checked); raises :class:`ModbusFrameError`."""
    if not crc_ok(frame):
        raise ModbusFrameError(f"bad CRC or short frame {frame.hex(' ')}")
    slave, function = frame[0], frame[1]
    body = frame[2:-2]
    if function == READ_HOLDING_REGISTERS and len(body) == 4:
        return Request(slave, function, int.from_bytes(body[:2], "big"), int.from_bytes(body[2:]))
    if function == WRITE_SINGLE_REGISTER and len(body) == 4:
        value = int.from_bytes(body[2:], "big")
        return Request(slave, function, int.from_bytes(body[:2], "big"), 1, (value,))
    if function == WRITE_MULTIPLE_REGISTERS and len(body) >= 5:
        count = int.from_bytes(body[2:4], "big")
        data = body[5:]
        if body[4] != 2 * count or len(data) != 2 * count:
            raise ModbusFrameError(f"byte count {body[4]} does not match {count} registers")
        values = tuple(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
        return Request(slave, function, int.from_bytes(body[:2], "big"), count, values)
    return Request(slave, function, 0, 0)


def read_response(slave: int, values: Sequence[int]) -> bytes:
    """Build the function-03 response carrying ``values``."""
    data = b"".join(_u16(v) for v in values)
    return with_crc(bytes([slave, READ_HOLDING_REGISTERS, len(data)]) + data)


def write_response(request: Request) -> bytes:
    """Build the response to a write request (06 echoes the value, 16 the count)."""
    second = request.values[0] if request.function == WRITE_SINGLE_REGISTER else request.count
    return with_crc(bytes([request.slave, request.function]) + _u16(request.address) + _u16(second))


def exception_response(slave: int, function: int, code: int) -> bytes:
    """Build an exception response (function with bit 7 set, then the exception code)."""
    return with_crc(bytes([slave, function | 0x80, code]))


__all__ = [
    "EXCEPTION_NAMES",
    "MAX_READ_COUNT",
    "MAX_WRITE_COUNT",
    "READ_HOLDING_REGISTERS",
    "WRITE_MULTIPLE_REGISTERS",
    "WRITE_SINGLE_REGISTER",
    "ModbusExceptionReply",
    "ModbusFrameError",
    "Request",
    "check_response",
    "crc16",
    "crc_ok",
    "exception_response",
    "parse_read_response",
    "parse_request",
    "read_registers_request",
    "read_response",
    "request_length",
    "response_length",
    "with_crc",
    "write_register_request",
    "write_registers_request",
    "write_response",
]
