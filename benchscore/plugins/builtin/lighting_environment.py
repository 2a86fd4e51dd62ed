"""``lighting_environment``: declaration and appeal re-analysis (station side:
:mod:`firmware_py.procedures.lighting_environment`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from benchscore.analysis.colour import reanalyse_ansi_c78377
from benchscore.analysis.dimming import reanalyse_dali_curve
from benchscore.analysis.electrical import settle_index
from benchscore.analysis.environment import illuminance_grid_stats
from benchscore.configfile import Table
from benchscore.plugins.builtin.common import colour, named_tables, single
from benchscore.plugins.contract import (
    AppealInput,
    CurveSpec,
    MeasurementSpec,
    Params,
    ProcedurePlugin,
    Reanalysis,
    Role,
)

Columns = Mapping[str, list[float]]


@dataclass(frozen=True)
class SceneSpec:
    """A scene the lighting_environment procedure commands and measures (``[[scenes]]``)."""

    name: str
    number: int


def read_task(root: Table) -> dict[str, Any]:
    """``[[scenes]]``: name and DALI scene number (0..15)."""

    def scene(t: Table) -> SceneSpec:
        spec = SceneSpec(name=t.get_str("name"), number=t.get_int("number", min=0))
        t.check_unknown()
        if spec.number > 15:
            raise t.error("number", f"DALI scene {spec.number} outside 0..15")
        return spec

    return {"scenes": tuple(scene(t) for t in named_tables(root, "scenes", "scene"))}


def _grid(cols: Columns, what: str) -> float:
    grid = illuminance_grid_stats([max(0.0, v) for v in cols["illuminance_lx"]])
    return float({"mean_lx": grid.mean_lx, "u0": grid.u0, "min_lx": grid.min_lx}[what])


def response_time_s(cols: Columns, levels: Columns, p: Params) -> float:
    """IEEE 181 settling of the photodiode record after the scene button (the window's end
    when there is no light or it does not settle, as the station judges it)."""
    t, light = cols["t_s"], np.asarray(cols["illuminance_lx"], dtype=float)
    dark, scene = single(levels, "dark_lx"), single(levels, "scene_lx")
    n = len(light)
    final = float(np.median(light[-max(1, n // 10) :]))
    if final - dark < 0.2 * max(scene - dark, 1.0):
        return float(t[-1])
    k = settle_index(light, tolerance=p["response_tolerance"] * abs(final - dark))
    return float(t[-1]) if k is None else float(t[k])


def occupancy_s(cols: Columns, levels: Columns, p: Params, on: bool) -> float:
    """Seconds from presence on (off) until the light passes ``occupancy_threshold`` of the
    scene's level; the timeout when it never does (the station's verdict)."""
    dark, scene = single(levels, "dark_lx"), single(levels, "scene_lx")
    threshold = dark + p["occupancy_threshold"] * (scene - dark)
    want = 1.0 if on else 0.0
    for t, lux, presence in zip(cols["t_s"], cols["illuminance_lx"], cols["presence"], strict=True):
        if presence == want and (lux >= threshold if on else lux < threshold):
            return float(t)
    if on or any(v == 0.0 for v in cols["presence"]):
        return p["occupancy_on_timeout_s" if on else "occupancy_off_timeout_s"]
    raise ValueError("the light never switched on by presence")


def _dali(cols: Columns, name: str) -> float:
    return reanalyse_dali_curve({"dali_curve": dict(cols)}, {})[name]


def reanalyse(inp: AppealInput) -> Reanalysis:
    """Grid statistics of each ``scene_<s>`` curve, zone colour from ``zone_<s>_<zone>``
    chromaticity and its ANSI C78.377 quadrangle ratio (``<scene>_<zone>_ansi_c78377``), the
    DALI dimming curve (``dali_curve``), response time and occupancy timing from the photodiode
    records."""
    out = Reanalysis()
    curves, p = inp.curves, inp.parameters
    for name, m in inp.measurements.items():
        curve = str(m.get("curve") or "")
        cols = curves.get(curve)
        if cols is None:
            out.unavailable[name] = f"curve {curve or '(none)'!r} not stored"
            continue
        scene = curve[len("scene_") :]
        if curve.startswith("scene_") and name.startswith(scene + "_"):
            what = name[len(scene) + 1 :]
            if what in ("mean_lx", "u0", "min_lx"):
                out.put(name, partial(_grid, cols, what))
                continue
        if name.endswith("_ansi_c78377_ratio"):
            args = ({curve: dict(cols)}, dict(p), curve)
            out.put(name, partial(reanalyse_ansi_c78377, *args))
        elif name in ("dali_curve_slope_ratio", "dali_curve_error_pct"):
            out.put(name, partial(_dali, cols, name))
        elif curve.startswith("zone_") and (name.endswith("_cct_k") or name.endswith("_duv")):
            key = "cct_k" if name.endswith("_cct_k") else "duv"
            colour(out, name[: -len(key)], cols, [name])
        elif name == "response_time_s":
            levels = curves.get("response_levels", {})
            out.put(name, partial(response_time_s, cols, levels, p))
        elif name in ("occupancy_on_s", "occupancy_off_s"):
            levels = curves.get("occupancy_levels", {})
            on = name == "occupancy_on_s"
            out.put(name, partial(occupancy_s, cols, levels, p, on))
        else:
            out.unavailable[name] = "not a lighting_environment measurement"
    return out


PLUGIN = ProcedurePlugin(
    name="lighting_environment",
    title="Lighting installation: scenes, grid illuminance and uniformity, zone colour, "
    "response and occupancy timing (EN 12464-1)",
    procedure="firmware_py.procedures.lighting_environment:LightingEnvironmentProcedure",
    reanalyse=reanalyse,
    roles=(
        Role("grid", "LightSensor", when="one per grid point, behind the multiplexer"),
        Role("zones", "ColourSensor", when="one per zone"),
        Role("panel", "DigitalOutputs"),
        Role("photodiode", "WaveformCapture"),
        Role("dali", "DaliControl", optional=True, when="limits dali_curve_*"),
    ),
    curves=(
        CurveSpec("scene_*", ("x_m", "y_m", "illuminance_lx"), "one row per grid sensor"),
        CurveSpec("zone_*", ("x", "y", "illuminance_lx"), "zone_<scene>_<zone>, one row"),
        CurveSpec("response", ("t_s", "illuminance_lx")),
        CurveSpec("response_levels", ("dark_lx", "scene_lx"), "one row"),
        CurveSpec("occupancy", ("t_s", "illuminance_lx", "presence")),
        CurveSpec("occupancy_levels", ("dark_lx", "scene_lx"), "one row"),
        CurveSpec(
            "*_ansi_c78377",
            ("x", "y", "cct_k", "duv", "nominal_cct_k", "duv_tolerance"),
            "<scene>_<zone>_ansi_c78377, one row",
        ),
        CurveSpec("dali_curve", ("arc_level", "actual_level", "illuminance_lx", "dark_lx")),
    ),
    measurements=(
        MeasurementSpec("<scene>_mean_lx", "lx", "scene_<scene>"),
        MeasurementSpec("<scene>_u0", "", "scene_<scene>"),
        MeasurementSpec("<scene>_min_lx", "lx", "scene_<scene>"),
        MeasurementSpec("<scene>_<zone>_cct_k", "K", "zone_<scene>_<zone>"),
        MeasurementSpec("<scene>_<zone>_duv", "", "zone_<scene>_<zone>"),
        MeasurementSpec("<scene>_<zone>_ansi_c78377_ratio", "", "<scene>_<zone>_ansi_c78377"),
        MeasurementSpec("dali_curve_slope_ratio", "", "dali_curve"),
        MeasurementSpec("dali_curve_error_pct", "%", "dali_curve"),
        MeasurementSpec("response_time_s", "s", "response"),
        MeasurementSpec("occupancy_on_s", "s", "occupancy"),
        MeasurementSpec("occupancy_off_s", "s", "occupancy"),
    ),
    parameters={
        "off_scene": 2.0,
        "settle_s": 2.0,
        "settle_max_s": 20.0,
        "settle_poll_s": 0.5,
        "response_window_s": 6.0,
        "response_rate_sps": 490.0,
        "response_tolerance": 0.1,
        "occupancy_threshold": 0.5,
        "occupancy_on_timeout_s": 10.0,
        "occupancy_off_timeout_s": 60.0,
        "occupancy_poll_s": 0.1,
        "occupancy_off_poll_s": 0.25,
        "dali_curve_low_arc": 144.0,
        "dali_curve_steps": 6.0,
        "dali_curve_settle_s": 0.5,
        "dali_query_address": 0.0,
        "ansi_nominal_cct": 0.0,
        "ansi_duv_tolerance": 0.006,
    },
    task_schema=read_task,
    task_tables=("scenes",),
    whole_run=True,
)
