"""Measurement uncertainty: the decision edges with and without a guard band (ISO 14253-1),
the record field and its validation, the scorer storing it, the marks flagging a verdict
decided inside it, and the budget combining datasheet accuracy with a calibration."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchscore import protocol
from benchscore.measurement import Limits, Measurement, Outcome, inside_uncertainty
from benchscore.protocol import PayloadError
from firmware_py.procedures.light_uncertainty import led_assembly_u
from firmware_py.uncertainty import Budget, chip_accuracy, led_budget
from scorer.marking import Aspect, Band, mark_measurement
from scorer.store import Store
from tests.test_scorer_store import record

# binary-exact numbers, so "exactly at limit - U" is exact in floating point
HIGH = Limits(high=5.0)
LOW = Limits(low=4.0)
U = 0.25


@pytest.mark.parametrize(
    "limits,value,simple,guarded",
    [
        # the high limit: limit - U, limit, limit + U
        (HIGH, 5.0 - U, Outcome.PASS, Outcome.PASS),
        (HIGH, 5.0, Outcome.PASS, Outcome.FAIL),
        (HIGH, 5.0 + U, Outcome.FAIL, Outcome.FAIL),
        (HIGH, 5.0 - 2 * U, Outcome.PASS, Outcome.PASS),
        (HIGH, 5.0 - U + 1e-9, Outcome.PASS, Outcome.FAIL),
        # the low limit: limit + U, limit, limit - U
        (LOW, 4.0 + U, Outcome.PASS, Outcome.PASS),
        (LOW, 4.0, Outcome.PASS, Outcome.FAIL),
        (LOW, 4.0 - U, Outcome.FAIL, Outcome.FAIL),
        (LOW, 4.0 + U - 1e-9, Outcome.PASS, Outcome.FAIL),
    ],
)
def test_decision_edges_simple_and_guard_band(
    limits: Limits, value: float, simple: Outcome, guarded: Outcome
) -> None:
    assert limits.judge(value, U, "simple") is simple
    assert limits.judge(value, U, "guard_band") is guarded
    assert limits.judge(value) is simple  # no uncertainty: the simple rule
    assert limits.judge(value, None, "guard_band") is simple  # no U stated: nothing to shrink


@pytest.mark.parametrize(
    "value,inside",
    [
        (5.0 - U, True),  # the edge of the interval touches the limit
        (5.0, True),
        (5.0 + U, True),
        (5.0 - U - 1e-6, False),
        (5.0 + U + 1e-6, False),
    ],
)
def test_inside_uncertainty_edges(value: float, inside: bool) -> None:
    assert inside_uncertainty(value, U, HIGH.edges()) is inside
    m = Measurement.judged("output_voltage_max_v", value, "V", HIGH, u=U)
    assert m.inside_u is inside
    assert not Measurement.judged("v", value, "V", HIGH).inside_u  # no u: never flagged


def test_guard_band_fail_says_why_and_the_record_carries_u() -> None:
    m = Measurement.judged("output_voltage_max_v", 4.9, "V", HIGH, u=U, rule="guard_band")
    assert m.outcome is Outcome.FAIL
    assert "guard band" in m.reason and "± 0.25" in m.reason
    assert m.to_dict()["u"] == U
    assert "u" not in Measurement.judged("x", 1.0, "V", HIGH).to_dict()  # optional


TOPIC = "benchscore/v1/ev1/st01/record"


def test_protocol_accepts_u_and_refuses_a_bad_one() -> None:
    ok = record(measurements=[Measurement.judged("v", 5.0, "V", HIGH, u=U).to_dict()])
    assert protocol.parse(TOPIC, protocol.encode(ok))[1]["measurements"][0]["u"] == U
    for bad in (-0.1, "0.1", True):
        meas = {**Measurement.judged("v", 5.0, "V", HIGH).to_dict(), "u": bad}
        with pytest.raises(PayloadError, match=r"measurements\[0\]\.u"):
            protocol.parse(TOPIC, protocol.encode(record(measurements=[meas])))


def test_store_keeps_u(tmp_path: Path) -> None:
    store = Store(tmp_path / "scorer.db")
    try:
        with_u = Measurement.judged("v", 4.9, "V", HIGH, u=U).to_dict()
        without = Measurement.judged("i", 2.0, "A", Limits(low=1.9)).to_dict()
        store.add_run(record(measurements=[with_u, without]))
        got = {m["name"]: m for m in store.list_runs()[0]["measurements"]}
        assert got["v"]["u"] == U and "u" not in got["i"]
    finally:
        store.close()


def _aspect() -> Aspect:
    return Aspect(
        "A1.1",
        "A",
        "A1",
        "M",
        "output voltage",
        2.0,
        "pb",
        1,
        measurement="output_voltage_max_v",
        unit="V",
        full=Band(None, 5.0, 2.0),
        partial=(Band(None, 5.5, 1.0),),
    )


@pytest.mark.parametrize(
    "value,mark,inside",
    [
        (5.0 - U, 2.0, True),  # at the full band's edge minus U
        (5.0, 2.0, True),
        (5.0 + U, 1.0, True),  # and U below the partial band's edge too
        (4.5, 2.0, False),
        (6.0, 0.0, False),
        (5.5 + U, 0.0, True),
        (5.5 + U + 1e-6, 0.0, False),
    ],
)
def test_marks_flag_a_mark_decided_inside_the_uncertainty(
    value: float, mark: float, inside: bool
) -> None:
    got = mark_measurement(_aspect(), value, u=U)
    assert got.mark == mark and got.inside_u is inside
    assert ("inside the uncertainty" in got.detail) is inside
    assert not mark_measurement(_aspect(), value).inside_u


def test_budget_combines_datasheet_and_calibration() -> None:
    ina226 = chip_accuracy("ina226", "current_a", shunt_ohm=0.01)
    assert ina226.pct == 0.1 and ina226.offset == pytest.approx(0.001)  # 10 uV / 10 mOhm
    cal = SimpleNamespace(uncertainty=0.01)  # 1 % (k = 2) from a calibration
    budget = Budget(SimpleNamespace(lookup=lambda s, q: cal if s == "mon" else None))
    budget.add("mon", "current_a", ina226)
    budget.add("raw", "current_a", ina226)
    u_inst = (0.002 + 0.001) / math.sqrt(3)  # at 2 A: 0.1 % + 1 mA, rectangular
    assert budget.expanded("raw", "current_a", 2.0) == pytest.approx(2 * u_inst)
    assert budget.expanded("mon", "current_a", 2.0) == pytest.approx(
        2 * math.hypot(u_inst, 0.005 * 2.0)
    )
    adc = chip_accuracy("ads1015", "volts", full_scale_v=4.096, scale=0.5)
    assert adc.offset == pytest.approx(3 * 0.002 * 0.5)  # 3 LSB of 2 mV, probe gain 1/2


def _led_budget(cal_u: float = 0.0) -> Budget:
    """An LED bench's budget: INA226 on a 20 mOhm shunt, BH1750; ``cal_u`` a calibration's
    relative U (k = 2) on the light sensor."""
    hw = SimpleNamespace(
        power_monitor=SimpleNamespace(chip="ina226", shunt_ohm=0.02),
        light_sensor=SimpleNamespace(chip="bh1750"),
        colour_sensor=SimpleNamespace(chip="as7341"),
        photodiode=SimpleNamespace(chip="ads1115", full_scale_v=4.096, scale=1000.0),
    )
    cal = SimpleNamespace(uncertainty=cal_u)
    return led_budget(hw, SimpleNamespace(lookup=lambda s, q: cal if cal_u else None))


def test_led_values_follow_the_datasheet_formula() -> None:
    b = _led_budget()
    # INA226 at 0.4 A: 0.1 % + 10 uV / 20 mOhm = 0.5 mA, rectangular, k = 2
    u_i = (0.0004 + 0.0005) / math.sqrt(3)
    assert led_assembly_u(b, "current_a", 0.4, {}) == pytest.approx(2 * u_i)
    assert led_assembly_u(b, "warm_current_a", 0.4, {}) == pytest.approx(2 * u_i)
    # BH1750 at 1000 lx: 20 % + 1 lx
    assert led_assembly_u(b, "illuminance_lx", 1000.0, {}) == pytest.approx(
        2 * 201.0 / math.sqrt(3)
    )
    # P = V I: V and I terms in quadrature (INA226 bus: 0.1 % + 7.5 mV at 12 V)
    u_v = (0.012 + 0.0075) / math.sqrt(3)
    raw = {"voltage_v": [12.0, 12.0], "current_a": [0.4, 0.4]}
    assert led_assembly_u(b, "power_w", 4.8, raw) == pytest.approx(
        2 * math.hypot(0.4 * u_v, 12.0 * u_i)
    )
    assert led_assembly_u(b, "cct_k", 4000.0, {}) == pytest.approx(2 * 120.0 / math.sqrt(3))
    for code in ("flicker_ieee1789_region", "diffuser_fitted", "ansi_c78377_ratio"):
        assert led_assembly_u(b, code, 1.0, {}) is None


def test_dimming_error_keeps_offsets_and_drops_gains() -> None:
    raw = {"dimming_level": [1.0, 0.5], "dimming_lx": [1000.0, 520.0]}
    plain = led_assembly_u(_led_budget(), "dimming_error_pct", 4.0, raw)
    # error = (E1/E0 / 0.5 - 1) * 100: first order in each reading's offset + step term
    u0 = math.hypot(1.0 / math.sqrt(3), 1.0 / math.sqrt(12))
    d_e0, d_e1 = -520.0 / 1000.0**2 / 0.5 * 100, 1 / 1000.0 / 0.5 * 100
    assert plain == pytest.approx(2 * u0 * math.hypot(d_e0, d_e1), rel=1e-6)
    # a calibration's gain (and the 20 % sensitivity spread) cancel in E(d)/E(100 %)
    assert led_assembly_u(_led_budget(0.05), "dimming_error_pct", 4.0, raw) == plain


@pytest.mark.parametrize("rule", ["simple", "guard_band"])
def test_led_current_at_its_limit_with_the_guard_band(rule: str) -> None:
    """A current exactly at the high limit passes the simple rule and fails inside the guard
    band (flagged as decided inside U); 2 U below the limit passes both."""
    limits = Limits(high=0.4)
    u = led_assembly_u(_led_budget(), "current_a", 0.4, {})
    assert u is not None and u > 0
    at_limit = Measurement.judged("current_a", 0.4, "A", limits, u=u, rule=rule)
    assert at_limit.outcome is (Outcome.PASS if rule == "simple" else Outcome.FAIL)
    assert at_limit.inside_u
    below = 0.4 - 2 * u  # U is a little smaller there: clear of the shrunk band
    u_below = led_assembly_u(_led_budget(), "current_a", below, {})
    judged = Measurement.judged("current_a", below, "A", limits, u=u_below, rule=rule)
    assert judged.outcome is Outcome.PASS and not judged.inside_u
