"""The broker goes away for 60 s in the middle of a power-bank run; when it is back, the
scorer has every record of the run exactly once and in order.

The station runs on a simulated clock paced at about 120x real time (``SimClock(speed=...)``),
so the 2.9-hour charge-and-discharge takes about 90 s of wall time and the 60 s outage (real
seconds: the broker process is stopped) falls well inside it.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchscore.clock import SimClock
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.state import StationState
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.benches import write_config
from tests.support.brokers import Mosquitto
from tests.support.trust import write_scorer_key

OUTAGE_S = 60.0
SPEED = 120.0


def test_broker_outage_mid_power_bank_run_loses_and_duplicates_nothing(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    path = write_config(tmp_path, "pb01", task="power_bank", assembly="power_bank")
    path.write_text(path.read_text() + f"[broker]\nport = {mosquitto.port}\n")
    scorer = ScorerService(ScorerConfig(
        event="test", broker=BrokerConfig(port=mosquitto.port),
        storage_path=tmp_path / "scorer.db",
        scorer_key=write_scorer_key(tmp_path),
        require_signatures=False, http=HttpConfig(port=0),
    )).start()
    station = Station(load_station_config(path), clock=SimClock(speed=SPEED))
    import threading

    runner = threading.Thread(target=station.run_once, daemon=True)
    try:
        assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
        station.start()
        assert station.link.wait_connected(10)
        runner.start()
        time.sleep(10)  # some curve chunks go out live first
        assert station.state is StationState.RUNNING
        stored_before = station.outbox.stored
        mosquitto.stop()
        time.sleep(OUTAGE_S)
        assert station.state is StationState.RUNNING, "the run ended during the outage"
        waiting = station.outbox.depth
        assert station.outbox.stored > stored_before, "nothing was recorded during the outage"
        assert waiting > 0, "records produced offline must wait in the outbox"
        mosquitto.start()
        runner.join(240)
        assert not runner.is_alive()
        result = station.runs[-1]
        assert result["outcome"] == "pass", result["reason"]

        deadline = time.monotonic() + 90
        while station.outbox.depth and time.monotonic() < deadline:
            time.sleep(0.2)
        assert station.outbox.depth == 0, "the scorer did not acknowledge everything"
        assert scorer.store is not None
        log = scorer.store.record_log("pb01")
        seqs = [seq for _, seq, _ in log]
        assert seqs == list(range(1, station.outbox.stored + 1))  # all, once, in order
        kinds = [kind for _, _, kind in log]
        assert kinds[-1] == "result" and kinds.count("result") == 1
        assert kinds.count("curve") > 10
        runs = scorer.store.list_runs("pb01")
        assert [r["outcome"] for r in runs] == ["pass"]
    finally:
        station.stop()
        runner.join(30)
        station.close()
        scorer.stop()
