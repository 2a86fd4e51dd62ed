"""Modbus RTU framing and the Riden RD60xx driver: CRC worked examples, exact frames, faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.instruments.models import ResistiveLoad
from benchscore.sim.instruments.rd6006 import RD6006Simulator
from benchscore.sim.serial_sim import PtyInstrument, scripted
from drivers import modbus
from drivers.errors import DeviceMismatch
from drivers.rd6006 import RD6006, RD6006Reading, riden_model
from drivers.serial_port import InstrumentError, InstrumentTimeout

hx = bytes.fromhex


# -- Modbus framing -------------------------------------------------------------------------
def test_crc16_modbus_check_value() -> None:
    assert modbus.crc16(b"123456789") == 0x4B37  # the CRC-16/MODBUS catalogue check value
    assert modbus.crc16(b"") == 0xFFFF


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        (modbus.read_registers_request(1, 0, 1), "01 03 00 00 00 01 84 0a"),
        (modbus.write_register_request(1, 1, 3), "01 06 00 01 00 03 98 0b"),
        (modbus.exception_response(1, 0x03, 2), "01 83 02 c0 f1"),
        (modbus.read_response(1, [60062]), "01 03 02 ea 9e 76 8c"),
        (
            modbus.write_registers_request(1, 8, [500, 2000]),
            "01 10 00 08 00 02 04 01 f4 07 d0 b1 ab",
        ),
    ],
)
def test_frame_worked_examples(frame: bytes, wire: str) -> None:
    assert frame == hx(wire)
    assert modbus.crc_ok(frame)


def test_crc_is_sent_low_byte_first() -> None:
    assert modbus.with_crc(hx("01 03 00 00 00 01"))[-2:] == (0x0A84).to_bytes(2, "little")
    assert not modbus.crc_ok(hx("01 03 00 00 00 01 0a 84"))


def test_request_parsing_and_length() -> None:
    assert modbus.request_length(hx("01")) is None
    assert modbus.request_length(hx("01 03 00 00")) is None
    assert modbus.request_length(hx("01 03 00 00 00 01 84 0a ff")) == 8
    multi = modbus.write_registers_request(1, 8, [500, 2000])
    assert modbus.request_length(multi[:6]) is None
    assert modbus.request_length(multi) == 13
    assert modbus.parse_request(multi) == modbus.Request(1, 0x10, 8, 2, (500, 2000))
    with pytest.raises(modbus.ModbusFrameError, match="bad CRC"):
        modbus.parse_request(multi[:-1] + b"\x00")


def test_response_checks() -> None:
    request = modbus.read_registers_request(1, 0, 1)
    assert modbus.parse_read_response(hx("01 03 02 ea 9e 76 8c"), request) == [60062]
    with pytest.raises(modbus.ModbusExceptionReply, match="exception 2 \\(illegal data address\\)"):
        modbus.check_response(hx("01 83 02 c0 f1"), request)
    with pytest.raises(modbus.ModbusFrameError, match="slave 2"):
        modbus.check_response(modbus.read_response(2, [1]), request)
    with pytest.raises(modbus.ModbusFrameError, match="expected 2"):
        modbus.check_response(modbus.read_response(1, [1, 2]), request)
    write = modbus.write_register_request(1, 8, 500)
    with pytest.raises(modbus.ModbusFrameError, match="echo"):
        modbus.check_response(modbus.write_register_request(1, 8, 501), write)


def test_request_builders_validate() -> None:
    with pytest.raises(ValueError):
        modbus.read_registers_request(1, 0, 126)
    with pytest.raises(ValueError):
        modbus.write_register_request(1, 8, 70000)
    with pytest.raises(ValueError):
        modbus.read_registers_request(248, 0, 1)


# -- the driver against a scripted peer -----------------------------------------------------
def test_scripted_session_exact_frames() -> None:
    pairs = [
        (hx("01 03 00 00 00 01 84 0a"), hx("01 03 02 ea 9e 76 8c")),  # model 60062
        (hx("01 10 00 08 00 02 04 01 f4 07 d0 b1 ab"), hx("01 10 00 08 00 02 c0 0a")),
        (hx("01 06 00 12 00 01 e8 0f"), hx("01 06 00 12 00 01 e8 0f")),  # output on
        (hx("01 03 00 0a 00 01 a4 08"), modbus.read_response(1, [500])),
    ]
    with scripted(pairs) as pty, RD6006(pty.port) as psu:
        psu.set_output(5.0, 2.0)  # 500 x 10 mV, 2000 x 1 mA
        psu.output_enabled = True
        assert psu.measured_voltage_v == 5.0


def test_exception_reply_is_an_instrument_error() -> None:
    pairs = [(hx("01 03 00 00 00 01 84 0a"), hx("01 83 02 c0 f1"))]
    with (
        scripted(pairs) as pty,
        RD6006(pty.port) as psu,
        pytest.raises(InstrumentError, match=r"\(illegal data address\) \(command '0x03 \[01 03"),
    ):
        _ = psu.model_id


# -- the driver against the simulator -------------------------------------------------------
@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim(clock: SimClock) -> RD6006Simulator:
    return RD6006Simulator(ResistiveLoad(5.0), clock=clock)


@pytest.fixture
def pty(sim: RD6006Simulator) -> Iterator[PtyInstrument]:
    with PtyInstrument(sim) as running:
        yield running


@pytest.fixture
def psu(pty: PtyInstrument) -> Iterator[RD6006]:
    with RD6006(pty.port, timeout_s=0.5) as driver:
        yield driver


def test_identity_registers(psu: RD6006) -> None:
    assert psu.model_id == 60062
    assert psu.model.name == "RD6006"
    assert psu.serial_number == 12345
    assert psu.firmware_version == "1.41"
    assert psu.temperature_c == 25.0
    assert psu.input_voltage_v == 24.0


def test_set_point_writes_scale_per_model(pty: PtyInstrument, psu: RD6006) -> None:
    psu.voltage_v = 12.34
    psu.current_a = 1.5
    wire = pty.requests
    assert wire[-2] == modbus.write_register_request(1, 8, 1234)  # /100
    assert wire[-1] == modbus.write_register_request(1, 9, 1500)  # /1000
    assert (psu.voltage_v, psu.current_a) == (12.34, 1.5)


@pytest.mark.parametrize(
    ("model_id", "v_raw", "i_raw"),
    [(60062, 500, 1500), (60065, 5000, 15000), (60121, 500, 150), (60181, 500, 150)],
)
def test_scaling_of_each_model(clock: SimClock, model_id: int, v_raw: int, i_raw: int) -> None:
    sim = RD6006Simulator(ResistiveLoad(10.0), model_id=model_id, clock=clock)
    with PtyInstrument(sim) as pty, RD6006(pty.port) as psu:
        psu.set_output(5.0, 1.5)
        assert pty.requests[-1] == modbus.write_registers_request(1, 8, [v_raw, i_raw])
        psu.output_enabled = True
        assert psu.measured_voltage_v == 5.0
        assert psu.measured_current_a == 0.5
        assert psu.measured_power_w == 2.5


def test_unknown_model_is_a_device_mismatch(clock: SimClock) -> None:
    with pytest.raises(DeviceMismatch):
        riden_model(12345)
    sim = RD6006Simulator(clock=clock)
    sim.registers[0] = 60240
    with PtyInstrument(sim) as pty, RD6006(pty.port) as psu, pytest.raises(DeviceMismatch):
        psu.voltage_v = 1.0


def test_cv_cc_and_reading_in_one_transaction(pty: PtyInstrument, psu: RD6006) -> None:
    psu.set_output(10.0, 1.0)  # 10 V into 5 ohm wants 2 A: current limit
    psu.output_enabled = True
    pty.clear()
    reading = psu.reading()
    assert pty.requests == [modbus.read_registers_request(1, 8, 11)]
    assert reading == RD6006Reading(
        voltage_set_v=10.0,
        current_set_a=1.0,
        voltage_v=5.0,
        current_a=1.0,
        power_w=5.0,
        input_voltage_v=24.0,
        protection=None,
        constant_current=True,
        output_on=True,
    )
    psu.current_a = 3.0
    assert not psu.constant_current
    assert psu.measured_current_a == 2.0


def test_charge_and_energy_integrate(psu: RD6006, clock: SimClock) -> None:
    psu.set_output(5.0, 2.0)
    psu.output_enabled = True
    assert psu.output_enabled  # a read: the simulator took the write before time moves
    clock.advance(1800)
    assert psu.charge_ah == pytest.approx(0.5)  # 1 A for half an hour
    assert psu.energy_wh == pytest.approx(2.5)


def test_ocp_trips_the_output(pty: PtyInstrument, psu: RD6006, sim: RD6006Simulator) -> None:
    sim.registers[83] = 1000  # preset OCP at 1 A
    psu.set_output(10.0, 3.0)
    psu.output_enabled = True
    assert psu.protection == "OCP"
    assert not psu.output_enabled
    psu.current_a = 0.5
    psu.output_enabled = True
    assert psu.protection is None and psu.output_enabled


def test_calibration_is_never_written(
    pty: PtyInstrument, psu: RD6006, sim: RD6006Simulator
) -> None:
    with pytest.raises(ValueError, match="calibration"):
        psu.write_register(55, 1)
    with pytest.raises(ValueError, match="calibration"):
        psu.write_registers(50, [0] * 8)
    assert pty.requests == [] and sim.calibration_writes == []


def test_validation_uses_the_models_ratings(psu: RD6006) -> None:
    with pytest.raises(ValueError, match=r"current_a: 6.5 is outside 0 to 6"):
        psu.current_a = 6.5
    with pytest.raises(ValueError, match="voltage_v"):
        psu.set_output(61, 1)
    with pytest.raises(ValueError, match="True or False"):
        psu.output_enabled = 1  # type: ignore[assignment]


def test_simulator_ignores_bad_crc_and_other_slaves(pty: PtyInstrument) -> None:
    with (
        RD6006(pty.port, slave=2, timeout_s=0.2) as other,
        pytest.raises(InstrumentTimeout, match=r"Riden RD6006 on .*'0x03 \[02 03"),
    ):
        _ = other.model_id
    with RD6006(pty.port, timeout_s=0.2) as psu:
        bad = bytearray(modbus.read_registers_request(1, 0, 1))
        bad[-1] ^= 0xFF
        psu.write_bytes(bytes(bad))
        with pytest.raises(InstrumentTimeout):
            psu.read_bytes(1, "bad CRC")
        assert psu.model_id == 60062  # the next good frame is answered


def test_illegal_address_and_function(psu: RD6006) -> None:
    with pytest.raises(InstrumentError, match="illegal data address"):
        psu.read_registers(118, 5)
    request = modbus.with_crc(bytes([1, 0x2B, 0, 0]))
    psu.write_bytes(request)
    assert psu.read_bytes(5, "function 0x2B") == modbus.exception_response(1, 0x2B, 1)


# -- faults ---------------------------------------------------------------------------------
def test_timeout_fault(pty: PtyInstrument) -> None:
    pty.fault = "timeout"
    with (
        RD6006(pty.port, timeout_s=0.2) as psu,
        pytest.raises(InstrumentTimeout, match=r"'0x03 \[01 03 00 00 00 01 84 0a\]'"),
    ):
        _ = psu.model_id


def test_garbage_fault(pty: PtyInstrument, psu: RD6006) -> None:
    pty.fault = "garbage"
    with pytest.raises(InstrumentError, match=r"not a reply to this request \(command '0x03"):
        _ = psu.model_id
