"""The LED screen analysis on photos rendered by the simulator: every injected fault found,
none invented, at three camera poses with noise (issue 14's acceptance)."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis.led_screen import (
    ColourMatrix,
    Finding,
    Kind,
    ScreenLayout,
    analyse_maps,
    sample_photos,
)
from benchscore.analysis.led_screen.patterns import analysis_patterns, pattern
from benchscore.sim.led_screen import CameraModel, SimCamera, SimPatternOutput, SimScreen
from benchscore.sim.led_screen.scenarios import random_pixels

pytest.importorskip("cv2")

LAYOUT = ScreenLayout(128, 64, 32, 16)
F, K = Finding, Kind


def photos(screen: SimScreen, model: CameraModel, seed: int = 7) -> dict[str, np.ndarray]:
    out = SimPatternOutput(screen)
    cam = SimCamera(out, model, seed=seed)
    shots = {}
    for name in analysis_patterns(screen.layout):
        out.show(pattern(screen.layout, name))
        shots[name] = cam.capture()
    return shots


def installation_faults(seed: int) -> list[Finding]:
    """Up to 50 dead / stuck / dim dies, a dead module, a dead row, swapped channels and a
    misplaced (swapped) pair of modules."""
    dead_module, row_y = 5, 40
    faults = [
        F(K.DEAD_MODULE, module=dead_module),
        F(K.ROW_OUT, x=64, x2=95, y=row_y, y2=row_y, colours="rgb"),
        F(K.SWAPPED_CHANNELS, module=2, detail="GRB"),
        F(K.MISPLACED_MODULE, module=9, detail="14"),
        F(K.MISPLACED_MODULE, module=14, detail="9"),
    ]
    pixels = random_pixels(LAYOUT, 50, np.random.default_rng(seed), avoid={dead_module})
    faults += [p for p in pixels if abs(p.y - row_y) > 1][:45]
    return faults


@pytest.mark.parametrize("yaw", [0.0, 15.0, 30.0])
def test_every_injected_fault_found_and_no_false_ones(yaw: float) -> None:
    screen = SimScreen(LAYOUT, installation_faults(seed=int(yaw)), seed=3)
    assert sum(f.kind in (K.DEAD_PIXEL, K.STUCK_PIXEL, K.DIM_PIXEL) for f in screen.truth) >= 40
    shots = photos(screen, CameraModel(yaw_deg=yaw, pitch_deg=3.0, noise=True))
    _, maps = sample_photos(shots, LAYOUT, 255)
    report = analyse_maps(maps, LAYOUT)
    found, truth = set(report.findings), set(screen.truth)
    assert truth - found == set(), f"missed: {sorted(truth - found)}"
    assert found - truth == set(), f"false: {sorted(found - truth)}"
    dead_leds = LAYOUT.module_w * LAYOUT.module_h + 32
    assert report.failed_rate > dead_leds / LAYOUT.width / LAYOUT.height


def test_good_screen_has_no_findings_and_uniform_colour() -> None:
    screen = SimScreen(LAYOUT, seed=11)
    shots = photos(screen, CameraModel(yaw_deg=20.0))
    _, maps = sample_photos(shots, LAYOUT, 255)
    # the simulated camera's true matrix: XYZ = P @ dies, camera = exposure * C @ dies
    from benchscore.sim.led_screen.render import DEFAULT_RESPONSE
    from benchscore.sim.led_screen.scenarios import PEAK_WHITE_CD_M2, PRIMARIES_XYZ

    m = np.asarray(PRIMARIES_XYZ) @ np.linalg.inv(np.asarray(DEFAULT_RESPONSE))
    m *= PEAK_WHITE_CD_M2 / CameraModel().exposure
    matrix = ColourMatrix(tuple((float(r[0]), float(r[1]), float(r[2])) for r in m))
    report = analyse_maps(maps, LAYOUT, calibration=matrix)
    assert report.findings == []
    assert report.failed_rate == 0.0
    assert report.uniformity is not None
    assert report.uniformity.luminance_pct > 97.0
    assert report.uniformity.colour_duv is not None and report.uniformity.colour_duv < 0.004
    assert report.uniformity.mean_luminance == pytest.approx(PEAK_WHITE_CD_M2, rel=0.06)


def test_rotated_module_column_out_dim_module_and_a_dead_corner() -> None:
    faults = [
        F(K.ROTATED_MODULE, module=6, detail="rotated 180"),
        F(K.ROTATED_MODULE, module=9, detail="mirrored left-right"),
        F(K.COLUMN_OUT, x=70, x2=70, y=16, y2=31, colours="g"),
        F(K.DIM_MODULE, module=13, detail="0.5"),
        F(K.DEAD_MODULE, module=0),  # takes the top-left corner marker away
    ]
    screen = SimScreen(LAYOUT, faults, seed=5)
    shots = photos(screen, CameraModel(yaw_deg=-15.0))
    _, maps = sample_photos(shots, LAYOUT, 255)
    report = analyse_maps(maps, LAYOUT)
    found = {(f.kind, f.module, f.x, f.colours) for f in report.findings}
    assert found == {
        (K.ROTATED_MODULE, 6, -1, ""),
        (K.ROTATED_MODULE, 9, -1, ""),
        (K.COLUMN_OUT, -1, 70, "g"),
        (K.DIM_MODULE, 13, -1, ""),
        (K.DEAD_MODULE, 0, -1, ""),
    }
    assert report.uniformity is not None and report.uniformity.luminance_pct < 70


def test_blank_photo_is_a_plain_error() -> None:
    screen = SimScreen(LAYOUT, [F(K.DEAD_MODULE, module=k) for k in range(LAYOUT.modules)])
    shots = photos(screen, CameraModel(noise=False))
    with pytest.raises(AnalysisError, match="registration"):
        sample_photos(shots, LAYOUT, 255)


def test_layout_must_add_up() -> None:
    with pytest.raises(AnalysisError, match="whole number"):
        ScreenLayout(100, 64, 32, 16)


def test_a_dark_receiving_card_region_is_one_finding() -> None:
    # the card of the top-right 2 x 2 modules: the top-right corner marker is gone too
    screen = SimScreen(LAYOUT, [F(K.DEAD_CARD, module=2, detail="2x2")], seed=2)
    shots = photos(screen, CameraModel(yaw_deg=15.0))
    _, maps = sample_photos(shots, LAYOUT, 255)
    assert analyse_maps(maps, LAYOUT, card=(2, 2)).findings == list(screen.truth)
    modules = analyse_maps(maps, LAYOUT).findings  # without card regions: four modules
    assert [(f.kind, f.module) for f in modules] == [(K.DEAD_MODULE, k) for k in (2, 3, 6, 7)]


@pytest.mark.parametrize("k1", [-0.06, 0.06])
def test_lens_distortion_is_corrected(k1: float) -> None:
    # barrel / pincushion moves the screen's corners by several pitches
    screen = SimScreen(LAYOUT, installation_faults(seed=9), seed=4)
    shots = photos(screen, CameraModel(yaw_deg=15.0, k1=k1, fill=0.9))
    _, maps = sample_photos(shots, LAYOUT, 255)
    report = analyse_maps(maps, LAYOUT)
    assert set(report.findings) == set(screen.truth)
