"""The camera that photographs the screen, always at a fixed exposure.

:class:`Camera` is the seam: ``set_exposure`` fixes exposure time and gain (no automatic
exposure or white balance: every photo of a run is comparable), ``capture`` returns an
RGB image (height, width, 3) of uint8, uint16 or float32 values up to ``full_scale``.
Each capture averages ``frames`` frames (less noise; the exposure should span many of the
screen's refresh periods, e.g. 10-20 ms).

- :class:`OpenCVCamera`: any V4L2 / UVC camera through ``cv2.VideoCapture`` (manual exposure:
  ``CAP_PROP_AUTO_EXPOSURE`` = 1 on V4L2, ``CAP_PROP_EXPOSURE`` in the driver's unit, for UVC
  100 us). ``device`` is an index or a path (a video or image file works too).
- :class:`PiCamera2Camera`: a Raspberry Pi camera through picamera2 (imported when opened):
  ``AeEnable``/``AwbEnable`` off, ``ExposureTime`` (us), ``AnalogueGain``, fixed
  ``ColourGains``; format ``BGR888`` (R, G, B bytes in memory).

Neither real camera was available where this was written: both are untested on hardware.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from drivers.errors import DriverError

Image = npt.NDArray[Any]


class Camera(Protocol):
    @property
    def full_scale(self) -> int: ...

    def set_exposure(self, exposure_us: int, gain: float = 1.0) -> None: ...

    def capture(self) -> Image: ...

    def close(self) -> None: ...


def _average(frames: list[Image]) -> Image:
    if len(frames) == 1:
        return frames[0]
    return np.asarray(np.mean(np.stack(frames), axis=0, dtype=np.float32))


class OpenCVCamera:
    """A V4L2 / UVC camera (or a video / image file) through OpenCV."""

    def __init__(
        self,
        device: str = "0",
        *,
        width: int = 0,
        height: int = 0,
        frames: int = 1,
        exposure_unit_us: float = 100.0,
    ) -> None:
        import cv2

        self._cv2 = cv2
        source: int | str = int(device) if device.isdigit() else device
        self._live = isinstance(source, int) or device.startswith("/dev/")
        """A camera (not a video or image file): frames taken before a setting are dropped."""
        backend = cv2.CAP_V4L2 if self._live else 0
        self.device = device
        self.frames = max(1, frames)
        self.exposure_unit_us = exposure_unit_us
        self._cap = cv2.VideoCapture(source, backend)
        if not self._cap.isOpened():
            raise DriverError(f"camera {device}: cannot open it")
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._bits = 8

    @property
    def full_scale(self) -> int:
        return int(2**self._bits - 1)

    def set_exposure(self, exposure_us: int, gain: float = 1.0) -> None:
        cv2 = self._cv2
        ok = self._cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2: manual
        ok = self._cap.set(cv2.CAP_PROP_EXPOSURE, exposure_us / self.exposure_unit_us) and ok
        self._cap.set(cv2.CAP_PROP_GAIN, gain)
        self._cap.set(cv2.CAP_PROP_AUTO_WB, 0)
        if not self._live:
            return
        if not ok:
            raise DriverError(f"camera {self.device}: does not take a manual exposure")
        for _ in range(2):  # drop frames taken with the old settings
            self._cap.grab()

    def capture(self) -> Image:
        frames = []
        for _ in range(self.frames):
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                raise DriverError(f"camera {self.device}: no frame")
            rgb = bgr[..., ::-1] if bgr.ndim == 3 else np.repeat(bgr[..., None], 3, axis=2)
            self._bits = 16 if rgb.dtype == np.uint16 else 8
            frames.append(np.ascontiguousarray(rgb))
        return _average(frames)

    def close(self) -> None:
        self._cap.release()


class PiCamera2Camera:
    """A Raspberry Pi camera through picamera2 (Pi OS only)."""

    def __init__(
        self,
        *,
        width: int = 0,
        height: int = 0,
        frames: int = 1,
        colour_gains: tuple[float, float] = (1.5, 1.5),
    ) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise DriverError(
                "camera: picamera2 is not installed (apt install python3-picamera2)"
            ) from exc
        self.frames = max(1, frames)
        self.colour_gains = colour_gains
        try:
            self._cam = Picamera2()
            main: dict[str, Any] = {"format": "BGR888"}
            if width and height:
                main["size"] = (width, height)
            self._cam.configure(self._cam.create_still_configuration(main=main))
            self._cam.start()
        except Exception as exc:  # noqa: BLE001 - libcamera raises several kinds
            raise DriverError(f"camera: picamera2 could not start: {exc}") from exc

    @property
    def full_scale(self) -> int:
        return 255

    def set_exposure(self, exposure_us: int, gain: float = 1.0) -> None:
        self._cam.set_controls(
            {
                "AeEnable": False,
                "AwbEnable": False,
                "ExposureTime": int(exposure_us),
                "AnalogueGain": float(gain),
                "ColourGains": self.colour_gains,
            }
        )
        for _ in range(3):  # controls apply a few frames later
            self._cam.capture_metadata()

    def capture(self) -> Image:
        frames = [np.asarray(self._cam.capture_array("main")) for _ in range(self.frames)]
        return _average(frames)

    def close(self) -> None:
        self._cam.stop()
        self._cam.close()
