"""Small typed readers over :class:`benchscore.configfile.Table` shared by the config tables:
I2C addresses, integer lists, pairs of numbers and arrays of named tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from benchscore.configfile import Table
from benchscore.protocol import check_id


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
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
        or (positive and any(v <= 0 for v in value))
    ):
        kind = "positive numbers" if positive else "numbers"
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
