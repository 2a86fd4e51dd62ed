"""Batches of records in one transaction (``Store.add_records``) on SQLite and PostgreSQL:
what is new and what is a duplicate, all or nothing, and exactly once when two workers store
overlapping batches at the same time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scorer.store import Store
from tests.test_scorer_store import record
from tests.test_storage import curve, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "scorer.db")
    else:
        with fresh_postgres_database() as url:
            yield url


def _mixed(station: str, seqs: range) -> list[dict[str, Any]]:
    """Results on even seqs, curve chunks on odd ones."""
    return [
        record(station, n) if n % 2 == 0 else {**curve(n, chunk=n), "station": station}
        for n in seqs
    ]


def test_batch_stores_new_records_and_names_duplicates(target: str) -> None:
    s = Store(target, worker="w1")
    try:
        assert s.add_record(record("st01", 2)) is True
        batch = _mixed("st01", range(1, 7)) + [record("st01", 4), record("st02", 2)]
        assert s.add_records(batch, received_at=100.0) == [
            True,  # 1 curve
            False,  # 2 stored before the batch
            True,
            True,  # 4 result
            True,
            True,  # 6 result
            False,  # 4 again, earlier in this batch
            True,  # another station's seq 2
        ]
        assert s.add_records(batch) == [False] * len(batch)
        assert s.add_records([]) == []
        assert s.run_count() == 4  # st01 2, 4, 6 and st02 2
        ledger = s.ledger()
        keys = [(r["station"], r["seq"]) for r in ledger]
        assert len(keys) == len(set(keys)) == 7
        assert {r["worker"] for r in ledger} == {"w1"}
        run = s.get_run("st01", "st01-boot-a-4")
        assert run is not None and [m["name"] for m in run["measurements"]] == [
            "forward_voltage",
            "current",
            "illuminance",
        ]
        assert run["measurements"][0]["limits"] == {
            "low": 2.8,
            "high": 3.4,
            "marginal_low": 2.9,
            "marginal_high": 3.3,
        }
        samples = s.curve("st01", "st01-boot-a-9", "samples")
        assert samples["voltage_v"][:2] == [12.0, 11.999]
        assert len(samples["t_s"]) == 3 * len(curve(1)["data"][0])
        station = s.station("st01")
        assert station is not None and station["last_seen"] >= 100.0
    finally:
        s.close()


def test_a_failing_batch_stores_nothing(target: str) -> None:
    s = Store(target)
    try:
        broken = record("st01", 3)
        del broken["measurements"][1]["unit"]  # fails half-way through the transaction
        with pytest.raises(KeyError):
            s.add_records([record("st01", 1), curve(2), broken])
        assert s.ledger() == [] and s.run_count() == 0
        assert s.add_records([record("st01", 1), curve(2)]) == [True, True]
    finally:
        s.close()


def test_two_workers_storing_overlapping_batches_store_each_record_once(
    tmp_path: Path,
) -> None:
    with fresh_postgres_database() as url:
        Store(url).close()
        stores = [Store(url, worker=f"w{i}") for i in (1, 2)]
        records = [record(f"st{n % 5:02d}", n) for n in range(400)]
        flags: dict[str, list[bool]] = {}
        barrier = threading.Barrier(2)

        def work(store: Store) -> None:
            backwards = store.worker == "w2"  # the same batches, in the other order inside
            barrier.wait()
            out: list[bool] = []
            for start in range(0, len(records), 50):
                batch = records[start : start + 50]
                if backwards:
                    out.extend(reversed(store.add_records(batch[::-1])))
                else:
                    out.extend(store.add_records(batch))
            flags[str(store.worker)] = out

        threads = [threading.Thread(target=work, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        try:
            assert all(a != b for a, b in zip(flags["w1"], flags["w2"], strict=True))
            assert stores[0].run_count() == len(records)
            ledger = stores[0].ledger()
            assert len({(r["station"], r["seq"]) for r in ledger}) == len(ledger) == 400
        finally:
            for s in stores:
                s.close()


def test_a_batch_keeps_each_station_s_records_in_the_order_sent_across_boots(
    tmp_path: Path,
) -> None:
    s = Store(tmp_path / "scorer.db")
    try:
        batch = [
            record("st02", 7, boot_id="zz-old"),
            record("st01", 1, boot_id="zz-old"),
            record("st01", 2, boot_id="zz-old"),
            record("st01", 3, boot_id="aa-new"),  # the next boot sorts first by name
        ]
        assert s.add_records(batch) == [True] * 4
        assert [seq for _, seq, _ in s.record_log("st01")] == [1, 2, 3]
    finally:
        s.close()
