"""Korad KA3005P driver: unterminated commands, fixed-length replies, quirks, CV/CC physics."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.instruments.ka3005p import KA3005PSimulator
from benchscore.sim.instruments.models import ResistiveLoad
from benchscore.sim.serial_sim import PtyInstrument, scripted
from drivers.ka3005p import KA3005P, KA3005PStatus
from drivers.serial_port import InstrumentError, InstrumentTimeout


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim() -> KA3005PSimulator:
    return KA3005PSimulator(ResistiveLoad(10.0))


@pytest.fixture
def pty(sim: KA3005PSimulator) -> Iterator[PtyInstrument]:
    with PtyInstrument(sim) as running:
        yield running


@pytest.fixture
def psu(pty: PtyInstrument, clock: SimClock) -> Iterator[KA3005P]:
    # A simulated clock: the 0.1 s command gap advances it instead of waiting.
    with KA3005P(pty.port, timeout_s=0.5, clock=clock) as driver:
        yield driver


@pytest.mark.parametrize(
    ("action", "wire"),
    [
        (lambda p: setattr(p, "voltage_v", 12), b"VSET1:12.00"),
        (lambda p: setattr(p, "voltage_v", 5), b"VSET1:05.00"),
        (lambda p: setattr(p, "voltage_v", 3.3), b"VSET1:03.30"),
        (lambda p: setattr(p, "current_a", 1.5), b"ISET1:1.500"),
        (lambda p: setattr(p, "current_a", 0.025), b"ISET1:0.025"),
        (lambda p: setattr(p, "output_enabled", True), b"OUT1"),
        (lambda p: setattr(p, "output_enabled", False), b"OUT0"),
        (lambda p: p.set_ocp(True), b"OCP1"),
        (lambda p: p.set_ocp(False), b"OCP0"),
        (lambda p: p.set_ovp(True), b"OVP1"),
        (lambda p: p.set_beep(False), b"BEEP0"),
        (lambda p: p.save(3), b"SAV3"),
        (lambda p: p.recall(5), b"RCL5"),
        (lambda p: p.identity, b"*IDN?"),
        (lambda p: p.voltage_v, b"VSET1?"),
        (lambda p: p.current_a, b"ISET1?"),
        (lambda p: p.measured_voltage_v, b"VOUT1?"),
        (lambda p: p.measured_current_a, b"IOUT1?"),
        (lambda p: p.status(), b"STATUS?"),
        (lambda p: p.output_enabled, b"STATUS?"),
    ],
    ids=lambda v: v.decode() if isinstance(v, bytes) else None,
)
def test_each_command_on_the_wire_without_terminator(
    pty: PtyInstrument, psu: KA3005P, action: Callable[[KA3005P], object], wire: bytes
) -> None:
    action(psu)
    assert pty.wait_for_requests(1) == [wire]
    assert pty.received == wire  # no \r, no \n


def test_scripted_session_with_fixed_length_replies(clock: SimClock) -> None:
    pairs = [
        (b"*IDN?", b"KORAD KA3005P V5.8 SN:03379314\x00"),
        (b"VSET1:05.00", b""),
        (b"ISET1:1.000", b""),
        (b"OUT1", b""),
        (b"VOUT1?", b"05.00"),
        (b"IOUT1?", b"0.500"),
        (b"STATUS?", bytes([0x51])),  # CV, beep, output on
        (b"ISET1?", b"1.0001"),  # the stray sixth character some firmware sends
        (b"VSET1?", b"05.00"),
    ]
    with scripted(pairs) as pty, KA3005P(pty.port, clock=clock) as psu:
        assert psu.identity == "KORAD KA3005P V5.8 SN:03379314"
        psu.voltage_v = 5.0
        psu.current_a = 1.0
        psu.output_enabled = True
        assert psu.measured_voltage_v == 5.0
        assert psu.measured_current_a == 0.5
        status = psu.status()
        assert (status.constant_voltage, status.beep, status.output_on) == (True, True, True)
        assert psu.current_a == 1.0
        assert psu.voltage_v == 5.0  # not "105.0": the stray byte was dropped


def test_commands_are_spaced_by_the_gap(pty: PtyInstrument, psu: KA3005P, clock: SimClock) -> None:
    psu.voltage_v = 5
    psu.current_a = 1
    psu.output_enabled = True
    assert clock.monotonic() == pytest.approx(0.2)  # two gaps of 0.1 s
    assert pty.wait_for_requests(3) == [b"VSET1:05.00", b"ISET1:1.000", b"OUT1"]


def test_set_points_are_validated_before_sending(pty: PtyInstrument, psu: KA3005P) -> None:
    with pytest.raises(ValueError, match=r"Korad KA3005P\.voltage_v: 31 is outside 0 to 30"):
        psu.voltage_v = 31
    with pytest.raises(ValueError, match="current_a"):
        psu.current_a = 5.5
    with pytest.raises(ValueError, match="slot"):
        psu.save(6)
    with pytest.raises(ValueError, match="True or False"):
        psu.output_enabled = "yes"  # type: ignore[assignment]
    assert psu.voltage_v == 0.0
    assert pty.requests == [b"VSET1?"]


# -- simulator physics ----------------------------------------------------------------------
def test_cv_until_the_load_wants_more_than_the_limit(psu: KA3005P) -> None:
    psu.voltage_v = 12.0
    psu.current_a = 2.0
    assert psu.measured_voltage_v == 0.0  # output off
    psu.output_enabled = True
    assert psu.output_enabled
    assert psu.measured_voltage_v == 12.0
    assert psu.measured_current_a == 1.2  # 12 V into 10 ohm
    assert not psu.constant_current
    psu.current_a = 0.5
    assert psu.measured_current_a == 0.5
    assert psu.measured_voltage_v == 5.0  # CC: 0.5 A x 10 ohm
    assert psu.constant_current
    assert psu.status() == KA3005PStatus(0x70)  # CC, beep, lock, output


def test_ocp_switches_the_output_off_at_the_limit(psu: KA3005P) -> None:
    psu.voltage_v = 12.0
    psu.current_a = 2.0
    psu.set_ocp(True)
    psu.output_enabled = True
    assert psu.output_enabled
    psu.current_a = 1.0  # the 10 ohm load wants 1.2 A
    assert not psu.output_enabled
    assert psu.measured_current_a == 0.0


def test_memories_save_and_recall(psu: KA3005P) -> None:
    psu.voltage_v = 9.0
    psu.current_a = 0.3
    psu.save(2)
    psu.voltage_v = 1.0
    psu.recall(2)
    assert (psu.voltage_v, psu.current_a) == (9.0, 0.3)


def test_simulator_ends_a_number_by_silence_or_by_the_next_command() -> None:
    sim = KA3005PSimulator()
    assert sim.receive(b"VSET1:1") == []
    assert sim.receive(b"2.5") == []
    exchanges = sim.receive(b"", idle=True)
    assert [e.request for e in exchanges] == [b"VSET1:12.5"]
    exchanges = sim.receive(b"ISET1:1.000VOUT1?")
    assert [e.request for e in exchanges] == [b"ISET1:1.000", b"VOUT1?"]
    assert sim.supply.current_set_a == 1.0


# -- faults ---------------------------------------------------------------------------------
def test_timeout_fault(pty: PtyInstrument, clock: SimClock) -> None:
    pty.fault = "timeout"
    with KA3005P(pty.port, timeout_s=0.2, clock=clock) as psu:
        with pytest.raises(InstrumentTimeout, match=r"Korad KA3005P on .*'VOUT1\?'"):
            _ = psu.measured_voltage_v
        with pytest.raises(InstrumentTimeout, match=r"'STATUS\?'"):
            psu.status()


def test_garbage_fault(pty: PtyInstrument, psu: KA3005P) -> None:
    pty.fault = "garbage"
    with pytest.raises(InstrumentError, match=r"reply is not ascii \(command 'IOUT1\?'"):
        _ = psu.measured_current_a
