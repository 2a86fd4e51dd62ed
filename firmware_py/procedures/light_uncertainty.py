"""Expanded uncertainty (k = 2) of what ``led_assembly`` and ``lighting_environment`` report,
from their bench's :class:`~firmware_py.uncertainty.Budget` (datasheet + calibration).

How each kind of value gets its U (the budget's terms per reading, see
``firmware_py/uncertainty.py`` and ``drivers/accuracy.toml``):

- **one sensor's reading** (a voltage, a current, an illuminance, a colour sensor's CCT,
  Duv, x or y; a mean of samples of one sensor): the budget's U of one reading at the value.
  Averaging shrinks only the random part, which the datasheet limits do not separate, so
  this is the conservative single-reading figure.
- **power** ``P = V I``: the V and I terms at the mean readings, in quadrature.
- **a ratio of readings of one sensor** (dimming error, percent flicker, flicker index, the
  DALI curve): a sensitivity (gain) error and the calibration's gain cancel; what is left is
  each reading's offset and resolution, propagated to first order
  (:func:`~firmware_py.uncertainty.propagate`). The datasheets give no linearity limit, so
  none is counted.
- **grid statistics** (mean, minimum, U0 of N sensors): each grid sensor is a separate part
  with its own calibration, so their terms are independent; propagated through the
  statistic itself. A reference meter shared by the calibrations is not counted.
- **a time** (response, occupancy on/off): the instant is known to one sample or poll
  interval ``T``, a rectangle of full width ``T``: U = 2 T / sqrt(12) = T / sqrt(3).

Stated None (no number to give, or no measurement behind it to propagate):

- ``diffuser_fitted``: the operator's yes/no answer, not a measurement.
- ``flicker_ieee1789_region``: a region code (0, 1, 2), not a quantity; the uncertainty of
  the point it classifies is in ``flicker_percent`` and ``flicker_ieee1789_ratio``.
- ``*ansi_c78377_ratio``: a position inside the ANSI C78.377 quadrangle judged by a
  geometric rule (<= 1 inside); the chromaticity's U is in the ``x``/``y``/``duv`` values.
- ``flicker_ieee1789_ratio`` when no dominant frequency was found (0 by definition).
- ``dali_curve_*`` when a reading lies within its uncertainty of the dark level (the curve
  cannot be evaluated there; the check itself then refuses such readings).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.dimming import check_dali_curve
from firmware_py.uncertainty import Budget, propagate

COLOUR = ("cct_k", "duv", "x", "y")
NOT_STATED = ("diffuser_fitted", "flicker_ieee1789_region")
SQRT3 = math.sqrt(3.0)

Raw = Mapping[str, Sequence[float]]
"""The readings behind a derived value, kept by the procedure for its uncertainty."""


def _colour_quantity(name: str) -> str | None:
    return next((q for q in COLOUR if name == q or name.endswith("_" + q)), None)


def offset_u(b: Budget, sensor: str, quantity: str) -> float:
    """Standard uncertainty of one reading that a gain does not scale: offset and step."""
    acc = b.accuracy(sensor, quantity)
    return math.hypot(acc.u(0.0), acc.u_resolution())


def percent_flicker_u(b: Budget, sensor: str, percent: float, mean: float) -> float:
    """U of percent flicker ``100 (A - B) / (A + B)`` at mean level ``mean``: the maximum A
    and minimum B each carry the step (independent), and a common offset shifts both."""
    if mean <= 0:
        return 0.0
    m = percent / 100.0
    acc = b.accuracy(sensor, "illuminance_lx")

    def mod(v: Sequence[float]) -> float:  # v: A, B, the common offset
        high, low = v[0] + v[2], v[1] + v[2]
        return 100.0 * (high - low) / (high + low)

    return propagate(
        mod,
        [mean * (1 + m), mean * (1 - m), 0.0],
        [acc.u_resolution(), acc.u_resolution(), acc.u(0.0)],
    )


def led_assembly_u(b: Budget, name: str, value: float, raw: Raw) -> float | None:
    """U (k = 2) of ``led_assembly`` measurement ``name`` at ``value`` (see module doc)."""
    if name in NOT_STATED or name.endswith("ansi_c78377_ratio"):
        return None
    if name.endswith("voltage_v"):  # voltage_v, check_voltage_v
        return b.expanded("power_monitor", "bus_voltage_v", value)
    if name.endswith("current_a"):  # current_a, <ch>_current_a, check_(reverse_)current_a
        return b.expanded("power_monitor", "current_a", value)
    if name == "power_w":
        volts, amps = _mean(raw["voltage_v"]), _mean(raw["current_a"])
        u_v = b.u("power_monitor", "bus_voltage_v", volts)
        u_i = b.u("power_monitor", "current_a", amps)
        return 2.0 * math.hypot(amps * u_v, volts * u_i)
    if name.endswith("illuminance_lx"):
        return b.expanded("light_sensor", "illuminance_lx", value)
    colour = _colour_quantity(name)
    if colour is not None:
        return b.expanded("colour_sensor", colour, value)
    if name == "dimming_error_pct":
        levels, lux = raw["dimming_level"], raw["dimming_lx"]
        u = offset_u(b, "light_sensor", "illuminance_lx")

        def worst(e: Sequence[float]) -> float:
            return max(abs(ek / e[0] - d) / d * 100.0 for d, ek in zip(levels, e, strict=True))

        return propagate(worst, lux, [u] * len(lux))
    if name in ("flicker_percent", "flicker_ieee1789_ratio"):
        mean, percent = raw["flicker_mean_lx"][0], raw["flicker_percent"][0]
        u_mod = percent_flicker_u(b, "photodiode", percent, mean)
        if name == "flicker_percent":
            return u_mod
        limit = raw.get("flicker_limit_percent", [0.0])[0]
        return None if limit <= 0 else u_mod / limit
    if name == "flicker_index":  # area above the mean / total: a common offset only
        mean = raw["flicker_mean_lx"][0]
        return (
            0.0
            if mean <= 0
            else 2.0 * value * b.accuracy("photodiode", "illuminance_lx").u(0.0) / mean
        )
    return None


def lighting_u(
    b: Budget, name: str, value: float, raw: Raw, params: Mapping[str, float], zones: Sequence[str]
) -> float | None:
    """U (k = 2) of ``lighting_environment`` measurement ``name`` (see module doc)."""
    if name.endswith("ansi_c78377_ratio"):
        return None
    if name == "response_time_s":
        return 1.0 / params["response_rate_sps"] / SQRT3
    if name == "occupancy_on_s":
        return params["occupancy_poll_s"] / SQRT3
    if name == "occupancy_off_s":
        return params["occupancy_off_poll_s"] / SQRT3
    for stat in ("mean_lx", "min_lx", "u0"):
        scene = name.removesuffix("_" + stat)
        if scene != name and f"grid_{scene}" in raw:
            return _grid_u(b, stat, raw[f"grid_{scene}"])
    colour = _colour_quantity(name)
    if colour is not None:
        zone = next((z for z in zones if name.endswith(f"_{z}_{colour}")), None)
        return None if zone is None else b.expanded(f"zone.{zone}", colour, value)
    if name in ("dali_curve_slope_ratio", "dali_curve_error_pct") and "dali_lx" in raw:
        return _dali_u(b, name, raw)
    return None


def _grid_u(b: Budget, stat: str, lux: Sequence[float]) -> float:
    """U of the mean, minimum or U0 of the grid readings ``lux`` (sensor k: ``grid.<k>``)."""
    u = [b.u(f"grid.{k}", "illuminance_lx", e) for k, e in enumerate(lux)]

    def f(e: Sequence[float]) -> float:
        clipped = [max(v, 0.0) for v in e]
        mean = sum(clipped) / len(clipped)
        if stat == "mean_lx":
            return mean
        return min(clipped) if stat == "min_lx" else min(clipped) / mean

    return propagate(f, lux, u)


def _dali_u(b: Budget, name: str, raw: Raw) -> float | None:
    """U of the DALI curve's slope ratio or worst error from each grid mean's offset terms
    (the readings' gains cancel in log10 E and in E / k X)."""
    levels, lux, dark = raw["dali_level"], raw["dali_lx"], raw["dali_dark_lx"][0]
    n = int(raw["grid_n"][0])
    u_mean = math.sqrt(sum(offset_u(b, f"grid.{k}", "illuminance_lx") ** 2 for k in range(n))) / n

    def f(v: Sequence[float]) -> float:
        check = check_dali_curve(levels, v[:-1], v[-1])
        return check.slope_ratio if name == "dali_curve_slope_ratio" else check.error_pct

    try:
        return propagate(f, [*lux, dark], [u_mean] * (len(lux) + 1))
    except AnalysisError:  # a reading within its uncertainty of the dark level
        return None


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)
