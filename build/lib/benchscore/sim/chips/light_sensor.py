"""What the simulated light sensors (TSL2591, TCS34725, AS7341, VEML7700) share: the light
they see, seeded noise on their counts and an internal oscillator that times integrations."""

from __future__ import annotations

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CDevice
from benchscore.sim.light import IntegrationCycle, LightSource, Noise


class SimLightSensor(SimI2CDevice):
    """A light sensor lit by ``source`` (lux or a LightSpec), timed by ``clock``.

    ``noise_fraction`` is the relative RMS noise on each count (``seed`` makes it
    reproducible); ``oscillator_error`` stretches every integration (0.1 = 10 % slow) of the
    integration cycle ``_cycle``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        source: LightSource,
        noise_fraction: float,
        seed: int | None,
        oscillator_error: float,
    ) -> None:
        self.source = source
        self.clock = clock
        self.noise = Noise(noise_fraction, seed)
        if not -0.5 < oscillator_error < 0.5:
            raise ValueError(f"oscillator_error {oscillator_error} outside -0.5..0.5")
        self.oscillator_error = oscillator_error
        self._cycle = IntegrationCycle(clock, stretch=1.0 + oscillator_error)
