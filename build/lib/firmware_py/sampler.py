"""Periodic sampling of several channels on absolute deadlines.

Each tick reads every channel once and stamps the sample with monotonic time (for integration
and jitter) and wall time (for comparing stations). Deadlines are absolute (``start + k *
period``), so a late tick does not shift the ones after it; a tick that is more than a whole
period late is counted as an overrun and skipped rather than bunched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Channel = Callable[[], float]


@dataclass
class SampleBlock:
    """Samples of one run: ``t_mono_s`` and ``t_wall_s`` per tick, one array per channel."""

    t_mono_s: npt.NDArray[np.float64]
    t_wall_s: npt.NDArray[np.float64]
    values: dict[str, npt.NDArray[np.float64]]
    overruns: int
    cpu_s: float

    @property
    def periods_s(self) -> npt.NDArray[np.float64]:
        return np.diff(self.t_mono_s)

    def jitter_s(self, period_s: float) -> npt.NDArray[np.float64]:
        """|actual period - nominal period| for every pair of consecutive ticks (s)."""
        return np.abs(self.periods_s - period_s)


class Sampler:
    """Reads ``channels`` at ``rate_hz`` for a given duration on the machine's clocks."""

    def __init__(self, channels: Mapping[str, Channel], rate_hz: float) -> None:
        if rate_hz <= 0:
            raise ValueError(f"sampling rate must be positive, got {rate_hz} Hz")
        if not channels:
            raise ValueError("a sampler needs at least one channel")
        self.channels = dict(channels)
        self.period_s = 1.0 / rate_hz

    def run(self, duration_s: float) -> SampleBlock:
        """Sample for ``duration_s`` seconds; return every tick that was taken."""
        n = int(round(duration_s / self.period_s))
        t_mono = np.empty(n)
        t_wall = np.empty(n)
        values = {name: np.empty(n) for name in self.channels}
        reads = list(self.channels.items())
        overruns = 0
        taken = 0
        cpu0 = time.process_time()
        start = time.monotonic()
        for k in range(n):
            deadline = start + k * self.period_s
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif -delay > self.period_s:
                overruns += 1
                continue
            t_mono[taken] = time.monotonic()
            t_wall[taken] = time.time()
            for name, read in reads:
                values[name][taken] = read()
            taken += 1
        cpu = time.process_time() - cpu0
        return SampleBlock(
            t_mono[:taken],
            t_wall[:taken],
            {k: v[:taken] for k, v in values.items()},
            overruns,
            cpu,
        )
