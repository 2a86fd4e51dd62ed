"""What the screen analysis reports: one :class:`Finding` per fault, in the screen's terms.

The simulator describes the faults it injects with the same class (its truth), so a test
compares the two sets directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    DEAD_PIXEL = "dead_pixel"
    """A die that never lights (blind point); ``colours`` names the dead dies."""
    STUCK_PIXEL = "stuck_pixel"
    """A die that is always lit (lit on the black field)."""
    DIM_PIXEL = "dim_pixel"
    """A die well below its module's median on its own colour field."""
    DEAD_MODULE = "dead_module"
    DIM_MODULE = "dim_module"
    DEAD_CARD = "dead_card"
    """Every module a receiving card drives is dark (card, power or network): ``module`` is
    the region's top-left module, ``detail`` its size in modules (e.g. ``2x2``)."""
    ROW_OUT = "row_out"
    """A row segment dark (scan line / address fault): ``y`` the row, ``x``..``x2`` LEDs."""
    COLUMN_OUT = "column_out"
    """A column segment dark (driver output): ``x`` the column, ``y``..``y2`` LEDs."""
    SWAPPED_CHANNELS = "swapped_channels"
    """A module's RGB order is wrong: ``detail`` is what R, G, B inputs show (e.g. ``GRB``)."""
    MISPLACED_MODULE = "misplaced_module"
    """The module at ``module`` shows the content of module ``detail``."""
    ROTATED_MODULE = "rotated_module"
    """The module at ``module`` is mounted turned: ``detail`` says how."""


COLOURS = ("red", "green", "blue")
"""The dies of one LED pixel, in this order everywhere (fields, camera channels)."""


@dataclass(frozen=True, order=True)
class Finding:
    """One fault: pixel faults carry ``x``, ``y`` and ``colours`` ("r", "g", "b" letters);
    module faults ``module`` (row-major index); line faults both ends."""

    kind: Kind
    x: int = -1
    y: int = -1
    x2: int = -1
    y2: int = -1
    module: int = -1
    colours: str = ""
    detail: str = ""

    def describe(self) -> str:
        """One short line for a reason or an evidence caption."""
        c = f" ({self.colours})" if self.colours else ""
        if self.kind in (Kind.DEAD_PIXEL, Kind.STUCK_PIXEL, Kind.DIM_PIXEL):
            return f"{self.kind.value}{c} at x={self.x} y={self.y}"
        if self.kind is Kind.ROW_OUT:
            return f"row {self.y} out{c} from x={self.x} to {self.x2}"
        if self.kind is Kind.COLUMN_OUT:
            return f"column {self.x} out{c} from y={self.y} to {self.y2}"
        extra = f": {self.detail}" if self.detail else ""
        return f"{self.kind.value} at module {self.module}{extra}"
