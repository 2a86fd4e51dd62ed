"""The camera's photo of a simulated screen (forward model of docs' reference, section 5).

1. Every die's output through the camera's channel response (``response``: camera R, G, B per
   unit of red, green, blue die light, with the crosstalk of real colour filters), as a small
   Gaussian spot per LED on a fine raster (``spot`` of the pitch).
2. Perspective of a pinhole camera at ``yaw_deg`` / ``pitch_deg`` off the screen's axis,
   aimed at its centre, the screen filling ``fill`` of the image width head-on; rendered by
   warping the raster at ``supersample`` x the image resolution and integrating each sensor
   pixel (box filter: moire comes out as on a real sensor).
3. Lens distortion (radial, ``k1``), blur (Gaussian, ``blur_px``), vignetting
   ``1 - vignetting * r^2``.
4. Sensor (EMVA 1288 linear model): ``exposure`` scales light to a fraction of full scale,
   photon shot noise at ``full_well_e``, read noise ``read_noise_e``, a dark offset,
   quantisation to ``bits``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

DEFAULT_RESPONSE = ((0.80, 0.07, 0.01), (0.10, 0.85, 0.10), (0.01, 0.06, 0.75))
"""Camera (R, G, B rows) per unit output of the red, green, blue dies (columns)."""


@dataclass(frozen=True)
class CameraModel:
    """The simulated camera and where it stands (see the module docstring for each field)."""

    image_w: int = 1024
    image_h: int = 768
    fill: float = 0.8
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    distance_mm: float = 3000.0
    blur_px: float = 0.8
    spot: float = 0.22
    exposure: float = 0.28
    full_well_e: float = 10000.0
    read_noise_e: float = 6.0
    dark_offset: float = 0.01
    vignetting: float = 0.0
    bits: int = 8
    noise: bool = True
    supersample: int = 2
    k1: float = 0.0
    """Radial lens distortion, radius in units of half the image width: ``x_d = x_u (1 + k1
    r^2)`` (negative: barrel, positive: pincushion)."""
    response: tuple[tuple[float, float, float], ...] = DEFAULT_RESPONSE


def _rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> F64:
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(rz @ rx @ ry, dtype=np.float64)


def screen_to_image(model: CameraModel, width_leds: int, height_leds: int, pitch_mm: float) -> F64:
    """Homography from LED coordinates to image pixel coordinates (pixel centres at
    integers, as OpenCV counts them)."""
    w_mm, h_mm = width_leds * pitch_mm, height_leds * pitch_mm
    d = model.distance_mm
    f = model.fill * model.image_w * d / w_mm
    k = np.array(
        [[f, 0, (model.image_w - 1) / 2], [0, f, (model.image_h - 1) / 2], [0, 0, 1]], float
    )
    # the camera orbits the screen's centre: world -> camera is R (X - C), C = R^T (0, 0, -d)
    rot = _rotation(model.yaw_deg, model.pitch_deg, model.roll_deg)
    t = np.array([0.0, 0.0, d])
    extr = np.column_stack([rot[:, 0], rot[:, 1], t])  # screen plane Z = 0
    led_to_mm = np.array([[pitch_mm, 0, -w_mm / 2], [0, pitch_mm, -h_mm / 2], [0, 0, 1]])
    h = k @ extr @ led_to_mm
    return np.asarray(h / h[2, 2], dtype=np.float64)


def _spot(q: int, sigma_frac: float) -> npt.NDArray[np.float32]:
    c = (np.arange(q) + 0.5) / q - 0.5
    g = np.exp(-0.5 * (c / sigma_frac) ** 2)
    s = np.outer(g, g)
    return np.asarray(s / s.mean(), dtype=np.float32)


def _distorted(
    raster: npt.NDArray[np.float32], model: CameraModel, h_raster_to_image: F64, ss: int
) -> npt.NDArray[np.float32]:
    """The raster through a lens with radial distortion ``k1`` (inverse mapping: every sensor
    sample is traced back, through the undistorted pinhole image, onto the raster)."""
    import cv2

    cx, cy = (model.image_w - 1) / 2, (model.image_h - 1) / 2
    half = model.image_w / 2
    us = (np.arange(model.image_w * ss, dtype=np.float64) - (ss - 1) / 2) / ss
    vs = (np.arange(model.image_h * ss, dtype=np.float64) - (ss - 1) / 2) / ss
    xd, yd = np.meshgrid((us - cx) / half, (vs - cy) / half)
    xu, yu = xd.copy(), yd.copy()
    for _ in range(6):  # x_d = x_u (1 + k1 r_u^2), solved for x_u
        scale = 1.0 + model.k1 * (xu * xu + yu * yu)
        xu, yu = xd / scale, yd / scale
    px, py = xu * half + cx, yu * half + cy
    inv = np.linalg.inv(h_raster_to_image)
    w = inv[2, 0] * px + inv[2, 1] * py + inv[2, 2]
    map_x = ((inv[0, 0] * px + inv[0, 1] * py + inv[0, 2]) / w).astype(np.float32)
    map_y = ((inv[1, 0] * px + inv[1, 1] * py + inv[1, 2]) / w).astype(np.float32)
    out = cv2.remap(raster, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return np.asarray(out, dtype=np.float32)


def distort(model: CameraModel, pts: F64) -> F64:
    """Where the lens puts undistorted image points (n, 2) on the sensor."""
    cx, cy, half = (model.image_w - 1) / 2, (model.image_h - 1) / 2, model.image_w / 2
    x, y = (pts[:, 0] - cx) / half, (pts[:, 1] - cy) / half
    scale = 1.0 + model.k1 * (x * x + y * y)
    return np.stack([x * scale * half + cx, y * scale * half + cy], axis=1)  # type: ignore[no-any-return]


def render(
    emission: npt.NDArray[np.float32],
    model: CameraModel,
    h_led_to_image: F64,
    rng: np.random.Generator,
) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    """The camera's RGB image (uint8 for <= 8 bits, else uint16) of a screen whose dies emit
    ``emission`` (height, width, 3), seen through ``h_led_to_image``."""
    import cv2

    h, w, _ = emission.shape
    cam = emission @ np.asarray(model.response, dtype=np.float32).T
    ss = max(1, model.supersample)
    # LED pitch in sensor pixels (largest over the screen) sets the raster's fineness
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], float).T
    pc = h_led_to_image @ corners
    pc = pc[:2] / pc[2]
    pitch_px = max(np.hypot(*(pc[:, 1] - pc[:, 0])) / w, np.hypot(*(pc[:, 3] - pc[:, 0])) / h)
    q = int(min(24, max(6, math.ceil(pitch_px * ss * 1.5))))
    raster = np.repeat(np.repeat(cam.astype(np.float32), q, axis=0), q, axis=1)
    raster *= np.tile(_spot(q, model.spot), (h, w))[..., None]
    a = np.array([[1 / q, 0, 0.5 / q], [0, 1 / q, 0.5 / q], [0, 0, 1]])
    s = np.array([[ss, 0, (ss - 1) / 2], [0, ss, (ss - 1) / 2], [0, 0, 1]], float)
    if model.k1 == 0.0:
        m = s @ h_led_to_image @ a
        big = cv2.warpPerspective(
            raster, m, (model.image_w * ss, model.image_h * ss), flags=cv2.INTER_LINEAR
        )
    else:
        big = _distorted(raster, model, h_led_to_image @ a, ss)

    img = (
        big
        if ss == 1
        else cv2.resize(big, (model.image_w, model.image_h), interpolation=cv2.INTER_AREA)
    )
    if model.blur_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), model.blur_px)
    if model.vignetting:
        yy, xx = np.mgrid[0 : model.image_h, 0 : model.image_w].astype(np.float32)
        r2 = ((xx - model.image_w / 2) ** 2 + (yy - model.image_h / 2) ** 2) / (
            (model.image_w / 2) ** 2 + (model.image_h / 2) ** 2
        )
        img *= (1.0 - model.vignetting * r2)[..., None]
    signal = img * np.float32(model.exposure) + np.float32(model.dark_offset)
    full = float(2**model.bits - 1)
    if model.noise:
        electrons = np.clip(signal, 0, None) * np.float32(model.full_well_e)
        sd = np.sqrt(electrons + np.float32(model.read_noise_e**2))
        electrons += sd * rng.standard_normal(electrons.shape, dtype=np.float32)
        signal = electrons / np.float32(model.full_well_e)
    dn = np.clip(np.rint(signal * full), 0, full)
    if model.bits <= 8:
        return np.asarray(dn, dtype=np.uint8)
    return np.asarray(dn, dtype=np.uint16)
