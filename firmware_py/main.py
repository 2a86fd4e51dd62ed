"""``benchscore station --config FILE``: run one station until SIGTERM or Ctrl-C.

A pre-assigned station (its file names id, event and task) starts measuring at once. Any other
station first makes its identity, announces itself and waits to be adopted
(:mod:`firmware_py.adoption`); once adopted, in the same process, it becomes READY.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from benchscore.configfile import ConfigError
from benchscore.identity import Identity, KeyFileError
from benchscore.sdnotify import notify
from firmware_py.config import StationConfig, StationSetup, load_station_setup, load_task

log = logging.getLogger("benchscore.station")


def resolve(setup: StationSetup, identity: Identity, stop: threading.Event) -> StationConfig | None:
    """The station's running configuration: pre-assigned, stored adoption, or a new one."""
    from firmware_py import adoption
    from firmware_py.operator_io import FileDisplay, NullDisplay
    from firmware_py.station import write_json_atomic

    if setup.preassigned is not None:
        station_id, event, task_file = setup.preassigned
        return setup.assign(station_id, event, load_task(task_file))
    stored = adoption.load_adoption(setup, identity)
    if stored is not None:
        return adoption.apply_adoption(setup, stored)
    display = FileDisplay(setup.display_file) if setup.display_file else NullDisplay()
    write_json_atomic(
        setup.state_dir / "status.json",
        {
            "state": "unadopted",
            "code": identity.code,
            "kid": identity.kid,
            "connected": False,
            "written_at": time.time(),
        },
    )
    notify(f"READY=1\nSTATUS=not adopted: pairing code {identity.code}")
    got = adoption.Enrolment(setup, identity, display).wait(stop)
    if got is None:
        return None
    config = adoption.apply_adoption(setup, got)
    return config


def board_identity(setup: StationSetup) -> Identity:
    """The station's key, bound to the board it was made on: a card copied into another Pi
    after the station ran would carry the same key, so a changed board serial makes a new key
    (the old one is kept as ``identity.key.<serial>``) and the Pi waits to be adopted again."""
    from firmware_py.adoption import machine_facts

    serial = machine_facts()["serial"]
    stamp = setup.state_dir / "identity.board"
    key = setup.identity_path
    if key.exists() and stamp.exists():
        old = stamp.read_text().strip()
        if old and old != serial:
            log.warning(
                "this card's key was made on board %s, this is board %s: making a new key "
                "(adopt this Pi again)",
                old,
                serial,
            )
            key.rename(key.with_name(f"identity.key.{old}"))
            adopted = setup.state_dir / "adoption.json"
            if adopted.exists():
                adopted.rename(adopted.with_name(f"adoption.json.{old}"))
    identity = Identity.load_or_create(key)
    stamp.write_text(serial + "\n")
    return identity


def run_station(config_path: str) -> int:
    """Load the config, start the station and serve until told to stop. Exit code 2 on bad
    config, 0 on a clean stop."""
    try:
        setup = load_station_setup(config_path)
    except (ConfigError, ValueError) as exc:
        log.error("bad config: %s", exc)
        return 2
    stop = threading.Event()
    station_ref: list[object] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()
        for st in station_ref:
            st.stop()  # type: ignore[attr-defined]

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        setup.state_dir.mkdir(parents=True, exist_ok=True)
        identity = board_identity(setup)
        config = resolve(setup, identity, stop)
    except (ConfigError, KeyFileError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    except OSError as exc:
        log.error("state directory %s: %s", setup.state_dir, exc.strerror or exc)
        return 2
    if config is None:
        return 0
    from firmware_py.adoption import load_adoption
    from firmware_py.station import Station

    station = Station(config, identity=identity)
    station_ref.append(station)
    if stop.is_set():
        station.stop()
    adopted = load_adoption(setup, identity) if setup.preassigned is None else None
    if adopted is not None:
        for name, value in adopted.counters.items():
            station.outbox.raise_counter(name, value)
    log.info(
        "station %s (event %s, task %s, backend %s) boot %s, key %s",
        config.station_id,
        config.event,
        config.task.id,
        config.hardware.backend,
        station.boot_id,
        identity.kid,
    )
    try:
        station.start()
        station.serve()
    finally:
        station.close()
    return 0
