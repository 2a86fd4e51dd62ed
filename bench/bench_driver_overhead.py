"""Per-sample cost of a procedure's sample over the bare simulated bus.

One sample is what the power-bank procedure does for every point of a curve: an INA226
``read()`` (bus voltage, shunt voltage, current, power as one reading, byte swap, sign and
scaling), a timestamp on the procedure's clock, and ``CurveStream.append`` (a chunk of 250
points handed to the sink, rounded to 7 digits, as the station receives it). The baseline is
the same I2C transactions straight on :class:`benchscore.sim.i2c.SimI2CBus` (the registers
the driver read, taken from the bus's own trace of one reading, so the baseline follows the
driver if it changes). Both include the simulated chip, so the difference is what the driver,
the timestamp and the curve buffer add. Target: overhead <= 15 us/sample.

Every figure is the median of REPEATS timed runs, the two loops interleaved so that drift in
the machine's load affects both alike.

Run: ``.venv/bin/python bench/bench_driver_overhead.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchscore.clock import SimClock  # noqa: E402
from benchscore.sim.chips.ina226 import SimINA226  # noqa: E402
from benchscore.sim.i2c import SimI2CBus  # noqa: E402
from drivers.ina226 import INA226  # noqa: E402
from firmware_py.procedures.base import CurveStream  # noqa: E402

ADDR = 0x40
SAMPLES = 5_000
REPEATS = 7
TARGET_OVERHEAD_US = 15.0


def us_per_sample(loop: Callable[[int], None]) -> float:
    """One timed run of ``loop(SAMPLES)``, in microseconds per sample."""
    start = time.perf_counter()
    loop(SAMPLES)
    return (time.perf_counter() - start) / SAMPLES * 1e6


def registers_of_one_reading(bus: SimI2CBus, ina: INA226) -> list[int]:
    """The register pointers the driver's ``read()`` sets (from the bus trace)."""
    bus.record = True
    bus.trace.clear()
    ina.read()
    bus.record = False
    return [e.data[0] for e in bus.trace if e.direction == "w" and len(e.data) == 1]


def main() -> int:
    clock = SimClock(start_wall_s=0.0)
    bus = SimI2CBus()  # record=False: no trace cost, as in production sim runs
    bus.attach(ADDR, SimINA226(clock, shunt_ohm=0.02, source=lambda: (5.0, 1.234)))
    ina = INA226(bus, ADDR, shunt_ohm=0.02, max_current_a=3.0, clock=clock)
    clock.advance(0.01)
    registers = registers_of_one_reading(bus, ina)
    chunks: list[dict[str, list[float]]] = []
    t0 = clock.monotonic()

    def procedure_loop(n: int) -> None:
        stream = CurveStream(lambda name, cols: chunks.append(cols), "trip", ["t_s", "v", "i"])
        for _ in range(n):
            reading = ina.read()
            stream.append(t_s=clock.monotonic() - t0, v=reading.bus_voltage_v, i=reading.current_a)
        stream.flush()
        chunks.clear()

    read_word = bus.read_word_data

    def bare_loop(n: int) -> None:
        for _ in range(n):
            for register in registers:
                read_word(ADDR, register)

    procedure_loop(SAMPLES // 5)  # warm-up
    bare_loop(SAMPLES // 5)
    proc_runs: list[float] = []
    bare_runs: list[float] = []
    for _ in range(REPEATS):
        bare_runs.append(us_per_sample(bare_loop))
        proc_runs.append(us_per_sample(procedure_loop))
    proc_us = statistics.median(proc_runs)
    bare_us = statistics.median(bare_runs)
    overhead_us = proc_us - bare_us
    met = overhead_us <= TARGET_OVERHEAD_US

    regs = ", ".join(f"0x{r:02X}" for r in registers)
    print(f"INA226 sample as a procedure takes it, {SAMPLES} samples, median of {REPEATS} runs")
    print(f"  read() + timestamp + CurveStream.append : {proc_us:8.2f} us/sample")
    print(f"  bare SimI2CBus ({len(registers)} words: {regs})  : {bare_us:8.2f} us/sample")
    print(f"  overhead                                : {overhead_us:8.2f} us/sample")
    print(f"  ratio                                   : {proc_us / bare_us:8.2f}x")
    spread = f"{min(proc_runs):.1f}..{max(proc_runs):.1f}"
    print(f"  procedure runs spread                   : {spread} us/sample")
    verdict = "met" if met else "NOT met"
    print(f"  target overhead <= {TARGET_OVERHEAD_US:.0f} us/sample: {verdict}")
    print(f"driver_sample_us: {proc_us:.2f}")
    print(f"bare_bus_sample_us: {bare_us:.2f}")
    print(f"driver_overhead_us: {overhead_us:.2f}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
