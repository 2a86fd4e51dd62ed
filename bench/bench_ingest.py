"""Ingest throughput of ``benchscore scorer`` against the broker itself, measured in one run.

Signed records (curve chunks of 100 samples, every 10th a run's result; built with the
project's own code, ``bench/ingest_harness.py``) are published by a fleet of simulated
stations (two publisher processes, at most ``--window`` records per station waiting for an
ack, as the station outbox's forwarder does) through a real Mosquitto to a real
``benchscore scorer`` process, and timed from the first publish to the last ack:

* SQLite, one worker; PostgreSQL, one worker and two workers on ``$share``;
* the baseline: ``mosquitto_pub -l -q 1`` -> ``mosquitto_sub -q 1`` with the same payloads;
* the station outbox end to end (``firmware_py`` Outbox + StationLink draining a backlog:
  publish, scorer, signed ack, delete) against bare paho QoS 1 (publisher -> subscriber, same
  payloads); the durable puts (one disk sync each) are timed on their own before;
* a hall's backlog: 500 stations x 300 records (150,000) drained into one SQLite worker.

Each figure is the median of ``--runs`` runs (interleaved, so load drift hits all alike);
CPU is the scorer processes' user + system time per record; "per second: ran X s, waited for a
core Y s" is, per second of the run, the scorers' CPU time and the time their threads were
runnable but not running (``/proc/<pid>/task/*/schedstat``; both summed over workers and
threads): on a loaded machine Y > X says the scheduler, not the scorer's work, set the pace.
The output ends with one ``name: value`` line per figure.

Targets (issue 12): SQLite one worker >= 5,000 records/s and >= 0.5x raw Mosquitto;
PostgreSQL one worker >= 3,000/s; two workers >= 1.8x one; outbox >= 0.3x bare paho;
the 150,000-record backlog in < 60 s.

Run: ``.venv/bin/python bench/bench_ingest.py [--runs 3] [--stations 50] [--per-station 120]``
(``--no-backlog`` skips the 150,000 records; ``BENCHSCORE_BENCH_PG`` names the PostgreSQL
server as an admin URL, default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest_harness import (  # noqa: E402
    EVENT,
    Message,
    Scorer,
    bare_paho,
    build_records,
    make_keys,
    postgres_database,
    raw_mosquitto,
    record_payload,
    run_fleet,
    scorer_key,
    station_ids,
)

from benchscore.identity import Identity  # noqa: E402
from benchscore.mqtt import BrokerConfig  # noqa: E402
from benchscore.protocol import Topics  # noqa: E402
from firmware_py.link import StationLink  # noqa: E402
from firmware_py.outbox import Outbox  # noqa: E402
from tests.support.brokers import Mosquitto  # noqa: E402

Figures = dict[str, float]


def through_scorers(
    work: Path,
    port: int,
    keys_dir: Path,
    records: dict[str, list[Message]],
    storage: str,
    workers: int,
    window: int,
    tag: str,
) -> tuple[float, float, float]:
    """(records/s, scorer CPU us per record, seconds per second of the run the scorers'
    threads spent runnable but waiting for a core) for one run with ``workers`` scorers."""
    group = "scorers" if workers > 1 else None
    scorers = [
        Scorer(work, f"{tag}-w{i}", port, storage, keys_dir=keys_dir, share_group=group)
        for i in range(workers)
    ]
    try:
        for s in scorers:
            s.wait_subscribed()
        cpu0: list[float] = []
        wait0: list[float] = []

        def go() -> None:
            cpu0.extend(s.cpu_s() for s in scorers)
            wait0.extend(s.core_wait_s() for s in scorers)

        start, end = run_fleet(port, records, window=window, on_go=go)
        cpu = sum(s.cpu_s() for s in scorers) - sum(cpu0)
        wait = sum(s.core_wait_s() for s in scorers) - sum(wait0)
    finally:
        for s in scorers:
            s.stop()
    n = sum(len(m) for m in records.values())
    return n / (end - start), cpu / n * 1e6, wait / (end - start)


def outbox_end_to_end(
    work: Path, port: int, keys_dir: Path, identity: Identity, n: int, tag: str
) -> tuple[float, float]:
    """One station's outbox: (records/s put, each a durable commit; records/s drained
    end to end: link -> broker -> scorer -> signed ack -> delete, timed from the link's start
    to an empty outbox, as a station draining its backlog after an outage)."""
    scorer = Scorer(work, f"{tag}-scorer", port, str(work / f"{tag}.db"), keys_dir=keys_dir)
    outbox = Outbox(work / f"{tag}-outbox.db")
    link = StationLink(
        BrokerConfig(port=port),
        Topics(EVENT, "st000"),
        "bench-boot",
        "led-module",
        outbox,
        identity=identity,
        scorer_key=scorer_key(work).public,
    )
    try:
        scorer.wait_subscribed()
        start = time.monotonic()
        for seq in range(1, n + 1):
            link.put_record(record_payload("st000", seq))
        put_rate = n / (time.monotonic() - start)
        start = time.monotonic()
        link.start()
        deadline = start + 600
        while outbox.depth and time.monotonic() < deadline:
            outbox.wait_changed(0.2)
        end = time.monotonic()
        if outbox.depth:
            raise RuntimeError(f"{outbox.depth} records never acked")
    finally:
        link.close()
        outbox.close()
        scorer.stop()
    return put_rate, n / (end - start)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description="ingest throughput vs the broker")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--per-station", type=int, default=120)
    parser.add_argument(
        "--window",
        type=int,
        default=100,
        help="records per station waiting for an ack (as the station's forwarder: 100)",
    )
    parser.add_argument("--outbox-records", type=int, default=1000)
    parser.add_argument("--no-backlog", action="store_true")
    parser.add_argument(
        "--max-inflight",
        type=int,
        default=20,
        help="the broker's max_inflight_messages (20: config/mosquitto/benchscore.conf)",
    )
    parser.add_argument("--only", default="", help="comma list: raw,sqlite,pg,pg2,outbox,backlog")
    args = parser.parse_args()
    if min(args.runs, args.stations, args.per_station) < 1 or args.max_inflight < 0:
        print(
            "bench_ingest: --runs, --stations and --per-station must be at least 1, "
            "--max-inflight at least 0",
            file=sys.stderr,
        )
        return 2
    only = set(filter(None, args.only.split(",")))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop brokers and scorers too

    def wanted(name: str) -> bool:
        return not only or name in only

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        broker = Mosquitto(work, extra_conf=f"max_inflight_messages {args.max_inflight}\n")
        broker.start()
        try:
            return _bench(work, broker.port, args, wanted)
        finally:
            broker.stop()


def _bench(work: Path, port: int, args: argparse.Namespace, wanted: Callable[[str], bool]) -> int:
    keys_dir = work / "keys"
    scorer_key(work)  # made once, before any scorer starts
    backlog_ids = station_ids(500)
    keys = make_keys(keys_dir, backlog_ids)
    ids = station_ids(args.stations)
    records = build_records(ids, args.per_station, keys)
    n = sum(len(m) for m in records.values())
    payloads = [p for sid in ids for _, p in records[sid]]
    size = statistics.mean(len(p) for p in payloads)
    print(
        f"{n} signed records from {len(ids)} stations, {size:.0f} bytes each on average; "
        f"window {args.window} per station; {args.runs} runs, medians"
    )

    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}

    waits: dict[str, list[float]] = {}

    def note(name: str, rate: float, cpu: float | None = None, wait: float | None = None) -> None:
        rates.setdefault(name, []).append(rate)
        if cpu is not None:
            cpus.setdefault(name, []).append(cpu)
        extra = f", {cpu:.0f} us CPU/record" if cpu is not None else ""
        if wait is not None and cpu is not None:
            waits.setdefault(name, []).append(wait)
            extra += f"; per second: ran {rate * cpu / 1e6:.2f} s, waited for a core {wait:.2f} s"
        print(f"  {name:<22} {rate:9.0f} records/s{extra}", flush=True)

    outbox_payloads = payloads[: args.outbox_records]
    for run in range(args.runs):
        print(f"run {run + 1}:", flush=True)
        if wanted("raw"):
            seconds, cpu = raw_mosquitto(port, payloads, work)
            note("raw mosquitto", n / seconds, cpu / n * 1e6)
        if wanted("sqlite"):
            note(
                "sqlite 1 worker",
                *through_scorers(
                    work,
                    port,
                    keys_dir,
                    records,
                    str(work / f"sqlite-{run}.db"),
                    1,
                    args.window,
                    f"sq{run}",
                ),
            )
        for workers in (1, 2):
            if wanted("pg" if workers == 1 else "pg2"):
                with postgres_database() as url:
                    note(
                        f"postgres {workers} worker(s)",
                        *through_scorers(
                            work,
                            port,
                            keys_dir,
                            records,
                            url,
                            workers,
                            args.window,
                            f"pg{workers}-{run}",
                        ),
                    )
        if wanted("outbox"):
            note("bare paho qos1", len(outbox_payloads) / bare_paho(port, outbox_payloads))
            put_rate, drain_rate = outbox_end_to_end(
                work, port, keys_dir, keys["st000"], len(outbox_payloads), f"ob{run}"
            )
            note("outbox put (durable)", put_rate)
            note("outbox end to end", drain_rate)

    backlog_s: list[float] = []
    if wanted("backlog") and not args.no_backlog:
        backlog = build_records(backlog_ids, 300, keys)
        total = sum(len(m) for m in backlog.values())
        for run in range(args.runs):
            rate, cpu, wait = through_scorers(
                work,
                port,
                keys_dir,
                backlog,
                str(work / f"backlog-{run}.db"),
                1,
                args.window,
                f"bl{run}",
            )
            backlog_s.append(total / rate)
            print(
                f"  backlog {total} records from 500 stations: {total / rate:.1f} s "
                f"({rate:.0f} records/s, {cpu:.0f} us CPU/record; per second: ran "
                f"{rate * cpu / 1e6:.2f} s, waited for a core {wait:.2f} s)",
                flush=True,
            )

    med = {k: median(v) for k, v in rates.items()}
    raw = med.get("raw mosquitto", float("nan"))
    figures: Figures = {
        "raw_records_per_s": raw,
        "sqlite_records_per_s": med.get("sqlite 1 worker", float("nan")),
        "sqlite_ratio_vs_raw": med.get("sqlite 1 worker", float("nan")) / raw,
        "sqlite_cpu_us_per_record": median(cpus.get("sqlite 1 worker", [])),
        "postgres_records_per_s": med.get("postgres 1 worker(s)", float("nan")),
        "sqlite_core_wait_s_per_s": median(waits.get("sqlite 1 worker", [])),
        "postgres_cpu_us_per_record": median(cpus.get("postgres 1 worker(s)", [])),
        "postgres_2_workers_records_per_s": med.get("postgres 2 worker(s)", float("nan")),
        "postgres_2_workers_speedup": med.get("postgres 2 worker(s)", float("nan"))
        / med.get("postgres 1 worker(s)", float("nan")),
        "paho_qos1_records_per_s": med.get("bare paho qos1", float("nan")),
        "outbox_put_records_per_s": med.get("outbox put (durable)", float("nan")),
        "outbox_records_per_s": med.get("outbox end to end", float("nan")),
        "outbox_ratio_vs_paho": med.get("outbox end to end", float("nan"))
        / med.get("bare paho qos1", float("nan")),
        "backlog_150k_drain_s": median(backlog_s),
    }
    targets = {
        "sqlite_records_per_s": (5000, ">="),
        "sqlite_ratio_vs_raw": (0.5, ">="),
        "postgres_records_per_s": (3000, ">="),
        "postgres_2_workers_speedup": (1.8, ">="),
        "outbox_ratio_vs_paho": (0.3, ">="),
        "backlog_150k_drain_s": (60, "<"),
    }
    print("targets:")
    for name, (goal, how) in targets.items():
        value = figures[name]
        met = value >= goal if how == ">=" else value < goal
        print(f"  {name} {how} {goal}: {'met' if met else 'NOT met'} ({value:.2f})")
    for name, value in figures.items():
        print(f"{name}: {value:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
