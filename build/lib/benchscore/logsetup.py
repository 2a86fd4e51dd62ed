"""Logging for the daemons: readable lines on a terminal, journald-friendly otherwise."""

from __future__ import annotations

import logging
import sys

_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    """``<priority>logger: message``; journald reads the priority prefix, adds the time."""

    def format(self, record: logging.LogRecord) -> str:
        prio = _PRIORITY.get(record.levelno, 6)
        return f"<{prio}>{record.name}: {super().format(record)}"


def setup_logging(level: str = "INFO", prefix: str = "") -> None:
    """Configure the root logger once for a daemon process."""
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(
            logging.Formatter(
                f"%(asctime)s %(levelname)-7s {prefix}%(name)s: %(message)s", "%H:%M:%S"
            )
        )
    else:
        handler.setFormatter(JournalFormatter(f"{prefix}%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
