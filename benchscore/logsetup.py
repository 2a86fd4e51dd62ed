"""Logging for the daemons: plain ``LEVEL name: message`` lines, and syslog priority prefixes
(``<6>name: message``) only when stderr is the journal.

systemd sets ``JOURNAL_STREAM=<device>:<inode>`` for a unit whose output goes to journald; the
prefixes are used only when that names the very stream stderr is (a child process whose stderr
was redirected, or a terminal, keeps plain lines even if it inherited the variable).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

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


def stream_is_journal(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Whether ``stream`` is the journald stream ``JOURNAL_STREAM`` names (device:inode)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not device.isdigit() or not inode.isdigit():
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # closed, or no file descriptor
        return False
    return st.st_dev == int(device) and st.st_ino == int(inode)


def make_formatter(stream: TextIO, prefix: str = "") -> logging.Formatter:
    """The formatter for a daemon writing to ``stream``: journal prefixes or plain lines
    (with the time of day when a person watches a terminal)."""
    if stream_is_journal(stream):
        return JournalFormatter(f"{prefix}%(message)s")
    if stream.isatty():
        return logging.Formatter(
            f"%(asctime)s %(levelname)s {prefix}%(name)s: %(message)s", "%H:%M:%S"
        )
    return logging.Formatter(f"%(levelname)s {prefix}%(name)s: %(message)s")


def setup_logging(level: str = "INFO", prefix: str = "") -> None:
    """Configure the root logger once for a daemon process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(sys.stderr, prefix))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
