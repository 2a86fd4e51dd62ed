"""The station's MQTT link: status with a Will, live samples, records from the outbox,
acks and commands from the scorer.

* ``status``: retained, QoS 1, at connect (birth), on every change, and as the Will.
* ``live``: QoS 0, MQTT 5 message expiry :data:`~benchscore.protocol.LIVE_EXPIRY_S`.
* ``record``: QoS 1, published by the forwarder thread from the :class:`Outbox` in ``seq``
  order, signed when the station has a key. After a reconnect, or when the scorer's ack does
  not come within ``ack_timeout_s``, everything unacknowledged is sent again; a record created
  before the current connection is marked ``historical``.
* ``ack`` (from the scorer): deletes the acknowledged records from the outbox.
* ``cmd`` (from the scorer): handed to the station; answered on ``reply``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import __version__, protocol
from benchscore.mqtt import (
    BrokerConfig,
    connect_async,
    expiry_properties,
    make_client,
    reason_is_failure,
)
from benchscore.protocol import LIVE_EXPIRY_S, SCHEMA_VERSION, PayloadError, Topics, encode
from benchscore.signing import sign
from firmware_py.outbox import Outbox

log = logging.getLogger(__name__)

CommandHandler = Callable[[str, dict[str, Any]], tuple[bool, str]]
"""(command, args) -> (ok, detail)."""


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
        key: bytes | None = None,
        window: int = 50,
        ack_timeout_s: float = 30.0,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.boot_id = boot_id
        self.task = task
        self.outbox = outbox
        self.key = key
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.on_command: CommandHandler | None = None
        self._connected = threading.Event()
        self._connected_since = 0.0
        self._resend = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._status: dict[str, Any] = self._status_payload("idle", online=True)
        self.client = make_client(f"benchscore-{topics.event}-{topics.station}", broker)
        self.client.will_set(
            topics.status,
            encode(self._status_payload("offline", online=False)),
            qos=1,
            retain=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.published_records = 0
        self.denied = 0
        self._forwarder = threading.Thread(target=self._forward, name="outbox", daemon=True)

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
            log.warning("broker refused the connection: %s", reason_code)
            return
        log.info(
            "connected to %s:%d (MQTT %s)",
            self.broker.host,
            self.broker.port,
            self.broker.protocol,
        )
        client.subscribe([(self.topics.ack, 1), (self.topics.cmd, 1)])
        with self._lock:
            status = dict(self._status)
        client.publish(self.topics.status, encode(status), qos=1, retain=True)
        self._connected_since = time.time()
        self._resend.set()
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self._connected.is_set() and not self._stop.is_set():
            log.warning("disconnected from broker: %s", reason_code)
        self._connected.clear()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        if reason_is_failure(reason_code):
            self.denied += 1
            log.error("broker refused message %d: %s", mid, reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            parts, obj = protocol.parse(msg.topic, bytes(msg.payload), protocol.SCORER_KINDS)
            if parts.station != self.topics.station:
                raise PayloadError("wrong_topic", f"message for {parts.station}")
        except PayloadError as exc:
            log.warning("ignored %s from the scorer: %s", exc.reason, exc.detail)
            return
        if parts.kind == "ack":
            deleted = self.outbox.ack(obj["boot_id"], obj["seqs"])
            log.debug("ack %s: %d deleted, %d waiting", obj["seqs"], deleted, self.outbox.depth)
            return
        ok, detail = False, "no command handler"
        if self.on_command is not None:
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
        client.publish(self.topics.reply, encode(reply), qos=1)

    # -- the forwarder ---------------------------------------------------------------------
    def _forward(self) -> None:
        """Publish outbox records in order, at most ``window`` waiting for acks."""
        cursor = 0
        last_progress = time.monotonic()
        last_depth = self.outbox.depth
        while not self._stop.is_set():
            if not self._connected.wait(0.2):
                continue
            if self._resend.is_set():
                self._resend.clear()
                cursor = 0
            depth = self.outbox.depth
            if depth < last_depth or depth == 0:
                last_progress = time.monotonic()
            last_depth = depth
            waiting = self.outbox.count_upto(cursor) if cursor else 0
            if waiting and time.monotonic() - last_progress > self.ack_timeout_s:
                log.warning(
                    "no ack for %.0f s: sending %d records again", self.ack_timeout_s, waiting
                )
                cursor, last_progress = 0, time.monotonic()
                waiting = 0
            room = self.window - waiting
            if room > 0:
                for row in self.outbox.pending(cursor, room):
                    if not self._connected.is_set():
                        break
                    self._publish_row(row.topic, row.payload, row.created_at, row.sent_count)
                    self.outbox.mark_sent(row.seq)
                    cursor = row.seq
            self.outbox.wait_changed(0.5)

    def _publish_row(
        self, topic: str, payload: dict[str, Any], created_at: float, sent_count: int
    ) -> None:
        body = dict(payload)
        if sent_count > 0 or created_at < self._connected_since:
            body["historical"] = True
        if self.key is not None:
            body = sign(body, self.key)
        self.client.publish(topic, encode(body), qos=1)
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
            payload = encode(self._status)
        if self.connected:
            self.client.publish(self.topics.status, payload, qos=1, retain=True)

    def rebirth(self) -> None:
        """Publish the current status again (on the scorer's request)."""
        with self._lock:
            payload = encode(self._status)
        self.client.publish(self.topics.status, payload, qos=1, retain=True)

    def publish_live(self, values: dict[str, Any]) -> None:
        """Publish a live sample at QoS 0 (dropped when offline: it is only a preview)."""
        if not self.connected:
            return
        self.client.publish(
            self.topics.live,
            encode(values),
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
                encode(self._status_payload("offline", online=False)),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self.client.disconnect()
        self.client.loop_stop()
