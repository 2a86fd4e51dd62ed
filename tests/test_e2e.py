"""End to end: simulated stations -> real Mosquitto (MQTT 5) or the embedded 3.1.1 broker ->
scorer -> SQLite and ``GET /api/runs``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.state import StationState
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import free_port, wait_port
from tests.support.stations import write_station_config
from tests.support.trust import write_scorer_key


def wait_for(predicate: Callable[[], Any], timeout_s: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start a scorer and stations on a given broker port; stops all of it afterwards."""
    started: list[Any] = []

    def start(
        port: int, protocol: str, faults: dict[str, str]
    ) -> tuple[ScorerService, dict[str, Station]]:
        scorer = ScorerService(
            ScorerConfig(
                event="test",
                broker=BrokerConfig(port=port, protocol=protocol),
                storage_path=tmp_path / "scorer.db",
                scorer_key=write_scorer_key(tmp_path),
                require_signatures=False,
                http=HttpConfig(port=0),
            )
        ).start()
        started.append(scorer)
        assert scorer.mqtt is not None
        assert scorer.mqtt.wait_connected(10)
        stations = {}
        for sid, fault in faults.items():
            cfg = load_station_config(
                write_station_config(tmp_path, sid, port=port, protocol=protocol, fault=fault)
            )
            station = Station(cfg)
            started.append(station)
            station.start()
            assert station.link.wait_connected(10)
            stations[sid] = station
        return scorer, stations

    yield start
    for thing in reversed(started):
        if isinstance(thing, Station):
            thing.close()
        else:
            thing.stop()


def check_verdicts(tmp_path: Path, scorer: ScorerService, stations: dict[str, Station]) -> None:
    for station in stations.values():
        station.run_once()
    runs = wait_for(
        lambda: (r := get_json(scorer.url + "api/runs")) and len(r) >= len(stations) and r,
        what="both runs in /api/runs",
    )
    by_station = {r["station"]: r for r in runs}
    assert by_station["good"]["outcome"] == "pass"
    assert by_station["bad"]["outcome"] == "fail"
    bad = {m["name"]: m for m in by_station["bad"]["measurements"]}
    assert bad["current_a"]["outcome"] == "fail"
    assert bad["current_a"]["value"] == pytest.approx(0.1995, abs=0.003)
    assert "current_a" in by_station["bad"]["reason"]

    with closing(sqlite3.connect(tmp_path / "scorer.db")) as db:
        rows = db.execute(
            "SELECT r.station, r.outcome, m.name, m.outcome FROM runs r "
            "JOIN measurements m ON m.run = r.id ORDER BY r.station, m.name"
        ).fetchall()
    assert ("good", "pass", "illuminance_lx", "pass") in rows
    assert ("bad", "fail", "current_a", "fail") in rows
    assert len(rows) == 8  # 4 measurements per run

    hall_view = get_json(scorer.url + "api/stations")
    states = {s["id"]: s["state"] for s in hall_view}
    wait_for(
        lambda: (
            {s["id"]: s["state"] for s in get_json(scorer.url + "api/stations")}
            == {"good": "done", "bad": "done"}
        ),
        what="stations done in the hall",
    )
    assert set(states) == {"good", "bad"}


def test_mqtt5_mosquitto_good_and_faulty_assembly(mosquitto, hall, tmp_path: Path) -> None:
    scorer, stations = hall(mosquitto.port, "5", {"good": "none", "bad": "open_string"})
    check_verdicts(tmp_path, scorer, stations)


def test_mqtt311_embedded_broker(hall, tmp_path: Path) -> None:
    pytest.importorskip("amqtt", reason="the embedded broker is the [broker] extra")
    port = free_port()
    broker = subprocess.Popen(
        [sys.executable, "-m", "benchscore", "broker", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 20)
        scorer, stations = hall(port, "3.1.1", {"good": "none", "bad": "open_string"})
        check_verdicts(tmp_path, scorer, stations)
    finally:
        broker.terminate()
        broker.wait(10)


def test_start_button_runs_the_task_and_lights_follow(mosquitto, hall, tmp_path: Path) -> None:
    scorer, stations = hall(mosquitto.port, "5", {"good": "none"})
    station = stations["good"]
    gpio = station.config.hardware.gpio
    pins = station.hardware.pin_factory
    assert pins.pin(gpio.light_green).state  # READY: green on
    import threading

    server = threading.Thread(target=station.serve, daemon=True)
    server.start()
    try:
        station.hardware.press_start()
        wait_for(lambda: station.runs, what="a run after pressing START")
        wait_for(lambda: station.state is StationState.DONE, what="DONE")
        assert station.runs[0]["outcome"] == "pass"
        # the lights follow the state in its listener, just after DONE becomes visible
        wait_for(lambda: pins.pin(gpio.light_green).state, what="green light on DONE")
        assert pins.pin(gpio.light_green).state and not pins.pin(gpio.light_red).state
    finally:
        station.stop()
        server.join(5)


def test_unplugged_sensor_station_reports_fault(mosquitto, hall, tmp_path: Path) -> None:
    scorer, _ = hall(mosquitto.port, "5", {})
    cfg = load_station_config(
        write_station_config(tmp_path, "nolux", port=mosquitto.port, unplugged=("light_sensor",))
    )
    station = Station(cfg)
    try:
        station.start()
        assert station.state is StationState.FAULT
        assert "BH1750" in station.machine.reason
        record = station.run_once()
        assert record["outcome"] == "fault"
        runs = wait_for(lambda: get_json(scorer.url + "api/runs"), what="the fault record")
        assert runs[0]["station"] == "nolux" and runs[0]["outcome"] == "fault"
        assert "0x23" in runs[0]["reason"]
    finally:
        station.close()
