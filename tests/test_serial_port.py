"""The serial seam: open_port by URL, the Instrument base, errors, validators, the pty sim."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.serial_sim import (
    Exchange,
    PtyInstrument,
    ScriptedPeer,
    SerialSimulator,
    scripted,
)
from drivers.errors import DriverError
from drivers.serial_port import (
    Control,
    Instrument,
    InstrumentError,
    InstrumentTimeout,
    Measurement,
    PortError,
    choice,
    control,
    in_range,
    measurement,
    on_off,
    one_of,
    open_port,
    parse_bool,
)


class Meter(Instrument):
    """A minimal line instrument for exercising the base class."""

    default_name = "test meter"
    volts = measurement("V?", "Measure the voltage in V.")
    label = measurement("ID?", "Get the label.", str)
    level_a = control("L?", "L {:g}", "Control the level in A (0 to 2 A).", in_range(0, 2))
    enabled = control("E?", "E {}", "Control the switch.", on_off, cast=parse_bool)


class TableSim(SerialSimulator):
    """Answers lines from a table; unknown lines get no answer."""

    reply_terminator = b"\n"

    def __init__(self, table: dict[bytes, bytes]) -> None:
        super().__init__()
        self.table = table

    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        end = buffer.find(b"\n")
        return end + 1 if end >= 0 else None

    def handle(self, request: bytes) -> bytes:
        return self.table.get(request.rstrip(b"\n"), b"")


class BrokenSim(TableSim):
    def handle(self, request: bytes) -> bytes:
        raise RuntimeError("simulator bug")


@pytest.fixture
def pty() -> Iterator[PtyInstrument]:
    sim = TableSim({b"V?": b"1.25\n", b"ID?": b"meter 7\n", b"E?": b"1\n", b"L?": b"0.5\n"})
    with PtyInstrument(sim) as running:
        yield running


# -- open_port ------------------------------------------------------------------------------
def test_open_port_loop_url_echoes() -> None:
    port = open_port("loop://", timeout_s=0.2)
    try:
        port.write(b"abc")
        assert port.read(3) == b"abc"
    finally:
        port.close()


def test_open_port_pty_path_reaches_the_simulator(pty: PtyInstrument) -> None:
    port = open_port(pty.port, baudrate=115200, timeout_s=1.0)
    try:
        port.write(b"V?\n")
        assert port.read_until(b"\n") == b"1.25\n"
    finally:
        port.close()


def test_open_port_missing_device_is_a_named_port_error() -> None:
    with pytest.raises(PortError, match="/dev/ttyNOPE") as info:
        open_port("/dev/ttyNOPE")
    assert isinstance(info.value, DriverError) and isinstance(info.value, OSError)


def test_instrument_names_itself_when_its_url_cannot_open() -> None:
    with pytest.raises(PortError, match=r"^bench meter on /dev/ttyNOPE: cannot open"):
        Meter("/dev/ttyNOPE", name="bench meter")


# -- Instrument ----------------------------------------------------------------------------
def test_query_over_loop_url_reads_back_its_own_line() -> None:
    with Meter("loop://", timeout_s=0.2) as meter:
        assert meter.query("PING") == "PING"


def test_properties_send_exact_lines(pty: PtyInstrument) -> None:
    with Meter(pty.port) as meter:
        assert meter.volts == 1.25
        assert meter.label == "meter 7"
        assert meter.enabled is True
        assert meter.level_a == 0.5
        meter.level_a = 1.5
        meter.enabled = False
    pty.wait_for_requests(6)
    assert pty.received == b"V?\nID?\nE?\nL?\nL 1.5\nE OFF\n"
    assert pty.exchanges[0] == Exchange(b"V?\n", b"1.25\n")
    assert pty.sent == b"1.25\nmeter 7\n1\n0.5\n"


def test_invalid_value_raises_before_anything_is_sent(pty: PtyInstrument) -> None:
    with Meter(pty.port) as meter:
        with pytest.raises(ValueError, match=r"test meter\.level_a: 3 is outside 0 to 2"):
            meter.level_a = 3
        with pytest.raises(ValueError, match="True or False"):
            meter.enabled = 1  # type: ignore[assignment]
    time.sleep(0.05)
    assert pty.received == b""


def test_descriptors_on_the_class_carry_their_docs() -> None:
    assert isinstance(Meter.volts, Measurement)
    assert isinstance(Meter.level_a, Control)
    assert Meter.level_a.__doc__ == "Control the level in A (0 to 2 A)."
    assert Meter.level_a.name == "level_a"


def test_close_is_idempotent_and_closes_an_owned_port(pty: PtyInstrument) -> None:
    meter = Meter(pty.port)
    assert not meter.closed
    meter.close()
    meter.close()
    assert meter.closed
    assert not meter.port.is_open
    with pytest.raises(PortError, match="closed; cannot send 'V\\?'"):
        meter.query("V?")
    assert "closed" in repr(meter)


def test_a_port_passed_in_stays_open_for_its_owner(pty: PtyInstrument) -> None:
    port = open_port(pty.port)
    try:
        with Meter(port, name="first") as first:
            assert first.volts == 1.25
        assert port.is_open
        with Meter(port, name="second") as second:
            assert second.label == "meter 7"
    finally:
        port.close()


def test_silence_raises_instrument_timeout_naming_instrument_port_and_command(
    pty: PtyInstrument,
) -> None:
    pty.fault = "timeout"
    with Meter(pty.port, timeout_s=0.2, name="meter A") as meter:
        started = time.monotonic()
        with pytest.raises(InstrumentTimeout) as info:
            _ = meter.volts
        elapsed = time.monotonic() - started
    error = info.value
    assert isinstance(error, TimeoutError) and isinstance(error, DriverError)
    assert (error.instrument, error.port, error.command) == ("meter A", pty.port, "V?")
    assert str(error) == f"meter A on {pty.port}: no complete reply to 'V?' within 0.2 s"
    assert 0.15 < elapsed < 1.0


def test_unterminated_reply_is_a_timeout_that_shows_what_came() -> None:
    with (
        scripted([(b"V?\n", b"1.2")]) as pty,
        Meter(pty.port, timeout_s=0.2) as meter,
        pytest.raises(InstrumentTimeout, match=r"got only b'1\.2'") as info,
    ):
        _ = meter.volts
    assert info.value.received == b"1.2"


def test_garbage_reply_raises_instrument_error_naming_command_and_reply(
    pty: PtyInstrument,
) -> None:
    pty.fault = "garbage"
    with (
        Meter(pty.port, timeout_s=0.5) as meter,
        pytest.raises(InstrumentError, match=r"reply is not ascii \(command 'V\?'") as info,
    ):
        _ = meter.volts
    reply = info.value.reply
    assert isinstance(reply, bytes) and len(reply) == 4 and all(b >= 0x80 for b in reply)
    assert pty.sent.endswith(b"\n")  # framing kept, content garbled


def test_unparseable_ascii_reply_raises_instrument_error() -> None:
    with (
        scripted([(b"V?\n", b"abc\n")]) as pty,
        Meter(pty.port) as meter,
        pytest.raises(InstrumentError, match=r"cannot parse reply.*'V\?', reply 'abc'"),
    ):
        _ = meter.volts


def test_stale_input_is_dropped_before_a_query() -> None:
    with scripted([(b"V?\n", b"1.0\n0\n"), (b"V?\n", b"2.0\n")]) as pty, Meter(pty.port) as meter:
        assert meter.volts == 1.0
        time.sleep(0.05)  # the stray second line is in the buffer now
        assert meter.volts == 2.0


def test_vanished_device_raises_port_error(pty: PtyInstrument) -> None:
    meter = Meter(pty.port, timeout_s=0.2)
    try:
        assert meter.volts == 1.25
        pty.stop()
        with pytest.raises(PortError, match=r"test meter on /dev/pts/\d+: 'V\?' failed"):
            _ = meter.volts
    finally:
        meter.close()


def test_command_gap_waits_on_the_instruments_clock(pty: PtyInstrument) -> None:
    class Slow(Meter):
        command_gap_s = 0.1

    clock = SimClock()
    with Slow(pty.port, clock=clock) as slow:
        slow.write("A")
        assert clock.monotonic() == 0.0
        slow.write("B")
        slow.write("C")
    assert clock.monotonic() == pytest.approx(0.2)


# -- validators and casts -------------------------------------------------------------------
def test_in_range() -> None:
    check = in_range(0, 5)
    assert check(5) == 5.0 and isinstance(check(2), float)
    for bad in (-0.1, 5.01, math.nan, True, "1"):
        with pytest.raises(ValueError):
            check(bad)  # type: ignore[arg-type]


def test_one_of_on_off_parse_bool_choice() -> None:
    assert one_of({"CC": "CURR"})("CC") == "CURR"
    with pytest.raises(ValueError, match=r"'XX' is not one of \['CC'\]"):
        one_of({"CC": "CURR"})("XX")
    assert (on_off(True), on_off(False)) == ("ON", "OFF")
    assert [parse_bool(r) for r in ("1", "ON", " on ", "0", "OFF")] == [1, 1, 1, 0, 0]
    with pytest.raises(ValueError):
        parse_bool("2")
    assert choice("CC", "CV")("cv") == "CV"
    with pytest.raises(ValueError):
        choice("CC")("CR")


# -- PtyInstrument and ScriptedPeer ----------------------------------------------------------
def test_pty_instrument_lifecycle_is_idempotent() -> None:
    sim = PtyInstrument(TableSim({}))
    sim.start()
    sim.start()
    assert sim.running and os.path.exists(sim.port)
    sim.stop()
    sim.stop()
    assert not sim.running
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        sim.start()


def test_wait_for_requests_times_out_and_clear_forgets(pty: PtyInstrument) -> None:
    with pytest.raises(TimeoutError, match="0 of 1 requests"):
        pty.wait_for_requests(1, timeout_s=0.05)
    with Meter(pty.port) as meter:
        _ = meter.volts
    assert pty.requests == [b"V?\n"]
    pty.clear()
    assert (pty.received, pty.sent, pty.exchanges) == (b"", b"", [])


def test_a_failing_simulator_is_reported_not_swallowed() -> None:
    with (
        pytest.raises(RuntimeError, match="simulator failed") as info,
        PtyInstrument(BrokenSim({})) as pty,
        Meter(pty.port, timeout_s=0.2) as meter,
        pytest.raises(InstrumentTimeout),
    ):
        _ = meter.volts
    assert isinstance(info.value.__cause__, RuntimeError)


def test_scripted_peer_reports_unexpected_and_unused() -> None:
    peer = ScriptedPeer([(b"A\n", b"1\n"), (b"B\n", b"2\n")])
    assert peer.receive(b"A\nX\n") == [Exchange(b"A\n", b"1\n"), Exchange(b"X\n", b"")]
    with pytest.raises(AssertionError, match=r"unexpected b'X\\n', expected b'B\\n'.*unused"):
        peer.assert_complete()


def test_scripted_fails_when_a_pair_is_never_sent() -> None:
    with (
        pytest.raises(AssertionError, match="unused pairs"),
        scripted([(b"V?\n", b"1\n"), (b"L?\n", b"0\n")], idle_s=0.01) as pty,
        Meter(pty.port) as meter,
    ):
        assert meter.volts == 1.0
