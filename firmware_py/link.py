"""The station's MQTT link: status with a Will, live samples, records from the outbox,
acks and commands from the scorer.

* ``status``: retained, QoS 1, at connect (birth), on every change, and as the Will.
* ``live``: QoS 0, MQTT 5 message expiry :data:`~benchscore.protocol.LIVE_EXPIRY_S`.
* ``record``: QoS 1, published by the forwarder thread from the :class:`Outbox` in ``seq``
  order, signed when the station has a key. After a reconnect everything unacknowledged is
  sent again; a record whose ack has not come ``ack_timeout_s`` after it was sent is sent
  again by itself when a later record has been acked meanwhile (the scorer missed it: a
  scorer not yet subscribed again after a broker restart does not get what is published
  meanwhile) or no ack at all has come for ``ack_timeout_s``. A record sent again, or created
  before the current connection, is marked ``historical``.
* ``ack`` (from the scorer): deletes the acknowledged records from the outbox.
* ``cmd`` (from the scorer): handed to the station; answered on ``reply``.

Everything the station sends is signed with its own key; an ``ack`` or ``cmd`` is acted on
only when it verifies against the scorer key the station pinned (at adoption, or in its file),
and a command only once and only before it expires. The link also says when the station is
cut off: a warning with the broker's reason (at most once a minute), and ``connected`` /
``since`` for the status and the operator.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import __version__, protocol
from benchscore.identity import Identity, PublicKey
from benchscore.log_budget import LogBudget
from benchscore.mqtt import (
    BrokerConfig,
    close_client,
    connect_async,
    expiry_properties,
    make_client,
    reason_is_failure,
)
from benchscore.protocol import LIVE_EXPIRY_S, SCHEMA_VERSION, PayloadError, Topics
from benchscore.signing import sign_payload, verify_payload
from firmware_py.outbox import Outbox

log = logging.getLogger(__name__)

CommandHandler = Callable[[str, dict[str, Any]], tuple[bool, str]]
"""(command, args) -> (ok, detail)."""


def broker_problem(host: str, port: int) -> str:
    """Why ``host:port`` cannot be reached, in words (name lookup, refused, timeout)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"the broker's host name {host!r} does not resolve ({exc.strerror or exc})"
    try:
        address = (str(infos[0][4][0]), int(infos[0][4][1]))
        with socket.create_connection(address, timeout=2.0):
            return "the broker accepted a TCP connection but not the MQTT session"
    except TimeoutError:
        return f"no answer from {host}:{port} (unreachable or filtered)"
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


@dataclass
class _InFlight:
    """What the forwarder sent on this connection and has no ack for yet."""

    sent_at: dict[int, float] = field(default_factory=dict)
    """seq -> when it was last sent (monotonic seconds)."""
    highest_acked: int = 0
    """The highest seq sent on this connection that has been acked."""
    last_ack: float = field(default_factory=time.monotonic)
    """When an ack was last seen (monotonic seconds; the connection's start before any)."""


class StationLink:
    """One station's connection to the broker, and the forwarder that drains its outbox."""

    def __init__(
        self,
        broker: BrokerConfig,
        topics: Topics,
        boot_id: str,
        task: str,
        outbox: Outbox,
        *,
        identity: Identity,
        scorer_key: PublicKey | None,
        client_id: str | None = None,
        window: int = 100,
        ack_timeout_s: float = 30.0,
        clock_skew_s: float = 300.0,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.boot_id = boot_id
        self.task = task
        self.outbox = outbox
        self.identity = identity
        self.scorer_key = scorer_key
        """The scorer key acks and commands must verify against (None: none is acted on)."""
        self.clock_skew_s = clock_skew_s
        """How far this station's clock may be off the scorer's for a command to count."""
        self.window = window
        """Records sent and waiting for their ack. 100 keeps one station's backlog flowing
        (0.35-0.46x bare paho QoS 1 end to end, docs/SCALING.md)."""
        self.ack_timeout_s = ack_timeout_s
        """Seconds a sent record waits for its ack before it is sent again."""
        self.on_command: CommandHandler | None = None
        self._connected = threading.Event()
        self._connected_since = 0.0
        self._resend = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._status: dict[str, Any] = self._status_payload("idle", online=True)
        self.client = make_client(
            client_id or f"benchscore-{topics.event}-{topics.station}", broker
        )
        self.client.max_inflight_messages_set(max(20, window))  # the whole window on the wire
        self.client.will_set(
            topics.status,
            self._signed(topics.status, self._status_payload("offline", online=False)),
            qos=1,
            retain=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.published_records = 0
        self.denied = 0
        self.refused_messages = 0
        """Acks and commands refused (bad signature, expired, replayed)."""
        self.since = time.time()
        """When ``connected`` last changed (wall time)."""
        self.last_problem = ""
        """Why the link is down, in words (empty while connected)."""
        self._last_warning = 0.0
        self._log = LogBudget(log, counted_in="refused_messages")
        """A few refusal lines a minute: forged acks on an open broker must not fill the card."""
        self._forwarder = threading.Thread(target=self._forward, name="outbox", daemon=True)

    def _signed(self, topic: str, payload: dict[str, Any]) -> bytes:
        return sign_payload(self.identity, topic, payload)

    def _warning_due(self) -> bool:
        return not self._last_warning or time.monotonic() - self._last_warning >= 60.0

    def _warn_link(self, problem: str) -> None:
        """Say why the station is cut off: a warning at most once a minute, then debug."""
        self.last_problem = problem
        now = time.monotonic()
        if now - self._last_warning >= 60.0 or not self._last_warning:
            self._last_warning = now
            log.warning(
                "broker %s:%d: %s (results are kept in the outbox)",
                self.broker.host,
                self.broker.port,
                problem,
            )
        else:
            log.debug("broker: %s", problem)

    def _status_payload(self, state: str, *, online: bool, reason: str = "") -> dict[str, Any]:
        payload: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "type": "status",
            "event": self.topics.event,
            "station": self.topics.station,
            "online": online,
            "state": state,
            "boot_id": self.boot_id,
            "sw": __version__,
            "task": self.task,
        }
        if reason:
            payload["reason"] = reason[:500]
        return payload

    # -- paho callbacks (network thread) -------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_is_failure(reason_code):
            self._warn_link(f"refused the connection: {reason_code}")
            return
        self.last_problem = ""
        self.since = time.time()
        log.info(
            "connected to %s:%d (MQTT %s)",
            self.broker.host,
            self.broker.port,
            self.broker.protocol,
        )
        client.subscribe([(self.topics.ack, 1), (self.topics.cmd, 1)])
        with self._lock:
            status = dict(self._status)
        client.publish(
            self.topics.status, self._signed(self.topics.status, status), qos=1, retain=True
        )
        self._connected_since = time.time()
        self._resend.set()
        self._connected.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        if self._warning_due():
            self._warn_link(f"cannot connect: {broker_problem(self.broker.host, self.broker.port)}")

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self._connected.is_set():
            self.since = time.time()
        if not self._stop.is_set():
            self._warn_link(f"disconnected: {reason_code}")
        self._connected.clear()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        if reason_is_failure(reason_code):
            self.denied += 1
            log.error("broker refused message %d: %s", mid, reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        raw = bytes(msg.payload)
        try:
            parts, obj = protocol.parse(msg.topic, raw, protocol.SCORER_KINDS)
            if parts.station != self.topics.station:
                raise PayloadError("wrong_topic", f"message for {parts.station}")
            if self.scorer_key is None:
                raise PayloadError("bad_signature", "no scorer key pinned on this station")
            if obj.get("kid") != self.scorer_key.kid or not verify_payload(
                self.scorer_key, msg.topic, raw
            ):
                raise PayloadError("bad_signature", "not signed by the pinned scorer key")
        except PayloadError as exc:
            self.refused_messages += 1
            self._log.warning(
                f"refused {exc.reason}", "refused %s from the scorer: %s", exc.reason, exc.detail
            )
            return
        if parts.kind == "ack":
            deleted = self.outbox.ack(obj["boot_id"], obj["seqs"])
            log.debug("ack %s: %d deleted, %d waiting", obj["seqs"], deleted, self.outbox.depth)
            return
        refusal = self._command_refusal(obj)
        if refusal:
            self.refused_messages += 1
            log.warning("refused command %s (%s): %s", obj["cmd_id"], obj["command"], refusal)
            ok, detail = False, refusal
        elif self.on_command is None:
            ok, detail = False, "no command handler"
        else:
            try:
                ok, detail = self.on_command(obj["command"], obj["args"])
            except Exception as exc:  # a bad command must not kill the network thread
                log.exception("command %s failed", obj["command"])
                ok, detail = False, f"error: {exc}"
        reply = {
            "schema": SCHEMA_VERSION,
            "type": "reply",
            "event": self.topics.event,
            "station": self.topics.station,
            "cmd_id": obj["cmd_id"],
            "ok": ok,
            "detail": detail[:500],
        }
        client.publish(self.topics.reply, self._signed(self.topics.reply, reply), qos=1)

    def _command_refusal(self, obj: dict[str, Any]) -> str:
        """Why a verified command must not run: expired, from the future, or seen before."""
        now = time.time()
        if obj["exp"] + self.clock_skew_s < now:
            return f"expired at {obj['exp']:.0f} (station clock {now:.0f})"
        if obj["iat"] - self.clock_skew_s > now:
            return f"issued in the future ({obj['iat']:.0f}; station clock {now:.0f})"
        if not self.outbox.remember_command(obj["cmd_id"], obj["exp"] + self.clock_skew_s):
            return "replayed: this command id was already carried out"
        return ""

    # -- the forwarder ---------------------------------------------------------------------
    def _forward(self) -> None:
        """Publish outbox records in order, at most ``window`` waiting for acks."""
        cursor = 0  # the highest seq sent on this connection
        flight = _InFlight()
        next_check = 0.0
        while not self._stop.is_set():
            if not self._connected.wait(0.2):
                continue
            seen = self.outbox.generation  # an ack from here on ends the wait below at once
            if self._resend.is_set():
                self._resend.clear()
                cursor = 0
                flight = _InFlight()
            waiting = self.outbox.count_upto(cursor) if cursor else 0
            now = time.monotonic()
            if waiting and now >= next_check:
                next_check = now + min(1.0, self.ack_timeout_s / 4)
                self._resend_overdue(cursor, flight, now)
            room = self.window - waiting
            if room > 0:
                sent: list[int] = []
                for row in self.outbox.pending(cursor, room):
                    if not self._connected.is_set():
                        break
                    self._publish_row(row.topic, row.payload, row.created_at, row.sent_count)
                    sent.append(row.seq)
                    flight.sent_at[row.seq] = time.monotonic()
                    cursor = row.seq
                if sent:
                    self.outbox.mark_sent(sent)  # one statement for the whole window
            self.outbox.wait_changed(0.5, seen)

    def _resend_overdue(self, cursor: int, flight: _InFlight, now: float) -> None:
        """Send again the records up to ``cursor`` the scorer has most likely missed: still
        unacknowledged ``ack_timeout_s`` after they were sent, and either a record sent after
        them has been acked (so acks are flowing and passed them by) or no ack at all has come
        for ``ack_timeout_s``. A scorer that is only slow acks in order and gets no copies."""
        unacked = self.outbox.unacked_upto(cursor, self.window)
        acked = set(flight.sent_at).difference(unacked)
        if acked:
            flight.highest_acked = max(flight.highest_acked, *acked)
            flight.last_ack = now
            for seq in acked:
                del flight.sent_at[seq]
        silent = now - flight.last_ack > self.ack_timeout_s
        overdue = {
            s
            for s in unacked
            if now - flight.sent_at.get(s, now) > self.ack_timeout_s
            and (silent or s < flight.highest_acked)
        }
        if not overdue:
            return
        log.warning(
            "no ack for %.0f s: sending %d records again (seq %d to %d)",
            self.ack_timeout_s,
            len(overdue),
            min(overdue),
            max(overdue),
        )
        again: list[int] = []
        for row in self.outbox.pending(min(overdue) - 1, self.window):
            if row.seq > cursor or not self._connected.is_set():
                break
            if row.seq in overdue:
                self._publish_row(row.topic, row.payload, row.created_at, row.sent_count)
                again.append(row.seq)
                flight.sent_at[row.seq] = time.monotonic()
        if again:
            self.outbox.mark_sent(again)

    def _publish_row(
        self, topic: str, payload: dict[str, Any], created_at: float, sent_count: int
    ) -> None:
        body = dict(payload)
        if sent_count > 0 or created_at < self._connected_since:
            body["historical"] = True
        self.client.publish(topic, self._signed(topic, body), qos=1)
        self.published_records += 1

    # -- API -------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (paho reconnects by itself) and start forwarding."""
        connect_async(self.client, self.broker)
        self._forwarder.start()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def publish_status(self, state: str, reason: str = "", **extra: Any) -> None:
        """Publish (retained) the station's state; remembered for the next birth message."""
        with self._lock:
            self._status = {**self._status_payload(state, online=True, reason=reason), **extra}
            payload = self._signed(self.topics.status, self._status)
        if self.connected:
            self.client.publish(self.topics.status, payload, qos=1, retain=True)

    def rebirth(self) -> None:
        """Publish the current status again (on the scorer's request)."""
        with self._lock:
            payload = self._signed(self.topics.status, self._status)
        self.client.publish(self.topics.status, payload, qos=1, retain=True)

    def publish_live(self, values: dict[str, Any]) -> None:
        """Publish a live sample at QoS 0 (dropped when offline: it is only a preview)."""
        if not self.connected:
            return
        self.client.publish(
            self.topics.live,
            self._signed(self.topics.live, values),
            qos=0,
            properties=expiry_properties(self.broker, LIVE_EXPIRY_S),
        )

    def put_record(self, record: dict[str, Any], closes_run: str | None = None) -> int:
        """Store a record in the outbox (durably) for the forwarder; return its seq.

        ``closes_run`` ends that open run in the same transaction (a result record)."""
        return self.outbox.put(
            self.topics.record, record, boot_id=self.boot_id, closes_run=closes_run
        )

    def close(self) -> None:
        """Stop forwarding, say goodbye with a retained offline status, disconnect."""
        self._stop.set()
        if self._forwarder.is_alive():
            self._forwarder.join(5)
        if self.connected:
            info = self.client.publish(
                self.topics.status,
                self._signed(self.topics.status, self._status_payload("offline", online=False)),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        close_client(self.client)
