"""Re-analysis helpers the built-in procedures share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchscore.analysis.colour import cct_duv_from_xy
from benchscore.configfile import Table
from benchscore.plugins.contract import Reanalysis
from benchscore.protocol import check_id


def single(columns: Mapping[str, list[float]], column: str) -> float:
    """The one value of a one-row curve's ``column`` (KeyError if absent)."""
    values = columns[column]
    if not values:
        raise ValueError(f"column {column!r} is empty")
    return float(values[0])


def colour(
    out: Reanalysis, prefix: str, columns: Mapping[str, list[float]] | None, wanted: Sequence[str]
) -> None:
    """``<prefix>cct_k``, ``_duv``, ``_x``, ``_y`` from a colour curve (x, y: CIE 1931 of the
    calibrated sensor; CCT and Duv by Ohno 2013 from them, as the station computes them; a
    sensor without chromaticity stores its own ``cct_k``, repeated here as it is)."""
    for key in ("cct_k", "duv", "x", "y"):
        name = prefix + key
        if name not in wanted:
            continue
        if columns is None:
            out.unavailable[name] = "no colour curve stored"
        elif "x" in columns and "y" in columns:
            xy = (single(columns, "x"), single(columns, "y"))
            if key in ("x", "y"):
                out.values[name] = xy[0] if key == "x" else xy[1]
            else:
                cct, duv = cct_duv_from_xy(xy)
                out.values[name] = float(cct) if key == "cct_k" else float(duv)
        elif key == "cct_k" and "cct_k" in columns:
            out.values[name] = single(columns, "cct_k")
        else:
            out.unavailable[name] = "the sensor gave no chromaticity"


def named_tables(root: Table, key: str, what: str) -> list[Table]:
    """The tables of array ``key`` (``[[key]]``, may be absent) of a task file (marked as read
    in ``root``), each one's ``name`` checked as an id and unique among them."""
    raw = root._get(key, [])
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise root.error(key, f"expected [[{key}]] tables")
    tables = [Table(data, root.file, f"{key}[{i}]") for i, data in enumerate(raw)]
    names = []
    for t in tables:
        name = t.data.get("name")
        try:
            check_id(name if isinstance(name, str) else "", f"{what} name")
        except ValueError as exc:
            raise t.error("name", str(exc)) from None
        names.append(name)
    if len(set(names)) != len(names):
        raise root.error(key, f"{what} names must be unique")
    return tables
