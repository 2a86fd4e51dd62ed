"""Riden RD6006 / RD6006P / RD6012 / RD6018 bench supply over Modbus RTU.

USB (CH340) at 115200 8N1 by default, slave address 1; functions 03 (read holding registers),
06 (write one) and 16 (write several). Register map and scaling from ``devices.md`` §5.5
(Baldanos/rd6006 ``registers.md``, ShayBox/Riden): the model ID in register 0 decides the
scaling, read once and cached. Registers 55-62 hold the calibration and are never written.

Example::

    with RD6006("/dev/ttyUSB2") as psu:
        psu.set_output(5.0, 2.0)      # V and I set-points in one function-16 write
        psu.output_enabled = True
        reading = psu.reading()       # set-points, output, mode and protection in one read
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from benchscore.clock import Clock
from drivers import modbus
from drivers.errors import DeviceMismatch
from drivers.serial_port import Instrument, SerialPort, in_range

REG_MODEL: Final = 0
REG_SERIAL: Final = 1  # 1-2: high word, low word
REG_FIRMWARE: Final = 3  # /100
REG_TEMPERATURE: Final = 4  # 4: sign (1 = negative), 5: degrees C
REG_V_SET: Final = 8
REG_I_SET: Final = 9
REG_V_OUT: Final = 10
REG_I_OUT: Final = 11
REG_POWER: Final = 12  # 12-13: high word, low word
REG_V_IN: Final = 14  # /100
REG_LOCK: Final = 15
REG_PROTECTION: Final = 16  # 0 none, 1 OVP, 2 OCP
REG_CV_CC: Final = 17  # 0 CV, 1 CC
REG_OUTPUT: Final = 18
REG_PRESET: Final = 19
REG_AH: Final = 38  # 38-39, /1000
REG_WH: Final = 40  # 40-41, /1000
CALIBRATION: Final = range(55, 63)
"""Calibration registers: writing them detunes the supply, so the driver refuses."""

PROTECTION: Final = {0: None, 1: "OVP", 2: "OCP"}


@dataclass(frozen=True)
class RidenModel:
    """How one model scales its registers, and its ratings."""

    name: str
    voltage_div: int
    current_div: int
    power_div: int
    max_voltage_v: float
    max_current_a: float


def riden_model(model_id: int) -> RidenModel:
    """Return the scaling for a model ID (register 0); unknown IDs raise DeviceMismatch."""
    if model_id == 60065:
        return RidenModel("RD6006P", 1000, 10000, 1000, 60.0, 6.0)
    if 60060 <= model_id <= 60069:
        return RidenModel("RD6006", 100, 1000, 100, 60.0, 6.0)
    if 60120 <= model_id <= 60129:
        return RidenModel("RD6012", 100, 100, 100, 60.0, 12.0)
    if 60180 <= model_id <= 60189:
        return RidenModel("RD6018", 100, 100, 100, 60.0, 18.0)
    raise DeviceMismatch(f"model ID {model_id} is not a known Riden RD60xx")


@dataclass(frozen=True)
class RD6006Reading:
    """Registers 8-18 read in one transaction, scaled."""

    voltage_set_v: float
    current_set_a: float
    voltage_v: float
    current_a: float
    power_w: float
    input_voltage_v: float
    protection: str | None
    constant_current: bool
    output_on: bool


class RD6006(Instrument):
    """Riden RD60xx supply at Modbus ``slave`` address (1 by default)."""

    default_name = "Riden RD6006"
    baudrate = 115200
    write_terminator = b""
    read_terminator = b""

    def __init__(
        self,
        port: SerialPort | str,
        *,
        slave: int = 1,
        name: str | None = None,
        timeout_s: float = 1.0,
        baudrate: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not 1 <= slave <= 247:
            raise ValueError(f"slave address {slave} is outside 1 to 247")
        super().__init__(port, name=name, timeout_s=timeout_s, baudrate=baudrate, clock=clock)
        self.slave = slave
        self._model: RidenModel | None = None

    # -- Modbus transactions -----------------------------------------------------------------
    def _transact(self, request: bytes, expected: int) -> bytes:
        label = f"0x{request[1]:02X} [{request.hex(' ')}]"
        with self.lock:
            self.clear_input(label)
            self.write_bytes(request, label)
            head = self.read_bytes(3, label)
            if head[0] != request[0] or head[1] & 0x7F != request[1]:
                raise self.reply_error(label, head.hex(" "), "not a reply to this request")
            if head[1] & 0x80:
                rest = self.read_bytes(2, label)  # exception reply: code, CRC
            elif request[1] == modbus.READ_HOLDING_REGISTERS and head[2] != expected - 5:
                raise self.reply_error(label, head.hex(" "), f"byte count {head[2]}")
            else:
                rest = self.read_bytes(expected - 3, label)
        frame = head + rest
        try:
            return modbus.check_response(frame, request)
        except (modbus.ModbusFrameError, modbus.ModbusExceptionReply) as exc:
            raise self.reply_error(label, frame.hex(" "), str(exc)) from None

    def read_registers(self, start: int, count: int) -> list[int]:
        """Read ``count`` holding registers from ``start`` (function 03)."""
        request = modbus.read_registers_request(self.slave, start, count)
        data = self._transact(request, modbus.response_length(modbus.READ_HOLDING_REGISTERS, count))
        return [int.from_bytes(data[i : i + 2], "big") for i in range(1, len(data), 2)]

    def write_register(self, register: int, value: int) -> None:
        """Write one holding register (function 06); calibration registers are refused."""
        self._check_writable(register, 1)
        request = modbus.write_register_request(self.slave, register, value)
        self._transact(request, modbus.response_length(modbus.WRITE_SINGLE_REGISTER))

    def write_registers(self, start: int, values: list[int]) -> None:
        """Write consecutive holding registers (function 16); calibration is refused."""
        self._check_writable(start, len(values))
        request = modbus.write_registers_request(self.slave, start, values)
        self._transact(request, modbus.response_length(modbus.WRITE_MULTIPLE_REGISTERS))

    @staticmethod
    def _check_writable(start: int, count: int) -> None:
        if set(range(start, start + count)) & set(CALIBRATION):
            raise ValueError(f"registers {start}..{start + count - 1} overlap calibration 55-62")

    def _u32(self, register: int, divisor: float) -> float:
        high, low = self.read_registers(register, 2)
        return ((high << 16) | low) / divisor

    # -- identity and scaling ----------------------------------------------------------------
    @property
    def model_id(self) -> int:
        """Get the model ID from register 0 (60062 = RD6006, 60065 = RD6006P, ...)."""
        return self.read_registers(REG_MODEL, 1)[0]

    @property
    def model(self) -> RidenModel:
        """Get the model and its register scaling (read once, then cached)."""
        if self._model is None:
            self._model = riden_model(self.model_id)
        return self._model

    @property
    def serial_number(self) -> int:
        """Get the serial number (registers 1-2)."""
        high, low = self.read_registers(REG_SERIAL, 2)
        return (high << 16) | low

    @property
    def firmware_version(self) -> str:
        """Get the firmware version, e.g. '1.41' (register 3)."""
        raw = self.read_registers(REG_FIRMWARE, 1)[0]
        return f"{raw // 100}.{raw % 100:02d}"

    # -- set-points and output ---------------------------------------------------------------
    @property
    def voltage_v(self) -> float:
        """Control the output voltage set-point in V (register 8)."""
        return self.read_registers(REG_V_SET, 1)[0] / self.model.voltage_div

    @voltage_v.setter
    def voltage_v(self, value: float) -> None:
        self.write_register(REG_V_SET, self._volts_raw(value))

    @property
    def current_a(self) -> float:
        """Control the output current limit in A (register 9)."""
        return self.read_registers(REG_I_SET, 1)[0] / self.model.current_div

    @current_a.setter
    def current_a(self, value: float) -> None:
        self.write_register(REG_I_SET, self._amps_raw(value))

    def set_output(self, voltage_v: float, current_a: float) -> None:
        """Set voltage (V) and current limit (A) together in one function-16 write."""
        self.write_registers(REG_V_SET, [self._volts_raw(voltage_v), self._amps_raw(current_a)])

    def _volts_raw(self, value: float) -> int:
        model = self.model
        try:
            volts = in_range(0, model.max_voltage_v)(value)
        except ValueError as exc:
            raise ValueError(f"{self.name}.voltage_v: {exc}") from None
        return round(volts * model.voltage_div)

    def _amps_raw(self, value: float) -> int:
        model = self.model
        try:
            amps = in_range(0, model.max_current_a)(value)
        except ValueError as exc:
            raise ValueError(f"{self.name}.current_a: {exc}") from None
        return round(amps * model.current_div)

    @property
    def output_enabled(self) -> bool:
        """Control whether the output is on (register 18)."""
        return bool(self.read_registers(REG_OUTPUT, 1)[0])

    @output_enabled.setter
    def output_enabled(self, enabled: bool) -> None:
        if not isinstance(enabled, bool):
            raise ValueError(f"{self.name}.output_enabled: {enabled!r} is not True or False")
        self.write_register(REG_OUTPUT, int(enabled))

    @property
    def keypad_locked(self) -> bool:
        """Control whether the front keypad is locked (register 15)."""
        return bool(self.read_registers(REG_LOCK, 1)[0])

    @keypad_locked.setter
    def keypad_locked(self, locked: bool) -> None:
        self.write_register(REG_LOCK, int(bool(locked)))

    # -- readings ----------------------------------------------------------------------------
    @property
    def measured_voltage_v(self) -> float:
        """Measure the output voltage in V (register 10)."""
        return self.read_registers(REG_V_OUT, 1)[0] / self.model.voltage_div

    @property
    def measured_current_a(self) -> float:
        """Measure the output current in A (register 11)."""
        return self.read_registers(REG_I_OUT, 1)[0] / self.model.current_div

    @property
    def measured_power_w(self) -> float:
        """Measure the output power in W (registers 12-13)."""
        return self._u32(REG_POWER, self.model.power_div)

    @property
    def input_voltage_v(self) -> float:
        """Measure the supply's input voltage in V (register 14)."""
        return self.read_registers(REG_V_IN, 1)[0] / 100

    @property
    def temperature_c(self) -> float:
        """Measure the internal temperature in degrees C (registers 4-5)."""
        sign, value = self.read_registers(REG_TEMPERATURE, 2)
        return float(-value if sign else value)

    @property
    def charge_ah(self) -> float:
        """Measure the charge delivered, in Ah (registers 38-39)."""
        return self._u32(REG_AH, 1000)

    @property
    def energy_wh(self) -> float:
        """Measure the energy delivered, in Wh (registers 40-41)."""
        return self._u32(REG_WH, 1000)

    @property
    def protection(self) -> str | None:
        """Get the protection that tripped: 'OVP', 'OCP' or None (register 16)."""
        raw = self.read_registers(REG_PROTECTION, 1)[0]
        return PROTECTION.get(raw, f"unknown {raw}")

    @property
    def constant_current(self) -> bool:
        """Get whether the output is limiting current (CC) rather than voltage (register 17)."""
        return bool(self.read_registers(REG_CV_CC, 1)[0])

    def reading(self) -> RD6006Reading:
        """Read registers 8-18 in one transaction: set-points, output, mode, protection."""
        model = self.model
        r = self.read_registers(REG_V_SET, REG_OUTPUT - REG_V_SET + 1)

        def at(register: int) -> int:
            return r[register - REG_V_SET]

        return RD6006Reading(
            voltage_set_v=at(REG_V_SET) / model.voltage_div,
            current_set_a=at(REG_I_SET) / model.current_div,
            voltage_v=at(REG_V_OUT) / model.voltage_div,
            current_a=at(REG_I_OUT) / model.current_div,
            power_w=((at(REG_POWER) << 16) | at(REG_POWER + 1)) / model.power_div,
            input_voltage_v=at(REG_V_IN) / 100,
            protection=PROTECTION.get(at(REG_PROTECTION), f"unknown {at(REG_PROTECTION)}"),
            constant_current=bool(at(REG_CV_CC)),
            output_on=bool(at(REG_OUTPUT)),
        )


__all__ = ["CALIBRATION", "RD6006", "RD6006Reading", "RidenModel", "riden_model"]
