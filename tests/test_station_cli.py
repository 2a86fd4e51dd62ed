"""Technician tools: keygen, station status, outbox list and replay."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from benchscore.app.cli import main
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, free_port
from tests.support.stations import write_station_config
from tests.support.trust import write_scorer_key


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_identity_makes_a_private_key_once_and_shows_its_pairing_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg_path = write_station_config(tmp_path, "st01", port=free_port())
    code, out, _ = run_cli(capsys, "station", "identity", "--config", str(cfg_path))
    assert code == 0
    first = json.loads(out)
    key = Path(first["key_file"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert len(first["code"]) == 9 and first["code"][4] == "-"
    code, out, _ = run_cli(capsys, "station", "identity", "--config", str(cfg_path))
    assert json.loads(out) == first  # made once, never replaced


def test_outbox_list_and_replay_deliver_what_the_daemon_left(
    mosquitto: Mosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg_path = write_station_config(tmp_path, "st05", port=free_port())  # broker unreachable
    station = Station(load_station_config(cfg_path))
    station.start()
    station.run_once()
    station.run_once()
    station.close()

    code, out, _ = run_cli(capsys, "outbox", "list", "--config", str(cfg_path))
    listed = json.loads(out)
    assert code == 0
    assert [r["kind"] for r in listed] == ["curve", "result", "curve", "result"]
    assert [r["seq"] for r in listed] == [1, 2, 3, 4]

    # the station now points at the real broker, with the scorer up; the daemon stays stopped
    cfg_path.write_text(
        cfg_path.read_text().replace(
            f"port = {load_station_config(cfg_path).broker.port}", f"port = {mosquitto.port}"
        )
    )
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port),
            storage_path=tmp_path / "scorer.db",
            scorer_key=write_scorer_key(tmp_path),
            require_signatures=False,
            http=HttpConfig(port=0),
        )
    ).start()
    try:
        assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
        code, out, _ = run_cli(capsys, "outbox", "replay", "--config", str(cfg_path))
        assert code == 0
        assert json.loads(out) == {"waiting_before": 4, "sent": 4, "acked": 4, "still_waiting": 0}
        assert scorer.store is not None
        runs = scorer.store.list_runs("st05")
        assert len(runs) == 2 and all(r["historical"] for r in runs)
    finally:
        scorer.stop()


def test_station_status_reports_broker_view_and_outbox(
    mosquitto: Mosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg_path = write_station_config(tmp_path, "st06", port=mosquitto.port)
    station = Station(load_station_config(cfg_path))
    try:
        station.start()
        assert station.link.wait_connected(10)
        station.run_once()
        deadline = time.monotonic() + 10
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            code, out, _ = run_cli(capsys, "station", "status", "--config", str(cfg_path))
            status = json.loads(out)
            retained = status["status"]
            if isinstance(retained, dict) and retained.get("state") == "done":
                break
        assert code == 0
        retained = status["status"]
        assert isinstance(retained, dict)
        assert retained["state"] == "done" and retained["last_outcome"] == "pass"
        assert retained["health"]["runs"] == 1  # type: ignore[index]
        assert status["outbox"]["open_runs"] == []  # type: ignore[index]
    finally:
        station.close()


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "outbox", "list", "--config", str(tmp_path / "none.toml"))
    assert code == 2 and "none.toml: no such config file" in err
