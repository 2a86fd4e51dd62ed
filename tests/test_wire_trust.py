"""The wire back to a station is authenticated, even on a broker with no ACL at all (anonymous
clients allowed): forged acks delete nothing, forged, replayed and expired commands are refused
and logged, and every record still arrives exactly once. Also: deleting or replacing a
station's public key on the scorer takes effect without a restart."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from benchscore import protocol
from benchscore.identity import Identity
from benchscore.mqtt import BrokerConfig
from benchscore.signing import sign_payload
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.fleet.keys import RECHECK_S, StationKeys
from scorer.ingest import Ingest
from scorer.service import ScorerService
from scorer.store import Store
from tests.support.brokers import Mosquitto, MqttPeer
from tests.support.stations import write_station_config
from tests.support.trust import TEST_SCORER, register_station, write_scorer_key
from tests.support.waiting import wait_for


def command(name: str, args: dict[str, Any], *, iat: float | None = None) -> dict[str, Any]:
    now = time.time() if iat is None else iat
    return {
        "schema": protocol.SCHEMA_VERSION,
        "type": "cmd",
        "event": "test",
        "station": "st01",
        "cmd_id": uuid.uuid4().hex,
        "command": name,
        "args": args,
        "iat": now,
        "exp": now + 60,
    }


def test_forged_acks_and_commands_are_refused_on_an_open_broker(
    mosquitto: Mosquitto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="firmware_py.link")
    keys = tmp_path / "keys"
    register_station(tmp_path / "var" / "st01", "st01", keys)
    config = write_station_config(tmp_path, "st01", port=mosquitto.port)
    station = Station(load_station_config(config))
    station.link.ack_timeout_s = 3.0
    attacker = MqttPeer(mosquitto.port, "attacker", None, None)
    scorer = None
    try:
        station.start()
        assert station.link.wait_connected(10)
        for _ in range(2):
            station.run_once()
        waiting = station.outbox.depth
        assert waiting >= 2

        # the attacker reads the boot id from the retained status, as in the issue
        assert attacker.connect()
        assert attacker.subscribe("benchscore/v1/test/st01/status")
        status = json.loads(attacker.next_message().payload)
        boot_id = status["boot_id"]
        ack_topic = "benchscore/v1/test/st01/ack"
        ack = protocol.ack_payload("test", "st01", boot_id, list(range(0, 200)))
        attacker.publish(ack_topic, protocol.encode(ack))  # unsigned
        attacker.publish(ack_topic, sign_payload(Identity.generate(), ack_topic, ack))
        stolen_kid = dict(ack, kid=TEST_SCORER.kid, sig="0" * 128)  # right kid, no real sig
        attacker.publish(ack_topic, protocol.encode(stolen_kid))
        wait_for(lambda: station.link.refused_messages >= 3, 5, "three refused acks")
        assert station.outbox.depth == waiting, "a forged ack deleted records"

        # commands: forged (unsigned, wrong key), then genuine, replayed, expired
        cmd_topic = "benchscore/v1/test/st01/cmd"
        past = {"end_ts": time.time() - 3600}
        attacker.publish(cmd_topic, protocol.encode(command("set_time_limit", past)))
        attacker.publish(
            cmd_topic,
            sign_payload(Identity.generate(), cmd_topic, command("set_time_limit", past)),
        )
        wait_for(lambda: station.link.refused_messages >= 5, 5, "two refused commands")
        assert station.time_limit_end is None

        first = sign_payload(TEST_SCORER, cmd_topic, command("set_time_limit", {"end_ts": 1e10}))
        attacker.publish(cmd_topic, first)  # genuine bytes, whoever relays them
        wait_for(lambda: station.time_limit_end == 1e10, 5, "the genuine command")
        second = command("set_time_limit", {"end_ts": 2e10})
        attacker.publish(cmd_topic, sign_payload(TEST_SCORER, cmd_topic, second))
        wait_for(lambda: station.time_limit_end == 2e10, 5, "the second genuine command")
        attacker.publish(cmd_topic, first)  # replayed
        expired = command("set_time_limit", {"end_ts": 3e10}, iat=time.time() - 3600)
        attacker.publish(cmd_topic, sign_payload(TEST_SCORER, cmd_topic, expired))
        wait_for(lambda: station.link.refused_messages >= 7, 5, "replayed and expired refused")
        assert station.time_limit_end == 2e10
        assert "replayed" in caplog.text and "expired" in caplog.text
        assert "not signed by the pinned scorer key" in caplog.text

        # the real scorer comes up: every record arrives, exactly once, and is acked
        scorer = ScorerService(
            ScorerConfig(
                event="test",
                broker=BrokerConfig(port=mosquitto.port),
                storage_path=tmp_path / "scorer.db",
                http=HttpConfig(port=0),
                keys_dir=keys,
                require_signatures=True,
                scorer_key=write_scorer_key(tmp_path),
            )
        ).start()
        # the station resends what waits once no ack has come for ack_timeout_s (30 s in a
        # hall; 3 s here, PROTOCOL "Delivery")
        wait_for(lambda: station.outbox.depth == 0, 30, "the outbox to drain")
        assert scorer.store is not None
        ledger = scorer.store.ledger()
        assert len(ledger) == station.outbox.stored
        assert len({(r["station"], r["boot_id"], r["seq"]) for r in ledger}) == len(ledger)
        assert scorer.store.run_count() == 2
    finally:
        attacker.close()
        station.close()
        if scorer is not None:
            scorer.stop()


def test_a_deleted_or_replaced_public_key_takes_effect_without_restart(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    old = register_station(tmp_path / "old", "st01", keys)
    new = Identity.generate()
    store = Store(tmp_path / "scorer.db")
    ingest = Ingest(store, keys=StationKeys(store, keys), require_signatures=True)
    topic = "benchscore/v1/test/st01/status"

    def status(identity: Identity) -> None:
        payload = {
            "schema": protocol.SCHEMA_VERSION,
            "type": "status",
            "event": "test",
            "station": "st01",
            "online": True,
            "state": "ready",
            "boot_id": uuid.uuid4().hex,
        }
        ingest.handle(topic, sign_payload(identity, topic, payload))

    try:
        status(old)
        assert ingest.accepted == 1 and not ingest.rejected
        (keys / "st01.pub").write_text(new.public.hex + "\n")  # replaced
        time.sleep(RECHECK_S + 0.1)
        status(old)
        assert ingest.rejected == {"bad_signature": 1}
        status(new)
        assert ingest.accepted == 2
        (keys / "st01.pub").unlink()  # deleted
        time.sleep(RECHECK_S + 0.1)
        status(new)
        assert ingest.rejected == {"bad_signature": 1, "unknown_station": 1}
    finally:
        store.close()
