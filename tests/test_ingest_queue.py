"""The ingest worker: messages queued off the network thread, stored in batches (one
transaction each), one ack per station per batch, back-pressure when the queue is full."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from benchscore.protocol import Topics, encode
from scorer.ingest import Ingest
from scorer.ingest_queue import IngestQueue
from scorer.store import Store
from tests.test_scorer_store import record

STATIONS = ("st01", "st02", "st03")


def messages(per_station: int, first: int = 1) -> list[tuple[str, bytes]]:
    return [
        (Topics("ev1", sid).record, encode(record(sid, n)))
        for n in range(first, first + per_station)
        for sid in STATIONS
    ]


def test_records_are_stored_in_batches_and_acked_once_per_station_per_batch(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.db")
    acks: list[tuple[str, str, list[int]]] = []
    commits: list[str] = []
    ingest = Ingest(store, on_ack=lambda e, s, b, seqs: acks.append((s, b, seqs)))
    queue = IngestQueue(ingest, batch_max=120)
    for topic, payload in messages(100):  # 300 waiting before the worker starts
        queue.put(topic, payload)
    queue.put(*messages(1)[0])  # a duplicate of st01 seq 1
    store.db._conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip() == "COMMIT" else None
    )
    try:
        queue.start()
        queue.stop()
        assert queue.batches == 3 and queue.messages == 301
        assert len(commits) == 3  # one transaction per batch (no status or reply here)
        assert store.run_count() == 300
        assert len(acks) == 3 * len(STATIONS)  # one per station per batch
        by_station = {
            sid: sorted(q for s, _, seqs in acks if s == sid for q in seqs) for sid in STATIONS
        }
        assert by_station["st01"] == [1, *range(1, 101)]  # the duplicate is acked again
        assert by_station["st02"] == list(range(1, 101))
        assert ingest.duplicates == 1 and ingest.accepted == 300
    finally:
        store.close()


def test_a_full_queue_holds_the_network_thread_until_the_worker_catches_up(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.db")
    queue = IngestQueue(Ingest(store), maxsize=5)
    batch = messages(2)  # 6 messages
    try:
        for topic, payload in batch[:5]:
            queue.put(topic, payload)
        sixth = threading.Thread(target=queue.put, args=batch[5])
        sixth.start()
        time.sleep(0.3)
        assert sixth.is_alive(), "a put into a full queue did not wait"
        queue.start()
        sixth.join(5)
        assert not sixth.is_alive()
        queue.stop()
        assert store.run_count() == 6
    finally:
        store.close()


def test_a_flood_of_bad_payloads_costs_one_commit_per_batch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A station spamming bad payloads: its rejections are recorded together, after the good
    records of the same batch, in one transaction, not one disk sync each; the log gets a few
    lines per reason (LogBudget), the ledger every one."""
    caplog.set_level(logging.WARNING, logger="scorer.ingest")
    store = Store(tmp_path / "s.db")
    commits: list[str] = []
    ingest = Ingest(store)
    topic = Topics("ev1", "st01").record
    bad = [(topic, b"{not json")] * 150 + [(topic, encode({"schema": 2}))] * 50
    store.db._conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip() == "COMMIT" else None
    )
    try:
        ingest.handle_batch([*bad, *messages(1)])
        assert len(commits) == 2  # the three records, then the 200 rejections
        assert store.run_count() == 3
        assert ingest.rejected == {"malformed": 150, "schema": 50}
        assert store.rejection_counts() == {"malformed": 150, "schema": 50}
        assert len(store.rejections(limit=1000)) == 200
        lines = [r.getMessage() for r in caplog.records if r.name == "scorer.ingest"]
        assert len([m for m in lines if m.startswith("rejected malformed")]) == 5
        assert len([m for m in lines if m.startswith("rejected schema")]) == 5
    finally:
        store.close()
