"""Several venues: a venue's Mosquitto bridged to a central one with the shipped bridge
configuration (``config/mosquitto/bridge-venue.conf``), the link cut for 30 s while stations
run.

The link is cut by a TCP relay between the two brokers that drops every connection and
refuses new ones (a WAN outage), not by stopping the central broker: the central scorer stays
connected and subscribed, as it would in a real outage. Stations (the firmware's outbox and
link) talk to the venue broker; the venue scorer (SQLite, with the example competition) stores,
acks and marks; the central scorer (PostgreSQL, ``[broker] role = "central"``) stores what the
bridge delivers and never acks. Each station's marked run is made during the cut: the venue
marks it while the centre hears nothing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from benchscore.mqtt import BrokerConfig, close_client, make_client
from benchscore.protocol import Topics
from firmware_py.link import StationLink
from firmware_py.outbox import Outbox
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, free_port
from tests.support.trust import TEST_SCORER, register_station, write_scorer_key
from tests.test_marking import EVENT, EXAMPLE, GOOD_LED
from tests.test_marking import result as led_result
from tests.test_storage import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
BRIDGE_CONF = REPO / "config" / "mosquitto" / "bridge-venue.conf"
TASKS = REPO / "config" / "tasks"
STATIONS = ("led01", "led02", "led03")
"""The example event's LED stations, measuring competitors C01-C03."""
CUT_S = 30.0


class Relay:
    """A TCP relay 127.0.0.1:``port`` -> 127.0.0.1:``target``; ``cut()`` drops every
    connection and refuses new ones until ``restore()``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):  # wakes the accept() (close alone does not)
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for s in self._conns:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def led_marked(marks: list[dict[str, Any]]) -> set[str]:
    """The competitors with a mark from a marked LED run (the LED module's measured aspects)."""
    return {
        str(m["competitor"])
        for m in marks
        if m["module"] == "led" and m["type"] == "M" and m["status"] != "unmarked" and m["mark"] > 0
    }


def venue_conf(relay_port: int, workdir: Path) -> str:
    """The shipped bridge configuration, pointed at the relay, without TLS and passwords."""
    lines = []
    for line in BRIDGE_CONF.read_text().splitlines():
        if line.startswith(("remote_username", "remote_password", "bridge_cafile")):
            continue
        if line.startswith("address "):
            line = f"address 127.0.0.1:{relay_port}"
        lines.append(line)
    return "\n".join(lines) + f"\npersistence_location {workdir}/\n"


class AckCounter:
    """Counts ack messages seen on a broker (``benchscore/v1/+/+/ack``)."""

    def __init__(self, port: int) -> None:
        self.count = 0
        self.client = make_client(f"acks-{port}", BrokerConfig(port=port))
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("benchscore/v1/+/+/ack", 1)
        self.client.loop_start()

    def _on_message(self, c: mqtt.Client, u: object, msg: mqtt.MQTTMessage) -> None:
        json.loads(msg.payload)
        self.count += 1

    def close(self) -> None:
        close_client(self.client)


def scorer(
    port: int, storage: Path | str, role: str, client_id: str, keys: Path, key_dir: Path
) -> ScorerService:
    """A scorer with signatures required; the venue's holds the key the stations pin."""
    cfg = ScorerConfig(
        event=EVENT,
        broker=BrokerConfig(port=port),
        storage_path=storage if isinstance(storage, Path) else Path("unused.db"),
        storage_url=storage if isinstance(storage, str) else None,
        http=HttpConfig(port=0),
        client_id=client_id,
        role=role,
        event_file=EXAMPLE if role == "venue" else None,
        tasks_dir=TASKS if role == "venue" else None,
        keys_dir=keys,
        require_signatures=True,
        scorer_key=write_scorer_key(key_dir) if role == "venue" else key_dir / "scorer.key",
    )
    service = ScorerService(cfg).start()
    assert service.mqtt is not None and service.mqtt.wait_connected(10)
    return service


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


def test_venue_keeps_scoring_through_a_cut_link_and_the_centre_catches_up(
    tmp_path: Path, pg_url: str
) -> None:
    for name in ("central", "venue"):
        (tmp_path / name).mkdir()
    central = Mosquitto(tmp_path / "central").start()
    relay = Relay(central.port)
    venue = Mosquitto(tmp_path / "venue", extra_conf=venue_conf(relay.port, tmp_path / "venue"))
    venue.start()
    keys = tmp_path / "keys"  # both scorers verify the stations' signatures
    identities = {sid: register_station(tmp_path / sid, sid, keys) for sid in STATIONS}
    services: list[ScorerService] = []
    links: list[StationLink] = []
    counters: list[AckCounter] = []
    stop = threading.Event()
    produced = {sid: 0 for sid in STATIONS}
    mark_now = threading.Event()
    marked: set[str] = set()  # the stations whose marked run is made
    try:
        services.append(
            scorer(venue.port, tmp_path / "venue.db", "venue", "venue-scorer", keys, tmp_path)
        )
        services.append(
            scorer(central.port, pg_url, "central", "central-scorer", keys, tmp_path / "central")
        )
        counters = [AckCounter(venue.port), AckCounter(central.port)]
        for sid in STATIONS:
            outbox = Outbox(tmp_path / f"{sid}.db")
            link = StationLink(
                BrokerConfig(port=venue.port),
                Topics(EVENT, sid),
                f"boot-{sid}",
                "led-module",
                outbox,
                identity=identities[sid],
                scorer_key=TEST_SCORER.public,  # the venue scorer's key
                ack_timeout_s=5.0,
            )
            link.start()
            assert link.wait_connected(10)
            links.append(link)

        def produce(link: StationLink) -> None:
            """Self-check runs (unmarked), and one marked run once ``mark_now`` is set."""
            sid = link.topics.station
            good: dict[str, float | None] = dict(GOOD_LED)
            while not stop.is_set():
                produced[sid] += 1
                n = produced[sid]
                now = mark_now.is_set() and sid not in marked
                run = led_result(sid, n, "led-module-a", good, marked=now, boot_id=f"boot-{sid}")
                if now:
                    marked.add(sid)
                link.put_record(run)
                time.sleep(0.05)

        producers = [threading.Thread(target=produce, args=(link,)) for link in links]
        for p in producers:
            p.start()
        venue_store, central_store = (s.store for s in services)
        assert venue_store is not None and central_store is not None

        time.sleep(3)
        assert central_store.run_count() > 0, "nothing crossed the bridge before the cut"
        relay.cut()
        cut_at = time.monotonic()
        time.sleep(2)  # anything in flight when the link dropped has landed
        central_during = central_store.run_count()
        venue_during = venue_store.run_count()
        venue_competition = services[0].competition
        assert venue_competition is not None
        assert led_marked(venue_competition.marks(EVENT)) == set(), "self-checks were marked"
        mark_now.set()  # each station's marked run, made while the link is down
        marked_at: float | None = None
        while time.monotonic() - cut_at < CUT_S:
            time.sleep(1)
            # the venue keeps storing and acking: the stations' outboxes stay short
            assert max(link.outbox.depth for link in links) < 60
            if marked_at is None and led_marked(venue_competition.marks(EVENT)) == {
                "C01",
                "C02",
                "C03",
            }:
                marked_at = time.monotonic()
        assert marked_at is not None, "the venue did not mark the runs made during the cut"
        assert venue_store.run_count() > venue_during + 300  # ~20 records/s for ~28 s
        assert central_store.run_count() == central_during, "the link was not cut"
        relay.restore()
        time.sleep(3)
        stop.set()
        for p in producers:
            p.join(10)
        total = sum(produced.values())

        deadline = time.monotonic() + 60
        while any(link.outbox.depth for link in links) or central_store.run_count() < total:
            assert time.monotonic() < deadline, (
                [link.outbox.depth for link in links],
                central_store.run_count(),
                total,
            )
            time.sleep(0.2)
        for store in (venue_store, central_store):
            ledger = store.ledger()
            seen = [(r["station"], r["seq"]) for r in ledger]
            assert len(seen) == len(set(seen)) == total  # every record, exactly once
            for sid in STATIONS:
                seqs = sorted(s for st, s in seen if st == sid)
                assert seqs == list(range(1, produced[sid] + 1))
        # only the venue scorer acks: every ack on the central broker came over the bridge
        # (QoS 1 across the bridge is at least once: what was in flight when the link dropped,
        # at most max_inflight_messages = 20, may arrive twice; a central scorer that acked
        # would add one ack per record it stored, hundreds here)
        time.sleep(1)
        venue_acks, central_acks = (c.count for c in counters)
        assert venue_acks > 0 and venue_acks <= central_acks <= venue_acks + 20
    finally:
        stop.set()
        for c in counters:
            c.close()
        for link in links:
            link.close()
            link.outbox.close()
        for s in services:
            s.stop()
        venue.stop()
        relay.cut()
        central.stop()


def test_a_central_scorer_config_says_so(tmp_path: Path) -> None:
    from scorer.config import ConfigError, load_config

    conf = tmp_path / "central.toml"
    conf.write_text('[broker]\nrole = "central"\n')
    assert load_config(conf).role == "central"
    conf.write_text('[broker]\nrole = "hub"\n')
    with pytest.raises(ConfigError, match="broker.role: expected 'venue' or 'central'"):
        load_config(conf)
