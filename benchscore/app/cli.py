"""The ``benchscore`` command: station, scorer, demo, analyze, calibrate."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any, Final, NoReturn

from benchscore import __version__
from benchscore.argtypes import int_range, port, positive
from benchscore.errors import EXIT_BAD_INPUT, EXIT_FAILED, UserError, describe, one_line

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LAZY_COMMANDS = (
    "analyze",
    "calibrate",
    "event",
    "users",
    "audit",
    "stations",
    "hall",
    "verify",
    "practice",
    "assess",
    "training",
)
"""Commands whose parser imports their whole stack: built only when asked for."""
LIGHT_COMMANDS = ("station", "outbox", "scorer", "demo", "broker")


class Parser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line (usage stays behind ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``benchscore`` parser; ``only`` builds just that one of :data:`LAZY_COMMANDS`
    (``""``: none of them, None: all)."""
    parser = Parser(
        prog="benchscore", description="Edge scoring controller for hardware skill tasks."
    )
    parser.add_argument("--version", action="version", version=f"benchscore {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        help="DEBUG, INFO, WARNING, ERROR (default INFO)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error, not one line"
    )
    sub: Any = parser.add_subparsers(dest="command", required=True)

    st = sub.add_parser("station", help="run a station daemon, or show its status or identity")
    st.add_argument(
        "action",
        nargs="?",
        choices=["run", "status", "identity", "procedures"],
        default="run",
        help="run the daemon (default), print its status, or its key id and pairing code (JSON), "
        "or list the installed procedures (plugins)",
    )
    st.add_argument("--config", help="station TOML file (all but 'procedures')")

    ob = sub.add_parser("outbox", help="inspect, replay or salvage a station's outbox")
    ob.add_argument("action", choices=["list", "replay", "salvage"])
    ob.add_argument(
        "file", nargs="?", help="salvage: the moved-aside database (outbox.db.corrupt-...)"
    )
    ob.add_argument("--config", required=True, help="station TOML file")
    ob.add_argument("--limit", type=int, default=50, help="records to list (50)")

    sc = sub.add_parser("scorer", help="run the central scorer (ingest, storage, web page)")
    sc.add_argument("--config", required=True, help="scorer TOML file")

    demo = sub.add_parser("demo", help="broker + scorer + simulated stations on this machine")
    demo.add_argument("--http-port", type=port, default=8080, help="scorer web port (8080)")
    demo.add_argument("--mqtt-port", type=port, default=0, help="broker port (a free one)")
    demo.add_argument(
        "--stations", type=int_range(4, 13), default=13, help="simulated stations (4-13)"
    )
    demo.add_argument(
        "--embedded-broker",
        action="store_true",
        help="use the embedded MQTT 3.1.1 broker even if Mosquitto is installed",
    )
    demo.add_argument(
        "--duration", type=positive, default=None, help="stop by itself after this many seconds"
    )

    broker = sub.add_parser("broker", help="run the embedded MQTT 3.1.1 broker (demo/tests)")
    broker.add_argument("--port", type=port, required=True)

    # The commands below import their whole stack (numpy, the scorer) to build their parser:
    # only the one asked for is built, all of them when none is named (help, errors).
    if only in (None, "analyze"):
        try:
            from benchscore import analyze_cli
        except ImportError:  # pragma: no cover - analysis extras missing
            pass
        else:
            analyze_cli.add_parser(sub)
    if only in (None, "verify"):
        from benchscore import verify_cli

        verify_cli.add_parser(sub)
    if only in (None, "practice", "assess", "training"):
        try:
            from scorer import assess_cli, practice_cli
        except ImportError:  # pragma: no cover - scorer extras missing
            pass
        else:
            practice_cli.add_parser(sub)
            assess_cli.add_parsers(sub)
    if only in (None, "calibrate"):
        from firmware_py import calibrate_cli

        calibrate_cli.add_parser(sub)
    if only in (None, "event", "users", "audit", "stations", "hall"):
        try:
            from scorer import audit_cli, event_cli
            from scorer.console import cli as console_cli
            from scorer.fleet import cli as stations_cli
            from scorer.fleet import hall as hall_cli
        except ImportError:  # pragma: no cover - scorer extras missing
            pass
        else:
            event_cli.add_parser(sub)
            console_cli.add_parser(sub)
            audit_cli.add_parser(sub)
            stations_cli.add_parser(sub)
            hall_cli.add_parser(sub)
    return parser


def command_of(argv: list[str]) -> str | None:
    """Which of :data:`LAZY_COMMANDS` ``argv`` names (its first word after the global
    options); ``""`` for a light command; None when it names none (help and errors then
    list every command)."""
    words = iter(argv)
    for word in words:
        if word == "--log-level":
            next(words, None)
        elif not word.startswith("-"):
            if word in LAZY_COMMANDS:
                return word
            return "" if word in LIGHT_COMMANDS else None
    return None


def _station_tools(args: argparse.Namespace) -> int:
    import json

    from firmware_py import station_cli
    from firmware_py.config import load_station_setup

    setup = load_station_setup(args.config)
    if args.command == "station":
        if args.action == "identity":
            result: object = station_cli.identity_info(setup)
        else:
            result = station_cli.station_status(setup)
        print(json.dumps(result, indent=2))
        return 0
    config = station_cli.assigned_config(setup)
    if config is None:
        raise ValueError(f"{args.config}: this station is not adopted yet: it has no outbox")
    if args.action == "list":
        result = station_cli.outbox_list(config, args.limit)
    elif args.action == "salvage":
        if not args.file:
            raise ValueError("outbox salvage: name the moved-aside database FILE")
        return station_cli.outbox_salvage(config, args.file)
    else:
        result = station_cli.outbox_replay(config)
    print(json.dumps(result, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one ``benchscore`` command; an error ends in one line on stderr (the traceback
    with ``--debug``): exit 2 for bad input, 1 when the command could not do its work."""
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(command_of(words)).parse_args(words)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        refusal = describe(exc)
        name = f"benchscore {args.command}"
        if refusal is None:
            logging.getLogger("benchscore").debug("internal error", exc_info=True)
            _refuse(
                f"{name}: internal error: {type(exc).__name__}: {one_line(str(exc))} "
                "(run with --debug for the traceback)"
            )
            return EXIT_FAILED
        _refuse(f"{name}: {refusal.message}")
        return refusal.status


def _refuse(line: str) -> None:
    """Print the one-line refusal on stderr (with the error priority for the journal)."""
    from benchscore.logsetup import stream_is_journal

    print(f"<3>{line}" if stream_is_journal(sys.stderr) else line, file=sys.stderr)


TOOLS: Final = {
    "analyze": "benchscore.analyze_cli",
    "users": "scorer.console.cli",
    "event": "scorer.event_cli",
    "audit": "scorer.audit_cli",
    "stations": "scorer.fleet.cli",
    "hall": "scorer.fleet.hall",
    "verify": "benchscore.verify_cli",
    "practice": "scorer.practice_cli",
    "assess": "scorer.assess_cli",
    "training": "scorer.assess_cli",
    "calibrate": "firmware_py.calibrate_cli",
}
"""Commands whose module's ``run(args)`` does the work (imported only when called: a station
without the scorer's packages still runs its own commands)."""


def _dispatch(args: argparse.Namespace) -> int:
    from benchscore.logsetup import setup_logging

    if args.command == "station" and args.action == "procedures":
        from benchscore.plugins import registry

        print("\n".join(registry.describe()))
        return 0
    if args.command == "station" and not args.config:
        raise UserError(f"station {args.action}: --config FILE is required")
    if args.command == "station" and args.action == "run":
        setup_logging(args.log_level)
        from firmware_py.main import run_station

        return run_station(args.config)
    if args.command in ("station", "outbox"):
        return _station_tools(args)
    if args.command == "scorer":
        setup_logging(args.log_level)
        from scorer.service import run_scorer

        return run_scorer(args.config)
    if args.command == "demo":
        setup_logging(args.log_level)
        from benchscore.app.demo import run_demo

        return run_demo(args)
    if args.command == "broker":
        setup_logging(args.log_level)
        from benchscore.embedded_broker import run_broker

        return run_broker(args.port)
    module = TOOLS.get(args.command)
    if module is None:  # pragma: no cover - argparse rejects unknown commands
        return 2
    if args.command == "calibrate":
        setup_logging(args.log_level)
    run: Callable[[argparse.Namespace], int] = importlib.import_module(module).run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
