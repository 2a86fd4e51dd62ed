"""Chromaticity, CCT and Duv, and the ANSI C78.377 classes (CIE 015, Ohno 2013, McCamy 1992).

Every function is vectorised: a chromaticity array of shape ``(..., 2)`` (or tristimulus values
``(..., 3)``) gives results of shape ``(...)``.

- Chromaticity (CIE 015:2018): ``x = X/(X+Y+Z)``; CIE 1960 UCS ``u = 4x/(-2x+12y+3)``,
  ``v = 6y/(-2x+12y+3)``; CIE 1976 ``u' = u``, ``v' = 1.5 v``.
- CCT and Duv by Ohno (2013), "Practical Use and Calculation of CCT and Duv", LEUKOS 10(1):47-55
  (2014): nearest point of a Planckian table in CIE 1960 (u, v), then the triangular solution
  when ``|Duv| < 0.002`` and the parabolic one otherwise. The table is built as colour-science
  0.4.7 ``uv_to_CCT_Ohno2013`` builds its default one (CIE 1931 2° observer 360-780 nm at 1 nm,
  Planck's law with c2 = 1.4388e-2 m·K, 1000-100000 K, spacing factor 1.001 shrinking to 1.0001
  towards 100000 K), so the two agree to rounding. The nearest table point is found by a cascade:
  a coarse pass over every 128th point, then a bisection of the unimodal distance in the bracket.
- McCamy (1992) CCT, a quick check valid near the Planckian locus only; it gives no Duv.
- ANSI C78.377 nominal CCT classes: centre CCT ± tolerance and target Duv ± 0.006;
  flexible-CCT targets from C78.377-2008. The standard's rule is the quadrangle
  (:func:`ansi_c78377_quadrangle`, straight edges in x, y between corners computed from the
  centres and tolerances; :func:`ansi_c78377_ratio` is <= 1 inside or on an edge); the box in
  (CCT, Duv) (:func:`ansi_c78377_within`) is an approximation kept for reference.
"""

from __future__ import annotations

import functools
import math
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, FloatArray
from benchscore.analysis._cie1931 import CIE1931_2DEG_XYZ_BAR, CMF_WAVELENGTHS_NM

PLANCK_C2_M_K: Final = 1.4388e-2
"""Second radiation constant c2 in m·K, as CIE 015:2018 (and colour-science) use it."""

OHNO2013_MIN_CCT_K: Final = 1000.0
OHNO2013_MAX_CCT_K: Final = 100000.0
OHNO2013_SPACING: Final = 1.001
OHNO2013_TRIANGULAR_LIMIT: Final = 0.002
"""Below this |Duv| the triangular solution is used, above it the parabolic one (Ohno 2013)."""

_COARSE_STRIDE: Final = 128


def _last_axis(name: str, values: npt.ArrayLike, width: int) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0 or array.shape[-1] != width:
        raise AnalysisError(f"{name}: expected shape (..., {width}), got {array.shape}")
    return array


def xyz_to_xy(xyz: npt.ArrayLike) -> FloatArray:
    """Return CIE 1931 chromaticity (x, y), shape ``(..., 2)``, of tristimulus ``(..., 3)``.

    CIE 015:2018: x = X/(X+Y+Z), y = Y/(X+Y+Z). A black sample (X+Y+Z = 0) gives NaN.
    """
    xyz_a = _last_axis("xyz", xyz, 3)
    total = xyz_a.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        xy: FloatArray = xyz_a[..., :2] / total
    return xy


def xy_to_uv(xy: npt.ArrayLike) -> FloatArray:
    """Return CIE 1960 UCS (u, v) of CIE 1931 (x, y); shapes ``(..., 2)``."""
    xy_a = _last_axis("xy", xy, 2)
    x, y = xy_a[..., 0], xy_a[..., 1]
    d = -2.0 * x + 12.0 * y + 3.0
    return np.stack([4.0 * x / d, 6.0 * y / d], axis=-1)


def xy_to_uv_prime(xy: npt.ArrayLike) -> FloatArray:
    """Return CIE 1976 UCS (u', v') of CIE 1931 (x, y): u' = u, v' = 1.5 v."""
    uv = xy_to_uv(xy)
    return np.stack([uv[..., 0], 1.5 * uv[..., 1]], axis=-1)


def uv_to_xy(uv: npt.ArrayLike) -> FloatArray:
    """Return CIE 1931 (x, y) of CIE 1960 (u, v): x = 3u/(2u-8v+4), y = 2v/(2u-8v+4)."""
    uv_a = _last_axis("uv", uv, 2)
    u, v = uv_a[..., 0], uv_a[..., 1]
    d = 2.0 * u - 8.0 * v + 4.0
    return np.stack([3.0 * u / d, 2.0 * v / d], axis=-1)


def cct_mccamy_k(xy: npt.ArrayLike) -> FloatArray:
    """Return CCT in kelvin by McCamy (1992), Color Res. Appl. 17(2):142-144, from (..., 2) xy.

    n = (x - 0.3320)/(0.1858 - y); CCT = 449 n³ + 3525 n² + 6823.3 n + 5520.33. A quick check
    only: it assumes the point is near the Planckian locus and gives no Duv.
    """
    xy_a = _last_axis("xy", xy, 2)
    n = (xy_a[..., 0] - 0.3320) / (0.1858 - xy_a[..., 1])
    cct: FloatArray = ((449.0 * n + 3525.0) * n + 6823.3) * n + 5520.33
    return cct


def planck_uv(cct_k: npt.ArrayLike) -> FloatArray:
    """Return CIE 1960 (u, v), shape ``(..., 2)``, of a Planckian radiator at ``cct_k`` kelvin.

    Planck's law (c2 = 1.4388e-2 m·K) weighted by the CIE 1931 2° observer, 360-780 nm at 1 nm
    (CIE 015:2018). The constant factor c1/π cancels in chromaticity.
    """
    t = np.asarray(cct_k, dtype=np.float64)
    if (t <= 0).any():
        raise AnalysisError("cct_k: temperatures must be positive kelvin")
    lam_m = CMF_WAVELENGTHS_NM * 1e-9
    flat = t.reshape(-1, 1)
    spectral = lam_m**-5 / np.expm1(PLANCK_C2_M_K / (lam_m * flat))
    xyz = spectral @ CIE1931_2DEG_XYZ_BAR
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    d = x + 15.0 * y + 3.0 * z
    uv = np.stack([4.0 * x / d, 6.0 * y / d], axis=-1)
    return uv.reshape((*t.shape, 2))


def _table_temperatures_k(start_k: float, end_k: float, spacing: float) -> FloatArray:
    """The Ohno (2013) table temperatures, spaced as colour-science 0.4.7 spaces them."""
    temps = [start_k, start_k + 1.0]
    t = start_k + 1.0
    factor = spacing
    span = OHNO2013_MAX_CCT_K - OHNO2013_MIN_CCT_K
    while (t := t * factor) < end_k:
        temps.append(t)
        d = min(max((t - OHNO2013_MIN_CCT_K) / span, 0.0), 1.0)
        factor = spacing * (1.0 - d) + (1.0 + (spacing - 1.0) / 10.0) * d
    temps += [end_k - 1.0, end_k]
    return np.asarray(temps, dtype=np.float64)


class _PlanckTable(NamedTuple):
    t_k: FloatArray
    u: FloatArray
    v: FloatArray
    coarse_index: npt.NDArray[np.intp]


@functools.cache
def _planck_table() -> _PlanckTable:
    t = _table_temperatures_k(OHNO2013_MIN_CCT_K, OHNO2013_MAX_CCT_K, OHNO2013_SPACING)
    uv = planck_uv(t)
    coarse = np.arange(0, t.size, _COARSE_STRIDE)
    if coarse[-1] != t.size - 1:
        coarse = np.append(coarse, t.size - 1)
    for a in (t, uv, coarse):
        a.setflags(write=False)
    return _PlanckTable(t, np.ascontiguousarray(uv[:, 0]), np.ascontiguousarray(uv[:, 1]), coarse)


def _nearest_index(u: FloatArray, v: FloatArray, table: _PlanckTable) -> npt.NDArray[np.intp]:
    """Index of the table point nearest each (u, v): coarse pass, then bisection of the bracket."""
    cu = table.u[table.coarse_index]
    cv = table.v[table.coarse_index]
    coarse_d2 = (u[:, None] - cu) ** 2 + (v[:, None] - cv) ** 2
    j = np.argmin(coarse_d2, axis=1)
    n_coarse = table.coarse_index.size
    lo = table.coarse_index[np.maximum(j - 1, 0)].astype(np.intp)
    hi = table.coarse_index[np.minimum(j + 1, n_coarse - 1)].astype(np.intp)
    iterations = math.ceil(math.log2(2 * _COARSE_STRIDE + 1)) + 1
    for _ in range(iterations):
        mid = (lo + hi) // 2
        nxt = np.minimum(mid + 1, table.u.size - 1)
        d_mid = (table.u[mid] - u) ** 2 + (table.v[mid] - v) ** 2
        d_nxt = (table.u[nxt] - u) ** 2 + (table.v[nxt] - v) ** 2
        go_left = d_mid <= d_nxt
        hi = np.where(go_left, mid, hi)
        lo = np.where(go_left, lo, mid + 1)
    nearest: npt.NDArray[np.intp] = lo
    return nearest


def cct_duv_ohno2013(uv: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return (CCT in kelvin, Duv) of CIE 1960 (u, v) chromaticities, shape ``(..., 2)``.

    Ohno (2013), LEUKOS 10(1):47-55 (2014). Duv > 0 is above the Planckian locus (greenish).
    Results agree with colour-science 0.4.7 ``uv_to_CCT_Ohno2013`` defaults to rounding (the same
    table and the same three points). CCT is meaningful for |Duv| <= 0.05 only (CIE 015); the
    table spans 1000-100000 K, and results at its ends are extrapolations.
    """
    uv_a = _last_axis("uv", uv, 2)
    shape = uv_a.shape[:-1]
    flat = uv_a.reshape(-1, 2)
    u, v = flat[:, 0], flat[:, 1]
    table = _planck_table()
    i = np.clip(_nearest_index(u, v, table), 1, table.t_k.size - 2)

    tp, ti, tn = table.t_k[i - 1], table.t_k[i], table.t_k[i + 1]
    up, vp = table.u[i - 1], table.v[i - 1]
    un, vn = table.u[i + 1], table.v[i + 1]
    dp = np.hypot(up - u, vp - v)
    di = np.hypot(table.u[i] - u, table.v[i] - v)
    dn = np.hypot(un - u, vn - v)

    # Triangular solution.
    chord = np.hypot(un - up, vn - vp)
    x = (dp**2 - dn**2 + chord**2) / (2.0 * chord)
    t_tri = tp + (tn - tp) * (x / chord)
    v_tx = vp + (vn - vp) * (x / chord)
    sign = np.sign(v - v_tx)
    duv_tri = np.sqrt(np.maximum(dp**2 - x**2, 0.0)) * sign

    # Parabolic solution.
    big_x = (tn - ti) * (tp - tn) * (ti - tp)
    a = (tp * (dn - di) + ti * (dp - dn) + tn * (di - dp)) / big_x
    b = -(tp**2 * (dn - di) + ti**2 * (dp - dn) + tn**2 * (di - dp)) / big_x
    c = -(dp * (tn - ti) * ti * tn + di * (tp - tn) * tp * tn + dn * (ti - tp) * tp * ti) / big_x
    t_par = -b / (2.0 * a)
    duv_par = (a * t_par**2 + b * t_par + c) * sign

    use_par = np.abs(duv_tri) >= OHNO2013_TRIANGULAR_LIMIT
    cct = np.where(use_par, t_par, t_tri).reshape(shape)
    duv = np.where(use_par, duv_par, duv_tri).reshape(shape)
    return cct, duv


def cct_duv_from_xy(xy: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return (CCT in kelvin, Duv) of CIE 1931 (x, y), shape ``(..., 2)``; see Ohno 2013."""
    return cct_duv_ohno2013(xy_to_uv(xy))


def uv_from_cct_duv(cct_k: npt.ArrayLike, duv: npt.ArrayLike) -> FloatArray:
    """Return CIE 1960 (u, v) at ``cct_k`` kelvin and ``duv`` off the locus (Ohno 2013).

    The point is ``duv`` along the normal to the Planckian locus (positive = above it).
    """
    t, d = np.broadcast_arrays(
        np.asarray(cct_k, dtype=np.float64), np.asarray(duv, dtype=np.float64)
    )
    uv0 = planck_uv(t)
    uv1 = planck_uv(t + 0.01)
    du = uv0[..., 0] - uv1[..., 0]
    dv = uv0[..., 1] - uv1[..., 1]
    h = np.hypot(du, dv)
    return np.stack([uv0[..., 0] - d * dv / h, uv0[..., 1] + d * du / h], axis=-1)


# --- ANSI C78.377 -------------------------------------------------------------------------


class AnsiClass(NamedTuple):
    """One ANSI C78.377 nominal CCT class: target CCT ± tolerance (K), target Duv, centre xy."""

    nominal_cct_k: int
    target_cct_k: float
    tolerance_k: float
    target_duv: float
    centre_x: float
    centre_y: float


ANSI_C78377_DUV_TOLERANCE: Final = 0.006
"""Allowed |Duv - target Duv| for every class (ANSI C78.377)."""

ANSI_C78377_CLASSES: Final[tuple[AnsiClass, ...]] = (
    AnsiClass(2200, 2238.0, 102.0, 0.0000, 0.5018, 0.4153),
    AnsiClass(2500, 2460.0, 120.0, 0.0000, 0.4806, 0.4141),
    AnsiClass(2700, 2725.0, 145.0, 0.0000, 0.4578, 0.4101),
    AnsiClass(3000, 3045.0, 175.0, 0.0001, 0.4339, 0.4033),
    AnsiClass(3500, 3465.0, 245.0, 0.0005, 0.4078, 0.3930),
    AnsiClass(4000, 3985.0, 275.0, 0.0010, 0.3818, 0.3797),
    AnsiClass(4500, 4503.0, 243.0, 0.0015, 0.3613, 0.3670),
    AnsiClass(5000, 5029.0, 283.0, 0.0020, 0.3446, 0.3551),
    AnsiClass(5700, 5667.0, 355.0, 0.0025, 0.3287, 0.3425),
    AnsiClass(6500, 6532.0, 510.0, 0.0031, 0.3123, 0.3283),
)
"""The ten nominal classes of ANSI C78.377 (centres as quoted in measurement.md §A3)."""


def ansi_c78377_within(cct_k: float, duv: float, nominal_cct_k: int) -> bool:
    """Return whether (CCT, Duv) lies in the box of the declared nominal class (ANSI C78.377).

    Pass rule: |CCT - target| <= tolerance and |Duv - target Duv| <= 0.006.
    """
    for cls in ANSI_C78377_CLASSES:
        if cls.nominal_cct_k == nominal_cct_k:
            return bool(
                abs(cct_k - cls.target_cct_k) <= cls.tolerance_k
                and abs(duv - cls.target_duv) <= ANSI_C78377_DUV_TOLERANCE
            )
    known = [c.nominal_cct_k for c in ANSI_C78377_CLASSES]
    raise AnalysisError(f"nominal_cct_k: {nominal_cct_k} is not an ANSI class; known: {known}")


def ansi_c78377_class(cct_k: float, duv: float) -> int | None:
    """Return the nominal CCT (K) of the ANSI C78.377 class containing (CCT, Duv), or None."""
    for cls in ANSI_C78377_CLASSES:
        if ansi_c78377_within(cct_k, duv, cls.nominal_cct_k):
            return cls.nominal_cct_k
    return None


def ansi_flexible_duv_target(cct_k: npt.ArrayLike) -> FloatArray:
    """Return the ANSI C78.377-2008 flexible-CCT target Duv: 57700/T² - 44.6/T + 0.0085."""
    t = np.asarray(cct_k, dtype=np.float64)
    target: FloatArray = 57700.0 / t**2 - 44.6 / t + 0.0085
    return target


def ansi_flexible_cct_tolerance_k(cct_k: npt.ArrayLike) -> FloatArray:
    """Return the ANSI C78.377-2008 flexible-CCT tolerance ΔT in kelvin (valid 2700-6500 K).

    ΔT = 1.1900e-8 T³ - 1.5434e-4 T² + 0.7168 T - 902.55.
    """
    t = np.asarray(cct_k, dtype=np.float64)
    tol: FloatArray = ((1.1900e-8 * t - 1.5434e-4) * t + 0.7168) * t - 902.55
    return tol


# --- ANSI C78.377 quadrangles ---------------------------------------------------------------

ANSI_C78377_FLEXIBLE_RANGE_K: Final = (2700, 6500)
"""Nominal CCTs (in 100 K steps) of the C78.377 flexible-CCT quadrangles."""

QUADRANGLE_RATIO_DECIMALS: Final = 9
"""The quadrangle ratio is rounded to 1e-9 so a point exactly on an edge reads 1.0."""


class AnsiQuadrangle(NamedTuple):
    """One ANSI C78.377 quadrangle in CIE 1931 (x, y): its centre and four corners.

    Corners in order: warm edge high Duv, cool edge high Duv, cool edge low Duv, warm edge low
    Duv. Edges are straight lines between corners (the CCT edges are isotemperature lines).
    """

    nominal_cct_k: int
    target_cct_k: float
    tolerance_k: float
    target_duv: float
    duv_tolerance: float
    centre_xy: tuple[float, float]
    corners_xy: tuple[tuple[float, float], ...]


def _ansi_target(nominal_cct_k: int) -> tuple[float, float, float]:
    """(target CCT K, tolerance K, target Duv) of a nominal class or a flexible CCT."""
    for cls in ANSI_C78377_CLASSES:
        if cls.nominal_cct_k == nominal_cct_k:
            return cls.target_cct_k, cls.tolerance_k, cls.target_duv
    low, high = ANSI_C78377_FLEXIBLE_RANGE_K
    if low <= nominal_cct_k <= high and nominal_cct_k % 100 == 0:
        t = float(nominal_cct_k)
        return t, float(ansi_flexible_cct_tolerance_k(t)), float(ansi_flexible_duv_target(t))
    known = [c.nominal_cct_k for c in ANSI_C78377_CLASSES]
    raise AnalysisError(
        f"nominal CCT {nominal_cct_k} K is neither an ANSI C78.377 class {known} nor a "
        f"flexible CCT ({low}..{high} K in 100 K steps)"
    )


@functools.cache
def ansi_c78377_quadrangle(
    nominal_cct_k: int, duv_tolerance: float = ANSI_C78377_DUV_TOLERANCE
) -> AnsiQuadrangle:
    """Return the ANSI C78.377 quadrangle of ``nominal_cct_k`` (a class or a flexible CCT).

    Computed from the standard's centre CCT ± tolerance and Duv target ± ``duv_tolerance``: the
    corners lie on the isotemperature lines at target ± tolerance, ``duv_tolerance`` above and
    below the Duv target the flexible-CCT formula gives at that edge's CCT (so neighbouring
    classes share their corners, as the standard's tables do; they agree with the published
    corner coordinates to 0.0005). The centre is the class's target (CCT, Duv).
    """
    if not duv_tolerance > 0:
        raise AnalysisError(f"duv_tolerance must be positive, got {duv_tolerance}")
    target, tol, duv = _ansi_target(nominal_cct_k)
    t = np.array([target - tol, target + tol, target + tol, target - tol])
    d = ansi_flexible_duv_target(t) + np.array([1.0, 1.0, -1.0, -1.0]) * duv_tolerance
    corners = uv_to_xy(uv_from_cct_duv(t, d))
    centre = uv_to_xy(uv_from_cct_duv(target, duv))
    return AnsiQuadrangle(
        nominal_cct_k,
        target,
        tol,
        duv,
        duv_tolerance,
        (float(centre[0]), float(centre[1])),
        tuple((float(x), float(y)) for x, y in corners),
    )


def quadrangle_ratio(
    xy: tuple[float, float],
    corners: tuple[tuple[float, float], ...],
    centre: tuple[float, float],
) -> float:
    """Return how far ``xy`` is from ``centre`` relative to the convex polygon ``corners``.

    The gauge (Minkowski functional) of the polygon about its interior point ``centre``: 0 at
    the centre, < 1 inside, exactly 1 on an edge, > 1 outside (2 = twice as far out as the
    edge along that ray). Rounded to ``QUADRANGLE_RATIO_DECIMALS`` decimals.
    """
    px, py = xy
    cx, cy = centre
    n = len(corners)
    area2 = sum(
        corners[i][0] * corners[(i + 1) % n][1] - corners[(i + 1) % n][0] * corners[i][1]
        for i in range(n)
    )
    if area2 == 0:
        raise AnalysisError("quadrangle: corners enclose no area")
    orient = 1.0 if area2 > 0 else -1.0
    ratio = 0.0
    for i in range(n):
        (ax, ay), (bx, by) = corners[i], corners[(i + 1) % n]
        # outward normal of edge a->b for a counter-clockwise polygon: (dy, -dx)
        nx, ny = orient * (by - ay), -orient * (bx - ax)
        reach = nx * (ax - cx) + ny * (ay - cy)
        if reach <= 0:
            raise AnalysisError("quadrangle: the centre is not inside it")
        ratio = max(ratio, (nx * (px - cx) + ny * (py - cy)) / reach)
    return round(ratio, QUADRANGLE_RATIO_DECIMALS)


def ansi_c78377_ratio(
    xy: tuple[float, float],
    nominal_cct_k: int,
    duv_tolerance: float = ANSI_C78377_DUV_TOLERANCE,
) -> float:
    """Return the quadrangle ratio of chromaticity ``xy`` in the ANSI C78.377 quadrangle of
    ``nominal_cct_k``: <= 1 inside or on an edge (the standard's pass), > 1 outside."""
    quad = ansi_c78377_quadrangle(int(nominal_cct_k), float(duv_tolerance))
    return quadrangle_ratio((float(xy[0]), float(xy[1])), quad.corners_xy, quad.centre_xy)


def reanalyse_ansi_c78377(
    curves: dict[str, dict[str, list[float]]], params: dict[str, float], curve: str
) -> float:
    """Appeal re-analysis of ``<prefix>ansi_c78377_ratio`` from its raw curve.

    The curve (one row) holds the chromaticity ``x``, ``y`` the station read and the
    ``nominal_cct_k`` and ``duv_tolerance`` it judged against; ``params`` is unused (the curve
    is self-contained) and kept for the common re-analysis signature.
    """
    columns = curves[curve]
    return ansi_c78377_ratio(
        (columns["x"][-1], columns["y"][-1]),
        int(columns["nominal_cct_k"][-1]),
        columns["duv_tolerance"][-1],
    )


def ansi_c78377_quadrangle_class(xy: tuple[float, float]) -> int | None:
    """Return the nominal CCT (K) of the ANSI C78.377 class whose quadrangle holds ``xy``
    (on a shared edge: the warmer class), or None."""
    for cls in ANSI_C78377_CLASSES:
        if ansi_c78377_ratio(xy, cls.nominal_cct_k) <= 1.0:
            return cls.nominal_cct_k
    return None
