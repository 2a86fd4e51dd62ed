"""Shared fixtures: a real Mosquitto per test on a free loopback port."""

from __future__ import annotations

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
