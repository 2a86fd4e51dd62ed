"""Pure measurement analysis shared by station and scorer: numpy arrays in, numbers out.

No I/O and no hardware: every function takes arrays (SI units, named in the argument) and
returns numbers or small frozen dataclasses. One module per domain:

- :mod:`.electrical`: settling, steady-state statistics, DC operating point, LM-79
  stability, 10-90 % response time, ripple, temperature rise.
- :mod:`.photometry`: TCS34725 DN40 lux/CCT, AS7341 basic counts and calibration matrix.
- :mod:`.colour`: xy, u'v', CCT and Duv (Ohno 2013, vectorised; McCamy 1992), ANSI C78.377.
- :mod:`.flicker`: dominant frequency, percent flicker, flicker index, IEEE 1789 class.
- :mod:`.dimming`: DALI IEC 62386-102 logarithmic curve, fit and monotonicity.
- :mod:`.environment`: EN 12464-1 grid statistics (Ē, U0, Ud) and the grid-size rule.
- :mod:`.screen`: LED screen failed-pixel rate and brightness uniformity.
- :mod:`.battery`: step segmentation, capacity and energy with cut-off, CC-CV, DCIR, dQ/dV.
- :mod:`.powerbank`: GB/T 35590 conversion efficiency, mAh at a voltage, output regulation.

Invalid inputs raise :class:`AnalysisError` (a :class:`ValueError`) naming the argument.
"""

from benchscore.analysis._arrays import AnalysisError

__all__ = ["AnalysisError"]
