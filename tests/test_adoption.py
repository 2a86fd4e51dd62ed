"""From a box of Pis to a running hall, end to end on a real Mosquitto with dynamic security:
``hall init``, the scorer up, three simulated stations started with empty state dirs announce
themselves, two are adopted with the CLI and one through the console's HTTP API, all three
measure and their verdicts reach ``GET /api/runs``; ``revoke`` cuts one off within 2 s;
``replace`` moves an id to a new Pi whose runs continue the old one's history."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchscore import protocol
from benchscore.console_client import ConsoleClient
from benchscore.identity import Identity
from benchscore.signing import sign_payload
from firmware_py.adoption import accept_adoption
from firmware_py.calibration import Calibration
from scorer.config import load_config
from scorer.fleet.hall import init_hall
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, MqttPeer, free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]


class Hall:
    """A hall made by ``hall init`` in a temporary directory, its broker and scorer."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        args = argparse.Namespace(
            dir=str(tmp / "etc"),
            event=str(REPO / "config" / "event" / "example.toml"),
            tasks=str(REPO / "config" / "tasks"),
            broker_host="127.0.0.1",
            broker_port=self.port,
            listen="127.0.0.1",
            state_dir=str(tmp / "state"),
            http_port=0,
            chief="chief",
            broker_user="root" if os.geteuid() == 0 else None,
            broker_dir=None,
            owner="benchscore",
        )
        self.files = init_hall(args)
        self.broker = Mosquitto(tmp, port=self.port)
        self.broker.conf = self.files.mosquitto_conf
        self.broker.start()
        self.config = load_config(self.files.scorer_toml)
        self.scorer = ScorerService(self.config).start()
        assert self.scorer.mqtt is not None and self.scorer.mqtt.wait_connected(10)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start_pi(self, name: str, *, fault: str = "none") -> Path:
        """A simulated Pi with the hall's station file, a sim bench and an empty state dir."""
        text = self.files.station_toml.read_text()
        text = text[: text.index("\n[hardware]\n") + 1]
        state = self.tmp / f"pi-{name}"
        text = text.replace('state_dir = "/var/lib/benchscore"', f'state_dir = "{state}"')
        text = text.replace('display_file = "/run/benchscore/display.txt"\n', "")
        text += (
            '[hardware]\nbackend = "sim"\n[simulation]\n'
            f'fault = "{fault}"\nclock = "sim"\nnoise = false\nauto_start_s = 1.0\n'
        )
        conf = self.tmp / f"{name}.toml"
        conf.write_text(text)
        with (self.tmp / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "benchscore", "station", "--config", str(conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return state

    def code_of(self, state: Path) -> str:
        status = wait_for(
            lambda: _read_json(state / "status.json"), 20, f"{state.name} to show its code"
        )
        return str(status["code"])

    def cli(self, *args: str) -> dict[str, Any]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchscore",
                "stations",
                *args,
                "--config",
                str(self.files.scorer_toml),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))

    def runs(self, station: str) -> list[dict[str, Any]]:
        url = f"{self.scorer.url}api/runs?station={station}&limit=1000"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return list(json.load(resp))

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.scorer.stop()
        self.broker.stop()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("code") else None


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = Hall(tmp_path)
    try:
        yield h
    finally:
        h.close()


def station_login(state: Path) -> tuple[Identity, str, str]:
    """What an adopted Pi holds: its key, and its broker login (unsealed with that key)."""
    identity = Identity.load(state / "identity.key")
    adoption = accept_adoption((state / "adoption.json").read_bytes(), identity)
    assert adoption.broker_username and adoption.broker_password
    return identity, adoption.broker_username, adoption.broker_password


def test_a_hall_adopts_measures_revokes_and_replaces(hall: Hall) -> None:
    # the README copies this drop-in so that the Mosquitto service runs the hall's broker
    dropin = hall.files.dir / "systemd" / "mosquitto.service.d" / "benchscore.conf"
    assert f"ExecStart=/usr/sbin/mosquitto -c {hall.files.mosquitto_conf}" in dropin.read_text()
    pis = {name: hall.start_pi(name) for name in ("pi-a", "pi-b", "pi-c")}
    codes = {name: hall.code_of(state) for name, state in pis.items()}
    fleet = hall.scorer.fleet
    assert fleet is not None
    wait_for(
        lambda: {p.code for p in fleet.pending()} >= set(codes.values()),
        20,
        "three unadopted stations",
    )
    # the pairing code on the screen is the public key's: a copied serial cannot claim it
    for name, state in pis.items():
        assert codes[name] == Identity.load(state / "identity.key").code

    # two by the CLI, one through the console's HTTP API
    adopted = hall.cli("adopt", codes["pi-a"], "--as", "st01", "--task", "led_assembly")
    assert adopted["station"] == "st01"
    hall.cli("adopt", codes["pi-b"], "--as", "st02", "--task", "led_assembly")
    console = ConsoleClient(hall.scorer.url)
    console.login("chief", hall.files.chief_password)
    reply = console.post(
        "/console/api/fleet/adopt",
        {"code": codes["pi-c"], "station": "st03", "task": "led_assembly"},
    )
    assert reply["station"] == "st03"

    for sid in ("st01", "st02", "st03"):
        wait_for(lambda sid=sid: hall.runs(sid), 60, f"a verdict of {sid} in /api/runs")
    assert not fleet.pending()

    # revoke st02: within 2 s the broker refuses its login and the scorer its records
    identity, user, password = station_login(pis["pi-b"])
    hall.cli("revoke", "st02")
    revoked_at = time.monotonic()
    peer = MqttPeer(hall.port, user, user, password)
    try:
        assert not peer.connect(), "the broker still lets a revoked station in"
    finally:
        peer.close()
    topic = "benchscore/v1/regional-2025/st02/record"
    ingest = hall.scorer.ingest
    assert ingest is not None
    before = ingest.rejected.get("unknown_station", 0)
    seq = 0

    def refused() -> bool:
        nonlocal seq
        seq += 1
        record = {
            "schema": protocol.SCHEMA_VERSION,
            "type": "record",
            "event": "regional-2025",
            "station": "st02",
            "boot_id": "late",
            "seq": seq,
            "run_id": f"late-{seq}",
            "kind": "result",
            "task": "led-module-a",
            "procedure": "led_assembly",
            "started_at": 1.0,
            "ended_at": 2.0,
            "outcome": "pass",
            "reason": "",
            "measurements": [],
        }
        ingest.handle(topic, sign_payload(identity, topic, record))
        return ingest.rejected.get("unknown_station", 0) > before

    wait_for(refused, 2.0, "the scorer to refuse the revoked key's records")
    assert time.monotonic() - revoked_at < 2.0

    # st01 is calibrated against a reference meter (as 'benchscore calibrate' stores it)
    calibration = Calibration(
        id="st01.light_sensor.illuminance_lx.20261202T100000Z",
        station="st01",
        sensor="light_sensor",
        quantity="illuminance_lx",
        unit="lx",
        gain=1.02,
        offset=0.0,
        date="2026-12-02T10:00:00Z",
        reference="meter LX-1 #42",
        reference_value=510.0,
        reading_value=500.0,
        samples=20,
        uncertainty=0.03,
    )
    (pis["pi-a"] / "calibration.json").write_text(
        json.dumps({"schema": 1, "calibrations": [calibration.to_dict()]})
    )
    wait_for(lambda: fleet._calibrations("st01"), 20, "st01's calibrations at the scorer")

    # replace st01 by a new Pi: the id (and its history) moves, the old Pi is cut off
    old_runs = len(hall.runs("st01"))
    new_state = hall.start_pi("pi-d")
    new_code = hall.code_of(new_state)
    wait_for(lambda: new_code in {p.code for p in fleet.pending()}, 20, "the new Pi")
    _, old_user, old_password = station_login(pis["pi-a"])
    replaced = hall.cli("replace", "st01", new_code)
    assert replaced["kid"] == Identity.load(new_state / "identity.key").kid
    wait_for(
        lambda: any(r["boot_id"] != hall.runs("st01")[-1]["boot_id"] for r in hall.runs("st01")),
        60,
        "runs of the new Pi under st01",
    )
    assert len(hall.runs("st01")) > old_runs
    moved = json.loads((new_state / "calibration.json").read_text())["calibrations"]
    assert [c["id"] for c in moved] == [calibration.id]
    old_peer = MqttPeer(hall.port, old_user, old_user, old_password)
    try:
        assert not old_peer.connect(), "the replaced Pi can still log in"
    finally:
        old_peer.close()
