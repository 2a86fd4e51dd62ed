"""systemd notify: READY once the daemons are up, WATCHDOG while they are healthy."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchscore.sdnotify import notify, watchdog_interval_s
from tests.support.brokers import Mosquitto, free_port
from tests.support.emulation import wall_s
from tests.support.stations import write_station_config


def test_no_socket_means_no_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_abstract_socket_and_watchdog_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"benchscore-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("STATUS=hello")
        assert sock.recv(100) == b"STATUS=hello"
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval_s() is None


def collect(sock: socket.socket, until: float) -> list[str]:
    got = []
    sock.settimeout(0.1)
    while time.monotonic() < until:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    return got


@pytest.mark.parametrize("daemon", ["station", "scorer"])
def test_daemon_sends_ready_then_watchdog(
    daemon: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    path = tmp_path / "notify.sock"
    if daemon == "station":
        config = write_station_config(tmp_path, "nt01", port=mosquitto.port, clock="real")
    else:
        config = tmp_path / "scorer.toml"
        config.write_text(
            f'[broker]\nport = {mosquitto.port}\n[storage]\npath = "s.db"\n'
            f"[http]\nport = {free_port()}\n"
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        env = dict(os.environ, NOTIFY_SOCKET=str(path), WATCHDOG_USEC="400000")
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchscore", daemon, "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # the daemon's start-up (imports) is slow under emulation
            messages = collect(sock, time.monotonic() + wall_s(6))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(wall_s(15))
    assert proc.returncode == 0
    assert "READY=1" in messages
    ready = messages.index("READY=1")
    assert messages[ready + 1 :].count("WATCHDOG=1") >= 3
