"""The whole analysis of one screen: photos -> LED maps -> findings, rates, uniformity.

:func:`sample_photos` registers the screen on the registration photo and samples every other
photo into an LED map (rounded to :data:`MAP_DECIMALS`, the precision the maps are stored
with); :func:`analyse_maps` judges the maps. An appeal calls :func:`analyse_maps` on the
stored maps and gets exactly the station's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.channels import IDENTITY, channel_order, order_name, responses
from benchscore.analysis.led_screen.detect import (
    Thresholds,
    card_regions,
    die_maps,
    lines_out,
    module_state,
    pixel_findings,
)
from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.patterns import analysis_patterns
from benchscore.analysis.led_screen.register import ScreenMap, find_screen
from benchscore.analysis.led_screen.sample import Sampler
from benchscore.analysis.led_screen.signals import F64, Signals, module_median
from benchscore.analysis.led_screen.sweep import decode_sweep
from benchscore.analysis.led_screen.uniformity import ColourMatrix, UniformityResult, uniformity
from benchscore.analysis.screen import failed_pixel_rate, regional_failed_pixel_rate

MAP_DECIMALS = 4
"""LED maps are kept to 1e-4 of full scale (what a curve stores them as; an 8-bit camera's
step is 4e-3, a cell averages about 16 of its pixels)."""


@dataclass
class ScreenReport:
    findings: list[Finding]
    failed: npt.NDArray[np.bool_]
    """(height, width): pixels out of control (any die dead or stuck), SJ/T 11141."""
    failed_rate: float
    regional_rate: float
    uniformity: UniformityResult | None
    orders: list[tuple[int, int, int]] = field(default_factory=list)

    def count(self, *kinds: Kind) -> int:
        return sum(1 for f in self.findings if f.kind in kinds)


def sample_photos(
    photos: Mapping[str, npt.NDArray[np.generic]], layout: ScreenLayout, full_scale: float
) -> tuple[ScreenMap, dict[str, F64]]:
    """(screen map, LED maps of every photo but the registration one)."""
    if "registration" not in photos:
        raise AnalysisError("no photo of the registration pattern")
    h = find_screen(photos["registration"], layout)
    sampler = Sampler(h, layout, np.shape(photos["registration"]))
    maps = {
        name: np.round(sampler.sample(img, full_scale), MAP_DECIMALS)
        for name, img in photos.items()
        if name != "registration"
    }
    return h, maps


def analyse_maps(
    maps: Mapping[str, F64],
    layout: ScreenLayout,
    th: Thresholds | None = None,
    calibration: ColourMatrix | None = None,
    card: tuple[int, int] = (0, 0),
) -> ScreenReport:
    """Judge the LED maps of :func:`~.patterns.analysis_patterns` (but registration);
    ``card``: modules across and down one receiving card drives ((0, 0): no card regions)."""
    th = th or Thresholds()
    sig = Signals(maps, layout)
    for name in analysis_patterns(layout)[1:]:
        sig.rgb(name)  # every map present and of the right shape
    white_rgb = module_median(sig.rgb("white"), layout)
    white = white_rgb.sum(axis=1)
    findings, dead_modules, _ = module_state(white, th)
    response = responses(sig, layout)
    orders = [
        IDENTITY if k in dead_modules else channel_order(response[k]) for k in range(layout.modules)
    ]
    for k, order in enumerate(orders):
        if order != IDENTITY:
            findings.append(Finding(Kind.SWAPPED_CHANNELS, module=k, detail=order_name(order)))
    dies = die_maps(sig, layout, orders, response, dead_modules, th)
    failed: npt.NDArray[np.bool_] = np.asarray(dies.dead.any(axis=2) | dies.stuck.any(axis=2))
    for k in dead_modules:
        rows, cols = layout.module_slices(k)
        failed[rows, cols] = True
    findings += lines_out(dies, layout, th)
    findings += pixel_findings(dies)
    placement, _ = decode_sweep(sig, layout, white, dead_modules)
    findings += placement
    findings = card_regions(findings, layout, card)
    live = [k for k in range(layout.modules) if k not in dead_modules]
    uni = uniformity(white_rgb, live, calibration) if live else None
    return ScreenReport(
        findings=sorted(findings),
        failed=failed,
        failed_rate=failed_pixel_rate(failed),
        regional_rate=regional_failed_pixel_rate(failed),
        uniformity=uni,
        orders=orders,
    )


def values(report: ScreenReport) -> dict[str, float | None]:
    """The measurements of a report by name (what the task's limits judge)."""
    u = report.uniformity
    return {
        "failed_pixel_rate": report.failed_rate,
        "regional_failed_pixel_rate": report.regional_rate,
        "dead_pixels": float(report.count(Kind.DEAD_PIXEL)),
        "stuck_pixels": float(report.count(Kind.STUCK_PIXEL)),
        "dim_pixels": float(report.count(Kind.DIM_PIXEL)),
        "dead_modules": float(report.count(Kind.DEAD_MODULE)),
        "dead_cards": float(report.count(Kind.DEAD_CARD)),
        "dim_modules": float(report.count(Kind.DIM_MODULE)),
        "lines_out": float(report.count(Kind.ROW_OUT, Kind.COLUMN_OUT)),
        "swapped_channel_modules": float(report.count(Kind.SWAPPED_CHANNELS)),
        "misplaced_modules": float(report.count(Kind.MISPLACED_MODULE, Kind.ROTATED_MODULE)),
        "luminance_uniformity_pct": None if u is None else u.luminance_pct,
        "colour_uniformity_duv": None if u is None else u.colour_duv,
        "white_luminance_cd_m2": None if u is None else u.mean_luminance,
    }


def summary(findings: list[Finding], most: int = 3) -> str:
    """Counts by kind and the first few findings, for a run's reason."""
    if not findings:
        return "no faults found"
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind.value] = counts.get(f.kind.value, 0) + 1
    head = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    first = "; ".join(f.describe() for f in findings[:most])
    return f"{head} ({first}{'; ...' if len(findings) > most else ''})"
