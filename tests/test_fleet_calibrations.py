"""The scorer keeps each station's calibration records for a replacement Pi: every online
status carries them, and only a change is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchscore.identity import Identity
from scorer.fleet.adoption import Fleet
from scorer.store import Store


def test_only_a_change_of_a_stations_calibrations_is_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    writes: list[str] = []
    fleet = Fleet(store, Identity.generate(), lambda *a: None, None, None)  # type: ignore[arg-type]
    store.db._conn.set_trace_callback(
        lambda sql: writes.append(sql) if "station_calibrations" in sql else None
    )
    first: list[dict[str, Any]] = [{"id": "st01.light.20261202", "gain": 1.02}]
    try:
        for _ in range(5):  # five statuses with the same records
            fleet.note_calibrations("st01", first)
        assert len(writes) == 1
        assert fleet._calibrations("st01") == first
        writes.clear()
        second = [*first, {"id": "st01.current.20261203", "gain": 0.99}]
        fleet.note_calibrations("st01", second)  # recalibrated: written
        fleet.note_calibrations("st02", first)  # another station: its own row
        fleet.note_calibrations("st01", second)
        assert len([w for w in writes if w.lstrip().startswith("INSERT")]) == 2
        assert fleet._calibrations("st01") == second and fleet._calibrations("st02") == first
    finally:
        store.close()
