"""The Bitstring Status List (W3C vc-bitstring-status-list): which credentials are revoked.

A list is a bitstring of at least 131,072 bits (16 KB), bit 0 the left-most bit of the first
byte; a set bit means "revoked" (``statusPurpose`` ``revocation``). It travels GZIP-compressed
as ``u`` + base64url without padding (multibase) in the ``encodedList`` of a signed
``BitstringStatusListCredential``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable
from typing import Final

MIN_BITS: Final = 131_072


class StatusListError(ValueError):
    """An encodedList that cannot be read."""


def encode(revoked: Iterable[int], size_bits: int = MIN_BITS) -> str:
    """``encodedList`` with the bits of ``revoked`` set (indexes from 0)."""
    bits = bytearray(max(size_bits, MIN_BITS) // 8)
    for index in revoked:
        if not 0 <= index < len(bits) * 8:
            raise StatusListError(f"status index {index} is outside 0..{len(bits) * 8 - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``."""
    if not encoded.startswith("u"):
        raise StatusListError("encodedList is not base64url multibase ('u...')")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        bits = gzip.decompress(packed)
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error) as exc:
        raise StatusListError(f"encodedList does not decode: {exc}") from None
    if len(bits) * 8 < MIN_BITS:
        raise StatusListError(f"status list has {len(bits) * 8} bits, fewer than {MIN_BITS}")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether bit ``index`` (0 = left-most) is set; StatusListError when out of range."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} is outside the list (0..{len(bits) * 8 - 1})")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
