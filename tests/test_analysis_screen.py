"""LED screen failed-pixel rates and brightness uniformity."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import screen as sc


def test_failed_pixels_blind_and_stuck() -> None:
    red = np.full((200, 300), 100.0)
    green, blue = red.copy(), red.copy()
    black = np.zeros_like(red)
    green[10, 10] = 1.0  # a dead green die: the pixel fails
    black[150, 250] = 80.0  # stuck on
    failed = sc.failed_pixels([red, green, blue], black, on_threshold=50.0, off_threshold=5.0)
    assert failed.sum() == 2
    assert sc.failed_pixel_rate(failed) == pytest.approx(2 / 60000)
    assert sc.regional_failed_pixel_rate(failed) == pytest.approx(1 / 10000)
    failed[11, 11] = True
    assert sc.regional_failed_pixel_rate(failed) == pytest.approx(2 / 10000)
    assert sc.regional_failed_pixel_rate(failed[:50, :50]) == pytest.approx(2 / 2500)


def test_shapes_must_match() -> None:
    with pytest.raises(AnalysisError, match="differs"):
        sc.failed_pixels([np.ones((2, 2)), np.ones((2, 3))], None, on_threshold=1, off_threshold=1)
    with pytest.raises(AnalysisError, match="at least one"):
        sc.failed_pixels([], None, on_threshold=1, off_threshold=1)


def test_uniformity() -> None:
    u = sc.brightness_uniformity([[400.0, 500.0], [450.0, 450.0]])
    assert u.min_over_max == pytest.approx(0.8)
    assert u.one_minus_max_deviation == pytest.approx(1 - 50 / 450)
    assert u.mean == 450.0 and u.points == 4
