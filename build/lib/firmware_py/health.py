"""Station health for the status message: uptime, bus errors, outbox, clock sync, CPU heat."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

CPU_THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")


def cpu_temperature_c(path: Path = CPU_THERMAL) -> float | None:
    """SoC temperature in degC from the kernel's thermal zone, or None where there is none."""
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


def clock_sync() -> dict[str, Any]:
    """chrony's view of the clock: ``{"synced": bool, "offset_s": float}``, or unknown.

    Parses ``chronyc -c tracking`` (CSV: field 5 is the last offset in seconds, field 13 the
    leap status, "Normal" when synchronised).
    """
    chronyc = shutil.which("chronyc")
    if chronyc is None:
        return {"synced": None, "source": "no chronyc"}
    try:
        out = subprocess.run(
            [chronyc, "-c", "tracking"], capture_output=True, text=True, timeout=2, check=True
        ).stdout
        fields = out.strip().split(",")
        return {"synced": fields[13] == "Normal", "offset_s": float(fields[5])}
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return {"synced": None, "source": "chronyc failed"}


class Health:
    """Counters a station keeps for its status message."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bus_errors: Counter[str] = Counter()
        self.runs = 0
        self._sync: dict[str, Any] = {}
        self._sync_at = -1e9

    def count_error(self, exc: BaseException | None) -> None:
        """Count a bus error against the device it names."""
        device = getattr(exc, "device", None)
        if device:
            self.bus_errors[str(device)] += 1

    def snapshot(self, outbox_depth: int, outbox_full: bool) -> dict[str, Any]:
        now = time.monotonic()
        if now - self._sync_at > 60:
            self._sync, self._sync_at = clock_sync(), now
        return {
            "uptime_s": round(now - self.started, 1),
            "runs": self.runs,
            "bus_errors": dict(self.bus_errors),
            "outbox_depth": outbox_depth,
            "outbox_full": outbox_full,
            "clock": self._sync,
            "cpu_temp_c": cpu_temperature_c(),
        }
