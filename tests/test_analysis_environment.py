"""EN 12464-1 grid statistics and grid-size rule."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import environment as env


def test_grid_stats() -> None:
    grid = np.array([[500.0, 520.0, 480.0], [300.0, 510.0, 490.0]])
    s = env.illuminance_grid_stats(grid)
    assert s.mean_lx == pytest.approx(466.6667, abs=1e-3)
    assert s.u0 == pytest.approx(300.0 / s.mean_lx)
    assert s.ud == pytest.approx(300.0 / 520.0)
    assert (s.min_lx, s.max_lx, s.points) == (300.0, 520.0, 6)
    with pytest.raises(AnalysisError, match="not finite"):
        env.illuminance_grid_stats([500.0, np.nan])


@pytest.mark.parametrize(
    ("d_m", "p_m", "n"), [(1, 0.2, 5), (2, 0.3, 6), (5, 0.6, 8), (10, 1.0, 10)]
)
def test_worked_examples(d_m: float, p_m: float, n: int) -> None:
    assert env.grid_spacing_m(d_m) == pytest.approx(p_m, abs=0.03)
    assert env.grid_points(d_m, d_m)[0] == n


def test_spacing_cap_other_side_and_check() -> None:
    assert env.grid_spacing_m(1e6) == 10.0
    assert env.grid_points(10.0, 5.0) == (10, 5)
    ok = env.check_grid(10.0, 5.0, 10, 5)
    assert ok.ok and ok.cell_aspect_ratio == pytest.approx(1.0)
    few = env.check_grid(10.0, 5.0, 8, 5)
    assert not few.enough_points
    skew = env.check_grid(10.0, 5.0, 10, 20)
    assert skew.enough_points and not skew.near_square
    assert env.meets_maintained_illuminance(520.0, 500.0)
    assert not env.meets_maintained_illuminance(520.0, 500.0, maintenance_factor=0.8)
