"""Nothing forged is marked: signatures checked by the scorer, topics fenced by the broker's
ACL (the shipped template), a station speaking for another refused twice over."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from benchscore import protocol
from benchscore.identity import Identity
from benchscore.mqtt import BrokerConfig, close_client
from benchscore.signing import sign_payload
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto
from tests.support.stations import REPO, write_station_config
from tests.support.trust import register_station, write_scorer_key

ACL = REPO / "config" / "mosquitto" / "benchscore.acl"


def wait_for(predicate: Callable[[], Any], timeout_s: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def forged_record(station: str, seq: int) -> dict[str, Any]:
    return {
        "schema": 2,
        "type": "record",
        "event": "test",
        "station": station,
        "boot_id": "forger",
        "seq": seq,
        "run_id": f"forger-{seq}",
        "kind": "result",
        "task": "led-module-a",
        "procedure": "led_assembly",
        "started_at": 1.0,
        "ended_at": 2.0,
        "outcome": "pass",
        "reason": "",
        "measurements": [],
    }


def publish(port: int, topic: str, payload: bytes, **auth: str) -> Any:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    codes: list[Any] = []
    client.on_publish = lambda c, u, mid, rc, props: codes.append(rc)
    if auth:
        client.username_pw_set(auth["username"], auth["password"])
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1)
        wait_for(lambda: codes, 5, "PUBACK")
    finally:
        close_client(client)
    return codes[0]


def test_signed_records_pass_forged_and_misrouted_ones_are_rejected(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    identity = register_station(tmp_path / "var" / "st01", "st01", keys)
    assert oct((tmp_path / "var" / "st01" / "identity.key").stat().st_mode & 0o777) == "0o600"
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
    station = None
    try:
        assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
        cfg = load_station_config(write_station_config(tmp_path, "st01", port=mosquitto.port))
        station = Station(cfg)
        assert station.identity.kid == identity.kid
        station.start()
        station.run_once()
        store = scorer.store
        assert store is not None and scorer.ingest is not None
        wait_for(lambda: store.run_count() == 1, what="the signed run")
        assert not scorer.ingest.rejected

        st01, st02 = "benchscore/v1/test/st01/record", "benchscore/v1/test/st02/record"
        # 1. a record for st01 signed by another key (a contestant's laptop)
        laptop = Identity.generate()
        publish(mosquitto.port, st01, sign_payload(laptop, st01, forged_record("st01", 900)))
        # 2. a correctly signed st01 record published on st02's topic
        publish(mosquitto.port, st02, sign_payload(identity, st01, forged_record("st01", 901)))
        # 3. a record of a station that has no key at all
        publish(
            mosquitto.port,
            "benchscore/v1/test/st09/record",
            protocol.encode(forged_record("st09", 902)),
        )
        # 4. st01's own key, but the bytes changed after signing (a value edited in transit)
        signed = sign_payload(identity, st01, forged_record("st01", 903))
        publish(mosquitto.port, st01, signed.replace(b'"pass"', b'"fail"'))
        wait_for(lambda: sum(scorer.ingest.rejected.values()) >= 4, what="four rejections")
        assert scorer.ingest.rejected == {
            "bad_signature": 2,
            "wrong_topic": 1,
            "unknown_station": 1,
        }
        assert store.run_count() == 1  # nothing forged was stored
    finally:
        if station is not None:
            station.close()
        scorer.stop()


@pytest.fixture
def acl_broker(tmp_path: Path) -> Any:
    passwd_bin = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not os.access(passwd_bin, os.X_OK):  # e.g. inside the Pi roots (brokers on the host)
        pytest.skip("mosquitto_passwd is not installed (Debian package mosquitto)")
    passwd = tmp_path / "passwd"
    users = {"benchscore-scorer": "s3cret-scorer", "st01": "pw-st01", "st02": "pw-st02"}
    for i, (user, pw) in enumerate(users.items()):
        args = [passwd_bin, "-b", str(passwd), user, pw]
        subprocess.run(args[:1] + (["-c"] if i == 0 else []) + args[1:], check=True)
    acl = tmp_path / "benchscore.acl"
    shutil.copy(ACL, acl)  # the shipped template, unchanged
    as_root = "user root\n" if os.geteuid() == 0 else ""
    broker = Mosquitto(
        tmp_path,
        anonymous=False,
        extra_conf=f"password_file {passwd}\nacl_file {acl}\n{as_root}",
    ).start()
    yield broker, users
    broker.stop()


def test_shipped_acl_denies_cross_station_publish(acl_broker: Any) -> None:
    broker, users = acl_broker
    seen: list[str] = []
    scorer = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    scorer.username_pw_set("benchscore-scorer", users["benchscore-scorer"])
    subscribed = threading.Event()
    scorer.on_subscribe = lambda *a: subscribed.set()
    scorer.on_message = lambda c, u, m: seen.append(m.topic)
    scorer.connect("127.0.0.1", broker.port)
    scorer.subscribe("benchscore/v1/#", qos=1)
    scorer.loop_start()
    try:
        assert subscribed.wait(5)
        st02 = {"username": "st02", "password": users["st02"]}
        own = publish(broker.port, "benchscore/v1/test/st02/record", b"{}", **st02)
        other = publish(broker.port, "benchscore/v1/test/st01/record", b"{}", **st02)
        assert not own.is_failure
        assert other.is_failure and "authoriz" in str(other).lower()
        wait_for(lambda: "benchscore/v1/test/st02/record" in seen, 5, "own publish delivered")
        time.sleep(0.3)
        assert "benchscore/v1/test/st01/record" not in seen
    finally:
        close_client(scorer)
