"""Benchmark of the LED screen analysis on 12-megapixel photos; every figure is measured here.

A 128 x 64 LED screen (4 x 4 modules, faults of the ``mixed`` scenario) is rendered by the
simulator as a 4000 x 3000 camera would photograph it 15 degrees off axis (about 25 pixels
per LED). Timed (median of ``REPEATS``):

- one photo: registration of the registration photo (blob search, homography);
- one photo: sampling of a full-field photo into its LED map;
- the whole analysis of a run: registration, sampling of the 10 other photos and judging the
  maps;
- ``screen_analysis_s_12mp`` (target under 1 s on this machine): one 12 MP photo analysed from
  scratch, registration plus sampling (the conservative figure; a run's photos share one
  registration, so its cost per photo is lower, printed as well);
- baseline, same run: one area-average pass over a 12 MP photo (cv2.resize), the least work
  any analysis of the photo must do, and the analysis's ratio to it.

Run: ``.venv/bin/python bench/bench_screen.py`` (rendering the photos takes most of the time,
about 30-60 s). The last line is ``screen_analysis_s_12mp: S``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2

from benchscore.analysis.led_screen import ScreenLayout, analyse_maps, sample_photos
from benchscore.analysis.led_screen.patterns import analysis_patterns, pattern
from benchscore.analysis.led_screen.register import find_screen
from benchscore.analysis.led_screen.sample import sample_leds
from benchscore.sim.led_screen import CameraModel, SimCamera, SimPatternOutput, SimScreen
from benchscore.sim.led_screen.scenarios import faults_for

REPEATS = 5
LAYOUT = ScreenLayout(128, 64, 32, 16)


def median_time(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    t0 = time.perf_counter()
    screen = SimScreen(LAYOUT, faults_for("mixed", LAYOUT, 0), seed=1)
    out = SimPatternOutput(screen)
    model = CameraModel(image_w=4000, image_h=3000, yaw_deg=15.0, supersample=1, exposure=0.2)
    cam = SimCamera(out, model, seed=2)
    photos = {}
    for name in analysis_patterns(LAYOUT):
        out.show(pattern(LAYOUT, name))
        photos[name] = cam.capture()
    h_px, w_px = photos["white"].shape[:2]
    print(
        f"rendered {len(photos)} photos of {w_px} x {h_px} ({w_px * h_px / 1e6:.1f} MP) "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    def whole() -> None:
        _, maps = sample_photos(photos, LAYOUT, 255)
        analyse_maps(maps, LAYOUT)

    _, maps = sample_photos(photos, LAYOUT, 255)
    found = analyse_maps(maps, LAYOUT).findings
    truth = set(screen.truth)
    assert set(found) == truth, (sorted(truth - set(found)), sorted(set(found) - truth))
    print(f"findings: {len(found)}, all injected faults and nothing else")

    h = find_screen(photos["registration"], LAYOUT)
    reg = median_time(lambda: find_screen(photos["registration"], LAYOUT))
    one = median_time(lambda: sample_leds(photos["white"], h, LAYOUT, 255))
    total = median_time(whole)
    white = photos["white"]
    base = median_time(
        lambda: cv2.resize(white, (w_px // 6, h_px // 6), interpolation=cv2.INTER_AREA)
    )
    print(f"registration of one 12 MP photo: {reg * 1e3:.0f} ms")
    print(f"sampling of one 12 MP photo into its LED map: {one * 1e3:.0f} ms")
    print(f"baseline (one area-average pass over a 12 MP photo): {base * 1e3:.1f} ms")
    print(f"whole analysis ({len(photos)} photos) / baseline: {total / base:.0f}x")
    print(f"cores: {cv2.getNumberOfCPUs()}, OpenCV {cv2.__version__}")
    print(f"whole analysis of the run's {len(photos)} photos: {total:.3f} s")
    print(f"per photo within a run (one registration shared): {total / len(photos):.3f} s")
    print(f"screen_analysis_s_12mp: {reg + one:.3f}")


if __name__ == "__main__":
    main()
