"""Serial faults that start later: PtyInstrument's ``fault_after`` and ``fault_for``.

A Korad KA3005P driver talks to the simulated supply through a real pty; the fault lets the
first requests through and then hits the replies, as a supply that hangs mid-run does.
"""

from __future__ import annotations

import pytest

from benchscore.clock import SimClock
from benchscore.sim.instruments.ka3005p import KA3005PSimulator
from benchscore.sim.instruments.models import ResistiveLoad
from benchscore.sim.serial_sim import PtyInstrument
from drivers.ka3005p import KA3005P
from drivers.serial_port import InstrumentError, InstrumentTimeout

TIMEOUT_S = 0.2


@pytest.fixture
def sim() -> KA3005PSimulator:
    sim = KA3005PSimulator(ResistiveLoad(10.0))
    sim.supply.voltage_set_v = 5.0
    sim.supply.current_set_a = 1.0
    sim.supply.output_on = True
    return sim


def open_psu(pty: PtyInstrument) -> KA3005P:
    # A simulated clock: the 0.1 s command gap advances it instead of waiting.
    return KA3005P(pty.port, timeout_s=TIMEOUT_S, clock=SimClock())


def test_answers_n_requests_then_times_out_naming_instrument_and_command(
    sim: KA3005PSimulator,
) -> None:
    with PtyInstrument(sim, fault="timeout", fault_after=3) as pty, open_psu(pty) as psu:
        assert psu.identity.startswith("KORAD KA3005P")
        psu.voltage_v = 6.0  # a set command has no reply: it does not count
        assert psu.voltage_v == pytest.approx(6.0)
        assert psu.measured_voltage_v == pytest.approx(6.0)
        with pytest.raises(InstrumentTimeout) as raised:
            _ = psu.measured_current_a
        with pytest.raises(InstrumentTimeout, match=r"'STATUS\?'"):
            psu.status()
    error = raised.value
    assert error.instrument == "Korad KA3005P"
    assert error.command == "IOUT1?"
    assert error.timeout_s == TIMEOUT_S
    assert str(error).startswith(f"Korad KA3005P on {pty.port}: no complete reply to 'IOUT1?'")
    assert [e.reply != b"" for e in pty.exchanges] == [True, False, True, True, False, False]
    assert pty.fault_count == 2


def test_fault_for_ends_the_fault_after_that_many_replies(sim: KA3005PSimulator) -> None:
    with (
        PtyInstrument(sim, fault="timeout", fault_after=1, fault_for=2) as pty,
        open_psu(pty) as psu,
    ):
        assert psu.measured_voltage_v == pytest.approx(5.0)
        for _ in range(2):
            with pytest.raises(InstrumentTimeout, match=r"'VOUT1\?'"):
                _ = psu.measured_voltage_v
        assert psu.measured_voltage_v == pytest.approx(5.0)
        assert psu.measured_current_a == pytest.approx(0.5)
        assert pty.fault_count == 2


def test_garbage_after_two_replies_for_one_reply(sim: KA3005PSimulator) -> None:
    with (
        PtyInstrument(sim, fault="garbage", fault_after=2, fault_for=1) as pty,
        open_psu(pty) as psu,
    ):
        assert psu.measured_voltage_v == pytest.approx(5.0)
        assert psu.measured_current_a == pytest.approx(0.5)
        with pytest.raises(InstrumentError, match=r"reply is not ascii \(command 'VOUT1\?'"):
            _ = psu.measured_voltage_v
        assert psu.measured_voltage_v == pytest.approx(5.0)


def test_setting_the_fault_restarts_the_count(sim: KA3005PSimulator) -> None:
    with PtyInstrument(sim) as pty, open_psu(pty) as psu:
        for _ in range(3):
            assert psu.measured_voltage_v == pytest.approx(5.0)
        pty.fault_after = 1
        pty.fault = "timeout"
        assert pty.fault_count == 0
        assert psu.measured_voltage_v == pytest.approx(5.0)
        with pytest.raises(InstrumentTimeout, match=r"'IOUT1\?'"):
            _ = psu.measured_current_a
        pty.fault = None
        assert psu.measured_current_a == pytest.approx(0.5)


def test_without_fault_after_the_fault_is_immediate(sim: KA3005PSimulator) -> None:
    with (
        PtyInstrument(sim, fault="timeout") as pty,
        open_psu(pty) as psu,
        pytest.raises(InstrumentTimeout, match=r"'\*IDN\?'"),
    ):
        _ = psu.identity


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fault_after": -1}, "fault_after"), ({"fault_for": -1}, "fault_for")],
)
def test_negative_counts_are_refused(
    sim: KA3005PSimulator, kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PtyInstrument(sim, **kwargs)  # type: ignore[arg-type]
