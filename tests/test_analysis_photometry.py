"""TCS34725 DN40 lux and CCT; AS7341 basic counts and least-squares calibration matrix."""

from __future__ import annotations

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import photometry as ph


def test_dn40_by_hand() -> None:
    # R+G+B-C = 200 -> IR = 100; R' = 900, G' = 1900, B' = 700; CPL = 154 ms·4/310.
    r = ph.tcs34725_dn40(1000, 2000, 800, 3600, integration_time_ms=154.0, gain=4.0)
    cpl = 154.0 * 4.0 / 310.0
    assert float(r.ir_counts) == 100.0
    assert float(r.illuminance_lx) == pytest.approx((0.136 * 900 + 1900 - 0.444 * 700) / cpl)
    assert float(r.cct_k) == pytest.approx(3810 * 700 / 900 + 1391)


def test_dn40_vectorised_and_no_red() -> None:
    r = ph.tcs34725_dn40(
        [1000, 0], [2000, 10], [800, 10], [3800, 20], integration_time_ms=24.0, gain=1
    )
    assert r.illuminance_lx.shape == (2,)
    assert float(r.ir_counts[0]) == 0.0  # R+G+B < C: no IR correction
    assert np.isnan(r.cct_k[1])
    with pytest.raises(AnalysisError, match="positive"):
        ph.tcs34725_dn40(1, 1, 1, 1, integration_time_ms=0.0, gain=1)


def test_calibration_matrix_recovers_a_known_matrix() -> None:
    rng = np.random.default_rng(3)
    true = rng.uniform(0.0, 1.0, (3, 8))
    counts = ph.basic_counts(rng.uniform(100, 5000, (12, 8)), gain=4.0, integration_time_ms=50.0)
    xyz = counts @ true.T
    m = ph.fit_calibration_matrix(counts, xyz)
    np.testing.assert_allclose(m, true, rtol=1e-9)
    np.testing.assert_allclose(ph.xyz_from_channels(counts[0], m), xyz[0], rtol=1e-9)
    assert float(ph.illuminance_lx(xyz[0])) == pytest.approx(xyz[0, 1])


def test_calibration_needs_enough_independent_sources() -> None:
    with pytest.raises(AnalysisError, match="at least 8"):
        ph.fit_calibration_matrix(np.ones((5, 8)), np.ones((5, 3)))
    with pytest.raises(AnalysisError, match="not independent"):
        ph.fit_calibration_matrix(np.ones((10, 8)), np.ones((10, 3)))
    with pytest.raises(AnalysisError, match="disagree"):
        ph.xyz_from_channels(np.ones(7), np.ones((3, 8)))
