"""The ``benchscore`` command and the demo: the one place that imports every part (station,
scorer, drivers). The rest of :mod:`benchscore` (protocol, signing, measurement, analysis,
simulation, plugins, credentials) imports none of them, so no package imports another that
imports it back."""
