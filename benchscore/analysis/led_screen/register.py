"""Find the screen in a photo of the registration pattern: the map from LED coordinates to
image pixels (a homography plus a cubic correction for the lens's distortion).

1. The photo is reduced (area average) to at most :data:`WORK_WIDTH` pixels wide and every
   lit LED found as a connected component above a threshold between the dark level and the
   bright LEDs.
2. The corner markers are the blobs with several close neighbours (3 x 3 LEDs, where lattice
   dots stand :data:`~.patterns.DOT_STEP` pitches apart), grouped by proximity; which corner
   is which follows from where each lies around the centre of all lit LEDs. Four markers give
   a first homography, three an affine map (a dead module may take one corner away).
3. Every lattice dot is predicted, matched to the nearest blob within a third of the lattice
   step, and the homography and a cubic correction in LED coordinates (what barrel or
   pincushion distortion does to a flat screen) fitted on the dots, outliers dropped; three
   times, each round predicting with the last fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.patterns import (
    DOT_STEP,
    MARKER,
    dot_positions,
    marker_centres,
)

F64 = npt.NDArray[np.float64]
WORK_WIDTH = 1600
"""Widest image the blob search works on (larger photos are area-averaged down)."""
LABELS = ("TL", "TR", "BR", "BL")


def gray(image: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    """Sum of the colour channels (or the single channel) as float32."""
    a = np.asarray(image)
    if a.ndim == 3:
        return a.astype(np.float32).sum(axis=2)  # type: ignore[no-any-return]
    if a.ndim == 2:
        return a.astype(np.float32)
    raise AnalysisError(f"photo: expected a 2-D or 3-D image, got shape {a.shape}")


def _blobs(work: npt.NDArray[np.float32]) -> tuple[F64, F64]:
    """(centroids, areas) of the lit blobs of the working image."""
    import cv2

    sub = work[::2, ::2]  # levels from a quarter of the pixels: same answer, 4x less work
    lo = float(np.percentile(sub, 50))
    hi = float(np.percentile(sub, 99.95))
    if hi - lo <= 1e-6:
        raise AnalysisError("registration: the photo is blank (no lit LEDs)")
    mask = (work > lo + 0.3 * (hi - lo)).astype(np.uint8)
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    return np.asarray(centroids[1:], dtype=np.float64), areas


def _markers(pts: F64, areas: F64) -> list[F64]:
    """Centres of the corner markers: groups of close blobs (or single blobs, when the
    marker's LEDs merge) holding at least four times a lattice dot's lit area."""
    if len(pts) < 8:
        raise AnalysisError(f"registration: only {len(pts)} lit LEDs in the photo")
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    spacing = float(np.median(np.min(d, axis=1)))  # most blobs are lattice dots
    radius = 0.4 * spacing
    dot_area = float(np.median(areas))
    markers: list[F64] = []
    left = set(range(len(pts)))
    while left:
        seed = left.pop()
        group, frontier = {seed}, [seed]
        while frontier:
            i = frontier.pop()
            for j in np.flatnonzero(d[i] < radius).tolist():
                if j in left:
                    left.discard(j)
                    group.add(j)
                    frontier.append(j)
        idx = sorted(group)
        weight = areas[idx]
        if weight.sum() >= 4 * dot_area:
            markers.append((pts[idx] * weight[:, None]).sum(axis=0) / weight.sum())
    return markers


def _initial(layout: ScreenLayout, markers: list[F64], centre: F64) -> F64:
    import cv2

    ideal = marker_centres(layout)
    found: dict[int, F64] = {}
    for m in markers:
        dx, dy = m - centre
        label = (0 if dx < 0 else 1) if dy < 0 else (3 if dx < 0 else 2)
        # two candidates in one quadrant: keep the one further out
        if label in found and np.hypot(*(m - centre)) <= np.hypot(*(found[label] - centre)):
            continue
        found[label] = m
    if len(found) == 4:
        src = np.array([ideal[k] for k in range(4)], dtype=np.float32)
        dst = np.array([found[k] for k in range(4)], dtype=np.float32)
        return np.asarray(cv2.getPerspectiveTransform(src, dst), dtype=np.float64)
    if len(found) == 3:
        keys = sorted(found)
        src = np.array([ideal[k] for k in keys], dtype=np.float32)
        dst = np.array([found[k] for k in keys], dtype=np.float32)
        aff = cv2.getAffineTransform(src, dst)
        return np.vstack([aff, [0.0, 0.0, 1.0]])
    raise AnalysisError(
        f"registration: found {len(found)} of the 4 corner markers "
        f"({', '.join(LABELS[k] for k in sorted(found)) or 'none'})"
    )


def apply(h: F64, pts: F64) -> F64:
    """Map (n, 2) points through homography ``h``."""
    x, y = pts[:, 0], pts[:, 1]  # elementwise: no BLAS call for a 3 x 3 product
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return np.stack(  # type: ignore[no-any-return]
        [(h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w],
        axis=1,
    )


def _terms(pts: F64, layout: ScreenLayout) -> F64:
    """Cubic terms of LED coordinates normalised to -0.5..0.5 (the lens-distortion model)."""
    u = pts[:, 0] / layout.width - 0.5
    v = pts[:, 1] / layout.height - 0.5
    one = np.ones_like(u)
    return np.stack([one, u, v, u * u, u * v, v * v, u**3, u * u * v, u * v * v, v**3], axis=1)


@dataclass(frozen=True)
class ScreenMap:
    """Where each point of the screen lies in the photo: a homography ``h`` (perspective)
    plus a smooth cubic correction ``poly`` (10 x 2, pixels: the lens's distortion), both
    fitted on the registration pattern's dots."""

    h: F64
    poly: F64
    layout: ScreenLayout

    def __call__(self, pts: F64) -> F64:
        """Photo pixel coordinates of (n, 2) LED coordinates."""
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        out = apply(self.h, p)
        if self.poly.any():
            t = _terms(p, self.layout)
            out = out + np.stack([t @ self.poly[:, 0], t @ self.poly[:, 1]], axis=1)
        return out

    def scaled(self, a: F64) -> ScreenMap:
        """The same map into a photo transformed by the affine 3 x 3 ``a`` (resized, cropped)."""
        h = a @ self.h
        return ScreenMap(h / h[2, 2], self.poly * a[0, 0], self.layout)


def _fit(src: F64, dst: F64, layout: ScreenLayout, tol: float) -> tuple[F64, F64, int]:
    """Homography and cubic correction through matched dots (outliers beyond ``tol`` pixels
    dropped, twice); returns (h, poly, dots used)."""
    import cv2

    keep = np.ones(len(src), dtype=bool)
    poly: F64 = np.zeros((10, 2))
    h: F64 = np.eye(3)
    for _ in range(3):
        terms = _terms(src, layout)
        h2, _ = cv2.findHomography(src[keep], dst[keep] - terms[keep] @ poly, 0)
        if h2 is None:
            raise AnalysisError("registration: no consistent homography through the dots")
        h = np.asarray(h2, dtype=np.float64)
        if keep.sum() >= 30:
            sol, *_ = np.linalg.lstsq(terms[keep], (dst - apply(h, src))[keep], rcond=None)
            poly = np.asarray(sol, dtype=np.float64)
        err = np.hypot(*(apply(h, src) + terms @ poly - dst).T)
        keep = err < max(tol, 3.0 * float(np.median(err[keep])))
        if keep.sum() < 6:
            raise AnalysisError("registration: the dots do not fit one smooth screen")
    return h, poly, int(keep.sum())


def find_screen(image: npt.NDArray[np.generic], layout: ScreenLayout) -> ScreenMap:
    """Where the screen is in ``image`` (a photo of the registration pattern), as a
    :class:`ScreenMap`; AnalysisError saying what was not found."""
    import cv2

    img = np.asarray(image)
    scale = max(1, int(np.ceil(img.shape[1] / WORK_WIDTH)))
    if scale > 1:  # area-average the photo itself (uint8 stays fast), then sum the channels
        img = cv2.resize(
            img, (img.shape[1] // scale, img.shape[0] // scale), interpolation=cv2.INTER_AREA
        )
    work = gray(img)
    pts, areas = _blobs(np.asarray(work, dtype=np.float32))
    lit = len(dot_positions(layout)) + 4 * MARKER * MARKER
    if len(pts) > 3 * lit:  # noise of a dark photo, or another pattern
        raise AnalysisError(
            f"registration: {len(pts)} bright spots where the pattern lights {lit} LEDs "
            "(a dark screen, or not the registration pattern)"
        )
    h = _initial(layout, _markers(pts, areas), pts.mean(axis=0))
    screen = ScreenMap(h, np.zeros((10, 2)), layout)
    dots = dot_positions(layout).astype(np.float64) + 0.5
    for _ in range(3):
        pred = screen(dots)
        step = np.hypot(*(screen(dots + [DOT_STEP, 0]) - pred).T)
        d = np.hypot(*(pred[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        j = np.argmin(d, axis=1)
        ok = d[np.arange(len(dots)), j] < step / 3
        if ok.sum() < 6:
            raise AnalysisError(
                f"registration: only {int(ok.sum())} lattice dots where the markers put them"
            )
        h, poly, _ = _fit(dots[ok], pts[j[ok]], layout, 0.05 * float(np.median(step)))
        screen = ScreenMap(h, poly, layout)
    # back to full-resolution pixel coordinates (area-average: centre of block k at k*s+(s-1)/2)
    up = np.array([[scale, 0, (scale - 1) / 2], [0, scale, (scale - 1) / 2], [0, 0, 1]], float)
    return screen.scaled(up)
