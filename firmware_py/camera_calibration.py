"""Colour and luminance calibration of the ``led_screen`` camera against a reference meter.

The screen shows full red, green, blue and white fields; for each, the camera's mean signal
over the middle of the screen (black removed, fractions of full scale) is paired with what a
reference colorimeter / luminance meter aimed at the same area reads (CIE XYZ, Y in cd/m^2).
A least-squares 3 x 3 matrix maps camera RGB to XYZ (fitted on the screen's own narrow-band
primaries, as the reference for LED walls advises rather than on a reflective chart).

Uncertainty (k = 2): luminance ``U_Y = 2 * sqrt(u_ref^2 + u_fit^2)`` with ``u_fit`` the rms
relative residual of Y over the four fields; chromaticity ``U_uv = 2 * sqrt(u_ref_uv^2 +
rms u'v' residual^2)``. With three fields the fit is exact and only the meter counts.

Calibrations are stored like the other sensors' (id, date, reference, uncertainty) in
``camera_calibration.json`` next to the station's calibration store; the latest is active
and its id goes into every record's ``calibrations``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen import ColourMatrix, ScreenLayout
from benchscore.analysis.led_screen.patterns import pattern
from benchscore.analysis.led_screen.register import find_screen
from benchscore.analysis.led_screen.sample import sample_leds
from benchscore.analysis.led_screen.uniformity import uv_prime
from firmware_py.calibration import CalibrationError, calibration_id

FIELDS = ("red", "green", "blue", "white")


@dataclass(frozen=True)
class CameraCalibration:
    id: str
    station: str
    date: str
    reference: str
    exposure_us: int
    gain: float
    matrix: tuple[tuple[float, float, float], ...]
    uncertainty_luminance: float
    """Relative expanded uncertainty (k = 2) of a luminance."""
    uncertainty_uv: float
    """Expanded uncertainty (k = 2) of a u'v' chromaticity coordinate."""
    points: tuple[tuple[float, ...], ...] = ()
    """Per field: camera R, G, B then reference X, Y, Z."""

    def colour_matrix(self, exposure_us: int | None = None) -> ColourMatrix:
        """The matrix for photos taken at ``exposure_us`` (signal scales with exposure)."""
        m = np.asarray(self.matrix, dtype=np.float64)
        if exposure_us:
            m = m * (self.exposure_us / exposure_us)
        rows = tuple((float(r[0]), float(r[1]), float(r[2])) for r in m)
        return ColourMatrix(rows, self.id)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["matrix"] = [list(r) for r in self.matrix]
        d["points"] = [list(p) for p in self.points]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CameraCalibration:
        data = dict(d)
        data["matrix"] = tuple(tuple(float(v) for v in r) for r in data["matrix"])
        data["points"] = tuple(tuple(float(v) for v in p) for p in data.get("points", ()))
        return cls(**data)


class CameraCalibrationStore:
    """The camera calibrations of a station (JSON list, newest last)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[CameraCalibration]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise CalibrationError(f"{self.path}: unreadable camera calibrations: {exc}") from None
        try:
            return [CameraCalibration.from_dict(d) for d in raw]
        except (TypeError, KeyError, ValueError) as exc:
            raise CalibrationError(f"{self.path}: bad camera calibration entry: {exc}") from None

    def active(self) -> CameraCalibration | None:
        cals = self.all()
        return cals[-1] if cals else None

    def add(self, cal: CameraCalibration) -> CameraCalibration:
        cals = [*self.all(), cal]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([c.to_dict() for c in cals], indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
        return cal


def fit_colour_matrix(
    camera_rgb: Sequence[Sequence[float]],
    reference_xyz: Sequence[Sequence[float]],
    *,
    reference_uncertainty: float = 0.0,
    reference_uncertainty_uv: float = 0.0,
) -> tuple[npt.NDArray[np.float64], float, float]:
    """(matrix, U_luminance, U_uv) of the least-squares fit XYZ = matrix @ RGB."""
    rgb = np.asarray(camera_rgb, dtype=np.float64)
    xyz = np.asarray(reference_xyz, dtype=np.float64)
    if rgb.shape != xyz.shape or rgb.ndim != 2 or rgb.shape[1] != 3 or len(rgb) < 3:
        raise CalibrationError("camera calibration: needs >= 3 fields of camera RGB and XYZ")
    if not (np.isfinite(rgb).all() and np.isfinite(xyz).all()) or (xyz[:, 1] <= 0).any():
        raise CalibrationError("camera calibration: a field without light or a bad reading")
    sol, *_ = np.linalg.lstsq(rgb, xyz, rcond=None)
    m = sol.T
    if np.linalg.matrix_rank(rgb) < 3:
        raise CalibrationError("camera calibration: the fields do not span three colours")
    fitted = rgb @ m.T
    u_fit = float(np.sqrt(np.mean((fitted[:, 1] / xyz[:, 1] - 1.0) ** 2)))
    duv = np.hypot(*(uv_prime(fitted) - uv_prime(xyz)).T)
    u_uv = float(np.sqrt(np.mean(duv**2)))
    u_lum = 2.0 * float(np.hypot(reference_uncertainty, u_fit))
    u_uv2 = 2.0 * float(np.hypot(reference_uncertainty_uv, u_uv))
    return np.asarray(m, dtype=np.float64), u_lum, u_uv2


def calibrate_camera(
    output: Any,
    camera: Any,
    layout: ScreenLayout,
    reference: Callable[[str, tuple[slice, slice]], tuple[float, float, float]],
    *,
    station: str,
    reference_name: str,
    exposure_us: int,
    gain: float = 1.0,
    reference_uncertainty: float = 0.0,
    reference_uncertainty_uv: float = 0.0,
    settle: Callable[[], None] = lambda: None,
) -> CameraCalibration:
    """Show the fields, photograph them, read the meter through ``reference(field, region)``
    and fit the matrix (nothing is stored: see :class:`CameraCalibrationStore`)."""
    camera.set_exposure(exposure_us, gain)

    def photo(name: str) -> Any:
        output.show(pattern(layout, name))
        settle()
        return camera.capture()

    h = find_screen(photo("registration"), layout)
    region = (
        slice(layout.height // 3, 2 * layout.height // 3),
        slice(layout.width // 3, 2 * layout.width // 3),
    )
    black = sample_leds(photo("black"), h, layout, camera.full_scale)[region]
    rgb: list[list[float]] = []
    xyz: list[tuple[float, float, float]] = []
    for name in FIELDS:
        sampled = sample_leds(photo(name), h, layout, camera.full_scale)[region] - black
        rgb.append([float(v) for v in np.median(sampled.reshape(-1, 3), axis=0)])
        xyz.append(reference(name, region))
    output.show(pattern(layout, "black"))
    m, u_lum, u_uv = fit_colour_matrix(
        rgb,
        xyz,
        reference_uncertainty=reference_uncertainty,
        reference_uncertainty_uv=reference_uncertainty_uv,
    )
    now = datetime.now(UTC)
    return CameraCalibration(
        id=calibration_id(station, "camera", "xyz", now),
        station=station,
        date=now.isoformat(timespec="seconds"),
        reference=reference_name,
        exposure_us=exposure_us,
        gain=gain,
        matrix=tuple((float(r[0]), float(r[1]), float(r[2])) for r in m),
        uncertainty_luminance=u_lum,
        uncertainty_uv=u_uv,
        points=tuple((*map(float, c), *map(float, r)) for c, r in zip(rgb, xyz, strict=True)),
    )
