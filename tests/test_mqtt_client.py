"""benchscore.mqtt.close_client leaves no socket of a paho client open."""

from __future__ import annotations

import os
import time

from benchscore.mqtt import BrokerConfig, close_client, connect_async, make_client
from tests.support.brokers import Mosquitto


def open_sockets() -> set[str]:
    """The inodes of this process's open sockets, from /proc/self/fd."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def test_close_client_closes_the_network_socket_and_the_wake_up_pair(
    mosquitto: Mosquitto,
) -> None:
    before = open_sockets()
    client = make_client(f"fd-check-{time.monotonic_ns()}", BrokerConfig(port=mosquitto.port))
    connect_async(client, BrokerConfig(port=mosquitto.port))
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.is_connected()
    # paho's loop thread holds its network socket and a loopback pair for waking the loop
    assert len(open_sockets() - before) >= 3
    close_client(client)
    assert open_sockets() - before == set()


def test_close_client_before_any_connection_is_harmless() -> None:
    before = open_sockets()
    client = make_client("never-connected", BrokerConfig(port=1))
    client.loop_start()
    close_client(client)
    assert open_sockets() - before == set()
