"""Power-bank physics on a simulated clock: charge, discharge, regulation, protection, faults."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from benchscore.clock import SimClock
from benchscore.sim.assemblies.power_bank import (
    ChargePhase,
    PowerBank,
    PowerBankFault,
    PowerBankSpec,
    ProtectionTrip,
)

RATED_A = 2.0
USB_LOW_V = 4.75
USB_HIGH_V = 5.25


@dataclass
class DischargeLog:
    """A 1 Hz log of an output discharge until the bank cuts off."""

    duration_s: float = 0.0
    voltages_v: list[float] = field(default_factory=list)
    ripples_v: list[float] = field(default_factory=list)
    temperatures_c: list[float] = field(default_factory=list)


def discharge(bank: PowerBank, clock: SimClock, current_a: float = RATED_A) -> DischargeLog:
    """Draw ``current_a`` until a protection cuts the output off (at most 6 h)."""
    log = DischargeLog()
    start_s = clock.monotonic()
    bank.set_load_current_a(current_a)
    while clock.monotonic() - start_s < 6 * 3600:
        clock.advance(1.0)
        if bank.protection_tripped:
            break
        log.voltages_v.append(bank.output_voltage_v())
        log.temperatures_c.append(bank.temperature_c)
        if len(log.voltages_v) % 60 == 0:
            log.ripples_v.append(bank.ripple_pp_v())
    log.duration_s = clock.monotonic() - start_s
    return log


def test_cc_cv_charge_has_a_visible_transition_and_terminates_at_c_over_10() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.3)
    spec = bank.spec
    bank.apply_charger(5.0)
    samples: list[tuple[float, ChargePhase, float, float]] = []
    while clock.monotonic() < 4 * 3600:
        clock.advance(1.0)
        point = bank.operating_point()
        samples.append(
            (clock.monotonic(), point.charge_phase, point.charge_current_a, point.cell_voltage_v)
        )
        if point.charge_phase is ChargePhase.DONE:
            break
    phases = [phase for _t, phase, _i, _v in samples]
    assert phases[-1] is ChargePhase.DONE
    cc = [s for s in samples if s[1] is ChargePhase.CONSTANT_CURRENT]
    cv = [s for s in samples if s[1] is ChargePhase.CONSTANT_VOLTAGE]
    # CC, then CV, then done: one transition each, in that order
    first_cv = phases.index(ChargePhase.CONSTANT_VOLTAGE)
    assert all(p is ChargePhase.CONSTANT_CURRENT for p in phases[:first_cv])
    assert all(p is ChargePhase.CONSTANT_VOLTAGE for p in phases[first_cv:-1])
    # CC: constant current, rising voltage
    assert all(i == pytest.approx(spec.charge_current_a, abs=0.01) for _t, _p, i, _v in cc)
    assert cc[-1][3] > cc[0][3] + 0.3
    # CV: voltage held at 4.2 V while the current tapers (visibly: several minutes)
    assert all(v == pytest.approx(spec.charge_voltage_v, abs=0.005) for _t, _p, _i, v in cv)
    currents_a = [i for _t, _p, i, _v in cv]
    assert all(b < a for a, b in zip(currents_a, currents_a[1:], strict=False))
    assert cv[-1][0] - cv[0][0] > 300.0
    # termination at the taper current C/10 (0.5 A), logged at 1 Hz
    assert spec.termination_current_a == pytest.approx(0.5)
    assert currents_a[-1] == pytest.approx(spec.termination_current_a, abs=0.01)
    assert bank.charge_current_a == 0.0
    assert bank.input_current_a() < 0.05
    assert bank.state_of_charge > 0.95


def test_charger_restarts_below_the_recharge_threshold_and_input_window() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=1.0)
    bank.apply_charger(5.0)
    clock.advance(1.0)
    assert bank.charge_phase is ChargePhase.DONE  # already full: terminates at once
    bank.set_load_current_a(2.0)  # pass-through load drains the cell under the charger
    for _ in range(3600):
        clock.advance(1.0)
        if bank.charge_phase is not ChargePhase.DONE:
            break
    assert bank.charge_phase in (ChargePhase.CONSTANT_CURRENT, ChargePhase.CONSTANT_VOLTAGE)
    assert bank.input_current_a(4.0) == 0.0  # under-voltage lockout
    assert bank.input_current_a(7.0) == 0.0  # over-voltage protection
    assert bank.input_current_a(5.0) > 1.0


def test_charging_in_cc_draws_the_expected_input_current() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.5)
    bank.apply_charger(5.0)
    clock.advance(10.0)
    point = bank.operating_point()
    assert point.charge_phase is ChargePhase.CONSTANT_CURRENT
    expected_a = (
        point.cell_voltage_v * 2.0 / bank.spec.charger_efficiency + bank.spec.charger_quiescent_w
    ) / 5.0
    assert point.input_current_a == pytest.approx(expected_a)
    assert point.input_current_a <= bank.spec.rated_input_current_a


def test_rated_discharge_stays_in_usb_window_and_ends_in_over_discharge_cut_off() -> None:
    clock = SimClock()
    bank = PowerBank(clock)
    log = discharge(bank, clock)
    assert bank.trip_reason is ProtectionTrip.OVER_DISCHARGE
    assert bank.output_voltage_v() == 0.0
    assert 1.2 * 3600 < log.duration_s < 2.0 * 3600  # about 1.5 h at 2 A for 3000 mAh
    assert all(USB_LOW_V <= v <= USB_HIGH_V for v in log.voltages_v)
    # roughly the rated capacity at the output, and GB/T 35590 efficiency >= 80 %
    rated_ah = bank.spec.rated_capacity_mah / 1000.0
    assert rated_ah <= bank.output_charge_ah <= 1.15 * rated_ah
    efficiency = bank.output_energy_wh / bank.spec.cell_energy_wh
    assert 0.80 <= efficiency <= 0.92
    assert bank.state_of_charge < 0.06
    # the cut-off is latched: the cell recovers at rest, the output stays off ...
    bank.remove_load()
    clock.advance(600.0)
    assert bank.cell_voltage_v > bank.spec.over_discharge_v
    assert bank.trip_reason is ProtectionTrip.OVER_DISCHARGE
    # ... until a charger is connected
    bank.apply_charger(5.0)
    assert not bank.protection_tripped
    assert bank.charge_current_a > 0


def test_poor_regulation_leaves_the_usb_window_at_rated_load() -> None:
    clock = SimClock()
    bank = PowerBank(clock, faults=PowerBankFault.POOR_REGULATION)
    log = discharge(bank, clock)
    assert min(log.voltages_v) < USB_LOW_V
    assert bank.output_voltage_v(0.0) == 0.0  # ended in the cut-off too


def test_good_regulation_across_load_steps() -> None:
    clock = SimClock()
    good = PowerBank(clock, initial_state_of_charge=0.5)
    poor = PowerBank(clock, faults=PowerBankFault.POOR_REGULATION, initial_state_of_charge=0.5)
    for load_a in (0.0, 0.5, 1.0, 1.5, 2.0):
        assert USB_LOW_V <= good.output_voltage_v(load_a) <= USB_HIGH_V
    assert poor.output_voltage_v(2.0) < USB_LOW_V
    assert good.output_voltage_v(2.0) < good.output_voltage_v(0.0)  # load line


def test_short_circuit_trips_at_once_and_recovers_after_the_short_is_removed() -> None:
    clock = SimClock()
    bank = PowerBank(clock)
    bank.set_load_resistance_ohm(0.05)
    assert bank.trip_reason is ProtectionTrip.SHORT_CIRCUIT
    assert bank.output_operating_point() == (0.0, 0.0)
    clock.advance(30.0)  # hiccup: retries every 2 s, trips again while shorted
    assert bank.trip_reason is ProtectionTrip.SHORT_CIRCUIT
    assert bank.trip_count > 5
    assert bank.temperature_c < 27.0
    bank.remove_load()
    clock.advance(bank.spec.retry_s)
    assert not bank.protection_tripped
    assert bank.output_voltage_v() == pytest.approx(bank.spec.output_setpoint_v, abs=0.01)
    bank.set_load_current_a(1.0)
    clock.advance(10.0)
    assert not bank.protection_tripped


def test_no_short_protection_never_trips_and_heats() -> None:
    clock = SimClock()
    bank = PowerBank(clock, faults=PowerBankFault.NO_SHORT_PROTECTION)
    bank.set_load_resistance_ohm(0.05)
    clock.advance(3600.0)
    assert not bank.protection_tripped
    assert bank.trip_count == 0
    voltage_v, current_a = bank.output_operating_point()
    assert current_a == pytest.approx(bank.spec.current_limit_a)
    assert voltage_v < 0.5
    assert bank.temperature_c > 40.0


def test_over_current_trips_after_its_delay_and_retries() -> None:
    clock = SimClock()
    bank = PowerBank(clock)
    bank.set_load_current_a(3.0)
    assert not bank.protection_tripped
    clock.advance(0.5)
    assert bank.output_operating_point() == pytest.approx((4.98, 3.0), abs=0.02)
    clock.advance(0.6)
    assert bank.trip_reason is ProtectionTrip.OVER_CURRENT
    clock.advance(2.0)  # retry: on again for the delay, then off
    assert not bank.protection_tripped
    clock.advance(1.0)
    assert bank.trip_reason is ProtectionTrip.OVER_CURRENT
    bank.set_load_current_a(1.0)
    clock.advance(2.5)
    assert not bank.protection_tripped
    assert bank.output_current_a() == pytest.approx(1.0)


def test_function_and_resistive_loads_meet_the_output_curve() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.8)
    bank.set_load_resistance_ohm(2.5)
    voltage_v, current_a = bank.output_operating_point()
    assert current_a == pytest.approx(voltage_v / 2.5)
    bank.set_load(lambda v: v / 2.5)
    assert bank.output_operating_point() == pytest.approx((voltage_v, current_a), abs=1e-6)


def test_ripple_good_below_200_mv_high_ripple_above() -> None:
    clock = SimClock()
    good = PowerBank(clock, initial_state_of_charge=0.5)
    bad = PowerBank(clock, faults=PowerBankFault.HIGH_RIPPLE, initial_state_of_charge=0.5)
    for bank in (good, bad):
        bank.set_load_current_a(RATED_A)
    clock.advance(1.0)
    assert good.ripple_pp_v() < 0.2
    assert bad.ripple_pp_v() > 0.2
    # the waveform sampled densely over one switching period has that p-p and zero mean
    period_s = 1.0 / good.spec.switching_frequency_hz
    for bank in (good, bad):
        t0_s = clock.monotonic()
        samples_v = [bank.output_ripple_v(t0_s + k * period_s / 2000) for k in range(2000)]
        assert max(samples_v) - min(samples_v) == pytest.approx(bank.ripple_pp_v(), rel=0.01)
        assert sum(samples_v) / len(samples_v) == pytest.approx(0.0, abs=1e-3 * bank.ripple_pp_v())
    good.remove_load()
    assert good.ripple_pp_v() == 0.0
    assert good.output_ripple_v(clock.monotonic()) == 0.0


def test_overheating_passes_60_c_at_rated_load_while_good_stays_cool() -> None:
    clock = SimClock()
    good_log = discharge(PowerBank(clock), clock)
    hot_bank = PowerBank(clock, faults=PowerBankFault.OVERHEATING)
    hot_log = discharge(hot_bank, clock)
    assert max(good_log.temperatures_c) < 50.0
    assert max(hot_log.temperatures_c) > 60.0
    assert hot_bank.trip_reason is ProtectionTrip.OVER_TEMPERATURE
    hot_bank.remove_load()
    clock.advance(1800.0)  # cools below the release threshold and comes back
    assert hot_bank.temperature_c < hot_bank.spec.over_temperature_release_c
    assert not hot_bank.protection_tripped


def test_weak_cell_delivers_much_less_capacity() -> None:
    clock = SimClock()
    good = PowerBank(clock)
    weak = PowerBank(clock, faults=PowerBankFault.WEAK_CELL)
    discharge(good, clock)
    discharge(weak, clock)
    assert weak.output_charge_ah < 0.6 * good.output_charge_ah
    assert weak.output_charge_ah < 0.6 * weak.spec.rated_capacity_mah / 1000.0
    assert weak.trip_reason is ProtectionTrip.OVER_DISCHARGE


def test_faults_leave_the_nameplate_alone() -> None:
    bank = PowerBank(SimClock(), faults=[PowerBankFault.WEAK_CELL, PowerBankFault.HIGH_RIPPLE])
    assert bank.spec == PowerBankSpec()
    assert bank.actual.cell_capacity_mah == pytest.approx(0.45 * bank.spec.cell_capacity_mah)
    assert bank.faults == {PowerBankFault.WEAK_CELL, PowerBankFault.HIGH_RIPPLE}


def test_one_long_advance_matches_one_second_polling() -> None:
    clock_a, clock_b = SimClock(), SimClock()
    bank_a, bank_b = PowerBank(clock_a), PowerBank(clock_b)
    for bank in (bank_a, bank_b):
        bank.set_load_current_a(1.5)
    clock_a.advance(3600.0)
    for _ in range(3600):
        clock_b.advance(1.0)
        bank_b.output_voltage_v()
    assert bank_a.state_of_charge == pytest.approx(bank_b.state_of_charge, abs=1e-9)
    assert bank_a.output_energy_wh == pytest.approx(bank_b.output_energy_wh, rel=1e-9)
    assert bank_a.temperature_c == pytest.approx(bank_b.temperature_c, abs=1e-9)


def test_two_hours_of_charge_and_discharge_run_in_seconds() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.4)
    started = time.perf_counter()
    bank.apply_charger(5.0)
    for _ in range(3600):  # one hour of charging, polled at 1 Hz
        clock.advance(1.0)
        bank.input_operating_point()
        bank.cell_voltage_v  # noqa: B018 - a read, as an instrument does
    bank.apply_charger(None)
    bank.set_load_current_a(RATED_A)
    for _ in range(3600):  # one hour of discharging at rated current
        clock.advance(1.0)
        bank.output_operating_point()
        bank.output_ripple_v(clock.monotonic())
    elapsed_s = time.perf_counter() - started
    assert clock.monotonic() == pytest.approx(7200.0)
    assert not bank.protection_tripped
    assert elapsed_s < 30.0, f"2 h simulated took {elapsed_s:.1f} s of wall time"


def test_invalid_settings_are_refused() -> None:
    bank = PowerBank(SimClock())
    with pytest.raises(ValueError):
        bank.set_load_current_a(-1.0)
    with pytest.raises(ValueError):
        bank.set_load_resistance_ohm(0.0)
    with pytest.raises(ValueError):
        PowerBank(SimClock(), step_s=0.0)


def test_polled_instruments_drive_the_bank_without_recursion() -> None:
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.5)
    drawn_a = [1.0]
    voltages_seen_v: list[float] = []

    def instrument_current_a() -> float:
        voltages_seen_v.append(bank.output_voltage_v(drawn_a[0]))  # calls back: pure
        return drawn_a[0]

    bank.set_load_current_source(instrument_current_a)
    clock.advance(3600.0)
    assert bank.output_charge_ah == pytest.approx(1.0, rel=1e-6)
    assert all(USB_LOW_V <= v <= USB_HIGH_V for v in voltages_seen_v)
    supply_v: list[float | None] = [5.0]
    bank.set_load_current_source(None)
    bank.set_supply_voltage_source(lambda: supply_v[0])
    clock.advance(60.0)
    phases = [bank.charge_phase]
    supply_v[0] = None
    clock.advance(1.0)
    phases.append(bank.charge_phase)
    assert phases == [ChargePhase.CONSTANT_CURRENT, ChargePhase.NO_INPUT]


def test_wiring_to_the_instrument_models() -> None:
    models = pytest.importorskip("benchscore.sim.instruments.models")
    clock = SimClock()
    bank = PowerBank(clock, initial_state_of_charge=0.5)
    load = models.ElectronicLoadModel(
        bank.output_voltage_v,
        max_current_a=30.0,
        max_voltage_v=150.0,
        max_power_w=200.0,
        clock=clock,
    )
    bank.set_load_current_source(lambda: float(load.operating_point().current_a))
    load.mode, load.current_set_a, load.input_on = "CC", RATED_A, True
    for _ in range(180):
        clock.advance(10.0)
        point = load.update()
        assert USB_LOW_V <= point.voltage_v <= USB_HIGH_V
    assert load.charge_ah == pytest.approx(bank.output_charge_ah, rel=1e-3)
    assert load.energy_wh == pytest.approx(bank.output_energy_wh, rel=2e-3)
    load.input_on = False
    supply = models.SupplyModel(
        bank.input_current_a, max_voltage_v=30.0, max_current_a=5.0, clock=clock
    )
    bank.set_supply_voltage_source(lambda: float(supply.operating_point().voltage_v))
    supply.voltage_set_v, supply.current_set_a, supply.output_on = 5.0, 3.0, True
    for _ in range(180):
        clock.advance(10.0)
        supply.update()
    assert bank.charge_phase is ChargePhase.CONSTANT_CURRENT
    assert supply.charge_ah == pytest.approx(bank.input_charge_ah, rel=1e-2)
