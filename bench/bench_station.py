"""Station figures, each against a baseline measured in the same run.

1. Sustained sampling: 3 channels (INA226 current and bus voltage, BH1750 lux) at 1 kHz through
   the drivers on the simulated bus; p50/p99 period jitter and CPU share, next to the same
   sampler reading 3 constant channels (the scheduling cost alone).
2. Outbox throughput: records stored (durable commits), published and acknowledged by a real
   scorer through a real Mosquitto, next to bare paho QoS 1 publish+PUBACK on the same broker.
(Station RSS after a two-hour simulated run: bench/bench_procedures.py.)

Run: .venv/bin/python bench/bench_station.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchscore.clock import RealClock  # noqa: E402
from benchscore.mqtt import BrokerConfig, close_client, connect_async, make_client  # noqa: E402
from benchscore.sim.assemblies.led import LEDAssembly, LEDJig  # noqa: E402
from benchscore.sim.chips.bh1750 import SimBH1750  # noqa: E402
from benchscore.sim.chips.ina226 import SimINA226  # noqa: E402
from benchscore.sim.i2c import SimI2CBus  # noqa: E402
from drivers.bh1750 import BH1750  # noqa: E402
from drivers.ina226 import INA226  # noqa: E402
from firmware_py.outbox import Outbox  # noqa: E402
from firmware_py.sampler import Sampler  # noqa: E402
from tests.support.brokers import Mosquitto  # noqa: E402

RATE_HZ = 1000.0
DURATION_S = 5.0


def sampling() -> None:
    clock = RealClock()
    jig = LEDJig(LEDAssembly())
    bus = SimI2CBus()
    bus.attach(0x40, SimINA226(clock, shunt_ohm=0.02, source=jig.electrical))
    bus.attach(0x23, SimBH1750(clock, source=jig.illuminance_lx))
    ina = INA226(bus, shunt_ohm=0.02, max_current_a=3.0, clock=clock)
    lux = BH1750(bus, clock=clock)
    clock.sleep(0.2)  # first BH1750 conversion
    real = Sampler(
        {
            "current_a": lambda: ina.current_a,
            "bus_voltage_v": lambda: ina.bus_voltage_v,
            "illuminance_lx": lambda: lux.illuminance_lx,
        },
        RATE_HZ,
    )
    bare = Sampler({"a": lambda: 0.0, "b": lambda: 0.0, "c": lambda: 0.0}, RATE_HZ)
    print(f"1. sampling 3 channels at {RATE_HZ:.0f} Hz for {DURATION_S:.0f} s")
    rows = []
    for name, sampler in (("bare scheduler (baseline)", bare), ("drivers on sim bus", real)):
        block = sampler.run(DURATION_S)
        jitter_us = block.jitter_s(sampler.period_s) * 1e6
        share = block.cpu_s / DURATION_S
        rows.append(
            (
                name,
                np.percentile(jitter_us, 50),
                np.percentile(jitter_us, 99),
                block.overruns,
                len(block.t_mono_s),
                share,
            )
        )
    for name, p50, p99, over, n, share in rows:
        print(
            f"   {name:28s} ticks {n:5d}  overruns {over:3d}  jitter p50 {p50:6.1f} us "
            f"p99 {p99:7.1f} us  CPU {share * 100:5.1f} % of a core"
        )
    print(
        f"   ratio drivers/baseline: CPU {rows[1][5] / max(rows[0][5], 1e-9):.2f}x, "
        f"p99 jitter {rows[1][2] / max(rows[0][2], 1e-9):.2f}x"
    )


def outbox_throughput(n: int = 2000) -> None:
    from benchscore.protocol import Topics
    from firmware_py.link import StationLink
    from scorer.config import HttpConfig, ScorerConfig
    from scorer.service import ScorerService

    print(f"2. outbox: {n} result records through Mosquitto to the scorer")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Mosquitto(work).start()
        try:
            cfg = BrokerConfig(port=broker.port)
            # baseline: bare paho QoS 1 publish and PUBACK
            acked = threading.Semaphore(0)
            client = make_client("bench-bare", cfg)
            client.on_publish = lambda *a: acked.release()
            connect_async(client, cfg)
            time.sleep(0.5)
            t0 = time.perf_counter()
            for _ in range(n):
                client.publish("bench/bare", b"x" * 400, qos=1)
            for _ in range(n):
                acked.acquire()
            bare = n / (time.perf_counter() - t0)
            close_client(client)

            scorer = ScorerService(
                ScorerConfig(
                    event="bench",
                    broker=cfg,
                    storage_path=work / "scorer.db",
                    http=HttpConfig(port=0),
                )
            ).start()
            box = Outbox(work / "outbox.db")
            link = StationLink(cfg, Topics("bench", "st01"), "boot1", "task", box)
            link.start()
            link.wait_connected(10)
            record = {
                "schema": 1,
                "type": "record",
                "event": "bench",
                "station": "st01",
                "run_id": "boot1-1",
                "kind": "result",
                "task": "t",
                "procedure": "p",
                "started_at": 1.0,
                "ended_at": 2.0,
                "outcome": "pass",
                "reason": "",
                "measurements": [
                    {
                        "name": f"m{i}",
                        "value": 1.0,
                        "unit": "V",
                        "limits": {"low": 0.0},
                        "outcome": "pass",
                    }
                    for i in range(4)
                ],
            }
            t0 = time.perf_counter()
            for _ in range(n):
                link.put_record(record)
            stored_s = time.perf_counter() - t0
            while box.depth:
                time.sleep(0.01)
            total_s = time.perf_counter() - t0
            link.close()
            box.close()
            scorer.stop()
        finally:
            broker.stop()
    print(f"   stored (durable commit each):      {n / stored_s:8.0f} records/s")
    print(f"   stored+published+acked end to end: {n / total_s:8.0f} records/s")
    print(
        f"   baseline bare paho QoS 1 PUBACK:   {bare:8.0f} messages/s "
        f"(outbox end to end = {n / total_s / bare:.2f}x of bare)"
    )


if __name__ == "__main__":
    sampling()
    outbox_throughput()
