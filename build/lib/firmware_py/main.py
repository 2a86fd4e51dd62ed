"""``benchscore station --config FILE``: run one station until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from benchscore.configfile import ConfigError
from firmware_py.config import load_station_config

log = logging.getLogger("benchscore.station")


def run_station(config_path: str) -> int:
    """Load the config, start the station and serve until told to stop. Exit code 2 on bad
    config, 0 on a clean stop."""
    try:
        config = load_station_config(config_path)
    except (ConfigError, ValueError) as exc:
        log.error("bad config: %s", exc)
        return 2
    from firmware_py.station import Station

    station = Station(config)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        station.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "station %s (event %s, task %s, backend %s) boot %s",
        config.station_id,
        config.event,
        config.task.id,
        config.hardware.backend,
        station.boot_id,
    )
    try:
        station.start()
        station.serve()
    finally:
        station.close()
    return 0
