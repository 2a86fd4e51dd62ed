"""Scale-out: two scorer worker processes share the ingest through an MQTT shared subscription
(``$share/scorers/...``) over one PostgreSQL database; a stream of records from three stations
arrives once each, with no loss and no duplicates, also when one worker is killed (SIGKILL)
mid-stream.

The stations here are the firmware's own outbox and link (``firmware_py.outbox.Outbox``,
``firmware_py.link.StationLink``), so "no loss" rests on the real mechanism: QoS 1 messages in
flight to the killed worker are gone with its session, nothing is acked that was not committed
(the ack is sent after the database commit), and the station's outbox re-sends whatever stays
unacknowledged for ``ack_timeout_s`` (30 s in a hall; 2 s here to keep the test short).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.mqtt import BrokerConfig
from benchscore.protocol import Topics
from firmware_py.link import StationLink
from firmware_py.outbox import Outbox
from scorer.store import Store
from tests.support.brokers import Mosquitto
from tests.support.trust import TEST_SCORER, register_station, write_scorer_key
from tests.test_scorer_store import record
from tests.test_storage import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
EVENT = "scale"
STATIONS = ("st01", "st02", "st03")
PER_STATION = 300


class Worker:
    """``benchscore scorer`` in a process of its own; its log lines are kept."""

    def __init__(self, tmp: Path, name: str, broker_port: int, db_url: str) -> None:
        self.name = name
        conf = tmp / f"{name}.toml"
        conf.write_text(
            f'event = "{EVENT}"\n'
            f'[broker]\nport = {broker_port}\nclient_id = "{name}"\nshare_group = "scorers"\n'
            f'[storage]\nurl = "{db_url}"\n[http]\nport = 0\n'
            f'[security]\nkeys_dir = "{tmp / "keys"}"\nrequire_signatures = true\n'
            f'scorer_key = "{write_scorer_key(tmp)}"\n'
        )
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchscore", "scorer", "--config", str(conf)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{self.name}: no {text!r} in its log:\n" + "\n".join(self.lines))
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.killed_at = time.monotonic()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def station_link(tmp: Path, port: int, sid: str) -> StationLink:
    """A station of the firmware's own outbox and link, its key registered with the scorers
    (``<tmp>/keys/<sid>.pub``), the test scorer key pinned; unacked records go again after 2 s."""
    identity = register_station(tmp / sid, sid, tmp / "keys")
    link = StationLink(
        BrokerConfig(port=port),
        Topics(EVENT, sid),
        f"boot-{sid}",
        "led-module",
        Outbox(tmp / f"{sid}-outbox.db"),
        identity=identity,
        scorer_key=TEST_SCORER.public,
        ack_timeout_s=2.0,
    )
    link.start()
    assert link.wait_connected(10)
    return link


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        Store(url).close()  # migrate once before the workers race to
        yield url


def test_two_workers_share_the_stream_and_survive_a_kill(
    tmp_path: Path, mosquitto: Mosquitto, pg_url: str
) -> None:
    for sid in STATIONS:
        register_station(tmp_path / sid, sid, tmp_path / "keys")
    workers = [Worker(tmp_path, f"scorer-w{i}", mosquitto.port, pg_url) for i in (1, 2)]
    links: list[StationLink] = []
    try:
        for w in workers:
            w.wait_for(f"$share/scorers/benchscore/v1/{EVENT}/+/record")
        links += [station_link(tmp_path, mosquitto.port, sid) for sid in STATIONS]

        def produce(link: StationLink) -> None:
            sid = link.topics.station
            for n in range(PER_STATION):
                link.put_record(record(sid, n, event=EVENT, run_id=f"{sid}-run-{n}"))
                time.sleep(0.004)

        producers = [threading.Thread(target=produce, args=(link,)) for link in links]
        for p in producers:
            p.start()

        watcher = Store(pg_url)
        try:
            deadline = time.monotonic() + 30
            while watcher.run_count() < 250:  # both workers are busy: kill one now
                assert time.monotonic() < deadline, "the workers stored nothing"
                time.sleep(0.02)
            before_kill = {r["worker"] for r in watcher.ledger()}
            workers[0].kill()
            killed_at = watcher.run_count()
            for p in producers:
                p.join(60)
            deadline = time.monotonic() + 60
            while any(link.outbox.depth for link in links):  # every record acked
                assert time.monotonic() < deadline, [link.outbox.depth for link in links]
                time.sleep(0.1)
            ledger = watcher.ledger()
            total = len(STATIONS) * PER_STATION
            assert watcher.run_count() == total
        finally:
            watcher.close()

        # nothing lost, nothing twice
        keys = [(r["station"], r["seq"]) for r in ledger]
        assert len(keys) == len(set(keys)) == total
        for sid in STATIONS:
            assert sorted(s for st, s in keys if st == sid) == list(range(1, PER_STATION + 1))
        # both workers took part before the kill; the survivor took the rest
        assert before_kill == {"scorer-w1", "scorer-w2"}, before_kill
        by_worker = {w: sum(r["worker"] == w for r in ledger) for w in ("scorer-w1", "scorer-w2")}
        assert by_worker["scorer-w1"] > 0 and by_worker["scorer-w2"] > total - killed_at
        assert workers[1].proc.poll() is None, "the surviving worker died"
        assert sum(link.outbox.acked for link in links) >= total
    finally:
        for link in links:
            link.close()
            link.outbox.close()
        for w in workers:
            w.stop()


def test_a_worker_killed_in_the_middle_of_a_batch_stores_nothing_of_it(
    tmp_path: Path, mosquitto: Mosquitto, pg_url: str
) -> None:
    """The batch is caught inside its transaction: a test connection holds every station row,
    so the worker's batch stores its ledger, runs and curves and then waits at its last
    statement (the stations' ``last_seen``). The worker is killed there; the second worker,
    started afterwards, gets the stations' re-sends and every record ends up stored once."""
    import psycopg

    for sid in STATIONS:  # keys known before the worker starts (statuses are sent once)
        register_station(tmp_path / sid, sid, tmp_path / "keys")
    first = Worker(tmp_path, "scorer-w1", mosquitto.port, pg_url)
    workers = [first]
    links: list[StationLink] = []
    watcher = Store(pg_url)
    blocker = psycopg.connect(pg_url)
    admin = psycopg.connect(pg_url, autocommit=True)
    stop = threading.Event()
    produced = dict.fromkeys(STATIONS, 0)
    try:
        first.wait_for(f"$share/scorers/benchscore/v1/{EVENT}/+/record")
        links += [station_link(tmp_path, mosquitto.port, sid) for sid in STATIONS]
        deadline = time.monotonic() + 20
        while len(watcher.stations()) < len(STATIONS):  # their status rows exist
            assert time.monotonic() < deadline, watcher.stations()
            time.sleep(0.05)

        def produce(link: StationLink) -> None:  # until told to stop: records keep coming
            sid = link.topics.station
            while not stop.is_set():
                n = produced[sid] = produced[sid] + 1
                link.put_record(record(sid, n, event=EVENT, run_id=f"{sid}-run-{n}"))
                time.sleep(0.01)

        producers = [threading.Thread(target=produce, args=(link,)) for link in links]
        for p in producers:
            p.start()
        deadline = time.monotonic() + 30
        while watcher.run_count() < 30:
            assert time.monotonic() < deadline, "the worker stored nothing"
            time.sleep(0.02)

        blocker.execute("SELECT id FROM stations FOR UPDATE")  # held until rollback
        deadline = time.monotonic() + 20
        while True:
            waiting = admin.execute(
                "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchall()
            if any(str(q[0]).lstrip().startswith("INSERT INTO stations") for q in waiting):
                break  # the batch has written its records and waits to finish
            assert time.monotonic() < deadline, waiting
            time.sleep(0.05)
        committed = [r for r in watcher.ledger() if r["worker"] == "scorer-w1"]
        first.kill()
        blocker.rollback()

        second = Worker(tmp_path, "scorer-w2", mosquitto.port, pg_url)
        workers.append(second)
        second.wait_for(f"$share/scorers/benchscore/v1/{EVENT}/+/record")
        time.sleep(1)
        stop.set()
        for p in producers:
            p.join(60)
        deadline = time.monotonic() + 60
        while any(link.outbox.depth for link in links):
            assert time.monotonic() < deadline, [link.outbox.depth for link in links]
            time.sleep(0.1)

        ledger = watcher.ledger()
        keys = [(r["station"], r["seq"]) for r in ledger]
        total = sum(produced.values())
        assert len(keys) == len(set(keys)) == total == watcher.run_count()
        # nothing of the killed batch was committed: the first worker's rows are those it had
        # committed before the batch that was cut
        assert [r for r in ledger if r["worker"] == "scorer-w1"] == committed
        assert sum(r["worker"] == "scorer-w2" for r in ledger) == total - len(committed)
    finally:
        stop.set()
        blocker.close()
        admin.close()
        watcher.close()
        for link in links:
            link.close()
            link.outbox.close()
        for w in workers:
            w.stop()
