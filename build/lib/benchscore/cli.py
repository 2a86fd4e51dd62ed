"""The ``benchscore`` command: station, scorer, demo, analyze, calibrate."""

from __future__ import annotations

import argparse
import sys

from benchscore import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchscore", description="Edge scoring controller for hardware skill tasks."
    )
    parser.add_argument("--version", action="version", version=f"benchscore {__version__}")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)

    st = sub.add_parser("station", help="run a station daemon, or show its status")
    st.add_argument(
        "action",
        nargs="?",
        choices=["run", "status"],
        default="run",
        help="run the daemon (default) or print its status as JSON",
    )
    st.add_argument("--config", required=True, help="station TOML file")

    ob = sub.add_parser("outbox", help="inspect or replay a station's outbox")
    ob.add_argument("action", choices=["list", "replay"])
    ob.add_argument("--config", required=True, help="station TOML file")
    ob.add_argument("--limit", type=int, default=50, help="records to list (50)")

    kg = sub.add_parser("keygen", help="create a station's HMAC key file (mode 0600)")
    kg.add_argument("path", help="where to write the key, e.g. /etc/benchscore/st01.key")

    sc = sub.add_parser("scorer", help="run the central scorer (ingest, storage, web page)")
    sc.add_argument("--config", required=True, help="scorer TOML file")

    demo = sub.add_parser("demo", help="broker + scorer + simulated stations on this machine")
    demo.add_argument("--http-port", type=int, default=8080, help="scorer web port (8080)")
    demo.add_argument("--mqtt-port", type=int, default=0, help="broker port (a free one)")
    demo.add_argument("--stations", type=int, default=10, help="simulated stations (4-10)")
    demo.add_argument(
        "--embedded-broker",
        action="store_true",
        help="use the embedded MQTT 3.1.1 broker even if Mosquitto is installed",
    )
    demo.add_argument(
        "--duration", type=float, default=None, help="stop by itself after this many seconds"
    )

    broker = sub.add_parser("broker", help="run the embedded MQTT 3.1.1 broker (demo/tests)")
    broker.add_argument("--port", type=int, required=True)

    try:
        from benchscore import analyze_cli
    except ImportError:  # pragma: no cover - analysis extras missing
        pass
    else:
        analyze_cli.add_parser(sub)
    from firmware_py import calibrate_cli

    calibrate_cli.add_parser(sub)
    try:
        from scorer import event_cli
        from scorer.console import cli as console_cli
    except ImportError:  # pragma: no cover - scorer extras missing
        pass
    else:
        event_cli.add_parser(sub)
        console_cli.add_parser(sub)
    return parser


def _station_tools(args: argparse.Namespace) -> int:
    import json

    from benchscore.configfile import ConfigError
    from firmware_py import station_cli
    from firmware_py.config import load_station_config

    try:
        if args.command == "keygen":
            print(station_cli.keygen(args.path))
            return 0
        config = load_station_config(args.config)
        if args.command == "station":
            result: object = station_cli.station_status(config)
        elif args.action == "list":
            result = station_cli.outbox_list(config, args.limit)
        else:
            result = station_cli.outbox_replay(config)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"benchscore {args.command}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from benchscore.logsetup import setup_logging

    if args.command == "station" and args.action == "run":
        setup_logging(args.log_level)
        from firmware_py.main import run_station

        return run_station(args.config)
    if args.command in ("station", "outbox", "keygen"):
        return _station_tools(args)
    if args.command == "scorer":
        setup_logging(args.log_level)
        from scorer.service import run_scorer

        return run_scorer(args.config)
    if args.command == "demo":
        setup_logging(args.log_level)
        from benchscore.demo import run_demo

        return run_demo(args)
    if args.command == "broker":
        setup_logging(args.log_level)
        from benchscore.embedded_broker import run_broker

        return run_broker(args.port)
    if args.command == "analyze":
        from benchscore import analyze_cli

        return analyze_cli.run(args)
    if args.command == "users":
        from scorer.console import cli as console_cli

        return console_cli.run(args)
    if args.command == "event":
        from scorer import event_cli

        return event_cli.run(args)
    if args.command == "calibrate":
        setup_logging(args.log_level)
        from firmware_py import calibrate_cli

        return calibrate_cli.run(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
