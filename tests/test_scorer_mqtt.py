"""The scorer end to end on a real Mosquitto: MQTT in, SQLite and HTTP out; and its config."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from benchscore.mqtt import BrokerConfig, close_client
from benchscore.protocol import MAX_PAYLOAD_BYTES, Topics
from scorer.config import ConfigError, HttpConfig, ScorerConfig, load_config
from scorer.ingest import Ingest
from scorer.mqtt_ingest import MqttIngest
from scorer.service import ScorerService
from scorer.store import Store
from tests.support.brokers import Mosquitto, free_port, wait_port
from tests.support.trust import TEST_SCORER, write_scorer_key
from tests.test_scorer_store import live, record, status

REPO = Path(__file__).resolve().parents[1]
T = Topics("ev1", "st01")
V = TypeVar("V")


def wait_for(probe: Callable[[], V | None], timeout: float = 15.0, what: str = "condition") -> V:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {value!r})")
        time.sleep(0.05)


class Publisher:
    """A plain paho client, as a station (or an attacker) would use."""

    def __init__(
        self, port: int, protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5
    ) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"pub-{os.getpid()}-{time.monotonic_ns()}",
            protocol=protocol,
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(self.client.is_connected, 10, "the publisher to connect")

    def send(
        self, topic: str, payload: bytes | dict[str, Any], qos: int = 1, retain: bool = False
    ) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, raw, qos=qos, retain=retain)
        info.wait_for_publish(10)
        assert info.is_published()

    def close(self) -> None:
        close_client(self.client)


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[Publisher]:
    p = Publisher(mosquitto.port)
    yield p
    p.close()


def scorer_config(
    tmp_path: Path, broker_port: int, protocol: str = "5", http_port: int = 0
) -> ScorerConfig:
    return ScorerConfig(
        event="ev1",
        broker=BrokerConfig(port=broker_port, protocol=protocol),
        storage_path=tmp_path / "scorer.db",
        scorer_key=write_scorer_key(tmp_path),
        require_signatures=False,
        http=HttpConfig(port=http_port),
    )


@pytest.fixture
def scorer(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[ScorerService]:
    service = ScorerService(scorer_config(tmp_path, mosquitto.port)).start()
    try:
        assert service.mqtt is not None and service.mqtt.wait_connected(15)
        yield service
    finally:
        service.stop()


def get(service: ScorerService, path: str, **params: Any) -> Any:
    resp = httpx.get(service.url.rstrip("/") + path, params=params, timeout=5)
    resp.raise_for_status()
    return resp.json()


def db_runs(path: Path) -> list[tuple[str, str, int]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT station, boot_id, seq FROM runs ORDER BY id").fetchall()
    finally:
        con.close()


# -- end to end ----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_records_status_and_live_reach_db_and_api(
    tmp_path: Path, mosquitto: Mosquitto, protocol: str
) -> None:
    pub = Publisher(mosquitto.port, mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311)
    try:
        # a retained birth message published before the scorer runs is picked up on subscribe
        pub.send(T.status, status(state="ready"), retain=True)
        port = free_port()
        with ScorerService(scorer_config(tmp_path, mosquitto.port, protocol, port)) as svc:
            assert svc.url == f"http://127.0.0.1:{port}/"
            assert svc.mqtt is not None and svc.mqtt.wait_connected(15)
            assert svc.mqtt.connected
            # another event is not subscribed: the scorer follows ev1 only (published first, so
            # it would have arrived before the ev1 records below if it were delivered at all)
            pub.send(Topics("ev2", "st09").record, record("st09", event="ev2"))
            pub.send(T.record, record(seq=1, outcome="pass", reason=""))
            pub.send(Topics("ev1", "st02").record, record("st02", seq=1))
            pub.send(T.live, live(voltage_v=5.1, current_a=0.2), qos=0)

            def two_runs() -> list[dict[str, Any]] | None:
                runs: list[dict[str, Any]] = get(svc, "/api/runs")
                return runs if len(runs) == 2 else None

            def hall_with_live() -> dict[str, Any] | None:
                hall: dict[str, Any] = get(svc, "/api/hall")
                return hall if hall["stations"] and hall["stations"][0].get("live") else None

            runs = wait_for(two_runs, what="two runs in /api/runs")
            assert [(r["station"], r["outcome"]) for r in runs] == [
                ("st02", "fail"),
                ("st01", "pass"),
            ]
            assert len(runs[0]["measurements"]) == 3
            hall = wait_for(hall_with_live, what="live values on the hall")
            st1 = hall["stations"][0]
            assert st1["id"] == "st01" and st1["state"] == "ready" and st1["online"] is True
            assert st1["last_run"]["outcome"] == "pass"
            assert st1["live"]["values"] == {"voltage_v": 5.1, "current_a": 0.2}
            html = httpx.get(svc.url, timeout=5)
            assert html.status_code == 200 and "<title>benchscore hall</title>" in html.text
        assert db_runs(tmp_path / "scorer.db") == [("st01", "boot-a", 1), ("st02", "boot-a", 1)]
    finally:
        pub.close()


def test_bad_payloads_are_rejected_and_the_scorer_stays_up(
    scorer: ScorerService, publisher: Publisher
) -> None:
    nan = json.dumps(record(seq=90)).replace("3.05", "NaN").encode()
    bad: list[tuple[str, bytes | dict[str, Any], str]] = [
        (T.record, b"\x00not json at all", "malformed"),
        (T.record, b"[1, 2, 3]", "malformed"),
        (T.record, record(seq=91, schema=1), "unsupported"),
        (T.record, {k: v for k, v in record(seq=92).items() if k != "run_id"}, "schema"),
        (T.record, nan, "malformed"),
        (T.record, record("st02", seq=93), "wrong_topic"),
        (T.status, {**status(), "station": "st07"}, "wrong_topic"),
        (T.record, b'{"schema":2,"pad":"' + b"x" * MAX_PAYLOAD_BYTES + b'"}', "oversized"),
    ]
    for topic, payload, _ in bad:
        publisher.send(topic, payload)
    publisher.send(T.record, record(seq=1))  # a valid record after all of that

    wait_for(lambda: get(scorer, "/api/runs"), what="the valid record")
    expected = {"malformed": 3, "unsupported": 1, "schema": 1, "wrong_topic": 2, "oversized": 1}

    def all_rejected() -> dict[str, Any] | None:
        rej: dict[str, Any] = get(scorer, "/api/rejections")
        return rej if rej["counts"] == expected else None

    rej = wait_for(all_rejected, what=f"rejection counts {expected}")
    assert len(rej["recent"]) == len(bad)
    assert {r["topic"] for r in rej["recent"]} == {T.record, T.status}
    oversized = [r for r in rej["recent"] if r["reason"] == "oversized"]
    assert oversized[0]["size"] > MAX_PAYLOAD_BYTES
    runs = get(scorer, "/api/runs")
    assert [(r["station"], r["seq"]) for r in runs] == [("st01", 1)]
    assert db_runs(scorer.config.storage_path) == [("st01", "boot-a", 1)]
    assert get(scorer, "/api/stations")[0]["state"] is None  # the forged status was not stored
    health = get(scorer, "/api/health")
    assert health["ok"] is True and health["accepted"] == 1 and health["rejected"] == len(bad)
    assert scorer.mqtt is not None and scorer.mqtt.connected


def test_duplicates_are_stored_once(scorer: ScorerService, publisher: Publisher) -> None:
    for _ in range(3):
        publisher.send(T.record, record(seq=5))
    publisher.send(T.record, record(seq=5, boot_id="boot-b"))  # after a reboot: a new run
    assert scorer.ingest is not None
    ingest = scorer.ingest
    wait_for(lambda: ingest.duplicates == 2 and ingest.accepted == 2, what="2 new + 2 duplicates")
    assert db_runs(scorer.config.storage_path) == [("st01", "boot-a", 5), ("st01", "boot-b", 5)]
    assert len(get(scorer, "/api/runs", station="st01")) == 2


def test_resubscribes_after_the_broker_restarts(
    scorer: ScorerService, mosquitto: Mosquitto
) -> None:
    link = scorer.mqtt
    assert link is not None
    mosquitto.stop()
    wait_for(lambda: not link.connected, 10, "the scorer to notice the broker is gone")
    mosquitto.start()
    assert link.wait_connected(30), "the scorer did not reconnect and resubscribe"
    pub = Publisher(mosquitto.port)
    try:
        pub.send(T.record, record(seq=3))
        wait_for(lambda: get(scorer, "/api/runs"), what="a record after the restart")
    finally:
        pub.close()


def test_mqtt_ingest_alone(tmp_path: Path, mosquitto: Mosquitto, publisher: Publisher) -> None:
    store = Store(tmp_path / "scorer.db")
    link = MqttIngest(
        BrokerConfig(port=mosquitto.port), Ingest(store), client_id="scorer-x", scorer=TEST_SCORER
    )
    try:
        assert not link.connected
        link.stop()  # before start: nothing happens
        link.start()
        assert link.wait_connected(15)
        publisher.send(Topics("any-event", "st01").record, record(event="any-event"))
        wait_for(lambda: store.run_count() == 1, what="the record stored")
    finally:
        link.stop()
        link.stop()
        store.close()
    assert not link.connected


def test_service_reports_a_busy_port(tmp_path: Path, mosquitto: Mosquitto) -> None:
    with ScorerService(scorer_config(tmp_path, mosquitto.port)) as first:
        second = ScorerService(scorer_config(tmp_path / "b", mosquitto.port, http_port=first.port))
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            second.start()
        assert second.store is not None and second.store.closed  # cleaned up after failing


def test_run_scorer_serves_until_sigterm(tmp_path: Path, mosquitto: Mosquitto) -> None:
    port = free_port()
    cfg = tmp_path / "scorer.toml"
    cfg.write_text(
        f'event = "ev1"\n[broker]\nport = {mosquitto.port}\n'
        f'[storage]\npath = "data/hall.db"\n[http]\nport = {port}\n'
        "[security]\nrequire_signatures = false\n"  # this test sends unsigned records
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from scorer.service import run_scorer; sys.exit(run_scorer(sys.argv[1]))",
            str(cfg),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(port, 15)
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()["ok"] is True
        pub = Publisher(mosquitto.port)
        try:
            pub.send(T.record, record(seq=4))
            wait_for(
                lambda: httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=5).json(),
                what="the record via the foreground scorer",
            )
        finally:
            pub.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, text
    assert f"http://127.0.0.1:{port}/" in text
    assert db_runs(tmp_path / "data" / "hall.db") == [("st01", "boot-a", 4)]


def test_run_scorer_config_error_exit_status(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from scorer.service import run_scorer

    cfg = tmp_path / "scorer.toml"
    cfg.write_text('[http]\nport = "abc"\n')
    assert run_scorer(cfg) == 2
    assert "scorer.toml: http.port: expected an integer, got 'abc'" in caplog.text


# -- configuration -------------------------------------------------------------------------


def test_example_config_loads() -> None:
    cfg = load_config(REPO / "config" / "scorer.toml")
    assert cfg.event == "+"
    assert cfg.broker == BrokerConfig(host="127.0.0.1", port=1883, protocol="5")
    assert cfg.http == HttpConfig("127.0.0.1", 8080)
    assert cfg.storage_path.is_absolute()
    assert cfg.storage_path.resolve() == (REPO / "var" / "scorer.db").resolve()


def test_config_values_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "s.toml"
    path.parent.mkdir()
    path.write_text(
        'event = "worldskills-2025"\n'
        '[broker]\nhost = "broker.hall"\nport = 8883\nprotocol = "3.1.1"\n'
        'username = "scorer"\npassword = "pw"\n'
        '[http]\nhost = "0.0.0.0"\nport = 0\n'
    )
    cfg = load_config(path)
    assert cfg.event == "worldskills-2025" and cfg.source == path.resolve()
    assert cfg.broker == BrokerConfig("broker.hall", 8883, "3.1.1", "scorer", "pw")
    assert cfg.storage_path == path.parent.resolve() / "scorer.db"  # default, next to the file
    assert cfg.http == HttpConfig("0.0.0.0", 0)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert load_config(empty).http == HttpConfig() and load_config(empty).event == "+"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[http]\nport = "abc"\n', "scorer.toml: http.port: expected an integer, got 'abc'"),
        ("[http]\nport = 70000\n", "scorer.toml: http.port: 70000 is outside 0..65535"),
        ("[http]\nport = true\n", "scorer.toml: http.port: expected an integer, got True"),
        ("[http]\nhots = 'x'\n", "scorer.toml: http.hots: unknown key"),
        ("colour = 'red'\n", "scorer.toml: colour: unknown key"),
        ("event = 'no spaces please'\n", "scorer.toml: event: 'no spaces please' must be"),
        ("event = 3\n", "scorer.toml: event: expected a string, got 3"),
        ("broker = 'localhost'\n", "scorer.toml: broker: expected a table"),
        ("[broker]\nprotocol = '4'\n", "scorer.toml: broker.protocol: expected one of"),
        ("[broker]\nport = 0\n", "scorer.toml: broker.port: 0 is outside 1..65535"),
        ("[broker]\nusername = 7\n", "scorer.toml: broker.username: expected a string, got 7"),
        ("[broker]\npassword = 'x'\n", "scorer.toml: broker.password: given without"),
        ("[storage]\npath = ['a']\n", "scorer.toml: storage.path: expected a string"),
        ("[storage]\nfile = 'a.db'\n", "scorer.toml: storage.file: unknown key"),
        ("[http\n", "scorer.toml: invalid TOML"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scorer.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: cannot read"):
        load_config(tmp_path / "nope.toml")
