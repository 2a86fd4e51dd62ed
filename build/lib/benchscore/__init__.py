"""benchscore: stations measure hardware skill tasks, a central scorer marks them.

This package holds what both sides import without hardware libraries: the clock seam,
the wire protocol, measurement records and limits, the pure analysis code and the
simulation (physics of assemblies under test plus simulated chips and instruments).
"""

__version__ = "0.1.0"
