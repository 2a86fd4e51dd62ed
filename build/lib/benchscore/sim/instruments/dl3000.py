"""Simulated Rigol DL3021/DL3031 electronic load: SCPI over a serial line.

Parses SCPI the way the instrument does: case-insensitive, long or short mnemonics, optional
nodes (``[:SOURce]:CURRent[:LEVel][:IMMediate]``), ``MIN``/``MAX``/``DEF`` values, an error
queue (``:SYSTem:ERRor?``) for undefined headers and bad values. The load physics is
:class:`~benchscore.sim.instruments.models.ElectronicLoadModel` sinking from ``source``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from benchscore.clock import Clock
from benchscore.sim.instruments.models import ElectronicLoadModel, LoadMode, VoltageSource
from benchscore.sim.serial_sim import SerialSimulator


@dataclass(frozen=True)
class DL3000Spec:
    """Ratings of one model."""

    model: str
    max_current_a: float
    max_voltage_v: float
    max_power_w: float
    min_resistance_ohm: float = 0.08
    max_resistance_ohm: float = 15000.0


SPECS: Final = {
    "DL3021": DL3000Spec("DL3021", 40.0, 150.0, 200.0),
    "DL3031": DL3000Spec("DL3031", 60.0, 150.0, 350.0),
}

FUNCTION_TOKENS: Final[dict[str, LoadMode]] = {
    "CURRENT": "CC",
    "CURR": "CC",
    "VOLTAGE": "CV",
    "VOLT": "CV",
    "RESISTANCE": "CR",
    "RES": "CR",
    "POWER": "CP",
    "POW": "CP",
}

UNDEFINED_HEADER: Final = (-113, "Undefined header")
DATA_TYPE_ERROR: Final = (-104, "Data type error")
MISSING_PARAMETER: Final = (-109, "Missing parameter")
OUT_OF_RANGE: Final = (-222, "Data out of range")
SCPI_NAN: Final = 9.91e37


class SCPIError(Exception):
    """A command the instrument refuses; goes to the error queue, no reply."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _nodes(pattern: str) -> list[tuple[str, bool]]:
    """``"[:SOURce]:CURRent[:LEVel]"`` -> ``[("SOURce", True), ("CURRent", False), ...]``."""
    return [(m[2], bool(m[1])) for m in re.finditer(r"(\[)?:([A-Za-z]+)\]?", pattern)]


def _mnemonic_ok(token: str, mnemonic: str) -> bool:
    short = re.match(r"[A-Z]*", mnemonic)
    assert short is not None
    return token.upper() in (short[0], mnemonic.upper())


def _match(nodes: list[tuple[str, bool]], tokens: list[str]) -> bool:
    if not nodes:
        return not tokens
    (mnemonic, optional), rest = nodes[0], nodes[1:]
    if tokens and _mnemonic_ok(tokens[0], mnemonic) and _match(rest, tokens[1:]):
        return True
    return optional and _match(rest, tokens)


Handler = Callable[[bool, str], str | None]


class DL3000Simulator(SerialSimulator):
    """A DL3021 or DL3031 answering SCPI; ``source`` is the device under test.

    ``second_line`` reproduces the firmware that follows a measurement with another line
    (``"0"`` gives ``0.000067\\n0\\n``).
    """

    reply_terminator = b"\n"

    def __init__(
        self,
        source: VoltageSource | None = None,
        *,
        model: str = "DL3021",
        serial_number: str = "DL3A000000001",
        firmware: str = "00.01.02.00.01",
        clock: Clock | None = None,
        second_line: str | None = None,
    ) -> None:
        super().__init__()
        self.spec = SPECS[model]
        self.identity = f"RIGOL TECHNOLOGIES,{model},{serial_number},{firmware}"
        self.second_line = second_line
        self.load = ElectronicLoadModel(
            source,
            max_current_a=self.spec.max_current_a,
            max_voltage_v=self.spec.max_voltage_v,
            max_power_w=self.spec.max_power_w,
            clock=clock,
        )
        self.errors: deque[tuple[int, str]] = deque(maxlen=16)
        self.remote = False
        self._reset()
        self._common: dict[str, Handler] = {
            "*IDN": lambda q, a: self.identity if q else None,
            "*RST": self._rst,
            "*CLS": self._cls,
        }
        s = self.spec
        self._commands: list[tuple[list[tuple[str, bool]], Handler]] = [
            (_nodes("[:SOURce]:FUNCtion"), self._function),
            (_nodes("[:SOURce]:CURRent[:LEVel][:IMMediate]"), self._level("current", s)),
            (_nodes("[:SOURce]:VOLTage[:LEVel][:IMMediate]"), self._level("voltage", s)),
            (_nodes("[:SOURce]:RESistance[:LEVel][:IMMediate]"), self._level("resistance", s)),
            (_nodes("[:SOURce]:POWer[:LEVel][:IMMediate]"), self._level("power", s)),
            (_nodes("[:SOURce]:INPut[:STATe]"), self._input),
            (_nodes(":MEASure:VOLTage[:DC]"), self._measure("voltage")),
            (_nodes(":MEASure:CURRent[:DC]"), self._measure("current")),
            (_nodes(":MEASure:POWer[:DC]"), self._measure("power")),
            (_nodes(":MEASure:RESistance[:DC]"), self._measure("resistance")),
            (_nodes(":MEASure:CAPability"), self._measure("capacity")),
            (_nodes(":MEASure:WATThours"), self._measure("energy")),
            (_nodes(":SYSTem:ERRor[:NEXT]"), self._error),
        ]

    # -- framing -----------------------------------------------------------------------------
    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        end = buffer.find(b"\n")
        return end + 1 if end >= 0 else None

    def handle(self, request: bytes) -> bytes:
        self.load.update()
        line = request.decode("ascii", errors="replace").strip()
        if not line:
            return b""
        self.remote = True  # any command puts the load in remote mode
        header, _, arg = line.partition(" ")
        query = header.endswith("?")
        name = header.rstrip("?")
        handler = self._common.get(name.upper())
        if handler is None:
            tokens = name.lstrip(":").split(":")
            handler = next((h for nodes, h in self._commands if _match(nodes, tokens)), None)
        if handler is None:
            self.errors.append(UNDEFINED_HEADER)
            return b""
        try:
            reply = handler(query, arg.strip())
        except SCPIError as exc:
            self.errors.append((exc.code, str(exc)))
            return b""
        return b"" if reply is None else reply.encode("ascii") + b"\n"

    # -- handlers ----------------------------------------------------------------------------
    def _reset(self) -> None:
        load = self.load
        load.mode = "CC"
        load.input_on = False
        load.current_set_a = 0.0
        load.voltage_set_v = self.spec.max_voltage_v
        load.resistance_set_ohm = self.spec.max_resistance_ohm
        load.power_set_w = 0.0

    def _rst(self, query: bool, arg: str) -> None:
        self._reset()

    def _cls(self, query: bool, arg: str) -> None:
        self.errors.clear()

    def _function(self, query: bool, arg: str) -> str | None:
        if query:
            return self.load.mode
        mode = FUNCTION_TOKENS.get(arg.upper())
        if mode is None:
            raise SCPIError(*DATA_TYPE_ERROR) if arg else SCPIError(*MISSING_PARAMETER)
        self.load.mode = mode
        return None

    def _level(self, kind: str, spec: DL3000Spec) -> Handler:
        attr, low, high, default = {
            "current": ("current_set_a", 0.0, spec.max_current_a, 0.0),
            "voltage": ("voltage_set_v", 0.0, spec.max_voltage_v, spec.max_voltage_v),
            "resistance": (
                "resistance_set_ohm",
                spec.min_resistance_ohm,
                spec.max_resistance_ohm,
                spec.max_resistance_ohm,
            ),
            "power": ("power_set_w", 0.0, spec.max_power_w, 0.0),
        }[kind]

        def handler(query: bool, arg: str) -> str | None:
            if query:
                return f"{getattr(self.load, attr):.6f}"
            value = _number(arg, low, high, default)
            setattr(self.load, attr, value)
            return None

        return handler

    def _input(self, query: bool, arg: str) -> str | None:
        if query:
            return "1" if self.load.input_on else "0"
        token = arg.upper()
        if token in ("ON", "1"):
            if not self.load.input_on:
                self.load.reset_meters()  # battery meters count from input on
            self.load.input_on = True
        elif token in ("OFF", "0"):
            self.load.input_on = False
        else:
            raise SCPIError(*DATA_TYPE_ERROR) if arg else SCPIError(*MISSING_PARAMETER)
        return None

    def _measure(self, kind: str) -> Handler:
        def handler(query: bool, arg: str) -> str | None:
            if not query:
                raise SCPIError(*UNDEFINED_HEADER)
            point = self.load.update()
            value = {
                "voltage": point.voltage_v,
                "current": point.current_a,
                "power": point.power_w,
                "resistance": point.voltage_v / point.current_a if point.current_a else SCPI_NAN,
                "capacity": self.load.charge_ah * 1000.0,
                "energy": self.load.energy_wh,
            }[kind]
            text = f"{value:.6f}" if value < 1e9 else f"{value:.2E}"
            return text if self.second_line is None else f"{text}\n{self.second_line}"

        return handler

    def _error(self, query: bool, arg: str) -> str | None:
        if not query:
            raise SCPIError(*UNDEFINED_HEADER)
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f'{code},"{message}"'


def _number(arg: str, low: float, high: float, default: float) -> float:
    token = arg.upper()
    if not token:
        raise SCPIError(*MISSING_PARAMETER)
    if token in ("MIN", "MINIMUM"):
        return low
    if token in ("MAX", "MAXIMUM"):
        return high
    if token in ("DEF", "DEFAULT"):
        return default
    try:
        value = float(token)
    except ValueError:
        raise SCPIError(*DATA_TYPE_ERROR) from None
    if not low <= value <= high:
        raise SCPIError(*OUT_OF_RANGE)
    return value


__all__ = ["SPECS", "DL3000Simulator", "DL3000Spec", "SCPIError"]
