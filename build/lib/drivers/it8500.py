"""ITECH IT8500+ (IT8511+/8512+/8513+) and BK Precision 85xx electronic load, binary protocol.

Every message is a 26-byte frame: ``0xAA, address, command, 22 data bytes, checksum`` where
the checksum is the sum of bytes 0-24 modulo 256 and numbers are little-endian. A command that
returns no data is answered by command 0x12 with status ``0x80`` (OK), ``0x90`` (checksum),
``0xA0`` (parameter), ``0xB0`` (unknown command) or ``0xC0`` (invalid command). The load must be
put in remote mode (:meth:`IT8500.set_remote`) before it accepts settings. Sources:
``devices.md`` §5.2; libsigrok ``src/hardware/itech-it8500`` (read commands are set + 1, the
0x6A model-info layout). The rear DB9 is TTL, not RS-232: use an isolated adapter.

Example::

    with IT8500("/dev/ttyUSB1") as load:
        load.set_remote(True)
        load.mode = "CC"
        load.current_a = 1.5
        load.input_enabled = True
        state = load.state()          # one frame: volts, amps, watts and flags
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from benchscore.clock import Clock
from drivers.serial_port import Instrument, SerialPort, in_range

FRAME_LENGTH: Final = 26
START: Final = 0xAA

CMD_STATUS: Final = 0x12
CMD_REMOTE: Final = 0x20
CMD_INPUT: Final = 0x21
CMD_SET_MODE: Final = 0x28
CMD_GET_MODE: Final = 0x29
CMD_SET_CURRENT: Final = 0x2A
CMD_GET_CURRENT: Final = 0x2B
CMD_SET_VOLTAGE: Final = 0x2C
CMD_GET_VOLTAGE: Final = 0x2D
CMD_SET_POWER: Final = 0x2E
CMD_GET_POWER: Final = 0x2F
CMD_SET_RESISTANCE: Final = 0x30
CMD_GET_RESISTANCE: Final = 0x31
CMD_GET_STATE: Final = 0x5F
CMD_MODEL_INFO: Final = 0x6A

STATUS_OK: Final = 0x80
STATUS_TEXT: Final = {
    0x90: "checksum incorrect",
    0xA0: "parameter incorrect",
    0xB0: "unrecognized command",
    0xC0: "invalid command (is the load in remote mode?)",
}

MODES: Final = {"CC": 0, "CV": 1, "CW": 2, "CR": 3}
"""Regulation modes as the protocol numbers them (CW = constant power)."""

# Operation-state register (byte 15 of a 0x5F reply) and demand-state register (bytes 16-17).
OS_REMOTE: Final = 0x04
OS_INPUT_ON: Final = 0x08
DS_REVERSED: Final = 0x0001
DS_OVER_VOLTAGE: Final = 0x0002
DS_OVER_CURRENT: Final = 0x0004
DS_OVER_POWER: Final = 0x0008
DS_OVER_TEMPERATURE: Final = 0x0010
DS_MODE_BITS: Final = {0x0040: "CC", 0x0080: "CV", 0x0100: "CW", 0x0200: "CR"}

# Scale of each set-point in the frame: 0.1 mA, 1 mV, 1 mW, 1 mOhm.
CURRENT_LSB_A: Final = 1e-4
VOLTAGE_LSB_V: Final = 1e-3
POWER_LSB_W: Final = 1e-3
RESISTANCE_LSB_OHM: Final = 1e-3


def checksum(frame: bytes) -> int:
    """Return the checksum of a frame: the sum of bytes 0-24 modulo 256."""
    return sum(frame[: FRAME_LENGTH - 1]) & 0xFF


def build_frame(address: int, command: int, data: bytes = b"") -> bytes:
    """Build the 26-byte frame for ``command`` with ``data`` (zero-padded to 22 bytes)."""
    if len(data) > 22:
        raise ValueError(f"{len(data)} data bytes do not fit a frame (22 at most)")
    body = bytes([START, address, command]) + data.ljust(22, b"\0")
    return body + bytes([checksum(body)])


def u32(value: int) -> bytes:
    """Encode an unsigned 32-bit little-endian number."""
    return value.to_bytes(4, "little")


@dataclass(frozen=True)
class IT8500State:
    """One 0x5F reply: input readings and the state registers."""

    voltage_v: float
    current_a: float
    power_w: float
    operation_state: int
    demand_state: int

    @property
    def input_on(self) -> bool:
        return bool(self.operation_state & OS_INPUT_ON)

    @property
    def remote(self) -> bool:
        return bool(self.operation_state & OS_REMOTE)

    @property
    def regulation(self) -> str | None:
        """The mode actually regulating ('CC', 'CV', 'CW', 'CR'), or None when off."""
        return next((m for bit, m in DS_MODE_BITS.items() if self.demand_state & bit), None)

    @property
    def faults(self) -> tuple[str, ...]:
        """Active protection flags, e.g. ``("over_current",)``."""
        names = {
            DS_REVERSED: "reversed_voltage",
            DS_OVER_VOLTAGE: "over_voltage",
            DS_OVER_CURRENT: "over_current",
            DS_OVER_POWER: "over_power",
            DS_OVER_TEMPERATURE: "over_temperature",
        }
        return tuple(name for bit, name in names.items() if self.demand_state & bit)


@dataclass(frozen=True)
class ModelInfo:
    """The 0x6A reply: model name, firmware version and serial number."""

    model: str
    firmware: str
    serial_number: str


class IT8500(Instrument):
    """ITECH IT8500+ / BK 85xx electronic load at ``address`` (0-254) on a serial line."""

    default_name = "ITECH IT8500"
    baudrate = 9600  # factory default; 4800/19200/38400 selectable on the front panel
    max_current_a: ClassVar[float] = 30.0
    max_voltage_v: ClassVar[float] = 120.0
    max_power_w: ClassVar[float] = 300.0
    max_resistance_ohm: ClassVar[float] = 7500.0

    def __init__(
        self,
        port: SerialPort | str,
        *,
        address: int = 0,
        name: str | None = None,
        timeout_s: float = 1.0,
        baudrate: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not 0 <= address <= 254:
            raise ValueError(f"address {address} is outside 0 to 254")
        super().__init__(port, name=name, timeout_s=timeout_s, baudrate=baudrate, clock=clock)
        self.address = address

    # -- transport ---------------------------------------------------------------------------
    def transact(self, command: int, data: bytes = b"") -> bytes:
        """Send one frame; return the 22 data bytes of the reply.

        A status reply other than OK raises :class:`~drivers.serial_port.InstrumentError`
        naming the status; a short, corrupt or mismatched reply raises it too.
        """
        frame = build_frame(self.address, command, data)
        label = f"0x{command:02X} [{frame.hex(' ')}]"
        with self.lock:
            self.clear_input(label)
            self.write_bytes(frame, label)
            reply = self.read_bytes(FRAME_LENGTH, label)
        if reply[0] != START or reply[25] != checksum(reply):
            raise self.reply_error(label, reply.hex(" "), "bad start byte or checksum")
        if reply[1] != self.address:
            raise self.reply_error(label, reply.hex(" "), f"reply from address {reply[1]}")
        if reply[2] == CMD_STATUS:
            status = reply[3]
            if status != STATUS_OK:
                problem = STATUS_TEXT.get(status, f"status 0x{status:02X}")
                raise self.reply_error(label, reply.hex(" "), f"load refused: {problem}")
        elif reply[2] != command:
            raise self.reply_error(label, reply.hex(" "), f"reply to command 0x{reply[2]:02X}")
        return reply[3:25]

    def _read_u32(self, command: int) -> int:
        return int.from_bytes(self.transact(command)[:4], "little")

    def _write_scaled(self, command: int, value: float, lsb: float, high: float) -> None:
        try:
            number = in_range(0, high)(value)
        except ValueError as exc:
            raise ValueError(f"{self.name} command 0x{command:02X}: {exc}") from None
        self.transact(command, u32(round(number / lsb)))

    # -- settings ----------------------------------------------------------------------------
    def set_remote(self, enabled: bool = True) -> None:
        """Set remote mode (needed before any setting) or give the front panel back."""
        self.transact(CMD_REMOTE, bytes([1 if enabled else 0]))

    @property
    def input_enabled(self) -> bool:
        """Control whether the input sinks current."""
        return self.state().input_on

    @input_enabled.setter
    def input_enabled(self, enabled: bool) -> None:
        self.transact(CMD_INPUT, bytes([1 if enabled else 0]))

    @property
    def mode(self) -> str:
        """Control the regulation mode: 'CC', 'CV', 'CW' (constant power) or 'CR'."""
        code = self.transact(CMD_GET_MODE)[0]
        for name, number in MODES.items():
            if number == code:
                return name
        raise self.reply_error("0x29", f"mode {code}", "unknown mode number")

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"{self.name}.mode: {mode!r} is not one of {list(MODES)}")
        self.transact(CMD_SET_MODE, bytes([MODES[mode]]))

    @property
    def current_a(self) -> float:
        """Control the CC set-point in A (0.1 mA resolution)."""
        return self._read_u32(CMD_GET_CURRENT) * CURRENT_LSB_A

    @current_a.setter
    def current_a(self, value: float) -> None:
        self._write_scaled(CMD_SET_CURRENT, value, CURRENT_LSB_A, self.max_current_a)

    @property
    def voltage_v(self) -> float:
        """Control the CV set-point in V (1 mV resolution)."""
        return self._read_u32(CMD_GET_VOLTAGE) * VOLTAGE_LSB_V

    @voltage_v.setter
    def voltage_v(self, value: float) -> None:
        self._write_scaled(CMD_SET_VOLTAGE, value, VOLTAGE_LSB_V, self.max_voltage_v)

    @property
    def power_w(self) -> float:
        """Control the CW (constant power) set-point in W (1 mW resolution)."""
        return self._read_u32(CMD_GET_POWER) * POWER_LSB_W

    @power_w.setter
    def power_w(self, value: float) -> None:
        self._write_scaled(CMD_SET_POWER, value, POWER_LSB_W, self.max_power_w)

    @property
    def resistance_ohm(self) -> float:
        """Control the CR set-point in ohm (1 mOhm resolution)."""
        return self._read_u32(CMD_GET_RESISTANCE) * RESISTANCE_LSB_OHM

    @resistance_ohm.setter
    def resistance_ohm(self, value: float) -> None:
        self._write_scaled(CMD_SET_RESISTANCE, value, RESISTANCE_LSB_OHM, self.max_resistance_ohm)

    # -- readings ----------------------------------------------------------------------------
    def state(self) -> IT8500State:
        """Read voltage, current, power and the state registers in one frame (0x5F)."""
        data = self.transact(CMD_GET_STATE)
        return IT8500State(
            voltage_v=int.from_bytes(data[0:4], "little") * VOLTAGE_LSB_V,
            current_a=int.from_bytes(data[4:8], "little") * CURRENT_LSB_A,
            power_w=int.from_bytes(data[8:12], "little") * POWER_LSB_W,
            operation_state=data[12],
            demand_state=int.from_bytes(data[13:15], "little"),
        )

    @property
    def measured_voltage_v(self) -> float:
        """Measure the input voltage in V."""
        return self.state().voltage_v

    @property
    def measured_current_a(self) -> float:
        """Measure the input current in A."""
        return self.state().current_a

    @property
    def measured_power_w(self) -> float:
        """Measure the input power in W."""
        return self.state().power_w

    @property
    def model_info(self) -> ModelInfo:
        """Get the model name, firmware version and serial number (0x6A)."""
        data = self.transact(CMD_MODEL_INFO)
        return ModelInfo(
            model=data[0:5].split(b"\0")[0].decode("ascii", errors="replace"),
            firmware=f"{data[6]:x}.{data[5]:02x}",
            serial_number=data[7:17].split(b"\0")[0].decode("ascii", errors="replace"),
        )


__all__ = ["MODES", "IT8500", "IT8500State", "ModelInfo", "build_frame", "checksum", "u32"]
