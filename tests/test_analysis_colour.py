"""Chromaticity, CCT/Duv (Ohno 2013) against colour-science, McCamy, ANSI C78.377 classes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import colour as bc
from benchscore.analysis.colour import ANSI_C78377_CLASSES

with warnings.catch_warnings():
    # colour-science warns at import that SciPy/Matplotlib are absent; pytest makes it an error.
    warnings.simplefilter("ignore")
    import colour
    from colour.temperature import CCT_to_uv_Ohno2013, uv_to_CCT_Ohno2013


def _reference(uv: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(uv_to_CCT_Ohno2013(uv))


def test_cmf_table_is_colour_sciences_default_observer() -> None:
    from colour.colorimetry import handle_spectral_arguments

    from benchscore.analysis._cie1931 import CIE1931_2DEG_XYZ_BAR

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmfs, _ = handle_spectral_arguments(None)
    assert cmfs.shape.start == 360 and cmfs.shape.end == 780 and cmfs.shape.interval == 1
    np.testing.assert_allclose(CIE1931_2DEG_XYZ_BAR, cmfs.values, rtol=1e-12, atol=1e-15)


def test_chromaticity_conversions_round_trip() -> None:
    xy = np.array([[0.3127, 0.3290], [0.44758, 0.40745]])
    uv = bc.xy_to_uv(xy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(uv, colour.xy_to_UCS_uv(xy), rtol=1e-12)
    np.testing.assert_allclose(bc.uv_to_xy(uv), xy, rtol=1e-12)
    np.testing.assert_allclose(bc.xy_to_uv_prime(xy)[:, 1], 1.5 * uv[:, 1])
    xyz = np.array([95.047, 100.0, 108.883])
    np.testing.assert_allclose(bc.xyz_to_xy(xyz), [0.312727, 0.329024], atol=1e-6)


@pytest.mark.parametrize(
    ("xy", "mccamy_k", "cct_k", "duv"),
    [
        ((0.3127, 0.3290), 6505.1, 6504.3, 0.00321),  # D65
        ((0.44758, 0.40745), 2857.1, 2855.5, 0.0000),  # illuminant A
    ],
)
def test_measurement_md_test_vectors(
    xy: tuple[float, float], mccamy_k: float, cct_k: float, duv: float
) -> None:
    assert float(bc.cct_mccamy_k(xy)) == pytest.approx(mccamy_k, abs=0.05)
    t, d = bc.cct_duv_from_xy(xy)
    assert float(t) == pytest.approx(cct_k, abs=0.05)
    assert float(d) == pytest.approx(duv, abs=5e-6)


def test_colour_docstring_uv_vector() -> None:
    t, d = bc.cct_duv_ohno2013([0.1978, 0.3122])
    assert float(t) == pytest.approx(6507.47, abs=0.01)
    assert float(d) == pytest.approx(0.00322334, abs=1e-8)


def test_agrees_with_colour_science_on_ansi_centres() -> None:
    xy = np.array([[c.centre_x, c.centre_y] for c in ANSI_C78377_CLASSES])
    uv = bc.xy_to_uv(xy)
    cct, duv = bc.cct_duv_ohno2013(uv)
    ref = _reference(uv)
    assert np.max(np.abs(cct - ref[:, 0])) < 1.0
    assert np.max(np.abs(duv - ref[:, 1])) < 1e-5
    # Every centre reproduces its target CCT and Duv (measurement.md §A3).
    for cls, t, d in zip(ANSI_C78377_CLASSES, cct, duv, strict=True):
        assert abs(t - cls.target_cct_k) < 5.0, cls
        assert abs(d - cls.target_duv) < 1e-4, cls
        assert bc.ansi_c78377_class(float(t), float(d)) == cls.nominal_cct_k


def test_agrees_with_colour_science_on_1000_random_chromaticities() -> None:
    rng = np.random.default_rng(20130101)
    cct_duv = np.stack([rng.uniform(2000, 10000, 1000), rng.uniform(-0.02, 0.02, 1000)], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uv = np.asarray(CCT_to_uv_Ohno2013(cct_duv))
    cct, duv = bc.cct_duv_ohno2013(uv)
    ref = _reference(uv)
    assert np.max(np.abs(cct - ref[:, 0])) < 1.0
    assert np.max(np.abs(duv - ref[:, 1])) < 1e-5
    # Both solutions (triangular below |Duv| 0.002, parabolic above) were exercised.
    assert (np.abs(duv) < 0.002).sum() > 50 and (np.abs(duv) >= 0.002).sum() > 500


def test_cascade_search_finds_the_global_nearest_table_point() -> None:
    table = bc._planck_table()
    rng = np.random.default_rng(7)
    t = np.exp(rng.uniform(np.log(1100), np.log(90000), 4000))
    uv = bc.uv_from_cct_duv(t, rng.uniform(-0.05, 0.05, t.size))
    u, v = uv[:, 0], uv[:, 1]
    brute = np.argmin((u[:, None] - table.u) ** 2 + (v[:, None] - table.v) ** 2, axis=1)
    np.testing.assert_array_equal(bc._nearest_index(u, v, table), brute)


def test_inverse_round_trip_and_shapes() -> None:
    t = np.array([[2700.0, 4000.0], [5000.0, 6500.0]])
    d = np.array([[0.0, 0.004], [-0.003, 0.01]])
    uv = bc.uv_from_cct_duv(t, d)
    assert uv.shape == (2, 2, 2)
    cct, duv = bc.cct_duv_ohno2013(uv)
    assert cct.shape == (2, 2)
    np.testing.assert_allclose(cct, t, atol=0.5)
    np.testing.assert_allclose(duv, d, atol=2e-6)
    scalar_t, scalar_d = bc.cct_duv_ohno2013([0.2, 0.31])
    assert scalar_t.shape == () and scalar_d.shape == ()


def test_ansi_classes_and_flexible_targets() -> None:
    assert bc.ansi_c78377_class(3045.0, 0.0001) == 3000
    assert bc.ansi_c78377_class(3045.0, 0.0071) is None
    assert bc.ansi_c78377_within(2900.0, 0.0, 3000)
    assert not bc.ansi_c78377_within(2860.0, 0.0, 3000)
    with pytest.raises(AnalysisError, match="not an ANSI class"):
        bc.ansi_c78377_within(3000.0, 0.0, 3100)
    # The C78.377-2008 flexible Duv formula reproduces the table within 0.0001; the ΔT cubic
    # only within 40 K from 2700 to 6500 K (39 K off at 4500 K, where the table says 243 K).
    for cls in ANSI_C78377_CLASSES:
        assert float(bc.ansi_flexible_duv_target(cls.target_cct_k)) == pytest.approx(
            cls.target_duv, abs=1e-4
        )
        if cls.nominal_cct_k >= 2700:
            assert float(bc.ansi_flexible_cct_tolerance_k(cls.target_cct_k)) == pytest.approx(
                cls.tolerance_k, abs=40
            )


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(AnalysisError, match=r"uv: expected shape \(\.\.\., 2\)"):
        bc.cct_duv_ohno2013([0.2, 0.3, 0.4])
    with pytest.raises(AnalysisError, match="positive kelvin"):
        bc.planck_uv([0.0])
