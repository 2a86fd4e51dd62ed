"""Simulation shipped with the product: simulated buses, chips, instruments and the physics of
the assemblies under test. The demo, the tests and a trainee's practice bench all run on it."""
