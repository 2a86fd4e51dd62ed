"""``benchscore event``: the chief expert's commands, on the scorer's database and broker.

Every command takes the scorer's ``--config`` (its ``[storage]`` names the database, its
``[broker]`` the hall broker) and works next to running scorer workers: state lives in the
database, commands to stations go over MQTT like the scorer's own.

::

    benchscore event load config/event/example.toml --config config/scorer.toml
    benchscore event status --config ...
    benchscore event start led --config ...          # clock starts; stations get the end
    benchscore event time-limit led 180 --config ... # the 3.5 h module becomes 3 h, live
    benchscore event freeze|resume|stop led --config ...
    benchscore event measure led --config ...        # synchronized marked start
    benchscore event judge C01 A3.1 J1 2 --config ...
    benchscore event remark --config ...
    benchscore event export csv|json|sheet|standardised|record [--competitor C01] [-o FILE]
    benchscore event appeal pb01 <run_id> --config ...
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchscore.argtypes import finite, positive
from benchscore.identity import Identity
from benchscore.mqtt import BrokerConfig

from .appeals import appeal
from .competition import Competition, CompetitionError
from .config import ScorerConfig, load_config
from .db import StoreError
from .exports import dumps, mark_sheet, marks_csv, marks_json, skill_record, standardised
from .fleet.keys import scorer_identity
from .mqtt_ingest import publish_command
from .mqtt_session import MqttSession
from .store import Store

log = logging.getLogger(__name__)

CLOCK_COMMANDS = ("start", "freeze", "resume", "stop")


def add_parser(sub: Any) -> None:
    """Add ``event`` and its subcommands to the ``benchscore`` parser."""
    ev = sub.add_parser("event", help="run the competition: clocks, judgements, marks, exports")
    ev_sub = ev.add_subparsers(dest="event_command", required=True)

    def cmd(name: str, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = ev_sub.add_parser(name, help=help_text)
        p.add_argument("--config", required=True, help="the scorer's TOML file")
        p.add_argument("--event", default=None, help="event id (default: the only one loaded)")
        p.add_argument("--actor", default=os.environ.get("USER", "chief"), help="who acts")
        return p

    load = cmd("load", "load an event file and its marking scheme (re-marks if it changed)")
    load.add_argument("file", type=Path)
    load.add_argument("--note", default="", help="why the scheme changed (kept with it)")
    cmd("status", "module clocks and what each competitor has done")
    for name in CLOCK_COMMANDS:
        cmd(name, f"{name} a module's clock").add_argument("module")
    tl = cmd("time-limit", "change a module's time limit (live)")
    tl.add_argument("module")
    tl.add_argument("minutes", type=positive)
    measure = cmd("measure", "start a run on every station of a module at once")
    measure.add_argument("module")
    measure.add_argument("--self-check", action="store_true", help="unmarked runs")
    judge = cmd("judge", "enter a judge's score (J: 0-3) or an entered mark")
    judge.add_argument("competitor")
    judge.add_argument("aspect")
    judge.add_argument("judge")
    judge.add_argument("score", type=finite)
    judge.add_argument("--note", default="")
    cmd("remark", "re-mark every competitor from the stored measurements")
    export = cmd("export", "marks as CSV/JSON, a mark sheet, the ranking, a skill record")
    export.add_argument("what", choices=["csv", "json", "sheet", "standardised", "record"])
    export.add_argument("--competitor", help="for sheet and record")
    export.add_argument("--version", type=int, default=None, help="scheme version")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    app = cmd("appeal", "recompute a run's measurements from its raw curves")
    app.add_argument("station")
    app.add_argument("run_id")


class CommandSender:
    """Signed commands to stations over a short-lived session (PUBACKs awaited on close)."""

    def __init__(self, broker: BrokerConfig, scorer: Identity, timeout_s: float = 10.0) -> None:
        self.broker = broker
        self.scorer = scorer
        self.session = MqttSession(broker, "event", timeout_s)

    def send(
        self, event: str, station: str, cmd_id: str, command: str, args: dict[str, Any]
    ) -> None:
        client = self.session.client
        info = publish_command(
            client, self.broker, self.scorer, event, station, cmd_id, command, args
        )
        self.session.track(info)

    def close(self) -> None:
        self.session.close()


def _event_id(comp: Competition, wanted: str | None) -> str:
    if wanted:
        return wanted
    events = comp.events()
    if len(events) != 1:
        raise CompetitionError(
            f"{len(events)} events are loaded ({', '.join(events) or 'none'}): "
            "name one with --event"
        )
    return events[0]


def _out(args: argparse.Namespace, text: str) -> None:
    if getattr(args, "output", None):
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def run(args: argparse.Namespace) -> int:
    """Run one ``benchscore event`` command; return the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(args.config)  # a ConfigError ends in one line, exit 2 (benchscore.app.cli)
    try:
        store = Store(config.storage_target, worker="benchscore-event")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sender: CommandSender | None = None
    comp = Competition(store, tasks_dir=config.tasks_dir)
    try:
        if args.event_command in (*CLOCK_COMMANDS, "time-limit", "measure"):
            sender = CommandSender(config.broker, scorer_identity(config))
            comp.send = sender.send
        return _run(args, comp, config)
    except (CompetitionError, KeyError, ConnectionError) as exc:
        print(f"error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 1
    finally:
        if sender is not None:
            sender.close()
        comp.close()
        store.close()


def _run(args: argparse.Namespace, comp: Competition, config: ScorerConfig) -> int:
    command = args.event_command
    if command == "load":
        event, version = comp.install_file(args.file, note=args.note)
        print(
            f"event {event.id}: {len(event.modules)} modules, {len(event.competitors)} "
            f"competitors; scheme {version.scheme.id} version {version.version} "
            f"({version.scheme.max_total:g} marks)"
        )
        return 0
    event_id = _event_id(comp, args.event)
    if command == "status":
        now = time.time()
        for module in comp.event(event_id).modules:
            c = comp.clock(event_id, module.id)
            left = c.remaining_s(now)
            print(
                f"{module.id:12} {c.state:8} limit {c.time_limit_s / 60:g} min"
                + (f", {left / 60:.1f} min left" if left is not None else "")
            )
        for row in comp.completion(event_id):
            print(
                f"  {row['module']:12} {row['competitor']:8} station {row['station'] or '-':8} "
                f"self-checks {row['self_checks']} attempts {row['attempts_used']} "
                f"judged {row['judged']} {'complete' if row['complete'] else 'open'}"
            )
        return 0
    if command in CLOCK_COMMANDS or command == "time-limit":
        if command == "time-limit":
            clock = comp.set_time_limit(event_id, args.module, args.minutes, args.actor)
        else:
            op = {
                "start": comp.start_module,
                "freeze": comp.freeze,
                "resume": comp.resume,
                "stop": comp.stop_module,
            }[command]
            clock = op(event_id, args.module, args.actor)
        when = time.strftime("%H:%M:%S", time.localtime(clock.end_ts)) if clock.end_ts else "-"
        print(f"{args.module}: {clock.state}, end {when}")
        return 0
    if command == "measure":
        sent = comp.measure(event_id, args.module, marked=not args.self_check)
        print(f"start sent to {len(sent)} stations: {', '.join(sorted(sent))}")
        return 0
    if command == "judge":
        score = int(args.score) if float(args.score).is_integer() else args.score
        marks = comp.enter_score(
            event_id, args.competitor, args.aspect, args.judge, score, args.note
        )
        mine = [m for m in marks if m.aspect == args.aspect]
        for m in mine:
            print(f"{args.competitor} {m.aspect}: {m.mark:g} of {m.max_mark:g} ({m.status})")
        return 0
    if command == "remark":
        print(f"{comp.remark(event_id, reason=f'remark by {args.actor}')} marks changed")
        return 0
    if command == "export":
        what = args.what
        if what == "csv":
            _out(args, marks_csv(comp, event_id, args.version))
        elif what == "json":
            _out(args, dumps(marks_json(comp, event_id, args.version)))
        elif what == "standardised":
            _out(args, dumps(standardised(comp, event_id, args.version)))
        else:
            if not args.competitor:
                raise CompetitionError(f"export {what} needs --competitor")
            if what == "sheet":
                _out(args, mark_sheet(comp, event_id, args.competitor, args.version))
            else:
                _out(args, dumps(skill_record(comp, event_id, args.competitor, args.version)))
        return 0
    if command == "appeal":
        report = appeal(comp, event_id, args.station, args.run_id, config.tasks_dir)
        _out(args, json.dumps(report, indent=2) + "\n")
        return 0
    raise AssertionError(command)  # pragma: no cover - argparse refuses others
