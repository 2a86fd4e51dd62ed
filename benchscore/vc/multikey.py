"""An Ed25519 public key as a Multikey (``z6Mk...``) and a ``did:key`` (W3C did:key, vc-di-eddsa).

The multibase form is ``z`` + base58btc(0xed 0x01 + the 32 key bytes); the DID is
``did:key:<multibase>`` and its verification method ``did:key:<multibase>#<multibase>``, so the
DID itself carries the key and resolves with no network access.
"""

from __future__ import annotations

from typing import Final

import base58

ED25519_PREFIX: Final = b"\xed\x01"
DID_KEY: Final = "did:key:"


class KeyFormatError(ValueError):
    """Not an Ed25519 Multikey or did:key."""


def multibase_of(public: bytes) -> str:
    """``z6Mk...`` for the raw 32-byte Ed25519 public key."""
    if len(public) != 32:
        raise KeyFormatError(f"an Ed25519 public key has 32 bytes, not {len(public)}")
    return "z" + base58.b58encode(ED25519_PREFIX + public).decode("ascii")


def did_of(public: bytes) -> str:
    return DID_KEY + multibase_of(public)


def method_of(public: bytes) -> str:
    """The verification method id of the key's did:key."""
    mb = multibase_of(public)
    return f"{DID_KEY}{mb}#{mb}"


def public_of_multibase(text: str) -> bytes:
    """The raw key of a ``z6Mk...`` Multikey."""
    if not text.startswith("z"):
        raise KeyFormatError(f"{text[:20]!r}: a Multikey starts with 'z' (base58btc)")
    try:
        raw = base58.b58decode(text[1:])
    except ValueError:
        raise KeyFormatError(f"{text[:20]!r}: not base58btc") from None
    if not raw.startswith(ED25519_PREFIX) or len(raw) != 34:
        raise KeyFormatError(f"{text[:20]!r}: not an Ed25519 Multikey (multicodec 0xed01)")
    return raw[2:]


def public_of_did(did: str) -> bytes:
    """The raw key of a ``did:key`` (a verification method ``did:key:z..#z..`` is accepted)."""
    if not did.startswith(DID_KEY):
        raise KeyFormatError(f"{did[:40]!r}: not a did:key")
    body = did[len(DID_KEY) :]
    mb, _, fragment = body.partition("#")
    if fragment and fragment != mb:
        raise KeyFormatError(f"{did[:60]!r}: the fragment is not the key of the DID")
    return public_of_multibase(mb)
