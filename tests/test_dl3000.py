"""Rigol DL3021/DL3031 driver: exact SCPI bytes, the simulator's parser and physics, faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.instruments.dl3000 import DL3000Simulator
from benchscore.sim.instruments.models import TheveninSource
from benchscore.sim.serial_sim import PtyInstrument, scripted
from drivers.dl3000 import DL3021, DL3031
from drivers.errors import DeviceMismatch
from drivers.serial_port import InstrumentError, InstrumentTimeout

IDN = b"RIGOL TECHNOLOGIES,DL3021,DL3A000000001,00.01.02.00.01\n"


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim(clock: SimClock) -> DL3000Simulator:
    # A power bank's USB output: 5.1 V behind 0.1 ohm.
    return DL3000Simulator(TheveninSource(5.1, 0.1), clock=clock)


@pytest.fixture
def pty(sim: DL3000Simulator) -> Iterator[PtyInstrument]:
    with PtyInstrument(sim) as running:
        yield running


@pytest.fixture
def load(pty: PtyInstrument) -> Iterator[DL3021]:
    with DL3021(pty.port, timeout_s=0.5) as driver:
        yield driver


def _set(name: str, value: object) -> Callable[[DL3021], None]:
    return lambda load: setattr(load, name, value)


def _get(name: str) -> Callable[[DL3021], None]:
    return lambda load: getattr(load, name)


@pytest.mark.parametrize(
    ("action", "wire"),
    [
        (_set("mode", "CC"), b":SOUR:FUNC CURR\n"),
        (_set("mode", "CV"), b":SOUR:FUNC VOLT\n"),
        (_set("mode", "CR"), b":SOUR:FUNC RES\n"),
        (_set("mode", "CP"), b":SOUR:FUNC POW\n"),
        (_set("current_a", 1.5), b":SOUR:CURR:LEV:IMM 1.5\n"),
        (_set("current_a", 0.001), b":SOUR:CURR:LEV:IMM 0.001\n"),
        (_set("voltage_v", 4.75), b":SOUR:VOLT:LEV:IMM 4.75\n"),
        (_set("resistance_ohm", 2.5), b":SOUR:RES:LEV:IMM 2.5\n"),
        (_set("power_w", 10), b":SOUR:POW:LEV:IMM 10\n"),
        (_set("input_enabled", True), b":SOUR:INP:STAT ON\n"),
        (_set("input_enabled", False), b":SOUR:INP:STAT OFF\n"),
        (_get("identity"), b"*IDN?\n"),
        (_get("mode"), b":SOUR:FUNC?\n"),
        (_get("current_a"), b":SOUR:CURR:LEV:IMM?\n"),
        (_get("voltage_v"), b":SOUR:VOLT:LEV:IMM?\n"),
        (_get("resistance_ohm"), b":SOUR:RES:LEV:IMM?\n"),
        (_get("power_w"), b":SOUR:POW:LEV:IMM?\n"),
        (_get("input_enabled"), b":SOUR:INP:STAT?\n"),
        (_get("measured_voltage_v"), b":MEAS:VOLT?\n"),
        (_get("measured_current_a"), b":MEAS:CURR?\n"),
        (_get("measured_power_w"), b":MEAS:POW?\n"),
        (_get("measured_resistance_ohm"), b":MEAS:RES?\n"),
        (_get("capacity_mah"), b":MEAS:CAP?\n"),
        (_get("energy_wh"), b":MEAS:WATT?\n"),
        (lambda load: load.reset(), b"*RST\n"),
        (lambda load: load.next_error(), b":SYST:ERR?\n"),
    ],
    ids=lambda v: v.decode().strip() if isinstance(v, bytes) else None,
)
def test_each_command_on_the_wire(
    pty: PtyInstrument, load: DL3021, action: Callable[[DL3021], None], wire: bytes
) -> None:
    action(load)
    assert pty.wait_for_requests(1) == [wire]
    assert pty.received == wire


def test_scripted_session_with_the_instruments_own_reply_forms() -> None:
    pairs = [
        (b"*IDN?\n", IDN),
        (b":SOUR:FUNC CURR\n", b""),
        (b":SOUR:FUNC?\n", b"CC\n"),  # set with CURR, read back as CC
        (b":SOUR:CURR:LEV:IMM 2\n", b""),
        (b":SOUR:CURR:LEV:IMM?\n", b"2.000000\n"),
        (b":SOUR:INP:STAT ON\n", b""),
        (b":SOUR:INP:STAT?\n", b"1\n"),  # set with ON, read back as 1
        (b":MEAS:VOLT?\n", b"4.900123\n"),
        (b":MEAS:CURR?\n", b"1.999800\n"),
        (b":SYST:ERR?\n", b'0,"No error"\n'),
        (b":SOUR:INP:STAT OFF\n", b""),
    ]
    with scripted(pairs) as pty, DL3021(pty.port) as load:
        assert load.verify_identity() == IDN.decode().strip()
        load.mode = "CC"
        assert load.mode == "CC"
        load.current_a = 2
        assert load.current_a == 2.0
        load.input_enabled = True
        assert load.input_enabled is True
        assert load.measured_voltage_v == 4.900123
        assert load.measured_current_a == 1.9998
        assert load.next_error() == (0, "No error")
        load.input_enabled = False


def test_second_reply_line_quirk_is_dropped(clock: SimClock) -> None:
    sim = DL3000Simulator(TheveninSource(5.0, 0.0), clock=clock, second_line="0")
    with PtyInstrument(sim) as pty, DL3021(pty.port) as load:
        load.current_a = 1
        load.input_enabled = True
        assert load.measured_current_a == 1.0
        assert load.measured_voltage_v == 5.0
        assert load.measured_power_w == 5.0
    assert pty.exchanges[2].reply == b"1.000000\n0\n"


def test_unexpected_mode_reply_is_an_instrument_error() -> None:
    with (
        scripted([(b":SOUR:FUNC?\n", b"XYZ\n")]) as pty,
        DL3021(pty.port) as load,
        pytest.raises(InstrumentError, match=r"':SOUR:FUNC\?', reply 'XYZ'"),
    ):
        _ = load.mode


# -- physics through the driver -------------------------------------------------------------
def test_cc_sinks_the_set_current_from_the_source(load: DL3021) -> None:
    load.mode = "CC"
    load.current_a = 2.0
    assert load.measured_current_a == 0.0  # input still off
    assert load.measured_voltage_v == 5.1  # open-circuit voltage
    load.input_enabled = True
    assert load.measured_current_a == 2.0
    assert load.measured_voltage_v == pytest.approx(4.9)
    assert load.measured_power_w == pytest.approx(9.8)
    assert load.measured_resistance_ohm == pytest.approx(2.45)


def test_cr_cv_and_cp_settle_where_source_and_load_meet(load: DL3021) -> None:
    load.input_enabled = True
    load.mode = "CR"
    load.resistance_ohm = 2.45  # 5.1 V / (2.45 + 0.1) ohm = 2 A
    assert load.measured_current_a == pytest.approx(2.0, abs=1e-5)
    load.mode = "CV"
    load.voltage_v = 5.0  # pulls (5.1 - 5.0) / 0.1 = 1 A
    assert load.measured_current_a == pytest.approx(1.0, abs=1e-5)
    assert load.measured_voltage_v == pytest.approx(5.0, abs=1e-5)
    load.voltage_v = 6.0  # above the source: the load draws nothing
    assert load.measured_current_a == 0.0
    load.mode = "CP"
    load.power_w = 10.0
    assert load.measured_power_w == pytest.approx(10.0, abs=1e-4)
    assert load.measured_voltage_v > 4.8  # the stable, high-voltage solution


def test_capacity_and_energy_integrate_on_the_clock(load: DL3021, clock: SimClock) -> None:
    load.current_a = 1.0
    load.input_enabled = True
    assert load.input_enabled  # a query: the simulator has taken the write before time moves
    clock.advance(1800)
    assert load.capacity_mah == pytest.approx(500.0)
    assert load.energy_wh == pytest.approx(0.5 * 5.0)
    load.input_enabled = False
    assert not load.input_enabled
    clock.advance(1800)
    assert load.capacity_mah == pytest.approx(500.0)
    load.input_enabled = True  # restarts the meters, as the battery test does
    assert load.capacity_mah == 0.0


# -- validation and the simulator's SCPI parser ---------------------------------------------
def test_set_points_are_validated_before_sending(pty: PtyInstrument, load: DL3021) -> None:
    for name, value in [("current_a", 40.5), ("voltage_v", -1), ("power_w", 201), ("mode", "CW")]:
        with pytest.raises(ValueError, match=f"Rigol DL3021.{name}"):
            setattr(load, name, value)
    assert load.query("*IDN?")  # the line is still in step
    assert pty.requests == [b"*IDN?\n"]


def test_dl3031_has_the_larger_ratings(clock: SimClock) -> None:
    sim = DL3000Simulator(TheveninSource(20.0, 0.01), model="DL3031", clock=clock)
    with PtyInstrument(sim) as pty, DL3031(pty.port) as load:
        assert load.verify_identity().split(",")[1] == "DL3031"
        load.current_a = 55
        load.power_w = 300
        assert (load.current_a, load.power_w) == (55.0, 300.0)
        with pytest.raises(ValueError):
            load.current_a = 61


def test_wrong_model_is_a_device_mismatch(clock: SimClock) -> None:
    sim = DL3000Simulator(model="DL3031", clock=clock)
    with (
        PtyInstrument(sim) as pty,
        DL3021(pty.port) as load,
        pytest.raises(DeviceMismatch, match="DL3031"),
    ):
        load.verify_identity()


def test_simulator_accepts_long_forms_and_keeps_an_error_queue(load: DL3021) -> None:
    load.write(":SOURce:CURRent:LEVel:IMMediate 2.5")
    assert load.current_a == 2.5
    load.write("curr 1.25")  # optional nodes left out, lower case
    assert load.current_a == 1.25
    load.write(":SOUR:CURR:LEV:IMM MAX")
    assert load.current_a == 40.0
    load.write(":SOUR:CURR:LEV:IMM 41")  # out of range: refused
    load.write(":BOGUS:CMD 1")
    load.write(":SOUR:FUNC BANANA")
    assert load.current_a == 40.0
    assert load.next_error() == (-222, "Data out of range")
    assert load.next_error() == (-113, "Undefined header")
    assert load.next_error() == (-104, "Data type error")
    assert load.next_error() == (0, "No error")


def test_reset_restores_power_on_state(load: DL3021) -> None:
    load.mode = "CV"
    load.input_enabled = True
    load.reset()
    assert (load.mode, load.input_enabled, load.current_a) == ("CC", False, 0.0)


# -- faults ---------------------------------------------------------------------------------
def test_timeout_fault_raises_instrument_timeout(pty: PtyInstrument) -> None:
    pty.fault = "timeout"
    with DL3021(pty.port, timeout_s=0.2) as load:
        with pytest.raises(
            InstrumentTimeout, match=r"Rigol DL3021 on .*':MEAS:VOLT\?' within 0.2 s"
        ):
            _ = load.measured_voltage_v
        pty.fault = None
        assert load.measured_voltage_v == 5.1  # recovers once the instrument answers


def test_garbage_fault_raises_instrument_error(pty: PtyInstrument, load: DL3021) -> None:
    pty.fault = "garbage"
    with pytest.raises(InstrumentError, match=r"Rigol DL3021 on .*':MEAS:CURR\?'"):
        _ = load.measured_current_a
