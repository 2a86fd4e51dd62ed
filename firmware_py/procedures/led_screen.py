"""``led_screen``: photograph test patterns on a contestant's LED display screen and judge it.

The station is the screen's video source: its pattern output shows each pattern of
:func:`~benchscore.analysis.led_screen.patterns.analysis_patterns` (registration, black,
red, green, blue, white, the module sweep) and the camera photographs it at a fixed exposure
(``exposure_us``, ``gain``) after ``settle_s``. The analysis
(:mod:`benchscore.analysis.led_screen`) finds the screen on the registration photo, samples
every LED of every other photo into an LED map and judges the maps. Measurements (each
judged only when the task sets its limits; ``failed_pixel_rate`` always):

- ``failed_pixel_rate``, ``regional_failed_pixel_rate`` (worst 100 x 100, SJ/T 11141);
- counts: ``dead_pixels``, ``stuck_pixels``, ``dim_pixels``, ``dead_modules``,
  ``dim_modules``, ``lines_out``, ``swapped_channel_modules``, ``misplaced_modules``
  (misplaced or turned);
- ``luminance_uniformity_pct`` across modules, ``colour_uniformity_duv`` (u'v', needs the
  camera's colour calibration), ``white_luminance_cd_m2``.

Raw data: every LED map is a curve ``ledmap_<pattern>`` (columns r, g, b: the camera's mean
signal per LED in fractions of full scale, LED by LED row-major), the camera's colour matrix
the curve ``camera_matrix``; an appeal re-runs :func:`analyse_maps` on them. Evidence: JPEG
photos with the findings drawn (``image_white``: all but stuck dies, ``image_black``: stuck
dies, ``image_red``: channel order), carried as image curves (:mod:`benchscore.image_curve`).

Uncertainty: ``white_luminance_cd_m2`` carries the camera calibration's relative U of a
luminance, ``colour_uniformity_duv`` sqrt(2) times its U of a u'v' coordinate (a spread of
two chromaticities the same camera read; conservative, as their common error cancels). The
counts and rates are classifications of LEDs (a finding, not a reading with an error) and
``luminance_uniformity_pct`` a ratio of one camera's readings whose gain cancels and whose
per-LED noise the calibration does not give: no U stated for those.

A screen the registration cannot find (dark, or not in the picture) fails every measurement
with the reason; a camera or output that does not answer is a bench fault.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from benchscore import image_curve
from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen import (
    ColourMatrix,
    Kind,
    ScreenLayout,
    ScreenReport,
    analyse_maps,
    sample_photos,
)
from benchscore.analysis.led_screen.params import DEFAULTS, card_from, thresholds_from
from benchscore.analysis.led_screen.params import layout_from as params_layout
from benchscore.analysis.led_screen.patterns import analysis_patterns, pattern
from benchscore.analysis.led_screen.register import ScreenMap
from benchscore.analysis.led_screen.report import summary, values
from firmware_py.procedures.base import Procedure, ProcedureResult, TaskInvalid, safely

if TYPE_CHECKING:
    from firmware_py.config import TaskConfig

__all__ = ["LEDScreenProcedure", "ScreenBench", "layout_from"]


class ScreenOutput(Protocol):
    def show(self, frame: npt.NDArray[np.float32]) -> None: ...


class ScreenCamera(Protocol):
    @property
    def full_scale(self) -> int: ...

    def set_exposure(self, exposure_us: int, gain: float = 1.0) -> None: ...

    def capture(self) -> npt.NDArray[Any]: ...


@dataclass
class ScreenBench:
    """The hardware ``led_screen`` needs, injected by the station."""

    output: ScreenOutput
    camera: ScreenCamera
    colour_matrix: ColourMatrix | None = None
    """The camera's active colour calibration (at the calibration's exposure)."""
    calibration_exposure_us: int = 0
    calibration_gain: float = 1.0
    calibrations: Iterable[str] = field(default_factory=tuple)
    uncertainty_luminance: float | None = None
    """The camera calibration's relative U (k = 2) of a luminance (None: no calibration)."""
    uncertainty_uv: float | None = None
    """The camera calibration's U (k = 2) of a u'v' coordinate (None: no calibration)."""


MEASUREMENTS = (
    "failed_pixel_rate",
    "regional_failed_pixel_rate",
    "dead_pixels",
    "stuck_pixels",
    "dim_pixels",
    "dead_modules",
    "dead_cards",
    "dim_modules",
    "lines_out",
    "swapped_channel_modules",
    "misplaced_modules",
    "luminance_uniformity_pct",
    "colour_uniformity_duv",
    "white_luminance_cd_m2",
)
_FAILED = (
    Kind.DEAD_MODULE,
    Kind.DEAD_CARD,
    Kind.ROW_OUT,
    Kind.COLUMN_OUT,
    Kind.DEAD_PIXEL,
    Kind.STUCK_PIXEL,
)
EXPLAINED_BY: dict[str, tuple[Kind, ...]] = {
    "failed_pixel_rate": _FAILED,
    "dead_pixels": (Kind.DEAD_PIXEL,),
    "stuck_pixels": (Kind.STUCK_PIXEL,),
    "dim_pixels": (Kind.DIM_PIXEL,),
    "dead_modules": (Kind.DEAD_MODULE,),
    "dead_cards": (Kind.DEAD_CARD,),
    "dim_modules": (Kind.DIM_MODULE,),
    "lines_out": (Kind.ROW_OUT, Kind.COLUMN_OUT),
    "swapped_channel_modules": (Kind.SWAPPED_CHANNELS,),
    "misplaced_modules": (Kind.MISPLACED_MODULE, Kind.ROTATED_MODULE),
    "luminance_uniformity_pct": (Kind.DIM_MODULE,),
}
"""The findings that explain a failed measurement (its reason lists them)."""


def layout_from(task: TaskConfig) -> ScreenLayout:
    """The screen layout of a task (AnalysisError if it does not add up)."""
    return params_layout(task.parameters)


def map_columns(leds: npt.NDArray[np.float64]) -> dict[str, list[float]]:
    flat = leds.reshape(-1, 3)
    return {c: flat[:, i].tolist() for i, c in enumerate("rgb")}


class LEDScreenProcedure(Procedure):
    name: ClassVar[str] = "led_screen"
    required_limits: ClassVar[tuple[str, ...]] = ("failed_pixel_rate",)
    parameters: ClassVar[dict[str, float]] = {
        **DEFAULTS,
        "exposure_us": 20000,
        "gain": 1.0,
        "settle_s": 0.05,
        "evidence_width_px": 960,
    }
    bench: ScreenBench

    @classmethod
    def check_task(cls, task: TaskConfig) -> None:
        super().check_task(task)
        try:
            layout_from(task)
        except AnalysisError as exc:
            raise TaskInvalid(f"{task.file.name}: {exc}") from None
        unknown = sorted(set(task.limits) - set(MEASUREMENTS))
        if unknown:
            raise TaskInvalid(
                f"{task.file.name}: led_screen measures none of {unknown}; it measures "
                f"{list(MEASUREMENTS)}"
            )

    def execute(self, result: ProcedureResult) -> None:
        layout = layout_from(self.task)
        bench = self.bench
        exposure = int(self.params["exposure_us"])
        bench.camera.set_exposure(exposure, float(self.params["gain"]))
        names = analysis_patterns(layout)
        photos: dict[str, npt.NDArray[Any]] = {}
        t0 = self.clock.monotonic()
        for i, name in enumerate(names):
            self.check_stop()
            bench.output.show(pattern(layout, name))
            self.wait(self.params["settle_s"])
            photos[name] = bench.camera.capture()
            self.progress(
                "photos",
                {"pattern": float(i)},
                fraction=(i + 1) / len(names),
                elapsed_s=self.clock.monotonic() - t0,
                force=True,
            )
        bench.output.show(pattern(layout, "black"))
        full = float(bench.camera.full_scale)
        started = time.perf_counter()
        try:
            h, maps = sample_photos(photos, layout, full)
        except AnalysisError as exc:
            self._evidence_plain("image_registration", photos["registration"], full)
            reason = f"the screen was not found in the photo: {exc}"
            result.measurements += [
                self.not_measured(n, reason) for n in MEASUREMENTS if self.has_limits(n)
            ]
            return
        matrix = bench.colour_matrix
        if matrix is not None and bench.calibration_exposure_us:
            gain = float(self.params["gain"])
            scale = bench.calibration_exposure_us * bench.calibration_gain / (exposure * gain)
            m = matrix.array() * scale
            rows = tuple((float(r[0]), float(r[1]), float(r[2])) for r in m)
            matrix = ColourMatrix(rows, matrix.id)
        report = analyse_maps(
            maps, layout, thresholds_from(self.params), matrix, card_from(self.params)
        )
        analysis_s = time.perf_counter() - started
        for name, leds in maps.items():
            self.curve(f"ledmap_{name}", map_columns(leds))
        if matrix is not None:
            m = matrix.array().ravel()
            self.curve("camera_matrix", {f"m{i}": [float(v)] for i, v in enumerate(m)})
        self._evidence(photos, h, layout, report, full)
        got = values(report)
        self.live(
            "analysis",
            {
                "failed_pixel_rate": report.failed_rate,
                "findings": float(len(report.findings)),
                "analysis_s": round(analysis_s, 3),
            },
        )
        for name in MEASUREMENTS:
            if not self.has_limits(name):
                continue
            value = got[name]
            if value is None:
                cause = (
                    "no colour calibration of the camera"
                    if "colour" in name
                    else "no module lights"
                )
                result.measurements.append(self.not_measured(name, cause))
                continue
            kinds = EXPLAINED_BY.get(name, ())
            why = summary([f for f in report.findings if f.kind in kinds]) if kinds else ""
            reason = f"{name} {value:.4g}" + (f": {why}" if why else "")
            result.measurements.append(self.judge(name, value, "ledmap_white", reason=reason))

    def uncertainty(self, name: str, value: float) -> float | None:
        """U (k = 2) from the camera calibration (see the module doc); None without one."""
        b = self.bench
        if name == "white_luminance_cd_m2" and b.uncertainty_luminance is not None:
            return b.uncertainty_luminance * abs(value)
        if name == "colour_uniformity_duv" and b.uncertainty_uv is not None:
            return math.sqrt(2.0) * b.uncertainty_uv
        return None

    # -- evidence --------------------------------------------------------------------------
    def _evidence(
        self,
        photos: dict[str, npt.NDArray[Any]],
        h: ScreenMap,
        layout: ScreenLayout,
        report: ScreenReport,
        full: float,
    ) -> None:
        from benchscore.analysis.led_screen.evidence import annotate

        width = int(self.params["evidence_width_px"])
        stuck = [f for f in report.findings if f.kind is Kind.STUCK_PIXEL]
        swapped = [f for f in report.findings if f.kind is Kind.SWAPPED_CHANNELS]
        rest = [f for f in report.findings if f.kind is not Kind.STUCK_PIXEL]
        for name, photo, found, gain in (
            ("image_white", photos["white"], rest, 1.5),
            ("image_black", photos["black"], stuck, 4.0),
            ("image_red", photos["red"], swapped, 1.5),
        ):
            jpeg = annotate(photo, h, layout, found, full_scale=full, width=width, gain=gain)
            self.curve(name, image_curve.to_columns(jpeg))

    def _evidence_plain(self, name: str, photo: npt.NDArray[Any], full: float) -> None:
        from benchscore.analysis.led_screen.evidence import picture

        jpeg = picture(photo, full_scale=full, width=int(self.params["evidence_width_px"]))
        self.curve(name, image_curve.to_columns(jpeg))

    def teardown(self) -> None:
        layout = layout_from(self.task)
        safely(lambda: self.bench.output.show(pattern(layout, "black")))
