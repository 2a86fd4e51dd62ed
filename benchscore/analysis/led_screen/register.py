"""Find the screen in a photo of the registration pattern: the homography from LED
coordinates to image pixels.

1. The photo is reduced (area average) to at most :data:`WORK_WIDTH` pixels wide and every
   lit LED found as a connected component above a threshold between the dark level and the
   bright LEDs.
2. The corner markers are the blobs with several close neighbours (3 x 3 LEDs, where lattice
   dots stand :data:`~.patterns.DOT_STEP` pitches apart), grouped by proximity; which corner
   is which follows from where each lies around the centre of all lit LEDs. Four markers give
   a first homography, three an affine map (a dead module may take one corner away).
3. Every lattice dot is predicted, matched to the nearest blob within a third of the lattice
   step, and the homography refitted on markers and dots with RANSAC, twice.
"""

from __future__ import annotations

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
    p = np.column_stack([pts, np.ones(len(pts))]) @ h.T
    return p[:, :2] / p[:, 2:3]  # type: ignore[no-any-return]


def find_screen(image: npt.NDArray[np.generic], layout: ScreenLayout) -> F64:
    """Homography (3 x 3) from LED coordinates to pixel coordinates of ``image`` (a photo of
    the registration pattern); AnalysisError saying what was not found."""
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
    dots = dot_positions(layout).astype(np.float64) + 0.5
    ideal = np.vstack([marker_centres(layout), dots])
    for _ in range(2):
        pred = apply(h, dots)
        step = np.hypot(*(apply(h, dots + [DOT_STEP, 0]) - pred).T)
        d = np.hypot(*(pred[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        j = np.argmin(d, axis=1)
        ok = d[np.arange(len(dots)), j] < step / 3
        if ok.sum() < 6:
            raise AnalysisError(
                f"registration: only {int(ok.sum())} lattice dots where the markers put them"
            )
        src = dots[ok]
        dst = pts[j[ok]]
        h2, inl = cv2.findHomography(src, dst, cv2.RANSAC, 0.15 * float(np.median(step)))
        if h2 is None:
            raise AnalysisError("registration: no consistent homography through the dots")
        h = np.asarray(h2, dtype=np.float64)
    del ideal
    # back to full-resolution pixel coordinates (area-average: centre of block k at k*s+(s-1)/2)
    up = np.array([[scale, 0, (scale - 1) / 2], [0, scale, (scale - 1) / 2], [0, 0, 1]], float)
    out = up @ h
    return out / out[2, 2]  # type: ignore[no-any-return]
