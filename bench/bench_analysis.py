"""Benchmark of the analysis library; every figure and ratio is measured in this run.

1. Analysis of a 1M-sample cycler log (segmentation, capacity and energy of every segment with
   an interpolated cut-off, CC-CV split of every charge): target <= 50 ms. Compared on the same
   data with cellpy's ``make_step_table`` when cellpy imports, and always with a naive
   pure-Python loop doing the same segmentation and trapezoid integration.
2. Vectorised CCT/Duv (Ohno 2013) throughput and its ratio to colour-science's
   ``uv_to_CCT_Ohno2013``: target >= 100x, results checked to agree within 1 K / 1e-5.
3. Flicker metrics on 1 s at 20 kSPS: target <= 2 ms.

Run: ``.venv/bin/python bench/bench_analysis.py`` (about 15-30 s; under 60 s).
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchscore.analysis import battery as bat
from benchscore.analysis import colour as bc
from benchscore.analysis import flicker as fl

SAMPLES = 1_000_000
CUTOFF_V = 2.7


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def synthetic_cycler_log(n: int) -> dict[str, np.ndarray]:
    """A 1 Hz cycler log: CC 1.5 A to 4.2 V, CV to 50 mA, rest, CC 2 A discharge to 2.7 V, rest."""
    rng = np.random.default_rng(1)
    t_parts, i_parts, v_parts, step_parts, cycle_parts = [], [], [], [], []
    total, cycle = 0, 0
    while total < n:
        cycle += 1
        cc = np.arange(2400.0)
        cv = np.arange(1500.0)
        rest = np.arange(600.0)
        dis = np.arange(3700.0)
        i = np.concatenate(
            [
                np.full(cc.size, 1.5),
                1.5 * np.exp(-cv / 400.0),
                np.zeros(rest.size),
                np.full(dis.size, -2.0),
                np.zeros(rest.size),
            ]
        )
        v = np.concatenate(
            [
                3.5 + 0.7 * cc / cc[-1],
                np.full(cv.size, 4.2),
                4.2 - 0.1 * rest / rest[-1],
                4.1 - 1.45 * (dis / dis[-1]) ** 3,
                2.65 + 0.3 * rest / rest[-1],
            ]
        )
        steps = np.repeat([1, 2, 3, 4, 5], [cc.size, cv.size, rest.size, dis.size, rest.size])
        i = i + rng.normal(0.0, 1e-4, i.size) * (i != 0)
        v = v + rng.normal(0.0, 2e-4, v.size)
        i_parts.append(i)
        v_parts.append(v)
        step_parts.append(steps)
        cycle_parts.append(np.full(i.size, cycle))
        total += i.size
    i_all = np.concatenate(i_parts)[:n]
    t = np.arange(n, dtype=np.float64)
    t_parts.append(t)
    return {
        "time_s": t,
        "current_a": i_all,
        "voltage_v": np.concatenate(v_parts)[:n],
        "step": np.concatenate(step_parts)[:n].astype(np.float64),
        "cycle": np.concatenate(cycle_parts)[:n].astype(np.float64),
    }


def ours(log: dict[str, np.ndarray]) -> list[tuple[str, float, float]]:
    """Segment, integrate with cut-off, and split every charge into CC and CV."""
    results = bat.analyze_log(log["time_s"], log["current_a"], log["voltage_v"], cutoff_v=CUTOFF_V)
    return [(r.segment.kind.value, r.integral.capacity_ah, r.integral.energy_wh) for r in results]


def naive_python(t: list[float], i: list[float], v: list[float]) -> list[tuple[str, float, float]]:
    """The same segmentation and trapezoid integration (with cut-off) as a plain Python loop."""
    eps = max(1e-3, 1e-3 * max(abs(x) for x in i))

    def kind(x: float) -> str:
        return "charge" if x >= eps else "discharge" if x <= -eps else "rest"

    out = []
    current = kind(i[0])
    q = e = 0.0
    stopped = False
    for k in range(1, len(t)):
        kk = kind(i[k])
        if kk != current:
            if current != "rest":
                out.append((current, abs(q) / 3600.0, abs(e) / 3600.0))
            current, q, e, stopped = kk, 0.0, 0.0, False
            continue
        if current == "rest" or stopped:
            continue
        dt = t[k] - t[k - 1]
        if current == "discharge" and v[k] <= CUTOFF_V:
            frac = (v[k - 1] - CUTOFF_V) / (v[k - 1] - v[k])
            ic = i[k - 1] + frac * (i[k] - i[k - 1])
            q += 0.5 * (i[k - 1] + ic) * dt * frac
            e += 0.5 * (v[k - 1] * i[k - 1] + CUTOFF_V * ic) * dt * frac
            stopped = True
            continue
        q += 0.5 * (i[k] + i[k - 1]) * dt
        e += 0.5 * (v[k] * i[k] + v[k - 1] * i[k - 1]) * dt
    if current != "rest":
        out.append((current, abs(q) / 3600.0, abs(e) / 3600.0))
    return out


def cellpy_step_table(log: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    """A callable running cellpy's make_step_table on the same log, or None without cellpy."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pandas as pd
            from cellpy import cellreader
            from cellpy.readers import core
    except ImportError:
        return None
    t, i = log["time_s"], log["current_a"]
    dt = np.diff(t, prepend=t[0])
    q = np.cumsum(np.abs(i) * dt) / 3600.0  # cellpy reads capacity from the cycler's columns
    raw = pd.DataFrame(
        {
            "data_point": np.arange(t.size),
            "test_time": t,
            "step_time": t,
            "cycle_index": log["cycle"].astype(int),
            "step_index": log["step"].astype(int),
            "current": i,
            "voltage": log["voltage_v"],
            "charge_capacity": np.where(i > 0, q, 0.0),
            "discharge_capacity": np.where(i < 0, q, 0.0),
            "charge_energy": 0.0,
            "discharge_energy": 0.0,
            "internal_resistance": 0.0,
            "date_time": pd.to_datetime(t, unit="s"),
        }
    )

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cell = cellreader.CellpyCell()
            data = core.Data()
            data.raw = raw
            cell.data = data
            cell.make_step_table()
            return cell.data.steps

    return run


def bench_log() -> None:
    log = synthetic_cycler_log(SAMPLES)
    ours(log)  # warm-up
    t_ours = best_of(lambda: ours(log), 5)
    result = ours(log)
    print(
        f"[1] 1M-sample cycler log ({len(result)} charge/discharge segments, cut-off {CUTOFF_V} V)"
    )
    label = "benchscore analyze_log (+ CC-CV split of charges):"
    verdict = "MET" if t_ours <= 0.050 else "MISSED"
    print(f"    {label:52s}{t_ours * 1e3:8.1f} ms   target <= 50 ms: {verdict}")
    lists = [log[k].tolist() for k in ("time_s", "current_a", "voltage_v")]
    start = time.perf_counter()
    naive = naive_python(*lists)
    t_naive = time.perf_counter() - start
    worst = max(abs(a[1] / b[1] - 1) for a, b in zip(result, naive, strict=True))
    label = "naive pure-Python loop (segments, trapezoid, cut-off):"
    print(
        f"    {label:52s}{t_naive * 1e3:8.1f} ms   ratio {t_naive / t_ours:6.1f}x"
        f"   (capacities agree to {worst:.1e})"
    )
    cellpy_run = cellpy_step_table(log)
    if cellpy_run is None:
        print("    cellpy and BEEP are not importable in this interpreter: the comparison is")
        print("    against the naive pure-Python baseline only")
        return
    import cellpy

    steps = cellpy_run()
    t_cellpy = best_of(cellpy_run, 2)
    label = f"cellpy {cellpy.__version__} make_step_table (same data):"
    print(
        f"    {label:52s}{t_cellpy * 1e3:8.1f} ms   ratio {t_cellpy / t_ours:6.1f}x"
        f"   ({len(steps)} steps; cellpy classifies steps and tabulates statistics,"
        " taking capacity from the cycler's columns)"
    )


def bench_cct() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from colour.temperature import uv_to_CCT_Ohno2013
        except ImportError:
            uv_to_CCT_Ohno2013 = None
    rng = np.random.default_rng(2)
    n = 100_000
    uv = bc.uv_from_cct_duv(rng.uniform(2000, 10000, n), rng.uniform(-0.02, 0.02, n))
    bc.cct_duv_ohno2013(uv[:10])  # builds and caches the Planckian table
    t_ours = best_of(lambda: bc.cct_duv_ohno2013(uv), 5)
    per_ours = t_ours / n
    print(
        f"[2] CCT/Duv Ohno 2013, {n} chromaticities: {t_ours * 1e3:.1f} ms"
        f" = {1 / per_ours / 1e6:.2f} M/s ({per_ours * 1e9:.0f} ns each)"
    )
    if uv_to_CCT_Ohno2013 is None:
        print("    colour-science not importable: no ratio")
        return
    m = 2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uv_to_CCT_Ohno2013(uv[:10])  # its table cache
        start = time.perf_counter()
        ref = np.asarray(uv_to_CCT_Ohno2013(uv[:m]))
        per_ref = (time.perf_counter() - start) / m
    cct, duv = bc.cct_duv_ohno2013(uv[:m])
    ratio = per_ref / per_ours
    verdict = "MET" if ratio >= 100 else "MISSED"
    print(
        f"    colour-science uv_to_CCT_Ohno2013 on {m}: {per_ref * 1e6:.1f} us each;"
        f" ratio {ratio:.0f}x   target >= 100x: {verdict}"
    )
    print(
        f"    agreement: max |dCCT| {np.max(np.abs(cct - ref[:, 0])):.2e} K,"
        f" max |dDuv| {np.max(np.abs(duv - ref[:, 1])):.2e}"
    )


def bench_flicker() -> None:
    fs = 20_000.0
    t = np.arange(20_000) / fs
    signal = 1.0 + 0.3 * np.sin(2 * math.pi * 120.0 * t + 0.4)
    fl.flicker_metrics(signal, fs)
    elapsed = best_of(lambda: fl.flicker_metrics(signal, fs), 50)
    r = fl.flicker_metrics(signal, fs)
    print(
        f"[3] flicker metrics, 1 s at 20 kSPS: {elapsed * 1e3:.2f} ms"
        f"   target <= 2 ms: {'MET' if elapsed <= 0.002 else 'MISSED'}"
        f"   (f {r.frequency_hz:.4f} Hz, {r.percent_flicker:.4f} %, FI {r.flicker_index:.5f};"
        f" analytic 30 %, {0.3 / math.pi:.5f})"
    )


def main() -> int:
    start = time.perf_counter()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs,"
        f" {platform.machine()}"
    )
    bench_log()
    bench_cct()
    bench_flicker()
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
