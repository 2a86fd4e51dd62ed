"""Simulated bench instruments that speak the real serial protocols.

Each simulator parses the bytes a driver sends and answers exactly as the instrument would;
run one behind a pty with :class:`benchscore.sim.serial_sim.PtyInstrument`. The physics is in
:mod:`.models`: a load sinks current from a ``source`` (terminal voltage vs. current, so a
power-bank model plugs in), a supply regulates CV/CC into a ``load`` (current vs. voltage).
"""
