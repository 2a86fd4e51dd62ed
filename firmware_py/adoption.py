"""Zero-touch adoption, the station's side.

Every Pi of a hall gets the same image and the same station file (broker address, the shared
enrolment credential, the hardware map). On first start the station makes its own key pair
(:class:`~benchscore.identity.Identity`) and, while nobody has adopted it, announces itself
on ``benchscore/v1/_adopt/<kid>/hello`` (hardware serial, MAC, model, software version, public
key, the procedures its hardware can run) and shows a pairing code. A technician adopts it
(``benchscore stations adopt CODE --as st07`` or the console's fleet page); the scorer answers on
``.../_adopt/<kid>/adopt`` (retained) with a message signed by the scorer key: the station id,
event, task file, the scorer's public key, the station's own broker login (its password sealed
to the station's key), and, when it replaces a broken Pi, the workstation's calibrations and
attempt counters. The station checks the signature (against the key pinned in its file, or the
key the message names on first adoption), stores the message as it came (``adoption.json``),
and becomes READY without a restart.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import platform
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from benchscore import __version__, protocol
from benchscore.identity import Identity, PublicKey
from benchscore.mqtt import (
    BrokerConfig,
    close_client,
    connect_async,
    make_client,
    reason_is_failure,
)
from benchscore.protocol import PayloadError
from benchscore.signing import sign_payload, verify_payload
from firmware_py.config import StationConfig, StationSetup, load_task
from firmware_py.config.simulation import ASSEMBLIES
from firmware_py.operator_io import Display

log = logging.getLogger(__name__)

HELLO_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Adoption:
    """A verified adoption: what the scorer assigned to this station."""

    station_id: str
    event: str
    task_id: str
    task_toml: str
    scorer_key: PublicKey
    adoption_id: str
    broker_username: str | None
    broker_client_id: str | None
    broker_password: str | None
    calibrations: dict[str, Any]
    counters: dict[str, int]
    max_marked_attempts: int | None
    raw: bytes


def machine_facts() -> dict[str, str]:
    """Hardware serial, MAC and model as a technician can read them off the board."""
    serial = _read_text("/proc/device-tree/serial-number") or _read_text("/etc/machine-id")
    model = _read_text("/proc/device-tree/model") or f"{platform.system()} {platform.machine()}"
    return {
        "serial": (serial or "unknown")[:64],
        "mac": _first_mac()[:32],
        "model": model[:100],
        "sw": __version__[:32],
    }


def _read_text(path: str) -> str:
    try:
        return Path(path).read_bytes().rstrip(b"\x00\n ").decode(errors="replace")
    except OSError:
        return ""


def _first_mac() -> str:
    try:
        names = sorted(os.listdir("/sys/class/net"))
    except OSError:
        return "unknown"
    for name in names:
        if name == "lo":
            continue
        mac = _read_text(f"/sys/class/net/{name}/address")
        if mac and mac != "00:00:00:00:00:00":
            return mac
    return "unknown"


def supported_procedures(setup: StationSetup) -> list[str]:
    """The procedures this station's bench can run (the simulated assembly, or every one)."""
    if setup.hardware.backend == "sim":
        return [setup.simulation.assembly]
    return sorted(ASSEMBLIES)


def hello_payload(identity: Identity, setup: StationSetup) -> dict[str, Any]:
    return {
        "schema": protocol.SCHEMA_VERSION,
        "type": "hello",
        "pubkey": identity.public.hex,
        "code": identity.code,
        **machine_facts(),
        "procedures": supported_procedures(setup),
        "ts": time.time(),
    }


def accept_adoption(raw: bytes, identity: Identity, pinned: str | None = None) -> Adoption:
    """Verify and read an adopt message for this station; ValueError saying why it is refused.

    The message must be signed by the scorer key it names, and that key must be the one pinned
    in the station file (when one is pinned)."""
    topic = protocol.adopt_topic(identity.kid, "adopt")
    try:
        obj = protocol.decode(raw)
        protocol.validate_adopt(identity.kid, obj)
    except PayloadError as exc:
        raise ValueError(f"adopt message refused: {exc}") from None
    scorer_key = PublicKey.from_hex(obj["scorer_pubkey"])
    if pinned is not None and scorer_key.hex != pinned:
        raise ValueError(
            f"adopt message refused: signed for scorer key {scorer_key.kid}, this station "
            f"trusts only {PublicKey.from_hex(pinned).kid} (station file scorer_key)"
        )
    if obj.get("kid") != scorer_key.kid or not verify_payload(scorer_key, topic, raw):
        raise ValueError("adopt message refused: the scorer's signature does not verify")
    broker = obj.get("broker") or {}
    password = None
    if broker.get("password_sealed"):
        try:
            sealed = base64.b64decode(broker["password_sealed"], validate=True)
        except ValueError:
            raise ValueError("adopt message refused: password_sealed is not base64") from None
        password = identity.unseal(sealed).decode()
    counters = {
        str(k): int(v)
        for k, v in (obj.get("counters") or {}).items()
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0
    }
    attempts = obj.get("max_marked_attempts")
    return Adoption(
        station_id=obj["station"],
        event=obj["event"],
        task_id=obj["task"]["id"],
        task_toml=obj["task"]["toml"],
        scorer_key=scorer_key,
        adoption_id=obj["adoption_id"],
        broker_username=broker.get("username"),
        broker_client_id=broker.get("client_id"),
        broker_password=password,
        calibrations=dict(obj.get("calibrations") or {}),
        counters=counters,
        max_marked_attempts=attempts if isinstance(attempts, int) and attempts >= 0 else None,
        raw=raw,
    )


def adoption_path(setup: StationSetup) -> Path:
    return setup.state_dir / "adoption.json"


def save_adoption(setup: StationSetup, adoption: Adoption) -> None:
    """Keep the adopt message exactly as it came (it stays verifiable), atomically, 0600."""
    path = adoption_path(setup)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(adoption.raw)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_adoption(setup: StationSetup, identity: Identity) -> Adoption | None:
    """The stored adoption, verified again; None if the station was never adopted."""
    path = adoption_path(setup)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return accept_adoption(raw, identity, setup.scorer_key)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def apply_adoption(setup: StationSetup, adoption: Adoption) -> StationConfig:
    """The station's running configuration under ``adoption`` (task file kept in state_dir)."""
    task_file = setup.state_dir / "task.toml"
    task_file.write_text(adoption.task_toml)
    task = load_task(task_file)
    broker = setup.broker
    if adoption.broker_username:
        broker = BrokerConfig(
            host=broker.host,
            port=broker.port,
            protocol=broker.protocol,
            username=adoption.broker_username,
            password=adoption.broker_password,
            keepalive_s=broker.keepalive_s,
            tls_ca_file=broker.tls_ca_file,
        )
    return setup.assign(
        adoption.station_id,
        adoption.event,
        task,
        broker=broker,
        scorer_key=adoption.scorer_key.hex,
        client_id=adoption.broker_client_id,
        max_marked_attempts=adoption.max_marked_attempts,
    )


def import_calibrations(config: StationConfig, adoption: Adoption) -> int:
    """A replaced workstation's calibrations, written where this station keeps its own when it
    has none yet; returns how many sensor records were imported."""
    records = adoption.calibrations.get("calibrations")
    path = config.calibration_path
    if not isinstance(records, list) or not records or path.exists():
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(adoption.calibrations, indent=2))
    return len(records)


class Enrolment:
    """The unadopted station's MQTT session: announce, show the code, wait for adoption."""

    def __init__(
        self, setup: StationSetup, identity: Identity, display: Display | None = None
    ) -> None:
        self.setup = setup
        self.identity = identity
        self.display = display
        self.topic_hello = protocol.adopt_topic(identity.kid, "hello")
        self.topic_adopt = protocol.adopt_topic(identity.kid, "adopt")
        self.client = make_client(f"enrol-{identity.kid}", setup.broker)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._adopted: Adoption | None = None
        self._got = threading.Event()
        self._connected = threading.Event()
        self.refusals = 0

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_is_failure(reason_code):
            log.warning("broker refused the enrolment login: %s", reason_code)
            return
        self._connected.set()
        client.subscribe(self.topic_adopt, qos=1)
        self.announce()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:  # the scorer cleared a retained adoption
            return
        try:
            adoption = accept_adoption(bytes(msg.payload), self.identity, self.setup.scorer_key)
            config = apply_adoption(self.setup, adoption)
        except ValueError as exc:
            self.refusals += 1
            log.warning("%s", exc)
            return
        import_calibrations(config, adoption)
        save_adoption(self.setup, adoption)
        log.info(
            "adopted as %s (event %s, task %s) by scorer key %s",
            adoption.station_id,
            adoption.event,
            adoption.task_id,
            adoption.scorer_key.kid,
        )
        self._adopted = adoption
        self._got.set()

    def announce(self) -> None:
        payload = hello_payload(self.identity, self.setup)
        self.client.publish(
            self.topic_hello, sign_payload(self.identity, self.topic_hello, payload), qos=1
        )

    def wait(self, stop: threading.Event) -> Adoption | None:
        """Announce every :data:`HELLO_INTERVAL_S` until adopted (or ``stop``)."""
        code = self.identity.code
        log.warning(
            "not adopted yet: pairing code %s (key %s); adopt it on the scorer with "
            "'benchscore stations adopt %s --as ID'",
            code,
            self.identity.kid,
            code,
        )
        if self.display is not None:
            self.display.show("NOT ADOPTED", f"code {code}")
        connect_async(self.client, self.setup.broker)
        try:
            while not stop.is_set():
                if self._got.wait(HELLO_INTERVAL_S):
                    return self._adopted
                if self._connected.is_set():
                    self.announce()
        finally:
            close_client(self.client)
        return None


def new_adoption_id() -> str:
    return uuid.uuid4().hex
