"""Evidence pictures: a pattern photo with the findings drawn on it, as a small JPEG.

Each finding is outlined where it is on the photo (its LEDs' cells projected through the
registration's screen map), in a colour by kind, and numbered in the order of the run's
reason. The photo is scaled to ``width`` pixels and brightened by ``gain`` (a black-field
photo is otherwise black).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.register import ScreenMap

F64 = npt.NDArray[np.float64]
COLOURS_BGR = {
    Kind.DEAD_PIXEL: (255, 255, 0),
    Kind.DIM_PIXEL: (0, 200, 255),
    Kind.STUCK_PIXEL: (255, 0, 255),
    Kind.DEAD_MODULE: (0, 0, 255),
    Kind.DEAD_CARD: (0, 0, 255),
    Kind.DIM_MODULE: (0, 140, 255),
    Kind.ROW_OUT: (0, 0, 255),
    Kind.COLUMN_OUT: (0, 0, 255),
    Kind.SWAPPED_CHANNELS: (255, 128, 0),
    Kind.MISPLACED_MODULE: (0, 255, 0),
    Kind.ROTATED_MODULE: (0, 255, 128),
}


def _box(f: Finding, layout: ScreenLayout) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in LED coordinates of what the finding covers (pixels padded)."""
    if f.kind is Kind.DEAD_CARD:
        cw, ch = (int(v) for v in f.detail.split("x"))
        rows, cols = layout.module_slices(f.module)
        return (
            cols.start,
            rows.start,
            cols.start + cw * layout.module_w,
            rows.start + ch * layout.module_h,
        )
    if f.module >= 0:
        rows, cols = layout.module_slices(f.module)
        return cols.start, rows.start, cols.stop, rows.stop
    if f.kind in (Kind.ROW_OUT, Kind.COLUMN_OUT):
        return f.x, f.y, f.x2 + 1, f.y2 + 1
    return f.x - 1.0, f.y - 1.0, f.x + 2.0, f.y + 2.0


def _jpeg(bgr: npt.NDArray[np.uint8], quality: int) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("evidence: JPEG encoding failed")
    return bytes(buf.tobytes())


def _small(
    photo: npt.NDArray[np.generic], full_scale: float, width: int, gain: float
) -> tuple[npt.NDArray[np.uint8], float]:
    """The photo as 8-bit BGR at most ``width`` wide, and the scale applied."""
    import cv2

    img = np.asarray(photo, dtype=np.float32) * (255.0 * gain / float(full_scale))
    scale = min(1.0, width / img.shape[1])
    size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.clip(small, 0, 255).astype(np.uint8)[..., ::-1]), scale


def picture(
    photo: npt.NDArray[np.generic], *, full_scale: float, width: int = 960, gain: float = 1.5
) -> bytes:
    """JPEG bytes of ``photo`` as it is (a photo the screen was not found in)."""
    return _jpeg(_small(photo, full_scale, width, gain)[0], 80)


def annotate(
    photo: npt.NDArray[np.generic],
    screen: ScreenMap,
    layout: ScreenLayout,
    findings: Sequence[Finding],
    *,
    full_scale: float,
    width: int = 960,
    gain: float = 1.0,
    quality: int = 80,
) -> bytes:
    """JPEG bytes of ``photo`` (RGB) with ``findings`` outlined."""
    import cv2

    bgr, scale = _small(photo, full_scale, width, gain)
    size = (bgr.shape[1], bgr.shape[0])
    to_small = np.array([[scale, 0, 0.5 * scale - 0.5], [0, scale, 0.5 * scale - 0.5], [0, 0, 1]])
    hs = screen.scaled(to_small)
    thick = max(1, round(size[0] / 640))
    w, ht = layout.width, layout.height
    outline = hs(np.array([[0, 0], [w, 0], [w, ht], [0, ht]], dtype=np.float64))
    grey = (110, 110, 110)  # where the screen is, also on a black field
    cv2.polylines(bgr, [np.rint(outline).astype(np.int32).reshape(-1, 1, 2)], True, grey, 1)
    for n, f in enumerate(findings, start=1):
        x0, y0, x1, y1 = _box(f, layout)
        quad = hs(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64))
        pts = np.rint(quad).astype(np.int32).reshape(-1, 1, 2)
        colour = COLOURS_BGR[f.kind]
        cv2.polylines(bgr, [pts], True, colour, thick, cv2.LINE_AA)
        tx, ty = int(pts[:, 0, 0].min()), int(pts[:, 0, 1].min()) - 3
        cv2.putText(
            bgr,
            str(n),
            (tx, max(10, ty)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.35 * thick,
            colour,
            thick,
            cv2.LINE_AA,
        )
    return _jpeg(bgr, quality)
