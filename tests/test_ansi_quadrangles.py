"""ANSI C78.377 quadrangles as the station judges them: every edge of every class.

Points exactly on an edge, 1e-6 (x, y) inside and 1e-6 outside each edge of the quadrangles
of the eight nominal classes 2700..6500 K and of flexible CCTs are judged by
:func:`firmware_py.procedures.colour_judging.judge_ansi_c78377`, the function the
procedures call (led_assembly per channel and mix, lighting_environment per zone).
"""

from __future__ import annotations

import math

import pytest

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.colour import (
    ANSI_C78377_CLASSES,
    ansi_c78377_quadrangle,
    ansi_c78377_ratio,
    ansi_c78377_within,
    cct_duv_from_xy,
    quadrangle_ratio,
    reanalyse_ansi_c78377,
)
from benchscore.measurement import Limits, Outcome
from firmware_py.procedures.colour_judging import judge_ansi_c78377

NOMINAL = (2700, 3000, 3500, 4000, 4500, 5000, 5700, 6500)
FLEXIBLE = (2800, 3200, 4200, 5300, 6000)
EPS = 1e-6

PUBLISHED_2015 = {
    # ANSI C78.377-2015 corner coordinates as tabulated by a third party (4 decimals)
    2700: ((0.4813, 0.4319), (0.4562, 0.4260), (0.4373, 0.3893), (0.4593, 0.3944)),
    3000: ((0.4562, 0.4260), (0.4303, 0.4173), (0.4150, 0.3821), (0.4373, 0.3893)),
    3500: ((0.4303, 0.4173), (0.4003, 0.4035), (0.3895, 0.3709), (0.4150, 0.3821)),
    4000: ((0.4003, 0.4035), (0.3737, 0.3880), (0.3671, 0.3583), (0.3895, 0.3709)),
    4500: ((0.3737, 0.3882), (0.3550, 0.3754), (0.3514, 0.3482), (0.3672, 0.3585)),
    5000: ((0.3550, 0.3753), (0.3375, 0.3619), (0.3366, 0.3373), (0.3515, 0.3481)),
    5700: ((0.3375, 0.3619), (0.3205, 0.3476), (0.3221, 0.3256), (0.3366, 0.3374)),
    6500: ((0.3205, 0.3477), (0.3026, 0.3311), (0.3067, 0.3119), (0.3221, 0.3255)),
}


def _edge_points(nominal: int) -> list[tuple[str, tuple[float, float], Outcome]]:
    """For each edge: its midpoint, EPS inside and EPS outside along the outward normal,
    and a point a quarter along it; with the outcome the standard's rule gives."""
    quad = ansi_c78377_quadrangle(nominal)
    corners = quad.corners_xy
    cx, cy = quad.centre_xy
    points = []
    for i in range(4):
        (ax, ay), (bx, by) = corners[i], corners[(i + 1) % 4]
        mx, my = (ax + bx) / 2, (ay + by) / 2
        nx, ny = by - ay, -(bx - ax)
        if nx * (mx - cx) + ny * (my - cy) < 0:  # make the normal point away from the centre
            nx, ny = -nx, -ny
        length = math.hypot(nx, ny)
        nx, ny = nx / length, ny / length
        quarter = (ax + (bx - ax) / 4, ay + (by - ay) / 4)
        points += [
            (f"edge {i} midpoint", (mx, my), Outcome.PASS),
            (f"edge {i} quarter", quarter, Outcome.PASS),
            (f"edge {i} eps inside", (mx - EPS * nx, my - EPS * ny), Outcome.PASS),
            (f"edge {i} eps outside", (mx + EPS * nx, my + EPS * ny), Outcome.FAIL),
        ]
    points += [(f"corner {i}", corners[i], Outcome.PASS) for i in range(4)]
    points.append(("centre", quad.centre_xy, Outcome.PASS))
    return points


@pytest.mark.parametrize("nominal", NOMINAL + FLEXIBLE)
def test_edges_inside_and_outside_are_judged_by_the_quadrangle(nominal: int) -> None:
    for label, xy, expected in _edge_points(nominal):
        m = judge_ansi_c78377("ansi_c78377_ratio", xy, nominal, 0.006)
        assert m.outcome is expected, (nominal, label, xy, m.value)
        if "midpoint" in label or "corner" in label or "quarter" in label:
            assert m.value == 1.0, (nominal, label, m.value)
        if expected is Outcome.FAIL:
            assert f"ANSI C78.377 {nominal} K quadrangle" in m.reason


def test_quadrangles_match_the_published_corners() -> None:
    for nominal, published in PUBLISHED_2015.items():
        corners = ansi_c78377_quadrangle(nominal).corners_xy
        for (x, y), (px, py) in zip(corners, published, strict=True):
            assert abs(x - px) <= 0.0005 and abs(y - py) <= 0.0005, (nominal, (x, y), (px, py))


def test_centres_and_neighbours() -> None:
    for cls in ANSI_C78377_CLASSES:
        quad = ansi_c78377_quadrangle(cls.nominal_cct_k)
        # the tabulated centre is inside, near the middle
        assert ansi_c78377_ratio((cls.centre_x, cls.centre_y), cls.nominal_cct_k) < 0.1
        cct, duv = cct_duv_from_xy(quad.centre_xy)
        assert abs(float(cct) - cls.target_cct_k) < 1.0 and abs(float(duv) - cls.target_duv) < 1e-6
    # neighbouring classes share the corners of their common edge (no gap, no overlap)
    for warm, cool in zip(NOMINAL, NOMINAL[1:], strict=False):
        w, c = ansi_c78377_quadrangle(warm).corners_xy, ansi_c78377_quadrangle(cool).corners_xy
        if ansi_c78377_quadrangle(warm).target_cct_k + ansi_c78377_quadrangle(warm).tolerance_k == (
            ansi_c78377_quadrangle(cool).target_cct_k - ansi_c78377_quadrangle(cool).tolerance_k
        ):
            assert w[1] == pytest.approx(c[0], abs=1e-12) and w[2] == pytest.approx(c[3], abs=1e-12)


def test_quadrangle_is_not_the_cct_duv_box() -> None:
    """Just above the high-Duv edge of the 4000 K quadrangle is still inside the old
    (CCT, Duv) box of the class: the station now judges by the quadrangle, and fails it."""
    quad = ansi_c78377_quadrangle(4000)
    (ax, ay), (bx, by) = quad.corners_xy[0], quad.corners_xy[1]
    cx, cy = quad.centre_xy
    mx, my = (ax + bx) / 2, (ay + by) / 2
    above = (mx + (mx - cx) * 1e-3, my + (my - cy) * 1e-3)
    cct, duv = cct_duv_from_xy(above)
    assert ansi_c78377_within(float(cct), float(duv), 4000)
    assert judge_ansi_c78377("r", above, 4000, 0.006).outcome is Outcome.FAIL


def test_tighter_duv_tolerance_and_custom_limits() -> None:
    quad = ansi_c78377_quadrangle(4000)
    top = quad.corners_xy[0]
    assert judge_ansi_c78377("r", top, 4000, 0.006).outcome is Outcome.PASS
    assert judge_ansi_c78377("r", top, 4000, 0.003).outcome is Outcome.FAIL
    marginal = Limits(high=1.0, marginal_high=0.5)
    assert judge_ansi_c78377("r", top, 4000, 0.006, marginal).outcome is Outcome.MARGINAL
    between = ((top[0] + quad.centre_xy[0]) / 2 * 1.0001, (top[1] + quad.centre_xy[1]) / 2)
    assert 0.5 < ansi_c78377_ratio(between, 4000) < 1.0
    assert judge_ansi_c78377("r", between, 4000, 0.006, marginal).outcome is Outcome.MARGINAL


def test_bad_nominal_and_degenerate_quadrangle() -> None:
    with pytest.raises(AnalysisError, match="4050 K is neither"):
        ansi_c78377_quadrangle(4050)
    with pytest.raises(AnalysisError, match="7000 K is neither"):
        ansi_c78377_quadrangle(7000)
    with pytest.raises(AnalysisError, match="positive"):
        ansi_c78377_quadrangle(4000, 0.0)
    with pytest.raises(AnalysisError, match="no area"):
        quadrangle_ratio((0.3, 0.3), ((0.1, 0.1),) * 4, (0.1, 0.1))


def test_reanalysis_from_the_raw_curve() -> None:
    xy = (0.3800, 0.3790)
    curves = {
        "warm_ansi_c78377": {
            "x": [xy[0]],
            "y": [xy[1]],
            "cct_k": [4000.0],
            "duv": [0.001],
            "nominal_cct_k": [4000.0],
            "duv_tolerance": [0.006],
        }
    }
    assert reanalyse_ansi_c78377(curves, {}, "warm_ansi_c78377") == ansi_c78377_ratio(xy, 4000)


@pytest.mark.parametrize(
    "line,message",
    [
        ("ansi_nominal_cct = 4050", "parameters.ansi_nominal_cct: nominal CCT 4050 K is neither"),
        ("ansi_nominal_cct = 4000.5", "parameters.ansi_nominal_cct 4000.5: not a whole K"),
        ("warm_ansi_nominal_cct = 9000", "parameters.warm_ansi_nominal_cct: nominal CCT 9000 K"),
        ("ansi_duv_tolerance = 0", "duv_tolerance must be positive"),
        ("blue_ansi_nominal_cct = 3000", "unknown parameter(s) ['blue_ansi_nominal_cct']"),
    ],
)
def test_a_bad_nominal_cct_in_a_task_is_one_plain_error(tmp_path, line: str, message: str) -> None:
    from pathlib import Path

    from firmware_py.config.task import load_task
    from firmware_py.procedures.base import TaskInvalid

    source = Path(__file__).parents[1] / "config" / "tasks" / "led_tunable_white.toml"
    text = source.read_text()
    key = line.split(" = ")[0]
    lines = [ln for ln in text.splitlines() if not ln.startswith(key + " ")]
    text = "\n".join(lines).replace("[parameters]\n", f"[parameters]\n{line}\n")
    task = tmp_path / "bad.toml"
    task.write_text(text)
    with pytest.raises(TaskInvalid) as info:
        load_task(task)
    assert message in str(info.value) and "bad.toml" in str(info.value)
    assert "\n" not in str(info.value)
