"""The simulated bench of ``led_screen``: a pattern output feeding a simulated screen, and a
camera photographing it (the same protocols as :mod:`drivers.pattern_output` and
:mod:`drivers.camera`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from benchscore.analysis.led_screen.patterns import Frame
from benchscore.sim.led_screen.render import CameraModel, render, screen_to_image
from benchscore.sim.led_screen.screen import SimScreen

REFERENCE_EXPOSURE_US = 20000


class SimPatternOutput:
    """What the station's HDMI output shows: the frame the sending card passes on."""

    def __init__(self, screen: SimScreen, *, present: bool = True) -> None:
        self.screen = screen
        self.frame: Frame | None = None
        self.closed = False
        self.present = present

    def show(self, frame: Frame) -> None:
        if not self.present:
            raise OSError("pattern output: no HDMI sink (the sending card is not connected)")
        lay = self.screen.layout
        if frame.shape != (lay.height, lay.width, 3):
            raise ValueError(
                f"frame {frame.shape} does not fit the {lay.width}x{lay.height} screen"
            )
        self.frame = frame

    def close(self) -> None:
        self.closed = True


class SimCamera:
    """A camera photographing ``output``'s screen: each capture renders a new photo."""

    def __init__(
        self,
        output: SimPatternOutput,
        model: CameraModel,
        *,
        pitch_mm: float = 2.5,
        seed: int = 0,
        present: bool = True,
    ) -> None:
        self.output = output
        self.model = model
        self.present = present
        lay = output.screen.layout
        self.homography = screen_to_image(model, lay.width, lay.height, pitch_mm)
        self._rng = np.random.default_rng(seed)
        self._base = model
        self.exposure_us = REFERENCE_EXPOSURE_US

    @property
    def full_scale(self) -> int:
        return int(2**self.model.bits - 1)

    def set_exposure(self, exposure_us: int, gain: float = 1.0) -> None:
        """Signal scales with exposure time and gain (``model.exposure`` is at 20 ms, x1)."""
        scale = exposure_us / REFERENCE_EXPOSURE_US * gain
        self.model = replace(self._base, exposure=self._base.exposure * scale)
        self.exposure_us = exposure_us

    def capture(self) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
        if not self.present:
            raise OSError("camera: no camera answers (unplugged)")
        screen = self.output.screen
        frame = self.output.frame
        if frame is None:
            lay = screen.layout
            frame = np.zeros((lay.height, lay.width, 3), dtype=np.float32)
        return render(screen.emission(frame), self.model, self.homography, self._rng)

    def close(self) -> None:
        pass
