"""``led_screen``: declaration and appeal re-analysis (station side:
:mod:`firmware_py.procedures.led_screen`)."""

from __future__ import annotations

from benchscore.plugins.contract import (
    AppealInput,
    CurveSpec,
    MeasurementSpec,
    ProcedurePlugin,
    Reanalysis,
    Role,
)

MEASUREMENTS = (
    ("failed_pixel_rate", ""),
    ("regional_failed_pixel_rate", ""),
    ("dead_pixels", ""),
    ("stuck_pixels", ""),
    ("dim_pixels", ""),
    ("dead_modules", ""),
    ("dead_cards", ""),
    ("dim_modules", ""),
    ("lines_out", ""),
    ("swapped_channel_modules", ""),
    ("misplaced_modules", ""),
    ("luminance_uniformity_pct", "%"),
    ("colour_uniformity_duv", ""),
    ("white_luminance_cd_m2", "cd/m²"),
)


def reanalyse(inp: AppealInput) -> Reanalysis:
    """The screen analysis again on the stored LED maps (curves ``ledmap_<pattern>``: the
    camera's signal per LED, as the station sampled it from its photos) with the task's
    layout and thresholds and the camera matrix the station used (``camera_matrix``)."""
    import numpy as np

    from benchscore.analysis import AnalysisError
    from benchscore.analysis.led_screen import ColourMatrix, analyse_maps
    from benchscore.analysis.led_screen.params import card_from, layout_from, thresholds_from
    from benchscore.analysis.led_screen.report import values

    out = Reanalysis()
    curves, params = inp.curves, inp.parameters
    try:
        layout = layout_from(params)
        maps = {}
        for name, columns in curves.items():
            if name.startswith("ledmap_"):
                leds = np.column_stack([columns[c] for c in "rgb"])
                maps[name[len("ledmap_") :]] = leds.reshape(layout.height, layout.width, 3)
        matrix = None
        if "camera_matrix" in curves:
            m = [curves["camera_matrix"][f"m{i}"][0] for i in range(9)]
            matrix = ColourMatrix(tuple((m[3 * r], m[3 * r + 1], m[3 * r + 2]) for r in range(3)))
        report = analyse_maps(maps, layout, thresholds_from(params), matrix, card_from(params))
    except (AnalysisError, KeyError, ValueError) as exc:
        why = f"{type(exc).__name__}: {exc}"
        out.unavailable = {name: why for name in inp.measurements}
        return out
    got = values(report)
    for name in inp.measurements:
        value = got.get(name)
        if value is None:
            out.unavailable[name] = (
                "the LED maps do not give it (no colour calibration?)"
                if name in got
                else "not a led_screen measurement"
            )
        else:
            out.values[name] = float(value)
    return out


PLUGIN = ProcedurePlugin(
    name="led_screen",
    title="LED display screen: failed pixels and modules, uniformity (SJ/T 11141)",
    procedure="firmware_py.procedures.led_screen:LEDScreenProcedure",
    reanalyse=reanalyse,
    roles=(
        Role("output", "ScreenOutput", when="the station's pattern output (video source)"),
        Role("camera", "ScreenCamera"),
    ),
    curves=(
        CurveSpec("ledmap_*", ("r", "g", "b"), "the camera's signal per LED, row-major"),
        CurveSpec("camera_matrix", tuple(f"m{i}" for i in range(9)), "one row"),
        CurveSpec("image_*", ("b64",), "evidence JPEG (not analysed)"),
    ),
    measurements=tuple(MeasurementSpec(n, u, "ledmap_white") for n, u in MEASUREMENTS),
    parameters={},  # the analysis library's DEFAULTS apply (benchscore.analysis.led_screen)
    whole_run=True,
)
