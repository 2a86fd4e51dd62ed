"""Li-ion cell model: OCV table, resistance, coulomb counting, polarisation, heat."""

from __future__ import annotations

import pytest

from benchscore.sim.assemblies.battery import NMC_OCV_TABLE, Cell, ThermalNode, interpolate


def test_ocv_table_spans_3v0_to_4v2_and_rises() -> None:
    cell = Cell()
    assert cell.ocv_v(0.0) == pytest.approx(3.0)
    assert cell.ocv_v(1.0) == pytest.approx(4.2)
    voltages_v = [v for _soc, v in NMC_OCV_TABLE]
    assert all(b > a for a, b in zip(voltages_v, voltages_v[1:], strict=False))
    assert 3.7 < cell.ocv_v(0.5) < 3.85  # the nominal-voltage plateau of NMC/LCO


def test_soc_from_ocv_inverts_the_table() -> None:
    cell = Cell()
    for soc in (0.0, 0.05, 0.33, 0.5, 0.87, 1.0):
        assert cell.soc_from_ocv(cell.ocv_v(soc)) == pytest.approx(soc, abs=1e-9)


def test_interpolate_clamps_at_the_ends() -> None:
    assert interpolate(-1.0, (0.0, 1.0), (10.0, 20.0)) == 10.0
    assert interpolate(2.0, (0.0, 1.0), (10.0, 20.0)) == 20.0
    assert interpolate(0.25, (0.0, 1.0), (10.0, 20.0)) == pytest.approx(12.5)


def test_coulomb_counting_one_amp_for_an_hour() -> None:
    cell = Cell(capacity_ah=2.5, state_of_charge=1.0)
    cell.advance(3600.0, 1.0)
    assert cell.state_of_charge == pytest.approx(0.6)
    assert cell.discharged_ah == pytest.approx(1.0)
    cell.advance(1800.0, -1.0)
    assert cell.state_of_charge == pytest.approx(0.8)
    assert cell.charged_ah == pytest.approx(0.5)


def test_soc_clamps_and_counters_count_only_what_flowed() -> None:
    cell = Cell(capacity_ah=1.0, state_of_charge=0.1)
    cell.advance(3600.0, 1.0)
    assert cell.state_of_charge == 0.0
    assert cell.discharged_ah == pytest.approx(0.1)
    cell.advance(7200.0, -1.0)
    assert cell.state_of_charge == 1.0
    assert cell.charged_ah == pytest.approx(1.0)


def test_load_step_shows_ohmic_drop_then_rc_sag_then_relaxation() -> None:
    cell = Cell(state_of_charge=0.5)
    rest_v = cell.terminal_voltage_v(0.0)
    step_v = cell.terminal_voltage_v(2.0)
    assert rest_v - step_v == pytest.approx(2.0 * cell.series_resistance_ohm())
    cell.advance(5 * cell.tau_s, 2.0)
    sagged_v = cell.terminal_voltage_v(2.0)
    ocv_v = cell.ocv_v()
    expected_v = ocv_v - 2.0 * (cell.series_resistance_ohm() + cell.polarisation_resistance_ohm())
    assert sagged_v == pytest.approx(expected_v, abs=0.002)
    cell.advance(10 * cell.tau_s, 0.0)
    assert cell.terminal_voltage_v(0.0) == pytest.approx(cell.ocv_v(), abs=1e-4)


def test_resistance_rises_in_the_cold_and_when_empty() -> None:
    warm = Cell(state_of_charge=0.5)
    cold = Cell(state_of_charge=0.5, thermal=ThermalNode(temperature_c=0.0))
    empty = Cell(state_of_charge=0.0)
    assert warm.series_resistance_ohm() == pytest.approx(warm.r0_ohm)
    assert 1.8 < cold.series_resistance_ohm() / warm.series_resistance_ohm() < 3.0
    assert empty.series_resistance_ohm() == pytest.approx(3.0 * warm.r0_ohm)


def test_constant_voltage_current_holds_the_terminal_voltage_over_the_step() -> None:
    cell = Cell(state_of_charge=0.9)
    for dt_s in (0.0, 1.0, 30.0):
        probe = Cell(capacity_ah=1000.0, state_of_charge=0.9, polarisation_v=-0.02)
        current_a = probe.current_for_terminal_voltage_a(4.2, dt_s)
        assert current_a < 0
        probe.advance(dt_s, current_a)
        # a big cell keeps SOC still; what is left is R0 drifting as the cell warms
        assert probe.terminal_voltage_v(current_a) == pytest.approx(4.2, abs=1e-3)
    assert cell.current_for_terminal_voltage_a(cell.ocv_v()) == pytest.approx(0.0)


def test_current_for_power_and_maximum_power_point() -> None:
    cell = Cell(state_of_charge=0.5)
    current_a = cell.current_for_power_a(7.0)
    assert current_a is not None
    assert current_a * cell.terminal_voltage_v(current_a) == pytest.approx(7.0)
    assert cell.current_for_power_a(1000.0) is None


def test_self_heating_approaches_ambient_plus_power_times_resistance() -> None:
    cell = Cell(state_of_charge=1.0, capacity_ah=100.0)
    cell.advance(10 * cell.thermal.time_constant_s, 3.0)
    heat_w = cell.heat_w(3.0)
    assert cell.temperature_c == pytest.approx(
        cell.thermal.ambient_c + heat_w * cell.thermal.thermal_resistance_k_per_w, rel=0.02
    )
    cell.advance(10 * cell.thermal.time_constant_s, 0.0)
    assert cell.temperature_c == pytest.approx(cell.thermal.ambient_c, abs=0.01)


def test_extra_heat_from_outside_the_cell() -> None:
    node = ThermalNode(heat_capacity_j_per_k=100.0, thermal_resistance_k_per_w=10.0)
    node.advance(node.time_constant_s, 2.0)
    assert node.temperature_c == pytest.approx(25.0 + 20.0 * (1 - 0.36787944), rel=1e-6)
    cell = Cell()
    cell.advance(100.0, 0.0, extra_heat_w=5.0)
    assert cell.temperature_c > 25.0


def test_invalid_cells_are_refused() -> None:
    with pytest.raises(ValueError):
        Cell(capacity_ah=0.0)
    with pytest.raises(ValueError):
        Cell(state_of_charge=1.5)
    with pytest.raises(ValueError):
        Cell().advance(-1.0, 0.0)
