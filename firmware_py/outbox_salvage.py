"""Reading what is left of a corrupt outbox database, page by page, without SQLite.

When the station finds its ``outbox.db`` corrupt it moves it aside (``outbox.db.corrupt-<UTC>``,
with its ``-wal``/``-shm``) and starts a fresh one; ``benchscore outbox salvage FILE`` then
queues every record this module can read from the old file.

How: the file is cut into pages (the page size from the header, or, with the header gone, the
size that yields the most records); the pages of the write-ahead log (``FILE-wal``) replace
their older images up to its last commit. Every *table leaf* page is decoded cell by cell,
following overflow chains, and a cell counts as an outbox record only if it has the outbox row's
shape (boot id, topic, JSON payload, time, send count) and its payload's ``seq`` equals the
row id. The ``meta`` rows (next seq, persistent counters) and the runs in progress are read the
same way. Pages on SQLite's free list are skipped when page 1 still names them.

What it recovers: every record whose cell and overflow pages are intact, wherever the file is
damaged (header, interior pages, the schema page, a truncated tail). What it cannot: records
on overwritten or cut-off pages (they are gone; a damaged page is counted, its records cannot
be), and a record whose cell or overflow chain is damaged (counted as damaged). If page 1 is
lost, records freed by an ack but still on a free page may come back; the scorer acknowledges
such a duplicate again (it de-duplicates on station, boot and seq).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER_MAGIC = b"SQLite format 3\x00"
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_TABLE_LEAF = 0x0D
_OTHER_BTREE = (0x02, 0x05, 0x0A)
"""Index interior, table interior and index leaf pages: no records on them."""
_PAGE_SIZES = tuple(2**n for n in range(9, 17))
_Value = int | float | str | bytes | None


@dataclass(frozen=True)
class SalvagedRecord:
    """One readable outbox record of the old file (``payload`` is its unsigned JSON body)."""

    seq: int
    boot_id: str
    topic: str
    payload: dict[str, Any]
    created_at: float
    sent_count: int


@dataclass(frozen=True)
class SalvagedRun:
    """A run that was in progress when the old outbox was last written."""

    run_id: str
    boot_id: str
    task: str
    procedure: str
    started_at: float
    marked: bool


@dataclass
class Scan:
    """Everything readable in an old outbox file."""

    records: dict[int, SalvagedRecord] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    runs: list[SalvagedRun] = field(default_factory=list)
    damaged: int = 0
    """Cells that looked like outbox records but could not be read whole."""
    unreadable_pages: int = 0
    """Pages that are neither a readable b-tree page nor an overflow, free or empty page."""
    page_size: int = 0

    @property
    def max_seq(self) -> int:
        """The highest seq the old file shows (a record, or ``next_seq - 1``); 0 if none."""
        seqs = [*self.records, 0]
        next_seq = self.meta.get("next_seq", "")
        if next_seq.isdigit():
            seqs.append(int(next_seq) - 1)
        return max(seqs)

    @property
    def counters(self) -> dict[str, int]:
        """The persistent counters (``count:<name>`` rows of ``meta``) that are readable."""
        out: dict[str, int] = {}
        for key, value in self.meta.items():
            if key.startswith("count:") and value.lstrip("-").isdigit():
                out[key.removeprefix("count:")] = int(value)
        return out


class _Damaged(Exception):
    """A cell or record that cannot be decoded."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode an SQLite varint at ``pos``; return (value, position after it)."""
    value = 0
    for i in range(9):
        if pos + i >= len(buf):
            raise _Damaged("varint past the end of the page")
        byte = buf[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    raise AssertionError("unreachable")  # pragma: no cover


def _record(data: bytes) -> list[_Value]:
    """Decode an SQLite record (header of serial types, then the values)."""
    header_len, pos = _varint(data, 0)
    if header_len > len(data) or header_len < 1:
        raise _Damaged("record header longer than the record")
    types: list[int] = []
    while pos < header_len:
        serial, pos = _varint(data, pos)
        types.append(serial)
    body = header_len
    values: list[_Value] = []
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in sizes:
            n = sizes[serial]
            values.append(int.from_bytes(data[body : body + n], "big", signed=True))
            body += n
        elif serial == 7:
            values.append(struct.unpack(">d", data[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = data[body : body + n]
            if len(raw) != n:
                raise _Damaged("value past the end of the record")
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8"))
            body += n
        else:
            raise _Damaged(f"reserved serial type {serial}")
    if body != len(data):
        raise _Damaged("record length does not match its header")
    return values


class _Pages:
    """The pages of a database file with its WAL applied."""

    def __init__(self, main: bytes, wal: bytes, page_size: int, usable: int) -> None:
        self.size = page_size
        self.usable = usable
        self.overflow: set[int] = set()
        """Overflow pages some readable cell goes on to."""
        self.pages: dict[int, bytes] = {}
        for i in range(len(main) // page_size):
            self.pages[i + 1] = main[i * page_size : (i + 1) * page_size]
        self.pages.update(_wal_pages(wal, page_size))

    def get(self, number: int) -> bytes | None:
        return self.pages.get(number)

    def missing(self) -> int:
        """Pages the header counts that the file no longer has (a truncated file)."""
        first = self.get(1)
        if first is None or not first.startswith(HEADER_MAGIC):
            return 0
        return max(0, int.from_bytes(first[28:32], "big") - max(self.pages, default=0))

    def freelist(self) -> set[int]:
        """Pages on the free list, as page 1 names them (empty if page 1 is unreadable)."""
        first = self.get(1)
        if first is None or not first.startswith(HEADER_MAGIC):
            return set()
        free: set[int] = set()
        trunk = int.from_bytes(first[32:36], "big")
        while trunk and trunk not in free and (page := self.get(trunk)) is not None:
            free.add(trunk)
            count = int.from_bytes(page[4:8], "big")
            for i in range(min(count, (self.usable - 8) // 4)):
                free.add(int.from_bytes(page[8 + 4 * i : 12 + 4 * i], "big"))
            trunk = int.from_bytes(page[0:4], "big")
        return free


def _wal_pages(wal: bytes, page_size: int) -> dict[int, bytes]:
    """Page images of the WAL's committed frames (the last image of a page wins)."""
    if len(wal) < 32 or int.from_bytes(wal[0:4], "big") not in _WAL_MAGIC:
        return {}
    if int.from_bytes(wal[8:12], "big") != page_size:
        return {}
    salt = wal[16:24]
    committed: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    pos = 32
    while pos + 24 + page_size <= len(wal):
        frame = wal[pos : pos + 24]
        if frame[8:16] != salt:
            break
        number = int.from_bytes(frame[0:4], "big")
        pending[number] = wal[pos + 24 : pos + 24 + page_size]
        if int.from_bytes(frame[4:8], "big"):  # a commit frame
            committed.update(pending)
            pending.clear()
        pos += 24 + page_size
    return committed


def _btree_start(number: int) -> int:
    """Where a page's b-tree header starts (page 1 holds the file header first)."""
    return 100 if number == 1 else 0


def _cells(pages: _Pages, number: int, page: bytes) -> Iterator[bytes | None]:
    """The payload of each cell of a table leaf page (overflow chains followed); None for a
    cell that cannot be read whole. Raises _Damaged for a page that is not a table leaf."""
    start = _btree_start(number)
    if len(page) < start + 8 or page[start] != _TABLE_LEAF:
        raise _Damaged("not a table leaf page")
    n_cells = int.from_bytes(page[start + 3 : start + 5], "big")
    u = pages.usable
    if start + 8 + 2 * n_cells > u:
        raise _Damaged("cell count larger than the page")
    max_local = u - 35
    min_local = (u - 12) * 32 // 255 - 23
    for i in range(n_cells):
        ptr = int.from_bytes(page[start + 8 + 2 * i : start + 10 + 2 * i], "big")
        try:
            if not start + 8 <= ptr < u:
                raise _Damaged("cell pointer outside the page")
            size, pos = _varint(page, ptr)
            _, pos = _varint(page, pos)  # the row id: the record's seq is checked instead
            if size <= max_local:
                local = size
            else:
                k = min_local + (size - min_local) % (u - 4)
                local = k if k <= max_local else min_local
            data = bytearray(page[pos : pos + local])
            if len(data) != local or pos + local > u:
                raise _Damaged("cell runs past the page")
            if local < size:
                data += _overflow(pages, int.from_bytes(page[pos + local : pos + local + 4], "big"))
            if len(data) < size:
                raise _Damaged("overflow chain too short")
            yield bytes(data[:size])
        except _Damaged:
            yield None


def _overflow(pages: _Pages, number: int) -> bytes:
    out = bytearray()
    seen: set[int] = set()
    while number:
        page = pages.get(number)
        if page is None or number in seen:
            raise _Damaged(f"overflow page {number} missing")
        seen.add(number)
        pages.overflow.add(number)
        out += page[4 : pages.usable]
        number = int.from_bytes(page[0:4], "big")
    return bytes(out)


def _as_record(values: list[_Value]) -> SalvagedRecord | None:
    """An outbox row (seq, boot_id, topic, payload, created_at, sent_count, last_sent)."""
    if len(values) != 7:
        return None
    _, boot_id, topic, payload, created_at, sent_count, _last = values
    if not (
        isinstance(boot_id, str)
        and isinstance(topic, str)
        and isinstance(payload, str)
        and isinstance(created_at, int | float)
        and isinstance(sent_count, int)
    ):
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        raise _Damaged("payload is not JSON") from None
    seq = body.get("seq") if isinstance(body, dict) else None
    if not isinstance(seq, int) or isinstance(seq, bool) or body.get("boot_id") != boot_id:
        raise _Damaged("payload without its seq and boot id")
    return SalvagedRecord(seq, boot_id, topic, body, float(created_at), sent_count)


def _as_run(values: list[_Value]) -> SalvagedRun | None:
    if len(values) != 6:
        return None
    run_id, boot_id, task, procedure, started_at, marked = values
    if not (
        all(isinstance(v, str) for v in (run_id, boot_id, task, procedure))
        and isinstance(started_at, int | float)
        and marked in (0, 1)
    ):
        return None
    return SalvagedRun(
        str(run_id), str(boot_id), str(task), str(procedure), float(started_at), bool(marked)
    )


def _scan_pages(pages: _Pages) -> Scan:
    scan = Scan(page_size=pages.size)
    free = pages.freelist()
    other: list[int] = []  # neither a table leaf nor free: interior, overflow, or garbage
    for number in sorted(pages.pages):
        page = pages.pages[number]
        if number in free:
            continue
        try:
            cells = list(_cells(pages, number, page))
        except _Damaged:
            other.append(number)
            continue
        for cell in cells:
            if cell is None:
                scan.damaged += 1
                continue
            try:
                values = _record(cell)
                record = _as_record(values)
            except (_Damaged, UnicodeDecodeError, struct.error):
                scan.damaged += 1
                continue
            if record is not None:
                scan.records[record.seq] = record
            elif (run := _as_run(values)) is not None:
                scan.runs.append(run)
            elif len(values) == 2 and all(isinstance(v, str) for v in values):
                scan.meta[str(values[0])] = str(values[1])
    scan.unreadable_pages += pages.missing()
    for number in other:
        page = pages.pages[number]
        kind = page[_btree_start(number)]
        if number not in pages.overflow and kind not in _OTHER_BTREE and any(page):
            scan.unreadable_pages += 1
    return scan


def scan_file(path: str | Path) -> Scan:
    """Read every record, meta row and open run that is still readable in ``path`` (and in
    ``<path>-wal`` if it exists). An unreadable file gives an empty scan, never an error."""
    p = Path(path)
    main = p.read_bytes()
    wal_path = p.with_name(p.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    candidates: list[tuple[int, int]] = []
    if main.startswith(HEADER_MAGIC) and len(main) >= 100:
        size = int.from_bytes(main[16:18], "big")
        size = 65536 if size == 1 else size
        if size in _PAGE_SIZES:
            candidates.append((size, size - main[20]))
    if len(wal) >= 32:
        size = int.from_bytes(wal[8:12], "big")
        if size in _PAGE_SIZES:
            candidates.append((size, size))
    candidates += [(size, size) for size in _PAGE_SIZES]
    best = Scan()
    for i, (size, usable) in enumerate(dict.fromkeys(candidates)):
        scan = _scan_pages(_Pages(main, wal, size, usable))
        if i == 0 or len(scan.records) > len(best.records):
            best = scan
        if i == 0 and scan.records and len(candidates) > len(_PAGE_SIZES):
            break  # the page size the file states works: no need to guess
    return best
