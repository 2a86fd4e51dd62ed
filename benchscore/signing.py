"""Signatures on the wire: Ed25519 over the exact bytes of a payload (protocol schema 2).

A signed payload is a JSON object whose last member is ``"sig":"<128 hex>"``. The signature
covers ``b"benchscore/2\\0" + topic + b"\\0" + body``, where ``body`` is the payload exactly as
sent minus that trailing member (``raw[:-138] + b"}"``). Nothing is re-encoded before
verifying, so what the verifier checks is byte for byte what the sender signed; the topic
inside the signed bytes means a signature cannot be replayed on another station's topic or on
another kind of message. Every signed payload also names its key (``"kid"``).

The station signs its ``status``, ``live``, ``record``, ``reply`` and adoption ``hello`` with
its own key (:class:`~benchscore.identity.Identity`); the scorer signs ``ack``, ``cmd`` and
``adopt`` with the scorer key, which stations pin at adoption.
"""

from __future__ import annotations

from typing import Any

from benchscore.identity import SIG_BYTES, Identity, PublicKey
from benchscore.protocol import encode

DOMAIN = b"benchscore/2\x00"
_SIG_HEAD = b',"sig":"'
SUFFIX_BYTES = len(_SIG_HEAD) + 2 * SIG_BYTES + 2
"""Length of the trailing ``,"sig":"<128 hex>"}`` of a signed payload (138 bytes)."""


def signed_data(topic: str, body: bytes) -> bytes:
    """What a signature covers: domain tag, topic, and the payload's body bytes."""
    return DOMAIN + topic.encode() + b"\x00" + body


def sign_payload(identity: Identity, topic: str, payload: dict[str, Any]) -> bytes:
    """Encode ``payload`` (with ``kid`` set, any ``sig`` dropped) and append its signature."""
    body_obj = {k: v for k, v in payload.items() if k != "sig"}
    body_obj["kid"] = identity.kid
    body = encode(body_obj)
    sig = identity.sign(signed_data(topic, body))
    return body[:-1] + _SIG_HEAD + sig.hex().encode() + b'"}'


def split_signed(raw: bytes) -> tuple[bytes, bytes] | None:
    """``(body, signature)`` of a signed payload, or None when it has no trailing ``sig``."""
    if len(raw) <= SUFFIX_BYTES or raw[-2:] != b'"}':
        return None
    if raw[-SUFFIX_BYTES : -SUFFIX_BYTES + len(_SIG_HEAD)] != _SIG_HEAD:
        return None
    try:
        sig = bytes.fromhex(raw[-2 - 2 * SIG_BYTES : -2].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return raw[:-SUFFIX_BYTES] + b"}", sig


def verify_payload(key: PublicKey, topic: str, raw: bytes) -> bool:
    """True if ``raw`` carries a valid signature of ``key`` for ``topic``."""
    parts = split_signed(raw)
    if parts is None:
        return False
    body, sig = parts
    return key.verify(signed_data(topic, body), sig)
