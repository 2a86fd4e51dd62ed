"""Appeals re-analyse every measurement: one simulated run of each built-in procedure (task
files that judge everything the procedure can measure), its curves and result stored as the
scorer stores them, then :func:`scorer.appeals.recompute` with the plugin's re-analysis must
give every stored value back: within its expanded uncertainty ``u`` when the record carries
one, else within the appeal's numeric tolerance. Every measurement the plugin declares is
covered by one of the runs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from benchscore.plugins import registry
from benchscore.protocol import SCHEMA_VERSION
from scorer.appeals import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, recompute
from scorer.store import Store
from tests.support.benches import TASKS, run, station, write_config

WIDE = "low = -1e9\nhigh = 1e9\n"
TWO_ZONE_CHIPS = """
[[hardware.zones]]
name = "left"
position_m = [0.9, 0.9]
channel = 0
[[hardware.zones]]
name = "right"
chip = "as7341"
address = 0x39
position_m = [1.5, 0.9]
channel = 1
"""


@dataclass(frozen=True)
class Case:
    procedure: str
    task: str
    extra_limits: tuple[str, ...] = ()
    """Limits the task file leaves out but the procedure can judge (added, wide)."""
    replace: tuple[tuple[str, str], ...] = ()
    fault: str = "none"
    hardware: str = ""
    simulation: str = ""


CASES = {
    "led_assembly": Case(
        "led_assembly",
        "led_tunable_white",
        ("x", "y", "flicker_index", "warm_duv", "warm_x", "warm_y", "cool_duv", "cool_x"),
        fault="strong_flicker",  # a real waveform to analyse (and a failed verdict)
        # the diffuser question: nobody answers, the default after 0.2 s (not the task's 8 s)
        replace=(("ask_diffuser_timeout_s = 8", "ask_diffuser_timeout_s = 0.2"),),
        simulation='led_module = "tunable_white"',
    ),
    "lighting_environment": Case(
        "lighting_environment",
        "lighting_environment",
        ("work_min_lx", "meeting_min_lx", "work_duv", "meeting_cct_k"),
        hardware=TWO_ZONE_CHIPS,  # a CCT-only sensor and one with chromaticity
        # the zone with chromaticity is also judged in its ANSI C78.377 quadrangle
        replace=(("[parameters]\n", "[parameters]\nansi_nominal_cct = 4000\n"),),
    ),
    "power_bank": Case("power_bank", "power_bank", ("charge_cv_share",)),
    "power_bank_window": Case("power_bank", "power_bank_short"),
    "power_bank_cycle_life": Case(
        "power_bank",
        "power_bank_cycle_life_demo",
        (),
        # the demo's small bank: 10 cycles of a 400 mAh cell in a few seconds
        simulation="cell_capacity_mah = 400\ncapacity_fade_per_cycle = 0.004\n"
        "physics_step_s = 3\ninitial_soc = 0.0",
    ),
    "led_screen": Case(
        "led_screen",
        "led_screen",
        ("stuck_pixels", "dead_pixels", "dim_modules", "white_luminance_cd_m2"),
        fault="mixed",
    ),
}
JUDGED: dict[str, set[str]] = {}
U_NOT_STATED: dict[str, tuple[str, ...]] = {
    # codes, the operator's answer, a position in a quadrangle (light_uncertainty's doc)
    "led_assembly": ("diffuser_fitted", "flicker_ieee1789_region", "*ansi_c78377_ratio"),
    "lighting_environment": ("*ansi_c78377_ratio",),
    # a count of cycles (exact) and a share of sample intervals (PowerBankProcedure.uncertainty)
    "power_bank": ("charge_cv_share", "cycles_completed"),
    # classifications of LEDs and a ratio of one camera's readings (led_screen's module doc)
    "led_screen": ("*pixel*", "*modules", "dead_cards", "lines_out", "luminance_uniformity_pct"),
}
"""Measurements that may carry a number without ``u``; everything else must state one."""


def _u_not_stated(procedure: str, name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in U_NOT_STATED[procedure])


def _task(tasks: Path, case: Case) -> Path:
    text = (TASKS / f"{case.task}.toml").read_text(encoding="utf-8")
    for old, new in case.replace:
        assert old in text
        text = text.replace(old, new)
    text += "".join(f"\n[limits.{key}]\n{WIDE}" for key in case.extra_limits)
    path = tasks / f"{case.task}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _store_run(store: Store, procedure: str, task_id: str, r: Any) -> str:
    """Store the run's curve chunks and result record as a station sends them."""
    base = {"schema": SCHEMA_VERSION, "type": "record", "event": "test", "station": "st"}
    base |= {"boot_id": "b1", "run_id": "b1-1"}
    seq = 0
    for name, chunks in r.curves.items():
        for k, cols in enumerate(chunks):
            seq += 1
            data = [list(map(float, c)) for c in cols.values()]
            store.add_curve(
                base
                | {"seq": seq, "kind": "curve", "curve": name, "chunk": k}
                | {"columns": list(cols), "data": data}
            )
    now = time.time()
    measurements = [m.to_dict() for m in r.result.measurements]
    store.add_run(
        base
        | {"seq": seq + 1, "kind": "result", "task": task_id, "procedure": procedure}
        | {"marked": True, "started_at": now, "ended_at": now, "outcome": r.result.outcome.value}
        | {"reason": r.result.reason, "measurements": measurements}
    )
    return "b1-1"


def _reproduced(stored: float | None, row: dict[str, Any]) -> bool:
    if stored is None:  # not measured: nothing to reproduce, and the appeal finds nothing
        return bool(row["status"] == "no_value")
    if row["recomputed"] is None:
        return False
    u = row["u"]
    tolerance = max(RELATIVE_TOLERANCE * abs(stored), ABSOLUTE_TOLERANCE)
    return abs(row["recomputed"] - stored) <= (u if isinstance(u, int | float) else tolerance)


@pytest.mark.parametrize("key", list(CASES))
def test_every_measurement_is_reproduced_by_the_appeal(key: str, tmp_path: Path) -> None:
    case = CASES[key]
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    task_file = _task(tasks, case)
    path = write_config(
        tmp_path,
        "st",
        task=str(task_file.with_suffix("")),  # absolute: replaces write_config's tasks dir
        assembly=case.procedure,
        fault=case.fault,
        hardware=case.hardware,
        simulation=case.simulation,
    )
    with station(path) as hw:
        r = run(hw)
        task = hw.config.task
    assert not r.result.fault_reason, r.result.fault_reason
    no_u = [
        m.name
        for m in r.result.measurements
        if m.value is not None and m.u is None and not _u_not_stated(case.procedure, m.name)
    ]
    assert not no_u, f"measured without an expanded uncertainty: {no_u}"
    stored = {m.name: m.value for m in r.result.measurements}
    # most values were measured (a bench that found nothing would make this test vacuous)
    assert sum(v is not None for v in stored.values()) >= 0.8 * len(stored), stored
    store = Store(str(tmp_path / "scorer.db"))
    report = recompute(store, "st", _store_run(store, case.procedure, task.id, r), tasks)
    rows = {row["name"]: row for row in report["measurements"]}
    assert set(rows) == set(stored)
    bad = [
        (name, row["status"], row["stored"], row["recomputed"], row["detail"])
        for name, row in rows.items()
        if not _reproduced(stored[name], row)
    ]
    assert not bad, bad
    assert report["not_reanalysed"] == [] and not report["differs"]
    JUDGED.setdefault(case.procedure, set()).update(n for n, v in stored.items() if v is not None)


def test_the_runs_cover_every_declared_measurement() -> None:
    """Runs after the cases (same module): each plugin measurement was judged in one."""
    if len(JUDGED) < len({c.procedure for c in CASES.values()}):
        pytest.skip("needs every case of this module to have run first")
    for procedure, judged in JUDGED.items():
        missing = [
            spec.name
            for spec in registry.get(procedure).measurements
            if not any(spec.matches(name) for name in judged)
        ]
        assert not missing, (procedure, missing)
