"""Real brokers for tests: a Mosquitto of our own on a free loopback port, stoppable."""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


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
            f"persistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n{extra_conf}"
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


class DynSecMosquitto(Mosquitto):
    """Mosquitto with the dynamic security plugin, from the files ``scorer.broker_setup`` writes.

    ``scorer_password`` and ``enrol_password`` are random per broker; the plugin's JSON and the
    persistence file live in ``workdir/broker-<port>``, so ``stop()``/``start()`` keeps state.
    """

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        from scorer.broker_setup import write_dynsec_broker

        super().__init__(workdir, port, anonymous=False)
        self.scorer_password = secrets.token_urlsafe(16)
        self.enrol_password = secrets.token_urlsafe(16)
        files = write_dynsec_broker(
            workdir / f"broker-{self.port}",
            port=self.port,
            scorer_password=self.scorer_password,
            enrol_password=self.enrol_password,
            listener_host="127.0.0.1",
            broker_user=_broker_user(),
        )
        self.conf = files.conf
        self.dynsec_file = files.dynsec


class PlainMosquitto(Mosquitto):
    """Mosquitto with the plain password/ACL files ``scorer.broker_setup`` writes."""

    def __init__(self, workdir: Path, stations: dict[str, str], port: int | None = None) -> None:
        from scorer.broker_setup import write_plain_broker

        super().__init__(workdir, port, anonymous=False)
        self.scorer_password = secrets.token_urlsafe(16)
        self.enrol_password = secrets.token_urlsafe(16)
        files = write_plain_broker(
            workdir / f"broker-{self.port}",
            port=self.port,
            scorer_password=self.scorer_password,
            enrol_password=self.enrol_password,
            stations=stations,
            listener_host="127.0.0.1",
            broker_user=_broker_user(),
        )
        self.conf = files.conf


def _broker_user() -> str | None:
    """Keep a root-started test broker root: it must read and write files in pytest's tmp dir."""
    return "root" if os.geteuid() == 0 else None


class MqttPeer:
    """A paho client for broker tests: records CONNACK, disconnects, PUBACKs, SUBACKs, messages.

    Unless ``reconnect``, it does not reconnect by itself after its first ``connect()``.
    """

    def __init__(
        self,
        port: int,
        client_id: str,
        username: str | None,
        password: str | None,
        protocol: str = "5",
        *,
        reconnect: bool = False,
    ) -> None:
        from benchscore.mqtt import BrokerConfig, make_client

        self.port = port
        self.client = make_client(
            client_id,
            BrokerConfig(port=port, username=username, password=password, protocol=protocol),
        )
        delay = 1 if reconnect else 3600
        self.client.reconnect_delay_set(min_delay=delay, max_delay=delay)
        self.connack: Any = None
        self.answered = threading.Event()
        self.dropped = threading.Event()
        self.messages: queue.Queue[Any] = queue.Queue()
        self._acks: dict[int, Any] = {}
        self._acked = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_ack
        self.client.on_subscribe = self._on_suback
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        self.connack = rc
        self.answered.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        self.dropped.set()
        self.answered.set()

    def _on_ack(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any = None) -> None:
        with self._acked:
            self._acks[mid] = rc
            self._acked.notify_all()

    def _on_suback(self, _c: Any, _u: Any, mid: int, rcs: Any, _p: Any = None) -> None:
        self._on_ack(_c, _u, mid, rcs[0], _p)

    def connect(self, timeout_s: float = 5.0) -> bool:
        """Connect and start the loop; True if the broker accepted the login."""
        from benchscore.mqtt import reason_is_failure

        self.answered.clear()
        self.dropped.clear()
        self.connack = None
        try:
            self.client.connect("127.0.0.1", self.port, keepalive=15)
        except OSError:
            return False
        self.client.loop_start()
        if not self.answered.wait(timeout_s):
            raise TimeoutError("no CONNACK")
        return self.connack is not None and not reason_is_failure(self.connack)

    def _wait_ack(self, mid: int, timeout_s: float) -> Any:
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._acks, timeout_s):
                raise TimeoutError(f"no ack for message {mid}")
            return self._acks.pop(mid)

    def publish(self, topic: str, payload: bytes = b"x", retain: bool = False) -> Any:
        """Publish at QoS 1 and return the PUBACK's reason code (MQTT 3.1.1: always success)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return self._wait_ack(info.mid, 5.0)

    def subscribe(self, topic: str) -> bool:
        """Subscribe at QoS 1; True if the broker granted it."""
        from benchscore.mqtt import reason_is_failure

        _rc, mid = self.client.subscribe(topic, qos=1)
        return not reason_is_failure(self._wait_ack(mid, 5.0))

    def next_message(self, timeout_s: float = 5.0) -> Any:
        return self.messages.get(timeout=timeout_s)

    def close(self) -> None:
        from benchscore.mqtt import close_client

        close_client(self.client)
