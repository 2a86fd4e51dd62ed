"""Simulated Riden RD6006 / RD6006P / RD6012 / RD6018 over Modbus RTU.

A holding-register file answering functions 03, 06 and 16 with the real framing and CRC: a
frame with a bad CRC or for another slave gets no reply (as on an RS-485 bus), an unknown
function or an address past the map an exception reply. Registers 10-13, 17 and 38-41 are
computed from a :class:`~benchscore.sim.instruments.models.SupplyModel` driving ``load``;
OVP/OCP of the active preset (registers 82/83) switch the output off and set register 16.
"""

from __future__ import annotations

from typing import Final

from benchscore.clock import Clock
from benchscore.sim.instruments.models import CurrentLoad, SupplyModel
from benchscore.sim.serial_sim import SerialSimulator
from drivers import modbus
from drivers import rd6006 as regs

REGISTER_COUNT: Final = 120
REG_OVP: Final = 82  # preset M0: 80 V, 81 I, 82 OVP, 83 OCP
REG_OCP: Final = 83


class RD6006Simulator(SerialSimulator):
    """A Riden supply (RD6006 by default) at ``slave`` driving ``load``.

    ``calibration_writes`` lists every write that touched registers 55-62.
    """

    def __init__(
        self,
        load: CurrentLoad | None = None,
        *,
        model_id: int = 60062,
        slave: int = 1,
        serial_number: int = 12345,
        firmware: int = 141,
        input_voltage_v: float = 24.0,
        temperature_c: int = 25,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.slave = slave
        self.model = regs.riden_model(model_id)
        self.supply = SupplyModel(
            load,
            max_voltage_v=self.model.max_voltage_v,
            max_current_a=self.model.max_current_a,
            clock=clock,
        )
        self.registers = [0] * REGISTER_COUNT
        r = self.registers
        r[regs.REG_MODEL] = model_id
        r[regs.REG_SERIAL], r[regs.REG_SERIAL + 1] = divmod(serial_number, 0x10000)
        r[regs.REG_FIRMWARE] = firmware
        r[regs.REG_TEMPERATURE] = 1 if temperature_c < 0 else 0
        r[regs.REG_TEMPERATURE + 1] = abs(temperature_c)
        r[regs.REG_V_IN] = round(input_voltage_v * 100)
        r[REG_OVP] = round(62.0 * self.model.voltage_div)
        r[REG_OCP] = round((self.model.max_current_a + 0.2) * self.model.current_div)
        self.calibration_writes: list[tuple[int, int]] = []
        self._sync()

    # -- framing -----------------------------------------------------------------------------
    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        length = modbus.request_length(buffer)
        if length is None and idle:
            return len(buffer)  # a partial frame: the 3.5-character silence ends it
        return length

    def handle(self, request: bytes) -> bytes:
        try:
            req = modbus.parse_request(request)
        except modbus.ModbusFrameError:
            return b""  # bad CRC: a slave stays silent
        if req.slave not in (self.slave, 0):
            return b""
        self._sync()
        if req.function == modbus.READ_HOLDING_REGISTERS:
            if not 1 <= req.count <= modbus.MAX_READ_COUNT:
                return self._exception(req, 3)
            if req.address + req.count > REGISTER_COUNT:
                return self._exception(req, 2)
            return modbus.read_response(
                self.slave, self.registers[req.address : req.address + req.count]
            )
        if req.function in (modbus.WRITE_SINGLE_REGISTER, modbus.WRITE_MULTIPLE_REGISTERS):
            if req.count < 1 or req.address + req.count > REGISTER_COUNT:
                return self._exception(req, 2)
            for offset, value in enumerate(req.values):
                self._write(req.address + offset, value)
            self._sync()
            return b"" if req.slave == 0 else modbus.write_response(req)
        return self._exception(req, 1)

    def _exception(self, req: modbus.Request, code: int) -> bytes:
        return b"" if req.slave == 0 else modbus.exception_response(self.slave, req.function, code)

    # -- register semantics ------------------------------------------------------------------
    def _write(self, register: int, value: int) -> None:
        m, supply = self.model, self.supply
        if register in regs.CALIBRATION:
            self.calibration_writes.append((register, value))
        if register == regs.REG_V_SET:
            value = min(value, round(m.max_voltage_v * m.voltage_div))
            supply.voltage_set_v = value / m.voltage_div
        elif register == regs.REG_I_SET:
            value = min(value, round(m.max_current_a * m.current_div))
            supply.current_set_a = value / m.current_div
        elif register == regs.REG_OUTPUT:
            value = 1 if value else 0
            if value and not supply.output_on:
                self.registers[regs.REG_PROTECTION] = 0
            supply.output_on = bool(value)
        self.registers[register] = value

    def _sync(self) -> None:
        """Integrate, apply protection, and refresh the computed registers."""
        m, supply, r = self.model, self.supply, self.registers
        point = supply.update()
        if supply.output_on:
            if point.voltage_v * m.voltage_div > r[REG_OVP]:
                supply.output_on, r[regs.REG_PROTECTION] = False, 1
            elif point.current_a * m.current_div > r[REG_OCP]:
                supply.output_on, r[regs.REG_PROTECTION] = False, 2
            point = supply.operating_point()
        power = round(point.power_w * m.power_div)
        r[regs.REG_V_OUT] = round(point.voltage_v * m.voltage_div)
        r[regs.REG_I_OUT] = round(point.current_a * m.current_div)
        r[regs.REG_POWER], r[regs.REG_POWER + 1] = divmod(power, 0x10000)
        r[regs.REG_CV_CC] = 1 if point.regulation == "CC" else 0
        r[regs.REG_OUTPUT] = 1 if supply.output_on else 0
        r[regs.REG_AH], r[regs.REG_AH + 1] = divmod(round(supply.charge_ah * 1000), 0x10000)
        r[regs.REG_WH], r[regs.REG_WH + 1] = divmod(round(supply.energy_wh * 1000), 0x10000)


__all__ = ["RD6006Simulator"]
