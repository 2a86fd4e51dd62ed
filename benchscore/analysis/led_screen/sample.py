"""Sample every LED of a registered photo: the mean camera signal over each LED's pitch cell.

Summing over a whole pitch cell makes the value insensitive to moire and to where the dies sit
in the cell. The photo is first area-averaged by a whole factor so that an LED spans at least
:data:`CELL` pixels, then warped to a rectified image of ``CELL`` x ``CELL`` pixels per LED
(bilinear through the screen map, lens correction included; about one source pixel per
output pixel: close to a box integral), then averaged per cell. Values are fractions of the
camera's full scale, per camera channel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.register import ScreenMap

F64 = npt.NDArray[np.float64]
CELL = 4
"""Rectified pixels per LED pitch (each way)."""


def pitch_px(screen: ScreenMap, layout: ScreenLayout) -> float:
    """The smallest LED pitch in photo pixels over the screen (horizontal or vertical)."""
    w, ht = layout.width, layout.height
    c = screen(np.array([[0, 0], [w, 0], [w, ht], [0, ht]], dtype=np.float64))
    sides = [
        np.hypot(*(c[1] - c[0])) / w,
        np.hypot(*(c[2] - c[3])) / w,
        np.hypot(*(c[3] - c[0])) / ht,
        np.hypot(*(c[2] - c[1])) / ht,
    ]
    return float(min(sides))


class Sampler:
    """Samples photos of one size through one screen map (the remap grid is computed once)."""

    def __init__(self, screen: ScreenMap, layout: ScreenLayout, shape: tuple[int, ...]) -> None:
        if len(shape) not in (2, 3) or shape[0] < 2 or shape[1] < 2:
            raise AnalysisError(f"photo: expected an image, got shape {shape}")
        self.layout, self.shape = layout, tuple(shape)
        p = pitch_px(screen, layout)
        if p < 2.0:
            raise AnalysisError(f"photo: an LED spans {p:.2f} pixels; the camera needs >= 2")
        # only the screen's part of the photo (and a pitch around it) is reduced and sampled
        w, ht = layout.width, layout.height
        edge = screen(
            np.array(
                [[x, y] for x in np.linspace(-1, w + 1, 9) for y in np.linspace(-1, ht + 1, 9)]
            )
        )
        self.x0, self.y0 = (max(0, int(np.floor(v))) for v in edge.min(axis=0))
        self.x1 = min(shape[1], int(np.ceil(edge[:, 0].max())) + 1)
        self.y1 = min(shape[0], int(np.ceil(edge[:, 1].max())) + 1)
        if self.x1 - self.x0 < 2 or self.y1 - self.y0 < 2:
            raise AnalysisError("photo: the screen lies outside the photo")
        self.factor = f = max(1, int(p // CELL))
        shift = -(f - 1) / (2 * f)
        down = np.array([[1 / f, 0, shift], [0, 1 / f, shift], [0, 0, 1]])
        crop = np.array([[1, 0, -self.x0], [0, 1, -self.y0], [0, 0, 1]], dtype=np.float64)
        reduced = screen.scaled(down @ crop)  # LED coordinates -> reduced photo
        gu, gv = np.meshgrid(
            (np.arange(w * CELL) + 0.5) / CELL, (np.arange(ht * CELL) + 0.5) / CELL
        )
        where = reduced(np.column_stack([gu.ravel(), gv.ravel()]))
        self.map_x = where[:, 0].reshape(gu.shape).astype(np.float32)
        self.map_y = where[:, 1].reshape(gu.shape).astype(np.float32)

    def sample(self, image: npt.NDArray[np.generic], full_scale: float) -> npt.NDArray[np.float64]:
        """Mean signal of every LED cell, (height, width, channels) fractions of full scale."""
        import cv2

        img = np.asarray(image)
        if img.shape != self.shape:
            raise AnalysisError(f"photo: shape {img.shape} differs from {self.shape}")
        if img.dtype not in (np.uint8, np.uint16, np.float32):
            img = img.astype(np.float32)
        img = img[self.y0 : self.y1, self.x0 : self.x1]
        f = self.factor
        if f > 1:
            size = (img.shape[1] // f, img.shape[0] // f)
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        rect = cv2.remap(
            img,
            self.map_x,
            self.map_y,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        lay = self.layout
        # the mean of each CELL x CELL block (an exact area average: the sizes divide)
        cells = cv2.resize(
            rect.astype(np.float32), (lay.width, lay.height), interpolation=cv2.INTER_AREA
        )
        cells = cells.reshape(lay.height, lay.width, -1).astype(np.float64)
        return np.asarray(cells / float(full_scale), dtype=np.float64)


def sample_leds(
    image: npt.NDArray[np.generic], screen: ScreenMap, layout: ScreenLayout, full_scale: float
) -> npt.NDArray[np.float64]:
    """Mean signal of every LED cell: (height, width, channels) in fractions of
    ``full_scale``; ``screen`` maps LED coordinates to pixels of ``image``."""
    return Sampler(screen, layout, np.shape(image)).sample(image, full_scale)
