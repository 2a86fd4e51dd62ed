"""Vectors for the room's geometry and the EN 12464-1 calculation-grid rule."""

from __future__ import annotations

import math

Vector = tuple[float, float, float]
"""A point or direction (x, y, z), m; z up, the floor at z = 0."""


def sub(a: Vector, b: Vector) -> Vector:
    """``a - b``."""
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def dot(a: Vector, b: Vector) -> float:
    """Scalar product of ``a`` and ``b``."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def unit(v: Vector) -> Vector:
    """``v`` scaled to length 1 (ValueError for the zero vector)."""
    length = math.sqrt(dot(v, v))
    if length == 0:
        raise ValueError("a direction must not be the zero vector")
    return v[0] / length, v[1] / length, v[2] / length


def en12464_grid_spacing_m(longer_side_m: float) -> float:
    """Maximum calculation-grid spacing ``p = 0.2 * 5^log10(d)`` (capped at 10 m), m."""
    return min(10.0, 0.2 * math.pow(5.0, math.log10(longer_side_m)))
