"""The station's MQTT link: birth/death status, live samples, result records.

* ``status``: retained, QoS 1. Published at connect (birth) and on every state change; the
  Will carries the same topic with ``online: false`` so the hall sees a dead station.
* ``live``: QoS 0, MQTT 5 message expiry :data:`~benchscore.protocol.LIVE_EXPIRY_S`.
* ``record``: QoS 1, one per run, carrying ``(boot_id, seq)``.

paho keeps unacknowledged QoS 1 messages in memory and re-sends them after a reconnect; the
durable outbox of a later release sits in front of :meth:`publish_record`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import __version__
from benchscore.mqtt import (
    BrokerConfig,
    connect_async,
    expiry_properties,
    make_client,
    reason_is_failure,
)
from benchscore.protocol import LIVE_EXPIRY_S, SCHEMA_VERSION, Topics, encode

log = logging.getLogger(__name__)


class StationLink:
    """One station's connection to the broker."""

    def __init__(self, broker: BrokerConfig, topics: Topics, boot_id: str, task: str) -> None:
        self.broker = broker
        self.topics = topics
        self.boot_id = boot_id
        self.task = task
        self._connected = threading.Event()
        self._status: dict[str, Any] = self._status_payload("idle", online=True)
        self._lock = threading.Lock()
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
        self.published_records = 0

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
            "connected to %s:%d (MQTT %s)", self.broker.host, self.broker.port, self.broker.protocol
        )
        self._connected.set()
        with self._lock:
            status = dict(self._status)
        client.publish(self.topics.status, encode(status), qos=1, retain=True)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self._connected.is_set():
            log.warning("disconnected from broker: %s", reason_code)
        self._connected.clear()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        if reason_is_failure(reason_code):
            log.error("broker refused message %d: %s", mid, reason_code)

    # -- API -------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background; reconnects by itself."""
        connect_async(self.client, self.broker)

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def publish_status(self, state: str, reason: str = "", **extra: Any) -> None:
        """Publish (retained) the station's state; remembered for the next birth message."""
        with self._lock:
            self._status = {**self._status_payload(state, online=True, reason=reason), **extra}
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

    def publish_record(self, record: dict[str, Any]) -> None:
        """Publish a run record at QoS 1 (paho queues it while the broker is away)."""
        info = self.client.publish(self.topics.record, encode(record), qos=1)
        self.published_records += 1
        log.info("record seq=%s queued as mid %s (rc=%s)", record.get("seq"), info.mid, info.rc)

    def close(self) -> None:
        """Say goodbye cleanly: a retained offline status, then disconnect."""
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
