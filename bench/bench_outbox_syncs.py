"""Disk syncs the station outbox makes per record: ``put``, ``mark_sent``, ``ack``.

Runs a child process that stores N records, marks each sent and acks them (one ack message
per record, as a scorer acking record by record, and one ack message per 50 records, as the
batched scorer does), under ``strace -f -c -e trace=fsync,fdatasync``, and prints the syncs
per record. On a Pi's SD card each sync costs milliseconds, so this is the outbox's cost.

Run: ``.venv/bin/python bench/bench_outbox_syncs.py [--outbox-module PATH]`` (PATH: another
outbox.py to compare, e.g. an older version from git).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

RECORDS = 200

_CHILD = r"""
import importlib.util, sys, os
spec = importlib.util.spec_from_file_location("outbox_under_test", sys.argv[1])
mod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = mod
spec.loader.exec_module(mod)
box = mod.Outbox(sys.argv[2])
n, per_ack = int(sys.argv[3]), int(sys.argv[4])
phase = sys.argv[5]
seqs = []
for i in range(n):
    if phase in ("put", "all"):
        seqs.append(box.put("benchscore/v1/e/s/record", {"n": i}, boot_id="b"))
if phase != "put":
    seqs = seqs or [r.seq for r in box.pending(0, n)]
    if phase in ("mark_sent", "all"):
        for q in seqs:
            box.mark_sent(q)
    if phase in ("ack", "all"):
        for start in range(0, len(seqs), per_ack):
            box.ack("b", seqs[start:start + per_ack])
box.close()
"""


def syncs(module: Path, db: Path, phase: str, per_ack: int) -> int:
    """fsync + fdatasync calls of one child run of ``phase``."""
    out = subprocess.run(
        [
            "strace",
            "-f",
            "-c",
            "-e",
            "trace=fsync,fdatasync",
            sys.executable,
            "-c",
            _CHILD,
            str(module),
            str(db),
            str(RECORDS),
            str(per_ack),
            phase,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in out.stderr.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)$", line)
        if m:
            total += int(m.group(1))
    return total


def measure(module: Path, per_ack: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "outbox.db"
        subprocess.run(
            [sys.executable, "-c", _CHILD, str(module), str(db), "0", "1", "put"], check=True
        )  # create the schema outside the count
        out = {"put": syncs(module, db, "put", per_ack)}
        out["mark_sent"] = syncs(module, db, "mark_sent", per_ack)
        out["ack"] = syncs(module, db, "ack", per_ack)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "firmware_py" / "outbox.py"
    parser.add_argument("--outbox-module", type=Path, default=default)
    args = parser.parse_args()
    if shutil.which("strace") is None:
        print("bench_outbox_syncs: strace is not installed", file=sys.stderr)
        return 2
    if importlib.util.spec_from_file_location("x", args.outbox_module) is None:
        print(f"bench_outbox_syncs: {args.outbox_module}: not a Python module", file=sys.stderr)
        return 2
    print(f"outbox {args.outbox_module.name}: {RECORDS} records, disk syncs (fsync+fdatasync)")
    for per_ack in (1, 50):
        got = measure(args.outbox_module, per_ack)
        total = sum(got.values())
        parts = ", ".join(f"{k} {v}" for k, v in got.items())
        print(
            f"  acks of {per_ack:>2} seqs: {parts}; total {total} = "
            f"{total / RECORDS:.2f} per record"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
