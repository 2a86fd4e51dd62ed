"""``benchscore calibrate``: sensor calibration and the golden-assembly self-test.

Stop the station daemon first (it owns the bench while it runs)::

    benchscore calibrate --config st.toml sensor light_sensor --reference 2850 \\
        --reference-name "Konica T-10A SN 12345" --reference-uncertainty 0.02
    benchscore calibrate --config st.toml sensor output_monitor --known-load-a 1.0 \\
        --reference 1.0003 --reference-name "DL3021 SN DL3A..., CC 1 A"
    benchscore calibrate --config st.toml sensor grid.3 --reference-sim   # simulation
    benchscore calibrate --config st.toml list [SENSOR]
    benchscore calibrate --config st.toml remove ID     # the previous one applies again
    benchscore calibrate --config st.toml golden        # golden assembly on the bench
    benchscore calibrate --config st.toml self-test     # before a session: exit 1 if off

A gain outside ``[calibration] gain_range`` of the station file (default 0.5..2) or a reference
of 0 or below is refused (exit 2, nothing stored) unless ``--force``. Errors end in one line on
stderr (:mod:`benchscore.app.cli`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from benchscore.argtypes import finite, int_range, positive

log = logging.getLogger("benchscore.calibrate")


def add_parser(sub: Any) -> None:
    cal = sub.add_parser(
        "calibrate", help="calibrate a station's sensors; golden-assembly self-test"
    )
    cal.add_argument("--config", required=True, help="station TOML file")
    actions = cal.add_subparsers(dest="action", required=True)
    sensor = actions.add_parser("sensor", help="calibrate one sensor against a reference")
    sensor.add_argument("sensor", help="sensor name of the hardware map (light_sensor, grid.3...)")
    sensor.add_argument("--quantity", default=None, help="illuminance_lx, current_a, ...")
    ref = sensor.add_mutually_exclusive_group(required=True)
    ref.add_argument("--reference", type=finite, help="what the reference instrument read")
    ref.add_argument(
        "--reference-sim", action="store_true", help="simulation: the physics is the reference"
    )
    sensor.add_argument("--reference-name", default="", help="reference instrument, serial")
    sensor.add_argument(
        "--reference-uncertainty",
        type=finite,
        default=0.0,
        help="relative standard uncertainty of the reference (0.02 = 2 %%)",
    )
    sensor.add_argument("--samples", type=int_range(1, 100_000), default=10)
    sensor.add_argument("--method", choices=["gain", "offset"], default=None)
    sensor.add_argument(
        "--known-load-a", type=positive, default=None, help="power bank: load current drawn (A)"
    )
    sensor.add_argument(
        "--gain-range",
        type=positive,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=None,
        help="plausible gains (default: the station's [calibration] gain_range, 0.5 2)",
    )
    sensor.add_argument(
        "--force", action="store_true", help="store an implausible gain or reference anyway"
    )
    listing = actions.add_parser("list", help="list the stored calibrations")
    listing.add_argument("sensor", nargs="?", help="only this sensor's")
    remove = actions.add_parser("remove", help="delete one stored calibration")
    remove.add_argument("id", help="its id, as 'list' shows it")
    golden = actions.add_parser("golden", help="store the golden assembly's values")
    golden.add_argument("--tolerance", type=positive, default=0.03, help="relative (0.03)")
    actions.add_parser("self-test", help="compare the golden assembly with its stored values")


def run(args: argparse.Namespace) -> int:
    from benchscore.clock import Clock, RealClock, SimClock
    from firmware_py.calibration import (
        CalibrationError,
        CalibrationStore,
        GoldenNotPassed,
        calibratable_sensors,
        calibrate_sensor,
        check_sensor,
        self_test,
        store_golden,
    )
    from firmware_py.config import load_station_config, sensor_names
    from firmware_py.hardware import StationHardware

    config = load_station_config(args.config)
    sensors = calibratable_sensors(sensor_names(config.hardware))
    if args.action in ("list", "remove"):
        return _list_or_remove(args, CalibrationStore(config.calibration_path), sensors)
    if args.action == "sensor":
        check_sensor(args.sensor, sensors)
        if args.gain_range is not None and not 0 < args.gain_range[0] < args.gain_range[1]:
            raise CalibrationError(
                f"--gain-range: expected 0 < LOW < HIGH, got {args.gain_range[0]:g} "
                f"{args.gain_range[1]:g}"
            )
    sim_clock = config.hardware.backend == "sim" and config.simulation.clock == "sim"
    clock: Clock = SimClock() if sim_clock else RealClock()
    hw = StationHardware(config, clock)
    try:
        if args.action == "sensor":
            cal = calibrate_sensor(
                hw,
                args.sensor,
                args.quantity,
                reference_value=None if args.reference_sim else args.reference,
                reference=args.reference_name,
                reference_uncertainty=args.reference_uncertainty,
                samples=args.samples,
                method=args.method,
                known_load_a=args.known_load_a,
                gain_range=tuple(args.gain_range) if args.gain_range else None,
                force=args.force,
            )
            print(
                f"stored {cal.id}: gain {cal.gain:.6g}, offset {cal.offset:.6g} {cal.unit}, "
                f"reading {cal.reading_value:.6g} vs reference {cal.reference_value:.6g} "
                f"{cal.unit}, U(k=2) {100 * cal.uncertainty:.2f} %"
            )
            return 0
        if args.action == "golden":
            try:
                golden = store_golden(hw, args.tolerance)
            except GoldenNotPassed as exc:  # an outcome, not bad input
                print(f"benchscore calibrate: {exc}", file=sys.stderr)
                return 1
            print(f"stored golden values of task {golden.task} ({len(golden.values)} values)")
            for name, value in sorted(golden.values.items()):
                print(f"  {name}: {value:.6g}")
            return 0
        try:
            report = self_test(hw)
        except GoldenNotPassed as exc:  # no golden values: the self-test cannot pass
            print(f"benchscore calibrate: self-test FAIL: {exc}", file=sys.stderr)
            return 1
        print("\n".join(report.lines()))
        return 0 if report.ok else 1
    finally:
        hw.close()


def _list_or_remove(args: argparse.Namespace, store: Any, sensors: list[str]) -> int:
    """``calibrate list [SENSOR]`` and ``calibrate remove ID``."""
    from firmware_py.calibration import check_sensor

    if args.action == "remove":
        removed = store.remove(args.id)
        active = store.active(removed.sensor, removed.quantity)
        now = f"; active now: {active.id}" if active else "; none is active now"
        print(f"removed {removed.id} ({removed.sensor}/{removed.quantity}){now}")
        return 0
    if args.sensor is not None:
        check_sensor(args.sensor, sensors)
    shown = [c for c in store.all() if args.sensor in (None, c.sensor)]
    if not shown:
        which = f"of {args.sensor} " if args.sensor else ""
        print(f"no calibration {which}is stored in {store.path}")
        return 0
    for c in shown:
        print(
            f"{c.id}: {c.sensor}/{c.quantity} gain {c.gain:.6g} offset {c.offset:.6g} "
            f"{c.unit}, U(k=2) {100 * c.uncertainty:.2f} %, {c.date}, ref {c.reference} "
            f"({c.reference_value:.6g} {c.unit})"
        )
    return 0
