"""Simulated LED display screen and the camera that photographs it (``led_screen``).

- :mod:`.screen`: :class:`SimScreen`, LEDs with gain spread and injectable faults (its
  ``truth`` is a set of analysis findings);
- :mod:`.render`: :class:`CameraModel` and :func:`render`, the camera's photo (pose, pitch,
  blur, exposure, noise);
- :mod:`.camera`: :class:`SimPatternOutput` and :class:`SimCamera`, the bench's seams.
"""

from benchscore.sim.led_screen.camera import SimCamera, SimPatternOutput
from benchscore.sim.led_screen.render import CameraModel, render, screen_to_image
from benchscore.sim.led_screen.screen import SimScreen

__all__ = ["CameraModel", "SimCamera", "SimPatternOutput", "SimScreen", "render", "screen_to_image"]
