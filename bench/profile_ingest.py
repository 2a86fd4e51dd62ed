"""Where the ingest's CPU goes, in process: ``Ingest.handle_batch`` on the bench's signed records.

Builds signed records with ``bench/ingest_harness.py`` (90 % 100-sample curve chunks, 10 %
results), feeds them to :class:`scorer.ingest.Ingest` on a SQLite store in batches, prints the
CPU and wall time per record (unprofiled), then the same under cProfile, sorted by own time.
No broker and no paho: this is the scorer's work after a message has arrived.

Run: ``.venv/bin/python bench/profile_ingest.py [--stations 20] [--per-station 150]
[--batch 500] [--top 20]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest_harness import Message, build_records, make_keys, station_ids  # noqa: E402

from scorer.fleet.keys import StationKeys  # noqa: E402
from scorer.ingest import Ingest  # noqa: E402
from scorer.store import Store  # noqa: E402


def _ingest(work: Path, name: str, keys_dir: Path) -> Ingest:
    store = Store(work / f"{name}.db")
    return Ingest(
        store,
        keys=StationKeys(store, keys_dir),
        require_signatures=True,
        on_ack=lambda *_: None,
    )


def _feed(ingest: Ingest, messages: list[Message], batch: int) -> None:
    for i in range(0, len(messages), batch):
        ingest.handle_batch(messages[i : i + batch])


def main() -> int:
    parser = argparse.ArgumentParser(description="profile the ingest in process")
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--per-station", type=int, default=150)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    if min(args.stations, args.per_station, args.batch, args.top) < 1:
        print("profile_ingest: every count must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="profile-ingest-") as tmp:
        work = Path(tmp)
        ids = station_ids(args.stations)
        keys = make_keys(work / "keys", ids)
        records = build_records(ids, args.per_station, keys)
        # interleaved as a fleet sends them: a batch holds records of many stations
        messages = [records[s][i] for i in range(args.per_station) for s in ids]
        n = len(messages)

        plain = _ingest(work, "plain", work / "keys")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        _feed(plain, messages, args.batch)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        stats = plain.stats()
        if stats["accepted"] != n:
            print(f"profile_ingest: only {stats} of {n} accepted", file=sys.stderr)
            return 1
        print(
            f"{n} records in batches of {args.batch}: {cpu / n * 1e6:.0f} us CPU, "
            f"{wall / n * 1e6:.0f} us wall per record (unprofiled)"
        )

        profiled = _ingest(work, "profiled", work / "keys")
        profile = cProfile.Profile()
        profile.enable()
        _feed(profiled, messages, args.batch)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
