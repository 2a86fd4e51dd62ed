"""The ``led_screen`` devices of a station's ``[hardware]`` map: the video output into the
screen's sending card and the camera, with their parsers.

```toml
[hardware.pattern_output]      # the HDMI output the sending card captures
driver = "framebuffer"          # or "file" (frames written to a file, for a dry run)
device = "/dev/fb0"
offset = [0, 0]                 # where the screen's window starts in the HDMI picture

[hardware.camera]
driver = "picamera2"            # or "opencv" (V4L2 / UVC)
device = "0"                    # opencv: index or /dev/videoN
width = 4056
height = 3040
exposure_us = 20000             # fixed exposure: many refresh periods of the screen
gain = 1.0
frames = 4                      # averaged per photo
```
"""

from __future__ import annotations

from dataclasses import dataclass

from benchscore.configfile import Table
from firmware_py.config.tables import int_list

PATTERN_DRIVERS = ["framebuffer", "file"]
CAMERA_DRIVERS = ["picamera2", "opencv"]


@dataclass(frozen=True)
class PatternOutputConfig:
    driver: str = "framebuffer"
    device: str = "/dev/fb0"
    width: int = 1920
    """HDMI picture width (a device reads its own from sysfs)."""
    height: int = 1080
    bits_per_pixel: int = 32
    offset: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class CameraConfig:
    driver: str = "picamera2"
    device: str = "0"
    width: int = 4056
    height: int = 3040
    exposure_us: int = 20000
    gain: float = 1.0
    frames: int = 4
    colour_gains: tuple[float, float] = (1.5, 1.5)
    """picamera2: fixed red and blue gains (white balance off)."""


def parse_pattern_output(t: Table, d: PatternOutputConfig) -> PatternOutputConfig:
    offset = int_list(t, "offset", d.offset, lo=0, hi=16383)
    if len(offset) != 2:
        raise t.error("offset", f"expected [x, y], got {list(offset)}")
    bpp = t.get_int("bits_per_pixel", d.bits_per_pixel, min=16)
    if bpp not in (16, 32):
        raise t.error("bits_per_pixel", f"16 or 32, got {bpp}")
    cfg = PatternOutputConfig(
        driver=t.get_choice("driver", PATTERN_DRIVERS, d.driver),
        device=t.get_str("device", d.device),
        width=t.get_int("width", d.width, min=1),
        height=t.get_int("height", d.height, min=1),
        bits_per_pixel=bpp,
        offset=(offset[0], offset[1]),
    )
    t.check_unknown()
    return cfg


def parse_camera(t: Table, d: CameraConfig) -> CameraConfig:
    gains = t._get("colour_gains", list(d.colour_gains))
    if (
        not isinstance(gains, list)
        or len(gains) != 2
        or not all(isinstance(g, int | float) and not isinstance(g, bool) and g > 0 for g in gains)
    ):
        raise t.error("colour_gains", f"expected [red, blue] positive numbers, got {gains!r}")
    cfg = CameraConfig(
        driver=t.get_choice("driver", CAMERA_DRIVERS, d.driver),
        device=t.get_str("device", d.device),
        width=t.get_int("width", d.width, min=0),
        height=t.get_int("height", d.height, min=0),
        exposure_us=t.get_int("exposure_us", d.exposure_us, min=1),
        gain=t.get_float("gain", d.gain, min=1.0),
        frames=t.get_int("frames", d.frames, min=1),
        colour_gains=(float(gains[0]), float(gains[1])),
    )
    t.check_unknown()
    return cfg
