"""A record the scorer never got is sent again ``ack_timeout_s`` after it was sent, even while
later records keep being acked (PROTOCOL "Delivery" 3).

This is what happens after a broker restart when the station reconnects before the scorer has
subscribed again: the broker drops what the station sends in between, and the records the
station makes afterwards are stored and acked as usual. Here a scorer stand-in on a real
Mosquitto acks every record it receives, signed with the scorer key, except the first copy of
one record, which it drops."""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path

from benchscore import protocol
from benchscore.signing import sign_payload
from firmware_py.config import load_station_config
from firmware_py.station import Station
from tests.support.brokers import Mosquitto, MqttPeer
from tests.support.stations import write_station_config
from tests.support.trust import TEST_SCORER

ACK_TIMEOUT_S = 2.0
DROPPED_SEQ = 2


def test_a_record_the_scorer_missed_is_sent_again_while_later_ones_are_acked(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    config = write_station_config(tmp_path, "st01", port=mosquitto.port)
    station = Station(load_station_config(config))
    station.link.ack_timeout_s = ACK_TIMEOUT_S
    scorer = MqttPeer(mosquitto.port, "scorer-stand-in", None, None)
    arrivals: list[tuple[float, int, bool]] = []  # (monotonic time, seq, historical)
    producing = threading.Event()
    producing.set()

    def produce() -> None:  # runs back to back, so acks for newer records never pause
        while producing.is_set():
            station.run_once()

    runner = threading.Thread(target=produce, daemon=True)
    try:
        assert scorer.connect()
        assert scorer.subscribe("benchscore/v1/test/st01/record")
        station.start()
        assert station.link.wait_connected(10)
        runner.start()
        started = time.monotonic()
        while time.monotonic() - started < 4 * ACK_TIMEOUT_S:
            try:
                msg = scorer.next_message(timeout_s=1.0)
            except queue.Empty:
                continue
            obj = json.loads(msg.payload)
            arrivals.append((time.monotonic(), obj["seq"], obj.get("historical", False)))
            if obj["seq"] == DROPPED_SEQ and [a[1] for a in arrivals].count(DROPPED_SEQ) == 1:
                continue  # lost on the way, as if the broker had no subscriber for it
            topic = protocol.scorer_topic("test", "st01", "ack")
            ack = {
                "schema": protocol.SCHEMA_VERSION,
                "type": "ack",
                "event": "test",
                "station": "st01",
                "boot_id": obj["boot_id"],
                "seqs": [obj["seq"]],
            }
            scorer.publish(topic, sign_payload(TEST_SCORER, topic, ack))
        copies = [(t, historical) for t, seq, historical in arrivals if seq == DROPPED_SEQ]
        assert len(copies) >= 2, f"seq {DROPPED_SEQ} was never sent again: {arrivals}"
        first, again = copies[0][0], copies[1][0]
        assert again - first >= ACK_TIMEOUT_S * 0.9, "sent again before its ack was due"
        assert copies[1][1] is True, "a record sent again must be marked historical"
        acked_meanwhile = [seq for t, seq, _ in arrivals if first < t < again]
        assert len(acked_meanwhile) >= 3, "later records must have been acked meanwhile"
        assert max(seq for _, seq, _ in arrivals) > DROPPED_SEQ + 3
    finally:
        producing.clear()
        runner.join(30)
        scorer.close()
        station.close()
