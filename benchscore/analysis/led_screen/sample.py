"""Sample every LED of a registered photo: the mean camera signal over each LED's pitch cell.

Summing over a whole pitch cell makes the value insensitive to moire and to where the dies sit
in the cell. The photo is first area-averaged by a whole factor so that an LED spans at least
:data:`CELL` pixels, then warped to a rectified image of ``CELL`` x ``CELL`` pixels per LED
(bilinear, about one source pixel per output pixel: close to a box integral), then averaged
per cell. Values are fractions of the camera's full scale, per camera channel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.register import apply

F64 = npt.NDArray[np.float64]
CELL = 4
"""Rectified pixels per LED pitch (each way)."""


def pitch_px(h: F64, layout: ScreenLayout) -> float:
    """The smallest LED pitch in photo pixels over the screen (horizontal or vertical)."""
    w, ht = layout.width, layout.height
    c = apply(h, np.array([[0, 0], [w, 0], [w, ht], [0, ht]], dtype=np.float64))
    sides = [
        np.hypot(*(c[1] - c[0])) / w,
        np.hypot(*(c[2] - c[3])) / w,
        np.hypot(*(c[3] - c[0])) / ht,
        np.hypot(*(c[2] - c[1])) / ht,
    ]
    return float(min(sides))


def sample_leds(
    image: npt.NDArray[np.generic], h: F64, layout: ScreenLayout, full_scale: float
) -> npt.NDArray[np.float64]:
    """Mean signal of every LED cell: (height, width, channels) in fractions of
    ``full_scale``; ``h`` maps LED coordinates to pixels of ``image``."""
    import cv2

    img = np.asarray(image)
    if img.ndim not in (2, 3) or img.size == 0:
        raise AnalysisError(f"photo: expected an image, got shape {img.shape}")
    if img.dtype not in (np.uint8, np.uint16, np.float32):
        img = img.astype(np.float32)
    p = pitch_px(h, layout)
    if p < 2.0:
        raise AnalysisError(f"photo: an LED spans {p:.2f} pixels; the camera needs >= 2")
    # only the screen's part of the photo (and a pitch around it) is reduced and warped
    w, ht = layout.width, layout.height
    edge = apply(h, np.array([[-1, -1], [w + 1, -1], [w + 1, ht + 1], [-1, ht + 1]], float))
    x0, y0 = (max(0, int(np.floor(v))) for v in edge.min(axis=0))
    x1 = min(img.shape[1], int(np.ceil(edge[:, 0].max())) + 1)
    y1 = min(img.shape[0], int(np.ceil(edge[:, 1].max())) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise AnalysisError("photo: the screen lies outside the photo")
    img = img[y0:y1, x0:x1]
    h = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64) @ h
    factor = max(1, int(p // CELL))
    if factor > 1:
        img = cv2.resize(
            img,
            (img.shape[1] // factor, img.shape[0] // factor),
            interpolation=cv2.INTER_AREA,
        )
    down = np.array(
        [
            [1 / factor, 0, -(factor - 1) / (2 * factor)],
            [0, 1 / factor, -(factor - 1) / (2 * factor)],
            [0, 0, 1],
        ]
    )
    a = np.array([[1 / CELL, 0, 0.5 / CELL], [0, 1 / CELL, 0.5 / CELL], [0, 0, 1]])
    m = down @ h @ a  # rectified pixel -> LED coordinates -> photo -> reduced photo
    rect = cv2.warpPerspective(
        img,
        m,
        (layout.width * CELL, layout.height * CELL),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    rect = rect.reshape(layout.height, CELL, layout.width, CELL, -1).astype(np.float64)
    return rect.mean(axis=(1, 3)) / float(full_scale)  # type: ignore[no-any-return]
