"""The station outbox: durable, ordered, deleted only on the scorer's ack."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from firmware_py.outbox import Outbox


@pytest.fixture
def make_box() -> Iterator[Callable[..., Outbox]]:
    """``Outbox(...)`` that is closed after the test (Python 3.13 warns about open databases)."""
    boxes: list[Outbox] = []

    def make(*args: Any, **kwargs: Any) -> Outbox:
        boxes.append(Outbox(*args, **kwargs))
        return boxes[-1]

    yield make
    for box in boxes:
        box.close()


def test_put_assigns_increasing_seq_and_keeps_order(
    tmp_path: Path, make_box: Callable[..., Outbox]
) -> None:
    box = make_box(tmp_path / "o.db")
    seqs = [box.put("t/record", {"n": i}, boot_id="b1") for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    rows = box.pending()
    assert [r.seq for r in rows] == seqs
    assert [r.payload["n"] for r in rows] == list(range(5))
    assert rows[0].payload["seq"] == 1 and rows[0].payload["boot_id"] == "b1"
    assert [r.seq for r in box.pending(after_seq=3)] == [4, 5]
    assert box.depth == 5


def test_ack_deletes_only_matching_boot_and_seq(
    tmp_path: Path, make_box: Callable[..., Outbox]
) -> None:
    box = make_box(tmp_path / "o.db")
    for i in range(4):
        box.put("t", {"n": i}, boot_id="b1")
    assert box.ack("other-boot", [1, 2]) == 0
    assert box.ack("b1", [1, 3, 99]) == 2
    assert [r.seq for r in box.pending()] == [2, 4]
    assert box.depth == 2 and box.acked == 2


def test_survives_reopen_and_seq_never_goes_back(
    tmp_path: Path, make_box: Callable[..., Outbox]
) -> None:
    path = tmp_path / "o.db"
    box = make_box(path)
    box.put("t", {"n": 1}, boot_id="b1")
    box.put("t", {"n": 2}, boot_id="b1")
    box.ack("b1", [1, 2])
    box.open_run("b1-1", "b1", "task", "led_assembly", 100.0)
    box.close()
    box.close()  # idempotent
    again = make_box(path)
    assert again.depth == 0
    assert again.put("t", {"n": 3}, boot_id="b2") == 3  # not 1: seq is kept on disk
    assert [r.run_id for r in again.open_runs()] == ["b1-1"]


def test_result_closes_its_run_atomically(tmp_path: Path, make_box: Callable[..., Outbox]) -> None:
    box = make_box(tmp_path / "o.db")
    box.open_run("r1", "b1", "task", "p", 1.0)
    box.open_run("r2", "b1", "task", "p", 2.0)
    box.put("t", {"kind": "result"}, boot_id="b1", closes_run="r1")
    assert [r.run_id for r in box.open_runs()] == ["r2"]


def test_committed_record_is_on_disk_for_another_reader(
    tmp_path: Path, make_box: Callable[..., Outbox]
) -> None:
    path = tmp_path / "o.db"
    box = make_box(path)
    box.put("t", {"n": 7}, boot_id="b1")
    with closing(sqlite3.connect(path)) as other:  # what a process after a power cut would see
        assert other.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
        mode = other.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_capacity_is_an_alarm_not_a_loss(tmp_path: Path, make_box: Callable[..., Outbox]) -> None:
    box = make_box(tmp_path / "o.db", capacity=3)
    for i in range(3):
        box.put("t", {"n": i}, boot_id="b1")
    assert box.full
    box.put("t", {"n": 3}, boot_id="b1")  # a run in progress still stores its records
    assert box.depth == 4
    box.ack("b1", [1, 2])
    assert not box.full


def test_closed_outbox_refuses_clearly(tmp_path: Path, make_box: Callable[..., Outbox]) -> None:
    box = make_box(tmp_path / "o.db")
    box.close()
    with pytest.raises(RuntimeError, match="closed"):
        box.put("t", {}, boot_id="b")


def test_mark_sent_counts_without_making_later_puts_less_durable(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    try:
        for i in range(3):
            box.put("t", {"n": i}, boot_id="b1")
        box.mark_sent(1)
        box.mark_sent([1, 2])
        assert [r.sent_count for r in box.pending()] == [2, 1, 0]
        box.ack("b1", [3])
        db = box._conn()
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again for the next put
        box.put("t", {"n": 3}, boot_id="b1")
        assert box.depth == 3
    finally:
        box.close()


def test_one_ack_message_is_one_transaction(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    try:
        for i in range(5):
            box.put("t", {"n": i}, boot_id="b1")
        statements: list[str] = []
        box._conn().set_trace_callback(statements.append)
        assert box.ack("b1", [1, 2, 3, 4]) == 4
    finally:
        box.close()
    commits = [s for s in statements if s.strip().upper() == "COMMIT"]
    deletes = [s for s in statements if s.startswith("DELETE")]
    assert len(commits) == 1 and len(deletes) == 4
    assert statements.index(commits[0]) > max(statements.index(d) for d in deletes)


def test_a_change_before_the_wait_is_not_missed(
    tmp_path: Path, make_box: Callable[..., Outbox]
) -> None:
    """The forwarder reads ``generation``, publishes, then waits: an ack that came in between
    ends the wait at once (it used to sleep the whole timeout with the window empty)."""
    box = make_box(tmp_path / "o.db")
    box.put("t", {"n": 0}, boot_id="b1")
    seen = box.generation
    box.ack("b1", [1])  # arrives while the forwarder is still busy
    start = time.monotonic()
    box.wait_changed(5.0, seen)
    assert time.monotonic() - start < 1.0
    seen = box.generation
    start = time.monotonic()
    box.wait_changed(0.3, seen)  # nothing changed: the whole timeout
    assert time.monotonic() - start >= 0.25
