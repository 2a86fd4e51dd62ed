"""Nothing measured is lost, and the daemon never dies of bad hardware: SIGKILL mid-run,
bus faults mid-run, a hung measurement loop that stops the systemd watchdog."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from benchscore.clock import SimClock
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.state import StationState
from firmware_py.station import INTERRUPTED, Station
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, free_port
from tests.support.emulation import wall_s
from tests.support.stations import LED_TASK, write_station_config
from tests.support.trust import write_scorer_key


def wait_for(predicate: Callable[[], Any], timeout_s: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def start_scorer(port: int, db: Path) -> ScorerService:
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=port),
            storage_path=db,
            scorer_key=write_scorer_key(Path(db).parent),
            require_signatures=False,
            http=HttpConfig(port=0),
        )
    ).start()
    assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
    return scorer


def outbox_state(db: Path) -> tuple[list[int], list[str]]:
    """(seqs waiting, runs open) as another process sees the outbox; empty while it is new."""
    try:
        with closing(sqlite3.connect(db, timeout=5)) as conn:
            seqs = [r[0] for r in conn.execute("SELECT seq FROM outbox ORDER BY seq")]
            runs = [r[0] for r in conn.execute("SELECT run_id FROM open_runs")]
    except sqlite3.OperationalError:  # the daemon has not created its tables yet
        return [], []
    return seqs, runs


def test_sigkill_mid_run_loses_nothing_and_reports_interrupted(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    task = tmp_path / "slow_task.toml"
    task.write_text(
        LED_TASK.read_text()
        .replace("settle_s = 0.5", "settle_s = 0.6")
        .replace("samples = 5 ", "samples = 3 ")
    )
    cfg_path = write_station_config(
        tmp_path, "kill1", port=mosquitto.port, clock="real", auto_start_s=0.2, task=task
    )
    outbox_db = load_station_config(cfg_path).state_dir / "outbox.db"
    # phase 1: no scorer yet, so nothing is acknowledged and records pile up in the outbox
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchscore", "station", "--config", str(cfg_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def mid_run_with_history() -> bool:
            if not outbox_db.exists():
                return False
            seqs, runs = outbox_state(outbox_db)
            return len(seqs) >= 4 and len(runs) == 1

        wait_for(mid_run_with_history, wall_s(30), "a run in progress after two finished runs")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    before_seqs, open_runs = outbox_state(outbox_db)
    assert len(open_runs) == 1

    # phase 2: the scorer is up, the station comes back
    scorer = start_scorer(mosquitto.port, tmp_path / "scorer.db")
    station = Station(load_station_config(cfg_path))
    try:
        station.start()
        store = scorer.store
        assert store is not None
        log = wait_for(
            lambda: (
                (got := store.record_log("kill1"))
                and {s for _, s, _ in got} >= set(before_seqs)
                and any(r["interrupted"] for r in store.list_runs("kill1"))
                and got
            ),
            what="every record from before the kill, and the interrupted run",
        )
        seqs = [s for _, s, _ in log]
        assert len(seqs) == len(set(seqs)), "a record was stored twice"
        assert seqs == sorted(seqs), "records arrived out of order"
        interrupted = [r for r in store.list_runs("kill1") if r["interrupted"]]
        assert [r["run_id"] for r in interrupted] == open_runs
        assert interrupted[0]["outcome"] == "fault"
        assert interrupted[0]["reason"] == INTERRUPTED
        wait_for(lambda: station.outbox.depth == 0, what="the outbox to drain after acks")
    finally:
        station.close()
        scorer.stop()


@pytest.fixture
def offline_station(tmp_path: Path) -> Iterator[Station]:
    """A station on the simulated clock whose broker is not there (it keeps retrying)."""
    cfg = load_station_config(write_station_config(tmp_path, "faulty", port=free_port()))
    station = Station(cfg, clock=SimClock())
    station.start()
    yield station
    station.close()


def fault_on_sample(station: Station, n: int, action: Callable[[], None]) -> None:
    """Run ``action`` when the n-th live sample of the next run is published (mid-run)."""
    original = station.link.publish_live
    count = {"n": 0}

    def hook(values: dict[str, Any]) -> None:
        count["n"] += 1
        if count["n"] == n:
            action()
        original(values)

    station.link.publish_live = hook  # type: ignore[method-assign]


def test_nack_storm_mid_run_faults_naming_device_then_recovers(
    offline_station: Station,
) -> None:
    st = offline_station
    bus = st.hardware.sim.bus if st.hardware.sim else None
    assert bus is not None and st.state is StationState.READY
    fault_on_sample(st, 3, lambda: bus.nack_addresses.add(0x40))
    record = st.run_once()
    assert record["outcome"] == "fault"
    assert "INA226 at 0x40" in record["reason"] and "121" in record["reason"]
    assert st.state is StationState.FAULT
    assert st.health.bus_errors == {"INA226": 1}
    assert not st.hardware.power_relay.value  # teardown ran

    record = st.run_once()  # still NACKing: the re-check fails, still FAULT, never PASS
    assert record["outcome"] == "fault" and st.state is StationState.FAULT

    bus.nack_addresses.clear()
    record = st.run_once()
    assert record["outcome"] == "pass"
    assert st.state is StationState.DONE


def test_unplugged_light_sensor_mid_run_then_plugged_back(offline_station: Station) -> None:
    st = offline_station
    assert st.hardware.sim is not None
    bus = st.hardware.sim.bus
    chip = bus.devices[0x23]
    fault_on_sample(st, 2, lambda: bus.detach(0x23))
    record = st.run_once()
    assert record["outcome"] == "fault"
    assert "BH1750 at 0x23" in record["reason"]
    assert all(m["outcome"] != "pass" for m in record["measurements"])
    bus.attach(0x23, chip)
    assert st.run_once()["outcome"] == "pass"
    assert st.outbox.depth == 3  # two results + the good run's curve, kept for the scorer


class NotifyListener:
    """The systemd side of sd_notify: a datagram socket collecting messages."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append((time.monotonic(), data.decode()))

    def pings_since(self, t: float) -> int:
        return sum(1 for ts, m in list(self.messages) if ts >= t and m == "WATCHDOG=1")

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


class BlockingChip:
    """A simulated chip that hangs the bus transaction until released (a stuck I2C read)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hang = threading.Event()
        self.release = threading.Event()

    def on_write(self, data: bytes) -> None:
        self.inner.on_write(data)

    def on_read(self, length: int) -> bytes:
        if self.hang.is_set():
            self.release.wait(30)
        return bytes(self.inner.on_read(length))

    def on_stop(self) -> None:
        self.inner.on_stop()


def test_watchdog_pings_stop_while_the_measurement_loop_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = NotifyListener(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # systemd: WatchdogSec=0.2
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    cfg = load_station_config(write_station_config(tmp_path, "wd", port=free_port()))
    station = Station(cfg, clock=SimClock())
    assert station.hardware.sim is not None
    bus = station.hardware.sim.bus
    blocker = BlockingChip(bus.devices[0x23])
    bus.devices[0x23] = blocker  # type: ignore[assignment]
    server = threading.Thread(target=station.serve, daemon=True)
    try:
        station.start()
        assert "READY=1" in [m for _, m in listener.messages] or wait_for(
            lambda: "READY=1" in [m for _, m in listener.messages], 2, "READY=1"
        )
        server.start()
        t0 = time.monotonic()
        time.sleep(0.6)
        assert listener.pings_since(t0) >= 3  # idle loop pings every 0.1 s

        blocker.hang.set()
        station.request_start("test")
        wait_for(lambda: station.state is StationState.RUNNING, 5, "the run to start")
        time.sleep(0.3)  # let the last pre-hang pings land
        t_hung = time.monotonic()
        time.sleep(1.0)
        assert listener.pings_since(t_hung) == 0  # systemd would now restart the daemon

        blocker.release.set()
        blocker.hang.clear()
        wait_for(lambda: station.state is not StationState.RUNNING, 10, "the run to end")
        t1 = time.monotonic()
        time.sleep(0.5)
        assert listener.pings_since(t1) >= 2
    finally:
        blocker.release.set()
        station.stop()
        server.join(10)
        station.close()
        listener.close()
