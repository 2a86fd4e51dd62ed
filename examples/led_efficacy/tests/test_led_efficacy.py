"""The example plugin's own tests: its re-analysis, and a run on a simulated LED station
(needs the plugin installed: ``pip install examples/led_efficacy``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchscore_led_efficacy.plugin import PLUGIN, efficacy_lx_per_w, reanalyse

from benchscore.clock import SimClock
from benchscore.plugins import AppealInput, registry

TASK = Path(__file__).resolve().parents[1] / "tasks" / "led_efficacy.toml"


def test_reanalysis_gives_each_measurement_or_why_not() -> None:
    curves = {"efficacy": {"t_s": [0, 1], "power_w": [4.0, 6.0], "illuminance_lx": [4e3, 6e3]}}
    stored = {n: {"value": 0.0} for n in ("efficacy_lx_per_w", "input_power_w", "other")}
    got = reanalyse(AppealInput(curves, PLUGIN.parameters, {}, stored))
    assert got.values == {"efficacy_lx_per_w": 1000.0, "input_power_w": 5.0}
    assert got.unavailable == {"other": "not a led_efficacy measurement"}
    dark = {"efficacy": {"t_s": [0], "power_w": [0.0], "illuminance_lx": [0.0]}}
    got = reanalyse(AppealInput(dark, PLUGIN.parameters, {}, stored))
    assert got.unavailable["efficacy_lx_per_w"] == "ValueError: the assembly drew no power"
    assert reanalyse(AppealInput({}, {}, {}, stored)).unavailable["input_power_w"] == (
        "curve 'efficacy' not stored"
    )
    with pytest.raises(ValueError, match="no power"):
        efficacy_lx_per_w([0.0], [1.0])


def test_runs_on_a_simulated_led_station(tmp_path: Path) -> None:
    if "led_efficacy" not in registry.installed():
        pytest.skip("the plugin is not installed (pip install examples/led_efficacy)")
    from firmware_py.config import load_station_config
    from firmware_py.hardware import StationHardware
    from firmware_py.procedures import PROCEDURES

    config = tmp_path / "st.toml"
    config.write_text(
        f'[station]\nid = "st"\nevent = "test"\ntask = "{TASK}"\n'
        f'state_dir = "{tmp_path / "var"}"\n'
        '[hardware]\nbackend = "sim"\n[simulation]\nassembly = "led_assembly"\nclock = "sim"\n'
    )
    hw = StationHardware(load_station_config(config), SimClock())
    curves: list[dict[str, list[float]]] = []
    try:
        task = hw.config.task
        procedure = PROCEDURES[task.procedure](
            hw.open_bench(),
            task,
            hw.clock,
            lambda p, v: None,
            curve=lambda name, columns: curves.append(columns),
        )
        result = procedure.run()
        assert not hw.power_relay.value  # the teardown powered the jig off
    finally:
        hw.close()
    assert result.outcome.value == "pass", result.reason
    values = {m.name: m.value for m in result.measurements}
    assert values["input_power_w"] == pytest.approx(3.58, rel=0.05)  # 12 V x 0.3 A: 3 x 3 LEDs
    assert len(curves) == 1 and len(curves[0]["power_w"]) == 5
    lux, watts = curves[0]["illuminance_lx"], curves[0]["power_w"]
    assert values["efficacy_lx_per_w"] == pytest.approx(sum(lux) / sum(watts), rel=1e-6)
    assert 500 < values["efficacy_lx_per_w"] < 1500
