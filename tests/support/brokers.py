"""Real brokers for tests: a Mosquitto of our own on a free loopback port, stoppable."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 10.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


FACTORY_ENV = "BENCHSCORE_TEST_BROKER"
"""``host:port`` of a broker factory (scripts/pi-userland/broker_factory.py): tests inside a
foreign-architecture root get their brokers from the host's Mosquitto through it."""


class Mosquitto:
    """A mosquitto process on 127.0.0.1:``port``; ``stop()`` and ``start()`` may repeat.

    With ``$BENCHSCORE_TEST_BROKER`` set, the process runs on the host, started by the broker
    factory named there (same loopback, so the same port reaches it)."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra_conf: str = "",
        *,
        anonymous: bool = True,
    ) -> None:
        self.factory = os.environ.get(FACTORY_ENV, "")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not self.factory and not Path(binary).exists():
            raise RuntimeError(
                "mosquitto is not installed: run scripts/setup.sh (it installs the Debian package)"
            )
        self.binary = binary
        self.port = port or free_port()
        self.workdir = workdir
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous {str(anonymous).lower()}\n"
            f"persistence false\nmax_queued_messages 100000\n{extra_conf}"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.remote: socket.socket | None = None

    def start(self) -> Mosquitto:
        assert self.proc is None and self.remote is None, "already running"
        if self.factory:
            return self._start_remote()
        with self.log.open("ab") as logf:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.conf)], stdout=logf, stderr=subprocess.STDOUT
            )
        wait_port(self.port)
        return self

    def _start_remote(self) -> Mosquitto:
        host, _, port = self.factory.rpartition(":")
        sock = socket.create_connection((host, int(port)), timeout=30)
        request = {"port": self.port, "conf": self.conf.read_text()}
        sock.sendall(json.dumps(request).encode() + b"\n")
        answer = sock.makefile("rb").readline().decode().strip()
        if answer != "ready":
            sock.close()
            raise RuntimeError(f"broker factory at {self.factory}: {answer or 'no answer'}")
        self.remote = sock
        return self

    def _stop_remote(self, sock: socket.socket) -> None:
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):  # the factory closes once the broker has exited
            pass
        sock.close()

    def stop(self) -> None:
        if self.remote is not None:
            sock, self.remote = self.remote, None
            self._stop_remote(sock)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
