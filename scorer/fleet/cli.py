"""``benchscore stations ...``: adopt, revoke and replace stations from the scorer's machine.

::

    benchscore stations pending --config /etc/benchscore/scorer.toml
    benchscore stations list --config ...
    benchscore stations adopt ABCD-EFGH --as st07 --task led_assembly --config ...
    benchscore stations revoke st07 --config ...
    benchscore stations replace st07 WXYZ-2345 --config ...

Each command works on the scorer's database and broker next to running scorer workers (like
``benchscore event``): the key changes reach every worker within a second, the broker drops a
revoked station at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..config import ConfigError, ScorerConfig, load_config
from ..db import StoreError
from ..mqtt_session import MqttSession
from ..store import Store
from .adoption import Fleet, FleetError
from .keys import scorer_identity


def add_parser(sub: Any) -> None:
    st = sub.add_parser("stations", help="adopt, list, revoke and replace stations (technician)")
    st_sub = st.add_subparsers(dest="stations_command", required=True)

    def cmd(name: str, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = st_sub.add_parser(name, help=help_text)
        p.add_argument("--config", required=True, help="the scorer's TOML file")
        p.add_argument("--actor", default=os.environ.get("USER", "technician"), help="who acts")
        return p

    cmd("pending", "stations waiting for adoption (pairing code, serial, board)")
    cmd("list", "adopted stations and their keys (current and revoked)")
    adopt = cmd("adopt", "adopt the station showing CODE")
    adopt.add_argument("code", help="the pairing code on the station, e.g. ABCD-EFGH")
    adopt.add_argument("--as", dest="station", required=True, help="its station id, e.g. st07")
    adopt.add_argument("--task", required=True, help="task file name or task id")
    adopt.add_argument("--event", default=None, help="event id (default: the scorer's event)")
    revoke = cmd("revoke", "cut a station off (broker and scorer) at once")
    revoke.add_argument("station")
    replace = cmd("replace", "move a station id, its history and calibrations to a new Pi")
    replace.add_argument("station")
    replace.add_argument("code", help="the new Pi's pairing code")


def _event(config: ScorerConfig, wanted: str | None) -> str:
    if wanted:
        return wanted
    if config.event != "+":
        return config.event
    raise FleetError("the scorer follows every event ('+'): name one with --event")


def run(args: argparse.Namespace) -> int:
    """Run one ``stations`` command; print JSON; exit status 2 for a refused request."""
    from ..broker_admin import DynSecAdmin, NoBrokerAdmin

    try:
        config = load_config(args.config)
        store = Store(config.storage_target, worker="benchscore-stations")
    except (ConfigError, StoreError) as exc:
        print(f"benchscore stations: {exc}", file=sys.stderr)
        return 2
    link: MqttSession | None = None
    try:
        command = args.stations_command
        needs_link = command in ("adopt", "revoke", "replace")
        if needs_link:
            link = MqttSession(config.broker, "stations")
        admin: Any = NoBrokerAdmin()
        if link is not None and config.broker_admin == "dynsec":
            admin = DynSecAdmin(link.client)
        fleet = Fleet(
            store,
            scorer_identity(config),
            link.publish if link is not None else _no_publish,
            admin,
            config.tasks_dir,
        )
        result: Any
        if command == "pending":
            result = [vars(p) for p in fleet.pending()]
        elif command == "list":
            result = fleet.stations()
        elif command == "adopt":
            result = fleet.adopt(
                args.code,
                args.station,
                event=_event(config, args.event),
                task=args.task,
                actor=args.actor,
            )
        elif command == "revoke":
            fleet.revoke(args.station, actor=args.actor)
            result = {"station": args.station, "revoked": True}
        else:
            result = fleet.replace(args.station, args.code, actor=args.actor)
    except (FleetError, ValueError, ConnectionError) as exc:
        print(f"benchscore stations {args.stations_command}: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # the broker refused an admin command
        print(f"benchscore stations {args.stations_command}: {exc}", file=sys.stderr)
        return 1
    finally:
        if link is not None:
            link.close()
        store.close()
    print(json.dumps(result, indent=2))
    return 0


def _no_publish(topic: str, payload: bytes, retain: bool) -> None:
    raise RuntimeError("no MQTT connection for this command")
