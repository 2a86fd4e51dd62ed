"""The scorer's MQTT link: subscribe to every station of an event and feed :class:`Ingest`.

The client is built by :func:`benchscore.mqtt.make_client` (VERSION2 callbacks, MQTT 5 or
3.1.1). Subscriptions are made in ``on_connect``, so they are renewed after every reconnect
(the session is clean: the broker forgets them when the scorer goes away). Station messages
are queued for the ingest worker (:class:`~scorer.ingest_queue.IngestQueue`), which stores
records in batches and acks them once committed; adoption hellos are handled at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import protocol
from benchscore.identity import Identity
from benchscore.mqtt import (
    BrokerConfig,
    close_client,
    connect_async,
    expiry_properties,
    make_client,
    reason_is_failure,
)
from benchscore.signing import sign_payload

from .ingest import Ingest
from .ingest_queue import IngestQueue

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


COMMAND_LIFE_S = 60
"""A command's life (``exp - iat``) and its MQTT 5 message expiry."""

HelloHandler = Callable[[str, bytes], object]


def publish_command(
    client: mqtt.Client,
    broker: BrokerConfig,
    scorer: Identity,
    event: str,
    station: str,
    cmd_id: str,
    command: str,
    args: dict[str, Any],
) -> mqtt.MQTTMessageInfo:
    """Publish a command to ``station``, signed by the scorer key, with its issue time and
    expiry (QoS 1; the broker drops it after 60 s on MQTT 5, the station refuses it then too)."""
    now = time.time()
    payload = {
        "schema": protocol.SCHEMA_VERSION,
        "type": "cmd",
        "event": event,
        "station": station,
        "cmd_id": cmd_id,
        "command": command,
        "args": args,
        "iat": now,
        "exp": now + COMMAND_LIFE_S,
    }
    topic = protocol.scorer_topic(event, station, "cmd")
    return client.publish(
        topic,
        sign_payload(scorer, topic, payload),
        qos=1,
        properties=expiry_properties(broker, COMMAND_LIFE_S),
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
        *,
        scorer: Identity,
        on_hello: HelloHandler | None = None,
    ) -> None:
        self.broker = broker
        self.ingest = ingest
        self.event = event
        self.share_group = share_group
        self.scorer = scorer
        self.on_hello = on_hello
        """Where unadopted stations' announcements go (the fleet's adoption)."""
        self.filters = subscriptions(event, share_group)
        if on_hello is not None:
            self.filters.append(protocol.adopt_subscription("hello"))
        self.queue = IngestQueue(ingest)
        """Station messages wait here for the ingest worker (off the network thread)."""
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
        self.queue.start()
        connect_async(self.client, self.broker)

    def stop(self) -> None:
        """Ingest what is queued (its acks still go out), disconnect and stop the network
        thread; safe to call twice or before start. Messages that arrive meanwhile are not
        ingested: they are not acked, so their stations send them again."""
        if not self._started:
            return
        self._started = False
        try:
            self.queue.stop()
        finally:
            close_client(self.client)
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
        payload = protocol.ack_payload(event, station, boot_id, seqs)
        topic = protocol.scorer_topic(event, station, "ack")
        self.client.publish(topic, sign_payload(self.scorer, topic, payload), qos=1)

    def publish(self, topic: str, payload: bytes, retain: bool) -> None:
        """Publish a payload the caller built and signed (QoS 1): adoption messages."""
        self.client.publish(topic, payload, qos=1, retain=retain)

    def send_command(
        self, event: str, station: str, cmd_id: str, command: str, args: dict[str, Any]
    ) -> None:
        """Send a command to ``station`` (QoS 1, expires after 60 s on MQTT 5)."""
        publish_command(
            self.client, self.broker, self.scorer, event, station, cmd_id, command, args
        )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = repr(bytes(message._topic))
        if self.on_hello is not None and topic.startswith(protocol.ADOPT_PREFIX):
            self._hello(topic, bytes(message.payload))
            return
        if self._started:
            self.queue.put(topic, bytes(message.payload))  # blocks while the worker is behind

    def _hello(self, topic: str, payload: bytes) -> None:
        assert self.on_hello is not None
        try:
            self.on_hello(topic, payload)
        except protocol.PayloadError as exc:
            log.warning("ignored adoption hello on %s: %s", topic, exc)
        except Exception:
            log.exception("adoption hello on %s failed", topic)
