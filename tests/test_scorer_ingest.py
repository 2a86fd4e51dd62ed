"""Ingest: validated routing, rejection of every malformed payload, never raising."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from benchscore.protocol import MAX_PAYLOAD_BYTES, Topics
from scorer.ingest import Ingest
from scorer.store import Store
from tests.test_scorer_store import live, record, status

T = Topics("ev1", "st01")


def enc(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


def with_nan_value() -> bytes:
    # json.dumps writes NaN by default: exactly what a careless station would send
    obj = record()
    obj["measurements"][0]["value"] = float("nan")
    return json.dumps(obj).encode()


# (case id, topic, payload, expected reason)
BAD_PAYLOADS: list[tuple[str, str, bytes, str]] = [
    ("not-json", T.record, b"this is not json {", "malformed"),
    ("not-utf8", T.record, b"\xff\xfe{}", "malformed"),
    ("json-array", T.record, enc([record()]), "malformed"),
    ("json-string", T.status, enc("online"), "malformed"),
    ("wrong-schema", T.record, enc(record(schema=1)), "unsupported"),
    ("no-schema", T.record, enc(without(record(), "schema")), "unsupported"),
    ("missing-seq", T.record, enc(without(record(), "seq")), "schema"),
    ("missing-online", T.status, enc(without(status(), "online")), "schema"),
    ("bad-state", T.status, enc(status(state="sleeping")), "schema"),
    ("nan-value", T.record, with_nan_value(), "malformed"),
    ("station-mismatch", T.record, enc(record("st02")), "wrong_topic"),
    ("event-mismatch", Topics("ev2", "st01").record, enc(record()), "wrong_topic"),
    ("type-mismatch", T.record, enc(status()), "wrong_topic"),
    ("unknown-topic", "benchscore/v1/ev1/st01/debug", enc(record()), "unknown_topic"),
    ("foreign-topic", "other/thing", b"{}", "unknown_topic"),
    ("oversized", T.record, b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "oversized"),
    ("live-string-value", T.live, enc({**live(), "values": {"voltage_v": "5 V"}}), "schema"),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scorer.db")
    yield s
    s.close()


def test_record_is_stored_once(store: Store) -> None:
    ingest = Ingest(store)
    ingest.handle(T.record, enc(record(seq=7)))
    ingest.handle(T.record, enc(record(seq=7)))
    ingest.handle(T.record, enc(record(seq=8)))
    assert [r["seq"] for r in store.list_runs()] == [8, 7]
    assert ingest.accepted == 2 and ingest.duplicates == 1 and ingest.rejected == {}


def test_status_goes_to_stations(store: Store) -> None:
    ingest = Ingest(store)
    ingest.handle(T.status, enc(status(state="running")))
    ingest.handle(Topics("ev1", "st02").status, enc(status("st02", "offline", online=False)))
    assert [(s["id"], s["state"], s["online"]) for s in store.stations()] == [
        ("st01", "running", True),
        ("st02", "offline", False),
    ]
    assert ingest.accepted == 2


def test_live_keeps_latest_values_in_memory(store: Store) -> None:
    ingest = Ingest(store)
    assert ingest.live_values("st01") == {}
    ingest.handle(T.live, enc(live(voltage_v=5.0, current_a=0.1)))
    ingest.handle(T.live, enc(live(voltage_v=4.9, current_a=None)))
    got = ingest.live_values("st01")
    assert got["ts"] == 1_700_000_010.5 and got["phase"] == "measure"
    assert got["values"] == {"voltage_v": 4.9, "current_a": None}
    got["values"]["voltage_v"] = 0.0  # a copy: the caller cannot change the ingest's state
    assert ingest.live_values("st01")["values"]["voltage_v"] == 4.9
    assert set(ingest.all_live()) == {"st01"}
    assert store.run_count() == 0 and store.stations() == []


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [pytest.param(t, p, r, id=i) for i, t, p, r in BAD_PAYLOADS],
)
def test_bad_payload_is_rejected_with_reason(
    store: Store, caplog: pytest.LogCaptureFixture, topic: str, payload: bytes, reason: str
) -> None:
    ingest = Ingest(store)
    with caplog.at_level(logging.WARNING, logger="scorer.ingest"):
        ingest.handle(topic, payload)
    assert store.run_count() == 0
    assert store.rejection_counts() == {reason: 1}
    (rej,) = store.rejections(10)
    assert rej["reason"] == reason and rej["size"] == len(payload)
    assert rej["topic"] == topic and rej["detail"]
    assert ingest.rejected == {reason: 1} and ingest.accepted == 0
    (rec,) = [r for r in caplog.records if r.name == "scorer.ingest"]
    assert rec.levelno == logging.WARNING
    assert reason in rec.getMessage() and topic in rec.getMessage()
    # and the ingest still takes a valid record afterwards
    ingest.handle(T.record, enc(record()))
    assert store.run_count() == 1 and ingest.accepted == 1


def test_unexpected_error_is_recorded_as_internal(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenStore(Store):
        def add_records(
            self,
            batch: Sequence[Mapping[str, Any]],
            received_at: float | None = None,
            *,
            raw: Sequence[bytes] | None = None,
        ) -> list[bool]:
            raise RuntimeError("disk on fire")

    broken = BrokenStore(store.path.with_name("broken.db"))
    try:
        ingest = Ingest(broken)
        with caplog.at_level(logging.ERROR, logger="scorer.ingest"):
            ingest.handle(T.record, enc(record()))
        assert broken.rejection_counts() == {"internal": 1}
        assert "disk on fire" in broken.rejections(1)[0]["detail"]
        assert ingest.rejected == {"internal": 1}
        assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)
    finally:
        broken.close()


def test_never_raises_even_when_the_store_is_gone(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = Ingest(store)
    store.close()
    with caplog.at_level(logging.ERROR, logger="scorer.ingest"):
        ingest.handle(T.record, enc(record()))
        ingest.handle(T.record, b"garbage")
    assert ingest.rejected == {"internal": 1, "malformed": 1}
    assert sum("could not record" in r.getMessage() for r in caplog.records) == 2


def test_concurrent_handles(store: Store) -> None:
    ingest = Ingest(store)

    def worker(n: int) -> None:
        for seq in range(30):
            ingest.handle(T.record, enc(record(seq=seq)))
            ingest.handle(T.live, enc(live(voltage_v=float(n))))
            ingest.handle(T.record, b"[]")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert store.run_count() == 30
    assert ingest.accepted == 30 + 150 and ingest.duplicates == 120
    assert ingest.rejected == {"malformed": 150}
    assert store.rejection_counts() == {"malformed": 150}
