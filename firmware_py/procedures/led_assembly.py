"""``led_assembly``: check, then power the assembly and measure electrical values and light.

The phases a task gets depend on the limits it sets (a basic task judges only
``voltage_v``, ``current_a``, ``power_w`` and ``illuminance_lx``):

1. **check** (limits ``check_*``): the assembly is fed through the jig's current-limiting
   resistor (``check_relay``), every channel on: the voltage at its terminals and the current
   tell a short (no voltage), an open circuit or reversed polarity (no current); the same
   feed reversed (``reverse_relay``) must draw nothing, or a string is in backwards. A failed
   check ends the run: full power never reaches a faulty assembly.
2. **channels** (task ``[[channels]]``): each channel alone (its enable line on the channel
   switch): ``<ch>_current_a``, ``<ch>_illuminance_lx`` and its colour (``<ch>_cct_k``,
   ``<ch>_duv``, ``<ch>_x``, ``<ch>_y``, whichever the task judges).
3. **measure**, everything on: after ``settle_s``, ``samples`` readings
   ``sample_interval_s`` apart, averaged: ``voltage_v``, ``current_a``, ``power_w``,
   ``illuminance_lx``; with a colour sensor ``cct_k`` and ``duv`` (rectangles from the task's
   limits) and, when the task names an ANSI C78.377 nominal CCT (parameter
   ``ansi_nominal_cct``, ``<channel>_ansi_nominal_cct`` for a channel; optional
   ``ansi_duv_tolerance``, default 0.006), ``ansi_c78377_ratio``: the chromaticity judged
   against the standard's quadrangle (<= 1 inside or on an edge; limits default to high = 1).
4. **dimming** (limits ``dimming_*``): the PWM dimming input at ``dimming_steps`` levels,
   halving from 100 %: ``dimming_error_pct``, the largest deviation of E(d)/E(100 %) from d.
5. **flicker** (limits ``flicker_*``): the photodiode recorded for ``flicker_s`` at its
   ADC rate at full output: ``flicker_percent`` (modulation depth), ``flicker_index``,
   ``flicker_ieee1789_ratio`` (percent flicker over the IEEE 1789 low-risk limit at the
   dominant frequency: < 1 is low risk, < 0.42 no observable effect) and
   ``flicker_ieee1789_region``, the IEEE 1789-2015 recommended-practice region of the
   (frequency, percent flicker) point: 0 no observable effect, 1 low risk, 2 above low risk.

Every value carries its expanded uncertainty (k = 2) from the bench's budget when the
station states one (:mod:`firmware_py.procedures.light_uncertainty` says how each is
propagated and which are stated None).

The teardown switches the jig power and the check feed off and every channel off, also
after a sensor error or an abort.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from statistics import fmean
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.colour import ansi_c78377_quadrangle
from benchscore.analysis.flicker import (
    FLICKER_MIN_FREQUENCY_HZ,
    IEEE1789_REGION_CODES,
    flicker_metrics,
    ieee1789_low_risk_limit_percent,
)
from benchscore.measurement import Measurement, Outcome
from benchscore.plugins.builtin.led_assembly import PLUGIN
from firmware_py.procedures.base import Procedure, ProcedureResult, TaskInvalid, safely
from firmware_py.procedures.colour_judging import (
    ANSI_LIMITS,
    ansi_curve,
    judge_ansi_c78377,
    no_chromaticity,
)
from firmware_py.procedures.interfaces import (
    ColourSensor,
    DigitalOutputs,
    DimmingOutput,
    LightSensor,
    PowerMonitor,
    PowerSwitch,
    WaveformCapture,
)
from firmware_py.procedures.light_uncertainty import led_assembly_u

if TYPE_CHECKING:
    from firmware_py.config import ChannelSpec, TaskConfig
    from firmware_py.uncertainty import Budget

__all__ = ["LEDAssemblyProcedure", "LEDBench", "judge_ansi_c78377"]


@dataclass
class LEDBench:
    """The hardware ``led_assembly`` needs, injected by the station (optional devices are
    None when the task does not use them)."""

    power: PowerSwitch
    power_monitor: PowerMonitor
    light_sensor: LightSensor
    calibrations: Iterable[str] = field(default_factory=tuple)
    check_power: PowerSwitch | None = None
    reverse_polarity: PowerSwitch | None = None
    colour_sensor: ColourSensor | None = None
    photodiode: WaveformCapture | None = None
    channels: DigitalOutputs | None = None
    channel_pins: tuple[int, ...] = ()
    dimmer: DimmingOutput | None = None
    uncertainty: Budget | None = None
    """Datasheet and calibration uncertainty of each sensor (None: not stated)."""


COLOUR_KEYS = ("cct_k", "duv", "x", "y")
FLICKER_KEYS = (
    "flicker_percent",
    "flicker_index",
    "flicker_ieee1789_ratio",
    "flicker_ieee1789_region",
)


class LEDAssemblyProcedure(Procedure):
    name: ClassVar[str] = "led_assembly"
    required_limits: ClassVar[tuple[str, ...]] = (
        "voltage_v",
        "current_a",
        "power_w",
        "illuminance_lx",
    )
    parameters: ClassVar[dict[str, float]] = dict(PLUGIN.parameters)
    """``ansi_nominal_cct`` 0: no ANSI C78.377 judgement of the full-on mix.
    ``ask_diffuser_timeout_s`` > 0: first ask "Is the diffuser fitted?" (yes/no); with no
    answer in that many real seconds the answer is ``ask_diffuser_default`` (1 yes, 0 no).
    Judged as ``diffuser_fitted`` (1 yes, 0 no) when the task has limits for it; the answer is
    also its one-row curve ``diffuser_fitted`` (``answer``), what an appeal reads back."""
    bench: LEDBench
    _raw: dict[str, list[float]]
    """The readings behind derived values (power, dimming, flicker), for their uncertainty."""

    @classmethod
    def check_task(cls, task: TaskConfig) -> None:
        per_channel = {f"{c.name}_ansi_nominal_cct" for c in task.channels}
        core = {k: v for k, v in task.parameters.items() if k not in per_channel}
        super().check_task(replace(task, parameters=core))
        tolerance = task.parameters.get("ansi_duv_tolerance", 0.006)
        for key in ("ansi_nominal_cct", *sorted(per_channel)):
            nominal = task.parameters.get(key, 0.0)
            if nominal == 0:
                continue
            if nominal != int(nominal):
                raise TaskInvalid(f"{task.file.name}: parameters.{key} {nominal:g}: not a whole K")
            try:
                ansi_c78377_quadrangle(int(nominal), tolerance)
            except AnalysisError as exc:
                raise TaskInvalid(f"{task.file.name}: parameters.{key}: {exc}") from None
        check = [k for k in ("check_voltage_v", "check_current_a") if k in task.limits]
        if len(check) == 1:
            raise TaskInvalid(
                f"{task.file.name}: the low-current check needs both check_voltage_v and "
                "check_current_a limits"
            )
        for channel in task.channels:
            need = [f"{channel.name}_current_a", f"{channel.name}_illuminance_lx"]
            missing = [n for n in need if n not in task.limits]
            if missing:
                raise TaskInvalid(f"{task.file.name}: limits missing for {missing}")

    # -- helpers ---------------------------------------------------------------------------
    def _channels(self, mask: int | None) -> None:
        """Enable the channels in ``mask`` (bit k: channel index k); None: all of them."""
        bench = self.bench
        if bench.channels is None:
            return
        for k, pin in enumerate(bench.channel_pins):
            bench.channels.write_pin(pin, mask is None or bool(mask >> k & 1))

    def _colour(self, prefix: str, curve: str = "") -> list[Measurement]:
        """Colour measurements ``<prefix>cct_k``... the task judges, from the colour sensor,
        and ``<prefix>ansi_c78377_ratio`` if the task names a nominal CCT for it; the reading
        goes out as curve ``<curve>_colour`` (x, y, lux; or the sensor's own CCT when it gives
        no chromaticity) for the appeal's re-analysis."""
        wanted = [k for k in COLOUR_KEYS if self.has_limits(prefix + k)]
        nominal = int(self.params.get(f"{prefix}ansi_nominal_cct", 0.0))
        if (not wanted and not nominal) or self.bench.colour_sensor is None:
            return []
        reading = self.bench.colour_sensor.read_colour()
        xy = reading.xy
        raw: dict[str, list[float]] = {"illuminance_lx": [reading.illuminance_lx]}
        if xy is not None:
            raw |= {"x": [xy[0]], "y": [xy[1]]}
        elif reading.cct_k is not None:
            raw["cct_k"] = [reading.cct_k]
        curve = f"{curve}_colour"
        self.curve(curve, raw)
        values: dict[str, float | None] = {
            "cct_k": reading.cct_k,
            "duv": reading.duv,
            "x": None if xy is None else xy[0],
            "y": None if xy is None else xy[1],
        }
        out = []
        for key in wanted:
            name = prefix + key
            if values[key] is None:
                out.append(self.not_measured(name, "no light to take a colour from"))
            else:
                out.append(self.judge(name, values[key], curve))
        if nominal:
            out.append(self._ansi(prefix, nominal, xy, reading.cct_k, reading.duv))
        return out

    def _ansi(
        self,
        prefix: str,
        nominal: int,
        xy: tuple[float, float] | None,
        cct_k: float | None,
        duv: float | None,
    ) -> Measurement:
        """``<prefix>ansi_c78377_ratio``: the chromaticity in the nominal CCT's quadrangle;
        its raw curve ``<prefix>ansi_c78377`` holds what the appeal re-analysis needs."""
        name = f"{prefix}ansi_c78377_ratio"
        limits = self.task.limits.get(name, ANSI_LIMITS)
        if xy is None:
            return no_chromaticity(name, limits)
        tolerance = self.params["ansi_duv_tolerance"]
        curve = f"{prefix}ansi_c78377"
        self.curve(curve, ansi_curve(xy, cct_k, duv, nominal, tolerance))
        return judge_ansi_c78377(name, xy, nominal, tolerance, limits, curve)

    # -- the run ---------------------------------------------------------------------------
    def uncertainty(self, name: str, value: float) -> float | None:
        """U (k = 2) from the bench's budget (see :mod:`.light_uncertainty`)."""
        budget = self.bench.uncertainty
        return None if budget is None else led_assembly_u(budget, name, value, self._raw)

    def execute(self, result: ProcedureResult) -> None:
        self._raw = {}
        if self.params["ask_diffuser_timeout_s"] > 0:
            fitted = self.prompt(
                "diffuser_fitted",
                "Is the diffuser fitted?",
                "yes_no",
                timeout_s=self.params["ask_diffuser_timeout_s"],
                default=bool(self.params["ask_diffuser_default"]),
            )
            if self.has_limits("diffuser_fitted"):
                answer = 1.0 if fitted else 0.0
                self.curve("diffuser_fitted", {"answer": [answer]})
                result.measurements.append(self.judge("diffuser_fitted", answer, "diffuser_fitted"))
        if self.has_limits("check_voltage_v"):
            checks = self._check()
            result.measurements += checks
            if any(m.outcome is Outcome.FAIL for m in checks):
                return
        for channel in self.task.channels:
            result.measurements += self._channel(channel)
        result.measurements += self._full_on()
        if self.has_limits("dimming_error_pct"):
            result.measurements.append(self._dimming())
        if any(self.has_limits(k) for k in FLICKER_KEYS):
            result.measurements += self._flicker()

    def teardown(self) -> None:
        bench = self.bench
        steps: list[Any] = [bench.power.off]
        if bench.check_power is not None:
            steps.append(bench.check_power.off)
        if bench.reverse_polarity is not None:
            steps.append(bench.reverse_polarity.off)
        if bench.channels is not None:
            steps.append(bench.channels.all_off)
        if bench.dimmer is not None:
            steps.append(lambda: bench.dimmer.set_level(1.0) if bench.dimmer else None)
        safely(*steps)

    # -- 1. low-current check --------------------------------------------------------------
    def _check(self) -> list[Measurement]:
        bench = self.bench
        if bench.check_power is None:
            raise RuntimeError("the task asks for the low-current check; the bench has no feed")
        self._channels(None)
        bench.power.off()
        bench.check_power.on()
        self.live("check", {})
        self.wait(self.params["check_settle_s"])
        forward = bench.power_monitor.read()
        reverse_a: float | None = None
        if self.has_limits("check_reverse_current_a") and bench.reverse_polarity is not None:
            bench.reverse_polarity.on()
            self.wait(self.params["check_settle_s"])
            reverse_a = abs(bench.power_monitor.read().current_a)
            bench.reverse_polarity.off()
        bench.check_power.off()
        volts, amps = forward.bus_voltage_v, abs(forward.current_a)
        self.live("check", {"voltage_v": volts, "current_a": amps, "reverse_current_a": reverse_a})
        self.curve(
            "check",
            {
                "voltage_v": [volts],
                "current_a": [amps],
                "reverse_current_a": [-1.0 if reverse_a is None else reverse_a],
            },
        )
        skip = "; full power not applied"
        v_limits, i_limits = self.limits("check_voltage_v"), self.limits("check_current_a")
        v_reason = i_reason = ""
        if v_limits.low is not None and volts < v_limits.low:
            v_reason = f"check_voltage_v {volts:.3g} V at the low-current check: short circuit"
        elif v_limits.high is not None and volts > v_limits.high:
            v_reason = f"check_voltage_v {volts:.3g} V at the low-current check: no load (open)"
        if i_limits.low is not None and amps < i_limits.low:
            i_reason = (
                f"check_current_a {amps * 1e3:.3g} mA at the low-current check: open circuit or "
                "reversed polarity"
            )
        out = [
            self.judge("check_voltage_v", volts, "check", reason=v_reason),
            self.judge("check_current_a", amps, "check", reason=i_reason),
        ]
        if reverse_a is not None:
            why = (
                "the short conducts both ways"
                if "short" in v_reason
                else "an LED string (or the assembly) is connected backwards"
            )
            out.append(
                self.judge(
                    "check_reverse_current_a",
                    reverse_a,
                    "check",
                    reason=f"check_reverse_current_a {reverse_a * 1e3:.3g} mA with the feed "
                    f"reversed: {why}",
                )
            )
        failed = [m for m in out if m.outcome is Outcome.FAIL]
        if failed:
            last = failed[-1]
            out[out.index(last)] = replace(last, reason=last.reason + skip)
        return out

    # -- 2. each channel alone -------------------------------------------------------------
    def _channel(self, channel: ChannelSpec) -> list[Measurement]:
        bench = self.bench
        self._channels(1 << channel.index)
        bench.power.on()
        self.live(f"channel_{channel.name}", {})
        self.wait(self.params["channel_settle_s"])
        reading = bench.power_monitor.read()
        lux = bench.light_sensor.measure_lx()
        self.live(
            f"channel_{channel.name}",
            {"current_a": reading.current_a, "illuminance_lx": lux},
        )
        curve = f"channel_{channel.name}"
        self.curve(
            curve,
            {
                "voltage_v": [reading.bus_voltage_v],
                "current_a": [reading.current_a],
                "illuminance_lx": [lux],
            },
        )
        out = [
            self.judge(f"{channel.name}_current_a", reading.current_a, curve),
            self.judge(f"{channel.name}_illuminance_lx", lux, curve),
        ]
        out += self._colour(f"{channel.name}_", curve)
        bench.power.off()
        return out

    # -- 3. everything on ------------------------------------------------------------------
    def _full_on(self) -> list[Measurement]:
        bench = self.bench
        self._channels(None)
        bench.power.on()
        self.live("power_on", {})
        self.wait(self.params["settle_s"])
        t0 = self.clock.monotonic()
        times: list[float] = []
        volts: list[float] = []
        amps: list[float] = []
        watts: list[float] = []
        lux: list[float] = []
        for _ in range(max(1, int(self.params["samples"]))):
            reading = bench.power_monitor.read()
            lx = bench.light_sensor.measure_lx()
            times.append(self.clock.monotonic() - t0)
            volts.append(reading.bus_voltage_v)
            amps.append(reading.current_a)
            watts.append(reading.power_w)
            lux.append(lx)
            self.live(
                "measure",
                {
                    "voltage_v": reading.bus_voltage_v,
                    "current_a": reading.current_a,
                    "power_w": reading.power_w,
                    "illuminance_lx": lx,
                },
            )
            self.wait(self.params["sample_interval_s"])
        self.curve(
            "samples",
            {
                "t_s": times,
                "voltage_v": volts,
                "current_a": amps,
                "power_w": watts,
                "illuminance_lx": lux,
            },
        )
        self._raw |= {"voltage_v": volts, "current_a": amps}
        out = [
            self.judge("voltage_v", fmean(volts), "samples"),
            self.judge("current_a", fmean(amps), "samples"),
            self.judge("power_w", fmean(watts), "samples"),
            self.judge("illuminance_lx", fmean(lux), "samples"),
        ]
        return out + self._colour("", "samples")

    # -- 4. dimming ------------------------------------------------------------------------
    def _dimming(self) -> Measurement:
        bench = self.bench
        if bench.dimmer is None:
            raise RuntimeError("the task asks for dimming steps; the bench has no dimming output")
        levels = [0.5**k for k in range(max(2, int(self.params["dimming_steps"])))]
        lux: list[float] = []
        for level in levels:
            bench.dimmer.set_level(level)
            self.wait(self.params["dimming_settle_s"])
            lux.append(bench.light_sensor.measure_lx())
            self.live("dimming", {"level_pct": 100 * level, "illuminance_lx": lux[-1]})
        bench.dimmer.set_level(1.0)
        self.curve("dimming", {"level": levels, "illuminance_lx": lux})
        if lux[0] <= 0:
            return self.not_measured("dimming_error_pct", "no light at full output")
        self._raw |= {"dimming_level": levels, "dimming_lx": lux}
        errors = [abs(e / lux[0] - d) / d * 100.0 for d, e in zip(levels, lux, strict=True)]
        return self.judge("dimming_error_pct", max(errors), "dimming")

    # -- 5. flicker ------------------------------------------------------------------------
    def _flicker(self) -> list[Measurement]:
        bench = self.bench
        if bench.photodiode is None:
            raise RuntimeError("the task asks for flicker; the bench has no photodiode")
        rate = bench.photodiode.rate_sps
        n = max(64, int(self.params["flicker_s"] * rate))
        self.live("flicker", {"samples_n": float(n)})
        light = bench.photodiode.capture(n)
        self.curve(
            "flicker",
            {"t_s": [k / rate for k in range(n)], "illuminance_lx": [float(v) for v in light]},
        )
        if float(np.mean(light)) <= 0:
            reason = "no light on the photodiode"
            return [self.not_measured(k, reason) for k in FLICKER_KEYS if self.has_limits(k)]
        metrics = flicker_metrics(light, float(rate), min_frequency_hz=FLICKER_MIN_FREQUENCY_HZ)
        ratio = limit = 0.0
        if metrics.frequency_hz > 0:
            limit = ieee1789_low_risk_limit_percent(metrics.frequency_hz)
            ratio = metrics.percent_flicker / limit
        self._raw |= {
            "flicker_mean_lx": [float(np.mean(light))],
            "flicker_percent": [metrics.percent_flicker],
            "flicker_limit_percent": [limit],
        }
        self.live(
            "flicker",
            {
                "flicker_percent": metrics.percent_flicker,
                "frequency_hz": metrics.frequency_hz,
                "flicker_ieee1789_ratio": ratio,
            },
        )
        out = []
        f = metrics.frequency_hz
        if self.has_limits("flicker_percent"):
            out.append(self.judge("flicker_percent", metrics.percent_flicker, "flicker"))
        if self.has_limits("flicker_index"):
            out.append(self.judge("flicker_index", metrics.flicker_index, "flicker"))
        if self.has_limits("flicker_ieee1789_ratio"):
            out.append(
                self.judge(
                    "flicker_ieee1789_ratio",
                    ratio,
                    "flicker",
                    reason=f"flicker_ieee1789_ratio {ratio:.3g}: {metrics.percent_flicker:.3g} % "
                    f"at {f:.4g} Hz is above the IEEE 1789 low-risk limit",
                )
            )
        if self.has_limits("flicker_ieee1789_region"):
            region = metrics.ieee1789
            out.append(
                self.judge(
                    "flicker_ieee1789_region",
                    IEEE1789_REGION_CODES[region],
                    "flicker",
                    reason=f"flicker_ieee1789_region: {metrics.percent_flicker:.3g} % at "
                    f"{f:.4g} Hz is {region.value.replace('_', ' ')} (IEEE 1789-2015)",
                )
            )
        return out
