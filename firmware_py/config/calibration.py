"""The ``[calibration]`` table of a station config: what a plausible calibration looks like.

::

    [calibration]
    gain_range = [0.5, 2.0]   # a fitted gain outside this is refused unless --force
"""

from __future__ import annotations

from dataclasses import dataclass

from benchscore.configfile import Table
from firmware_py.config.tables import pair

DEFAULT_GAIN_RANGE = (0.5, 2.0)


@dataclass(frozen=True)
class CalibrationConfig:
    """Plausibility bounds of ``benchscore calibrate sensor``."""

    gain_range: tuple[float, float] = DEFAULT_GAIN_RANGE
    """Least and greatest gain (corrected / read) a calibration may store without --force."""


def parse_calibration(t: Table) -> CalibrationConfig:
    """Read ``[calibration]`` (every key optional)."""
    low, high = pair(t, "gain_range", DEFAULT_GAIN_RANGE, positive=True)
    t.check_unknown()
    if low >= high:
        raise t.error(
            "gain_range", f"expected [low, high] with low < high, got [{low:g}, {high:g}]"
        )
    return CalibrationConfig(gain_range=(low, high))
