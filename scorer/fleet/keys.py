"""The scorer's station keys: which public key speaks for which station, now.

Keys live in the database (``station_keys``, written at adoption, revocation and
replacement), plus optional ``<keys_dir>/<station>.pub`` files for stations set up by hand. The
scorer holds only public keys: nobody who reads the scorer's files can sign as a station.

Every worker keeps a cache and reloads it when the database's ``keys_version`` changes (checked
at most every :data:`RECHECK_S`) or a ``.pub`` file changes, so revoking or replacing a key takes
effect within that time on every worker, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchscore.identity import Identity, KeyFileError, PublicKey, load_public_key_file

from ..config import ScorerConfig
from ..db import Tx
from ..store import Store

log = logging.getLogger(__name__)

RECHECK_S = 0.5
"""Longest time a worker may act on a revoked or replaced key."""
MISS_RECHECK_S = 0.1
"""How often one unknown station may make a worker look for new keys."""


@dataclass(frozen=True)
class StationKey:
    station: str
    event: str | None
    key: PublicKey
    source: str
    """``adopted`` (database) or the ``.pub`` file's path."""


class StationKeys:
    """Public keys of stations, by station id (one current key per station)."""

    def __init__(self, store: Store | None, keys_dir: Path | None = None) -> None:
        self.store = store
        self.keys_dir = keys_dir
        self._lock = threading.Lock()
        self._keys: dict[str, StationKey] = {}
        self._version: int | None = None
        self._dir_stamp: tuple[tuple[str, float], ...] | None = None
        self._checked = 0.0
        self._misses: dict[str, float] = {}

    def current(self, station: str) -> StationKey | None:
        """The key that speaks for ``station`` now, or None (no key: unknown station).

        A station not in the cache forces a reload (at most every :data:`MISS_RECHECK_S`), so a
        key adopted or placed a moment ago is found at once."""
        self._refresh()
        with self._lock:
            found = self._keys.get(station)
            now = time.monotonic()
            miss_due = found is None and now - self._misses.get(station, 0.0) >= MISS_RECHECK_S
            if miss_due:
                if len(self._misses) > 10_000:  # a flood of made-up station ids
                    self._misses.clear()
                self._misses[station] = now
        if miss_due:
            self._refresh(force=True)
            with self._lock:
                found = self._keys.get(station)
        return found

    def all(self) -> dict[str, StationKey]:
        self._refresh(force=True)
        with self._lock:
            return dict(self._keys)

    def invalidate(self) -> None:
        """Reload at the next lookup (after this process changed the keys itself)."""
        with self._lock:
            self._checked = 0.0
            self._version = None

    # -- loading -------------------------------------------------------------------------
    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < RECHECK_S:
                return
            self._checked = now
        version = self._db_version()
        stamp = self._dir_state()
        with self._lock:
            if version == self._version and stamp == self._dir_stamp and self._keys is not None:
                return
        keys = self._load_dir()
        keys.update(self._load_db())  # an adoption wins over a hand-placed file
        with self._lock:
            self._keys = keys
            self._version = version
            self._dir_stamp = stamp

    def _db_version(self) -> int | None:
        if self.store is None:
            return None
        with self.store.db.read() as tx:
            value = tx.scalar("SELECT value FROM fleet_meta WHERE key = 'keys_version'")
        return None if value is None else int(value)

    def _load_db(self) -> dict[str, StationKey]:
        if self.store is None:
            return {}
        with self.store.db.read() as tx:
            rows = tx.all(
                "SELECT station, event, pubkey FROM station_keys WHERE revoked_at IS NULL "
                "ORDER BY adopted_at"
            )
        out: dict[str, StationKey] = {}
        for row in rows:
            key = PublicKey.from_hex(str(row["pubkey"]))
            out[str(row["station"])] = StationKey(
                str(row["station"]), str(row["event"]), key, "adopted"
            )
        return out

    def _dir_state(self) -> tuple[tuple[str, float], ...] | None:
        if self.keys_dir is None:
            return None
        try:
            return tuple(sorted((p.name, p.stat().st_mtime) for p in self.keys_dir.glob("*.pub")))
        except OSError:
            return ()

    def _load_dir(self) -> dict[str, StationKey]:
        out: dict[str, StationKey] = {}
        if self.keys_dir is None:
            return out
        for path in sorted(self.keys_dir.glob("*.pub")):
            try:
                key = load_public_key_file(path)
            except KeyFileError as exc:
                log.warning("ignored station key %s", exc)
                continue
            out[path.stem] = StationKey(path.stem, None, key, str(path))
        return out


def bump_keys_version(tx: Tx) -> None:
    """Tell every worker to reload keys (call inside the transaction that changed them)."""
    tx.execute("UPDATE fleet_meta SET value = value + 1 WHERE key = 'keys_version'")


def scorer_identity(cfg: ScorerConfig) -> Identity:
    """The scorer's key pair (``[security] scorer_key``), made on first start if missing."""
    return Identity.load_or_create(cfg.scorer_key or cfg.storage_path.parent / "scorer.key")
