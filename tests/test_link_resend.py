"""When the station sends a record again (PROTOCOL "Delivery" 3).

A record the scorer never got is sent again ``ack_timeout_s`` after it was sent, even while
later records keep being acked. This is what happens after a broker restart when the station
reconnects before the scorer has subscribed again: the broker drops what the station sends in
between, and the records the station makes afterwards are stored and acked as usual. A scorer
that is only slow, and acks in order, gets no copies.

A scorer stand-in on a real Mosquitto acks the records it receives, signed with the scorer
key, after a chosen delay, and can drop the first copy of one record."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchscore import protocol
from benchscore.signing import sign_payload
from firmware_py.config import load_station_config
from firmware_py.station import Station
from tests.support.brokers import Mosquitto, MqttPeer
from tests.support.stations import write_station_config
from tests.support.trust import TEST_SCORER

ACK_TIMEOUT_S = 2.0
ACK_TOPIC = protocol.scorer_topic("test", "st01", "ack")


def serve(
    mosquitto: Mosquitto,
    tmp_path: Path,
    *,
    drop: int | None,
    ack_delay: Callable[[float], float],
    for_s: float,
) -> list[tuple[float, int, bool]]:
    """Run a station that makes records back to back for ``for_s`` against the stand-in,
    which acks a record ``ack_delay(seconds since the start)`` after it arrived; return every
    record arrival as (monotonic time, seq, historical)."""
    config = write_station_config(tmp_path, "st01", port=mosquitto.port)
    station = Station(load_station_config(config))
    station.link.ack_timeout_s = ACK_TIMEOUT_S
    scorer = MqttPeer(mosquitto.port, "scorer-stand-in", None, None)
    arrivals: list[tuple[float, int, bool]] = []
    due: list[tuple[float, str, int]] = []  # (when to ack, boot_id, seq), in arrival order
    producing = threading.Event()
    producing.set()

    def produce() -> None:  # runs back to back, so newer records keep coming
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
        while time.monotonic() - started < for_s:
            while due and due[0][0] <= time.monotonic():
                _, boot_id, seq = due.pop(0)
                ack = protocol.ack_payload("test", "st01", boot_id, [seq])
                scorer.publish(ACK_TOPIC, sign_payload(TEST_SCORER, ACK_TOPIC, ack))
            try:
                msg = scorer.next_message(timeout_s=0.05)
            except queue.Empty:
                continue
            obj = json.loads(msg.payload)
            now = time.monotonic()
            arrivals.append((now, obj["seq"], obj.get("historical", False)))
            if obj["seq"] == drop and [a[1] for a in arrivals].count(drop) == 1:
                continue  # lost on the way, as if the broker had no subscriber for it
            due.append((now + ack_delay(now - started), obj["boot_id"], obj["seq"]))
        return arrivals
    finally:
        producing.clear()
        runner.join(30)
        scorer.close()
        station.close()


def test_a_record_the_scorer_missed_is_sent_again_while_later_ones_are_acked(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    dropped = 2
    arrivals = serve(
        mosquitto, tmp_path, drop=dropped, ack_delay=lambda _: 0.0, for_s=4 * ACK_TIMEOUT_S
    )
    copies = [(t, historical) for t, seq, historical in arrivals if seq == dropped]
    assert len(copies) >= 2, f"seq {dropped} was never sent again: {arrivals}"
    first, again = copies[0][0], copies[1][0]
    assert again - first >= ACK_TIMEOUT_S * 0.9, "sent again before its ack was due"
    assert copies[1][1] is True, "a record sent again must be marked historical"
    acked_meanwhile = [seq for t, seq, _ in arrivals if first < t < again]
    assert len(acked_meanwhile) >= 3, "later records must have been acked meanwhile"
    assert max(seq for _, seq, _ in arrivals) > dropped + 3


def test_a_slow_scorer_that_acks_in_order_gets_no_copies(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """A scorer falling behind (a backlog builds up): a record arriving t seconds after the
    start is acked min(t / 2, 1.5 ack timeouts) later. Acks keep flowing, in order, but the
    late records wait for theirs longer than the ack timeout: copies would only add load."""
    arrivals = serve(
        mosquitto,
        tmp_path,
        drop=None,
        ack_delay=lambda t: min(t / 2, 1.5 * ACK_TIMEOUT_S),
        for_s=4 * ACK_TIMEOUT_S,
    )
    seqs = [seq for _, seq, _ in arrivals]
    late = [seq for t, seq, _ in arrivals if t - arrivals[0][0] > 2.5 * ACK_TIMEOUT_S]
    assert len(seqs) > 20 and late, "the scorer never fell behind by more than the ack timeout"
    assert len(seqs) == len(set(seqs)), "a record was sent again although acks kept coming"
