"""benchscore.mqtt's client: no Nagle delay, and close_client leaves no socket open."""

from __future__ import annotations

import os
import socket
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


def test_packets_go_out_at_once_and_close_client_closes_every_socket(
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
    # each packet goes out at once: Nagle's algorithm would hold a PUBACK or an ack for the
    # peer's delayed ACK (up to 40 ms a round)
    sock = client.socket()
    assert isinstance(sock, socket.socket)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    close_client(client)
    assert open_sockets() - before == set()


def test_close_client_before_any_connection_is_harmless() -> None:
    before = open_sockets()
    client = make_client("never-connected", BrokerConfig(port=1))
    client.loop_start()
    close_client(client)
    assert open_sockets() - before == set()
