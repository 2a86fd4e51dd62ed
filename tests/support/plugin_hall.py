"""A scorer and one simulated station in this process, on a given broker: the station runs
its task once; prints (JSON) the run as the scorer stored it and the scorer's appeal report.

``python -m tests.support.plugin_hall PORT DIR TASK`` — run in a subprocess whose path holds
a procedure plugin the test process must not see (tests/test_plugin_example.py)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.appeals import recompute
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.stations import write_station_config
from tests.support.trust import write_scorer_key


def main(port: int, directory: Path, task: Path) -> int:
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=port, protocol="5"),
            storage_path=directory / "scorer.db",
            scorer_key=write_scorer_key(directory),
            require_signatures=False,
            http=HttpConfig(port=0),
        )
    ).start()
    config = write_station_config(directory, "eff1", port=port, task=task)
    station = Station(load_station_config(config))
    try:
        assert scorer.mqtt is not None and scorer.store is not None
        assert scorer.mqtt.wait_connected(10)
        station.start()
        assert station.link.wait_connected(10)
        run_id = station.run_once()["run_id"]
        deadline = time.monotonic() + 20
        while (run := scorer.store.get_run("eff1", run_id)) is None:
            if time.monotonic() > deadline:
                raise SystemExit("the run never reached the scorer")
            time.sleep(0.05)
        while len(scorer.store.curve_names("eff1", run_id)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        appeal = recompute(scorer.store, "eff1", run_id, task.parent)
        print(json.dumps({"run": run, "appeal": appeal}, default=str))
    finally:
        station.close()
        scorer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
