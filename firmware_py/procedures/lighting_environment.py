"""``lighting_environment``: scenes, grid illuminance, uniformity, CCT per zone, response time
and occupancy timing of a contestant's lighting installation (EN 12464-1).

Bench: illuminance sensors on a grid over the task area (behind an I2C multiplexer), a colour
sensor per zone, a fast photodiode on the work plane, and an I/O expander wired across the
installation's scene push-buttons and its presence simulator.

Phases:

1. **dark**: the off scene (``off_scene``) is recalled.
2. **scenes**: each ``[[scenes]]`` entry of the task is recalled with its button; once the
   light is steady (``settle_s``, then the photodiode steady within 1 %) every grid sensor
   and every zone sensor is read. Measures
   ``<scene>_mean_lx`` (Ē), ``<scene>_u0`` (Emin/Ē), optionally ``<scene>_min_lx``, and
   per zone ``<scene>_<zone>_cct_k`` (and ``_duv`` where the sensor gives it) judged by the
   limits ``<scene>_cct_k`` / ``<scene>_duv``; with ``ansi_nominal_cct`` (optional
   ``ansi_duv_tolerance``) also ``<scene>_<zone>_ansi_c78377_ratio``, the zone's chromaticity
   in that ANSI C78.377 quadrangle (needs a colour sensor giving x, y: AS7341). Curve
   ``scene_<scene>``: x, y, lux.
3. **dali_curve** (if the task judges ``dali_curve_slope_ratio`` or ``dali_curve_error_pct``):
   through the station's DALI interface (python-dali), OFF then DAPC broadcast at
   ``dali_curve_steps`` arc levels from ``dali_curve_low_arc`` to 254; after
   ``dali_curve_settle_s`` and once QUERY ACTUAL LEVEL of short address ``dali_query_address``
   reads the commanded level (the fade is over), the grid sensors are read (their mean, less
   the mean with the luminaires off, is the light output). Measures
   ``dali_curve_slope_ratio`` (fitted slope of log10(light) per level over the IEC 62386-102
   slope 3/253) and ``dali_curve_error_pct`` (largest deviation of E(n) from the standard's
   X(n) scaled to the readings). Curve ``dali_curve``.
4. **response** (if the task judges ``response_time_s``): from dark, the first scene is
   recalled while the photodiode records at ``response_rate_sps``; the response time runs
   from the button press until the light stays within ``response_tolerance`` of its final
   level (IEEE 181 settling).
5. **occupancy** (if the task judges ``occupancy_on_s``/``occupancy_off_s``): from dark,
   the presence simulator is switched on; time until the light passes
   ``occupancy_threshold`` of the first scene's level; then off; time until it falls below.

Every value carries its expanded uncertainty (k = 2) from the bench's budget when the
station states one (:mod:`firmware_py.procedures.light_uncertainty`).

The teardown releases the presence simulator and recalls the off scene.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.colour import ansi_c78377_quadrangle
from benchscore.analysis.dimming import check_dali_curve
from benchscore.analysis.electrical import settle_index
from benchscore.analysis.environment import illuminance_grid_stats
from benchscore.clock import Clock
from benchscore.measurement import Measurement
from benchscore.plugins.builtin.lighting_environment import PLUGIN
from firmware_py.procedures.base import (
    CurveStream,
    Procedure,
    ProcedureResult,
    TaskInvalid,
    safely,
)
from firmware_py.procedures.colour_judging import (
    ANSI_LIMITS,
    ansi_curve,
    judge_ansi_c78377,
    no_chromaticity,
)
from firmware_py.procedures.interfaces import (
    ColourReading,
    ColourSensor,
    DaliControl,
    DigitalOutputs,
    LightSensor,
    WaveformCapture,
)
from firmware_py.procedures.light_uncertainty import lighting_u

if TYPE_CHECKING:
    from firmware_py.config import SceneSpec, TaskConfig
    from firmware_py.uncertainty import Budget


@dataclass
class LightingBench:
    """The hardware ``lighting_environment`` needs, injected by the station."""

    grid: Sequence[LightSensor]
    grid_positions: Sequence[tuple[float, float]]
    zones: Mapping[str, ColourSensor]
    panel: DigitalOutputs
    scene_pins: tuple[int, ...]
    presence_pin: int
    press_s: float
    photodiode: WaveformCapture
    calibrations: Iterable[str] = field(default_factory=tuple)
    dali: DaliControl | None = None
    uncertainty: Budget | None = None
    """Datasheet and calibration uncertainty of each sensor (None: not stated)."""
    """The station's DALI interface (only for a task that checks the dimming curve)."""


DALI_CURVE_KEYS = ("dali_curve_slope_ratio", "dali_curve_error_pct")


def press(bench: LightingBench, scene: int, clock: Clock) -> float:
    """Press the button of DALI ``scene``; return the clock time of the press."""
    pin = bench.scene_pins[scene]
    bench.panel.write_pin(pin, True)
    pressed = clock.monotonic()
    clock.sleep(bench.press_s)
    bench.panel.write_pin(pin, False)
    return pressed


class LightingEnvironmentProcedure(Procedure):
    name: ClassVar[str] = "lighting_environment"
    parameters: ClassVar[dict[str, float]] = dict(PLUGIN.parameters)
    """``ansi_nominal_cct`` 0: zones are not judged by an ANSI C78.377 quadrangle."""
    bench: LightingBench

    @classmethod
    def check_task(cls, task: TaskConfig) -> None:
        super().check_task(task)
        if not task.scenes:
            raise TaskInvalid(f"{task.file.name}: a lighting task needs [[scenes]]")
        need = [f"{s.name}_{what}" for s in task.scenes for what in ("mean_lx", "u0")]
        missing = [n for n in need if n not in task.limits]
        if missing:
            raise TaskInvalid(f"{task.file.name}: limits missing for {missing}")
        p = {**cls.parameters, **task.parameters}
        if p["ansi_nominal_cct"]:
            try:
                ansi_c78377_quadrangle(int(p["ansi_nominal_cct"]), p["ansi_duv_tolerance"])
            except AnalysisError as exc:
                raise TaskInvalid(f"{task.file.name}: parameters.ansi_nominal_cct: {exc}") from None
        for name, low, high in (
            ("dali_curve_low_arc", 1, 253),
            ("dali_curve_steps", 2, 254),
            ("dali_query_address", 0, 63),
        ):
            if not (low <= p[name] <= high and p[name] == int(p[name])):
                raise TaskInvalid(
                    f"{task.file.name}: parameters.{name} {p[name]:g} must be a whole number "
                    f"in {low}..{high}"
                )
        for name, window in (
            ("response_time_s", p["response_window_s"]),
            ("occupancy_on_s", p["occupancy_on_timeout_s"]),
            ("occupancy_off_s", p["occupancy_off_timeout_s"]),
        ):
            limits = task.limits.get(name)
            if limits is not None and (limits.high is None or limits.high >= window):
                raise TaskInvalid(
                    f"{task.file.name}: limits.{name}.high must be set and below the time the "
                    f"procedure waits for it ({window:g} s)"
                )

    # -- the run ---------------------------------------------------------------------------
    def uncertainty(self, name: str, value: float) -> float | None:
        """U (k = 2) from the bench's budget (see :mod:`.light_uncertainty`)."""
        budget = self.bench.uncertainty
        if budget is None:
            return None
        return lighting_u(budget, name, value, self._raw, self.params, list(self.bench.zones))

    def execute(self, result: ProcedureResult) -> None:
        self._scene_level: dict[str, float] = {}
        self._raw: dict[str, list[float]] = {"grid_n": [float(len(self.bench.grid))]}
        self._recall(int(self.params["off_scene"]), "dark")
        for scene in self.task.scenes:
            result.measurements += self._scene(scene)
        if any(self.has_limits(k) for k in DALI_CURVE_KEYS):
            result.measurements += self._dali_curve()
        if self.has_limits("response_time_s"):
            result.measurements.append(self._response(self.task.scenes[0]))
        if self.has_limits("occupancy_on_s") or self.has_limits("occupancy_off_s"):
            result.measurements += self._occupancy(self.task.scenes[0])

    def teardown(self) -> None:
        bench = self.bench
        safely(
            lambda: bench.panel.write_pin(bench.presence_pin, False),
            lambda: press(bench, int(self.params["off_scene"]), self.clock),
            bench.panel.all_off,
        )

    def _recall(self, scene: int, phase: str) -> None:
        """Press a scene button, wait ``settle_s``, then until the photodiode reads steady
        (two readings ``settle_poll_s`` apart within 1 %, at most ``settle_max_s``)."""
        p = self.params
        press(self.bench, scene, self.clock)
        self.live(phase, {"scene_n": float(scene)})
        self.wait(p["settle_s"])
        start = self.clock.monotonic()
        last = self.bench.photodiode.read()
        while self.clock.monotonic() - start < p["settle_max_s"]:
            self.wait(p["settle_poll_s"])
            now = self.bench.photodiode.read()
            if abs(now - last) <= 0.01 * max(abs(now), 1.0):
                return
            last = now

    # -- scenes ----------------------------------------------------------------------------
    def _scene(self, scene: SceneSpec) -> list[Measurement]:
        bench = self.bench
        self._recall(scene.number, f"scene_{scene.name}")
        lux: list[float] = []
        start = self.clock.monotonic()
        for k, sensor in enumerate(bench.grid):
            self.check_stop()
            lux.append(sensor.measure_lx())
            self.progress(
                f"scene_{scene.name}",
                {"illuminance_lx": lux[-1]},
                fraction=(k + 1) / len(bench.grid),
                elapsed_s=self.clock.monotonic() - start,
            )
        self._scene_level[scene.name] = bench.photodiode.read()
        curve = f"scene_{scene.name}"
        self.curve(
            curve,
            {
                "x_m": [p[0] for p in bench.grid_positions],
                "y_m": [p[1] for p in bench.grid_positions],
                "illuminance_lx": lux,
            },
        )
        out: list[Measurement] = []
        self._raw[curve.replace("scene_", "grid_", 1)] = lux
        stats = illuminance_grid_stats(np.maximum(np.array(lux), 0.0))
        out.append(self.judge(f"{scene.name}_mean_lx", stats.mean_lx, curve))
        out.append(self.judge(f"{scene.name}_u0", stats.u0, curve))
        if self.has_limits(f"{scene.name}_min_lx"):
            out.append(self.judge(f"{scene.name}_min_lx", stats.min_lx, curve))
        cct_key, duv_key = f"{scene.name}_cct_k", f"{scene.name}_duv"
        nominal = int(self.params["ansi_nominal_cct"])
        for zone, colour_sensor in bench.zones.items():
            if not (self.has_limits(cct_key) or self.has_limits(duv_key) or nominal):
                break
            colour = colour_sensor.read_colour()
            if nominal:
                out.append(self._ansi(scene.name, zone, nominal, colour))
            self.live(
                f"scene_{scene.name}",
                {f"{zone}_cct_k": colour.cct_k, f"{zone}_lx": colour.illuminance_lx},
            )
            zone_curve = f"zone_{scene.name}_{zone}"  # the reading, for an appeal
            raw: dict[str, list[float]] = {"illuminance_lx": [colour.illuminance_lx]}
            if colour.xy is not None:
                raw |= {"x": [colour.xy[0]], "y": [colour.xy[1]]}
            elif colour.cct_k is not None:
                raw["cct_k"] = [colour.cct_k]
            self.curve(zone_curve, raw)
            if self.has_limits(cct_key):
                name = f"{scene.name}_{zone}_cct_k"
                if colour.cct_k is None:
                    out.append(self.not_measured(name, "no light in the zone", limits_key=cct_key))
                else:
                    out.append(self.judge(name, colour.cct_k, zone_curve, limits_key=cct_key))
            if self.has_limits(duv_key) and colour.duv is not None:
                name = f"{scene.name}_{zone}_duv"
                out.append(self.judge(name, colour.duv, zone_curve, limits_key=duv_key))
        return out

    def _ansi(self, scene: str, zone: str, nominal: int, colour: ColourReading) -> Measurement:
        """``<scene>_<zone>_ansi_c78377_ratio`` (limits ``<scene>_ansi_c78377_ratio`` if the
        task sets them, else high = 1), raw curve ``<scene>_<zone>_ansi_c78377``."""
        name = f"{scene}_{zone}_ansi_c78377_ratio"
        limits = self.task.limits.get(f"{scene}_ansi_c78377_ratio", ANSI_LIMITS)
        if colour.xy is None:
            return no_chromaticity(name, limits)
        tolerance = self.params["ansi_duv_tolerance"]
        curve = f"{scene}_{zone}_ansi_c78377"
        self.curve(curve, ansi_curve(colour.xy, colour.cct_k, colour.duv, nominal, tolerance))
        return judge_ansi_c78377(name, colour.xy, nominal, tolerance, limits, curve)

    # -- DALI dimming curve ----------------------------------------------------------------
    def _dali_curve(self) -> list[Measurement]:
        bench, p = self.bench, self.params
        if bench.dali is None:
            raise RuntimeError("the task checks the DALI curve; the bench has no DALI interface")
        dali = bench.dali
        low, steps = int(p["dali_curve_low_arc"]), max(2, int(p["dali_curve_steps"]))
        levels = sorted({int(round(v)) for v in np.linspace(low, 254, steps)})
        query = int(p["dali_query_address"])
        dali.off()
        self._dali_settle(0, query)
        dark = self._grid_mean_lx()
        lux: list[float] = []
        actual: list[int | None] = []
        start = self.clock.monotonic()
        for k, level in enumerate(levels):
            self.check_stop()
            dali.direct_arc_power(level)
            actual.append(self._dali_settle(level, query))
            lux.append(self._grid_mean_lx())
            self.progress(
                "dali_curve",
                {"arc_level": float(level), "illuminance_lx": lux[-1]},
                fraction=(k + 1) / len(levels),
                elapsed_s=self.clock.monotonic() - start,
            )
        dali.off()
        self.curve(
            "dali_curve",
            {
                "arc_level": [float(n) for n in levels],
                "actual_level": [-1.0 if a is None else float(a) for a in actual],
                "illuminance_lx": lux,
                "dark_lx": [dark] * len(levels),
            },
        )
        wanted = [k for k in DALI_CURVE_KEYS if self.has_limits(k)]
        self._raw |= {"dali_level": [float(n) for n in levels], "dali_lx": lux}
        self._raw["dali_dark_lx"] = [dark]
        try:
            check = check_dali_curve(levels, lux, dark)
        except AnalysisError as exc:
            return [self.not_measured(k, str(exc)) for k in wanted]
        wrong = [
            f"{n}->{'none' if a is None else a}"
            for n, a in zip(levels, actual, strict=True)
            if a != n
        ]
        note = f"; QUERY ACTUAL LEVEL disagrees ({', '.join(wrong)})" if wrong else ""
        values = {
            "dali_curve_slope_ratio": check.slope_ratio,
            "dali_curve_error_pct": check.error_pct,
        }
        self.live("dali_curve", dict(values))
        return [
            self.judge(
                k,
                values[k],
                "dali_curve",
                reason=f"{k} {values[k]:.3g}: light does not follow the IEC 62386-102 "
                f"logarithmic curve at arc levels {levels[0]}..{levels[-1]}{note}",
            )
            for k in wanted
        ]

    def _grid_mean_lx(self) -> float:
        """Mean illuminance over the grid sensors now, lx."""
        readings = []
        for sensor in self.bench.grid:
            self.check_stop()
            readings.append(sensor.measure_lx())
        return float(np.mean(readings))

    def _dali_settle(self, level: int, query: int) -> int | None:
        """Wait ``dali_curve_settle_s``, then until QUERY ACTUAL LEVEL of ``query`` reads
        ``level`` (the fade is over; polled every ``settle_poll_s``, at most
        ``settle_max_s``); return the last level read (None: no answer)."""
        p, dali = self.params, self.bench.dali
        assert dali is not None
        self.wait(p["dali_curve_settle_s"])
        start = self.clock.monotonic()
        actual = dali.query_actual_level(query)
        # no answer (None): no gear at that address to wait for; the light is read anyway
        while actual not in (level, None) and self.clock.monotonic() - start < p["settle_max_s"]:
            self.wait(p["settle_poll_s"])
            actual = dali.query_actual_level(query)
        return actual

    # -- response --------------------------------------------------------------------------
    def _response(self, scene: SceneSpec) -> Measurement:
        bench, p = self.bench, self.params
        self._recall(int(p["off_scene"]), "response")
        dark = bench.photodiode.read()
        rate = int(p["response_rate_sps"])
        n = max(16, int(p["response_window_s"] * rate))
        pressed = press(bench, scene.number, self.clock)
        started = self.clock.monotonic()
        light = bench.photodiode.capture(n, rate)
        t = (started - pressed) + (np.arange(n) + 1.5) / rate
        self.curve(
            "response", {"t_s": [float(v) for v in t], "illuminance_lx": list(map(float, light))}
        )
        window = float(t[-1])
        final = float(np.median(light[-max(1, n // 10) :]))
        level = self._scene_level.get(scene.name, final)
        self.curve("response_levels", {"dark_lx": [dark], "scene_lx": [level]})
        if final - dark < 0.2 * max(level - dark, 1.0):
            return self.judge(
                "response_time_s",
                window,
                "response",
                reason=f"response_time_s: no light {window:.1f} s after recalling scene "
                f"{scene.name!r}",
            )
        k = settle_index(light, tolerance=p["response_tolerance"] * abs(final - dark))
        if k is None:
            return self.judge(
                "response_time_s",
                window,
                "response",
                reason=f"response_time_s: the light did not settle within {window:.1f} s",
            )
        value = float(t[k])
        self.live("response", {"response_time_s": value})
        return self.judge("response_time_s", value, "response")

    # -- occupancy -------------------------------------------------------------------------
    def _occupancy(self, scene: SceneSpec) -> list[Measurement]:
        bench, p = self.bench, self.params
        self._recall(int(p["off_scene"]), "occupancy")
        level = self._scene_level[scene.name]
        dark = bench.photodiode.read()
        threshold = dark + p["occupancy_threshold"] * (level - dark)
        self.curve("occupancy_levels", {"dark_lx": [dark], "scene_lx": [level]})
        stream = CurveStream(self.curve, "occupancy", ["t_s", "illuminance_lx", "presence"])
        t0 = self.clock.monotonic()
        bench.panel.write_pin(bench.presence_pin, True)
        on_s = self._until(
            stream,
            t0,
            1.0,
            lambda lx: lx >= threshold,
            p["occupancy_on_timeout_s"],
            p["occupancy_poll_s"],
        )
        out: list[Measurement] = []
        if on_s is None:
            bench.panel.write_pin(bench.presence_pin, False)
            timeout = p["occupancy_on_timeout_s"]
            if self.has_limits("occupancy_on_s"):
                out.append(
                    self.judge(
                        "occupancy_on_s",
                        timeout,
                        "occupancy",
                        reason=f"occupancy_on_s: no light {timeout:g} s after presence",
                    )
                )
            if self.has_limits("occupancy_off_s"):
                out.append(
                    self.not_measured("occupancy_off_s", "the light never switched on by presence")
                )
            stream.flush()
            return out
        if self.has_limits("occupancy_on_s"):
            out.append(self.judge("occupancy_on_s", on_s, "occupancy"))
        self.live("occupancy", {"occupancy_on_s": on_s})
        if self.has_limits("occupancy_off_s"):
            t1 = self.clock.monotonic()
            bench.panel.write_pin(bench.presence_pin, False)
            off_s = self._until(
                stream,
                t1,
                0.0,
                lambda lx: lx < threshold,
                p["occupancy_off_timeout_s"],
                p["occupancy_off_poll_s"],
            )
            timeout = p["occupancy_off_timeout_s"]
            if off_s is None:
                out.append(
                    self.judge(
                        "occupancy_off_s",
                        timeout,
                        "occupancy",
                        reason=f"occupancy_off_s: still lit {timeout:g} s after the area was left",
                    )
                )
            else:
                out.append(self.judge("occupancy_off_s", off_s, "occupancy"))
        bench.panel.write_pin(bench.presence_pin, False)
        stream.flush()
        return out

    def _until(
        self,
        stream: CurveStream,
        t0: float,
        presence: float,
        done: Callable[[float], bool],
        timeout_s: float,
        poll_s: float,
    ) -> float | None:
        """Poll the photodiode until ``done(lux)``; return seconds since ``t0`` or None."""
        while (elapsed := self.clock.monotonic() - t0) <= timeout_s:
            lux = self.bench.photodiode.read()
            stream.append(t_s=elapsed, illuminance_lx=lux, presence=presence)
            if done(lux):
                return elapsed
            self.progress(
                "occupancy",
                {"illuminance_lx": lux, "presence_on": presence},
                fraction=elapsed / timeout_s,
                elapsed_s=elapsed,
            )
            self.wait(poll_s)
        return None
