"""LED bins: the chromaticity and relative flux a batch of LEDs comes with, and common ones.

Chromaticity is CIE 1931 2° x, y (or CCT in kelvin with Duv, Ohno 2013, through
:mod:`benchscore.analysis.colour`). Bins mix by luminance-weighted addition of their
tristimulus values (:meth:`LEDBin.xyz`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from benchscore.analysis.colour import cct_duv_from_xy, uv_from_cct_duv, uv_to_xy


@dataclass(frozen=True)
class LEDBin:
    """An LED bin: chromaticity (CIE 1931 2° x, y) and flux relative to the assembly's
    ``flux_lm_per_a`` (``flux_scale``, dimensionless)."""

    x: float
    y: float
    flux_scale: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        if not (0.0 < self.x < 1.0 and 0.0 < self.y < 1.0 and self.x + self.y < 1.0):
            raise ValueError(f"chromaticity ({self.x}, {self.y}) is not a valid CIE 1931 x, y")
        if self.flux_scale < 0:
            raise ValueError(f"flux_scale {self.flux_scale} must be >= 0")

    @classmethod
    def from_cct(
        cls, cct_k: float, duv: float = 0.0, *, flux_scale: float = 1.0, name: str = ""
    ) -> LEDBin:
        """Return a white bin at ``cct_k`` kelvin, ``duv`` off the Planckian locus (Ohno)."""
        xy = uv_to_xy(uv_from_cct_duv(cct_k, duv))
        return cls(float(xy[0]), float(xy[1]), flux_scale, name or f"{cct_k:.0f}K")

    @property
    def xy(self) -> tuple[float, float]:
        """CIE 1931 chromaticity (x, y)."""
        return self.x, self.y

    @property
    def cct_duv(self) -> tuple[float, float]:
        """(CCT in K, Duv) of the bin (meaningful for white bins, |Duv| <= 0.05)."""
        cct, duv = cct_duv_from_xy((self.x, self.y))
        return float(cct), float(duv)

    def xyz(self, luminance: float) -> tuple[float, float, float]:
        """Tristimulus X, Y, Z of this colour at ``luminance`` (Y, e.g. in lx)."""
        return (
            luminance * self.x / self.y,
            luminance,
            luminance * (1.0 - self.x - self.y) / self.y,
        )


@functools.lru_cache(maxsize=64)
def white_bin(cct_k: float) -> LEDBin:
    """The white bin on the Planckian locus at ``cct_k`` kelvin (cached: ambient light)."""
    return LEDBin.from_cct(cct_k)


WARM_WHITE_3000K: Final = LEDBin.from_cct(3000.0, name="3000K")
NEUTRAL_WHITE_4000K: Final = LEDBin.from_cct(4000.0, name="4000K")
COOL_WHITE_6500K: Final = LEDBin.from_cct(6500.0, name="6500K")
RED_625NM: Final = LEDBin(0.690, 0.308, 0.25, "red 625 nm")
GREEN_525NM: Final = LEDBin(0.170, 0.700, 0.55, "green 525 nm")
BLUE_465NM: Final = LEDBin(0.133, 0.075, 0.10, "blue 465 nm")
