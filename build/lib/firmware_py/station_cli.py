"""``benchscore station status``, ``benchscore outbox ...`` and ``benchscore keygen``.

Tools for a technician at a station: what the daemon last said (its retained status on the
broker), what waits in the outbox, and a way to push the outbox to the scorer by hand when the
daemon cannot (replay publishes every waiting record and deletes those the scorer acks).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import protocol
from benchscore.mqtt import connect_async, make_client
from benchscore.signing import generate_key_file, load_key_file, sign
from firmware_py.config import StationConfig
from firmware_py.outbox import Outbox


def _outbox(config: StationConfig) -> Outbox:
    return Outbox(config.state_dir / "outbox.db", capacity=config.outbox_capacity)


def retained_status(config: StationConfig, timeout_s: float = 3.0) -> dict[str, Any] | None:
    """The station's retained status message from the broker, or None if there is none."""
    topics = protocol.Topics(config.event, config.station_id)
    got: dict[str, Any] = {}
    done = threading.Event()
    client = make_client(f"benchscore-status-{config.station_id}-{time.time_ns()}", config.broker)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(topics.status, qos=1)

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            got.update(json.loads(msg.payload))
        except ValueError:
            got["error"] = "unreadable status payload"
        done.set()

    client.on_connect = on_connect
    client.on_message = on_message
    connect_async(client, config.broker)
    try:
        done.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    return got or None


def station_status(config: StationConfig) -> dict[str, Any]:
    """What a technician wants to know about this station, as a dict."""
    box = _outbox(config)
    try:
        oldest = box.oldest()
        local = {
            "outbox_depth": box.depth,
            "outbox_full": box.full,
            "oldest_waiting_age_s": round(time.time() - oldest.created_at, 1) if oldest else None,
            "open_runs": [r.run_id for r in box.open_runs()],
        }
    finally:
        box.close()
    return {
        "station": config.station_id,
        "event": config.event,
        "task": config.task.id,
        "broker": f"{config.broker.host}:{config.broker.port}",
        "outbox": local,
        "status": retained_status(config),
    }


def outbox_list(config: StationConfig, limit: int = 50) -> list[dict[str, Any]]:
    """The oldest waiting records: seq, boot, kind, run, age, send count."""
    box = _outbox(config)
    try:
        now = time.time()
        return [
            {
                "seq": r.seq,
                "boot_id": r.boot_id,
                "kind": r.payload.get("kind"),
                "run_id": r.payload.get("run_id"),
                "outcome": r.payload.get("outcome"),
                "age_s": round(now - r.created_at, 1),
                "sent": r.sent_count,
            }
            for r in box.pending(0, limit)
        ]
    finally:
        box.close()


def outbox_replay(config: StationConfig, timeout_s: float = 30.0) -> dict[str, int]:
    """Publish every waiting record (historical, signed if there is a key); wait for acks.

    For use while the daemon is stopped (it would otherwise be doing the same)."""
    box = _outbox(config)
    key = load_key_file(config.key_file) if config.key_file else None
    topics = protocol.Topics(config.event, config.station_id)
    connected = threading.Event()
    client = make_client(f"benchscore-replay-{config.station_id}", config.broker)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(topics.ack, qos=1)
        connected.set()

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            _, ack = protocol.parse(msg.topic, bytes(msg.payload), protocol.SCORER_KINDS)
        except protocol.PayloadError:
            return
        box.ack(ack["boot_id"], ack["seqs"])

    client.on_connect = on_connect
    client.on_message = on_message
    connect_async(client, config.broker)
    sent = 0
    try:
        if not connected.wait(10):
            raise ConnectionError(
                f"cannot reach the broker at {config.broker.host}:{config.broker.port}"
            )
        before = box.depth
        for row in box.pending(0, 1_000_000):
            body = dict(row.payload, historical=True)
            client.publish(row.topic, protocol.encode(sign(body, key) if key else body), qos=1)
            box.mark_sent(row.seq)
            sent += 1
        deadline = time.monotonic() + timeout_s
        while box.depth and time.monotonic() < deadline:
            time.sleep(0.1)
        return {
            "waiting_before": before,
            "sent": sent,
            "acked": before - box.depth,
            "still_waiting": box.depth,
        }
    finally:
        client.disconnect()
        client.loop_stop()
        box.close()


def keygen(path: str) -> str:
    """Create a station key file (0600) and say where the scorer's copy goes."""
    generate_key_file(path)
    load_key_file(path)  # proves it is private and well formed
    name = Path(path).stem
    return (
        f"wrote {path} (mode 0600). Copy it to the scorer as <keys_dir>/{name}.key "
        f'and set [station] key_file = "{path}" on the station.'
    )
