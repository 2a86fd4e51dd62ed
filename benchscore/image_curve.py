"""Small images (evidence photos) carried as a curve of a run, with no protocol change.

A curve whose one column is :data:`COLUMN` holds a PNG or JPEG file: the first value is the
file's length in bytes, then every value packs three bytes big-endian (0..16777215: exact in
a float and in a JSON number). Curves named ``image_<what>`` are such images; the console
shows them as pictures and the evidence report embeds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

COLUMN = "bytes_b24"
PREFIX = "image_"


def to_columns(data: bytes) -> dict[str, list[float]]:
    """The curve columns carrying ``data``."""
    padded = data + b"\0" * (-len(data) % 3)
    b = np.frombuffer(padded, dtype=np.uint8).astype(np.int64).reshape(-1, 3)
    packed = (b[:, 0] << 16) | (b[:, 1] << 8) | b[:, 2]
    return {COLUMN: [float(len(data)), *packed.astype(np.float64).tolist()]}


def from_columns(columns: Mapping[str, Sequence[float]]) -> bytes | None:
    """The file a curve carries (None if it is not an image curve or is cut short)."""
    values = columns.get(COLUMN)
    if not values:
        return None
    n = int(values[0])
    v = np.asarray(values[1:], dtype=np.float64)
    if n < 0 or len(v) * 3 < n or not np.all((v >= 0) & (v < 2**24)):
        return None
    i = v.astype(np.int64)
    b = np.stack([(i >> 16) & 255, (i >> 8) & 255, i & 255], axis=1).astype(np.uint8)
    return b.tobytes()[:n]


def media_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None
