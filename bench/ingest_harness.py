"""Parts of ``bench/bench_ingest.py``: the signed records, a fleet of simulated stations that
publish them and wait for the scorer's acks, ``benchscore scorer`` processes, PostgreSQL
databases, and the raw Mosquitto and bare paho baselines.

Everything is real: Mosquitto, the ``benchscore scorer`` process, SQLite or PostgreSQL,
``mosquitto_pub``/``mosquitto_sub``. Times are wall-clock seconds (``time.monotonic``, the same
clock in every process on Linux); CPU is read from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchscore.identity import Identity  # noqa: E402
from benchscore.mqtt import BrokerConfig, close_client, make_client  # noqa: E402
from benchscore.protocol import SCHEMA_VERSION, Topics  # noqa: E402
from benchscore.signing import sign_payload  # noqa: E402

EVENT = "bench"
PG_ADMIN_URL = os.environ.get(
    "BENCHSCORE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SAMPLES = 100
"""Samples per curve chunk (one column of times, one of values)."""
RESULT_EVERY = 10
"""Every 10th record is a run's result (3 measurements); the others are curve chunks."""

Message = tuple[str, bytes]
"""(topic, payload) of one record as a station publishes it."""


# -- records -------------------------------------------------------------------------------
def station_ids(count: int) -> list[str]:
    return [f"st{i:03d}" for i in range(count)]


def make_keys(keys_dir: Path, stations: Sequence[str]) -> dict[str, Identity]:
    """A key pair per station; the scorer gets the public keys as ``<keys_dir>/<id>.pub``."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for sid in stations:
        identity = Identity.generate()
        (keys_dir / f"{sid}.pub").write_text(identity.public.hex + "\n")
        out[sid] = identity
    return out


def scorer_key(work: Path) -> Identity:
    """The scorer's key pair (``<work>/scorer.key``), shared by every scorer of the bench."""
    return Identity.load_or_create(work / "scorer.key")


def record_payload(station: str, seq: int) -> dict[str, Any]:
    """Record ``seq`` of ``station`` (unsigned): a result every RESULT_EVERY, else a curve."""
    base: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "type": "record",
        "event": EVENT,
        "station": station,
        "boot_id": "bench-boot",
        "seq": seq,
        "run_id": f"{station}-run-{seq // RESULT_EVERY}",
    }
    if seq % RESULT_EVERY == 0:
        base.update(
            kind="result",
            task="led-module",
            procedure="led_iv",
            started_at=1_700_000_000.0 + seq,
            ended_at=1_700_000_030.0 + seq,
            outcome="pass",
            reason="",
            measurements=[
                {
                    "name": n,
                    "value": v,
                    "unit": u,
                    "limits": {"low": lo, "high": hi},
                    "outcome": "pass",
                    "reason": None,
                }
                for n, v, u, lo, hi in (
                    ("forward_voltage", 3.05, "V", 2.8, 3.4),
                    ("current", 0.021, "A", 0.015, 0.025),
                    ("illuminance", 61.5, "lx", 50.0, 90.0),
                )
            ],
        )
    else:
        t0 = seq * SAMPLES * 0.01
        base.update(
            kind="curve",
            curve="iv",
            chunk=seq % RESULT_EVERY,
            columns=["t_s", "current_a"],
            data=[
                [round(t0 + i * 0.01, 3) for i in range(SAMPLES)],
                [round(0.02 + 1e-5 * ((seq * 7 + i) % 101), 6) for i in range(SAMPLES)],
            ],
        )
    return base


def build_records(
    stations: Sequence[str], per_station: int, keys: dict[str, Identity]
) -> dict[str, list[Message]]:
    """Signed records per station, built with the project's own code
    (``benchscore.signing.sign_payload``: Ed25519 over the exact payload bytes and the topic):
    the one place that knows the wire format."""
    out: dict[str, list[Message]] = {}
    for sid in stations:
        topic = Topics(EVENT, sid).record
        out[sid] = [
            (topic, sign_payload(keys[sid], topic, record_payload(sid, seq)))
            for seq in range(1, per_station + 1)
        ]
    return out


# -- processes -----------------------------------------------------------------------------
def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def core_wait_s(pid: int) -> float:
    """Seconds the threads of process ``pid`` have spent runnable but waiting for a core (the
    second field of ``/proc/<pid>/task/<tid>/schedstat``, summed over its threads)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[1])
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return total / 1e9


class Scorer:
    """A ``benchscore scorer`` process with its own config file; log in ``<name>.log``."""

    def __init__(
        self,
        work: Path,
        name: str,
        port: int,
        storage: str,
        *,
        keys_dir: Path,
        share_group: str | None = None,
        extra: str = "",
    ) -> None:
        self.name = name
        conf = work / f"{name}.toml"
        store = (
            f'url = "{storage}"' if storage.startswith("postgresql://") else f'path = "{storage}"'
        )
        conf.write_text(
            f'event = "{EVENT}"\n[broker]\nport = {port}\nclient_id = "{name}"\n'
            + (f'share_group = "{share_group}"\n' if share_group else "")
            + f"[storage]\n{store}\n[http]\nport = 0\n"
            + f'[security]\nkeys_dir = "{keys_dir}"\nrequire_signatures = true\n'
            + f'scorer_key = "{work / "scorer.key"}"\n{extra}'
        )
        self.log = work / f"{name}.log"
        self._logf = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchscore", "scorer", "--config", str(conf)],
            cwd=REPO,
            stdout=self._logf,
            stderr=subprocess.STDOUT,
        )

    def wait_subscribed(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while "subscribed to" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not subscribe:\n{self.log.read_text()}")
            time.sleep(0.05)

    def cpu_s(self) -> float:
        return cpu_s(self.proc.pid)

    def core_wait_s(self) -> float:
        return core_wait_s(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._logf.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one run, dropped afterwards."""
    import psycopg

    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    name = f"bs_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_ADMIN_URL.partition("?")[0].rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# -- the fleet: stations draining their outboxes ------------------------------------------
@dataclass
class _Station:
    messages: list[Message]
    next: int = 0
    acked: int = 0


def _fleet_process(
    port: int,
    name: str,
    records: dict[str, list[Message]],
    window: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """One publisher process for some stations: keeps ``window`` records of each station
    waiting for the scorer's ack, publishes the next on every acked one (as the outbox's
    forwarder does); reports the monotonic time the last ack came."""
    stations = {sid: _Station(msgs) for sid, msgs in records.items()}
    total = sum(len(m) for m in records.values())
    done = threading.Event()
    lock = threading.Lock()
    acked = 0
    client = make_client(name, BrokerConfig(port=port))
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)

    def publish_upto(st: _Station, limit: int) -> None:
        while st.next < min(limit, len(st.messages)):
            topic, payload = st.messages[st.next]
            st.next += 1
            client.publish(topic, payload, qos=1)

    def on_message(c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        nonlocal acked
        ack = json.loads(msg.payload)
        st = stations.get(ack["station"])
        if st is None:
            return
        with lock:
            n = len(ack["seqs"])
            st.acked += n
            acked += n
            publish_upto(st, st.acked + window)
            if acked >= total:
                done.set()

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe([(Topics(EVENT, sid).ack, 1) for sid in stations])
    subscribed.wait(30)
    ready.set()
    go.wait()
    with lock:
        for st in stations.values():
            publish_upto(st, window)
    ok = done.wait(600)
    results.put((name, time.monotonic() if ok else float("nan"), acked))
    close_client(client)


def run_fleet(
    port: int,
    records: dict[str, list[Message]],
    *,
    window: int = 50,
    processes: int = 2,
    on_go: Any = None,
) -> tuple[float, float]:
    """Publish every record through the fleet; return (start, end) monotonic seconds, from
    the first publish to the last record's ack. ``on_go()`` runs just before the start."""
    ctx = mp.get_context("fork")
    ids = sorted(records)
    parts = [ids[i::processes] for i in range(processes)]
    ready = [ctx.Event() for _ in parts]
    go = ctx.Event()
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_fleet_process,
            args=(
                port,
                f"fleet-{i}-{uuid.uuid4().hex[:6]}",
                {s: records[s] for s in part},
                window,
                ready[i],
                go,
                results,
            ),
        )
        for i, part in enumerate(parts)
        if part
    ]
    for p in procs:
        p.start()
    for r in ready[: len(procs)]:
        if not r.wait(60):
            raise RuntimeError("a fleet process did not connect")
    if on_go is not None:
        on_go()
    start = time.monotonic()
    go.set()
    ends = [results.get(timeout=700) for _ in procs]
    for p in procs:
        p.join(30)
    total = sum(len(m) for m in records.values())
    if sum(e[2] for e in ends) < total:
        raise RuntimeError(f"only {sum(e[2] for e in ends)} of {total} records were acked")
    return start, max(e[1] for e in ends)


# -- baselines -----------------------------------------------------------------------------
def raw_mosquitto(port: int, payloads: Sequence[bytes], work: Path) -> tuple[float, float]:
    """``mosquitto_pub -l -q 1`` -> ``mosquitto_sub -q 1`` with ``payloads`` (one a line):
    (seconds from the publisher's start to the subscriber's last message, their CPU s)."""
    for tool in ("mosquitto_pub", "mosquitto_sub"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (Debian package mosquitto-clients)")
    lines = work / "raw-payloads.txt"
    lines.write_bytes(b"\n".join(payloads) + b"\n")
    topic = f"raw/{uuid.uuid4().hex[:8]}"
    before = os.times()
    sub = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-q",
            "1",
            "-t",
            topic,
            "-C",
            str(len(payloads)),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # subscribed before the first message
    start = time.monotonic()
    with lines.open("rb") as fh:
        pub = subprocess.Popen(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", topic, "-l"],
            stdin=fh,
        )
        sub.wait(600)
        end = time.monotonic()
        pub.wait(60)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return end - start, cpu


def bare_paho(port: int, payloads: Sequence[bytes]) -> float:
    """One paho client publishes ``payloads`` at QoS 1 to another paho client subscribed at
    QoS 1 (no outbox, no scorer): seconds until the subscriber has them all."""
    topic = f"paho/{uuid.uuid4().hex[:8]}"
    got = 0
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        nonlocal got
        got += 1
        if got >= len(payloads):
            done.set()

    sub = make_client(f"paho-sub-{uuid.uuid4().hex[:6]}", BrokerConfig(port=port))
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    sub.subscribe(topic, 1)
    subscribed.wait(10)
    pub = make_client(f"paho-pub-{uuid.uuid4().hex[:6]}", BrokerConfig(port=port))
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    start = time.monotonic()
    for payload in payloads:
        pub.publish(topic, payload, qos=1)
    done.wait(600)
    end = time.monotonic()
    for c in (pub, sub):
        close_client(c)
    return end - start
