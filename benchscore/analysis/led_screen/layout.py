"""The pixel grid of an LED screen: its size in LEDs and the module grid over it.

Coordinates: LED ``(x, y)`` is column ``x`` (0 at the left) and row ``y`` (0 at the top) of the
screen as the sending card addresses it; module ``(mx, my)`` likewise, numbered row-major
(``index = my * modules_x + mx``). Continuous "LED coordinates" put the screen's top-left
corner at (0, 0) and LED ``(x, y)``'s centre at ``(x + 0.5, y + 0.5)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchscore.analysis._arrays import AnalysisError


@dataclass(frozen=True)
class ScreenLayout:
    """A screen of ``width`` x ``height`` LEDs made of ``module_w`` x ``module_h`` modules."""

    width: int
    height: int
    module_w: int
    module_h: int

    def __post_init__(self) -> None:
        for name in ("width", "height", "module_w", "module_h"):
            if getattr(self, name) < 1:
                raise AnalysisError(f"screen layout: {name} must be at least 1")
        if self.width % self.module_w or self.height % self.module_h:
            raise AnalysisError(
                f"screen layout: {self.width} x {self.height} LEDs is not a whole number of "
                f"{self.module_w} x {self.module_h} modules"
            )
        if self.module_w < 4 or self.module_h < 4:
            raise AnalysisError("screen layout: modules must be at least 4 x 4 LEDs")

    @property
    def modules_x(self) -> int:
        return self.width // self.module_w

    @property
    def modules_y(self) -> int:
        return self.height // self.module_h

    @property
    def modules(self) -> int:
        return self.modules_x * self.modules_y

    def module_xy(self, index: int) -> tuple[int, int]:
        """(mx, my) of module ``index`` (row-major)."""
        return index % self.modules_x, index // self.modules_x

    def module_index(self, mx: int, my: int) -> int:
        return my * self.modules_x + mx

    def module_slices(self, index: int) -> tuple[slice, slice]:
        """(rows, columns) of module ``index`` in a (height, width) array."""
        mx, my = self.module_xy(index)
        return (
            slice(my * self.module_h, (my + 1) * self.module_h),
            slice(mx * self.module_w, (mx + 1) * self.module_w),
        )

    def module_of(self, x: int, y: int) -> int:
        return self.module_index(x // self.module_w, y // self.module_h)
