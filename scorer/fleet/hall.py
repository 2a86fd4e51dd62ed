"""``benchscore hall init DIR --event FILE``: everything a hall needs, written in one step.

Writes into ``DIR`` (``/etc/benchscore`` on the scorer machine):

- ``mosquitto/``: a Mosquitto configuration with the dynamic-security plugin (the scorer is its
  admin; the shared ``enrol`` login may only announce stations), see
  :mod:`scorer.broker_setup`;
- ``scorer.toml``: signatures required, the broker admin on, absolute paths;
- ``scorer.key`` (0600) and ``scorer.pub``: the scorer's Ed25519 key pair;
- ``station.toml``: the one file every Pi of the hall gets (broker address, the enrolment
  login, the scorer's public key pinned, a hardware map to edit for the bench);
- ``event/`` and ``tasks/``: the event file and the task files it can assign;
- ``systemd/``: the units for the scorer (and, to bake into the Pi image, the station);
- the first chief-expert account in the scorer's database (its password is printed once).

Then prints the next steps. It refuses to overwrite an existing hall.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchscore.identity import Identity

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
REPO_SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"


def add_parser(sub: Any) -> None:
    hall = sub.add_parser("hall", help="set up a hall: broker, scorer, keys, station file")
    hall_sub = hall.add_subparsers(dest="hall_command", required=True)
    init = hall_sub.add_parser("init", help="write a hall's configuration into DIR")
    init.add_argument("dir", help="where to write it, e.g. /etc/benchscore")
    init.add_argument("--event", required=True, help="the event file (config/event/*.toml)")
    init.add_argument("--tasks", default=None, help="task files directory (config/tasks)")
    init.add_argument(
        "--broker-host", default="scorer.hall.lan", help="the broker's address as Pis see it"
    )
    init.add_argument("--broker-port", type=int, default=1883)
    init.add_argument(
        "--listen", default="0.0.0.0", help="the broker's listening address (0.0.0.0)"
    )
    init.add_argument(
        "--state-dir",
        default="/var/lib/benchscore",
        help="where the scorer keeps its database (/var/lib/benchscore)",
    )
    init.add_argument("--http-port", type=int, default=8080)
    init.add_argument("--chief", default="chief", help="the first chief expert's user name")
    init.add_argument(
        "--broker-user",
        default=None,
        help="the broker's system user to hand its files to (e.g. mosquitto; default: none)",
    )
    init.add_argument(
        "--broker-dir",
        default=None,
        help="where the broker's files go (default DIR/mosquitto; it must be the broker's)",
    )
    init.add_argument(
        "--owner",
        default="benchscore",
        help="the scorer service's user, given its key and database (when it exists)",
    )


@dataclass(frozen=True)
class Hall:
    dir: Path
    scorer_toml: Path
    station_toml: Path
    mosquitto_conf: Path
    scorer_pub: str
    chief: str
    chief_password: str
    enrol_password: str


def init_hall(args: argparse.Namespace) -> Hall:
    """Write the hall; ValueError naming what is wrong (existing hall, missing files)."""
    from scorer.accounts.auth import add_user, generate_password
    from scorer.accounts.db import ConsoleDB
    from scorer.broker_setup import write_dynsec_broker

    from ..config import load_config
    from ..store import Store
    from .keys import scorer_identity

    target = Path(args.dir).resolve()
    event_file = Path(args.event)
    if not event_file.is_file():
        raise ValueError(f"--event {event_file}: no such file")
    tasks = Path(args.tasks) if args.tasks else REPO_CONFIG / "tasks"
    if not tasks.is_dir():
        raise ValueError(f"--tasks {tasks}: no such directory")
    if (target / "scorer.toml").exists():
        raise ValueError(f"{target / 'scorer.toml'} exists: this hall is set up already")
    state_dir = Path(args.state_dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    # the event file and what it names beside it (its marking scheme)
    shutil.copytree(event_file.parent, target / "event", dirs_exist_ok=True)
    shutil.copytree(tasks, target / "tasks", dirs_exist_ok=True)
    scorer_password = secrets.token_urlsafe(24)
    enrol_password = secrets.token_urlsafe(18)
    broker_dir = Path(args.broker_dir).resolve() if args.broker_dir else target / "mosquitto"
    broker = write_dynsec_broker(
        broker_dir,
        port=args.broker_port,
        scorer_password=scorer_password,
        enrol_password=enrol_password,
        listener_host=args.listen,
        broker_user=args.broker_user,
    )
    identity = Identity.load_or_create(target / "scorer.key")
    (target / "scorer.pub").write_text(identity.public.hex + "\n")
    event_id = _event_id(target / "event" / event_file.name)
    scorer_toml = target / "scorer.toml"
    scorer_toml.write_text(
        "# benchscore scorer for this hall (written by 'benchscore hall init').\n"
        f'event = "{event_id}"\n\n'
        "[broker]\n"
        'host = "127.0.0.1"\n'
        f"port = {args.broker_port}\n"
        'protocol = "5"\n'
        'username = "benchscore-scorer"\n'
        f'password = "{scorer_password}"\n\n'
        "[storage]\n"
        f'path = "{state_dir / "scorer.db"}"\n\n'
        "[security]\n"
        "require_signatures = true      # records of stations without a key are refused\n"
        f'scorer_key = "{target / "scorer.key"}"\n'
        'broker_admin = "dynsec"        # the scorer issues and revokes station logins\n\n'
        "[competition]\n"
        f'event_file = "{target / "event" / event_file.name}"\n'
        f'tasks_dir = "{target / "tasks"}"\n\n'
        "[http]\n"
        'host = "0.0.0.0"\n'
        f"port = {args.http_port}\n"
    )
    scorer_toml.chmod(0o640)
    station_toml = target / "station.toml"
    station_toml.write_text(_station_file(args, enrol_password, identity.public.hex))
    station_toml.chmod(0o640)
    units = target / "systemd"
    units.mkdir(exist_ok=True)
    for unit in sorted(REPO_SYSTEMD.glob("*.service")):
        shutil.copy2(unit, units / unit.name)
    dropin = units / "mosquitto.service.d"
    dropin.mkdir(exist_ok=True)
    (dropin / "benchscore.conf").write_text(
        "# Mosquitto runs the hall's broker configuration (written by 'benchscore hall init').\n"
        "[Service]\nExecStart=\n"
        f"ExecStart=/usr/sbin/mosquitto -c {broker.conf}\n"
    )
    chief_password = generate_password()
    config = load_config(scorer_toml)
    store = Store(config.storage_target, worker="benchscore-hall-init")
    try:
        add_user(ConsoleDB(store.db), args.chief, "admin", chief_password)
    finally:
        store.close()
    scorer_identity(config)  # the key exists and is readable where the config says
    _give_to_service(args.owner, target, state_dir)
    return Hall(
        dir=target,
        scorer_toml=scorer_toml,
        station_toml=station_toml,
        mosquitto_conf=broker.conf,
        scorer_pub=identity.public.hex,
        chief=args.chief,
        chief_password=chief_password,
        enrol_password=enrol_password,
    )


def _give_to_service(owner: str, target: Path, state_dir: Path) -> None:
    """As root, hand the scorer's key and database to its service user (when it exists), and
    let it read its configuration (group)."""
    import grp
    import os
    import pwd

    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(owner)
        group = grp.getgrnam(owner).gr_gid
    except KeyError:
        return
    for path in (target / "scorer.key", state_dir, *state_dir.glob("scorer.db*")):
        os.chown(path, user.pw_uid, group)
    for path in (target / "scorer.toml", target / "station.toml"):
        os.chown(path, 0, group)


def _event_id(path: Path) -> str:
    import tomllib

    with path.open("rb") as fh:
        data = tomllib.load(fh)
    event = data.get("event", {})
    value = event.get("id") if isinstance(event, dict) else None
    if not isinstance(value, str):
        raise ValueError(f"{path}: event.id: missing")
    return value


def _station_file(args: argparse.Namespace, enrol_password: str, scorer_pub: str) -> str:
    return (
        "# The station file of every Pi in this hall (written by 'benchscore hall init').\n"
        "# Copy it to /etc/benchscore/station.toml in the Pi image; a Pi gets its id, event\n"
        "# and task when a technician adopts it. Edit [hardware] for the bench.\n"
        "[station]\n"
        'state_dir = "/var/lib/benchscore"\n'
        f'scorer_key = "{scorer_pub}"   # only this scorer may adopt and command the station\n'
        'display_file = "/run/benchscore/display.txt"\n\n'
        "[broker]\n"
        f'host = "{args.broker_host}"\n'
        f"port = {args.broker_port}\n"
        'protocol = "5"\n'
        'username = "enrol"          # may only announce; adoption issues the station a login\n'
        f'password = "{enrol_password}"\n\n'
        "[hardware]\n"
        'backend = "hw"\n'
        "i2c_bus = 1\n\n"
        "[hardware.power_monitor]\n"
        'chip = "ina226"\n'
        "address = 0x40\n"
        "shunt_ohm = 0.02\n"
        "max_current_a = 3.0\n\n"
        "[hardware.light_sensor]\n"
        'chip = "bh1750"\n'
        "address = 0x23\n\n"
        "[hardware.gpio]\n"
        "start_button = 17\n"
        "power_relay = 27\n"
        "light_green = 22\n"
        "light_amber = 23\n"
        "light_red = 24\n"
    )


def run(args: argparse.Namespace) -> int:
    try:
        hall = init_hall(args)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"benchscore hall init: {exc}", file=sys.stderr)
        return 2
    d = hall.dir
    print(f"hall written to {d}")
    print(f"  broker:   {hall.mosquitto_conf} (dynamic security; the scorer is its admin)")
    print(f"  scorer:   {hall.scorer_toml} (signatures required)")
    print(f"  key:      {d / 'scorer.key'} (0600), public {hall.scorer_pub[:16]}...")
    print(f"  stations: {hall.station_toml} (the same file on every Pi)")
    print(f"  console:  chief expert '{hall.chief}', password {hall.chief_password} (shown once)")
    print("next steps:")
    print(f"  1. mosquitto -c {hall.mosquitto_conf}, or as a service:")
    print(f"     cp -r {d / 'systemd' / 'mosquitto.service.d'} /etc/systemd/system/")
    print("     systemctl daemon-reload && systemctl enable --now mosquitto")
    print(f"  2. benchscore scorer --config {hall.scorer_toml}")
    print("     (or: systemctl enable --now benchscore-scorer)")
    print(f"  3. put {hall.station_toml} into the Pi image as /etc/benchscore/station.toml")
    print("  4. power the Pis on; each shows a pairing code; adopt each one:")
    print(f"     benchscore stations adopt CODE --as st01 --task TASK --config {hall.scorer_toml}")
    return 0
