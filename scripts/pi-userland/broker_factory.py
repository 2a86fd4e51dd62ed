"""Mosquitto brokers on the host for tests that run inside a foreign-architecture root.

The root (a chroot under QEMU user-mode emulation) shares the host's network namespace, so a
broker the host starts on 127.0.0.1:PORT is reachable from inside. Tests there set
``BENCHSCORE_TEST_BROKER=127.0.0.1:<factory port>``; ``tests/support/brokers.Mosquitto`` then
asks this factory for each broker instead of starting a binary the root does not have.

Protocol, one TCP connection per broker: the client sends one line of JSON
``{"port": N, "conf": "<mosquitto.conf text>"}``; the factory starts Mosquitto with that
configuration and answers ``ready`` (or ``error <reason>``) once the port accepts connections.
When the client closes its side, the factory stops that broker and then closes the connection,
so the client knows the broker is down. Brokers die with the factory.

Usage (host): ``python3 broker_factory.py WORKDIR`` prints the factory's port on stdout.
Standard library only: it runs with the host's Debian Python.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

READY_TIMEOUT_S = 15.0


def _mosquitto() -> str:
    return shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Factory:
    """Starts one Mosquitto per client connection; stops it when the client hangs up."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()

    def serve_one(self, conn: socket.socket) -> None:
        proc: subprocess.Popen[bytes] | None = None
        try:
            line = conn.makefile("rb").readline(1 << 16)
            request = json.loads(line)
            port = int(request["port"])
            conf = self.workdir / f"mosquitto-{port}.conf"
            conf.write_text(str(request["conf"]))
            with (self.workdir / f"mosquitto-{port}.log").open("ab") as log:
                proc = subprocess.Popen(
                    [_mosquitto(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
                )
            with self.lock:
                self.procs.add(proc)
            if not _wait_listening(port, proc):
                conn.sendall(b"error mosquitto did not listen on its port\n")
                return
            conn.sendall(b"ready\n")
            while conn.recv(4096):
                pass  # the client never sends more; EOF means "stop this broker"
        except (OSError, ValueError, KeyError, TypeError) as exc:
            with contextlib.suppress(OSError):
                conn.sendall(f"error {exc}\n".encode())
        finally:
            if proc is not None:
                self._stop(proc)
            conn.close()

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with self.lock:
            self.procs.discard(proc)

    def stop_all(self) -> None:
        with self.lock:
            procs = list(self.procs)
        for proc in procs:
            self._stop(proc)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: broker_factory.py WORKDIR", file=sys.stderr)
        return 2
    workdir = Path(argv[0])
    workdir.mkdir(parents=True, exist_ok=True)
    factory = Factory(workdir)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    print(server.getsockname()[1], flush=True)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        factory.stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=factory.serve_one, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
