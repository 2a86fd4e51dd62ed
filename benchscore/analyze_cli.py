"""``benchscore analyze``: run the analysis library on logs from any tester or cycler.

Subcommands print one JSON object on stdout:

- ``discharge FILE --time COL --current COL --voltage COL [--cutoff V]``: every discharge
  segment's capacity (Ah, mAh), energy (Wh), means and end, and their sums; optionally mAh at a
  rated voltage, GB/T 35590 conversion efficiency, output regulation, temperature rise, and the
  cycler's own capacity column for comparison.
- ``charge FILE --time COL --current COL --voltage COL``: the same for charge segments, plus the
  CC to CV transition, charge in each phase and termination.
- ``color --xy X Y`` (or ``--uv``, ``--xyz``): CCT and Duv (Ohno 2013), McCamy CCT, ANSI class.
- ``flicker FILE --rate HZ [--column COL]``: frequency, percent flicker, flicker index, IEEE 1789.

This module is the only place that reads files: CSV in, arrays to :mod:`benchscore.analysis`.
Errors go to stderr, naming the file and column, with exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchscore.analysis import AnalysisError
from benchscore.analysis import battery as bat
from benchscore.analysis import colour as col
from benchscore.analysis import electrical as elec
from benchscore.analysis import flicker as flk
from benchscore.analysis import powerbank as pb
from benchscore.analysis._arrays import FloatArray

EXIT_USAGE = 2
TIME_UNITS_S = {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0}
HEADER_SEARCH_ROWS = 500
CV_LOGGING_LIMIT_S = 1.0


class CliError(Exception):
    """A problem with the user's file or arguments; the message names file and column."""


# --- CSV --------------------------------------------------------------------------------------


@dataclass
class Table:
    """Rows of a CSV file below its header, with their line numbers for error messages."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def index(self, column: str) -> int:
        """Return the position of ``column`` (a header name, or a 1-based number)."""
        if column in self.header:
            return self.header.index(column)
        if column.isdigit() and 1 <= int(column) <= len(self.header):
            return int(column) - 1
        raise CliError(f"{self.path}: no column {column!r}; columns: {', '.join(self.header)}")

    def numbers(self, column: str) -> FloatArray:
        """Return ``column`` as floats, or raise naming the line and the cell."""
        k = self.index(column)
        cells = []
        for row, line in zip(self.rows, self.lines, strict=True):
            if k >= len(row):
                raise CliError(f"{self.path}, line {line}: row has no column {column!r}")
            cells.append(row[k])
        try:
            return np.array(cells, dtype=np.float64)
        except ValueError:
            pass
        for cell, line in zip(cells, self.lines, strict=True):
            try:
                value = float(cell)
            except ValueError:
                raise CliError(
                    f"{self.path}, line {line}, column {column!r}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise CliError(f"{self.path}, line {line}, column {column!r}: {cell!r}")
        raise CliError(f"{self.path}, column {column!r}: cannot read as numbers")  # unreachable


def _split(row: list[str]) -> list[str]:
    # Some exports (Novonix via BEEP) quote each whole data line: one cell holding commas.
    if len(row) == 1 and "," in row[0]:
        row = next(csv.reader([row[0]]))
    return [cell.strip() for cell in row]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_table(path: str, columns: Sequence[str]) -> Table:
    """Read ``path`` and find the header row holding every name in ``columns``.

    Preamble lines before the header (cycler summary blocks) are skipped. A file whose first
    row is all numbers has no header: its columns are named "1", "2", ...
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            raw = [(n, _split(r)) for n, r in enumerate(csv.reader(handle), start=1) if r]
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except csv.Error as exc:
        raise CliError(f"{path}: not a CSV file: {exc}") from None
    raw = [(n, r) for n, r in raw if any(r)]
    if not raw:
        raise CliError(f"{path}: the file is empty")
    wanted = [c for c in columns if not c.isdigit()]
    first_line, first = raw[0]
    if all(_is_number(c) for c in first) and not wanted:
        header = [str(k) for k in range(1, len(first) + 1)]
        return Table(path, header, [r for _, r in raw], [n for n, _ in raw])
    best: tuple[int, int] = (-1, 0)
    for pos, (_line, row) in enumerate(raw[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for c in wanted if c in row)
        if hits == len(wanted) and len(row) > 1 or (not wanted and pos == 0):
            body = raw[pos + 1 :]
            if not body:
                raise CliError(f"{path}: no data rows below the header (line {_line})")
            return Table(path, row, [r for _, r in body], [n for n, _ in body])
        if hits > best[0] or (hits == best[0] and len(row) > len(raw[best[1]][1])):
            best = (hits, pos)
    near = raw[best[1]][1]
    missing = [c for c in wanted if c not in near]
    names = ", ".join(repr(c) for c in missing)
    raise CliError(
        f"{path}: no column {names} (header at line {raw[best[1]][0]}: {', '.join(near)})"
    )


# --- helpers ----------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _require_increasing_time(table: Table, column: str, t: FloatArray) -> None:
    steps = np.diff(t)
    if (steps < 0).any():
        k = int(np.flatnonzero(steps < 0)[0]) + 1
        raise CliError(
            f"{table.path}, column {column!r}: time goes backwards at line {table.lines[k]} "
            f"({t[k - 1]:g} -> {t[k]:g}); give a running time column, not a step time"
        )


def _column_or_error(table: Table, column: str, name: str) -> FloatArray:
    values = table.numbers(column)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise CliError(f"{table.path}, line {table.lines[int(bad[0])]}, column {column!r}: {name}")
    return values


# --- discharge / charge -----------------------------------------------------------------------


def _segment_report(
    args: argparse.Namespace,
    table: Table,
    log: bat.Log,
    seg: bat.Segment,
    kind: bat.StepKind,
    extras: dict[str, FloatArray],
) -> dict[str, Any]:
    cutoff = getattr(args, "cutoff", None) if kind is bat.StepKind.DISCHARGE else None
    r = log.integrate(seg.start, seg.stop, cutoff_v=cutoff, cutoff_below=True)
    dt = np.diff(log.time_s[seg.start : seg.stop])
    report: dict[str, Any] = {
        "first_line": table.lines[seg.start],
        "last_line": table.lines[seg.stop - 1],
        "samples": seg.samples,
        "start_time_s": r.start_time_s,
        "end_time_s": r.end_time_s,
        "duration_s": r.duration_s,
        "capacity_ah": r.capacity_ah,
        "capacity_mah": r.capacity_ah * 1000.0,
        "energy_wh": r.energy_wh,
        "mean_current_a": abs(r.mean_current_a),
        "mean_voltage_v": r.mean_voltage_v,
        "start_voltage_v": r.start_voltage_v,
        "end_voltage_v": r.end_voltage_v,
        "cutoff_reached": r.cutoff_reached if cutoff is not None else None,
        "max_interval_s": float(dt.max()) if dt.size else 0.0,
    }
    if "step" in extras:
        step = float(extras["step"][seg.start])
        report["step"] = int(step) if step.is_integer() else step
    if "cycler" in extras:
        ref = abs(float(extras["cycler"][seg.stop - 1] - extras["cycler"][seg.start]))
        report["cycler_capacity_ah"] = ref
        report["delta_percent"] = (r.capacity_ah / ref - 1.0) * 100.0 if ref > 0 else None
    if kind is bat.StepKind.CHARGE:
        cc = log.cc_cv(
            seg.start,
            seg.stop,
            cv_voltage_v=args.cv_voltage,
            termination_current_a=args.termination_current,
        )
        report["cc_cv"] = {
            "cv_voltage_v": cc.cv_voltage_v,
            "cc_current_a": cc.cc_current_a,
            "transition_time_s": cc.transition_time_s,
            "transition_line": (
                None
                if cc.transition_index is None
                else table.lines[seg.start + cc.transition_index]
            ),
            "cc_capacity_ah": cc.cc_capacity_ah,
            "cv_capacity_ah": cc.cv_capacity_ah,
            "cv_share": cc.cv_share,
            "end_current_a": cc.end_current_a,
            "terminated_by_current": cc.terminated_by_current,
        }
        if cc.transition_index is not None:
            cv_dt = np.diff(log.time_s[seg.start + cc.transition_index : seg.stop])
            if cv_dt.size and float(cv_dt.max()) > CV_LOGGING_LIMIT_S:
                report["note"] = (
                    f"CV phase logged at up to {float(cv_dt.max()):.3g} s intervals: log at 1 Hz "
                    "or faster during CV, or the trapezoid misses the current's curvature"
                )
    return report


def _battery(args: argparse.Namespace, kind: bat.StepKind) -> dict[str, Any]:
    names = [args.time, args.current, args.voltage]
    optional = {"step": args.step, "cycler": args.cycler_capacity, "temp": args.temperature}
    table = read_table(args.file, names + [c for c in optional.values() if c])
    t = _column_or_error(table, args.time, "not finite") * TIME_UNITS_S[args.time_unit]
    i = _column_or_error(table, args.current, "not finite")
    v = _column_or_error(table, args.voltage, "not finite")
    if t.size < 2:
        raise CliError(f"{args.file}: needs at least two data rows, found {t.size}")
    _require_increasing_time(table, args.time, t)
    extras = {key: table.numbers(name) for key, name in optional.items() if name}
    eps = bat.default_rest_current_a(i) if args.rest_current is None else args.rest_current
    if args.sign == "auto":
        # Cyclers sign discharge negative; a log of one sign only is all of the asked kind.
        has_neg, has_pos = bool((i <= -eps).any()), bool((i >= eps).any())
        if has_neg and has_pos:
            discharge_negative = True
        elif kind is bat.StepKind.DISCHARGE:
            discharge_negative = not has_pos
        else:
            discharge_negative = not has_neg
    else:
        discharge_negative = args.sign == "discharge-negative"
    log = bat.Log(t, i, v)
    segments = [
        s
        for s in bat.segment_steps(
            i,
            rest_current_a=eps,
            step_index=extras.get("step"),
            discharge_negative=discharge_negative,
        )
        if s.kind is kind
    ]
    if not segments:
        sign = "negative" if discharge_negative == (kind is bat.StepKind.DISCHARGE) else "positive"
        raise CliError(
            f"{args.file}, column {args.current!r}: no {kind.value} found (|I| >= {eps:g} A, "
            f"{sign} sign); check --current and --sign"
        )
    reports = [_segment_report(args, table, log, s, kind, extras) for s in segments]
    notes = []
    if args.sign == "auto" and discharge_negative == (kind is bat.StepKind.CHARGE):
        notes.append(
            f"the log's current has one sign only: all of it taken as {kind.value} "
            "(an electronic-load or one-way log); give --sign for a cycler log"
        )
    capacity = sum(r["capacity_ah"] for r in reports)
    energy = sum(r["energy_wh"] for r in reports)
    out: dict[str, Any] = {
        "file": args.file,
        "analysis": kind.value,
        "columns": {"time": args.time, "current": args.current, "voltage": args.voltage},
        "time_unit": args.time_unit,
        "current_sign": "discharge-negative" if discharge_negative else "discharge-positive",
        "rest_current_a": eps,
        "cutoff_v": getattr(args, "cutoff", None),
        "segment_count": len(reports),
        "capacity_ah": capacity,
        "capacity_mah": capacity * 1000.0,
        "energy_wh": energy,
        "duration_s": sum(r["duration_s"] for r in reports),
        "segments": reports,
    }
    if notes:
        out["notes"] = notes
    if args.rated_voltage is not None:
        out["capacity_mah_at_rated_v"] = pb.mah_at_voltage(energy, args.rated_voltage)
        if kind is bat.StepKind.DISCHARGE:
            reg = pb.output_regulation(
                np.concatenate([v[s.start : s.stop] for s in segments]),
                rated_v=args.rated_voltage,
            )
            out["output_regulation"] = {
                "rated_v": reg.rated_v,
                "low_limit_v": reg.low_limit_v,
                "high_limit_v": reg.high_limit_v,
                "min_v": reg.min_v,
                "max_v": reg.max_v,
                "max_deviation_percent": reg.max_deviation_percent,
                "within": reg.within,
            }
    if getattr(args, "cell_capacity_mah", None) is not None:
        eta = pb.conversion_efficiency(energy, args.cell_capacity_mah, args.cell_voltage)
        out["cell_energy_wh"] = pb.cell_energy_wh(args.cell_capacity_mah, args.cell_voltage)
        out["conversion_efficiency"] = eta
        out["meets_gbt35590_default_efficiency"] = eta >= pb.GBT35590_DEFAULT_EFFICIENCY
    if "temp" in extras:
        temp = extras["temp"]
        out["temperature_start_c"] = float(temp[0])
        out["temperature_max_c"] = float(temp.max())
        out["temperature_rise_k"] = elec.temperature_rise_k(temp)
    return out


# --- colour and flicker -----------------------------------------------------------------------


def _color(args: argparse.Namespace) -> dict[str, Any]:
    if args.xy is not None:
        xy = np.array(args.xy, dtype=np.float64)
    elif args.uv is not None:
        xy = col.uv_to_xy(np.array(args.uv, dtype=np.float64))
    else:
        xy = col.xyz_to_xy(np.array(args.xyz, dtype=np.float64))
    x, y = float(xy[0]), float(xy[1])
    if not (math.isfinite(x) and math.isfinite(y)) or x <= 0 or y <= 0 or x + y >= 1:
        raise CliError(f"chromaticity x={x:g}, y={y:g} is outside the CIE 1931 diagram")
    uv = col.xy_to_uv(xy)
    cct, duv = col.cct_duv_ohno2013(uv)
    cct_k, duv_f = float(cct), float(duv)
    out: dict[str, Any] = {
        "x": x,
        "y": y,
        "u": float(uv[0]),
        "v": float(uv[1]),
        "u_prime": float(uv[0]),
        "v_prime": 1.5 * float(uv[1]),
        "cct_k": cct_k,
        "duv": duv_f,
        "method": "Ohno 2013 (CIE 1931 2 deg, 1000-100000 K)",
        "cct_mccamy_k": float(col.cct_mccamy_k(xy)),
        "ansi_class": col.ansi_c78377_quadrangle_class((x, y)),
    }
    if args.nominal is not None:
        out["ansi_nominal_k"] = args.nominal
        out["ansi_ratio"] = col.ansi_c78377_ratio((x, y), args.nominal)
        out["ansi_within"] = out["ansi_ratio"] <= 1.0
    if abs(duv_f) > 0.05:
        out["note"] = "|Duv| > 0.05: CCT is not meaningful this far from the Planckian locus"
    return out


def _flicker(args: argparse.Namespace) -> dict[str, Any]:
    table = read_table(args.file, [args.column] if args.column else [])
    column = args.column
    if column is None:
        if len(table.header) != 1:
            raise CliError(
                f"{args.file}: {len(table.header)} columns; choose one with --column "
                f"({', '.join(table.header)})"
            )
        column = table.header[0]
    signal = _column_or_error(table, column, "not finite")
    if args.rate <= 0:
        raise CliError("--rate must be a positive sample rate in Hz")
    try:
        r = flk.flicker_metrics(signal, args.rate, frequency_hz=args.frequency)
    except AnalysisError as exc:
        raise CliError(f"{args.file}, column {column!r}: {exc}") from None
    out: dict[str, Any] = {
        "file": args.file,
        "column": column,
        "samples": int(signal.size),
        "sample_rate_hz": args.rate,
        "duration_s": signal.size / args.rate,
        "frequency_hz": r.frequency_hz,
        "percent_flicker": r.percent_flicker,
        "percent_flicker_min": r.percent_flicker_min,
        "percent_flicker_max": r.percent_flicker_max,
        "flicker_index": r.flicker_index,
        "periods": r.periods,
        "mean_level": r.mean_level,
        "ieee1789": r.ieee1789.value,
        "ieee1789_low_risk_limit_percent": flk.ieee1789_low_risk_limit_percent(r.frequency_hz),
        "ieee1789_noel_limit_percent": flk.ieee1789_noel_limit_percent(r.frequency_hz),
    }
    notes = []
    if args.rate < 20000:
        notes.append("sample rate under 20 kSPS (CA JA10.5 asks for >= 20 kHz)")
    if signal.size / args.rate < 1.0:
        notes.append("record shorter than 1 s (CA JA10.5 asks for >= 1 s)")
    if notes:
        out["notes"] = notes
    return out


# --- argparse ---------------------------------------------------------------------------------


def _add_battery_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="CSV log (a preamble above the header row is skipped)")
    p.add_argument("--time", required=True, metavar="COL", help="running time column")
    p.add_argument("--current", required=True, metavar="COL", help="current column, A")
    p.add_argument("--voltage", required=True, metavar="COL", help="voltage column, V")
    p.add_argument(
        "--time-unit", choices=sorted(TIME_UNITS_S), default="s", help="unit of --time (s)"
    )
    p.add_argument(
        "--sign",
        choices=["auto", "discharge-negative", "discharge-positive"],
        default="auto",
        help="current sign convention; auto: cyclers (both signs) discharge negative, "
        "a one-signed log is all of the asked kind",
    )
    p.add_argument("--rest-current", type=float, metavar="A", help="|I| below this is rest")
    p.add_argument("--step", metavar="COL", help="step-index column: split segments at changes")
    p.add_argument(
        "--cycler-capacity",
        metavar="COL",
        help="the cycler's capacity column (Ah): report it per segment (last - first row)",
    )
    p.add_argument("--temperature", metavar="COL", help="temperature column, °C")
    p.add_argument("--rated-voltage", type=float, metavar="V", help="report mAh at this voltage")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``analyze`` and its subcommands on the ``benchscore`` subparsers."""
    analyze = subparsers.add_parser(
        "analyze",
        help="analyse a log or a reading, print JSON",
        description="Analyse logs from any tester or cycler; prints JSON on stdout.",
    )
    analyze.set_defaults(func=run)
    sub = analyze.add_subparsers(dest="analyze_command", required=True)

    dis = sub.add_parser("discharge", help="capacity and energy of discharge segments")
    _add_battery_args(dis)
    dis.add_argument("--cutoff", type=float, metavar="V", help="end discharge at this voltage")
    dis.add_argument("--cell-capacity-mah", type=float, help="rated cell capacity (efficiency)")
    dis.add_argument(
        "--cell-voltage", type=float, default=pb.LI_ION_NOMINAL_V, help="cell nominal V (3.7)"
    )

    chg = sub.add_parser("charge", help="capacity, energy and CC-CV split of charge segments")
    _add_battery_args(chg)
    chg.add_argument("--cv-voltage", type=float, metavar="V", help="CV voltage (default: max V)")
    chg.add_argument(
        "--termination-current", type=float, metavar="A", help="CV termination current"
    )

    color = sub.add_parser("color", help="CCT, Duv and ANSI C78.377 class of a chromaticity")
    which = color.add_mutually_exclusive_group(required=True)
    which.add_argument("--xy", type=float, nargs=2, metavar=("X", "Y"), help="CIE 1931 x y")
    which.add_argument("--uv", type=float, nargs=2, metavar=("U", "V"), help="CIE 1960 u v")
    which.add_argument("--xyz", type=float, nargs=3, metavar=("X", "Y", "Z"), help="tristimulus")
    color.add_argument("--nominal", type=int, metavar="K", help="declared ANSI class to check")

    fl = sub.add_parser("flicker", help="percent flicker, flicker index, IEEE 1789 class")
    fl.add_argument("file", help="CSV of light samples (header optional)")
    fl.add_argument("--rate", type=float, required=True, metavar="HZ", help="sample rate, Hz")
    fl.add_argument("--column", metavar="COL", help="column name or 1-based number")
    fl.add_argument("--frequency", type=float, metavar="HZ", help="known modulation frequency")


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``analyze`` subcommand: JSON on stdout, or an error on stderr (exit 2)."""
    handlers = {
        "discharge": lambda a: _battery(a, bat.StepKind.DISCHARGE),
        "charge": lambda a: _battery(a, bat.StepKind.CHARGE),
        "color": _color,
        "flicker": _flicker,
    }
    try:
        result = handlers[args.analyze_command](args)
    except CliError as exc:
        print(f"benchscore analyze: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AnalysisError as exc:
        where = getattr(args, "file", None)
        print(f"benchscore analyze: {where + ': ' if where else ''}{exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(_clean(result), indent=2, allow_nan=False))
    return 0
