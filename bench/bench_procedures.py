"""Procedure figures, measured in one run.

1. A full simulated power-bank test (charge, protections, discharge: about three simulated
   hours) through the real drivers, pty instruments and physics: wall time (target <= 10 s)
   and the simulated-to-wall speed-up; the LED and lighting procedures alongside.
2. Peak RSS of a station daemon process after a two-hour simulated power-bank run (target
   <= 60 MB), next to a bare Python interpreter (the baseline) measured the same way.

Run: .venv/bin/python bench/bench_procedures.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.benches import run, station, write_config  # noqa: E402

CASES = (
    ("power_bank", "power_bank"),
    ("led_assembly", "led_assembly"),
    ("led_tunable_white", "led_assembly"),
    ("lighting_environment", "lighting_environment"),
)

HWM = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
"""Peak resident set of this process (kB). Unlike ru_maxrss it is not inherited over exec."""

STATION_RUN = f"""
import sys
from benchscore.clock import SimClock
from firmware_py.config import load_station_config
from firmware_py.station import Station
st = Station(load_station_config(sys.argv[1]), clock=SimClock())
st.start()
record = st.run_once()
st.close()
print(record["outcome"], {HWM})
"""

BARE = f"print('-', {HWM})"


def procedures(work: Path) -> None:
    print("1. procedures on simulated benches (simulated clock)")
    extra = {"led_tunable_white": 'led_module = "tunable_white"'}
    for task, assembly in CASES:
        path = write_config(
            work, f"b-{task}", task=task, assembly=assembly, simulation=extra.get(task, "")
        )
        with station(path) as hw:
            t0 = time.perf_counter()
            r = run(hw)
            wall = time.perf_counter() - t0
        note = "  (target <= 10 s)" if task == "power_bank" else ""
        print(
            f"   {task:22s} {r.result.outcome.value:5s} {r.sim_seconds / 3600:5.2f} h simulated"
            f" in {wall:6.2f} s wall = {r.sim_seconds / wall:8.0f}x real time{note}"
        )


def rss(work: Path) -> None:
    path = write_config(work, "rss", task="power_bank", assembly="power_bank")
    path.write_text(path.read_text() + "[broker]\nport = 9\n")  # no broker: records wait
    out = subprocess.run(
        [sys.executable, "-c", STATION_RUN, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.split()
    bare = subprocess.run(
        [sys.executable, "-c", BARE], capture_output=True, text=True, check=True
    ).stdout.split()
    station_mb, bare_mb = int(out[1]) / 1024, int(bare[1]) / 1024
    print("2. peak RSS after a full power-bank run (simulated clock, ~3 h)")
    print(f"   station daemon: {station_mb:5.1f} MB ({out[0]}), target <= 60 MB")
    print(f"   bare python:    {bare_mb:5.1f} MB (baseline), ratio {station_mb / bare_mb:.1f}x")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        procedures(Path(tmp))
        rss(Path(tmp))
