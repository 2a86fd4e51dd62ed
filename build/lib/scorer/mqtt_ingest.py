"""The scorer's MQTT link: subscribe to every station of an event and feed :class:`Ingest`.

The client is built by :func:`benchscore.mqtt.make_client` (VERSION2 callbacks, MQTT 5 or
3.1.1). Subscriptions are made in ``on_connect``, so they are renewed after every reconnect
(the session is clean: the broker forgets them when the scorer goes away).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import protocol
from benchscore.mqtt import (
    BrokerConfig,
    connect_async,
    expiry_properties,
    make_client,
    reason_is_failure,
)

from .ingest import Ingest

log = logging.getLogger(__name__)


SHARED_KINDS = ("record", "reply")
"""Topic kinds a group of scorer workers shares (each message goes to one worker). Status
stays a plain subscription (retained messages are not sent on shared subscriptions, and every
worker's hall page needs all stations), and so do live samples (kept in each worker's memory)."""


def subscriptions(event: str = "+", share_group: str | None = None) -> list[str]:
    """The scorer's topic filters; with ``share_group`` records and replies are shared."""
    filters = protocol.subscription(event)
    if share_group is None:
        return filters
    return [
        f"$share/{share_group}/{f}" if f.rsplit("/", 1)[1] in SHARED_KINDS else f for f in filters
    ]


def publish_command(
    client: mqtt.Client,
    broker: BrokerConfig,
    event: str,
    station: str,
    cmd_id: str,
    command: str,
    args: dict[str, Any],
) -> mqtt.MQTTMessageInfo:
    """Publish a command to ``station`` (QoS 1, expires after 60 s on MQTT 5)."""
    payload = {
        "schema": protocol.SCHEMA_VERSION,
        "type": "cmd",
        "event": event,
        "station": station,
        "cmd_id": cmd_id,
        "command": command,
        "args": args,
    }
    return client.publish(
        protocol.scorer_topic(event, station, "cmd"),
        protocol.encode(payload),
        qos=1,
        properties=expiry_properties(broker, 60),
    )


class MqttIngest:
    """A paho client subscribed to ``protocol.subscription(event)`` at QoS 1 (records and
    replies through ``$share/<share_group>/`` when several scorer workers share the ingest)."""

    def __init__(
        self,
        broker: BrokerConfig,
        ingest: Ingest,
        event: str = "+",
        client_id: str = "benchscore-scorer",
        share_group: str | None = None,
    ) -> None:
        self.broker = broker
        self.ingest = ingest
        self.event = event
        self.share_group = share_group
        self.filters = subscriptions(event, share_group)
        self.client = make_client(client_id, broker)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self._state_lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._sub_mid: int | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background; paho's loop thread reconnects by itself."""
        if self._started:
            return
        self._started = True
        log.info(
            "connecting to MQTT %s:%s (MQTT %s) for event %r",
            self.broker.host,
            self.broker.port,
            self.broker.protocol,
            self.event,
        )
        connect_async(self.client, self.broker)

    def stop(self) -> None:
        """Disconnect and stop the network thread; safe to call twice or before start."""
        if not self._started:
            return
        self._started = False
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
            self._connected.clear()
            self._subscribed.clear()

    @property
    def connected(self) -> bool:
        """True while connected and subscribed (ready to receive station messages)."""
        return self._connected.is_set() and self._subscribed.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until connected and subscribed; return whether that happened in time."""
        if not self._subscribed.wait(timeout):
            return False
        return self.connected

    # -- paho callbacks (network thread) -----------------------------------------------
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Any,
    ) -> None:
        if reason_is_failure(reason_code):
            log.error("MQTT connection refused: %s", reason_code)
            return
        log.info("connected to MQTT %s:%s", self.broker.host, self.broker.port)
        self._connected.set()
        result, mid = client.subscribe([(f, 1) for f in self.filters])
        if result != mqtt.MQTT_ERR_SUCCESS:
            log.error("subscribe to %s failed: %s", self.filters, mqtt.error_string(result))
            return
        with self._state_lock:
            self._sub_mid = mid

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[Any],
        properties: Any,
    ) -> None:
        with self._state_lock:
            if mid != self._sub_mid:
                return
        failed = [str(rc) for rc in reason_codes if reason_is_failure(rc)]
        if failed:
            log.error("broker refused subscriptions %s: %s", self.filters, failed)
            return
        log.info("subscribed to %s", ", ".join(self.filters))
        self._subscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Any,
    ) -> None:
        self._connected.clear()
        self._subscribed.clear()
        if self._started:
            log.warning("disconnected from MQTT (%s); reconnecting", reason_code)

    def send_ack(self, event: str, station: str, boot_id: str, seqs: list[int]) -> None:
        """Tell ``station`` that records ``seqs`` of ``boot_id`` are stored (QoS 1)."""
        payload = {
            "schema": protocol.SCHEMA_VERSION,
            "type": "ack",
            "event": event,
            "station": station,
            "boot_id": boot_id,
            "seqs": seqs,
        }
        self.client.publish(
            protocol.scorer_topic(event, station, "ack"), protocol.encode(payload), qos=1
        )

    def send_command(
        self, event: str, station: str, cmd_id: str, command: str, args: dict[str, Any]
    ) -> None:
        """Send a command to ``station`` (QoS 1, expires after 60 s on MQTT 5)."""
        publish_command(self.client, self.broker, event, station, cmd_id, command, args)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = repr(bytes(message._topic))
        self.ingest.handle(topic, bytes(message.payload))
