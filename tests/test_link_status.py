"""A station says when it is cut off: a warning with the reason within 10 s, ``connected: false``
in ``benchscore station status``, "offline, results kept" for the operator, and the fleet page
shows it offline with its backlog."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchscore.console_client import ConsoleClient
from benchscore.identity import Identity
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.accounts.auth import add_user
from scorer.accounts.db import ConsoleDB
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, free_port
from tests.support.stations import write_station_config
from tests.support.trust import register_station, write_scorer_key
from tests.support.waiting import wait_for


def status_cli(config: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchscore", "station", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("host", "port", "words"),
    [
        ("127.0.0.1", None, "Connection refused"),
        ("broker.invalid", 1883, "does not resolve"),
    ],
)
def test_an_unreachable_broker_is_reported_within_10_s(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, host: str, port: int | None, words: str
) -> None:
    caplog.set_level(logging.WARNING, logger="firmware_py.link")
    path = write_station_config(tmp_path, "st01", port=port or free_port())
    path.write_text(path.read_text().replace('host = "127.0.0.1"', f'host = "{host}"'))
    station = Station(load_station_config(path))
    try:
        station.start()
        wait_for(lambda: words in caplog.text, 10, f"a warning saying {words!r}")
        assert "results are kept" in caplog.text
        station.write_local_status()
        status = status_cli(path)
        assert status["connected"] is False
        assert words in status["link_problem"]
        assert station.display.last[1] == "offline, results kept"  # type: ignore[attr-defined]
    finally:
        station.close()


def test_the_fleet_page_shows_a_cut_off_station_offline_with_its_backlog(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    register_station(tmp_path / "var" / "st01", "st01", keys)
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port),
            storage_path=tmp_path / "scorer.db",
            http=HttpConfig(port=0),
            keys_dir=keys,
            scorer_key=write_scorer_key(tmp_path),
        )
    ).start()
    config = write_station_config(tmp_path, "st01", port=mosquitto.port)
    station = Station(load_station_config(config))
    try:
        assert scorer.store is not None and scorer.ingest is not None
        add_user(ConsoleDB(scorer.store.db), "tech", "technician", "tech-password-1")
        station.start()
        assert station.link.wait_connected(10)
        # the station stops trusting the scorer's acks (another key pinned): a backlog builds
        station.link.scorer_key = Identity.generate().public
        station.run_once()
        backlog = station.outbox.depth
        assert backlog > 0, backlog
        console = ConsoleClient(scorer.url)
        console.login("tech", "tech-password-1")

        def fleet_row(online: bool) -> dict[str, Any] | None:
            rows = console.get("/console/api/fleet")["stations"]
            row = next((r for r in rows if r["id"] == "st01"), None)
            if row is None or bool(row["online"]) is not online:
                return None
            return row if row["outbox_depth"] == backlog else None

        wait_for(lambda: fleet_row(True), 20, "the fleet page to show the backlog")
        # the station's network goes (no goodbye: the broker publishes its Will)
        station.link.client.reconnect_delay_set(min_delay=3600, max_delay=3600)
        sock = station.link.client.socket()
        assert sock is not None
        sock.shutdown(socket.SHUT_RDWR)
        wait_for(lambda: not station.link.connected, 10, "the station to notice")
        row = wait_for(lambda: fleet_row(False), 20, "the fleet page to show it offline")
        assert row["outbox_depth"] == backlog  # the backlog it had is still shown
    finally:
        station.close()
        scorer.stop()
