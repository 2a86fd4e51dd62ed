"""The plugin declaration the ``benchscore.procedures`` entry point names.

Imports only :mod:`benchscore.plugins` (and the standard library): the scorer loads this
module to re-analyse an appeal, on a machine without station hardware.
"""

from __future__ import annotations

from statistics import fmean

from benchscore.plugins import (
    AppealInput,
    CurveSpec,
    MeasurementSpec,
    ProcedurePlugin,
    Reanalysis,
    Role,
)

CURVE = "efficacy"


def efficacy_lx_per_w(power_w: list[float], illuminance_lx: list[float]) -> float:
    """Mean light over mean input power, lx/W (ValueError when no power was drawn)."""
    power = fmean(power_w)
    if power <= 0:
        raise ValueError("the assembly drew no power")
    return fmean(illuminance_lx) / power


def reanalyse(inp: AppealInput) -> Reanalysis:
    """Every measurement again from the stored ``efficacy`` curve."""
    out = Reanalysis()
    cols = inp.curves.get(CURVE)
    for name in inp.measurements:
        if cols is None:
            out.unavailable[name] = f"curve {CURVE!r} not stored"
        elif name == "efficacy_lx_per_w":
            out.put(name, lambda: efficacy_lx_per_w(cols["power_w"], cols["illuminance_lx"]))
        elif name == "input_power_w":
            out.put(name, lambda: fmean(cols["power_w"]))
        elif name == "illuminance_lx":
            out.put(name, lambda: fmean(cols["illuminance_lx"]))
        else:
            out.unavailable[name] = "not a led_efficacy measurement"
    return out


PLUGIN = ProcedurePlugin(
    name="led_efficacy",
    title="LED efficacy: light on the jig's sensor per watt drawn (example plugin)",
    procedure="benchscore_led_efficacy.procedure:LEDEfficacyProcedure",
    reanalyse=reanalyse,
    roles=(
        Role("power", "PowerSwitch"),
        Role("power_monitor", "PowerMonitor"),
        Role("light_sensor", "LightSensor"),
    ),
    curves=(CurveSpec(CURVE, ("t_s", "power_w", "illuminance_lx"), "one row per sample"),),
    measurements=(
        MeasurementSpec("efficacy_lx_per_w", "lx/W", CURVE),
        MeasurementSpec("input_power_w", "W", CURVE),
        MeasurementSpec("illuminance_lx", "lx", CURVE),
    ),
    parameters={"settle_s": 0.5, "samples": 5.0, "sample_interval_s": 0.1},
    sim_assembly="led_assembly",  # runs on the simulated LED bench
)
