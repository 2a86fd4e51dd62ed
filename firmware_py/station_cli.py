"""``benchscore station status|identity`` and ``benchscore outbox ...``.

Tools for a technician at a station: what the daemon last said (its retained status on the
broker), what waits in the outbox, a way to push the outbox to the scorer by hand when the
daemon cannot (replay publishes every waiting record and deletes those the scorer acks), and
``outbox salvage`` for the corrupt database the daemon moved aside. The tools never move a
corrupt outbox themselves: they refuse it in one line (the daemon moves it when it starts).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import __version__, protocol
from benchscore.identity import Identity, PublicKey
from benchscore.mqtt import close_client, connect_async, make_client
from benchscore.signing import sign_payload, verify_payload
from firmware_py.config import StationConfig, StationSetup, load_task
from firmware_py.outbox import Outbox
from firmware_py.outbox_salvage import scan_file


def _outbox(config: StationConfig | StationSetup, *, recover: bool = False) -> Outbox:
    return Outbox(config.state_dir / "outbox.db", capacity=config.outbox_capacity, recover=recover)


def outbox_salvage(config: StationConfig, file: str | Path) -> int:
    """Queue every readable record of the moved-aside outbox ``file`` in the station's outbox
    (with their own seq and boot id); print what was recovered and lost. Exit status: 0 when
    something was recovered or nothing was lost, else 1. Best run with the daemon stopped
    (a running daemon sends the records at its next resend)."""
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(2, "no such outbox file", str(path))
    if path.resolve() == (config.state_dir / "outbox.db").resolve():
        raise ValueError(f"{path}: that is the live outbox; salvage reads a moved-aside one")
    scan = scan_file(path)
    box = _outbox(config, recover=True)
    try:
        added = box.restore(scan.records[seq] for seq in sorted(scan.records))
    finally:
        box.close()
    found = len(scan.records)
    print(
        f"{path.name}: recovered {found} record(s) ({added} newly queued, "
        f"{found - added} already queued); lost {scan.damaged} damaged record(s) and "
        f"{scan.unreadable_pages} unreadable page(s) whose records cannot be counted"
    )
    return 0 if found or not (scan.damaged or scan.unreadable_pages) else 1


def assigned_config(setup: StationSetup) -> StationConfig | None:
    """The station's configuration if it is pre-assigned or adopted, else None."""
    if setup.preassigned is not None:
        station_id, event, task_file = setup.preassigned
        return setup.assign(station_id, event, load_task(task_file))
    if not setup.identity_path.exists():
        return None
    from firmware_py.adoption import apply_adoption, load_adoption

    identity = Identity.load(setup.identity_path)
    adopted = load_adoption(setup, identity)
    return apply_adoption(setup, adopted) if adopted is not None else None


def identity_info(setup: StationSetup) -> dict[str, Any]:
    """This station's key id, pairing code and public key (the key is made if missing)."""
    identity = Identity.load_or_create(setup.identity_path)
    return {
        "kid": identity.kid,
        "code": identity.code,
        "pubkey": identity.public.hex,
        "key_file": str(setup.identity_path),
    }


def _local_status(setup: StationSetup) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((setup.state_dir / "status.json").read_text())
    except (OSError, ValueError):
        return None
    return data


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
        close_client(client)
    return got or None


def station_status(setup: StationSetup) -> dict[str, Any]:
    """What a technician wants to know about this station, as a dict: adopted or not (with the
    pairing code), connected or not (and since when, and why), the outbox, the retained status."""
    local_status = _local_status(setup)
    config = assigned_config(setup)
    out: dict[str, Any] = {
        "version": __version__,
        "adopted": config is not None,
        "broker": f"{setup.broker.host}:{setup.broker.port}",
    }
    if setup.identity_path.exists():
        identity = Identity.load(setup.identity_path)
        out["kid"] = identity.kid
        if config is None:
            out["code"] = identity.code
    if local_status is not None:
        out["state"] = local_status.get("state")
        out["connected"] = bool(local_status.get("connected"))
        out["since"] = local_status.get("since")
        if local_status.get("link_problem"):
            out["link_problem"] = local_status["link_problem"]
    else:
        out["connected"] = False
    if config is None:
        return out
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
    out.update(
        {
            "station": config.station_id,
            "event": config.event,
            "task": config.task.id,
            "outbox": local,
            # a broker that fixes this station's client id would take the daemon's session
            "status": None if config.client_id else retained_status(config),
        }
    )
    return out


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
    identity = Identity.load(config.identity_path)
    scorer_key = PublicKey.from_hex(config.scorer_key) if config.scorer_key else None
    topics = protocol.Topics(config.event, config.station_id)
    connected = threading.Event()
    client_id = config.client_id or f"benchscore-replay-{config.station_id}"
    client = make_client(client_id, config.broker)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(topics.ack, qos=1)
        connected.set()

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        raw = bytes(msg.payload)
        try:
            _, ack = protocol.parse(msg.topic, raw, protocol.SCORER_KINDS)
        except protocol.PayloadError:
            return
        if scorer_key is None or not verify_payload(scorer_key, msg.topic, raw):
            return  # only the pinned scorer's acks delete records
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
            client.publish(row.topic, sign_payload(identity, row.topic, body), qos=1)
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
        close_client(client)
        box.close()
