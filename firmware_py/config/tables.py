"""Small typed readers over :class:`benchscore.configfile.Table` shared by the config tables:
I2C addresses, integer lists, pairs of numbers, arrays of named tables, a measurement's limits
and a procedure's parameters (every number finite, durations and counts above zero)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from benchscore.configfile import ConfigError, Table, finite_number
from benchscore.measurement import Limits, LimitsError
from benchscore.protocol import check_id

DURATION_SUFFIXES = ("_s", "_ms", "_min", "_h")
"""A parameter whose name ends so is a duration: it must be above zero."""
COUNT_NAMES = ("samples", "steps", "count", "points")
"""A parameter named so, or ending ``_<name>``, is a count: a whole number of at least 1."""
_LIMIT_KEYS = ("low", "high", "marginal_low", "marginal_high")


def parameter(t: Table, key: str) -> float:
    """One procedure parameter: a finite number; durations above 0, counts whole and >= 1."""
    value: float = t.get_float(key)
    if key.endswith(DURATION_SUFFIXES) and value <= 0:
        raise t.error(key, f"a duration must be above 0, got {value:g}")
    if any(key == n or key.endswith(f"_{n}") for n in COUNT_NAMES) and (
        value < 1 or not value.is_integer()
    ):
        raise t.error(key, f"a count must be a whole number >= 1, got {value:g}")
    return value


def limits(t: Table) -> Limits:
    """A measurement's limits table: finite numbers, ``low <= high``, the marginal band inside
    the pass band and in order (``marginal_low <= marginal_high``)."""
    for key in _LIMIT_KEYS:
        value = t.data.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise t.error(key, f"must be a finite number, got {value}")
    try:
        result = Limits.from_mapping(t.data, t.where())
    except LimitsError as exc:
        raise ConfigError(str(exc)) from None
    lo, hi = result.marginal_low, result.marginal_high
    if lo is not None and hi is not None and lo > hi:
        raise t.error("marginal_low", f"{lo:g} is above marginal_high {hi:g}")
    if lo is not None and result.high is not None and lo > result.high:
        raise t.error("marginal_low", f"{lo:g} is above high {result.high:g}")
    if hi is not None and result.low is not None and hi < result.low:
        raise t.error("marginal_high", f"{hi:g} is below low {result.low:g}")
    return result


def address(t: Table, key: str, default: int) -> int:
    value: int = t.get_int(key, default, min=0x03)
    if value > 0x77:
        raise t.error(key, f"0x{value:02X} is not a 7-bit I2C address (0x03..0x77)")
    return value


def int_list(t: Table, key: str, default: tuple[int, ...], *, lo: int, hi: int) -> tuple[int, ...]:
    value = t._get(key, list(default))
    if (
        not isinstance(value, list)
        or not value
        or any(isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi for v in value)
    ):
        raise t.error(key, f"expected a non-empty list of integers {lo}..{hi}, got {value!r}")
    return tuple(value)


def pair(t: Table, key: str, default: Any, *, positive: bool = False) -> Any:
    value = t._get(key, default if default is None else list(default))
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(finite_number(v) for v in value)
        or (positive and any(v <= 0 for v in value))
    ):
        kind = "positive finite numbers" if positive else "finite numbers"
        raise t.error(key, f"expected two {kind} [a, b], got {value!r}")
    return float(value[0]), float(value[1])


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def named_tables(
    parent: Table, key: str, raw: list[Any], where: str, what: str, build: Callable[[Table], _N]
) -> tuple[_N, ...]:
    """Build one item from each table of ``raw`` (the array ``where`` in the file, already
    checked to hold tables); each item's name must be an id, unique among them.

    ``build`` reads its table, checks it for unknown keys and anything of its own.
    """
    items: list[_N] = []
    for i, data in enumerate(raw):
        item_t = Table(data, parent.file, f"{where}[{i}]")
        item = build(item_t)
        try:
            check_id(item.name, f"{what} name")
        except ValueError as exc:
            raise item_t.error("name", str(exc)) from None
        items.append(item)
    if len({item.name for item in items}) != len(items):
        raise parent.error(key, f"{what} names must be unique")
    return tuple(items)
