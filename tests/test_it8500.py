"""ITECH IT8500+ driver: 26-byte frames with checksum, exact bytes, simulator, faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.instruments.it8500 import IT8500Simulator
from benchscore.sim.instruments.models import TheveninSource
from benchscore.sim.serial_sim import PtyInstrument, scripted
from drivers.it8500 import IT8500, IT8500State, ModelInfo, build_frame, checksum, u32
from drivers.serial_port import InstrumentError, InstrumentTimeout


def frame(head: str, check: int) -> bytes:
    """A frame written out by hand: start, address, command, data (zero-padded), checksum."""
    body = bytes.fromhex(head).ljust(25, b"\0")
    return body + bytes([check])


OK = frame("aa 00 12 80", 0x3C)  # 0xAA + 0x12 + 0x80 = 0x13C


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim(clock: SimClock) -> IT8500Simulator:
    return IT8500Simulator(TheveninSource(5.0, 0.05), clock=clock)


@pytest.fixture
def pty(sim: IT8500Simulator) -> Iterator[PtyInstrument]:
    with PtyInstrument(sim) as running:
        yield running


@pytest.fixture
def load(pty: PtyInstrument) -> Iterator[IT8500]:
    with IT8500(pty.port, timeout_s=0.5) as driver:
        driver.set_remote(True)
        yield driver


# -- framing --------------------------------------------------------------------------------
def test_checksum_worked_examples() -> None:
    remote_on = frame("aa 00 20 01", 0xCB)  # 0xAA + 0x20 + 0x01 = 0xCB
    assert build_frame(0, 0x20, b"\x01") == remote_on
    assert checksum(remote_on) == 0xCB
    # 1.5 A = 15000 x 0.1 mA = 0x00003A98, little-endian; 0xAA+0x2A+0x98+0x3A = 0x1A6
    assert build_frame(0, 0x2A, u32(15000)) == frame("aa 00 2a 98 3a 00 00", 0xA6)
    # address 5, CV 4.75 V = 4750 mV = 0x128E; 0xAA+0x05+0x2C+0x8E+0x12 = 0x17B
    assert build_frame(5, 0x2C, u32(4750)) == frame("aa 05 2c 8e 12 00 00", 0x7B)
    assert len(remote_on) == 26


def test_build_frame_rejects_oversized_data() -> None:
    with pytest.raises(ValueError, match="22 at most"):
        build_frame(0, 0x20, bytes(23))


@pytest.mark.parametrize(
    ("action", "wire"),
    [
        (lambda d: d.set_remote(False), frame("aa 00 20 00", 0xCA)),
        (lambda d: setattr(d, "input_enabled", True), frame("aa 00 21 01", 0xCC)),
        (lambda d: setattr(d, "input_enabled", False), frame("aa 00 21 00", 0xCB)),
        (lambda d: setattr(d, "mode", "CC"), frame("aa 00 28 00", 0xD2)),
        (lambda d: setattr(d, "mode", "CV"), frame("aa 00 28 01", 0xD3)),
        (lambda d: setattr(d, "mode", "CW"), frame("aa 00 28 02", 0xD4)),
        (lambda d: setattr(d, "mode", "CR"), frame("aa 00 28 03", 0xD5)),
        (lambda d: setattr(d, "current_a", 1.5), frame("aa 00 2a 98 3a", 0xA6)),
        (lambda d: setattr(d, "voltage_v", 4.75), frame("aa 00 2c 8e 12", 0x76)),
        (lambda d: setattr(d, "power_w", 10), frame("aa 00 2e 10 27", 0x0F)),
        (lambda d: setattr(d, "resistance_ohm", 2.5), frame("aa 00 30 c4 09", 0xA7)),
        (lambda d: d.current_a, frame("aa 00 2b", 0xD5)),
        (lambda d: d.mode, frame("aa 00 29", 0xD3)),
        (lambda d: d.state(), frame("aa 00 5f", 0x09)),
        (lambda d: d.model_info, frame("aa 00 6a", 0x14)),
    ],
    ids=lambda v: v[:7].hex() if isinstance(v, bytes) else None,
)
def test_each_command_on_the_wire(
    pty: PtyInstrument, load: IT8500, action: Callable[[IT8500], object], wire: bytes
) -> None:
    pty.clear()
    action(load)
    assert pty.requests == [wire]
    assert sum(wire[:25]) & 0xFF == wire[25]


def test_scripted_session() -> None:
    state = u32(4900) + u32(20000) + u32(9800) + bytes([0x0C]) + (0x40).to_bytes(2, "little")
    pairs = [
        (frame("aa 00 20 01", 0xCB), OK),
        (frame("aa 00 28 00", 0xD2), OK),
        (frame("aa 00 2a 20 4e", 0x42), OK),  # 2 A = 20000 = 0x4E20
        (frame("aa 00 21 01", 0xCC), OK),
        (frame("aa 00 5f", 0x09), build_frame(0, 0x5F, state)),
    ]
    with scripted(pairs) as pty, IT8500(pty.port) as load:
        load.set_remote()
        load.mode = "CC"
        load.current_a = 2.0
        load.input_enabled = True
        assert load.state() == IT8500State(4.9, 2.0, 9.8, 0x0C, 0x40)


def test_state_flags_decode() -> None:
    state = IT8500State(0, 0, 0, operation_state=0x0C, demand_state=0x0044)
    assert (state.input_on, state.remote, state.regulation) == (True, True, "CC")
    assert state.faults == ("over_current",)
    assert IT8500State(0, 0, 0, 0, 0).regulation is None


# -- the simulator and its physics ----------------------------------------------------------
def test_settings_need_remote_mode(pty: PtyInstrument) -> None:
    with IT8500(pty.port) as load:
        with pytest.raises(InstrumentError, match=r"load refused: invalid command.*remote"):
            load.input_enabled = True
        assert not load.state().remote
        load.set_remote()
        load.input_enabled = True
        assert load.state().remote and load.input_enabled


def test_set_points_read_back_in_protocol_units(load: IT8500) -> None:
    load.current_a = 1.2345
    load.voltage_v = 4.2
    load.power_w = 12.5
    load.resistance_ohm = 3.3
    assert load.current_a == pytest.approx(1.2345)
    assert load.voltage_v == pytest.approx(4.2)
    assert load.power_w == pytest.approx(12.5)
    assert load.resistance_ohm == pytest.approx(3.3)
    for mode in ("CV", "CW", "CR", "CC"):
        load.mode = mode
        assert load.mode == mode


def test_load_physics_in_each_mode(load: IT8500) -> None:
    load.input_enabled = True
    load.current_a = 2.0
    state = load.state()
    assert (state.voltage_v, state.current_a, state.power_w) == (4.9, 2.0, 9.8)
    assert state.regulation == "CC" and state.input_on
    load.mode = "CR"
    load.resistance_ohm = 2.45  # 5 V / 2.5 ohm = 2 A
    assert load.measured_current_a == pytest.approx(2.0, abs=2e-4)
    load.mode = "CV"
    load.voltage_v = 4.95  # (5 - 4.95) / 0.05 = 1 A
    assert load.measured_current_a == pytest.approx(1.0, abs=2e-4)
    assert load.state().regulation == "CV"
    load.mode = "CW"
    load.power_w = 5.0
    assert load.measured_power_w == pytest.approx(5.0, abs=2e-3)
    load.input_enabled = False
    assert load.measured_current_a == 0.0
    assert load.measured_voltage_v == 5.0


def test_model_info(load: IT8500) -> None:
    assert load.model_info == ModelInfo("8512+", "1.23", "0123456789")


def test_out_of_range_is_refused_by_driver_and_by_load(pty: PtyInstrument, load: IT8500) -> None:
    with pytest.raises(ValueError, match="31 is outside 0 to 30"):
        load.current_a = 31
    with pytest.raises(ValueError, match="not one of"):
        load.mode = "CP"
    with pytest.raises(InstrumentError, match="parameter incorrect"):
        load.transact(0x2A, u32(310000))  # bypass the driver's check: the load says 0xA0


def test_unknown_command_and_bad_checksum_statuses(pty: PtyInstrument, load: IT8500) -> None:
    with pytest.raises(InstrumentError, match="unrecognized command"):
        load.transact(0x77)
    bad = bytearray(build_frame(0, 0x5F))
    bad[25] ^= 0xFF
    load.write_bytes(bytes(bad))
    assert load.read_bytes(26, "bad checksum") == frame("aa 00 12 90", 0x4C)


def test_addressed_frames(clock: SimClock) -> None:
    sim = IT8500Simulator(TheveninSource(5.0), address=7, clock=clock)
    with PtyInstrument(sim) as pty:
        with IT8500(pty.port, address=7) as load:
            load.set_remote()
            assert pty.requests[0][1] == 7
        # Not this load's address: no answer.
        with IT8500(pty.port, address=3, timeout_s=0.2) as other, pytest.raises(InstrumentTimeout):
            other.set_remote()
    with pytest.raises(ValueError):
        IT8500("loop://", address=255)


def test_junk_before_a_frame_is_skipped(pty: PtyInstrument, load: IT8500) -> None:
    load.write_bytes(b"\x01\x02")
    assert load.mode == "CC"


# -- faults ---------------------------------------------------------------------------------
def test_timeout_fault(pty: PtyInstrument) -> None:
    with IT8500(pty.port, timeout_s=0.2) as load:
        pty.fault = "timeout"
        with pytest.raises(InstrumentTimeout, match=r"ITECH IT8500 on .*'0x5F \[aa 00 5f"):
            load.state()


def test_garbage_fault(pty: PtyInstrument, load: IT8500) -> None:
    pty.fault = "garbage"
    with pytest.raises(InstrumentError, match=r"bad start byte or checksum \(command '0x5F"):
        load.state()
