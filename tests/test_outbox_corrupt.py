"""A corrupt outbox: moved aside (kept), a fresh one above the old seqs, and salvage brings
back exactly the records that were readable, counted here from the file's bytes."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from benchscore.app.cli import main
from firmware_py.config import load_station_config
from firmware_py.outbox import Outbox
from firmware_py.outbox_salvage import scan_file
from firmware_py.station import Station
from tests.support.brokers import free_port
from tests.support.stations import write_station_config

N = 150
PAGE = 4096  # SQLite's default page size (the test checks the header says so)


def marker(i: int) -> str:
    return f"<rec{i:05d}>"


def fill(
    path: Path, n: int = N, pad: Callable[[int], int] = lambda i: 300 + (i * 37) % 900
) -> None:
    """An outbox of ``n`` records (each payload small enough to stay on one page), a counter
    and a run in progress; closed, so its WAL is checkpointed into the file."""
    box = Outbox(path)
    for i in range(n):
        box.put(
            "benchscore/v1/test/st05/record",
            {"kind": "result", "run_id": f"r{i}", "marker": marker(i), "pad": "x" * pad(i)},
            boot_id="boot-old",
        )
    box.bump("marked:led")
    box.bump("marked:led")
    box.open_run("r-open", "boot-old", "led", "led_assembly", 1.0)
    box.close()
    assert not path.with_name(path.name + "-wal").exists()


def readable_count(original: bytes, damaged: bytes, bad_pages: set[int]) -> int:
    """Records whose (only) copy lies whole on a page that is neither damaged nor cut off."""
    count = 0
    for i in range(N):
        key = marker(i).encode()
        assert original.count(key) == 1, "each record is stored once"
        page = original.index(key) // PAGE + 1
        if page not in bad_pages and page * PAGE <= len(damaged):
            count += 1
    return count


def page_of(data: bytes, i: int) -> int:
    return data.index(marker(i).encode()) // PAGE + 1


Corruption = Callable[[bytes], tuple[bytes, set[int]]]


def truncate(data: bytes) -> tuple[bytes, set[int]]:
    cut = (len(data) // PAGE // 2) * PAGE + 100  # mid-page, about half the file
    return data[:cut], set()


def overwrite_header(data: bytes) -> tuple[bytes, set[int]]:
    return b"\xff" * 100 + data[100:], set()


def overwrite_middle_page(data: bytes) -> tuple[bytes, set[int]]:
    page = page_of(data, N // 2)
    garbage = random.Random(7).randbytes(PAGE)
    start = (page - 1) * PAGE
    return data[:start] + garbage + data[start + PAGE :], {page}


def not_a_database(data: bytes) -> tuple[bytes, set[int]]:
    return b"this is not an SQLite database\n" * 300, set(range(1, 10_000))


@pytest.mark.parametrize(
    "corrupt", [truncate, overwrite_header, overwrite_middle_page, not_a_database]
)
def test_corrupt_outbox_is_moved_aside_and_salvage_recovers_the_readable_records(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    corrupt: Corruption,
) -> None:
    cfg_path = write_station_config(tmp_path, "st05", port=free_port())  # no broker
    cfg = load_station_config(cfg_path)
    db = cfg.state_dir / "outbox.db"
    db.parent.mkdir(parents=True)
    fill(db)
    data = db.read_bytes()
    assert int.from_bytes(data[16:18], "big") == PAGE
    damaged, bad_pages = corrupt(data)
    expected = readable_count(data, damaged, bad_pages) if corrupt is not not_a_database else 0
    assert expected < N or corrupt is overwrite_header
    db.write_bytes(damaged)

    # the technician's tools refuse it in one line and leave it where it is
    assert main(["outbox", "list", "--config", str(cfg_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "outbox.db" in err and "corrupt" in err
    assert db.read_bytes() == damaged

    # the station starts on it: the old file is kept as it was, the station runs again
    station = Station(cfg)
    try:
        moved = station.outbox.corrupt_moved
        assert moved is not None and moved.name.startswith("outbox.db.corrupt-")
        assert moved.read_bytes() == damaged
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert any(moved.name in r.getMessage() and "salvage" in r.getMessage() for r in errors)
        old_max = 0 if corrupt is not_a_database else N
        assert station.outbox.counter("marked:led") == (0 if corrupt is not_a_database else 2)
        station.start()
        # the alarm: in the status, on the operator's display, an amber blink
        assert moved.name in station.alarm and "salvage" in station.alarm
        assert station.link._status["alarm"] == station.alarm
        assert station.display.last[1].startswith("technician: outbox was corrupt")  # type: ignore[attr-defined]
        amber = station.hardware.pin_factory.pin(cfg.hardware.gpio.light_amber)
        amber.clear_states()
        time.sleep(2.3)
        assert len(amber.states) >= 2  # blinking
        result = station.run_once()
        assert result["outcome"] == "pass"
        seqs = [row.seq for row in station.outbox.pending(0, 100)]
        assert seqs and min(seqs) > old_max, "seqs never go back below the old file's"
    finally:
        station.close()

    assert main(["outbox", "salvage", str(moved), "--config", str(cfg_path)]) == (
        0 if expected else 1
    )
    out = capsys.readouterr().out
    assert f"recovered {expected} record(s) ({expected} newly queued" in out
    box = Outbox(db, recover=False)
    try:
        rows = box.pending(0, 10_000)
        salvaged = [r for r in rows if r.boot_id == "boot-old"]
        assert len(salvaged) == expected
        for r in salvaged:  # payloads come back whole, with their own seq
            i = int(r.payload["marker"][4:9])
            assert r.payload["run_id"] == f"r{i}" and r.seq == i + 1
        assert all(r.seq > old_max for r in rows if r.boot_id != "boot-old")
    finally:
        box.close()

    # salvaging twice queues nothing twice
    assert main(["outbox", "salvage", str(moved), "--config", str(cfg_path)]) == (
        0 if expected else 1
    )
    assert f"({0} newly queued, {expected} already queued)" in capsys.readouterr().out


def test_salvage_follows_overflow_pages_and_the_wal(tmp_path: Path) -> None:
    """Payloads larger than a page, and records committed only to the WAL, come back."""
    path = tmp_path / "outbox.db"
    fill(path, n=20, pad=lambda i: 9000 + 500 * i)  # every record spills onto overflow pages
    keep = Outbox(path)  # a reader keeps the WAL from being checkpointed into the file
    writer = Outbox(path)
    for i in range(20, 30):
        writer.put("t", {"marker": marker(i), "pad": "y" * 5000}, boot_id="boot-wal")
    os.sync()
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    copy.with_name("copy.db-wal").write_bytes(path.with_name("outbox.db-wal").read_bytes())
    writer.close()
    keep.close()
    damaged = copy.read_bytes()
    copy.write_bytes(b"\x00" * 100 + damaged[100:])  # and the header is gone

    scan = scan_file(copy)
    assert sorted(scan.records) == list(range(1, 31))
    assert scan.records[5].payload["pad"] == "x" * (9000 + 500 * 4)
    assert scan.records[30].payload["marker"] == marker(29)
    assert scan.counters == {"marked:led": 2}
    assert [r.run_id for r in scan.runs] == ["r-open"]


def test_an_unreadable_state_dir_is_one_line_not_a_move(tmp_path: Path) -> None:
    """Only corruption moves a file: a locked or unopenable database raises, names it."""
    from firmware_py.outbox import OutboxError

    target = tmp_path / "dir-not-db"
    target.mkdir()
    with pytest.raises(OutboxError, match="dir-not-db: cannot open the outbox"):
        Outbox(target)
    assert target.is_dir() and not list(tmp_path.glob("*.corrupt-*"))
