"""Drivers for the chips and instruments a station drives, over small bus seams.

A driver talks to an :class:`drivers.i2c.I2CBus` (smbus2-shaped calls), a pyserial port
opened by URL, or gpiozero devices; it never imports hardware libraries at module level, so
the simulated buses in :mod:`benchscore.sim` serve every driver on a laptop.
"""
