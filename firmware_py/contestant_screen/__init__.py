"""The contestant's screen: a small page the station serves for a 7-inch touchscreen (800x480)
or an HDMI monitor in kiosk Chromium, on loopback or the bench's LAN.

It shows READY / TESTING (phase, progress) / PASS / FAIL (the reasons in words) / FAULT ("call
a technician"), the time left in the module, and the open operator prompt with its answer
buttons. The station only *writes* a :class:`ScreenFeed` (attribute updates under a short
lock); the page's server runs in its own thread and only reads the feed and answers prompts
through the :class:`~firmware_py.operator_io.PromptDesk`, so the page can neither block nor
crash a measurement. The server (Starlette on uvicorn) and the catalogues (Babel) are the
optional ``benchscore[station-screen]`` extra: without them :func:`start_screen` warns and the
station runs as before.
"""

from __future__ import annotations

import logging
from typing import Any

from firmware_py.contestant_screen.feed import MAX_FAILED_SHOWN, ScreenFeed
from firmware_py.operator_io import PromptDesk

log = logging.getLogger(__name__)

__all__ = ["MAX_FAILED_SHOWN", "ScreenFeed", "start_screen"]


def start_screen(feed: ScreenFeed, desk: PromptDesk, host: str, port: int) -> Any:
    """Serve the page on ``host:port`` in a daemon thread; None (and a warning) if the extra
    is not installed or the address cannot be bound. The result has ``stop()`` and ``url``."""
    try:
        from firmware_py.contestant_screen.server import ScreenServer
    except ImportError as exc:
        log.warning("contestant screen off: %s (install the benchscore[station-screen] extra)", exc)
        return None
    try:
        return ScreenServer.start(feed, desk, host, port)
    except OSError as exc:
        log.warning("contestant screen off: cannot listen on %s:%s: %s", host, port, exc)
        return None
