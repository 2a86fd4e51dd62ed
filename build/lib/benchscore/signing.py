"""Record signatures: HMAC-SHA256 with a per-station key over a canonical JSON encoding.

The station signs, the scorer verifies; both import this module so they agree byte for byte.
The canonical form is the payload without its ``sig`` field, encoded as JSON with sorted keys,
no whitespace, UTF-8, and no NaN. A key is 32 random bytes stored as 64 hex characters in a
file only its owner may read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

KEY_BYTES = 32
ALGORITHM = "hmac-sha256"


class SigningKeyError(ValueError):
    """A key file that cannot be used (missing, malformed, readable by others)."""


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed: ``payload`` minus ``sig``, sorted keys, compact UTF-8 JSON."""
    body = {k: v for k, v in payload.items() if k != "sig"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def mac(payload: dict[str, Any], key: bytes) -> str:
    """Hex HMAC-SHA256 of the canonical form of ``payload``."""
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def sign(payload: dict[str, Any], key: bytes) -> dict[str, Any]:
    """Return a copy of ``payload`` with its ``sig`` field set."""
    signed = {k: v for k, v in payload.items() if k != "sig"}
    signed["sig"] = mac(signed, key)
    return signed


def verify(payload: dict[str, Any], key: bytes) -> bool:
    """True if ``payload["sig"]`` is the HMAC of its canonical form under ``key``."""
    sig = payload.get("sig")
    if not isinstance(sig, str):
        return False
    return hmac.compare_digest(sig, mac(payload, key))


def generate_key_file(path: str | Path) -> bytes:
    """Create a new key file readable only by its owner; refuse to overwrite one."""
    p = Path(path)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def load_key_file(path: str | Path, *, require_private: bool = True) -> bytes:
    """Read a key file; with ``require_private`` refuse one that group or others can read."""
    p = Path(path)
    try:
        st = p.stat()
        text = p.read_text().strip()
    except OSError as exc:
        raise SigningKeyError(f"{p}: cannot read key file: {exc.strerror or exc}") from None
    if require_private and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"{p}: key file is readable by group or others (chmod 600 it)")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SigningKeyError(f"{p}: key file must hold {KEY_BYTES * 2} hex characters") from None
    if len(key) != KEY_BYTES:
        raise SigningKeyError(f"{p}: key is {len(key)} bytes, expected {KEY_BYTES}")
    return key


class KeyRing:
    """The scorer's station keys: ``<keys_dir>/<station>.key``, read once and cached."""

    def __init__(self, keys_dir: str | Path | None) -> None:
        self.keys_dir = Path(keys_dir) if keys_dir else None
        self._cache: dict[str, bytes | None] = {}

    def key_for(self, station: str) -> bytes | None:
        """The key of ``station``, or None if it has none."""
        if station not in self._cache:
            key = None
            if self.keys_dir is not None:
                path = self.keys_dir / f"{station}.key"
                if path.exists():
                    key = load_key_file(path, require_private=False)
            self._cache[station] = key
        return self._cache[station]
