"""Cycler schedules on the simulated power-bank bench: a 50-cycle life test reporting the
capacity fade the cell model sets, a safety limit aborting with a FAULT and everything off,
the CP/CR/pulse/goto steps, and one-line errors for bad schedule tables."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchscore.configfile import ConfigError
from benchscore.measurement import RunOutcome
from benchscore.schedule.cycles import cycle_report, cycle_values, integrate_rows
from firmware_py.config import load_task
from firmware_py.hardware import StationHardware
from tests.support.benches import TASKS, run, station, write_config
from tests.support.emulation import wall_s

LIFE_SIM = "\n".join(
    [
        "cell_capacity_mah = 400",
        "capacity_fade_per_cycle = 0.004",
        "physics_step_s = 3",
        "initial_soc = 0.0",
    ]
)


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[object]:
    opened: list[object] = []

    def make(task_text: str | None = None, task: str = "power_bank_cycle_life") -> StationHardware:
        name = f"life{len(opened)}"
        path = write_config(
            tmp_path, name, task=task, assembly="power_bank", noise=False, simulation=LIFE_SIM
        )
        if task_text is not None:
            task_file = tmp_path / f"{name}-task.toml"
            task_file.write_text(task_text)
            text = path.read_text()
            text = re.sub(r'task = ".*"', f'task = "{task_file}"', text, count=1)
            path.write_text(text)
        cm = station(path)
        hw = cm.__enter__()
        opened.append(cm)
        return hw

    yield make
    for cm in opened:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def life_task(**replace: str) -> str:
    text = (TASKS / "power_bank_cycle_life.toml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_fifty_cycles_report_the_fade_the_cell_model_sets(bench) -> None:
    hw = bench()
    assert hw.sim is not None
    model_ah: list[float] = []

    def on_live(phase: str, values: dict[str, float | None]) -> None:
        if phase == "cycle" and "cycle" in values:  # a cycle starts: the cell's capacity now
            model_ah.append(hw.sim.bank.cell.capacity_ah)

    started = time.perf_counter()
    r = run(hw, on_live=on_live)
    wall = time.perf_counter() - started
    assert wall < wall_s(60.0), f"{wall:.1f} s of wall time"
    assert r.result.outcome is RunOutcome.PASS, r.result.reason
    values = r.values()
    assert values["cycles_completed"] == 50
    cycles = r.curves["cycles"][0]
    assert cycles["cycle"] == [float(n) for n in range(1, 51)]
    # capacity per cycle follows the cell model's capacity (the ratio to cycle 1) within 1 %
    measured = np.array(cycles["capacity_mah"]) / cycles["capacity_mah"][0]
    model = np.array(model_ah[:50]) / model_ah[0]
    assert np.max(np.abs(measured / model - 1.0)) < 0.01
    # the fade per cycle the report gives is the model's, within 1 % of retention
    model_fade = -np.polyfit(np.arange(1, 51), 100.0 * model, 1)[0]
    assert values["capacity_fade_pct_per_cycle"] == pytest.approx(model_fade, abs=0.01)
    assert 0.3 < model_fade < 0.45  # 0.4 % per equivalent full cycle, a bit under one per cycle
    assert values["capacity_retention_pct"] == pytest.approx(100.0 * model[-1], abs=1.0)
    # raw rows of every step are kept, and an appeal recomputes every cycle value from them
    rows = {k: [v for c in r.curves["schedule"] for v in c[k]] for k in r.curves["schedule"][0]}
    assert len(rows["t_s"]) > 50 * 100
    again = cycle_values(rows, reference_voltage_v=5.0)
    for name, value in again.items():
        assert value == pytest.approx(values[name], rel=1e-5), name
    assert r.result.measurements and all(
        m.u is not None for m in r.result.measurements if m.name == "capacity_first_mah"
    )


def test_over_temperature_aborts_with_a_fault_and_everything_off(bench) -> None:
    hw = bench(life_task(**{"temp_max_c = 55.0": "temp_max_c = 27.0"}))
    assert hw.sim is not None
    r = run(hw)
    assert r.result.outcome is RunOutcome.FAULT
    assert "over-temperature" in r.result.reason and "27 °C limit" in r.result.reason
    # guaranteed teardown: the instruments' own state, and the last commands they received
    eload = hw.sim.instruments["eload"]
    supply = hw.sim.instruments["supply"]
    assert not eload.simulator.load.input_on and not supply.simulator.supply.output_on
    load_cmds = [q for q in eload.requests if b":SOUR:INP:STAT " in q]
    supply_cmds = [q for q in supply.requests if q.startswith(b"OUT")]
    assert load_cmds[-1].strip().endswith((b"OFF", b"0")), load_cmds[-3:]
    assert supply_cmds[-1].strip() == b"OUT0", supply_cmds[-3:]
    assert max(c for chunk in r.curves["schedule"] for c in chunk["temperature_c"]) > 27.0


def test_cp_cr_pulse_and_goto_steps_drive_the_load(bench) -> None:
    schedule = """
[task]
id = "steps"
procedure = "power_bank"
[schedule]
sample_s = 5
[[schedule.steps]]
id = "cp"
kind = "cp_discharge"
p_w = 5.0
end = [{ t_ge_s = 60 }]
[[schedule.steps]]
id = "cr"
kind = "cr_discharge"
r_ohm = 10.0
end = [{ t_ge_s = 60 }]
[[schedule.steps]]
id = "skip"
kind = "goto"
to = "pulse"
[[schedule.steps]]
id = "never"
kind = "cc_discharge"
i_a = 2.5
end = [{ t_ge_s = 60 }]
[[schedule.steps]]
id = "pulse"
kind = "pulse"
i_a = 1.5
i_low_a = 0.2
on_s = 10
off_s = 10
sample_s = 5
end = [{ t_ge_s = 80 }]
[[schedule.steps]]
id = "settle"
kind = "rest"
sample_s = 10
end = [{ dvdt_lt_v_per_s = 0.001, times = 2 }, { t_gt_s = 600, goto = "fault" }]
[limits.capacity_retention_pct]
low = 0
"""
    hw = bench(schedule)
    hw.sim.bank.cell.state_of_charge = 0.8  # type: ignore[union-attr]
    r = run(hw)
    assert r.result.fault_reason == ""
    rows = {k: [v for c in r.curves["schedule"] for v in c[k]] for k in r.curves["schedule"][0]}
    step = np.array(rows["step"])
    v, i = np.array(rows["voltage_v"]), np.array(rows["current_a"])
    cp = (step == 0) & (i > 0)
    assert np.allclose(v[cp][1:] * i[cp][1:], 5.0, rtol=0.02)  # P = V I held at 5 W
    cr = (step == 1) & (i > 0)
    assert np.allclose(v[cr][1:] / i[cr][1:], 10.0, rtol=0.03)  # R = V / I held at 10 ohm
    assert not np.any(step == 3)  # the goto skipped it
    pulse = i[step == 4]
    assert pulse.max() == pytest.approx(1.5, abs=0.05) and pulse.min() == pytest.approx(
        0.2, abs=0.05
    )
    assert np.any(step == 5)  # the rest ended by dV/dt, not by the fault goto


@pytest.mark.parametrize(
    "change,message",
    [
        ({'to = "charge"': 'to = "nowhere"'}, "'to' names no step: 'nowhere'"),
        ({"{ v_lt_v = 4.0 }": "{ volts_below = 4.0 }"}, "steps[2].end[0]: expected exactly one"),
        ({'goto = "fault"': 'goto = "elsewhere"'}, "goto 'elsewhere' is not a step id"),
        ({'kind = "cc_discharge"': 'kind = "cc_dischrge"'}, "did you mean"),
        ({"i_a = 1.0": "i_a = -1.0"}, "schedule.steps[2].i_a: must be above 0"),
        ({"repeat = 50": "repeat = 0"}, "repeat: must be >= 1"),
        (
            {'[[schedule.steps]]\nid = "rest_empty"': '[[schedule.steps]]\nid = "charge"'},
            "step id(s) ['charge'] used twice",
        ),
    ],
)
def test_bad_schedule_tables_give_one_line_naming_the_key(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    path = tmp_path / "task.toml"
    path.write_text(life_task(**change))
    with pytest.raises(ConfigError) as err:
        load_task(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert "task.toml" in str(err.value)


MACCOR = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "cyclers"
    / "BEEPDatapath_maccor_parameterized_memloaded.csv"
)


@pytest.mark.skipif(not MACCOR.exists(), reason="../shared/data/cyclers absent")
def test_cycle_sums_agree_with_a_real_cycler_recording() -> None:
    """The schedule's per-cycle integration over the rows of a real Maccor run: the CC
    discharges of cycles 86-88 as the cycler counted them (its ``_capacity``)."""
    with MACCOR.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    col = {k: [float(r[k]) for r in rows] for k in ("test_time", "cycle_index", "step_index")}
    side = [1.0 if r["_state"] == "C" else -1.0 if r["_state"] == "D" else 0.0 for r in rows]
    records = integrate_rows(
        col["test_time"],
        col["cycle_index"],
        col["step_index"],
        side,
        [float(r["voltage"]) for r in rows],
        [float(r["current"]) for r in rows],
    )
    by_cycle = {r.cycle: r for r in records}
    for cycle, cycler_ah in ((86, 1.93776), (87, 1.83945), (88, 1.74608)):
        assert by_cycle[cycle].discharge_ah == pytest.approx(cycler_ah, rel=1e-4)
    report = cycle_report(records, ref_cycle=86)
    assert report.retention[1] == pytest.approx(1.83945 / 1.93776, rel=1e-4)
