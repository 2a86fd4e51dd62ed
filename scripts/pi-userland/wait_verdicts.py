"""Wait until a scorer has stored N runs of one station; print them as the scorer stored them.

Usage: ``python3 wait_verdicts.py HTTP_PORT STATION N TIMEOUT_S``. Reads the scorer's
``GET /api/runs?station=...`` on 127.0.0.1 (answered for local clients), prints one line per
run, oldest first (``<station> <run_id>: <OUTCOME> <reason>``), and exits 0; exits 1 with one
line if fewer than N runs arrive in TIMEOUT_S seconds. Standard library only.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from typing import Any


def stored_runs(port: int, station: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/runs?station={station}"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            runs = json.load(resp)
    except (OSError, ValueError):
        return []
    return [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: wait_verdicts.py HTTP_PORT STATION N TIMEOUT_S", file=sys.stderr)
        return 2
    port, station, want, timeout_s = int(argv[0]), argv[1], int(argv[2]), float(argv[3])
    deadline = time.monotonic() + timeout_s
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = stored_runs(port, station)
        if len(runs) >= want:
            break
        time.sleep(1.0)
    for run in reversed(runs[:want]):  # the API lists newest first
        outcome = str(run.get("outcome")).upper()
        print(f"  {run.get('station')} {run.get('run_id')}: {outcome} {run.get('reason') or ''}")
    if len(runs) < want:
        print(
            f"pi-userland: the scorer stored {len(runs)} of {want} runs of {station} "
            f"in {timeout_s:.0f} s",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
