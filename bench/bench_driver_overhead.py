"""Per-sample cost of the INA226 driver over the bare simulated bus.

One sample is ``current_a`` + ``bus_voltage_v`` through :class:`drivers.ina226.INA226` (two
register reads with byte swap, sign and scaling) against two ``read_word_data`` calls straight
on :class:`benchscore.sim.i2c.SimI2CBus`, measured in the same run. Both include the simulated
chip, so the difference is what the driver layer adds. Target: overhead <= 15 us/sample.

Run: ``.venv/bin/python bench/bench_driver_overhead.py``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from benchscore.clock import SimClock
from benchscore.sim.chips.ina226 import SimINA226
from benchscore.sim.i2c import SimI2CBus
from drivers.ina226 import INA226

ADDR = 0x40
SAMPLES = 5_000
REPEATS = 7
TARGET_OVERHEAD_US = 15.0


def best_us_per_sample(loop: Callable[[int], None]) -> float:
    """Return the best of REPEATS timings of ``loop(SAMPLES)``, in microseconds per sample."""
    loop(SAMPLES // 5)  # warm-up
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        loop(SAMPLES)
        best = min(best, time.perf_counter() - start)
    return best / SAMPLES * 1e6


def main() -> int:
    clock = SimClock(start_wall_s=0.0)
    bus = SimI2CBus()  # record=False: no trace cost, as in production sim runs
    bus.attach(ADDR, SimINA226(clock, shunt_ohm=0.02, source=lambda: (5.0, 1.234)))
    ina = INA226(bus, ADDR, shunt_ohm=0.02, max_current_a=3.0, clock=clock)
    clock.advance(0.01)

    def driver_loop(n: int) -> None:
        for _ in range(n):
            ina.current_a  # noqa: B018 - the property read is the work
            ina.bus_voltage_v  # noqa: B018

    read_word = bus.read_word_data

    def bare_loop(n: int) -> None:
        for _ in range(n):
            read_word(ADDR, 0x04)
            read_word(ADDR, 0x02)

    # Interleave the two so drift in machine load affects both alike.
    driver_us = bare_us = float("inf")
    for _ in range(2):
        bare_us = min(bare_us, best_us_per_sample(bare_loop))
        driver_us = min(driver_us, best_us_per_sample(driver_loop))
    overhead_us = driver_us - bare_us
    met = overhead_us <= TARGET_OVERHEAD_US

    print(f"INA226 current_a + bus_voltage_v, {SAMPLES} samples, best of {REPEATS} (x2)")
    print(f"  driver on simulated bus : {driver_us:8.2f} us/sample")
    print(f"  bare SimI2CBus (2 words): {bare_us:8.2f} us/sample")
    print(f"  driver overhead         : {overhead_us:8.2f} us/sample")
    print(f"  ratio driver/bare       : {driver_us / bare_us:8.2f}x")
    verdict = "met" if met else "NOT met"
    print(f"  target overhead <= {TARGET_OVERHEAD_US:.0f} us/sample: {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
