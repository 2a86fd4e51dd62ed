"""The broker goes away for 10 s in the middle of a power-bank run; when it is back, the
scorer has every record of the run exactly once and in order.

The station runs on a simulated clock paced at 500x real time (``SimClock(speed=...)``), so
the 2.9-hour charge-and-discharge takes about 45 s of wall time (21 s of paced waiting, the
rest the samples' own work). The 10 s outage (real seconds: the broker process is stopped)
from 3 s in, the reconnect (paho backs off at most 8 s by then) and the 2 s of held database
all fall inside it, about 20 s in.

Throughout, a watcher checks the outbox's promise: a record leaves the outbox only after the
scorer stored it (every record ever stored by the station is in the outbox or in the scorer's
database, at every moment). When the broker is back, the test holds the scorer's database
write lock until the station has sent its backlog and two seconds more: nothing can be stored,
so nothing may be acknowledged and every record made offline must still be in the outbox.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from benchscore.clock import SimClock
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.outbox import Outbox
from firmware_py.state import StationState
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.benches import write_config
from tests.support.brokers import Mosquitto
from tests.support.trust import write_scorer_key

OUTAGE_S = 10.0
SPEED = 500.0
RECONNECT_S = 20.0
"""How long the station may take to reconnect and send its backlog (paho backs off <= 10 s)."""
HOLD_S = 2.0
ACK_TIMEOUT_S = 5.0  # 30 s in a hall
"""How long the scorer's database stays locked after the backlog went out (seconds)."""


class KeptUntilStored(threading.Thread):
    """Samples, every ``period_s``, records the station stored that are neither waiting in
    its outbox nor stored by the scorer: records deleted before their ack."""

    def __init__(self, outbox: Outbox, scorer_db: Path, station: str, period_s: float = 0.02):
        super().__init__(daemon=True)
        self.outbox, self.scorer_db, self.station = outbox, scorer_db, station
        self.period_s = period_s
        self.lost: list[int] = []
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(f"file:{self.scorer_db}?mode=ro", uri=True, timeout=30)
        try:
            while not self._halt.wait(self.period_s):
                made = self.outbox.stored  # read first: seqs 1..made exist from here on
                held = {row.seq for row in self.outbox.pending(0, 1_000_000)}
                got = {
                    seq
                    for (seq,) in db.execute(
                        "SELECT seq FROM records WHERE station = ?", (self.station,)
                    )
                }
                self.samples += 1
                lost = set(range(1, made + 1)) - held - got
                if lost:
                    self.lost = sorted(lost)
                    return
        finally:
            db.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def test_broker_outage_mid_power_bank_run_loses_and_duplicates_nothing(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    path = write_config(tmp_path, "pb01", task="power_bank", assembly="power_bank")
    path.write_text(path.read_text() + f"[broker]\nport = {mosquitto.port}\n")
    scorer_db = tmp_path / "scorer.db"
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port),
            storage_path=scorer_db,
            scorer_key=write_scorer_key(tmp_path),
            require_signatures=False,
            http=HttpConfig(port=0),
        )
    ).start()
    station = Station(load_station_config(path), clock=SimClock(speed=SPEED))
    station.link.ack_timeout_s = ACK_TIMEOUT_S
    watcher = KeptUntilStored(station.outbox, scorer_db, "pb01")
    runner = threading.Thread(target=station.run_once, daemon=True)
    try:
        assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
        station.start()
        assert station.link.wait_connected(10)
        watcher.start()
        runner.start()
        time.sleep(3)  # the run is under way
        assert station.state is StationState.RUNNING
        stored_before = station.outbox.stored
        mosquitto.stop()
        time.sleep(OUTAGE_S)
        assert station.state is StationState.RUNNING, "the run ended during the outage"
        waiting = station.outbox.depth
        assert station.outbox.stored > stored_before, "nothing was recorded during the outage"
        assert waiting > 0, "records produced offline must wait in the outbox"

        hold = sqlite3.connect(scorer_db, timeout=30, isolation_level=None)
        hold.execute("BEGIN IMMEDIATE")  # the scorer can receive but not store
        try:
            published = station.link.published_records
            mosquitto.start()
            deadline = time.monotonic() + RECONNECT_S
            while station.link.published_records == published and time.monotonic() < deadline:
                time.sleep(0.05)
            assert station.link.published_records > published, "the backlog was not sent"
            until = time.monotonic() + HOLD_S
            while time.monotonic() < until:
                assert station.outbox.depth >= waiting, "records left before the scorer stored them"
                time.sleep(0.05)
        finally:
            hold.execute("COMMIT")
            hold.close()

        runner.join(240)
        assert not runner.is_alive()
        result = station.runs[-1]
        assert result["outcome"] == "pass", result["reason"]

        deadline = time.monotonic() + 90
        while station.outbox.depth and time.monotonic() < deadline:
            time.sleep(0.2)
        assert station.outbox.depth == 0, "the scorer did not acknowledge everything"
        watcher.stop()
        assert watcher.lost == [], f"records deleted before the scorer stored them: {watcher.lost}"
        assert watcher.samples > 100
        assert scorer.store is not None
        log = sorted(scorer.store.record_log("pb01"), key=lambda row: row[1])
        seqs = [seq for _, seq, _ in log]
        assert seqs == list(range(1, station.outbox.stored + 1))  # all, once
        # not necessarily received in seq order: what the station sent after the broker came
        # back but before the scorer had subscribed again was dropped by the broker and came
        # again ack_timeout_s later (PROTOCOL "Delivery" 3)
        kinds = [kind for _, _, kind in log]
        assert kinds[-1] == "result" and kinds.count("result") == 1
        assert kinds.count("curve") > 10
        runs = scorer.store.list_runs("pb01")
        assert [r["outcome"] for r in runs] == ["pass"]
    finally:
        if watcher.is_alive():
            watcher.stop()
        station.stop()
        runner.join(30)
        station.close()
        scorer.stop()
