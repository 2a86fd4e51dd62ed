"""Shared fixtures: a real Mosquitto per test on a free loopback port; the root logger as it
was before each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.brokers import Mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto broker of this test's own (MQTT 5 and 3.1.1) on a free port."""
    broker = Mosquitto(tmp_path).start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(autouse=True)
def _root_log_handlers() -> Iterator[None]:
    """Remove the stream handlers a test's in-process ``main()`` put on the root logger
    (``setup_logging``, ``basicConfig``): they write to that test's captured stderr, which is
    closed afterwards, and a later test's scorer thread logging through them printed
    "--- Logging error --- ValueError: I/O operation on closed file"."""
    root = logging.getLogger()
    before = set(root.handlers)
    level = root.level
    yield
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler not in before:
            root.removeHandler(handler)
    root.setLevel(level)
