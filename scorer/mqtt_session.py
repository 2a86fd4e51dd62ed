"""A short-lived MQTT connection with the scorer's login, for the command-line tools that
publish (adoption messages, clock commands): connect or say in one line why not, publish at
QoS 1, and on close wait (up to the timeout) for every PUBACK before disconnecting."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from benchscore.mqtt import (
    BrokerConfig,
    close_client,
    connect_async,
    make_client,
    reason_is_failure,
)


class MqttSession:
    """One connection; ``client`` is paho's (for the broker admin's own requests)."""

    def __init__(self, broker: BrokerConfig, tool: str, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self.client = make_client(f"benchscore-{tool}-{os.getpid()}-{time.monotonic_ns()}", broker)
        self._up = threading.Event()
        self._refused = ""
        self._infos: list[mqtt.MQTTMessageInfo] = []

        def on_connect(c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
            if reason_is_failure(rc):
                self._refused = str(rc)
            self._up.set()

        self.client.on_connect = on_connect
        connect_async(self.client, broker)
        if not self._up.wait(timeout_s) or self._refused:
            self.close()
            why = f"refused: {self._refused}" if self._refused else "no answer"
            raise ConnectionError(f"MQTT broker {broker.host}:{broker.port}: {why}")

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.track(self.client.publish(topic, payload, qos=1, retain=retain))

    def track(self, info: mqtt.MQTTMessageInfo) -> None:
        """Wait for this message's PUBACK on :meth:`close`."""
        self._infos.append(info)

    def close(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        for info in self._infos:
            while not info.is_published() and time.monotonic() < deadline:
                time.sleep(0.02)
        close_client(self.client)
