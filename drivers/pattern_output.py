"""The station's video output: what it shows on HDMI into the screen's sending card.

:class:`PatternOutput` is the seam: ``show`` a frame of R, G, B drive levels 0..1, one pixel
per LED (the sending card captures the top-left ``width x height`` window of the HDMI picture,
so the frame goes to ``offset`` and the rest stays black).

:class:`FramebufferOutput` writes frames into a Linux framebuffer device (``/dev/fb0``: on a
Pi the KMS driver's fbdev emulation, with no desktop drawing over it) or into a plain file of
the same layout (what the tests use). With a device, the geometry comes from sysfs
(``/sys/class/graphics/fbN``: ``virtual_size``, ``bits_per_pixel``, ``stride``); with a file,
from the arguments. Pixel formats: 32 bpp XRGB8888 (bytes B, G, R, X) and 16 bpp RGB565,
little-endian. Untested on a real Pi framebuffer here: no display hardware on the build
machine; the byte layout follows the kernel's fbdev ABI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from drivers.errors import DriverError

Frame = npt.NDArray[np.float32]


class PatternOutput(Protocol):
    def show(self, frame: Frame) -> None:
        """Show ``frame`` (height, width, 3) drive levels 0..1 on the screen."""
        ...

    def close(self) -> None: ...


def _sysfs(device: Path) -> tuple[int, int, int, int] | None:
    """(width, height, bits_per_pixel, stride) of framebuffer ``device``, or None."""
    base = Path("/sys/class/graphics") / device.name
    try:
        w, h = (int(v) for v in (base / "virtual_size").read_text().strip().split(","))
        bpp = int((base / "bits_per_pixel").read_text())
        stride = int((base / "stride").read_text())
    except (OSError, ValueError):
        return None
    return w, h, bpp, stride


def pack(frame: Frame, bits_per_pixel: int) -> npt.NDArray[np.uint8]:
    """Frame -> framebuffer bytes (height, width * bytes per pixel)."""
    rgb = np.clip(np.rint(np.asarray(frame, dtype=np.float32) * 255.0), 0, 255).astype(np.uint16)
    h, w, _ = rgb.shape
    if bits_per_pixel == 32:
        out = np.zeros((h, w, 4), dtype=np.uint8)
        out[..., 0], out[..., 1], out[..., 2] = rgb[..., 2], rgb[..., 1], rgb[..., 0]
        return out.reshape(h, w * 4)
    if bits_per_pixel == 16:
        v = ((rgb[..., 0] >> 3) << 11) | ((rgb[..., 1] >> 2) << 5) | (rgb[..., 2] >> 3)
        return np.asarray(v.astype("<u2").view(np.uint8).reshape(h, w * 2), dtype=np.uint8)
    raise DriverError(f"framebuffer: {bits_per_pixel} bits per pixel is not supported (16, 32)")


class FramebufferOutput:
    """Frames into a framebuffer device or file (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int = 1920,
        height: int = 1080,
        bits_per_pixel: int = 32,
        offset: tuple[int, int] = (0, 0),
    ) -> None:
        self.path = Path(path)
        geometry = _sysfs(self.path) if self.path.is_char_device() else None
        if geometry is not None:
            width, height, bits_per_pixel, stride = geometry
        else:
            stride = width * bits_per_pixel // 8
        if bits_per_pixel not in (16, 32):
            raise DriverError(f"{self.path}: {bits_per_pixel} bits per pixel is not supported")
        self.width, self.height, self.bpp, self.stride = width, height, bits_per_pixel, stride
        self.offset = offset
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DriverError(f"pattern output {self.path}: {exc.strerror}") from exc

    def show(self, frame: Frame) -> None:
        h, w = frame.shape[:2]
        x0, y0 = self.offset
        if x0 + w > self.width or y0 + h > self.height:
            raise DriverError(
                f"pattern output {self.path}: a {w}x{h} frame at {self.offset} does not fit "
                f"{self.width}x{self.height}"
            )
        bpp = self.bpp // 8
        buf = np.zeros((self.height, self.stride), dtype=np.uint8)
        buf[y0 : y0 + h, x0 * bpp : (x0 + w) * bpp] = pack(frame, self.bpp)
        try:
            os.pwrite(self._fd, buf.tobytes(), 0)
        except OSError as exc:
            raise DriverError(f"pattern output {self.path}: {exc.strerror}") from exc

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
