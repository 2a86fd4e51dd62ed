"""Zero-touch adoption, the scorer's side: pending stations, adopt, revoke, replace.

An unadopted station announces itself (``_adopt/<kid>/hello``, signed by its own key); the
scorer keeps it in ``pending_stations``. Adopting it (by pairing code, from the CLI or the
console):

1. gives it a broker login of its own (with the dynamic-security plugin: a client whose
   username and fixed client id are the station id, whose role allows only its own topics),
   a random password sealed to the station's key;
2. records its public key as the one that speaks for the station id (``station_keys``);
3. publishes, retained, the adopt message signed by the scorer key: id, event, task file,
   the scorer's public key, the broker login, and when replacing a broken Pi the workstation's
   calibrations and marked-attempt counters.

Revoking disables the station's broker client (the broker drops it at once) and its key
(every scorer worker refuses its records within a second). Replacing moves the station id to a
new Pi: the old key is revoked, the broker password changes (the old Pi is kicked), and runs
continue under the same station id, so history stays with the workstation.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchscore import protocol
from benchscore.identity import Identity, PublicKey, normalise_code
from benchscore.protocol import PayloadError
from benchscore.signing import sign_payload, verify_payload

from ..broker_admin import BrokerAdmin
from ..store import Store
from .keys import StationKeys, bump_keys_version

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, bool], None]
"""(topic, payload, retain) -> None: publish at QoS 1 on the scorer's MQTT connection."""

PENDING_EXPIRY_S = 24 * 3600.0


class FleetError(ValueError):
    """An adoption request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Pending:
    kid: str
    pubkey: str
    code: str
    serial: str
    mac: str
    model: str
    sw: str
    procedures: list[str]
    first_seen: float
    last_seen: float


class Fleet:
    """Adoption, revocation and replacement over the store, the broker and MQTT."""

    def __init__(
        self,
        store: Store,
        scorer: Identity,
        publish: Publish,
        broker_admin: BrokerAdmin,
        tasks_dir: Path | None,
        keys: StationKeys | None = None,
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.publish = publish
        self.broker_admin = broker_admin
        self.tasks_dir = tasks_dir
        self.keys = keys
        self._noted: dict[str, str] = {}  # station -> the calibration records last written

    # -- announcements -----------------------------------------------------------------------
    def on_hello(self, topic: str, raw: bytes) -> Pending:
        """Record an unadopted station's announcement; PayloadError if it is not genuine."""
        kid = protocol.parse_adopt_topic(topic, "hello")
        obj = protocol.validate_hello(kid, protocol.decode(raw))
        key = PublicKey.from_hex(obj["pubkey"])
        if key.kid != kid or not verify_payload(key, topic, raw):
            raise PayloadError("bad_signature", f"hello of {kid}: not signed by the key it names")
        now = time.time()
        procs = json.dumps(obj["procedures"])
        with self.store.db.transaction() as tx:
            tx.execute(
                "DELETE FROM pending_stations WHERE last_seen < ?", (now - PENDING_EXPIRY_S,)
            )
            tx.execute(
                "INSERT INTO pending_stations (kid, pubkey, code, serial, mac, model, sw, "
                "procedures, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kid) DO UPDATE SET serial = excluded.serial, mac = excluded.mac, "
                "model = excluded.model, sw = excluded.sw, procedures = excluded.procedures, "
                "last_seen = excluded.last_seen",
                (
                    kid,
                    key.hex,
                    key.code,
                    obj["serial"],
                    obj["mac"],
                    obj["model"],
                    obj["sw"],
                    procs,
                    now,
                    now,
                ),
            )
        return self._pending_by_kid(kid) or _never()

    def pending(self) -> list[Pending]:
        """Stations waiting for adoption (not adopted under their current key), newest first."""
        with self.store.db.read() as tx:
            rows = tx.all(
                "SELECT * FROM pending_stations WHERE kid NOT IN "
                "(SELECT kid FROM station_keys) ORDER BY last_seen DESC"
            )
        return [_pending(r) for r in rows]

    def _pending_by_kid(self, kid: str) -> Pending | None:
        with self.store.db.read() as tx:
            row = tx.one("SELECT * FROM pending_stations WHERE kid = ?", (kid,))
        return _pending(row) if row else None

    def find_pending(self, code: str) -> Pending:
        """The waiting station with this pairing code; FleetError if none (or several)."""
        wanted = normalise_code(code)
        found = [p for p in self.pending() if p.code == wanted]
        if not found:
            raise FleetError(
                f"no station waiting for adoption shows code {wanted} (stations announce every "
                "10 s: check the code on its screen or 'benchscore station status')"
            )
        return found[0]

    # -- the station list ----------------------------------------------------------------------
    def stations(self) -> list[dict[str, Any]]:
        """Every station key ever adopted, current ones first."""
        with self.store.db.read() as tx:
            rows = tx.all(
                "SELECT station, event, kid, pubkey, task, adopted_at, adopted_by, revoked_at, "
                "revoked_by, note FROM station_keys ORDER BY station, adopted_at DESC"
            )
        return [dict(r) for r in rows]

    def current_kid(self, station: str) -> str | None:
        with self.store.db.read() as tx:
            value = tx.scalar(
                "SELECT kid FROM station_keys WHERE station = ? AND revoked_at IS NULL",
                (station,),
            )
        return None if value is None else str(value)

    # -- actions ---------------------------------------------------------------------------------
    def adopt(
        self, code: str, station: str, *, event: str, task: str, actor: str
    ) -> dict[str, Any]:
        """Adopt the station showing ``code`` as ``station`` for ``event`` running ``task``."""
        protocol.check_id(station, "station id")
        protocol.check_id(event, "event id")
        if station.startswith("benchscore-") or station == "enrol":
            raise FleetError(f"station id {station!r} is reserved")
        pending = self.find_pending(code)
        if self.current_kid(station) is not None:
            raise FleetError(
                f"{station} is already adopted: use 'replace {station} CODE' for a new Pi, or "
                f"'revoke {station}' first"
            )
        return self._assign(pending, station, event, task, actor, note="adopted")

    def replace(self, station: str, code: str, *, actor: str) -> dict[str, Any]:
        """Move ``station`` (its id, history, calibrations, attempts) to the Pi showing ``code``."""
        with self.store.db.read() as tx:
            row = tx.one(
                "SELECT event, task FROM station_keys WHERE station = ? ORDER BY adopted_at DESC "
                "LIMIT 1",
                (station,),
            )
        if row is None:
            raise FleetError(f"{station} was never adopted: adopt the new Pi instead")
        pending = self.find_pending(code)
        self._revoke_key(station, actor, note=f"replaced by {pending.kid}")
        return self._assign(
            pending,
            station,
            str(row["event"]),
            str(row["task"]),
            actor,
            note="replacement",
            carry_over=True,
        )

    def revoke(self, station: str, *, actor: str) -> None:
        """Cut ``station`` off: the broker drops it and its records are refused from now on."""
        if self.current_kid(station) is None:
            raise FleetError(f"{station} has no key in force (never adopted, or already revoked)")
        self.broker_admin.revoke_station(station)
        self._revoke_key(station, actor, note="revoked")
        # the broker drops a revoked session without its Will: say it ourselves
        with self.store.db.transaction() as tx:
            tx.execute(
                "UPDATE stations SET online = ?, state = 'offline' WHERE id = ?", (False, station)
            )
        log.warning("station %s revoked by %s", station, actor)

    def _revoke_key(self, station: str, actor: str, note: str) -> None:
        with self.store.db.transaction() as tx:
            tx.execute(
                "UPDATE station_keys SET revoked_at = ?, revoked_by = ?, note = ? "
                "WHERE station = ? AND revoked_at IS NULL",
                (time.time(), actor, note, station),
            )
            bump_keys_version(tx)
        if self.keys is not None:
            self.keys.invalidate()

    def _assign(
        self,
        pending: Pending,
        station: str,
        event: str,
        task_id: str,
        actor: str,
        *,
        note: str,
        carry_over: bool = False,
    ) -> dict[str, Any]:
        task_toml, procedure = self._task(task_id)
        if procedure not in pending.procedures:
            raise FleetError(
                f"task {task_id!r} runs the {procedure!r} procedure; this station's bench can "
                f"run {', '.join(pending.procedures) or 'nothing'}"
            )
        password = secrets.token_urlsafe(24)
        self.broker_admin.enrol_station(station, event, password)
        station_key = PublicKey.from_hex(pending.pubkey)
        now = time.time()
        with self.store.db.transaction() as tx:
            tx.execute(
                "INSERT INTO station_keys (kid, station, event, pubkey, task, adopted_at, "
                "adopted_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO UPDATE "
                "SET station = excluded.station, event = excluded.event, task = excluded.task, "
                "adopted_at = excluded.adopted_at, adopted_by = excluded.adopted_by, "
                "revoked_at = NULL, revoked_by = NULL, note = excluded.note",
                (pending.kid, station, event, station_key.hex, task_id, now, actor, note),
            )
            bump_keys_version(tx)
        if self.keys is not None:
            self.keys.invalidate()
        payload: dict[str, Any] = {
            "schema": protocol.SCHEMA_VERSION,
            "type": "adopt",
            "station_kid": pending.kid,
            "station": station,
            "event": event,
            "task": {"id": task_id, "procedure": procedure, "toml": task_toml},
            "scorer_pubkey": self.scorer.public.hex,
            "adoption_id": uuid.uuid4().hex,
            "iat": now,
            "broker": {
                "username": station,
                "client_id": station,
                "password_sealed": base64.b64encode(station_key.seal(password.encode())).decode(),
            },
        }
        if carry_over:
            payload["counters"] = self._counters(station, task_id)
            records = self._calibrations(station)
            if records:
                payload["calibrations"] = {"calibrations": records}
        topic = protocol.adopt_topic(pending.kid, "adopt")
        self.publish(topic, sign_payload(self.scorer, topic, payload), True)
        log.info("station %s adopted (%s) by %s: key %s", station, note, actor, pending.kid)
        return {
            "station": station,
            "event": event,
            "task": task_id,
            "kid": pending.kid,
            "code": pending.code,
            "serial": pending.serial,
            "note": note,
        }

    def _counters(self, station: str, task_id: str) -> dict[str, int]:
        """Marked attempts the workstation has used on ``task_id`` (they move with it)."""
        with self.store.db.read() as tx:
            n = tx.scalar(
                "SELECT count(*) FROM runs WHERE station = ? AND task = ? AND marked = ? "
                "AND outcome <> 'fault'",
                (station, task_id, True),
            )
        return {f"marked:{task_id}": int(n or 0)}

    def _task(self, task_id: str) -> tuple[str, str]:
        """The task file's text and procedure for ``task_id`` (a file name or a task id)."""
        if self.tasks_dir is None:
            raise FleetError("the scorer has no [competition] tasks_dir: cannot send tasks")
        from firmware_py.config.task import load_task

        candidates = [self.tasks_dir / f"{task_id}.toml", *sorted(self.tasks_dir.glob("*.toml"))]
        for path in candidates:
            if not path.is_file():
                continue
            task = load_task(path)
            if path.stem == task_id or task.id == task_id:
                return path.read_text(), task.procedure
        names = sorted(p.stem for p in self.tasks_dir.glob("*.toml"))
        raise FleetError(f"no task {task_id!r} in {self.tasks_dir}; there are: {', '.join(names)}")

    def note_calibrations(self, station: str, records: list[Any]) -> None:
        """Keep the calibration records a station reports (for a replacement Pi). Every online
        status carries them: only a change is written (``received_at``: when this worker
        first saw the records as they are now)."""
        if not records or not all(isinstance(r, dict) for r in records):
            return
        text = json.dumps(records[:64])
        if self._noted.get(station) == text:
            return
        with self.store.db.transaction() as tx:
            tx.execute(
                "INSERT INTO station_calibrations (station, records, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (station) DO UPDATE SET records = excluded.records, "
                "received_at = excluded.received_at",
                (station, text, time.time()),
            )
        self._noted[station] = text

    def _calibrations(self, station: str) -> list[Any]:
        with self.store.db.read() as tx:
            text = tx.scalar(
                "SELECT records FROM station_calibrations WHERE station = ?", (station,)
            )
        return list(json.loads(text)) if text else []

    def clear_adoption(self, kid: str) -> None:
        """Remove the retained adopt message once the station speaks under its new id."""
        self.publish(protocol.adopt_topic(kid, "adopt"), b"", True)


def _pending(row: dict[str, Any]) -> Pending:
    return Pending(
        kid=str(row["kid"]),
        pubkey=str(row["pubkey"]),
        code=str(row["code"]),
        serial=str(row["serial"]),
        mac=str(row["mac"]),
        model=str(row["model"]),
        sw=str(row["sw"]),
        procedures=list(json.loads(row["procedures"])),
        first_seen=float(row["first_seen"]),
        last_seen=float(row["last_seen"]),
    )


def _never() -> Pending:
    raise RuntimeError("a pending station vanished right after it was stored")
