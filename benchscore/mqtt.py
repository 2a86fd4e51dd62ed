"""The one place paho-mqtt is configured: VERSION2 callbacks, MQTT 5 or 3.1.1.

Station and scorer both build their client here, so protocol choice, reconnect back-off and
the Will are set the same way everywhere. MQTT 5 properties (message expiry) are only attached
when the connection speaks 5; on 3.1.1 brokers (the demo's embedded broker) they are omitted.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

PROTOCOLS = {"5": mqtt.MQTTv5, "3.1.1": mqtt.MQTTv311}


@dataclass(frozen=True)
class BrokerConfig:
    """Where the broker is and how to talk to it."""

    host: str = "127.0.0.1"
    port: int = 1883
    protocol: str = "5"
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 15
    tls_ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"broker.protocol {self.protocol!r} must be one of {list(PROTOCOLS)}")
        if not 0 < self.port < 65536:
            raise ValueError(f"broker.port {self.port} is not a TCP port")

    @property
    def is_v5(self) -> bool:
        return self.protocol == "5"


def make_client(client_id: str, broker: BrokerConfig) -> mqtt.Client:
    """Create a paho client with VERSION2 callbacks for ``broker``'s protocol."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=PROTOCOLS[broker.protocol],
        clean_session=None if broker.is_v5 else True,
    )
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.on_socket_open = _no_delay
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls_ca_file:
        client.tls_set(ca_certs=broker.tls_ca_file)
    return client


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send each packet at once (TCP_NODELAY). paho leaves Nagle's algorithm on, which holds a
    small packet (a PUBACK, an ack, the next record) until the peer acknowledges the last one,
    and the peer's delayed ACK then costs up to 40 ms a round."""
    with contextlib.suppress(OSError, AttributeError):  # a Unix socket or a WebSocket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connect_async(client: mqtt.Client, broker: BrokerConfig) -> None:
    """Start connecting in the background; paho's loop thread reconnects by itself."""
    if broker.is_v5:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0
        client.connect_async(
            broker.host,
            broker.port,
            keepalive=broker.keepalive_s,
            clean_start=True,
            properties=props,
        )
    else:
        client.connect_async(broker.host, broker.port, keepalive=broker.keepalive_s)
    client.loop_start()


def close_client(client: mqtt.Client) -> None:
    """Disconnect, stop paho's network thread and close every socket the client opened.

    paho 2.2 opens a loopback socket pair for waking its loop on every ``loop_start`` and
    closes it only in ``Client.__del__``; a client caught in a reference cycle leaks it to the
    garbage collector (a ResourceWarning) and a client restarted leaks one pair per start.
    """
    client.disconnect()
    client.loop_stop()
    client._reset_sockets()  # closes the network socket and the wake-up pair


def expiry_properties(broker: BrokerConfig, seconds: int) -> Properties | None:
    """PUBLISH properties with a message expiry, or None on MQTT 3.1.1."""
    if not broker.is_v5:
        return None
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.MessageExpiryInterval = seconds
    return props


def reason_is_failure(reason_code: Any) -> bool:
    """True when a VERSION2 reason code (ReasonCode or int) reports a failure."""
    failure = getattr(reason_code, "is_failure", None)
    if failure is not None:
        return bool(failure)
    return bool(reason_code)
