"""``benchscore calibrate``: sensor calibration and the golden-assembly self-test.

Stop the station daemon first (it owns the bench while it runs)::

    benchscore calibrate --config st.toml sensor light_sensor --reference 2850 \\
        --reference-name "Konica T-10A SN 12345" --reference-uncertainty 0.02
    benchscore calibrate --config st.toml sensor output_monitor --known-load-a 1.0 \\
        --reference 1.0003 --reference-name "DL3021 SN DL3A..., CC 1 A"
    benchscore calibrate --config st.toml sensor grid.3 --reference-sim   # simulation
    benchscore calibrate --config st.toml list
    benchscore calibrate --config st.toml golden        # golden assembly on the bench
    benchscore calibrate --config st.toml self-test     # before a session: exit 1 if off
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

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
    ref.add_argument("--reference", type=float, help="what the reference instrument read")
    ref.add_argument(
        "--reference-sim", action="store_true", help="simulation: the physics is the reference"
    )
    sensor.add_argument("--reference-name", default="", help="reference instrument, serial")
    sensor.add_argument(
        "--reference-uncertainty",
        type=float,
        default=0.0,
        help="relative standard uncertainty of the reference (0.02 = 2 %%)",
    )
    sensor.add_argument("--samples", type=int, default=10)
    sensor.add_argument("--method", choices=["gain", "offset"], default=None)
    sensor.add_argument(
        "--known-load-a", type=float, default=None, help="power bank: load current drawn (A)"
    )
    actions.add_parser("list", help="list the stored calibrations")
    golden = actions.add_parser("golden", help="store the golden assembly's values")
    golden.add_argument("--tolerance", type=float, default=0.03, help="relative (0.03)")
    actions.add_parser("self-test", help="compare the golden assembly with its stored values")


def run(args: argparse.Namespace) -> int:
    from benchscore.clock import Clock, RealClock, SimClock
    from benchscore.configfile import ConfigError
    from drivers.errors import DriverError
    from firmware_py.calibration import (
        CalibrationError,
        CalibrationStore,
        calibrate_sensor,
        self_test,
        store_golden,
    )
    from firmware_py.config import load_station_config
    from firmware_py.hardware import StationHardware

    try:
        config = load_station_config(args.config)
    except (ConfigError, ValueError) as exc:
        print(f"bad config: {exc}")
        return 2
    if args.action == "list":
        for c in CalibrationStore(config.calibration_path).all():
            print(
                f"{c.id}: {c.sensor}/{c.quantity} gain {c.gain:.6g} offset {c.offset:.6g} "
                f"{c.unit}, U(k=2) {100 * c.uncertainty:.2f} %, {c.date}, ref {c.reference} "
                f"({c.reference_value:.6g} {c.unit})"
            )
        return 0
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
            )
            print(
                f"stored {cal.id}: gain {cal.gain:.6g}, offset {cal.offset:.6g} {cal.unit}, "
                f"reading {cal.reading_value:.6g} vs reference {cal.reference_value:.6g} "
                f"{cal.unit}, U(k=2) {100 * cal.uncertainty:.2f} %"
            )
            return 0
        if args.action == "golden":
            golden = store_golden(hw, args.tolerance)
            print(f"stored golden values of task {golden.task} ({len(golden.values)} values)")
            for name, value in sorted(golden.values.items()):
                print(f"  {name}: {value:.6g}")
            return 0
        report = self_test(hw)
        print("\n".join(report.lines()))
        return 0 if report.ok else 1
    except (CalibrationError, KeyError, DriverError, OSError, RuntimeError) as exc:
        print(f"calibrate: {exc}")
        return 1
    finally:
        hw.close()
