"""Argument types for ``argparse`` that refuse what ``int``/``float`` let through: ``nan``,
``inf``, ports outside 0..65535, counts outside their range. A refusal becomes the one-line
``benchscore X: argument --y: ...`` of :class:`benchscore.app.cli.Parser`."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def finite(text: str) -> float:
    """A finite number (``float`` alone accepts ``nan`` and ``inf``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive(text: str) -> float:
    """A finite number above 0 (a duration, a time limit)."""
    value = finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not above 0")
    return value


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An integer ``low``..``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    parse.__name__ = f"integer {low}..{high}"
    return parse


port = int_range(0, 65535)
"""A TCP port; 0 picks a free one where the command allows it."""
