"""``led_assembly``: declaration and appeal re-analysis (station side:
:mod:`firmware_py.procedures.led_assembly`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from statistics import fmean
from typing import Any

from benchscore.analysis.colour import reanalyse_ansi_c78377
from benchscore.analysis.flicker import reanalyse_flicker
from benchscore.configfile import Table
from benchscore.plugins.builtin.common import colour, named_tables, single
from benchscore.plugins.contract import (
    AppealInput,
    CurveSpec,
    MeasurementSpec,
    ProcedurePlugin,
    Reanalysis,
    Role,
)

COLOUR_KEYS = ("cct_k", "duv", "x", "y")
FULL_ON = ("voltage_v", "current_a", "power_w", "illuminance_lx")
CHECKS = ("check_voltage_v", "check_current_a", "check_reverse_current_a")
FLICKER = (
    "flicker_percent",
    "flicker_index",
    "flicker_ieee1789_ratio",
    "flicker_ieee1789_region",
)
ANSI = "ansi_c78377_ratio"


@dataclass(frozen=True)
class ChannelSpec:
    """An LED channel the led_assembly procedure lights alone (``[[channels]]``)."""

    name: str
    index: int


def read_task(root: Table) -> dict[str, Any]:
    """``[[channels]]``: name and index (which pin of the channel switch)."""

    def channel(t: Table) -> ChannelSpec:
        spec = ChannelSpec(name=t.get_str("name"), index=t.get_int("index", min=0))
        t.check_unknown()
        return spec

    return {"channels": tuple(channel(t) for t in named_tables(root, "channels", "channel"))}


def _missing(column: str) -> Callable[[], float]:
    def fail() -> float:
        raise KeyError(column)

    return fail


def _dimming_error_pct(cols: Mapping[str, list[float]]) -> float:
    levels, lux = cols["level"], cols["illuminance_lx"]
    if not lux or lux[0] <= 0:
        raise ValueError("no light at full output")
    return max(abs(e / lux[0] - d) / d * 100.0 for d, e in zip(levels, lux, strict=True))


def reanalyse(inp: AppealInput) -> Reanalysis:
    """Every measurement again from the stored curves, as the station computes it: means of
    ``samples``, the one-row ``check`` and ``channel_<ch>`` curves, colour from the stored
    chromaticity (``*_colour``), the ANSI C78.377 quadrangle ratio (``*ansi_c78377``), the
    dimming error, the flicker metrics and IEEE 1789 region of the waveform."""
    out = Reanalysis()
    curves = inp.curves
    flicker: dict[str, float] | None = None
    for name, m in inp.measurements.items():
        curve = str(m.get("curve") or "")
        cols = curves.get(curve)
        if cols is None:
            out.unavailable[name] = f"curve {curve or '(none)'!r} not stored"
            continue
        if name == "diffuser_fitted":  # an operator's answer: the stored answer itself
            out.put(name, partial(single, cols, "answer"))
        elif name in CHECKS:
            column = name[len("check_") :]
            out.put(name, partial(single, cols, column))
        elif name in FULL_ON and curve == "samples":
            out.put(name, partial(fmean, cols[name]) if name in cols else _missing(name))
        elif name == "dimming_error_pct":
            out.put(name, partial(_dimming_error_pct, cols))
        elif name in FLICKER:
            if flicker is None:
                try:
                    flicker = reanalyse_flicker({"flicker": dict(cols)}, dict(inp.parameters))
                except (KeyError, ValueError) as exc:
                    out.unavailable[name] = str(exc)
                    continue
            out.values[name] = flicker[name]
        elif name.endswith(ANSI):
            args = ({curve: dict(cols)}, dict(inp.parameters), curve)
            out.put(name, partial(reanalyse_ansi_c78377, *args))
        elif curve.endswith("_colour") and any(name.endswith(k) for k in COLOUR_KEYS):
            key = next(k for k in COLOUR_KEYS if name.endswith(k))
            colour(out, name[: -len(key)], cols, [name])
        elif curve.startswith("channel_"):
            channel = curve[len("channel_") :]
            column = name[len(channel) + 1 :] if name.startswith(channel + "_") else ""
            if column in ("current_a", "illuminance_lx", "voltage_v"):
                out.put(name, partial(single, cols, column))
            else:
                out.unavailable[name] = f"not a measurement of channel {channel!r}"
        else:
            out.unavailable[name] = "not a led_assembly measurement"
    return out


PLUGIN = ProcedurePlugin(
    name="led_assembly",
    title="LED assembly: check, channels, electrical values, light, colour, dimming, flicker",
    procedure="firmware_py.procedures.led_assembly:LEDAssemblyProcedure",
    reanalyse=reanalyse,
    roles=(
        Role("power", "PowerSwitch"),
        Role("power_monitor", "PowerMonitor"),
        Role("light_sensor", "LightSensor"),
        Role("check_power", "PowerSwitch", optional=True, when="limits check_*"),
        Role("reverse_polarity", "PowerSwitch", optional=True, when="limits check_*"),
        Role("colour_sensor", "ColourSensor", optional=True, when="limits *cct_k/duv, channels"),
        Role("photodiode", "WaveformCapture", optional=True, when="limits flicker_*"),
        Role("channels", "DigitalOutputs", optional=True, when="[[channels]]"),
        Role("dimmer", "DimmingOutput", optional=True, when="limits dimming_*"),
    ),
    curves=(
        CurveSpec("check", ("voltage_v", "current_a", "reverse_current_a"), "one row"),
        CurveSpec("channel_*", ("voltage_v", "current_a", "illuminance_lx"), "one row"),
        CurveSpec("samples", ("t_s", *FULL_ON)),
        CurveSpec("*_colour", ("x", "y", "illuminance_lx"), "one row (or cct_k without xy)"),
        CurveSpec(
            "*ansi_c78377",
            ("x", "y", "cct_k", "duv", "nominal_cct_k", "duv_tolerance"),
            "one row: what the quadrangle was judged on",
        ),
        CurveSpec("diffuser_fitted", ("answer",), "one row: 1 yes, 0 no (operator prompt)"),
        CurveSpec("dimming", ("level", "illuminance_lx")),
        CurveSpec("flicker", ("t_s", "illuminance_lx"), "the photodiode at its ADC rate"),
    ),
    measurements=(
        MeasurementSpec("diffuser_fitted", "", "diffuser_fitted"),
        MeasurementSpec("check_voltage_v", "V", "check"),
        MeasurementSpec("check_current_a", "A", "check"),
        MeasurementSpec("check_reverse_current_a", "A", "check"),
        MeasurementSpec("<ch>_current_a", "A", "channel_<ch>"),
        MeasurementSpec("<ch>_illuminance_lx", "lx", "channel_<ch>"),
        *(MeasurementSpec(f"<ch>_{k}", "", "channel_<ch>_colour") for k in COLOUR_KEYS),
        *(MeasurementSpec(k, "", "samples") for k in FULL_ON),
        *(MeasurementSpec(k, "", "samples_colour") for k in COLOUR_KEYS),
        MeasurementSpec(f"<ch>_{ANSI}", "", "<ch>_ansi_c78377"),
        MeasurementSpec(ANSI, "", "ansi_c78377"),
        MeasurementSpec("dimming_error_pct", "%", "dimming"),
        *(MeasurementSpec(k, "", "flicker") for k in FLICKER),
    ),
    parameters={
        "settle_s": 0.5,
        "samples": 5,
        "sample_interval_s": 0.1,
        "check_settle_s": 0.2,
        "channel_settle_s": 0.3,
        "dimming_steps": 4,
        "dimming_settle_s": 0.3,
        "flicker_s": 1.0,
        "ansi_nominal_cct": 0.0,
        "ansi_duv_tolerance": 0.006,
        "ask_diffuser_timeout_s": 0.0,
        "ask_diffuser_default": 1.0,
    },
    task_schema=read_task,
    task_tables=("channels",),
    whole_run=True,
)
